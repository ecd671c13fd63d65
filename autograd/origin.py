"""Where this ``autograd`` package came from: chainrule's version, and the check that it was not
installed over (or under) HIPS autograd, the PyPI package that has the same import name.

pip lets the two overwrite each other's files in ``site-packages/autograd/`` without a word.
With HIPS installed over chainrule, ``import autograd`` runs HIPS's code (``nn`` sees that: its
``__init__`` checks :data:`MARKER`). With chainrule installed over HIPS, chainrule's
``__init__`` runs among HIPS's leftover modules, and packages that need HIPS (lifelines, ...)
break: :func:`check_not_mixed`, run when this module is imported, finds HIPS's metadata
claiming this very folder and raises.
"""

from __future__ import annotations

import os
from importlib import metadata

__all__ = ["MARKER", "FIX", "check_not_mixed", "package_version"]

# The attribute chainrule's ``autograd`` sets to True; HIPS autograd has no such name.
MARKER = "__chainrule__"

FIX = (
    "The two packages cannot share one environment. Keep chainrule in a virtual environment of "
    "its own (python -m venv .venv && .venv/bin/pip install chainrule), or, to keep chainrule "
    "here, remove both and reinstall it: pip uninstall -y autograd chainrule && "
    "pip install chainrule (packages that need HIPS autograd, e.g. lifelines, then stop working "
    "in this environment)."
)


def package_version(distribution: str = "chainrule") -> str:
    """The installed version of ``distribution``, or ``"0+unknown"`` when it is not installed
    (the source tree on ``sys.path``)."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def check_not_mixed(init_file: str) -> None:
    """Raise ``ImportError`` when HIPS autograd's metadata (distribution ``autograd``) says it
    owns ``init_file``, this package's ``__init__.py``: the two were installed into one folder."""
    try:
        hips = metadata.distribution("autograd")
    except metadata.PackageNotFoundError:
        return
    claimed = hips.locate_file("autograd/__init__.py")
    try:
        same = os.path.samefile(str(claimed), init_file)  # a path-like of the metadata's own
    except OSError:
        return
    if same:
        folder = os.path.dirname(init_file)
        raise ImportError(
            f"chainrule's autograd was installed over HIPS autograd {hips.version} (PyPI "
            f"package 'autograd') in {folder}: both install a package named 'autograd', and "
            f"their files are now mixed. {FIX}"
        )


# Importing this module (autograd/__init__.py does) is the check.
check_not_mixed(os.path.join(os.path.dirname(os.path.abspath(__file__)), "__init__.py"))
