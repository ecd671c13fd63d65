"""Convolution and pooling (``autograd/tensor/conv.py``) against PyTorch float64: values and the
gradients of every input on random shapes, strides, paddings, dilations and groups; second
derivatives against PyTorch's double backward; finite differences (``gradcheck``,
``gradgradcheck``); errors that name the sizes. The layers (``nn/conv.py``) are in
``test_conv_layers.py``."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor, avg_pool2d, conv1d, conv2d, gradcheck, gradgradcheck, max_pool2d
from autograd.core import grad

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def random_conv_case(seed: int) -> dict:
    """A random convolution: shapes, stride, padding, dilation and groups that fit."""
    rng = np.random.default_rng(seed)
    groups = int(rng.choice([1, 1, 2, 3]))
    cin, cout = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
    kh, kw = (int(k) for k in rng.integers(1, 4, 2))
    stride = tuple(int(s) for s in rng.integers(1, 4, 2))
    dilation = tuple(int(d) for d in rng.integers(1, 3, 2))
    padding = tuple(int(p) for p in rng.integers(0, 3, 2))
    h = int(rng.integers(max(1, dilation[0] * (kh - 1) + 1 - 2 * padding[0]), 10))
    w = int(rng.integers(max(1, dilation[1] * (kw - 1) + 1 - 2 * padding[1]), 10))
    return dict(
        x=rng.normal(size=(int(rng.integers(1, 4)), cin, h, w)),
        w=rng.normal(size=(cout, cin // groups, kh, kw)),
        b=rng.normal(size=cout) if rng.random() < 0.7 else None,
        kw=dict(stride=stride, padding=padding, dilation=dilation, groups=groups),
    )


def ours_and_torch(fn, torch_fn, arrays: list, kw: dict, seed: int = 0) -> None:
    """Value and gradients of every input of ``fn`` and ``torch_fn`` agree (a random upstream)."""
    ours = [None if a is None else Tensor(a, requires_grad=True) for a in arrays]
    theirs = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    y = fn(*ours, **kw)
    t = torch_fn(*theirs, **kw)
    assert y.shape == tuple(t.shape)
    np.testing.assert_allclose(y.data, t.detach().numpy(), rtol=1e-10, atol=1e-10)
    upstream = np.random.default_rng(seed).normal(size=y.shape)
    y.backward(upstream)
    t.backward(torch.tensor(upstream))
    for a, b in zip(ours, theirs):
        if a is not None:
            assert a.grad.shape == a.shape
            np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("seed", range(24))
def test_conv2d_matches_torch(seed):
    case = random_conv_case(seed)
    ours_and_torch(conv2d, TF.conv2d, [case["x"], case["w"], case["b"]], case["kw"], seed)


@pytest.mark.parametrize("seed", range(6))
def test_conv1d_matches_torch(seed):
    rng = np.random.default_rng(seed)
    groups = int(rng.choice([1, 2]))
    x = rng.normal(size=(2, 2 * groups, int(rng.integers(6, 12))))
    w = rng.normal(size=(3 * groups, 2, int(rng.integers(1, 4))))
    kw = dict(stride=int(rng.integers(1, 3)), padding=int(rng.integers(0, 2)),
              dilation=int(rng.integers(1, 3)), groups=groups)  # fmt: skip
    ours_and_torch(conv1d, TF.conv1d, [x, w, rng.normal(size=3 * groups)], kw, seed)


POOLS = [  # kernel, stride, padding, dilation (max only), input shape
    ((2, 2), None, 0, 1, (2, 3, 8, 8)),
    ((2, 2), None, 0, 1, (1, 2, 7, 9)),  # a last row and column no window reaches
    ((3, 3), 2, 1, 1, (2, 2, 9, 7)),  # overlapping windows, padding
    ((3, 2), (1, 2), (1, 0), 1, (1, 3, 6, 6)),
    ((2, 3), 1, 0, (2, 1), (2, 1, 7, 8)),  # dilation
]


@pytest.mark.parametrize("kernel, stride, padding, dilation, shape", POOLS)
def test_max_pool2d_matches_torch(kernel, stride, padding, dilation, shape):
    x = np.random.default_rng(1).normal(size=shape)
    kw = dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation)
    ours_and_torch(max_pool2d, TF.max_pool2d, [x], kw)


@pytest.mark.parametrize("kernel, stride, padding, dilation, shape", POOLS)
def test_avg_pool2d_matches_torch(kernel, stride, padding, dilation, shape):
    x = np.random.default_rng(2).normal(size=shape)
    kw = dict(kernel_size=kernel, stride=stride, padding=padding)
    ours_and_torch(avg_pool2d, TF.avg_pool2d, [x], kw)


def test_max_pool2d_ties_go_to_the_first_maximum_like_torch():
    # after a ReLU whole windows are 0: PyTorch sends each window's gradient to its first cell
    x = np.maximum(np.random.default_rng(3).normal(size=(2, 3, 6, 6)), 0)
    x[0, 0] = 0.0
    ours_and_torch(max_pool2d, TF.max_pool2d, [x], dict(kernel_size=2))
    ours_and_torch(max_pool2d, TF.max_pool2d, [x], dict(kernel_size=3, stride=1, padding=1))


def second_order(fn, torch_fn, arrays: list, kw: dict) -> None:
    """d/d(inputs) of |d tanh(fn(inputs)).sum() / d inputs|^2 agrees with PyTorch's double
    backward: the rule's own ops, differentiated."""
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    first = grad(fn(*ours, **kw).tanh().sum(), ours, create_graph=True)
    sum(((g * g).sum() for g in first), Tensor(0.0, dtype=np.float64)).backward()
    t_first = torch.autograd.grad(torch_fn(*theirs, **kw).tanh().sum(), theirs, create_graph=True)
    sum((g * g).sum() for g in t_first).backward()
    for a, b, g, tg in zip(ours, theirs, first, t_first):
        np.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("seed", range(8))
