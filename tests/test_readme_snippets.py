"""The README's code runs as written: each ```python block, in a fresh interpreter (in a
temporary directory: a block may save files), must exit cleanly."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / ".ci"))
import readme_snippets  # noqa: E402

BLOCKS = readme_snippets.blocks()


def test_the_readme_has_its_tour():
    assert len(BLOCKS) >= 5
    assert "a * b" in BLOCKS[0] and "backward()" in BLOCKS[0]


# What a block needs beyond numpy and graphviz (the optional extras), by what it calls.
NEEDS = {"datasets.digits": "sklearn", ".plot()": "matplotlib"}


@pytest.mark.parametrize("n", range(1, len(BLOCKS) + 1))
def test_readme_block_runs(n, tmp_path):
    for call, module in NEEDS.items():  # a venv without the extras (.ci/install_check.py)
        if call in BLOCKS[n - 1]:
            pytest.importorskip(module)
    (path,) = [p for p in readme_snippets.write(tmp_path) if p.name == f"readme_{n}.py"]
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, f"README block {n} failed:\n{run.stderr[-3000:]}"
