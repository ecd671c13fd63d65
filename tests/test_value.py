"""The scalar engine: every op against finite differences, graph shapes that break naive engines,
accumulation, no_grad, domain behaviour, bad input, anomaly detection."""

import math
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import (
    AnomalyError,
    Value,
    detect_anomaly,
    dot,
    gradcheck,
    no_grad,
    numerical_grad,
    sum_of,
)

finite = st.floats(min_value=-3, max_value=3, allow_nan=False)
positive = st.floats(min_value=0.1, max_value=5)
away_from_zero = finite.filter(lambda x: abs(x) > 0.1)

# (name, function of Values, strategy for each argument, reference on floats)
UNARY = [
    ("neg", lambda a: -a, finite, lambda a: -a),
    ("exp", lambda a: a.exp(), finite, math.exp),
    ("log", lambda a: a.log(), positive, math.log),
    ("sqrt", lambda a: a.sqrt(), positive, math.sqrt),
    ("tanh", lambda a: a.tanh(), finite, math.tanh),
    ("sigmoid", lambda a: a.sigmoid(), finite, lambda a: 1 / (1 + math.exp(-a))),
    ("relu", lambda a: a.relu(), away_from_zero, lambda a: max(a, 0.0)),
    ("abs", lambda a: abs(a), away_from_zero, abs),
    ("sin", lambda a: a.sin(), finite, math.sin),
    ("cos", lambda a: a.cos(), finite, math.cos),
    ("log1p", lambda a: a.log1p(), positive, math.log1p),
    ("erf", lambda a: a.erf(), finite, math.erf),
    ("pow2", lambda a: a**2, finite, lambda a: a**2),
    ("pow3", lambda a: a**3, finite, lambda a: a**3),
    ("pow-1", lambda a: a**-1, away_from_zero, lambda a: 1 / a),
    ("pow.5", lambda a: a**0.5, positive, math.sqrt),
    ("rpow", lambda a: 2**a, finite, lambda a: 2**a),
    ("radd", lambda a: 3 + a, finite, lambda a: 3 + a),
    ("rsub", lambda a: 3 - a, finite, lambda a: 3 - a),
    ("rmul", lambda a: 3 * a, finite, lambda a: 3 * a),
    ("rdiv", lambda a: 3 / a, away_from_zero, lambda a: 3 / a),
]
BINARY = [
    ("add", lambda a, b: a + b, finite, finite, lambda a, b: a + b),
    ("sub", lambda a, b: a - b, finite, finite, lambda a, b: a - b),
    ("mul", lambda a, b: a * b, finite, finite, lambda a, b: a * b),
    ("div", lambda a, b: a / b, finite, away_from_zero, lambda a, b: a / b),
    ("pow", lambda a, b: a**b, positive, finite, lambda a, b: a**b),
]


@pytest.mark.parametrize("name,f,strategy,ref", UNARY, ids=[u[0] for u in UNARY])
def test_unary_value_and_gradient(name, f, strategy, ref):
    @given(strategy)
    def check(x):
        a = Value(x)
        out = f(a)
        assert out.data == pytest.approx(ref(x), rel=1e-12, abs=1e-12)
        out.backward()
        assert a.grad == pytest.approx(numerical_grad(f, a), rel=1e-5, abs=1e-6)

    check()


@pytest.mark.parametrize("name,f,sa,sb,ref", BINARY, ids=[b[0] for b in BINARY])
def test_binary_value_and_gradient(name, f, sa, sb, ref):
    @given(sa, sb)
    def check(x, y):
        a, b = Value(x), Value(y)
        out = f(a, b)
        assert out.data == pytest.approx(ref(x, y), rel=1e-12, abs=1e-12)
        assert gradcheck(f, [a, b])

    check()


@given(st.lists(finite, min_size=1, max_size=6), st.data())
def test_nary_dot_and_sum(ws, data):
    xs = data.draw(st.lists(finite, min_size=len(ws), max_size=len(ws)))
    wv, xv, b = [Value(w) for w in ws], [Value(x) for x in xs], Value(0.5)
    out = dot(wv, xv, b)
    assert out.data == pytest.approx(sum(w * x for w, x in zip(ws, xs)) + 0.5, abs=1e-12)
    out.backward()
    assert [w.grad for w in wv] == pytest.approx(xs)
    assert [x.grad for x in xv] == pytest.approx(ws)
    assert b.grad == 1.0
    assert sum_of(xv).data == pytest.approx(sum(xs))
    assert gradcheck(lambda *v: sum_of(v) * dot(v, v), xv)


