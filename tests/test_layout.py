"""The tree: one concern a folder, no import circles (subpackages' __init__ files included),
no file over 600 lines, and objects pickled under the old module names still load."""

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Tensor, Value

ROOT = Path(__file__).resolve().parent.parent


def test_no_import_circles_in_either_package():
    run = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "import_cycles.py"), "autograd", "nn"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stdout
    assert run.stdout.strip() == "no import circles"


def test_the_circle_finder_sees_a_circle_through_a_subpackage_init(tmp_path):
    # pkg.a.x imports pkg.b.y; pkg/b/__init__ imports pkg.b.z, which imports pkg.a.x back
    for name, text in {
        "pkg/__init__.py": "", "pkg/a/__init__.py": "", "pkg/b/__init__.py": "from . import z\n",
        "pkg/a/x.py": "def f():\n    from ..b import y\n", "pkg/b/y.py": "",
        "pkg/b/z.py": "from ..a import x\n",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    run = subprocess.run([sys.executable, str(ROOT / ".ci" / "import_cycles.py"), "pkg"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 1
    assert "pkg.a.x" in run.stdout and "pkg.b" in run.stdout


@pytest.mark.parametrize("package", ["autograd", "nn"])
def test_no_file_over_600_lines(package):
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / package).rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 600}
    assert not long


@pytest.mark.parametrize("folder", ["autograd/tensor", "autograd/viz", "nn/training",
                                    "nn/compile", "nn/plots"])
def test_each_subpackage_says_what_lives_there(folder):
    doc = (ROOT / folder / "__init__.py").read_text()
    for module in (ROOT / folder).glob("*.py"):
        if module.name != "__init__.py":
            assert f"``{module.name}``" in doc, f"{folder}/__init__.py does not name {module.name}"


def _pickled_under(obj, new: str, old: str) -> bytes:
    """``obj`` pickled as if its classes lived in ``old`` (protocol 2 names a class by the text
    ``c<module>\\n<name>\\n``, without frame lengths to keep right)."""
    data = pickle.dumps(obj, protocol=2)
    assert b"c" + new.encode() + b"\n" in data
    return data.replace(b"c" + new.encode() + b"\n", b"c" + old.encode() + b"\n")


def test_objects_pickled_under_the_old_module_names_still_load():
    history = nn.History()
    history.record(1, {"loss": 0.5})
    loaded = pickle.loads(_pickled_under(history, "nn.training.history", "nn.history"))
    assert loaded.history == {"loss": [0.5]}
    x = Tensor(np.arange(3.0), requires_grad=True)
    y = (x * x).sum()
    loaded = pickle.loads(_pickled_under(y, "autograd.tensor.ops", "autograd.tensor_ops"))
    assert float(loaded.data) == 5.0 and loaded.op == y.op


def test_objects_pickle_round_trip_in_the_new_layout():
    v = Value(2.0) * Value(3.0)
    assert pickle.loads(pickle.dumps(v)).data == 6.0
    model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU())
    again = pickle.loads(pickle.dumps(model))
    x = Tensor(np.ones((1, 2), dtype=np.float32))
    np.testing.assert_array_equal(again(x).data, model(x).data)


def test_every_rule_returns_its_shares_so_a_step_record_never_reruns_one():
    """The chain rule has one shape: the walk yields the shares each op added (the scalar
    engine's fused dot included), equal to what its rule gives when asked."""
    from autograd import dot
    from autograd.core import backward_walk, needs_of

    ws = [Value(0.5, label="w1"), Value(-2.0, label="w2")]
    xs = [Value(3.0, label="x1"), Value(1.5, label="x2")]
    b = Value(0.25, label="b")
    out = (dot(ws, xs, b).tanh() * dot(xs, ws)).relu()
    walk = backward_walk([out], [1.0], retain_graph=True, create_graph=False)
    seen = 0
    for node, upstream, shares in walk:
        assert shares is not None, node.op
        raw = [p.data if hasattr(p, "data") else p for p in node._parents]
        again = node._fn.gradients(node._math, upstream, node.data, raw, needs_of(node._parents))
        assert [float(s) for s in shares] == pytest.approx([float(a) for a in again])
        seen += node.op.startswith("dot")
    assert seen == 2
    assert ws[0].grad is not None and xs[1].grad is not None


def test_nn_exports_exactly_what_its_modules_export():
    """``nn.__all__`` is written out (type checkers read a literal); it must stay the union of
    the modules' own lists, each name importable."""
    import importlib

    mods = ["module", "scalar", "layers", "losses", "optim", "schedules", "metrics",
            "torch_bridge", "plots", "training.data", "training.fit", "training.predict",
            "training.callbacks", "training.search", "conv"]  # fmt: skip
    expected = {"datasets", "compile_step", "playground"}
    for m in mods:
        expected |= set(importlib.import_module(f"nn.{m}").__all__)
    assert set(nn.__all__) == expected
    assert len(nn.__all__) == len(expected)
    for name in nn.__all__:
        assert getattr(nn, name) is not None


@pytest.mark.parametrize(
    "package, parts",
    [
        ("autograd", ["core", "modes", "value", "tensor", "check", "viz"]),
        ("autograd.tensor", ["tensor.tensor", "tensor.functions", "tensor.conv", "tensor.pool"]),
        ("autograd.viz", ["viz.draw", "viz.formula", "viz.steps", "viz.stepper"]),
        ("nn.plots", ["figures", "animate", "conv"]),
    ],
)
def test_autograd_exports_exactly_what_its_modules_export(package, parts):
    """Each ``__all__`` of autograd's packages is literal; it stays the union of its modules'."""
    import importlib

    pkg = importlib.import_module(package)
    expected: set = set()
    for part in parts:
        where = f"nn.plots.{part}" if package == "nn.plots" else f"autograd.{part}"
        expected |= set(importlib.import_module(where).__all__)
    if package == "autograd":
        expected |= {"functional", *importlib.import_module("autograd.functional").__all__} - {
            "grad"
        }
        expected.add("grad")  # autograd.grad is the core's (PyTorch's), not functional's
    assert set(pkg.__all__) == expected
    assert len(pkg.__all__) == len(expected)
