"""Function.apply: a user-defined op joins the graph on both engines, and gradcheck judges it."""

import math

import numpy as np
import pytest

from autograd import Function, GradcheckError, Tensor, Value, gradcheck, gradgradcheck


class Softplus(Function):
    """log(1 + exp(x)), written as a user would."""

    name = "softplus"

    def forward(self, F, a):
        return F.log(1 + F.exp(a))

    def backward(self, F, g, out, a):
        return (g * F.sigmoid(a),)


class WrongSoftplus(Softplus):
    def backward(self, F, g, out, a):
        return (g * F.sigmoid(-a),)  # planted bug: the sign


def test_custom_op_on_values():
    x = Value(0.7)
    y = Softplus().apply(x) * 2
    assert y.data == pytest.approx(2 * math.log1p(math.exp(0.7)))
    assert y.parents[0].op == "softplus"
    y.backward()
    assert x.grad == pytest.approx(2 / (1 + math.exp(-0.7)))
    assert gradcheck(lambda v: Softplus().apply(v), [Value(-0.3)])
    assert gradgradcheck(lambda v: Softplus().apply(v), [Value(-0.3)])


def test_custom_op_on_tensors():
    x = Tensor(np.linspace(-2, 2, 5), requires_grad=True, dtype=np.float64)
    out = Softplus().apply(x)
    assert isinstance(out, Tensor) and out.shape == (5,)
    assert gradcheck(lambda t: Softplus().apply(t).sum(), [x])


def test_planted_bug_is_caught():
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(lambda v: WrongSoftplus().apply(v), [Value(0.4)])


class Add2(Function):
    name = "add2"

    def forward(self, F, a, b):
        return a + b

    def backward(self, F, g, out, a, b):
        return g, g


def test_apply_rejects_mixed_or_missing_nodes():
    with pytest.raises(TypeError, match="none"):
        Softplus().apply(1.0)
    with pytest.raises(TypeError, match="Tensor and Value"):
        Add2().apply(Value(1.0), Tensor([1.0]))
    assert Add2().apply(Value(1.0), 2.0).data == 3.0  # numbers are constants


class ElementwiseSoftplus(Softplus):
    elementwise = True  # the op says so: drawings show its local derivatives


def test_a_users_elementwise_op_shows_its_local_derivatives_like_a_built_in_one():
    from autograd import backward_steps

    x = Tensor(np.array([0.5, -1.0]), requires_grad=True, dtype=np.float64)
    for op, has_local in ((ElementwiseSoftplus(), True), (Softplus(), False)):
        y = op.apply(x).sum()
        (step,) = [s for s in backward_steps(y) if s.node.op == "softplus"]
        if has_local:
            np.testing.assert_allclose(step.local[0], 1 / (1 + np.exp(-x.data)))
        else:
            assert step.local[0] is None


class Scaled(Function):
    """a * b, told which inputs need a gradient (PyTorch's ctx.needs_input_grad)."""

    name = "scaled"
    selective = True
    seen: list = []

    def forward(self, F, a, b):
        return a * b

    def backward(self, F, g, out, a, b, needs_input_grad=(True, True)):
        Scaled.seen.append(needs_input_grad)
        need_a, need_b = needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)


@pytest.mark.parametrize("kind", [Value, Tensor])
def test_a_selective_rule_is_told_which_inputs_need_a_gradient(kind):
    def make(v, requires_grad=True):
        if kind is Value:
            return Value(v, requires_grad=requires_grad)
        return Tensor(np.array([v]), dtype=np.float64, requires_grad=requires_grad)

    a, b = make(2.0), make(3.0, requires_grad=False)
    Scaled.seen.clear()
    Scaled().apply(a, b).sum().backward() if kind is Tensor else Scaled().apply(a, b).backward()
    assert Scaled.seen == [(True, False)]
    assert float(np.ravel(a.grad)[0]) == 3.0 and (b.grad is None or b.grad == 0.0)
    Scaled.seen.clear()
    Scaled().apply(a, 5.0).sum().backward() if kind is Tensor else Scaled().apply(a, 5.0).backward()
    assert Scaled.seen == [(True, False)]  # a constant never needs one
    Scaled.seen.clear()
    x = make(1.5)
    assert gradgradcheck(lambda v: Scaled().apply(v, v), [x])  # second order: told on nodes too
    assert all(need == (True, True) for need in Scaled.seen)
