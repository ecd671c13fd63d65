"""The same MLP on both engines: ``Value`` (one node per number) and ``Tensor`` (one node per
array) give the same outputs and the same gradients, to 1e-10. Both run the shared derivative
rules on one graph core, so any disagreement points at a tensor-only rule or at broadcasting."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd.tensor import Tensor, cross_entropy_logits, linear
from autograd.value import Value, dot, sum_of

ACTIVATIONS = ["tanh", "relu", "sigmoid"]


def make_weights(sizes: list[int], seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [
        (rng.standard_normal((n_out, n_in)), rng.standard_normal(n_out))
        for n_in, n_out in zip(sizes, sizes[1:])
    ]


# ------------------------------------------------------------------------- scalar engine
def value_mlp(weights: list, X: np.ndarray, y: np.ndarray, act: str, loss: str) -> tuple:
    """Loss and parameters (as nested lists of Values), one neuron at a time."""
    params = [
        ([[Value(float(v)) for v in row] for row in w], [Value(float(v)) for v in b])
        for w, b in weights
    ]
    per_sample = []
    for x, target in zip(X, y):
        h = [Value(float(v), requires_grad=False) for v in x]
        for k, (w, b) in enumerate(params):
            h = [dot(row, h, bias) for row, bias in zip(w, b)]
            if k < len(params) - 1:
                h = [getattr(v, act)() for v in h]
        if loss == "mse":
            per_sample.append(sum_of((v - float(t)) ** 2 for v, t in zip(h, target)))
        else:  # softmax cross-entropy, shifted by the max like the tensor op
            m = max(v.data for v in h)
            log_z = sum_of((v - m).exp() for v in h).log() + m
            per_sample.append(log_z - h[int(target)])
    total = sum_of(per_sample) / len(X)
    total.backward()
    grads = [
        (np.array([[v.grad for v in row] for row in w]), np.array([v.grad for v in b]))
        for w, b in params
    ]
    return total.data, grads


# ------------------------------------------------------------------------- tensor engine
def tensor_mlp(weights: list, X: np.ndarray, y: np.ndarray, act: str, loss: str, fused: bool):
    params = [(Tensor(w, requires_grad=True), Tensor(b, requires_grad=True)) for w, b in weights]
    h = Tensor(X)
    for k, (w, b) in enumerate(params):
        h = linear(h, w, b) if fused else h @ w.T + b
        if k < len(params) - 1:
            h = getattr(h, act)()
    if loss == "mse":
        total = ((h - y) ** 2).sum(axis=1).mean()
    elif fused:
        total = cross_entropy_logits(h, y.astype(np.int64))
    else:
        total = -h.log_softmax(axis=1)[np.arange(len(X)), y.astype(np.int64)].mean()
    total.backward()
    return total.item(), [(w.grad, b.grad) for w, b in params]


@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("fused", [False, True], ids=["composite", "fused"])
@settings(max_examples=8)
@given(seed=st.integers(0, 10_000), batch=st.integers(1, 5))
def test_same_outputs_and_gradients(act: str, loss: str, fused: bool, seed: int, batch: int):
    sizes = [3, 4, 4, 2]
    weights = make_weights(sizes, seed)
    rng = np.random.default_rng(seed + 1)
    X = rng.standard_normal((batch, sizes[0]))
    y = rng.standard_normal((batch, 2)) if loss == "mse" else rng.integers(0, 2, batch)
    v_loss, v_grads = value_mlp(weights, X, y, act, loss)
    t_loss, t_grads = tensor_mlp(weights, X, y, act, loss, fused)
    assert math.isclose(v_loss, t_loss, rel_tol=1e-10, abs_tol=1e-10)
    for (vw, vb), (tw, tb) in zip(v_grads, t_grads):
        np.testing.assert_allclose(tw, vw, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(tb, vb, rtol=1e-10, atol=1e-10)


def test_elementwise_rules_agree_on_every_number():
    """One expression per shared elementwise rule, elementwise on a Tensor and per Value."""
    xs = [0.3, 1.7, 2.5]
    exprs = {
        "poly": lambda a: (a * a - 3 * a + 1) / (a + 2),
        "exp log sqrt": lambda a: (a.exp() + a.log() * a.sqrt()) ** 1.5,
        "trig": lambda a: a.sin() * a.cos() - a.tanh(),
        "sigmoid relu abs": lambda a: a.sigmoid() + (a - 1).relu() + abs(a - 2),
        "powers": lambda a: 2**a + a**a,
    }
    for name, f in exprs.items():
        t = Tensor(np.array(xs), requires_grad=True)
        f(t).sum().backward()
        for i, x in enumerate(xs):
            v = Value(x)
            out = f(v)
            out.backward()
            assert math.isclose(f(t).data[i], out.data, rel_tol=1e-12), name
            assert math.isclose(t.grad[i], v.grad, rel_tol=1e-10, abs_tol=1e-12), name
