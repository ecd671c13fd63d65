"""Module: parameter discovery, train/eval, state_dict, atomic save and safe load, repr."""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest

import nn
from autograd import Value


class Shared(nn.Module):
    """Two references to one sub-module and one parameter listed twice."""

    def __init__(self) -> None:
        self.a = nn.Neuron(2, seed=0)
        self.b = self.a
        self.extra = [self.a.b, Value(3.0)]

    def forward(self, x):
        return self.a(x) + self.extra[1]


def test_parameters_unique_and_ordered():
    m = Shared()
    params = m.parameters()
    assert len(params) == 4  # w1, w2, b of the neuron, then the extra Value
    assert len({id(p) for p in params}) == 4
    names = [name for name, _ in m.named_parameters()]
    assert names == ["a.w.0", "a.w.1", "a.b", "extra.1"]


def test_named_parameters_of_mlp_match_parameters():
    m = nn.MLP(3, [4, 2], seed=1)
    assert [p for _, p in m.named_parameters()] == m.parameters()
    assert len(m.parameters()) == (3 + 1) * 4 + (4 + 1) * 2
    assert m.num_parameters() == 26


def test_zero_grad_resets_value_grads():
    m = nn.MLP(2, [3, 1], seed=0)
    m([1.0, -2.0]).backward()
    assert any(p.grad != 0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad == 0.0 for p in m.parameters())


def test_train_eval_propagates_to_every_submodule():
    m = nn.MLP(2, [3, 1], seed=0)
    assert m.training
    assert m.eval() is m
    assert not any(mod.training for _, mod in m.named_modules())
    m.train()
    assert all(mod.training for _, mod in m.named_modules())
    m.train(False)
    assert not m.layers[1].neurons[0].training


def test_state_dict_roundtrip_and_independent_copy():
    a, b = nn.MLP(2, [4, 1], seed=0), nn.MLP(2, [4, 1], seed=1)
    state = a.state_dict()
    assert all(isinstance(v, np.ndarray) and v.shape == () for v in state.values())
    a.parameters()[0].data += 100.0  # later changes must not leak into the saved copy
    assert state["layers.0.neurons.0.w.0"] != a.parameters()[0].data
    result = b.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for p, v in zip(b.parameters(), state.values()):
        assert type(p.data) is float and p.data == float(v)
    x = [0.3, -0.7]
    assert b(x).data == pytest.approx(nn.MLP(2, [4, 1], seed=0)(x).data)


def test_load_state_dict_strict_errors_name_the_key_and_leave_model_unchanged():
    m = nn.MLP(2, [2, 1], seed=0)
    before = [p.data for p in m.parameters()]
    state = m.state_dict()
    changed = {k: v + 1 for k, v in state.items()}
    missing = dict(changed)
    del missing["layers.1.neurons.0.b"]
    with pytest.raises(ValueError, match="missing keys: layers.1.neurons.0.b"):
        m.load_state_dict(missing)
    with pytest.raises(ValueError, match="unexpected keys: bogus"):
        m.load_state_dict({**changed, "bogus": np.array(1.0)})
    with pytest.raises(ValueError, match=r"shape mismatch for 'layers.0.neurons.0.w.0'.*\(2,\)"):
        m.load_state_dict({**changed, "layers.0.neurons.0.w.0": np.zeros(2)})
    with pytest.raises(ValueError, match="not numbers"):
        m.load_state_dict({**changed, "layers.0.neurons.0.b": np.array("x")})
    assert [p.data for p in m.parameters()] == before


def test_load_state_dict_non_strict_reports_keys():
    m = nn.MLP(2, [2, 1], seed=0)
    state = m.state_dict()
    del state["layers.0.neurons.0.b"]
    state["other"] = np.array(2.0)
    state["layers.1.neurons.0.b"] = np.array(7.0)
    result = m.load_state_dict(state, strict=False)
    assert result.missing_keys == ["layers.0.neurons.0.b"]
    assert result.unexpected_keys == ["other"]
    assert m.layers[1].neurons[0].b.data == 7.0


def test_save_load_roundtrip(tmp_path):
    a, b = nn.MLP(2, [5, 1], seed=0), nn.MLP(2, [5, 1], seed=3)
    path = tmp_path / "model.npz"
    a.save(path)
    assert b.load(path) is b
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]
    assert os.listdir(tmp_path) == ["model.npz"]  # no temporary file left behind


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    m = nn.MLP(2, [3, 1], seed=0)
    path = tmp_path / "ckpt.npz"
    m.save(path)
    good = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        m.save(path)
    assert path.read_bytes() == good  # the old checkpoint survived
    assert os.listdir(tmp_path) == ["ckpt.npz"]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "npy", "pickle", "empty"])