def test_dot_mixed_numbers_and_length_mismatch():
    w = [Value(2.0), Value(3.0)]
    out = dot(w, [1, 4.0])
    out.backward()
    assert out.data == 14.0 and [x.grad for x in w] == [1.0, 4.0]
    with pytest.raises(ValueError, match="2 weights but 3 inputs"):
        dot(w, [1, 2, 3])


# ------------------------------------------------------------------- graph shapes
def test_node_used_twice():
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0
    b = Value(-2.0)
    (b + b).backward()
    assert b.grad == 2.0


def test_diamond():
    x = Value(1.5)
    left, right = x * 2, x.exp()
    out = left * right
    out.backward()
    assert x.grad == pytest.approx(2 * math.exp(1.5) + 3 * math.exp(1.5))


def test_node_reused_across_layers():
    x = Value(0.7)
    h1 = (x * 2).tanh()
    h2 = (h1 + x).tanh()
    out = h2 * h1 + x

    def f(v):
        a = (v * 2).tanh()
        return (a + v).tanh() * a + v

    out.backward()
    assert x.grad == pytest.approx(numerical_grad(f, Value(0.7)), rel=1e-6)


def test_million_step_chain_under_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1e-6
    y.backward()
    assert x.grad == 1.0
    assert y.data == pytest.approx(2.0)


def test_backward_from_intermediate_node():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    d = c + a
    c.backward()
    assert (a.grad, b.grad) == (3.0, 2.0)
    assert d.grad is None  # d is downstream of c: not computed


def test_intermediate_grads_are_readable():
    a = Value(2.0)
    b = a * 3
    c = b.tanh()
    c.backward()
    assert c.grad == 1.0
    assert b.grad == pytest.approx(1 - math.tanh(6.0) ** 2)


# ------------------------------------------------------------------- accumulation, no_grad
def test_repeated_backward_accumulates_exactly():
    # micrograd issue 53: intermediate grads leaked into the second pass there
    a, b = Value(2.0), Value(-1.0)
    out = (a * b).tanh() * a
    out.backward()
    first = (a.grad, b.grad)
    out.backward()
    assert (a.grad, b.grad) == pytest.approx((2 * first[0], 2 * first[1]))


def test_zeroing_grad_between_steps():
    a = Value(2.0)
    (a * a).backward()
    a.grad = 0.0
    (a * a).backward()
    assert a.grad == 4.0


def test_no_grad_builds_no_graph_and_restores():
    a = Value(2.0)
    with no_grad():
        b = a * 3 + 1
    assert b.parents == () and not b.requires_grad
    c = a * 3
    assert c.parents and c.requires_grad

    @no_grad()
    def f(v):
        return v * v

    assert f(a).parents == ()
    assert (a * a).parents  # decorator restored grad mode
    with pytest.raises(RuntimeError, match="does not require grad"):
        b.backward()


def test_detach():
    a = Value(2.0, label="a")
    d = (a * 3).detach()
    assert d.data == 6.0 and d.parents == () and not d.requires_grad
    out = d * a
    out.backward()
    assert a.grad == 6.0 and d.grad == 0.0


# ------------------------------------------------------------------- micrograd surface
def test_micrograd_aliases_and_repr():
    a, b = Value(2.0, label="a"), Value(3.0)
    c = a * b
    assert c._op == "*" and c.op == "*"
    assert c._prev == {a, b}
    assert (a * a)._prev == {a}
    assert a._op == "" and a._prev == set()
    assert (a**2)._op == "**2"
    assert repr(a) == "Value(data=2, grad=0, label='a')"
    for attr in ("op", "parents", "_op", "_prev"):
        with pytest.raises(AttributeError):
            setattr(c, attr, None)


