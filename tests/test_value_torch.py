"""Every Value op against PyTorch float64: the value and the gradient of each input."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value

torch = pytest.importorskip("torch")

finite = st.floats(min_value=-3, max_value=3, allow_nan=False)
positive = st.floats(min_value=0.1, max_value=5)
nonzero = finite.filter(lambda x: abs(x) > 0.1)

# (name, op written once: it works on Values and on torch tensors alike, strategies)
OPS = [
    ("add", lambda a, b: a + b, finite, finite),
    ("sub", lambda a, b: a - b, finite, finite),
    ("mul", lambda a, b: a * b, finite, finite),
    ("div", lambda a, b: a / b, finite, nonzero),
    ("pow", lambda a, b: a**b, positive, finite),
    ("pow_const", lambda a, b: a**3 + b**2, finite, finite),
    ("pow_frac", lambda a, b: a**0.5 + b**-2, positive, nonzero),
    ("rpow", lambda a, b: 2.5**a + b, finite, finite),
    ("reflected", lambda a, b: 1 - a + 2 * b - 3 / b, finite, nonzero),
    ("neg", lambda a, b: -a * b, finite, finite),
    ("exp", lambda a, b: a.exp() * b, finite, finite),
    ("log", lambda a, b: a.log() + b, positive, finite),
    ("sqrt", lambda a, b: a.sqrt() * b, positive, finite),
    ("tanh", lambda a, b: (a * b).tanh(), finite, finite),
    ("sigmoid", lambda a, b: (a - b).sigmoid(), finite, finite),
    ("relu", lambda a, b: a.relu() * b, nonzero, finite),
    ("abs", lambda a, b: abs(a) * b, nonzero, finite),
    ("sin", lambda a, b: a.sin() * b.cos(), finite, finite),
    ("log1p", lambda a, b: a.log1p() * b, positive, finite),
    ("erf", lambda a, b: (a * b).erf(), finite, finite),
]


@pytest.mark.parametrize("name,op,sa,sb", OPS, ids=[o[0] for o in OPS])
def test_op_matches_torch(name, op, sa, sb):
    @given(sa, sb)
    def check(x, y):
        a, b = Value(x), Value(y)
        out = op(a, b)
        out.backward()
        at = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        bt = torch.tensor(y, dtype=torch.float64, requires_grad=True)
        outt = op(at, bt)
        outt.backward()
        assert out.data == pytest.approx(outt.item(), rel=1e-12, abs=1e-12)
        assert a.grad == pytest.approx(at.grad.item(), rel=1e-10, abs=1e-10)
        assert b.grad == pytest.approx(bt.grad.item(), rel=1e-10, abs=1e-10)

    check()


def test_relu_and_abs_at_zero_match_torch():
    for op in (lambda a: a.relu(), lambda a: abs(a)):
        a = Value(0.0)
        op(a).backward()
        at = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
        op(at).backward()
        assert a.grad == at.grad.item()


EDGES = [0.0, -0.0, 1.0, -1.0, 1e-300, 800.0, -800.0, math.inf, -math.inf, math.nan]
EDGE_OPS = [
    ("exp", lambda a: a.exp()),
    ("log", lambda a: a.log()),
    ("sqrt", lambda a: a.sqrt()),
    ("tanh", lambda a: a.tanh()),
    ("sigmoid", lambda a: a.sigmoid()),
    ("sin", lambda a: a.sin()),
    ("cos", lambda a: a.cos()),
    ("neg", lambda a: -a),
    ("square", lambda a: a**2),
    ("cube", lambda a: a**3),
    ("inverse", lambda a: a**-1),
    ("rdiv", lambda a: 1 / a),
    ("div0", lambda a: a / 0.0),
]


def same(ours: float, theirs: float) -> bool:
    return ours == theirs or (math.isnan(ours) and math.isnan(theirs))


@pytest.mark.parametrize("name,op", EDGE_OPS, ids=[o[0] for o in EDGE_OPS])
def test_domain_edges_match_torch(name, op):
    """0, -0, huge, inf and nan: the same value and gradient as PyTorch (never an exception)."""
    for x in EDGES:
        a = Value(x)
        out = op(a)
        out.backward()
        at = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        outt = op(at)
        outt.backward()
        assert same(out.data, outt.item()), (name, x, out.data, outt.item())
        assert same(a.grad, at.grad.item()), (name, x, a.grad, at.grad.item())
