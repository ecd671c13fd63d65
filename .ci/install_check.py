"""CI's proof that chainrule installs (issue 28, item 17), run by ``.ci/run`` after ``make test``.

1. Build the sdist and, from it, the wheel (``python -m build`` in a throwaway virtualenv), and
   check their metadata: the PEP 639 license, the LICENSE file in both, ``py.typed``.
2. Install the wheel with its ``plots`` and ``datasets`` extras into a fresh virtualenv outside
   the repository and run the README's ``python`` code blocks there, in order, as one script.
3. On every other CPython 3.10-3.13 found on the machine (``/usr/bin/python3.*``, pyenv's), a
   fresh virtualenv with the wheel, pytest and hypothesis runs the torch-free tests against the
   installed package; the lowest of them gets exactly the lowest numpy ``pyproject.toml`` allows.

Packages come from the index pip is configured with (PyPI on CI). Prints what ran, and exits
non-zero if anything failed. ``--keep`` keeps the work folder; ``--skip-pythons`` does steps 1-2.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A test file naming one of these needs more than the wheel, pytest and hypothesis.
OPTIONAL = "|".join(
    ["torch", "sklearn", "matplotlib", "playwright", "nbclient", "nbformat", "jupytext"]
    + ["tqdm", "micrograd", "ipywidgets", "nbmake"]
)
MINORS = range(10, 14)  # CPython 3.10 to 3.13


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    """Run ``cmd``, echoing it; output is shown (CI reads it), failures raise."""
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def venv(python: str, where: str, packages: list[str]) -> str:
    """A fresh virtualenv made by ``python`` at ``where`` with ``packages``; its python."""
    run([python, "-m", "venv", where])
    py = os.path.join(where, "bin", "python")
    run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *packages])
    return py


def build(work: str) -> tuple[str, str]:
    """The sdist and the wheel built from it; their metadata checked."""
    py = venv(sys.executable, os.path.join(work, "build-env"), ["build"])
    dist = os.path.join(work, "dist")
    run([py, "-m", "build", "--outdir", dist, ROOT], stdout=subprocess.DEVNULL)
    (sdist,) = glob.glob(os.path.join(dist, "chainrule-*.tar.gz"))
    (wheel,) = glob.glob(os.path.join(dist, "chainrule-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    with tarfile.open(sdist) as tf:
        in_sdist = [n.split("/", 1)[-1] for n in tf.getnames()]
    problems = [
        what
        for what, ok in [
            ("METADATA lacks 'License-Expression: MIT'", "License-Expression: MIT" in meta),
            ("METADATA lacks 'License-File: LICENSE'", "License-File: LICENSE" in meta),
            ("METADATA lacks 'Classifier: Typing :: Typed'", "Typing :: Typed" in meta),
            ("the wheel lacks LICENSE", any(n.endswith("licenses/LICENSE") for n in names)),
            ("the wheel lacks autograd/py.typed", "autograd/py.typed" in names),
            ("the wheel lacks nn/py.typed", "nn/py.typed" in names),
            ("the wheel holds tests/", not any(n.startswith("tests/") for n in names)),
            *((f"the wheel lacks {m}", m in names) for m in source_modules()),
            ("the sdist lacks LICENSE", "LICENSE" in in_sdist),
        ]
        if not ok
    ]
    if problems:
        raise SystemExit("install check: " + "; ".join(problems))
    print(f"built {os.path.basename(sdist)} and {os.path.basename(wheel)}: metadata checked")
    return sdist, wheel


def source_modules() -> list[str]:
    """Every module of the two packages, as a path inside the wheel."""
    found = []
    for package in ("autograd", "nn"):
        for folder, _, files in os.walk(os.path.join(ROOT, package)):
            rel = os.path.relpath(folder, ROOT)
            found += [f"{rel}/{f}".replace(os.sep, "/") for f in files if f.endswith(".py")]
    return sorted(found)


def readme_blocks() -> list[str]:
    """The README's ```python code blocks, in order."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        return re.findall(r"^```python\n(.*?)^```", f.read(), flags=re.M | re.S)


def check_readme(work: str, py: str) -> None:
    """The README's code, run by ``py`` (a fresh virtualenv holding the wheel)."""
    here = os.path.join(work, "readme")
    os.makedirs(here)
    blocks = readme_blocks()
    header = (
        "import nn, autograd\n"
        f"assert nn.__file__.startswith({work!r}), nn.__file__\n"
        "print('chainrule', nn.__version__, 'from', nn.__file__)\n"
    )
    with open(os.path.join(here, "readme.py"), "w", encoding="utf-8") as f:
        f.write(header + "\n".join(blocks))
    env = {**clean_env(), "MPLBACKEND": "Agg"}
    run([py, "readme.py"], cwd=here, env=env, stdout=subprocess.DEVNULL)
    print(f"README: {len(blocks)} python blocks ran against the installed wheel")


