"""Gradient checking itself: numerical_grad, numerical/analytic Jacobians, gradcheck and
gradgradcheck, including planted derivative bugs that they must catch."""

import math

import numpy as np
import pytest

from autograd import Function, Node
from autograd import ops as E
from autograd.check import (
    GradcheckError,
    analytic_jacobian,
    gradcheck,
    gradgradcheck,
    numerical_grad,
    numerical_jacobian,
)
from autograd.tensor import Tensor
from autograd.value import Value


# ---------------------------------------------------------------- planted derivative bugs
class Square(Function):
    """x**2, forward only: the classes below plant wrong rules."""

    def forward(self, F, a):
        return a * a


class SquareWithWrongRule(Square):
    """x**2 whose rule claims d/dx = 3x (wrong at first order)."""

    name = "bad_sq"

    def backward(self, F, g, out, a):
        return (g * 3 * a,)


class SquareWithDetachedRule(Square):
    """x**2 whose rule uses the raw number of x: right at first order, but under create_graph the
    gradient no longer depends on x, so the second derivative comes out 0 instead of 2."""

    name = "detached_sq"

    def backward(self, F, g, out, a):
        raw = a.data if isinstance(a, Node) else a
        return (g * 2 * raw,)


class SquareWithDetachedUpstream(Square):
    """x**2 whose rule treats the upstream gradient as a constant under create_graph: the value
    is right, but nothing flows back to g (so double backward through it is wrong)."""

    name = "g_detached_sq"

    def backward(self, F, g, out, a):
        raw_g = g.data if isinstance(g, Node) else g
        return (raw_g * 2 * a,)


def apply(fn, x):
    return fn.apply(x)


def test_numerical_grad_single_and_many_inputs():
    x, y = Value(0.3), Value(-1.2)
    assert numerical_grad(lambda a: a.sin(), x) == pytest.approx(math.cos(0.3), abs=1e-8)
    gx, gy = numerical_grad(lambda a, b: a * b * b, [x, y])
    assert gx == pytest.approx(1.44, abs=1e-8) and gy == pytest.approx(2 * 0.3 * -1.2, abs=1e-8)
    assert x.data == 0.3 and y.data == -1.2  # perturbations undone


def test_numerical_grad_rejects_vector_output():
    with pytest.raises(ValueError, match="one number"):
        numerical_grad(lambda a: [a, a * 2], Value(1.0))


def test_analytic_and_numerical_jacobians_agree_for_vector_output():
    x, y = Value(0.4), Value(1.7)

    def f(a, b):
        return [a * b, (a + b).tanh(), b.log()]

    analytic = analytic_jacobian(f, [x, y])
    numerical = numerical_jacobian(f, [x, y])
    assert [m.shape for m in analytic] == [(3, 1), (3, 1)]
    for a, n in zip(analytic, numerical):
        np.testing.assert_allclose(a, n, atol=1e-8)
    expected_dx = [1.7, 1 - math.tanh(2.1) ** 2, 0.0]
    np.testing.assert_allclose(analytic[0][:, 0], expected_dx, atol=1e-12)


def test_analytic_jacobian_zero_for_unused_input_and_constant_output():
    x, y = Value(2.0), Value(3.0)
    a = analytic_jacobian(lambda p, q: [p * 2, 5.0], [x, y])
    np.testing.assert_array_equal(a[0], [[2.0], [0.0]])
    np.testing.assert_array_equal(a[1], [[0.0], [0.0]])


def test_gradcheck_counts_paths_through_closures_over_the_inputs():
    w, b = Value(0.6), Value(-0.2)

    def model(*_):  # uses its parameters from the enclosing scope, as a module does
        return (w * w + b).tanh() * w

    assert gradcheck(model, [w, b])
    assert gradgradcheck(model, [w, b])


def test_gradcheck_passes_on_correct_rules():
    x, y = Value(0.8), Value(-0.6)
    assert gradcheck(lambda a, b: (a * b).sigmoid() / (b * b + 1) + a.exp(), [x, y])


def test_gradcheck_catches_a_wrong_rule_and_names_the_input():
    x = Value(0.7, label="x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: apply(SquareWithWrongRule(), a), [x])
    message = str(info.value)
    assert message.startswith("gradcheck failed:")
    assert "input 0 'x'" in message
    assert "analytic 2.1" in message and "numerical 1.4" in message


def test_gradcheck_catches_a_broken_builtin_rule(monkeypatch):
    def wrong_cos_rule(self, F, g, out, a):
        return (g * F.sin(a),)  # the sign is missing

    monkeypatch.setattr(E.Cos, "backward", wrong_cos_rule)
    x, y = Value(0.5), Value(0.3)
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(lambda a, b: a.cos() + b * b, [x, y])


def test_gradcheck_lists_only_the_inputs_that_disagree():
    x, y = Value(0.7), Value(1.1)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: apply(SquareWithWrongRule(), b) + a * a, [x, y])
    assert "input 1" in str(info.value) and "input 0" not in str(info.value)


def test_gradcheck_bad_inputs():
    with pytest.raises(ValueError, match="does not require grad"):
        gradcheck(lambda a: a * 2, [Value(1.0, requires_grad=False)])
    with pytest.raises(TypeError, match="input 0 is a float"):
        gradcheck(lambda a: a * 2, [1.0])
    for check in (gradcheck, numerical_grad, gradgradcheck):
        with pytest.raises(TypeError, match=r"inputs must be a Value, a Tensor .* got float"):
            check(lambda a: a * 2, 1.0)


