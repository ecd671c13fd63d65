"""Sharp edges of ``nn``: frozen parameters, clashing names, batches given to the scalar MLP,
integral float labels, and float64 data fed to float32 layers."""

import numpy as np
import pytest

import nn
from autograd import Value
from autograd.tensor import Tensor


def _frozen_model():
    m = nn.Sequential(nn.Linear(3, 2, seed=0), nn.ReLU(), nn.Linear(2, 1, seed=1))
    m[0].weight.requires_grad_(False)
    return m


def test_frozen_parameter_kept_in_state_dict_and_checkpoint(tmp_path):
    m = _frozen_model()
    assert "0.weight" in m.state_dict()
    path = tmp_path / "m.npz"
    m.save(path)
    fresh = nn.Sequential(nn.Linear(3, 2, seed=5), nn.ReLU(), nn.Linear(2, 1, seed=6))
    fresh.load(path)
    np.testing.assert_array_equal(fresh[0].weight.data, m[0].weight.data)


def test_optimizer_skips_frozen_parameters():
    m = _frozen_model()
    before = m[0].weight.data.copy()
    last = m[2].weight.data.copy()
    assert any(p is m[0].weight for p in m.parameters())
    opt = nn.SGD([m[0].weight, *m.parameters()[1:]], lr=0.1)
    x = Tensor(np.ones((4, 3)))
    opt.zero_grad()
    (m(x) ** 2).sum().backward()
    opt.step()
    np.testing.assert_array_equal(m[0].weight.data, before)
    assert not np.array_equal(m[2].weight.data, last)


class _Named(nn.Module):
    def __init__(self):
        self.file = Value(1.5)
        self.allow_pickle = Value(2.5)


def test_parameter_names_that_clash_with_savez(tmp_path):
    m = _Named()
    path = tmp_path / "named.npz"
    m.save(path)
    fresh = _Named()
    fresh.file.data = 0.0
    fresh.allow_pickle.data = 0.0
    fresh.load(path)
    assert fresh.file.data == 1.5 and fresh.allow_pickle.data == 2.5


@pytest.mark.parametrize("batch", [np.zeros((3, 2)), [[0.0, 1.0], [1.0, 0.0]]])
def test_scalar_mlp_rejects_a_batch_clearly(batch):
    m = nn.MLP(2, [2, 1], seed=0)
    with pytest.raises((TypeError, ValueError), match="one sample at a time") as info:
        m(batch)
    assert "nn.Linear" in str(info.value) and "nn.fit" in str(info.value)


def test_scalar_mlp_wrong_length_is_clear():
    m = nn.MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match="2 inputs"):
        m([1.0, 2.0, 3.0])
    assert isinstance(m(np.array([1.0, 2.0])), Value)


def test_cross_entropy_accepts_integral_float_labels():
    logits = Tensor(np.array([[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]]), requires_grad=True)
    y = np.array([1, 2])
    expected = nn.cross_entropy(logits, y).data
    np.testing.assert_allclose(nn.cross_entropy(logits, Tensor(y)).data, expected)
    as_float64 = Tensor(y, dtype=np.float64)
    np.testing.assert_allclose(nn.cross_entropy(logits, as_float64).data, expected)


def test_cross_entropy_rejects_non_integral_float_labels():
    logits = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="not whole numbers"):
        nn.cross_entropy(logits, Tensor(np.array([0.5, 1.0])))


def test_linear_casts_float64_input_to_its_dtype():
    layer = nn.Linear(3, 2, seed=0)
    assert layer(np.ones((4, 3))).data.dtype == np.float32
    x = Tensor(np.ones((4, 3)), requires_grad=True, dtype=np.float64)
    out = layer(x)
    assert out.data.dtype == np.float32
    out.sum().backward()
    assert x.grad is not None and x.grad.shape == (4, 3)
    assert np.asarray(x.grad).dtype == np.float64
    expected = np.broadcast_to(layer.weight.data.sum(axis=0), (4, 3))
    np.testing.assert_allclose(x.grad, expected, rtol=1e-6)
