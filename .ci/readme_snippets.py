"""The README's Python code blocks as files, for the type checkers and the tests.

    python .ci/readme_snippets.py OUT_DIR      # writes OUT_DIR/readme_1.py, readme_2.py, ...

Each ```python block becomes one module (blocks are independent: each does its own imports).
``make lint`` runs mypy and pyright on them; tests/test_readme_snippets.py runs them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks(readme: Path = README) -> list[str]:
    """The code of each ```python block of ``readme``, in order."""
    return BLOCK.findall(readme.read_text(encoding="utf-8"))


def write(out: Path) -> list[Path]:
    """Write each block to ``out/readme_<n>.py``; return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, code in enumerate(blocks(), 1):
        path = out / f"readme_{n}.py"
        path.write_text(f"# README.md, Python block {n}\n{code}", encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for p in write(Path(sys.argv[1])):
        print(p)