def test_gradgradcheck_passes_on_correct_second_derivatives():
    x, y = Value(0.8), Value(1.3)
    assert gradgradcheck(lambda a, b: (a * b).tanh() * b.log() + a**3 / b, [x, y])
    assert gradgradcheck(lambda a, b: [a * b, a.sin() * b], [x, y])


def test_gradgradcheck_catches_a_rule_that_is_right_only_at_first_order():
    x, y = Value(0.7), Value(1.3)

    def f(a, b):
        return apply(SquareWithDetachedRule(), a) * b

    assert gradcheck(f, [x, y])  # the first derivatives are right ...
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(f, [x, y])  # ... but d2f/da2 = 2b is computed as 0
    message = str(info.value)
    assert message.startswith("gradgradcheck failed:")
    assert "input 0" in message and "(worst at v.df/d(input 0), element 0)" in message
    assert "input 1:" not in message  # d/db of the first derivatives is right


def test_gradgradcheck_catches_a_rule_that_cuts_the_upstream_gradient():
    x = Value(0.9)

    def f(a):
        return apply(SquareWithDetachedUpstream(), a).exp()

    assert gradcheck(f, [x])
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(f, [x])
    assert "grad_output 0" in str(info.value)


def test_gradgradcheck_with_given_grad_outputs():
    x = Value(0.4)
    assert gradgradcheck(lambda a: [a.exp(), a * a], [x], grad_outputs=[2.0, -1.0])
    with pytest.raises(ValueError, match="2 grad_outputs for 1 outputs"):
        gradgradcheck(lambda a: a.exp(), [x], grad_outputs=[1.0, 2.0])
    with pytest.raises(TypeError, match="return a node"):
        gradgradcheck(lambda a: 3.0, [x])


def test_gradgradcheck_of_linear_function_is_zero_and_passes():
    x, y = Value(0.4), Value(2.0)
    assert gradgradcheck(lambda a, b: 3 * a - b, [x, y])


# ------------------------------------------------------------------------------ Tensors
def test_numerical_grad_of_a_tensor_has_its_shape():
    x = Tensor(np.arange(6.0).reshape(2, 3) / 10, requires_grad=True)
    g = numerical_grad(lambda t: (t * t).sum(), x)
    assert g.shape == (2, 3)
    np.testing.assert_allclose(g, 2 * x.data, atol=1e-8)


def test_an_input_without_elements_has_an_empty_gradient_and_jacobian():
    x = Tensor(np.zeros((0, 3)), dtype=np.float64, requires_grad=True)
    g = numerical_grad(lambda t: t.sum(), x)  # "got 0 values" before: a scalar f was refused
    assert g.shape == (0, 3)
    (block,) = numerical_jacobian(lambda t: t.sum(axis=0), x)
    assert block.shape == (3, 0) == analytic_jacobian(lambda t: t.sum(axis=0), x)[0].shape
    with pytest.raises(ValueError, match="got 3 values"):  # a vector f is still refused
        numerical_grad(lambda t: t.sum(axis=0), x)


def test_tensor_jacobians_agree_elementwise():
    x = Tensor(np.array([0.3, -1.1, 2.0]), requires_grad=True)
    y = Tensor(np.array([[0.5], [1.5]]), requires_grad=True)

    def f(a, b):
        return (a * b).sin()  # broadcasts to (2, 3)

    analytic = analytic_jacobian(f, [x, y])
    numerical = numerical_jacobian(f, [x, y])
    assert [m.shape for m in analytic] == [(6, 3), (6, 2)]
    for a, n in zip(analytic, numerical):
        np.testing.assert_allclose(a, n, atol=1e-8)


def test_gradcheck_and_gradgradcheck_on_tensors():
    x = Tensor(np.array([[0.2, -0.7], [1.3, 0.4]]), requires_grad=True)
    w = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    assert gradcheck(lambda a, b: ((a @ b).tanh() ** 2).sum(), [x, w])
    assert gradgradcheck(lambda a, b: (a @ b).tanh() * b.sum(), [x, w])


def test_gradcheck_catches_a_wrong_tensor_rule_and_points_at_the_element(monkeypatch):
    def wrong_sin_rule(self, F, g, out, a):
        return (g * F.cos(a) * 1.01,)  # 1% too large

    monkeypatch.setattr(E.Sin, "backward", wrong_sin_rule)
    x = Tensor(np.array([0.1, 0.2, 1.5]), requires_grad=True, label="x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: t.sin(), [x])
    message = str(info.value)
    assert "input 0 'x'" in message and "(worst at output 0, element 0)" in message


def test_gradcheck_needs_float64_tensors():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    with pytest.raises(ValueError, match="input 0 is float32"):
        gradcheck(lambda t: t.sum(), [x])
    with pytest.raises(ValueError, match="input 0 is float32"):
        gradgradcheck(lambda t: t.sum(), [x])


def test_gradgradcheck_checks_grad_output_shapes():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(ValueError, match=r"grad_output 0 has shape \(3,\).*shape \(2,\)"):
        gradgradcheck(lambda t: t * t, [x], grad_outputs=[np.ones(3)])
    assert gradgradcheck(lambda t: t * t * t, [x], grad_outputs=[np.array([1.0, -2.0])])
