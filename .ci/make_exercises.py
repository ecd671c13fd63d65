"""Write each exercise notebook twice from its one source, ``notebooks/exercises/src/NN_name.py``:
the student's ``notebooks/exercises/NN_name.ipynb`` and ``notebooks/exercises/solutions/
NN_name.ipynb``. ``make exercises`` runs it on every source; ``tests/test_exercises.py`` checks
that the committed notebooks are what it makes.

In a source, the code between a ``# BEGIN SOLUTION`` line and an ``# END SOLUTION`` line is the
answer: the solution keeps it (without the two marker lines), the student's version has, in
its place and at its indentation, ``# YOUR CODE HERE`` and ``raise NotImplementedError``, a blank
that still runs (the grader reports it as not done yet). The notebooks themselves are written by
``make_notebooks.write`` (jupytext, stable cell ids, no outputs), as the teaching notebooks are.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_notebooks import write  # noqa: E402

EXERCISES = Path(__file__).resolve().parent.parent / "notebooks" / "exercises"
BLOCK = re.compile(r"^([ \t]*)# BEGIN SOLUTION\n.*?^[ \t]*# END SOLUTION\n", re.M | re.S)
MARKER = re.compile(r"^[ \t]*# (BEGIN|END) SOLUTION\n", re.M)


def student(text: str) -> str:
    """The source with every solution block replaced by a blank that raises."""
    return BLOCK.sub(lambda m: f"{m[1]}# YOUR CODE HERE\n{m[1]}raise NotImplementedError\n", text)


def solution(text: str) -> str:
    """The source without its marker lines."""
    return MARKER.sub("", text)


def check_markers(source: Path, text: str) -> None:
    """Raise unless the markers pair up, BEGIN then END, never nested."""
    depth = 0
    for k, line in enumerate(text.splitlines(), 1):
        if line.strip() in ("# BEGIN SOLUTION", "# END SOLUTION"):
            depth += 1 if "BEGIN" in line else -1
            if depth not in (0, 1):
                raise ValueError(f"{source}:{k}: solution markers unpaired or nested")
    if depth:
        raise ValueError(f"{source}: a '# BEGIN SOLUTION' without its '# END SOLUTION'")


def make(source: Path, out_dir: Path = EXERCISES) -> tuple[Path, Path]:
    """The student's and the solution's notebooks of ``source``, written into ``out_dir`` and
    ``out_dir / 'solutions'``."""
    text = source.read_text(encoding="utf-8")
    check_markers(source, text)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for version, folder in ((student, out_dir), (solution, out_dir / "solutions")):
            staged = Path(tmp) / source.name
            staged.write_text(version(text), encoding="utf-8")
            folder.mkdir(parents=True, exist_ok=True)
            written.append(write(staged, folder))
    return written[0], written[1]


if __name__ == "__main__":
    sources = [Path(arg) for arg in sys.argv[1:]] or sorted((EXERCISES / "src").glob("*.py"))
    for path in sources:
        for target in make(path):
            print("wrote", target.relative_to(EXERCISES.parent.parent))