def test_conv2d_second_order_matches_torch(seed):
    case = random_conv_case(100 + seed)
    arrays = [case["x"], case["w"]] + ([case["b"]] if case["b"] is not None else [])
    second_order(conv2d, TF.conv2d, arrays, case["kw"])


def test_pool_second_order_matches_torch():
    x = np.random.default_rng(4).normal(size=(2, 2, 6, 7))
    second_order(max_pool2d, TF.max_pool2d, [x], dict(kernel_size=3, stride=2, padding=1))
    second_order(avg_pool2d, TF.avg_pool2d, [x], dict(kernel_size=3, stride=2, padding=1))


def test_third_order_through_the_conv_rules():
    # conv is bilinear: d^3 <conv(x, w), g> / dx dw dg is a constant the three ops must carry
    rng = np.random.default_rng(5)
    x = Tensor(rng.normal(size=(1, 2, 5, 5)), requires_grad=True)
    w = Tensor(rng.normal(size=(3, 2, 3, 3)), requires_grad=True)
    tx, tw = (torch.tensor(t.data, requires_grad=True) for t in (x, w))
    (gx,) = grad((conv2d(x, w) ** 2).sum(), [x], create_graph=True)
    (gxw,) = grad((gx * gx).sum(), [w], create_graph=True)
    (gxw * gxw).sum().backward()
    (tgx,) = torch.autograd.grad((TF.conv2d(tx, tw) ** 2).sum(), [tx], create_graph=True)
    (tgxw,) = torch.autograd.grad((tgx * tgx).sum(), [tw], create_graph=True)
    (tgxw * tgxw).sum().backward()
    np.testing.assert_allclose(gxw.data, tgxw.detach().numpy(), rtol=1e-9)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-9)


def small(*shape: int, seed: int = 0) -> Tensor:
    return Tensor(np.random.default_rng(seed).normal(size=shape), requires_grad=True)


def test_finite_differences_first_and_second_order():
    x, w, b = small(1, 2, 5, 4), small(4, 1, 2, 3, seed=1), small(4, seed=2)

    def conv(x, w, b):
        return conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2).tanh()

    assert gradcheck(conv, [x, w, b])
    assert gradgradcheck(conv, [x, w, b])
    v, k = small(2, 3, 7), small(2, 3, 3, seed=3)
    assert gradgradcheck(lambda v, k: conv1d(v, k, stride=2, padding=1).sin(), [v, k])
    p = small(1, 2, 5, 6, seed=4)
    assert gradgradcheck(lambda p: max_pool2d(p, 2, 1).tanh(), [p])
    assert gradgradcheck(lambda p: avg_pool2d(p, 3, 2, padding=1).tanh(), [p])


