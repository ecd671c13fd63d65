"""Every Tensor op: forward and gradient against PyTorch (float64) and against finite
differences, over shapes and broadcasting combinations drawn by hypothesis (scalars, size-1 axes,
empty axes). The gradient of a non-scalar output is taken through a random weighting, so a rule
that scales or misplaces its upstream gradient cannot hide behind a gradient of ones."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

from autograd import gradcheck
from autograd.tensor import (
    Tensor,
    concatenate,
    cross_entropy_logits,
    linear,
    log_softmax,
    logsumexp,
    matmul,
    maximum,
    minimum,
    softmax,
    stack,
    where,
)

try:
    import torch
except ImportError:  # the finite-difference checks still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
seeds = st.integers(0, 2**32 - 1)


def ours(fn: Callable, arrays: list, weight: np.ndarray) -> tuple:
    """fn's output and the gradient of sum(output * weight) for each input, with chainrule."""
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    (out * weight).sum().backward()
    grads = [np.zeros_like(a) if x.grad is None else x.grad for a, x in zip(arrays, xs)]
    return out.data, grads


def theirs(fn: Callable, arrays: list, weight: np.ndarray) -> tuple:
    """The same with PyTorch."""
    xs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = fn(*xs)
    (out * torch.tensor(weight)).sum().backward()
    grads = [np.zeros_like(a) if x.grad is None else x.grad.numpy() for a, x in zip(arrays, xs)]
    return out.detach().numpy(), grads


