"""Write each notebook from its percent-format source (``notebooks/src/NN_name.py`` ->
``notebooks/NN_name.ipynb``) with jupytext: no outputs, cell ids numbered cell-00, cell-01, ...
so that an unchanged source gives the same file. ``make notebooks`` runs it on every source;
``tests/test_notebooks.py`` checks that the committed notebooks are what it makes."""

import sys
from pathlib import Path

import jupytext

KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def write(source: Path, out_dir: Path | None = None) -> Path:
    """The notebook of ``source``, written beside its ``src/`` folder (or into ``out_dir``)."""
    nb = jupytext.read(source, fmt="py:percent")
    nb.metadata = {"kernelspec": KERNEL, "language_info": {"name": "python"}}
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:02d}"
    target = (out_dir or source.parent.parent) / f"{source.stem}.ipynb"
    jupytext.write(nb, target, fmt="ipynb")
    return target


if __name__ == "__main__":
    for path in map(Path, sys.argv[1:]):
        print("wrote", write(path))
