"""Write the teaching notebooks (``notebooks/*.ipynb``) from their sources in ``notebooks/src/``.

Each source is a plain Python file in the "percent" format that Jupytext, VS Code and Spyder read:
``# %%`` starts a code cell and ``# %% [markdown]`` a markdown cell whose lines are comments.
The sources are what to review and edit; the notebooks are generated, without outputs, with
stable cell ids (so regenerating an unchanged source gives the same file).

    python notebooks/build.py            # write every notebook
    python notebooks/build.py --check    # exit 1 if a notebook differs from its source
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "src"
CODE, MARKDOWN = "# %%", "# %% [markdown]"

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def _trim(lines: list[str]) -> list[str]:
    """Drop blank lines at both ends."""
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _uncomment(line: str) -> str:
    """A markdown line out of its comment: '# text' -> 'text', '#' -> ''."""
    if line.startswith("# "):
        return line[2:]
    if line.rstrip() == "#":
        return ""
    raise ValueError(f"a markdown cell line must start with '# ': {line!r}")


def parse(text: str) -> list[tuple[str, str]]:
    """The cells of a percent-format source, as ``(kind, source)`` pairs."""
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        marker = line.rstrip()
        if marker == MARKDOWN:
            cells.append(("markdown", []))
        elif marker == CODE:
            cells.append(("code", []))
        elif cells:
            cells[-1][1].append(line)
        elif line.strip() and not line.startswith("#"):
            raise ValueError(f"code before the first cell marker: {line!r}")
    result = []
    for kind, lines in cells:
        lines = _trim(lines)
        if kind == "markdown":
            lines = [_uncomment(line) for line in lines]
        if lines:
            result.append((kind, "\n".join(lines)))
    return result


def build(source: Path) -> nbformat.NotebookNode:
    """The notebook of one source file, without outputs."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    for i, (kind, text) in enumerate(parse(source.read_text(encoding="utf-8"))):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        nb.cells.append(make(text, id=f"cell-{i:02d}"))
    nbformat.validate(nb)
    return nb


def main() -> int:
    """Write (or, with --check, compare) every notebook."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report out-of-date notebooks")
    args = parser.parse_args()
    stale = []
    for source in sorted(SOURCES.glob("*.py")):
        target = HERE / (source.stem + ".ipynb")
        text = nbformat.writes(build(source)) + "\n"
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        stale.append(target.name)
        if not args.check:
            tmp = target.with_suffix(".ipynb.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)
    verb = "out of date" if args.check else "written"
    print(f"{verb}: {', '.join(stale)}" if stale else "all notebooks up to date")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
