"""``python -m nn.playground [--port PORT] [--setup TEXT]``: the playground as a local web app.

Voila serves the package's notebook ``playground.ipynb`` (which shows ``nn.playground()``) on
127.0.0.1 only, with the package's template ``chainrule`` (Voila's lab template without its
CDN style sheets) and only the widget extensions enabled, so the page loads nothing from
outside this machine. Each visitor's page gets its own kernel, which trains on this machine.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .config import Setup, SetupError

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "playground.ipynb"
# A Jupyter data folder, first on the server's JUPYTER_PATH: the template voila/templates/
# chainrule, and a kernel spec python3 that wins over any other of that name (a user's own
# may start another interpreter): "python" in its command is the server's sys.executable.
SHARE = HERE / "share"
SETUP_VARIABLE = "NN_PLAYGROUND_SETUP"  # how the setup reaches the notebook's kernel


def voila_arguments(port: int) -> list[str]:
    """The command line Voila gets: the notebook, the port, this machine only, the template."""
    return [
        str(NOTEBOOK),
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",  # the port asked for, or an error (never another one)
        "--no-browser",
        "--template=chainrule",
        "--theme=light",
        # only the widget extensions, not every JupyterLab extension installed beside Voila
        '--VoilaConfiguration.extension_allowlist=["@jupyter-widgets/jupyterlab-manager",'
        '"@voila-dashboards/widgets-manager8"]',
    ]


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, then serve the playground until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m nn.playground",
        description="Serve chainrule's playground on http://127.0.0.1:PORT/ (Voila).",
    )
    parser.add_argument("--port", type=int, default=8866, help="the port (default 8866)")
    parser.add_argument("--setup", default="", help="a setup string, e.g. 'data=spirals&lr=0.1'")
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f"--port must be from 1 to 65535, got {args.port}")
    try:
        Setup.parse(args.setup)
    except SetupError as error:
        parser.error(f"--setup: {error}")
    try:
        from voila.app import Voila
    except ImportError:
        print("the playground's server is Voila: pip install voila (or chainrule[playground])",
              file=sys.stderr)
        return 1
    os.environ[SETUP_VARIABLE] = args.setup
    # the package's data folder first on Jupyter's data path (templates and kernel specs)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(SHARE), *filter(None, [os.environ.get("JUPYTER_PATH")])]
    )
    for threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(threads, "1")  # small matrices: one thread is as fast
    print(f"chainrule playground: http://127.0.0.1:{args.port}/  (Ctrl+C stops it)", flush=True)
    Voila.launch_instance(argv=voila_arguments(args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
