"""Losses on both engines: values and gradients against PyTorch, stability, bad labels."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd import Value

torch = pytest.importorskip("torch")
F = torch.nn.functional

RNG = np.random.default_rng(0)
SCORES = RNG.normal(size=6) * 2
PROBS = 1 / (1 + np.exp(-SCORES))
BINARY = np.array([0, 1, 1, 0, 1, 0])
SIGNS = 2 * BINARY - 1
REALS = RNG.normal(size=6)
LOGITS = RNG.normal(size=(4, 3)) * 3
CLASSES = np.array([2, 0, 1, 2])


def _torch_loss(name, x, target, reduction):
    t = torch.tensor(target, dtype=torch.float64)
    if name == "mse_loss":
        return F.mse_loss(x, t, reduction=reduction)
    if name == "binary_cross_entropy":
        return F.binary_cross_entropy(x, t, reduction=reduction)
    if name == "binary_cross_entropy_with_logits":
        return F.binary_cross_entropy_with_logits(x, t, reduction=reduction)
    if name == "hinge_loss":
        terms = torch.relu(1 - x * t)
        return terms.sum() if reduction == "sum" else terms.mean()
    return F.cross_entropy(x, torch.tensor(target), reduction=reduction)


CASES = [
    ("mse_loss", SCORES, REALS),
    ("binary_cross_entropy", PROBS, BINARY),
    ("binary_cross_entropy_with_logits", SCORES, BINARY.astype(float)),
    ("hinge_loss", SCORES, SIGNS),
    ("cross_entropy", LOGITS, CLASSES),
]


def _values(x):
    if x.ndim == 2:
        return [[Value(float(v)) for v in row] for row in x]
    return [Value(float(v)) for v in x]


def _grads(vals):
    if isinstance(vals[0], list):
        return np.array([[v.grad for v in row] for row in vals])
    return np.array([v.grad for v in vals])


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize(("name", "pred", "target"), CASES)
def test_value_losses_match_torch(name, pred, target, reduction):
    vals = _values(pred)
    target_arg = target.tolist()  # plain Python numbers, as a scalar-engine user has them
    out = getattr(nn, name)(vals, target_arg, reduction=reduction)
    out.backward()
    x = torch.tensor(pred, dtype=torch.float64, requires_grad=True)
    ref = _torch_loss(name, x, target, reduction)
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(_grads(vals), x.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_value_losses_accept_column_predictions_and_single_values():
    col = [[Value(1.0)], [Value(2.0)]]
    assert nn.mse_loss(col, [0.0, 0.0]).data == 2.5
    assert nn.mse_loss(Value(3.0), 1.0).data == 4.0
    assert nn.hinge_loss(Value(0.5), -1, reduction="sum").data == 1.5


def test_hinge_loss_is_micrograds_formula():
    scores = [Value(0.3), Value(-2.0), Value(1.5)]
    labels = [1, -1, -1]
    expected = sum((1 + -yi * si).relu() for yi, si in zip(labels, scores)) * (1.0 / 3)
    assert nn.hinge_loss(scores, labels).data == pytest.approx(expected.data)


def test_stable_for_huge_logits_on_values():
    big = [[Value(1000.0), Value(0.0), Value(-1000.0)]]
    loss = nn.cross_entropy(big, [1])
    loss.backward()
    assert loss.data == pytest.approx(1000.0)
    assert [v.grad for v in big[0]] == pytest.approx([1.0, -1.0, 0.0])
    z = [Value(1000.0), Value(-1000.0)]
    loss = nn.binary_cross_entropy_with_logits(z, [0.0, 1.0])
    loss.backward()
    assert loss.data == pytest.approx(1000.0)
    assert all(math.isfinite(v.grad) for v in z)


def test_binary_cross_entropy_clamps_probabilities():
    p = [Value(0.0), Value(1.0)]
    loss = nn.binary_cross_entropy(p, [1.0, 0.0])
    loss.backward()
    assert math.isfinite(loss.data) and loss.data > 30
    assert all(math.isfinite(v.grad) for v in p)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: nn.mse_loss(_values(REALS), [1.0, 2.0]), ValueError, r"shape \(6,\).*\(2,\)"),
        (lambda: nn.hinge_loss(_values(SCORES), BINARY.tolist()), ValueError, "-1 or \\+1, got 0"),
        (
            lambda: nn.binary_cross_entropy(_values(SCORES), BINARY.tolist()),
            ValueError,
            "probabilities in \\[0, 1\\].*with_logits",
        ),
        (
            lambda: nn.binary_cross_entropy_with_logits(_values(SCORES), SIGNS.tolist()),
            ValueError,
            r"targets in \[0, 1\], got -1",
        ),
        (lambda: nn.cross_entropy(_values(LOGITS), [2, 0, 3, 1]), ValueError, "label 3 is outside"),
        (
            lambda: nn.cross_entropy(_values(LOGITS), [2.0, 0.0, 1.0, 1.0]),
            ValueError,
            "float labels",
        ),
        (lambda: nn.cross_entropy(_values(LOGITS), [2, 0]), ValueError, r"\(4, 3\).*\(2,\)"),
        (lambda: nn.cross_entropy(_values(REALS), [1] * 6), ValueError, "one list of class scores"),
        (
            lambda: nn.mse_loss([[Value(1.0)], [Value(1.0), Value(2.0)]], [1, 2]),
            ValueError,
            "ragged",
        ),
        (
            lambda: nn.mse_loss(_values(REALS), REALS, reduction="avg"),
            ValueError,
            "'mean' or 'sum'",
        ),
        (lambda: nn.mse_loss("abc", [1]), TypeError, "got str"),
        (lambda: nn.mse_loss([], []), ValueError, "empty list"),
        (lambda: nn.hinge_loss(SCORES, SIGNS), TypeError, "must be Values or a Tensor"),
        (lambda: nn.cross_entropy(LOGITS.tolist(), CLASSES), TypeError, "got plain numbers"),
    ],
)
def test_value_loss_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_l2_penalty_values():
    params = [Value(1.0), Value(-2.0), Value(3.0)]
    penalty = nn.l2_penalty(params)
    penalty.backward()
    assert penalty.data == 14.0
    assert [p.grad for p in params] == [2.0, -4.0, 6.0]
    with pytest.raises(ValueError, match="no parameters"):
        nn.l2_penalty([])


# ----------------------------------------------------------------------------- Tensor engine
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize(("name", "pred", "target"), CASES)
def test_tensor_losses_match_torch(name, pred, target, reduction):
    from autograd.tensor import Tensor

    x = Tensor(pred, requires_grad=True, dtype=np.float64)
    out = getattr(nn, name)(x, target, reduction=reduction)
    out.backward()
    xt = torch.tensor(pred, dtype=torch.float64, requires_grad=True)
    ref = _torch_loss(name, xt, target, reduction)
    ref.backward()
    assert out.item() == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_tensor_losses_keep_float32_and_accept_column_predictions():
    from autograd.tensor import Tensor

    col = Tensor(PROBS.reshape(-1, 1).astype(np.float32), requires_grad=True)
    for loss in (nn.mse_loss, nn.binary_cross_entropy, nn.binary_cross_entropy_with_logits):
        out = loss(col, BINARY)  # (n, 1) predictions with (n,) targets: no (n, n) broadcast
        assert out.dtype == np.float32 and out.shape == ()
    expected = F.binary_cross_entropy(
        torch.tensor(PROBS), torch.tensor(BINARY, dtype=torch.float64)
    )
    assert nn.binary_cross_entropy(col, BINARY).item() == pytest.approx(expected.item(), rel=1e-5)
    target = Tensor(REALS, dtype=np.float64, requires_grad=True)
    pred = Tensor(SCORES, dtype=np.float64)
    nn.mse_loss(pred, target).backward()  # gradients flow into a Tensor target too
    np.testing.assert_allclose(target.grad, 2 * (REALS - SCORES) / 6)


def test_tensor_losses_stable_for_huge_logits():
    from autograd.tensor import Tensor

    logits = Tensor([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]], requires_grad=True)
    loss = nn.cross_entropy(logits, np.array([1, 1]))
    loss.backward()
    assert loss.item() == pytest.approx(500.0)
    assert np.isfinite(logits.grad).all()
    z = Tensor([1000.0, -1000.0, 50.0], requires_grad=True)
    loss = nn.binary_cross_entropy_with_logits(z, [0.0, 1.0, 1.0], reduction="sum")
    loss.backward()
    assert loss.item() == pytest.approx(2000.0, rel=1e-6)
    assert np.isfinite(z.grad).all()
    p = Tensor([0.0, 1.0], requires_grad=True)
    loss = nn.binary_cross_entropy(p, [1.0, 0.0])
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(p.grad).all()


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda T: nn.mse_loss(T(np.zeros(5)), np.zeros(4)),
            ValueError,
            r"\(5,\) but targets \(4,\)",
        ),
        (lambda T: nn.mse_loss(T(np.zeros((4, 2))), np.zeros(4)), ValueError, r"\(4, 2\)"),
        (lambda T: nn.cross_entropy(T(LOGITS), np.array([0, 1, 3, 0])), ValueError, "label 3"),
        (lambda T: nn.cross_entropy(T(LOGITS), np.array([-1, 1, 2, 0])), ValueError, "label -1"),
        (lambda T: nn.cross_entropy(T(LOGITS), CLASSES.astype(float)), ValueError, "float labels"),
        (lambda T: nn.cross_entropy(T(LOGITS), CLASSES[:3]), ValueError, r"\(4, 3\).*\(3,\)"),
        (lambda T: nn.cross_entropy(T(SCORES), BINARY), ValueError, "must be 2-D"),
        (lambda T: nn.hinge_loss(T(SCORES), BINARY), ValueError, "-1 or \\+1"),
        (lambda T: nn.binary_cross_entropy(T(SCORES), BINARY), ValueError, "probabilities"),
        (lambda T: nn.mse_loss(T(SCORES), np.array(["a"] * 6)), TypeError, "numbers"),
        (lambda T: nn.mse_loss(T(SCORES), REALS, reduction=None), ValueError, "'mean' or 'sum'"),
    ],
)
def test_tensor_loss_bad_input(call, error, message):
    from autograd.tensor import Tensor

    with pytest.raises(error, match=message):
        call(lambda a: Tensor(a, requires_grad=True))


def test_l2_penalty_tensors():
    from autograd.tensor import Tensor

    a = Tensor([1.0, -2.0], requires_grad=True)
    b = Tensor([[3.0]], requires_grad=True)
    penalty = nn.l2_penalty([a, b])
    penalty.backward()
    assert penalty.item() == 14.0
    np.testing.assert_array_equal(a.grad, [2.0, -4.0])
    np.testing.assert_array_equal(b.grad, [[6.0]])


def test_tensor_loss_rejects_value_targets_and_empty_batches():
    from autograd.tensor import Tensor

    with pytest.raises(TypeError, match="cannot mix Tensor and Value"):
        nn.mse_loss(Tensor(np.ones(1)), Value(1.0))
    with pytest.raises(ValueError, match=r"no samples.*\(0,\)"):
        nn.mse_loss(Tensor(np.ones(0)), np.ones(0))
    with pytest.raises(ValueError, match=r"no samples.*\(0, 3\)"):
        nn.cross_entropy(Tensor(np.ones((0, 3))), np.zeros(0, dtype=int))
