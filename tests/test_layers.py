"""Tensor layers: Linear (PyTorch's init and layout), Sequential, activations, Dropout, Flatten."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd.tensor import Tensor

torch = pytest.importorskip("torch")


def test_linear_init_is_pytorchs_default_and_seeded():
    layer = nn.Linear(50, 30, seed=0)
    assert layer.weight.shape == (30, 50) and layer.bias.shape == (30,)
    assert layer.weight.dtype == np.float32 and layer.weight.requires_grad
    bound = 1 / np.sqrt(50)
    for p in (layer.weight.data, layer.bias.data):
        assert p.min() >= -bound and p.max() <= bound
    assert layer.weight.data.std() == pytest.approx(bound / np.sqrt(3), rel=0.1)  # uniform
    np.testing.assert_array_equal(layer.weight.data, nn.Linear(50, 30, seed=0).weight.data)
    assert not np.array_equal(layer.weight.data, nn.Linear(50, 30, seed=1).weight.data)
    assert nn.Linear(3, 2, bias=False).bias is None
    assert len(nn.Linear(3, 2, bias=False).parameters()) == 1
    with pytest.raises(ValueError, match="in_features must be a positive int"):
        nn.Linear(0, 3)


def test_manual_seed_makes_unseeded_layers_reproducible():
    nn.manual_seed(123)
    a = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    nn.manual_seed(123)
    b = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    nn.manual_seed(124)
    c = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    assert not np.array_equal(a[0].weight.data, c[0].weight.data)


def _torch_copy(model):
    layers = []
    for m in model:
        if isinstance(m, nn.Linear):
            t = torch.nn.Linear(m.in_features, m.out_features, dtype=torch.float64)
            t.load_state_dict({k: torch.tensor(v) for k, v in m.state_dict().items()})
            layers.append(t)
        else:
            layers.append(
                {
                    "ReLU": torch.nn.ReLU,
                    "Tanh": torch.nn.Tanh,
                    "Sigmoid": torch.nn.Sigmoid,
                    "Flatten": torch.nn.Flatten,
                }[type(m).__name__]()
            )
    return torch.nn.Sequential(*layers)


def test_sequential_matches_torch_forward_and_backward():
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(6, 5, seed=0, dtype=np.float64),
        nn.Tanh(),
        nn.Linear(5, 4, seed=1, dtype=np.float64),
        nn.ReLU(),
        nn.Linear(4, 2, seed=2, dtype=np.float64),
        nn.Sigmoid(),
    )
    ref = _torch_copy(model)
    x = np.random.default_rng(0).normal(size=(7, 2, 3))
    out = model(Tensor(x))
    out.sum().backward()
    ref_out = ref(torch.tensor(x))
    ref_out.sum().backward()
    np.testing.assert_allclose(out.data, ref_out.detach().numpy(), rtol=1e-12)
    assert list(model.state_dict()) == list(ref.state_dict())  # '1.weight', '1.bias', ...
    for (name, p), (_, q) in zip(model.named_parameters(), ref.named_parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-10, err_msg=name)


def test_sequential_container_and_repr():
    model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU())
    model.append(nn.Linear(3, 1, seed=1))
    assert len(model) == 3 and isinstance(model[-1], nn.Linear) and model[1].__class__ is nn.ReLU
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    with pytest.raises(IndexError, match="no index 3"):
        model[3]
    with pytest.raises(TypeError, match="holds Modules"):
        model.append(lambda x: x)
    text = repr(model)
    assert "(0): Linear(in_features=2, out_features=3, bias=True)" in text
    assert "(1): ReLU()" in text and text.endswith("# 13 parameters")


def test_tensor_model_save_load_keeps_dtype(tmp_path):
    a = nn.Sequential(nn.Linear(3, 4, seed=0), nn.ReLU(), nn.Linear(4, 2, seed=1))
    b = nn.Sequential(nn.Linear(3, 4, seed=5), nn.ReLU(), nn.Linear(4, 2, seed=6))
    a.save(tmp_path / "m.npz")
    b.load(tmp_path / "m.npz")
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
        assert q.data.dtype == np.float32
    bad = a.state_dict()
    bad["2.weight"] = np.zeros((2, 5))
    with pytest.raises(ValueError, match=r"'2.weight'.*\(2, 5\).*\(2, 4\)"):
        b.load_state_dict(bad)


def test_torch_state_dict_loads_into_the_same_architecture():
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    np.testing.assert_allclose(
        ours(Tensor(x)).data, ref(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6
    )


def test_dropout_train_vs_eval():
    drop = nn.Dropout(0.5, seed=0)
    x = Tensor(np.ones((200, 50)), requires_grad=True)
    y_train = drop(x)
    zeros = (y_train.data == 0).mean()
    assert 0.45 < zeros < 0.55
    assert set(np.unique(y_train.data)) == {0.0, 2.0}  # survivors scaled by 1 / (1 - p)
    y_train.sum().backward()
    np.testing.assert_array_equal(x.grad, y_train.data)  # gradient flows through the mask
    again = drop(x).data
    assert not np.array_equal(again, y_train.data)  # a fresh mask each call
    drop.eval()
    first, second = drop(x).data, drop(x).data
    np.testing.assert_array_equal(first, x.data)
    np.testing.assert_array_equal(first, second)


def test_dropout_seeded_reproducible_and_in_models():
    masks = [nn.Dropout(0.3, seed=7)(Tensor(np.ones(100))).data for _ in range(2)]
    np.testing.assert_array_equal(*masks)
    model = nn.Sequential(nn.Linear(10, 10, seed=0), nn.Dropout(0.5, seed=1), nn.Linear(10, 2))
    x = Tensor(np.random.default_rng(0).normal(size=(4, 10)))
    assert not np.allclose(model(x).data, model(x).data)
    model.eval()
    np.testing.assert_array_equal(model(x).data, model(x).data)
    assert nn.Dropout(0.0)(x) is x


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5, "0.5", True])
def test_dropout_bad_p(p):
    with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\)"):
        nn.Dropout(p)


def test_dropout_keeps_float32():
    out = nn.Dropout(0.5, seed=0)(Tensor(np.ones((3, 3), dtype=np.float32)))
    assert out.dtype == np.float32


def test_flatten():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0)(x).shape == (24,)
    assert nn.Flatten(1, 1)(x).shape == (2, 3, 4)


def test_module_zero_grad_and_train_eval_on_tensor_model():
    model = nn.Sequential(nn.Linear(2, 2, seed=0), nn.Dropout(0.5), nn.Linear(2, 1, seed=1))
    model(Tensor(np.ones((3, 2)))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.eval()
    assert not model[1].training
    model.train()
    assert model[1].training


def test_dropout_accepts_numpy_probabilities():
    out = nn.Dropout(np.float32(0.5), seed=0)(Tensor(np.ones(100)))
    assert 0.3 < (out.data == 0).mean() < 0.7


def test_sequential_slice_is_a_sequential_of_the_same_modules():
    model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU(), nn.Linear(3, 1, seed=1))
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    assert head[0] is model[0] and head[1] is model[1]
    with pytest.raises(TypeError, match="index a Sequential with an int or a slice"):
        model["0"]


def test_flatten_out_of_range_is_refused():
    with pytest.raises(ValueError, match=r"axis 5 is out of range.*\(2, 3\)"):
        nn.Flatten(5)(Tensor(np.ones((2, 3))))
