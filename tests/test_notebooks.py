"""The teaching notebooks are committed as generated: in sync with their sources, without outputs.

Running them is nbmake's job (``pytest --nbmake notebooks``); this module checks what nbmake does
not: that each ``notebooks/*.ipynb`` is exactly what ``notebooks/build.py`` makes from
``notebooks/src/*.py`` (so a review of the source is a review of the notebook), and that no
notebook carries stale outputs or execution counts.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SOURCES = sorted((NOTEBOOKS / "src").glob("*.py"))


def _build_module():
    spec = importlib.util.spec_from_file_location("notebook_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_source_has_a_notebook_and_back():
    made = {p.stem for p in SOURCES}
    committed = {p.stem for p in NOTEBOOKS.glob("*.ipynb")}
    assert made, "no notebook sources found"
    assert made == committed


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_matches_its_source(source):
    build = _build_module()
    expected = nbformat.writes(build.build(source)) + "\n"
    actual = (NOTEBOOKS / f"{source.stem}.ipynb").read_text(encoding="utf-8")
    assert actual == expected, f"run `python notebooks/build.py` to regenerate {source.stem}"


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebook_has_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code, f"{path.name} has no code cells"
    assert all(cell.outputs == [] for cell in code), f"{path.name} has outputs"
    assert all(cell.execution_count is None for cell in code), f"{path.name} has counts"


def test_parse_splits_cells_and_uncomments_markdown():
    build = _build_module()
    text = "# %% [markdown]\n# # Title\n#\n# text\n\n# %%\nx = 1\n\n\n# %%\nprint(x)\n"
    assert build.parse(text) == [
        ("markdown", "# Title\n\ntext"),
        ("code", "x = 1"),
        ("code", "print(x)"),
    ]
    with pytest.raises(ValueError, match="must start with"):
        build.parse("# %% [markdown]\nnot a comment\n")


OUR_PACKAGES = ("autograd", "nn")


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_imports_only_the_public_api(source):
    """Every name a notebook imports from chainrule is listed in its module's ``__all__``, and
    every module it imports from is a public one (the package, or a module the package lists)."""
    import ast
    import importlib

    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module.split(".")[0] in OUR_PACKAGES:
            package, _, sub = node.module.partition(".")
            if sub:
                assert sub in importlib.import_module(package).__all__, node.module
            public = importlib.import_module(node.module).__all__
            for alias in node.names:
                assert alias.name in public, f"{source.name}: {node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name.split(".")[0] not in OUR_PACKAGES or alias.name in OUR_PACKAGES