def test_float32_stays_float32_and_unbatched_input():
    x = Tensor(np.random.default_rng(6).normal(size=(3, 6, 6)).astype(np.float32),
               requires_grad=True)  # fmt: skip
    w = Tensor(np.ones((2, 3, 3, 3), np.float32), requires_grad=True)
    y = max_pool2d(conv2d(x, w, padding=1), 2)
    assert y.shape == (2, 3, 3) and y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32
    ref = TF.max_pool2d(TF.conv2d(torch.tensor(x.data), torch.tensor(w.data), padding=1), 2)
    np.testing.assert_allclose(y.data, ref.numpy(), rtol=1e-5, atol=1e-5)


def test_no_grad_keeps_no_columns():
    x, w = small(2, 2, 5, 5), small(3, 2, 3, 3)
    with autograd.no_grad():
        y = conv2d(x, w)
    assert not y.requires_grad and y._fn.cols is None
    y = conv2d(x, w)
    assert y._fn.cols is not None
    y.sum().backward()
    assert y._fn is not None


def test_retain_graph_second_backward_recomputes_the_columns():
    x, w = small(2, 2, 5, 5), small(3, 2, 3, 3)
    y = (conv2d(x, w) ** 2).sum()
    y.backward(retain_graph=True)
    first = w.grad.copy()
    y.backward()
    np.testing.assert_allclose(w.grad, 2 * first)


ERRORS = [  # call, words the message must hold
    (lambda: conv2d(np.ones((1, 3, 5, 5)), np.ones((4, 2, 3, 3))), ["3 channels", "(4, 2, 3, 3)"]),
    (lambda: conv2d(np.ones((1, 2, 4, 4)), np.ones((4, 2, 5, 5))), ["5x5", "padded input 4x4"]),
    (lambda: conv2d(np.ones((1, 2, 4, 4)), np.ones((4, 2, 3, 3)), dilation=2), ["spans 5x5"]),
    (
        lambda: conv2d(np.ones((1, 3, 5, 5)), np.ones((4, 1, 3, 3)), groups=2),
        ["groups=2", "input channels (3)"],
    ),  # fmt: skip
    (
        lambda: conv2d(np.ones((1, 4, 5, 5)), np.ones((3, 2, 3, 3)), groups=2),
        ["output channels (3)"],
    ),  # fmt: skip
    (lambda: conv2d(np.ones((1, 2, 5, 5)), np.ones((4, 2, 3, 3)), np.ones(3)), ["bias", "(4,)"]),
    (lambda: conv2d(np.ones((5, 5)), np.ones((4, 1, 3, 3))), ["4-D", "(5, 5)"]),
    (lambda: conv2d(np.ones((1, 1, 5, 5)), np.ones((4, 3, 3))), ["weight", "4-D", "(4, 3, 3)"]),
    (lambda: conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), stride=0), ["stride", "0"]),
    (lambda: conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), padding=-1), ["padding"]),
    (lambda: conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), groups=0), ["groups"]),
    (lambda: conv1d(np.ones((1, 2, 5)), np.ones((1, 3, 2))), ["2 channels"]),
    (lambda: max_pool2d(np.ones((1, 1, 3, 3)), 4), ["kernel 4x4", "padded input 3x3"]),
    (lambda: max_pool2d(np.ones((1, 1, 6, 6)), 2, padding=2), ["padding", "half"]),
    (lambda: avg_pool2d(np.ones((1, 1, 6, 6)), (2, 2, 2)), ["kernel_size"]),
]


@pytest.mark.parametrize("call, words", ERRORS)
def test_bad_input_names_the_sizes(call, words):
    with pytest.raises(ValueError) as info:
        call()
    for word in words:
        assert word in str(info.value)


def test_forward_mode_through_conv_and_pools_matches_torch():
    rng = np.random.default_rng(7)
    x, v = rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(2, 3, 6, 6))
    w = rng.normal(size=(4, 3, 3, 3))

    def ours(x):
        return max_pool2d(avg_pool2d(conv2d(x, Tensor(w), padding=1).tanh(), 2, 1), 2)

    def theirs(x):
        y = TF.conv2d(x, torch.tensor(w), padding=1).tanh()
        return TF.max_pool2d(TF.avg_pool2d(y, 2, 1), 2)

    out, tangent = autograd.jvp(ours, (Tensor(x),), (Tensor(v),))
    t_out, t_tangent = torch.func.jvp(theirs, (torch.tensor(x),), (torch.tensor(v),))
    np.testing.assert_allclose(out.data, t_out.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tangent.data, t_tangent.numpy(), rtol=1e-10, atol=1e-12)
