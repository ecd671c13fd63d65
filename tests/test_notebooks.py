"""The teaching notebooks are committed as generated: in sync with their sources, without outputs.

Running them is nbmake's job (``pytest --nbmake notebooks``); this module checks what nbmake does
not: that each ``notebooks/*.ipynb`` is what jupytext makes from ``notebooks/src/*.py`` (``make
notebooks``), so a review of the source is a review of the notebook, that its cell ids are the
stable ``cell-00``, ``cell-01``, ... and that no notebook carries stale outputs or execution counts.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
jupytext = pytest.importorskip("jupytext")
from jupytext.compare import NotebookDifference, compare_notebooks  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SOURCES = sorted((NOTEBOOKS / "src").glob("*.py"))
REGENERATE = "run `make notebooks` to regenerate it from notebooks/src/"
# The notebook metadata `make notebooks` writes (the sources carry none).
METADATA = {
    "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
    "language_info": {"name": "python"},
}


def _from_source(text: str):
    """What jupytext reads from a source, with the metadata `make notebooks` gives it."""
    notebook = jupytext.reads(text, fmt="py:percent")
    notebook.metadata = dict(METADATA)
    return notebook


def _as_percent(notebook) -> str:
    """A notebook written back in the percent format, without jupytext's header."""
    notebook.metadata["jupytext"] = {"notebook_metadata_filter": "-all"}
    return jupytext.writes(notebook, fmt="py:percent")


def test_every_source_has_a_notebook_and_back():
    made = {p.stem for p in SOURCES}
    committed = {p.stem for p in NOTEBOOKS.glob("*.ipynb")}
    assert made, "no notebook sources found"
    assert made == committed


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_matches_its_source(source):
    """The committed notebook has the source's cells (jupytext's own comparison), and written back
    in the percent format it is the source, byte for byte (the diff says where not)."""
    path = NOTEBOOKS / f"{source.stem}.ipynb"
    committed = jupytext.read(path)
    text = source.read_text(encoding="utf-8")
    compare_notebooks(committed, _from_source(text), fmt="py:percent")
    back = _as_percent(committed)
    diff = "".join(
        difflib.unified_diff(
            text.splitlines(keepends=True), back.splitlines(keepends=True), str(source), path.name
        )
    )
    assert back == text, f"{path.name} differs from its source; {REGENERATE}\n{diff}"


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebook_has_no_outputs_and_stable_ids(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code, f"{path.name} has no code cells"
    assert all(cell.outputs == [] for cell in code), f"{path.name} has outputs; {REGENERATE}"
    assert all(cell.execution_count is None for cell in code), f"{path.name} has counts"
    ids = [cell.get("id") for cell in nb.cells]
    assert ids == [f"cell-{i:02d}" for i in range(len(nb.cells))], f"{path.name}: {REGENERATE}"
    assert nb.metadata == METADATA, f"{path.name}: notebook metadata; {REGENERATE}"


def test_a_changed_source_is_caught():
    """The comparison is not vacuous: a notebook whose source gained a line no longer matches."""
    source = SOURCES[0]
    committed = jupytext.read(NOTEBOOKS / f"{source.stem}.ipynb")
    text = source.read_text(encoding="utf-8")
    compare_notebooks(committed, _from_source(text), fmt="py:percent")
    changed = text + "\n# %%\nx = 1\n"
    with pytest.raises(NotebookDifference):
        compare_notebooks(committed, _from_source(changed), fmt="py:percent")
    assert _as_percent(committed) == text
    assert _as_percent(committed) != changed


def test_build_script_is_gone():
    """jupytext replaced the hand-written converter."""
    assert not (NOTEBOOKS / "build.py").exists()


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


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_no_markdown_heading_is_swallowed_by_a_code_cell(source):
    """A `# ## Heading` line inside a code cell is a section whose `# %% [markdown]` marker was
    forgotten: the notebook shows it as a comment at the end of the code above."""
    notebook = jupytext.reads(source.read_text(encoding="utf-8"), fmt="py:percent")
    swallowed = [
        f"cell {i}: {line.strip()!r}"
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if re.match(r"#\s*#{1,6}\s+\S", line.strip())
    ]
    assert swallowed == [], f"{source.name}: add a `# %% [markdown]` line before {swallowed}"


def test_a_swallowed_heading_is_caught():
    text = "# %%\nx = 1\n#\n# ## A section\n#\n# Some words.\n"
    cells = jupytext.reads(text, fmt="py:percent").cells
    assert [c.cell_type for c in cells] == ["code"]
    assert re.match(r"#\s*#{1,6}\s+\S", cells[0].source.splitlines()[2].strip())


WIDGET_SOURCES = [s for s in SOURCES if 'tags=["widget"]' in s.read_text(encoding="utf-8")]


@pytest.mark.parametrize("source", WIDGET_SOURCES, ids=lambda p: p.stem)
def test_notebook_runs_without_its_widget_cells(source, tmp_path):
    """The site leaves out cells tagged ``widget`` (mkdocs.yml): the rest must run without
    them (notebook 01 once read a name only its widget cell made)."""
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(NOTEBOOKS / f"{source.stem}.ipynb", as_version=4)
    notebook.cells = [c for c in notebook.cells if "widget" not in c.metadata.get("tags", [])]
    assert len(notebook.cells) < len(nbformat.read(NOTEBOOKS / f"{source.stem}.ipynb", 4).cells)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()  # fmt: skip
