"""Issue 12: Sequential's fused Linear+ReLU, and ``nn.compile_step`` (trace once, replay).

The fused node is checked against the unfused modules in float64 (values, first and second
derivatives); the compiled step against the ordinary step over 100 steps (losses and final
weights to 1e-6 relative), with dropout, a smaller last batch, a schedule and replaced weights.
"""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor, grad

F64 = np.float64


def unfused(model, x):
    """The Sequential's modules one by one (no fusion)."""
    for module in model:
        x = module(x)
    return x


def mlp(dtype=F64, bias=True, seed=0):
    return nn.Sequential(
        nn.Linear(3, 5, bias=bias, seed=seed, dtype=dtype), nn.ReLU(),
        nn.Linear(5, 4, seed=seed + 1, dtype=dtype), nn.ReLU(),
        nn.Linear(4, 2, seed=seed + 2, dtype=dtype),
    )  # fmt: skip


# ------------------------------------------------------------------------------- fusion
def test_sequential_fuses_linear_and_relu_and_labels_both_modules():
    model = mlp()
    out = model(Tensor(np.ones((2, 3))))
    assert out.label == "4:Linear" and out.op == "linear"
    hidden = out.parents[0]
    assert (hidden.label, hidden.op) == ("3:ReLU", "linear+relu")
    assert [p.label for p in hidden.parents] == ["1:ReLU", "2.weight", "2.bias", "2:Linear"]


@pytest.mark.parametrize("bias", [True, False])
def test_fused_values_and_gradients_equal_the_modules(bias):
    model = mlp(bias=bias)
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(6, 3))
    xs[0] = 0.0  # rows where some pre-activations are exactly the bias
    params = model.parameters()
    results = []
    for forward in (model, lambda x: unfused(model, x)):
        x = Tensor(xs, requires_grad=True)
        out = forward(x)
        loss = (out * out).sum()
        g1 = grad(loss, [x, *params], create_graph=True)
        second = sum((g * g).sum() for g in g1)  # a scalar made of first derivatives
        g2 = grad(second, [x, *params])
        results.append((out.data, [g.data for g in g1], [g.data for g in g2]))
    (o1, a1, b1), (o2, a2, b2) = results
    np.testing.assert_allclose(o1, o2, rtol=1e-12, atol=1e-14)
    for u, v in zip(a1 + b1, a2 + b2):
        np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12)


def test_fused_gradients_match_finite_differences():
    model = mlp()
    x0 = np.random.default_rng(1).normal(size=(4, 3))
    x = Tensor(x0, requires_grad=True)
    (gx,) = grad(model(x).sum(), [x])
    eps, num = 1e-6, np.zeros_like(x0)
    for idx in np.ndindex(*x0.shape):
        d = np.zeros_like(x0)
        d[idx] = eps
        num[idx] = (model(Tensor(x0 + d)).data.sum() - model(Tensor(x0 - d)).data.sum()) / (2 * eps)
    np.testing.assert_allclose(gx.data, num, rtol=1e-5, atol=1e-7)


def test_fusion_falls_back_for_inputs_it_does_not_take():
    model = mlp()
    arr = np.ones((2, 3))  # a plain array is made a Tensor, as linear() does
    np.testing.assert_allclose(model(arr).data, unfused(model, Tensor(arr)).data)
    with pytest.raises(ValueError, match="does not fit weight shape"):
        model(Tensor(np.ones((2, 4))))