def check(fn: Callable, torch_fn: Callable | None, arrays: list, seed: int = 0) -> None:
    """Forward and gradients agree with PyTorch (if installed) and with finite differences."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    out = fn(*[Tensor(a) for a in arrays])
    weight = np.random.default_rng(seed).standard_normal(out.shape)
    if torch_fn is not None and torch is not None:
        value, grads = ours(fn, arrays, weight)
        t_value, t_grads = theirs(torch_fn, arrays, weight)
        np.testing.assert_allclose(value, t_value, rtol=1e-9, atol=1e-12)
        for g, tg in zip(grads, t_grads):
            assert g.shape == tg.shape
            np.testing.assert_allclose(g, tg, rtol=1e-8, atol=1e-10)
    if all(a.size for a in arrays) and out.size:
        xs = [Tensor(a, requires_grad=True) for a in arrays]
        assert gradcheck(lambda *t: (fn(*t) * weight).sum(), xs, atol=1e-6, rtol=1e-5)


def normal(shape: tuple, seed: int, offset: int = 0) -> np.ndarray:
    return np.random.default_rng(seed + offset).standard_normal(shape)


def positive(a: np.ndarray) -> np.ndarray:
    return np.abs(a) + 0.5


def away_from_zero(a: np.ndarray) -> np.ndarray:
    return np.sign(a) * (np.abs(a) + 0.5) + (a == 0)


# ----------------------------------------------------------------------------- elementwise
UNARY = {
    "neg": (lambda x: -x, lambda x: -x, None),
    "exp": (Tensor.exp, torch and torch.exp, None),
    "log": (Tensor.log, torch and torch.log, positive),
    "sqrt": (Tensor.sqrt, torch and torch.sqrt, positive),
    "tanh": (Tensor.tanh, torch and torch.tanh, None),
    "sigmoid": (Tensor.sigmoid, torch and torch.sigmoid, None),
    "relu": (Tensor.relu, torch and torch.relu, away_from_zero),
    "abs": (Tensor.abs, torch and torch.abs, away_from_zero),
    "sin": (Tensor.sin, torch and torch.sin, None),
    "cos": (Tensor.cos, torch and torch.cos, None),
    "log1p": (Tensor.log1p, torch and torch.log1p, positive),
    "erf": (Tensor.erf, torch and torch.erf, None),
    "square": (lambda x: x**2, lambda x: x**2, None),
    "pow 1.5": (lambda x: x**1.5, lambda x: x**1.5, positive),
    "2 ** x": (lambda x: 2**x, lambda x: 2**x, None),
    "1 - x": (lambda x: 1 - x, lambda x: 1 - x, None),
    "3 / x": (lambda x: 3 / x, lambda x: 3 / x, away_from_zero),
    "clip": (lambda x: x.clip(-0.7, 0.6), lambda x: x.clamp(-0.7, 0.6), None),
    "clip below": (lambda x: x.clip(min=0.1), lambda x: x.clamp(min=0.1), None),
}


@pytest.mark.parametrize("name", UNARY)
@given(shape=array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4), seed=seeds)
def test_unary(name: str, shape: tuple, seed: int) -> None:
    fn, torch_fn, domain = UNARY[name]
    x = normal(shape, seed)
    check(fn, torch_fn, [domain(x) if domain else x], seed)


BINARY = {
    "+": (lambda a, b: a + b, lambda a, b: a + b, None),
    "-": (lambda a, b: a - b, lambda a, b: a - b, None),
    "*": (lambda a, b: a * b, lambda a, b: a * b, None),
    "/": (lambda a, b: a / b, lambda a, b: a / b, away_from_zero),
    "**": (lambda a, b: a**b, lambda a, b: a**b, "positive base"),
    "maximum": (maximum, torch and torch.maximum, None),
    "minimum": (minimum, torch and torch.minimum, None),
    "method maximum": (Tensor.maximum, torch and torch.maximum, None),
}


@pytest.mark.parametrize("name", BINARY)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, min_side=0, max_side=3),
    seed=seeds,
)
def test_binary_broadcasting(name: str, shapes, seed: int) -> None:
    fn, torch_fn, domain = BINARY[name]
    a, b = normal(shapes.input_shapes[0], seed), normal(shapes.input_shapes[1], seed, 1)
    if domain == "positive base":
        a = positive(a)
    elif domain is not None:
        b = domain(b)
    check(fn, torch_fn, [a, b], seed)


@given(shapes=mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3), seed=seeds)
def test_where_broadcasting(shapes, seed: int) -> None:
    cond = normal(shapes.input_shapes[0], seed, 2) > 0
    a, b = normal(shapes.input_shapes[1], seed), normal(shapes.input_shapes[2], seed, 1)
    tw = torch and (lambda x, y: torch.where(torch.tensor(cond), x, y))
    check(lambda x, y: where(cond, x, y), tw, [a, b], seed)


def test_maximum_ties_split_the_gradient_like_torch() -> None:
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 3.0])
    check(maximum, torch and torch.maximum, [a, b])
    check(minimum, torch and torch.minimum, [a, b])
    x = Tensor(a, requires_grad=True)
    maximum(x, b).sum().backward()
    np.testing.assert_allclose(x.grad, [0.5, 0.0, 0.5])


# ------------------------------------------------------------------------------ reductions
@st.composite
def shape_and_axis(draw: st.DrawFn, min_side: int = 1) -> tuple:
    shape = draw(array_shapes(min_dims=0, max_dims=3, min_side=min_side, max_side=4))
    choices = [None]
    if shape:
        choices += list(range(-len(shape), len(shape)))
        choices += [tuple(sorted({0, len(shape) - 1}))]
    return shape, draw(st.sampled_from(choices)), draw(st.booleans())


def torch_dims(axis, ndim: int):
    return tuple(range(ndim)) if axis is None else axis


REDUCTIONS = {
    "sum": (Tensor.sum, lambda x, d, k: x.sum(dim=d, keepdim=k)),
    "mean": (Tensor.mean, lambda x, d, k: x.mean(dim=d, keepdim=k)),
    "max": (Tensor.max, lambda x, d, k: x.amax(dim=d, keepdim=k)),
    "min": (Tensor.min, lambda x, d, k: x.amin(dim=d, keepdim=k)),
    "var": (Tensor.var, lambda x, d, k: x.var(dim=d, keepdim=k, correction=0)),
    "logsumexp": (Tensor.logsumexp, lambda x, d, k: x.logsumexp(dim=d, keepdim=k)),
}


@pytest.mark.parametrize("name", REDUCTIONS)
@given(case=shape_and_axis(), seed=seeds)
def test_reductions(name: str, case: tuple, seed: int) -> None:
    shape, axis, keepdims = case
    fn, torch_fn = REDUCTIONS[name]
    x = normal(shape, seed)
    dims = torch_dims(axis, x.ndim)
    check(lambda t: fn(t, axis, keepdims), lambda t: torch_fn(t, dims, keepdims), [x], seed)


def test_var_ddof_and_ties() -> None:
    x = normal((3, 4), 1)
    check(lambda t: t.var(axis=1, ddof=1), lambda t: t.var(dim=1), [x])
    check(lambda t: t.var(axis=[0, 1], ddof=1), lambda t: t.var(dim=(0, 1)), [x])
    tied = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]])
    check(lambda t: t.max(axis=1), lambda t: t.amax(dim=1), [tied])
    check(lambda t: t.max(), lambda t: t.amax(), [tied])


@given(case=shape_and_axis(min_side=0), seed=seeds)
def test_sum_and_mean_with_empty_axes(case: tuple, seed: int) -> None:
    shape, axis, keepdims = case
    x = normal(shape, seed)
    dims = torch_dims(axis, x.ndim)
    check(lambda t: t.sum(axis, keepdims), lambda t: t.sum(dim=dims, keepdim=keepdims), [x])


# ---------------------------------------------------------------------------------- matmul
MATMUL_SHAPES = [
    ((4,), (4,)),
    ((4,), (4, 3)),
    ((2, 4), (4,)),
    ((2, 4), (4, 3)),
    ((5, 2, 4), (4, 3)),
    ((5, 2, 4), (5, 4, 3)),
    ((1, 2, 4), (5, 4, 3)),
    ((4,), (5, 4, 3)),
    ((5, 2, 4), (4,)),
    ((2, 1, 2, 4), (3, 4, 1)),
    ((0, 2, 4), (4, 3)),
    ((2, 0), (0, 3)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
@given(seed=seeds)
def test_matmul(shapes: tuple, seed: int) -> None:
    a, b = normal(shapes[0], seed), normal(shapes[1], seed, 1)
    check(lambda x, y: x @ y, lambda x, y: x @ y, [a, b], seed)
    check(matmul, torch and torch.matmul, [a, b], seed)


def test_matmul_skips_the_gradient_of_constants_and_keeps_layouts() -> None:
    x = Tensor(normal((3, 4), 0))
    w = Tensor(normal((2, 4), 1), requires_grad=True)
    (x @ w.T).sum().backward()
    assert x.grad is None
    np.testing.assert_allclose(w.grad, np.ones((3, 2)).T @ x.data)
    assert w.grad.flags.c_contiguous  # through the transpose, still contiguous
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(3, 4\)"):
        x @ x


# -------------------------------------------------------------------------------- shape ops
@given(shape=array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=3), seed=seeds)
def test_shape_ops(shape: tuple, seed: int) -> None:
    x = normal(shape, seed)
    n = x.ndim
    check(lambda t: t.reshape(-1), lambda t: t.reshape(-1), [x], seed)
    check(lambda t: t.flatten(), lambda t: t.flatten(), [x], seed)
    check(lambda t: t.unsqueeze(0), lambda t: t.unsqueeze(0), [x], seed)
    check(lambda t: t.squeeze(), lambda t: t.squeeze(), [x], seed)
    check(lambda t: t.T, lambda t: t.permute(tuple(range(n - 1, -1, -1))), [x], seed)
    check(lambda t: t.expand(2, *shape), lambda t: t.expand(2, *shape), [x], seed)
    check(lambda t: t.broadcast_to((3, *shape)), lambda t: t.expand(3, *shape), [x], seed)
    if n >= 2:
        check(lambda t: t.transpose(0, -1), lambda t: t.transpose(0, -1), [x], seed)
        order = tuple(np.random.default_rng(seed).permutation(n))
        check(lambda t: t.permute(*order), lambda t: t.permute(*order), [x], seed)
        check(lambda t: t.flatten(1), lambda t: t.flatten(1), [x], seed)
        check(lambda t: t.reshape(shape[0], -1), lambda t: t.reshape(shape[0], -1), [x], seed)


def test_expand_size_one_axes_and_errors() -> None:
    x = normal((3, 1), 0)
    check(lambda t: t.expand(2, -1, 4), lambda t: t.expand(2, -1, 4), [x])
    check(lambda t: t.squeeze(1), lambda t: t.squeeze(1), [x])
    with pytest.raises(ValueError, match=r"\(3, 1\).*\(2, 4\)"):
        Tensor(x).expand(2, 4)
    with pytest.raises(ValueError, match="reshape"):
        Tensor(x).reshape(4)
    with pytest.raises(ValueError, match="permute"):
        Tensor(x).permute(0, 0)


INDICES = [
    1,
    -1,
    slice(1, None),
    slice(None, None, -2),  # PyTorch has no negative steps: compared with a flip
    (slice(None), 1),
    (Ellipsis, 0),
    (None, 1),
    np.array([0, 2, 0, 0]),
    (np.array([0, 1, 1]), np.array([2, 2, 2])),
    (slice(None), np.array([1, 1])),
    [2, 2, 1],
]


@pytest.mark.parametrize("key", INDICES, ids=str)
@given(seed=seeds)
def test_indexing(key, seed: int) -> None:
    x = normal((3, 4), seed)
    if isinstance(key, slice) and key.step == -2:
        check(lambda t: t[key], lambda t: t.flip(0)[::2], [x], seed)
    else:
        check(lambda t: t[key], lambda t: t[key], [x], seed)


def test_repeated_indices_add_up_and_masks_work() -> None:
    x = Tensor(np.arange(4.0), requires_grad=True)
    x[[1, 1, 1, 3]].sum().backward()
    np.testing.assert_allclose(x.grad, [0, 3, 0, 1])
    m = normal((3, 4), 2)
    check(lambda t: t[m > 0], lambda t: t[torch.tensor(m > 0)], [m])
    y = Tensor(m, requires_grad=True)
    y[Tensor(np.array([0, 0]), dtype=np.int64)].sum().backward()
    np.testing.assert_allclose(y.grad, [[2] * 4, [0] * 4, [0] * 4])
    with pytest.raises(IndexError, match="integers or booleans"):
        y[Tensor([0.0, 1.0])]


@given(seed=seeds, axis=st.integers(-2, 1))
def test_concatenate_and_stack(seed: int, axis: int) -> None:
    a, b = normal((2, 3), seed), normal((2, 3), seed, 1)
    check(
        lambda x, y: concatenate([x, y, x], axis), lambda x, y: torch.cat([x, y, x], axis), [a, b]
    )
    check(lambda x, y: stack([x, y], axis), lambda x, y: torch.stack([x, y], axis), [a, b])
    with pytest.raises(ValueError, match="concatenate"):
        concatenate([Tensor(a), Tensor(np.ones((2, 4)))], axis=0)
    with pytest.raises(ValueError, match="stack"):
        stack([Tensor(a), Tensor(np.ones((3, 3)))])


# ----------------------------------------------------------------------------- softmax etc.
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=seeds)
def test_softmax_family(shape: tuple, seed: int) -> None:
    x = normal(shape, seed) * 3
    ts = torch and torch.softmax
    check(lambda t: softmax(t, -1), ts and (lambda t: ts(t, -1)), [x], seed)
    check(lambda t: t.softmax(0), ts and (lambda t: ts(t, 0)), [x], seed)
    check(lambda t: log_softmax(t, 0), lambda t: torch.log_softmax(t, 0), [x], seed)
    check(lambda t: logsumexp(t, -1), lambda t: torch.logsumexp(t, -1), [x], seed)


@needs_torch
def test_large_logits_do_not_overflow() -> None:
    x = np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 999.0], [-1000.0, -1000.0, -1e4]])
    for axis in (0, 1):
        check(lambda t, a=axis: t.log_softmax(a), lambda t, a=axis: torch.log_softmax(t, a), [x])
        check(lambda t, a=axis: t.softmax(a), lambda t, a=axis: torch.softmax(t, a), [x])
        check(lambda t, a=axis: t.logsumexp(a), lambda t, a=axis: torch.logsumexp(t, a), [x])
    loss = cross_entropy_logits(Tensor(x, requires_grad=True), np.array([2, 0, 1]))
    assert np.isfinite(loss.item())


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@given(n=st.integers(1, 5), classes=st.integers(1, 4), seed=seeds)
def test_cross_entropy(reduction: str, n: int, classes: int, seed: int) -> None:
    x = normal((n, classes), seed) * 5
    t = np.random.default_rng(seed).integers(0, classes, n)
    tt = torch and torch.tensor(t)
    check(
        lambda z: cross_entropy_logits(z, t, reduction),
        lambda z: torch.nn.functional.cross_entropy(z, tt, reduction=reduction),
        [x],
        seed,
    )
    fused = cross_entropy_logits(Tensor(x), t, reduction).item()
    composite = -Tensor(x).log_softmax(1)[np.arange(n), t]
    composite = composite.mean() if reduction == "mean" else composite.sum()
    assert fused == pytest.approx(composite.item(), rel=1e-12)


def test_cross_entropy_backward_twice_and_bad_targets() -> None:
    z = Tensor(normal((3, 4), 0), requires_grad=True)
    loss = cross_entropy_logits(z, [0, 3, 1])
    loss.backward(retain_graph=True)
    first = z.grad.copy()
    loss.backward()  # the saved softmax was used up: the second pass recomputes it
    np.testing.assert_allclose(z.grad, 2 * first)
    for bad, message in [
        ([0, 4, 1], r"label 4 is outside \[0, 4\)"),
        ([0, -1, 1], r"label -1 is outside \[0, 4\)"),
        ([0, 1], "shape"),
    ]:
        with pytest.raises(ValueError, match=message):
            cross_entropy_logits(z, bad)
    with pytest.raises(ValueError, match="class indices"):
        cross_entropy_logits(z, np.array([0.0, 1.0, 2.0]))


@pytest.mark.parametrize("x_shape", [(5, 3), (3,), (2, 5, 3), (0, 3)], ids=str)
@given(seed=seeds)
def test_linear(x_shape: tuple, seed: int) -> None:
    x, w, b = normal(x_shape, seed), normal((4, 3), seed, 1), normal((4,), seed, 2)
    tl = torch and torch.nn.functional.linear
    check(linear, tl, [x, w, b], seed)
    check(lambda x, w: linear(x, w), tl, [x, w], seed)
    check(lambda x, w, b: linear(x, w, b), lambda x, w, b: x @ w.T + b, [x, w, b], seed)
    composite = Tensor(x) @ Tensor(w).T + Tensor(b)
    np.testing.assert_allclose(linear(x, Tensor(w), Tensor(b)).data, composite.data)


@pytest.mark.parametrize("x_shape", [(5, 3), (3,), (2, 5, 3)], ids=str)
@given(seed=seeds)
def test_linear_relu_fused(x_shape: tuple, seed: int) -> None:
    x, w, b = normal(x_shape, seed), normal((4, 3), seed, 1), normal((4,), seed, 2)
    fused = lambda x, w, b: linear(x, w, b, activation="relu")  # noqa: E731
    tl = torch and (lambda x, w, b: torch.nn.functional.linear(x, w, b).relu())
    check(fused, tl, [x, w, b], seed)
    xs = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    ys = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    out, composite = fused(*xs), linear(*ys).relu()
    np.testing.assert_array_equal(out.data, composite.data)
    assert out.op == "linear+relu"
    (out * out).sum().backward()
    (composite * composite).sum().backward()
    for a, c in zip(xs, ys):
        np.testing.assert_allclose(a.grad, c.grad, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="activation"):
        linear(xs[0], xs[1], activation="tanh")


def test_linear_shape_errors() -> None:
    w = Tensor(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"\(5, 2\).*\(4, 3\)"):
        linear(Tensor(np.ones((5, 2))), w)
    with pytest.raises(ValueError, match="bias"):
        linear(Tensor(np.ones((5, 3))), w, Tensor(np.ones(3)))


def test_astype_round_trip() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x.astype(np.float32)
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, [2.0, 4.0])
