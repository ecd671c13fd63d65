"""Higher-order derivatives through the graph core: ``grad(..., create_graph=True)`` and
``backward(create_graph=True)`` reuse the first-order rules on nodes. Every Value op passes
gradgradcheck and matches PyTorch's second derivatives."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import grad
from autograd.check import gradgradcheck
from autograd.functional import hessian
from autograd.value import Value, dot, sum_of

try:
    import torch
except ImportError:  # pragma: no cover - torch is installed in the dev venv
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

finite = st.floats(min_value=-3, max_value=3, allow_nan=False)
positive = st.floats(min_value=0.2, max_value=4)
away_from_zero = st.one_of(st.floats(-3, -0.2), st.floats(0.2, 3))
# PyTorch's pow rule masks d/da to exactly 0 where the exponent is 0, which also zeroes its
# d2/da db there (mathematically a**(b-1) = 1/a); chainrule's rule has no mask, so skip b == 0.
nonzero_exponent = finite.filter(lambda b: b != 0)


def torch_sum_of(*xs):
    return sum(xs[1:], xs[0])


def torch_dot(*wx):
    n = len(wx) // 2
    return sum(w * x for w, x in zip(wx[:n], wx[n:]))


# (name, chainrule function, PyTorch function or None (same code works on tensors), argument
# strategies). Values and torch tensors share operator and method names, so most lambdas serve both.
OPS = [
    ("neg", lambda a: -a, None, [finite]),
    ("exp", lambda a: a.exp(), None, [finite]),
    ("log", lambda a: a.log(), None, [positive]),
    ("sqrt", lambda a: a.sqrt(), None, [positive]),
    ("tanh", lambda a: a.tanh(), None, [finite]),
    ("sigmoid", lambda a: a.sigmoid(), None, [finite]),
    ("relu", lambda a: a.relu(), None, [away_from_zero]),
    ("abs", lambda a: abs(a), None, [away_from_zero]),
    ("sin", lambda a: a.sin(), None, [finite]),
    ("cos", lambda a: a.cos(), None, [finite]),
    ("log1p", lambda a: a.log1p(), None, [positive]),
    ("erf", lambda a: a.erf(), None, [finite]),
    ("pow0", lambda a: a**0, None, [finite]),
    ("pow1", lambda a: a**1, None, [finite]),
    ("pow2", lambda a: a**2, None, [finite]),
    ("pow3", lambda a: a**3, None, [finite]),
    ("pow-1", lambda a: a**-1, None, [away_from_zero]),
    ("pow0.5", lambda a: a**0.5, None, [positive]),
    ("pow-2.5", lambda a: a**-2.5, None, [positive]),
    ("add", lambda a, b: a + b, None, [finite, finite]),
    ("sub", lambda a, b: a - b, None, [finite, finite]),
    ("mul", lambda a, b: a * b, None, [finite, finite]),
    ("div", lambda a, b: a / b, None, [finite, away_from_zero]),
    ("pow", lambda a, b: a**b, None, [positive, nonzero_exponent]),
    ("radd", lambda a: 2.5 + a, None, [finite]),
    ("rsub", lambda a: 2.5 - a, None, [finite]),
    ("rmul", lambda a: 2.5 * a, None, [finite]),
    ("rdiv", lambda a: 2.5 / a, None, [away_from_zero]),
    ("rpow", lambda a: 2.5**a, None, [finite]),
    ("square_by_mul", lambda a: a * a, None, [finite]),
    (
        "sum_of",
        lambda a, b, c: sum_of([a, b, c, a * b]),
        lambda a, b, c: a + b + c + a * b,
        [finite] * 3,
    ),
    ("dot", lambda a, b, c, d: dot([a, b], [c, d]), torch_dot, [finite] * 4),
    ("dot_shared", lambda a, b: dot([a, b], [b, a]), lambda a, b: 2 * a * b, [finite] * 2),
    (
        "dot_bias",
        lambda a, b, c: dot([a], [b], bias=c * c),
        lambda a, b, c: a * b + c * c,
        [finite] * 3,
    ),
]
IDS = [op[0] for op in OPS]


def points(strategies):
    return st.tuples(*strategies)


@pytest.mark.parametrize("name, f, torch_f, strategies", OPS, ids=IDS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_every_value_op_passes_gradgradcheck(name, f, torch_f, strategies, data):
    xs = [Value(v) for v in data.draw(points(strategies))]
    assert gradgradcheck(f, xs)


def torch_hessian(torch_f, point):
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    out = torch_f(*ts)
    first = torch.autograd.grad(out, ts, create_graph=True, allow_unused=True)
    rows = []
    for g in first:
        if g is None or not g.requires_grad:
            rows.append([0.0] * len(ts))
            continue
        second = torch.autograd.grad(g, ts, allow_unused=True)
        rows.append([0.0 if s is None else s.item() for s in second])
    return np.array(rows)


def our_hessian(f, point):
    everything = tuple(range(len(point)))
    H = hessian(f, *point, argnums=everything)
    return np.array([[float(h) for h in row] for row in H])


@needs_torch
@pytest.mark.parametrize("name, f, torch_f, strategies", OPS, ids=IDS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_every_value_op_second_derivatives_match_torch(name, f, torch_f, strategies, data):
    point = data.draw(points(strategies))
    expected = torch_hessian(torch_f or f, point)
    np.testing.assert_allclose(our_hessian(f, point), expected, rtol=1e-10, atol=1e-10)


UNARY = [op for op in OPS if len(op[3]) == 1]


def nth_derivative(grad_fn, x, y, order):
    """d^order y / dx^order by repeated create_graph gradients (0 once nothing depends on x)."""
    for _ in range(order):
        if y is None or not y.requires_grad:
            return 0.0
        (y,) = grad_fn(y, x, create_graph=True, allow_unused=True)
    return 0.0 if y is None else float(y.item())


@needs_torch
@pytest.mark.parametrize("name, f, torch_f, strategies", UNARY, ids=[op[0] for op in UNARY])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_third_derivatives_of_unary_ops_match_torch(name, f, torch_f, strategies, data):
    (a,) = data.draw(points(strategies))
    x = Value(a)
    t = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    ours = nth_derivative(grad, x, f(x), 3)
    expected = nth_derivative(torch.autograd.grad, t, (torch_f or f)(t), 3)
    assert ours == pytest.approx(expected, rel=1e-10, abs=1e-10)


# --------------------------------------------------------------------- the core API itself
def test_grad_with_create_graph_returns_differentiable_nodes():
    x = Value(0.7)
    y = x**3
    (g,) = grad(y, x, create_graph=True)
    assert isinstance(g, Value) and g.requires_grad and g.data == pytest.approx(3 * 0.49)
    (h,) = grad(g, x, create_graph=True)
    assert h.data == pytest.approx(6 * 0.7)
    (t,) = grad(h, x)
    assert t == pytest.approx(6.0)
    assert x.grad == 0.0  # grad() never touches .grad


def test_first_order_grad_stays_plain_floats():
    x = Value(0.7)
    (g,) = grad(x.tanh() * x, x)
    assert type(g) is float


def test_backward_with_create_graph_makes_grad_a_node():
    x, y = Value(0.5), Value(-1.5)
    z = (x * y).tanh() + x * x
    z.backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.requires_grad
    gx = x.grad
    expected_dx = y.data * (1 - math.tanh(-0.75) ** 2) + 2 * x.data
    assert gx.data == pytest.approx(expected_dx)
    x.grad, y.grad = 0.0, 0.0
    gx.backward()  # d/dx and d/dy of dz/dx
    t = math.tanh(-0.75)
    d2_dxdx = y.data * y.data * (-2 * t * (1 - t * t)) + 2
    d2_dxdy = (1 - t * t) + y.data * x.data * (-2 * t * (1 - t * t))
    assert x.grad == pytest.approx(d2_dxdx) and y.grad == pytest.approx(d2_dxdy)


def test_mixed_partials_are_symmetric():
    x, y = Value(0.3), Value(1.1)
    f = (x * y).sin() * x.exp() / y
    gx, gy = grad(f, [x, y], create_graph=True)
    (dxy,) = grad(gx, y)
    (dyx,) = grad(gy, x)
    assert dxy == pytest.approx(dyx, rel=1e-12)


def test_grad_outputs_may_be_nodes_that_are_differentiated_too():
    x, v = Value(0.4), Value(2.0)
    (g,) = grad(x.sin(), x, grad_outputs=v, create_graph=True)
    assert g.data == pytest.approx(2.0 * math.cos(0.4))
    dx, dv = grad(g, [x, v])
    assert dx == pytest.approx(-2.0 * math.sin(0.4)) and dv == pytest.approx(math.cos(0.4))


def test_second_derivative_of_a_linear_function_is_unused():
    x = Value(1.0)
    (g,) = grad(3 * x + 1, x, create_graph=True)
    assert g == 3.0 and not g.requires_grad


def test_node_seed_without_create_graph_gives_plain_grads():
    # needs the graph.py fix reported to the lead: a Node seed must be unwrapped to its number
    # on the first-order path, or every gradient in the graph becomes a Value.
    x = Value(2.0)
    (x * x).backward(Value(3.0))
    assert type(x.grad) is float and x.grad == 12.0