def test_comparisons_compare_data():
    a, b = Value(2.0), Value(3.0)
    assert a < b and b > a and a <= 2 and a >= 2.0 and a == Value(2.0) and a != b
    assert len({a, Value(2.0)}) == 2  # hashing stays by identity


def test_numbers_of_every_kind_are_accepted():
    for n in (2, 2.0, True, np.float32(2.0), np.int64(2), np.float64(2.0), np.array(2.0)):
        assert Value(n).data == float(n)
        assert (Value(1.0) + n).data == 1.0 + float(n)
        assert (n * Value(1.0)).data == float(n)
    assert isinstance(np.float64(2.0) * Value(3.0), Value)


# ------------------------------------------------------------------- domain and bad input
def test_domain_behaves_like_pytorch():
    assert Value(0.0).log().data == -math.inf
    assert math.isnan(Value(-1.0).log().data)
    assert math.isnan((Value(-8.0) ** 0.5).data)
    assert math.isnan(Value(-1.0).sqrt().data)
    assert (Value(1.0) / 0).data == math.inf
    assert (Value(-1.0) / 0).data == -math.inf
    assert math.isnan((Value(0.0) / 0).data)
    assert Value(1000.0).exp().data == math.inf
    assert (Value(0.0) ** -1).data == math.inf
    assert (Value(-0.0) ** -1).data == -math.inf  # an odd power keeps the sign of zero
    assert (Value(-0.0) ** -2).data == math.inf
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    x = Value(0.0)
    x.log().backward()
    assert x.grad == math.inf


@pytest.mark.parametrize("name,f", [(u[0], u[1]) for u in UNARY], ids=[u[0] for u in UNARY])
def test_nan_goes_through_every_op(name, f):
    assert math.isnan(f(Value(math.nan)).data)


@pytest.mark.parametrize("bad", ["3", None, [1, 2], 1 + 2j, {"a": 1}])
def test_bad_value_names_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_micrograds_internal_constructor_form_is_refused():
    """micrograd's Value(data, _children, _op) would make a disconnected leaf here, silently."""
    a = Value(1.0)
    with pytest.raises(TypeError, match=r"label must be a str, got tuple"):
        Value(2.0, (a,), "+")
    with pytest.raises(TypeError, match=r"requires_grad must be True or False, got str"):
        Value(2.0, "x", "+")
    assert Value(2.0, "x", np.bool_(False)).requires_grad is False


def test_bad_operand_names_the_type():
    v = Value(1.0)
    with pytest.raises(TypeError, match="str"):
        v + "a"
    with pytest.raises(TypeError, match="list"):
        [1] * v
    with pytest.raises(TypeError, match="NoneType"):
        v**None


def test_detect_anomaly_forward_names_op_and_inputs():
    a = Value(0.0)
    with detect_anomaly():
        with pytest.raises(AnomalyError, match=r"'log'.*0\.0"):
            a.log()
    assert math.isinf(a.log().data)  # outside the block: PyTorch's behaviour, no error


def test_detect_anomaly_backward():
    a = Value(0.0)
    out = a.sqrt() * 0  # forward is finite (0 * 0); backward through sqrt at 0 is inf
    with detect_anomaly():
        with pytest.raises(AnomalyError, match="sqrt"):
            out.backward()


def test_gradcheck_catches_a_wrong_gradient():
    from autograd import GradcheckError
    from autograd.ops import Sin

    class WrongSin(Sin):
        def backward(self, F, g, out, a):
            return (g * F.sin(a),)  # planted bug: should be cos

    wrong = WrongSin()

    def f(x):
        return wrong.apply(x) * 2

    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(f, [Value(0.3)])


def test_grad_function_leaves_every_grad_untouched():
    from autograd import grad

    x, y = Value(1.5), Value(2.0)
    a = x * y
    b = a * a
    b.backward()
    before = (x.grad, y.grad, a.grad, b.grad)
    gx, gy = grad(b, [x, y])
    assert (gx, gy) == pytest.approx((2 * 3.0 * 2.0, 2 * 3.0 * 1.5))
    assert (x.grad, y.grad, a.grad, b.grad) == before
    with pytest.raises(RuntimeError, match="not used"):
        grad(x * 2, [x, y])
    assert grad(x * 2, [x, y], allow_unused=True) == (2.0, None)