def test_load_rejects_bad_files_and_leaves_model_unchanged(tmp_path, damage):
    m = nn.MLP(2, [3, 1], seed=0)
    path = tmp_path / "bad.npz"
    m.save(path)
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x00\x01 not a zip at all" * 10)
    elif damage == "npy":
        np.save(tmp_path / "single.npy", np.zeros(3))
        os.replace(tmp_path / "single.npy", path)
    elif damage == "pickle":
        np.savez(path, **{"layers.0.neurons.0.b": np.array([object()], dtype=object)})
    else:
        path.write_bytes(b"")
    before = [p.data for p in m.parameters()]
    with pytest.raises(nn.CheckpointError, match=r"bad\.npz.*not a valid checkpoint"):
        m.load(path)
    assert [p.data for p in m.parameters()] == before


def test_load_of_checkpoint_with_a_corrupt_member(tmp_path):
    m = nn.MLP(2, [3, 1], seed=0)
    path = tmp_path / "c.npz"
    m.save(path)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    data = bytearray(path.read_bytes())
    start = data.find(names[3].encode()) + len(names[3]) + 40  # inside the 4th array
    data[start : start + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    before = [p.data for p in m.parameters()]
    with pytest.raises(nn.CheckpointError, match="not a valid checkpoint.*CRC"):
        m.load(path)
    assert [p.data for p in m.parameters()] == before


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        nn.MLP(2, [1]).load(tmp_path / "nope.npz")


def test_load_checkpoint_of_another_model_names_the_problem(tmp_path):
    nn.MLP(2, [3, 1], seed=0).save(tmp_path / "small.npz")
    big = nn.MLP(2, [4, 1], seed=0)
    before = [p.data for p in big.parameters()]
    with pytest.raises(ValueError, match=r"small\.npz.*missing keys \(4\): layers.0.neurons.3"):
        big.load(tmp_path / "small.npz")
    assert [p.data for p in big.parameters()] == before


def test_repr_shows_structure_and_parameter_count():
    text = repr(nn.MLP(2, [16, 16, 1], seed=0))
    assert "(layers.0): Layer(nin=2, nout=16, activation='relu')" in text
    assert "(layers.2): Layer(nin=16, nout=1, activation='linear')" in text
    assert text.endswith("# 337 parameters")
    assert repr(nn.Neuron(3, nonlin=False)) == "LinearNeuron(3)  # 4 parameters"


def test_forward_not_defined():
    class Empty(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="Empty does not define forward"):
        Empty()(1)


def test_load_of_a_npy_file_says_so(tmp_path):
    path = tmp_path / "weights.npz"
    with open(path, "wb") as f:
        np.save(f, np.zeros(3))
    with pytest.raises(nn.CheckpointError, match=r"weights\.npz.*a single array \(\.npy\)"):
        nn.MLP(2, [1]).load(path)


def test_load_of_a_checkpoint_that_does_not_fit_names_the_file_and_stays_short(tmp_path):
    nn.MLP(2, [16, 16, 1], seed=0).save(tmp_path / "big.npz")
    small = nn.MLP(3, [2, 1], seed=0)
    with pytest.raises(ValueError) as info:
        small.load(tmp_path / "big.npz")
    message = str(info.value)
    assert "big.npz" in message
    assert "missing keys (2): layers.0.neurons.0.w.2, layers.0.neurons.1.w.2;" in message
    assert "unexpected keys (328): layers.0.neurons.2.w.0," in message
    assert message.endswith("and 323 more") and len(message) < 1000


def test_a_back_reference_to_the_parent_module_is_walked_once():
    class Child(nn.Module):
        def __init__(self, parent):
            self.parent = parent  # a cycle: parent -> child -> parent
            self.w = Value(1.0)

    class Parent(nn.Module):
        def __init__(self):
            self.child = Child(self)
            self.b = Value(2.0)

    m = Parent()
    assert [name for name, _ in m.named_parameters()] == ["child.w", "b"]
    assert [name for name, _ in m.named_modules()] == ["", "child"]
    m.eval()
    assert not m.child.training
    assert "(parent): Parent(...)" in repr(m)


@pytest.mark.parametrize(
    ("content", "says"),
    [(b"hello", "not an .npz archive"), (b"\x80\x04K\x01.", "not an .npz archive"), (b"", "empty")],
    ids=["text", "pickle", "empty"],
)
def test_load_of_a_foreign_file_never_suggests_unpickling_it(tmp_path, content, says):
    path = tmp_path / "notes.npz"
    path.write_bytes(content)
    with pytest.raises(nn.CheckpointError, match=r"notes\.npz' is not a valid checkpoint") as info:
        nn.MLP(2, [1]).load(path)
    assert says in str(info.value)
    assert "pickle" not in str(info.value)


def test_save_into_a_missing_folder_names_the_folder(tmp_path):
    target = tmp_path / "nodir" / "x.npz"
    with pytest.raises(FileNotFoundError, match=r"nodir.*does not exist") as info:
        nn.MLP(2, [1]).save(target)
    assert ".tmp" not in str(info.value)
    assert not (tmp_path / "nodir").exists()