def clean_env() -> dict[str, str]:
    """The environment without PYTHONPATH and the repo's virtualenv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


def interpreters() -> dict[int, str]:
    """``{minor: python}`` for the CPython 3.10-3.13 found, the running one's minor left out."""
    found: dict[int, str] = {}
    candidates = sorted(glob.glob("/usr/bin/python3.*"))
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3")))
    for path in candidates:
        if not re.search(r"python3(\.\d+)?$", path) or not os.access(path, os.X_OK):
            continue
        try:
            out = subprocess.run(
                [
                    path,
                    "-c",
                    "import sys, venv; print(sys.implementation.name, *sys.version_info[:2])",
                ],
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout.split()
        except (OSError, subprocess.TimeoutExpired):
            continue
        if len(out) == 3 and out[0] == "cpython" and out[1] == "3" and int(out[2]) in MINORS:
            found.setdefault(int(out[2]), path)
    found.pop(sys.version_info[1], None)
    return found


def numpy_floor() -> str:
    """The lowest numpy ``pyproject.toml`` allows (its ``numpy>=X``)."""
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
        match = re.search(r'"numpy>=([0-9.]+)"', f.read())
    if not match:
        raise SystemExit("install check: no numpy>=X in pyproject.toml")
    return match.group(1)


def torch_free_tests() -> list[str]:
    """The test files that import none of the optional packages (they need numpy only)."""
    files = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "test_*.py"))):
        with open(path, encoding="utf-8") as f:
            if not re.search(rf"\b({OPTIONAL})\b", f.read()):
                files.append(path)
    return files


def check_python(work: str, minor: int, python: str, py: str) -> bool:
    """The torch-free tests run by ``py`` (a virtualenv of ``python`` holding the wheel);
    whether they passed."""
    env = {**clean_env(), "HYPOTHESIS_MAX_EXAMPLES": "10"}
    where = subprocess.run(
        [py, "-c", "import nn, numpy; print(nn.__file__, numpy.__version__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
    ).stdout.strip()
    print(f"Python 3.{minor} ({python}): chainrule and numpy from {where}", flush=True)
    tests = torch_free_tests()
    result = subprocess.run(
        [py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not docs", *tests],
        env=env,
        cwd=work,
    )
    return result.returncode == 0


def main() -> int:
    """Build, install, run; print what ran."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--skip-pythons", action="store_true", help="only build and README")
    args = parser.parse_args()
    start = time.monotonic()
    work = tempfile.mkdtemp(prefix="chainrule-install-")
    summary = []
    ok = True
    try:
        _, wheel = build(work)
        summary.append("wheel and sdist built, metadata checked")
        found = {} if args.skip_pythons else interpreters()
        lowest = min(found, default=None)
        pins = {m: numpy_floor() if m == lowest else None for m in found}
        # The virtualenvs are made at once (pip waits on the network, not the CPU) ...
        jobs = {"readme": (sys.executable, "readme-env", [f"{wheel}[plots,datasets]"])}
        for minor, python in found.items():
            numpy = [f"numpy=={pins[minor]}"] if pins[minor] else []
            jobs[minor] = (python, f"py3{minor}", [wheel, "pytest", "hypothesis", *numpy])
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            futures = {
                k: pool.submit(venv, python, os.path.join(work, name), packages)
                for k, (python, name, packages) in jobs.items()
            }
            envs = {k: f.result() for k, f in futures.items()}
        print(f"virtualenvs ready ({time.monotonic() - start:.0f} s)", flush=True)
        # ... and used one after the other (the tests want the CPU).
        check_readme(work, envs["readme"])
        summary.append(f"README code ran on Python 3.{sys.version_info[1]} from the wheel")
        for minor, python in sorted(found.items()):
            passed = check_python(work, minor, python, envs[minor])
            ok &= passed
            pin = f", numpy=={pins[minor]}" if pins[minor] else ""
            verdict = "passed" if passed else "FAILED"
            summary.append(f"Python 3.{minor}{pin}: torch-free tests {verdict}")
        missing = [f"3.{m}" for m in MINORS if m not in found and m != sys.version_info[1]]
        if missing and not args.skip_pythons:
            summary.append(f"not found on this machine: Python {', '.join(missing)}")
    finally:
        if args.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\ninstall check ({time.monotonic() - start:.0f} s):")
    for line in summary:
        print(f"  {line}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
