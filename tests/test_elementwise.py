"""The one table of elementwise ops (``autograd/ops.py``), checked on both engines: value,
first and second derivatives against PyTorch (float64), and gradcheck / gradgradcheck against
finite differences. Adding an op to ``ops.py`` means adding its row here (CONTRIBUTING.md);
the first test fails until it is added."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, Value, grad, gradcheck, gradgradcheck, ops

torch = pytest.importorskip("torch")

ANY = [-2.1, -0.7, 0.3, 1.4]
POSITIVE = [0.2, 0.9, 1.7, 3.1]
AWAY_FROM_ZERO = [-1.3, -0.4, 0.6, 2.2]

# method name: (the same function in PyTorch, points where it is smooth)
UNARY = {
    "__neg__": (torch.neg, ANY),
    "__abs__": (torch.abs, AWAY_FROM_ZERO),
    "exp": (torch.exp, ANY),
    "log": (torch.log, POSITIVE),
    "log1p": (torch.log1p, POSITIVE),
    "sqrt": (torch.sqrt, POSITIVE),
    "tanh": (torch.tanh, ANY),
    "sigmoid": (torch.sigmoid, ANY),
    "relu": (torch.relu, AWAY_FROM_ZERO),
    "abs": (torch.abs, AWAY_FROM_ZERO),
    "sin": (torch.sin, ANY),
    "cos": (torch.cos, ANY),
    "erf": (torch.erf, ANY),
}
# method name: (PyTorch's operator, points for a, points for b)
BINARY = {
    "__add__": (torch.add, ANY, ANY),
    "__sub__": (torch.sub, ANY, ANY),
    "__mul__": (torch.mul, ANY, ANY),
    "__truediv__": (torch.div, ANY, AWAY_FROM_ZERO),
    "__pow__": (torch.pow, POSITIVE, ANY),
}
NOT_IN_THE_TABLE = {"where", "__iadd__", "__isub__", "__imul__", "__itruediv__"}  # tested apart


def test_every_elementwise_op_has_a_row():
    reflected = {name for name in ops.METHODS if name.startswith("__r")}
    rows = set(UNARY) | set(BINARY) | {n.replace("__r", "__", 1) for n in reflected}
    assert set(ops.METHODS) - NOT_IN_THE_TABLE - reflected == rows - reflected


def torch_derivatives(f, xs):
    """PyTorch's value, gradient and (for one input) second derivative of f at xs."""
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    y = f(*ts)
    grads = torch.autograd.grad(y.sum(), ts, create_graph=True)
    second = None
    if len(ts) == 1:  # a derivative that is constant has no graph: its derivative is 0
        g0 = grads[0]
        second = torch.autograd.grad(g0.sum(), ts[0])[0] if g0.requires_grad else g0 * 0
    return y.detach().numpy(), [g.detach().numpy() for g in grads], second


def value_derivatives(method, xs):
    vs = [Value(x) for x in xs]
    y = getattr(vs[0], method)(*vs[1:])
    gs = grad(y, vs, create_graph=True)
    second = None
    if len(vs) == 1:
        second = grad(gs[0], vs[0])[0] if gs[0].requires_grad else 0.0
    return y.data, [g.data for g in gs], second


def tensor_derivatives(method, xs):
    ts = [Tensor(np.asarray(x, dtype=np.float64), requires_grad=True) for x in xs]
    y = getattr(ts[0], method)(*ts[1:])
    gs = grad(y.sum(), ts, create_graph=True)
    second = None
    if len(ts) == 1:
        second = grad(gs[0].sum(), ts[0])[0] if gs[0].requires_grad else gs[0] * 0
    return y.data, [g.data for g in gs], second


@pytest.mark.parametrize("method", sorted(UNARY))
def test_unary_ops_on_both_engines_match_torch_and_finite_differences(method):
    torch_fn, points = UNARY[method]
    for x in points:
        y, (g,), second = torch_derivatives(torch_fn, [x])
        vy, (vg,), vsecond = value_derivatives(method, [x])
        assert vy == pytest.approx(float(y), rel=1e-12)
        assert vg == pytest.approx(float(g), rel=1e-10, abs=1e-12)
        assert float(getattr(vsecond, "data", vsecond)) == pytest.approx(
            float(second), rel=1e-9, abs=1e-12
        )
        assert gradcheck(lambda a: getattr(a, method)(), [Value(x)])
        assert gradgradcheck(lambda a: getattr(a, method)(), [Value(x)])
    ty, (tg,), tsecond = tensor_derivatives(method, [points])
    y, (g,), second = torch_derivatives(torch_fn, [points])
    np.testing.assert_allclose(ty, y, rtol=1e-12)
    np.testing.assert_allclose(tg, g, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        getattr(tsecond, "data", tsecond), second.detach().numpy(force=True), rtol=1e-9, atol=1e-12
    )
    t = Tensor(np.array(points), requires_grad=True, dtype=np.float64)
    assert gradcheck(lambda a: getattr(a, method)(), [t])
    assert gradgradcheck(lambda a: getattr(a, method)(), [t])


@pytest.mark.parametrize("method", sorted(BINARY))
def test_binary_ops_on_both_engines_match_torch_and_finite_differences(method):
    torch_fn, a_points, b_points = BINARY[method]
    for a, b in zip(a_points, b_points):
        _, grads, _ = torch_derivatives(torch_fn, [a, b])
        vy, vgrads, _ = value_derivatives(method, [a, b])
        ab = torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)
        assert vy == pytest.approx(float(torch_fn(*ab)), rel=1e-12)
        for mine, theirs in zip(vgrads, grads):
            assert mine == pytest.approx(float(theirs), rel=1e-10, abs=1e-12)
        f = lambda x, y: getattr(x, method)(y)  # noqa: E731
        assert gradcheck(f, [Value(a), Value(b)]) and gradgradcheck(f, [Value(a), Value(b)])
        # a number on either side is a constant: the reflected method, and no node for it
        assert getattr(Value(a), method)(b).data == pytest.approx(vy, rel=1e-12)
        reflected = method.replace("__", "__r", 1)
        assert getattr(Value(b), reflected)(a).data == pytest.approx(vy, rel=1e-12)
    ta = Tensor(np.array(a_points), requires_grad=True, dtype=np.float64)
    tb = Tensor(np.array(b_points), requires_grad=True, dtype=np.float64)
    _, grads, _ = torch_derivatives(torch_fn, [a_points, b_points])
    _, tgrads, _ = tensor_derivatives(method, [a_points, b_points])
    for mine, theirs in zip(tgrads, grads):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)
    f = lambda x, y: getattr(x, method)(y)  # noqa: E731
    assert gradcheck(f, [ta, tb]) and gradgradcheck(f, [ta, tb])
