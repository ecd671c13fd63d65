"""The function transforms of autograd.functional on Value inputs: known derivatives, composition
to any order, argument structures, the create_graph rule, and bad input."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import functional, no_grad, tensor
from autograd.check import numerical_jacobian
from autograd.functional import grad, hessian, hvp, jacobian, value_and_grad
from autograd.tensor import Tensor
from autograd.value import Value, sum_of

finite = st.floats(min_value=-2, max_value=2, allow_nan=False)


def as_array(nested):
    """Nested lists/tuples of Values as a float array."""
    if isinstance(nested, (list, tuple)):
        return np.array([as_array(item) for item in nested])
    return float(nested)


# ------------------------------------------------------------------------- known results
def test_derivatives_of_a_cube_to_any_order():
    def f(x):
        return x**3

    assert grad(f)(2.0) == 12.0
    assert grad(grad(f))(2.0) == 12.0
    assert grad(grad(grad(f)))(2.0) == 6.0
    assert grad(grad(grad(grad(f))))(2.0) == 0.0


@settings(max_examples=30, deadline=None)
@given(x=finite, y=finite)
def test_hessian_of_x3y_plus_sin_xy(x, y):
    def f(a, b):
        return a**3 * b + (a * b).sin()

    H = as_array(hessian(f, x, y, argnums=(0, 1)))
    s, c = math.sin(x * y), math.cos(x * y)
    expected = [
        [6 * x * y - y * y * s, 3 * x * x + c - x * y * s],
        [3 * x * x + c - x * y * s, -x * x * s],
    ]
    np.testing.assert_allclose(H, expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(x=st.floats(-3, 3))
def test_third_derivative_of_tanh(x):
    t = math.tanh(x)
    third = grad(grad(grad(lambda a: a.tanh())))(x)
    assert third == pytest.approx((1 - t * t) * (6 * t * t - 2), rel=1e-10, abs=1e-12)


def test_value_and_grad_returns_both():
    value, (gx, gy) = value_and_grad(lambda a, b: a * b.exp(), argnums=(0, 1))(3.0, 0.5)
    assert value == pytest.approx(3 * math.exp(0.5))
    assert gx == pytest.approx(math.exp(0.5)) and gy == pytest.approx(3 * math.exp(0.5))


def test_argnums_picks_the_argument():
    def f(a, b):
        return a * a * b

    assert grad(f)(3.0, 2.0) == 12.0
    assert grad(f, 1)(3.0, 2.0) == 9.0
    gx, gy = grad(f, (0, 1))(3.0, 2.0)
    assert (gx, gy) == (12.0, 9.0)


def test_list_arguments_give_list_gradients_and_hessians():
    def f(xs):
        return sum_of(x * x * x for x in xs) + xs[0] * xs[1]

    point = [1.0, -2.0, 0.5]
    g = grad(f)(point)
    assert isinstance(g, list) and as_array(g).tolist() == [3 + -2.0, 12 + 1.0, 0.75]
    H = as_array(hessian(f)(point))
    np.testing.assert_allclose(H, [[6, 1, 0], [1, -12, 0], [0, 0, 3]])


def test_jacobian_of_a_vector_function_both_forms():
    def f(x):
        return [x.sin(), x * x, Value(1.0, requires_grad=False)]

    J = jacobian(f, 0.3)
    assert as_array(J).tolist() == pytest.approx([math.cos(0.3), 0.6, 0.0])
    assert as_array(jacobian(f)(0.3)).tolist() == as_array(J).tolist()


def test_jacobian_matches_finite_differences():
    def f(a, b):
        return [a * b.tanh(), a.exp() / b, (a - b) ** 2]

    x, y = Value(0.4), Value(1.3)
    J = as_array(jacobian(f, x, y, argnums=(0, 1)))
    numerical = np.concatenate(numerical_jacobian(f, [x, y]), axis=1)
    np.testing.assert_allclose(J, numerical, atol=1e-8)


def test_hvp_is_the_hessian_times_v():
    def f(xs):
        a, b, c = xs
        return (a * b).sin() + c * c * a + b.exp()

    point, v = [0.3, -0.7, 1.2], [1.0, 2.0, -0.5]
    H = as_array(hessian(f)(point))
    np.testing.assert_allclose(as_array(hvp(f, point, v)), H @ v, rtol=1e-12)


def test_hvp_never_forms_the_hessian(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("hvp built a Jacobian")

    monkeypatch.setattr(functional, "jacobian_blocks", forbidden)
    result = hvp(lambda x: x**4, 2.0, 3.0)
    assert result == 3.0 * 12 * 4.0


# ------------------------------------------------------------------ composition and scope
def test_no_perturbation_confusion():
    # d/dx [d/dy (x*y) at y=x] = d/dx x = 1 (a naive nesting gets 2)
    assert grad(lambda x: grad(lambda y: x * y)(x))(3.0) == 1.0
    # d/dx [x * d/dy (x*y) at y=2] = d/dx x*x = 2x
    assert grad(lambda x: x * grad(lambda y: x * y)(2.0))(3.0) == 6.0


def test_top_level_results_are_constants_and_leave_grads_alone():
    w = Value(1.5)
    value, g = value_and_grad(lambda a: a * a * w)(w)
    assert not value.requires_grad and not g.requires_grad
    # only the path through the argument counts: d/da (a * a * w) = 2 a w, w held fixed
    assert g == pytest.approx(2 * 1.5 * 1.5) and w.grad == 0.0


def test_nested_results_are_differentiable():
    seen = []

    def outer(x):
        g = grad(lambda a: a.sin() * x)(x)
        seen.append(g.requires_grad)
        return g

    # outer(x) = x cos(x), so its derivative is cos(x) - x sin(x)
    assert grad(outer)(0.4) == pytest.approx(math.cos(0.4) - 0.4 * math.sin(0.4))
    assert seen == [True]


def test_create_graph_true_keeps_a_gradient_penalty_differentiable():
    w = Value(2.0)
    g = grad(lambda x: w * x * x, create_graph=True)(3.0)  # 2 w x
    assert g.requires_grad
    (g * g).backward()
    assert w.grad == pytest.approx(2 * (2 * 2.0 * 3.0) * (2 * 3.0))


def test_create_graph_true_links_to_the_callers_node():
    w = Value(0.5)
    h = w * 3  # an intermediate node of the caller's graph
    g = grad(lambda x: x.sin(), create_graph=True)(h)
    g.backward()
    assert w.grad == pytest.approx(-math.sin(1.5) * 3)


def test_hessian_with_create_graph_is_differentiable_in_the_argument():
    x = Value(2.0)
    H = hessian(lambda a: a**4, create_graph=True)(x)  # 12 x**2
    assert H == 48.0 and H.requires_grad
    H.backward()
    assert x.grad == 48.0  # d/dx 12 x**2 = 24 x


def test_create_graph_links_a_tensor_argument_to_the_callers_graph():
    w = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    g = grad(lambda t: (t**3).sum(), create_graph=True)(w * 2)  # 3 (2w)**2
    g.sum().backward()
    np.testing.assert_allclose(w.grad, 6 * (2 * w.data) * 2)


def test_create_graph_false_inside_a_transform_cuts_the_graph():
    def outer(x):
        return grad(lambda a: a**3, create_graph=False)(x)

    assert grad(outer)(2.0) == 0.0


def test_transforms_ignore_an_outer_no_grad():
    with no_grad():
        assert grad(lambda x: x.exp())(0.0) == 1.0
        assert grad(grad(lambda x: x.exp()))(0.0) == 1.0


def test_unused_argument_and_constant_output_give_zero():
    assert grad(lambda a, b: b * 2, 0)(1.0, 2.0) == 0.0
    assert grad(lambda a: 7.0)(1.0) == 0.0
    assert grad(grad(lambda a: 3 * a + 1))(1.0) == 0.0


def test_numpy_scalars_and_ints_are_accepted():
    assert grad(lambda a: a * a)(np.float64(1.5)) == 3.0
    assert grad(lambda a: a * a)(2) == 4.0


def test_names_and_docs_of_transformed_functions():
    def loss(a):
        """the loss"""
        return a * a

    assert grad(loss).__name__ == "grad(loss)"
    assert grad(loss).__doc__ == "the loss"
    assert hessian(loss).__name__ == "hessian(loss)"


# ------------------------------------------------------------------------------ bad input
def test_grad_rejects_vector_outputs():
    with pytest.raises(TypeError, match="grad needs f to return a scalar"):
        grad(lambda a: [a, a])(1.0)


def test_bad_argument_type_is_named():
    with pytest.raises(TypeError, match="grad: argument 0 must be a Value.*got str"):
        grad(lambda a: a)("x")


def test_argnums_out_of_range():
    with pytest.raises(ValueError, match=r"argnums=2 but the function was called with 2"):
        grad(lambda a, b: a * b, 2)(1.0, 2.0)
    with pytest.raises(ValueError, match="argnums is empty"):
        grad(lambda a: a, ())(1.0)


def test_hvp_checks_v():
    with pytest.raises(ValueError, match="hvp: v must have x's structure"):
        hvp(lambda xs: xs[0] * xs[1], [1.0, 2.0], [1.0])


def test_functional_grad_does_not_replace_pytorch_style_grad():
    # autograd.grad is torch.autograd.grad; the transform lives in autograd.functional
    assert autograd.grad is autograd.core.grad
    assert functional.grad is not autograd.grad


# ---------------------------------------------------------------------------- on Tensors
def vec(*values):
    return np.array(values, dtype=np.float64)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_hessian_of_a_quadratic_form_is_a_plus_a_transpose(n, seed):
    rng = np.random.default_rng(seed)
    A, x = rng.standard_normal((n, n)), rng.standard_normal(n)
    H = hessian(lambda v: v @ (Tensor(A, dtype=np.float64) @ v))(x)
    assert isinstance(H, Tensor) and H.shape == (n, n) and not H.requires_grad
    np.testing.assert_allclose(H.data, A + A.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hvp(lambda v: v @ (A @ v), x, x).data, (A + A.T) @ x, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(x=finite, y=finite)
def test_hessian_of_x3y_plus_sin_xy_on_a_tensor(x, y):
    def f(p):
        a, b = p[0], p[1]
        return a**3 * b + (a * b).sin()

    value_form = as_array(hessian(lambda a, b: a**3 * b + (a * b).sin(), x, y, argnums=(0, 1)))
    np.testing.assert_allclose(hessian(f)(vec(x, y)).data, value_form, rtol=1e-12, atol=1e-12)


def test_third_derivative_of_tanh_elementwise():
    x = vec(-1.5, 0.0, 0.4, 2.0)

    def first_sum(v):
        return grad(lambda y: y.tanh().sum())(v).sum()

    def second_sum(v):
        return grad(first_sum)(v).sum()

    t = np.tanh(x)
    np.testing.assert_allclose(grad(second_sum)(x).data, (1 - t * t) * (6 * t * t - 2), atol=1e-12)


def test_tensor_jacobian_agrees_with_numerical_jacobian():
    W = np.random.default_rng(0).standard_normal((3, 4))

    def f(x):
        return (Tensor(W, dtype=np.float64) @ x).tanh().reshape(3, 1) * x.sum()

    x = Tensor(vec(0.1, -0.4, 0.8, 1.2), requires_grad=True)
    J = jacobian(f, x)
    assert J.shape == (3, 1, 4)
    np.testing.assert_allclose(J.data.reshape(3, 4), numerical_jacobian(f, [x])[0], atol=1e-8)


def test_tensor_jacobian_of_several_outputs_and_arguments():
    def f(a, b):
        return [a * b, (a - b).sum()]

    a, b = vec(1.0, 2.0), vec(3.0, -1.0)
    (daa, dab), (dsa, dsb) = jacobian(f, a, b, argnums=(0, 1))
    np.testing.assert_array_equal(daa.data, np.diag(b))
    np.testing.assert_array_equal(dab.data, np.diag(a))
    np.testing.assert_array_equal(dsa.data, [1.0, 1.0])
    np.testing.assert_array_equal(dsb.data, [-1.0, -1.0])


def test_jacobian_of_an_empty_output():
    J = jacobian(lambda v: v[:0] * 2, vec(1.0, 2.0))
    assert J.shape == (0, 2)


def test_jacobian_of_a_constant_tensor_by_a_number_is_zeros_of_the_output_shape():
    # a Tensor output cannot depend on a Value argument: the zeros of shape S + (), as JAX gives
    J = jacobian(lambda a: Tensor(np.ones((2, 3))), 1.0)
    assert isinstance(J, Tensor) and J.shape == (2, 3) and not J.data.any()
    J = jacobian(lambda a: Tensor(np.ones(0)), 1.0)  # empty too (an AttributeError before)
    assert isinstance(J, Tensor) and J.shape == (0,)


def test_hvp_on_a_large_vector_costs_two_backward_passes():
    x = np.linspace(-3, 3, 100_000)
    v = np.cos(x)
    result = hvp(lambda t: t.sin().sum(), x, v)
    np.testing.assert_allclose(result.data, -np.sin(x) * v, atol=1e-12)


def test_tensor_gradients_keep_the_dtype():
    x32 = np.array([1.0, 2.0], dtype=np.float32)
    g = grad(lambda t: (t * t).sum())(x32)
    assert g.dtype == np.float32 and g.data.tolist() == [2.0, 4.0]
    g = grad(lambda t: (t * t).sum())(np.array([1, 2]))  # ints are differentiated as float64
    assert g.dtype == np.float64


def test_tensor_grad_needs_a_scalar_output():
    with pytest.raises(ValueError, match=r"scalar, got a Tensor of shape \(2,\).*jacobian"):
        grad(lambda t: t * 2)(vec(1.0, 2.0))


def test_hessian_of_a_tiny_mlp_loss_is_symmetric_and_right():
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((5, 3)), np.array([0, 1, 1, 0, 1])

    def loss(W1, W2):
        hidden = Tensor(X, dtype=np.float64) @ W1
        return tensor.cross_entropy_logits(hidden.tanh() @ W2, y)

    W1, W2 = rng.standard_normal((3, 2)), rng.standard_normal((2, 2))
    H = hessian(loss, W1, W2, argnums=(0, 1))
    assert H[0][1].shape == (3, 2, 2, 2) and H[1][0].shape == (2, 2, 3, 2)
    np.testing.assert_allclose(H[0][1].data, H[1][0].data.transpose(2, 3, 0, 1), atol=1e-12)
    w1, w2 = Tensor(W1, requires_grad=True), Tensor(W2, requires_grad=True)
    numerical = numerical_jacobian(grad(loss, (0, 1)), [w1, w2])  # rows: d(grad W1, grad W2)
    flat = np.block(
        [
            [H[i][j].data.reshape(W.size, V.size) for j, V in enumerate((W1, W2))]
            for i, W in enumerate((W1, W2))
        ]
    )
    np.testing.assert_allclose(flat, np.concatenate(numerical, axis=1), atol=1e-7)
