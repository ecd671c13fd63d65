"""Full Jacobians of tensor functions: the engine's (one backward pass per output element) against
central differences, for vector-valued functions of several Tensor inputs, plus two Jacobians
known in closed form (softmax and matrix product)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import analytic_jacobian, numerical_jacobian
from autograd.tensor import Tensor, concatenate, linear, stack, where


def leaf(shape: tuple, seed: int) -> Tensor:
    return Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


FUNCTIONS = {
    "broadcast product": (lambda a, b: a * b.exp() - b, [(3, 1), (4,)]),
    "matmul": (lambda a, b: a @ b, [(2, 3), (3, 4)]),
    "batched matmul": (lambda a, b: a @ b, [(2, 2, 3), (3,)]),
    "linear": (lambda x, w, b: linear(x, w, b).tanh(), [(2, 3), (4, 3), (4,)]),
    "softmax rows": (lambda a: a.softmax(axis=1), [(2, 4)]),
    "log_softmax cols": (lambda a: a.log_softmax(axis=0), [(3, 2)]),
    "logsumexp": (lambda a: a.logsumexp(axis=1, keepdims=True), [(3, 4)]),
    "reductions": (lambda a: a.max(axis=0) + a.var(axis=0) * a.mean(axis=0), [(3, 2)]),
    "repeated gather": (lambda a: a[[0, 2, 2, 1, 0]] * a[1], [(3,)]),
    "masked": (lambda a: a.reshape(2, 3)[:, [True, False, True]].sum(0), [(6,)]),
    "joins": (lambda a, b: concatenate([a, stack([b, b]).sum(0)], axis=0), [(2, 2), (1, 2)]),
    "where": (lambda a, b: where(np.array([True, False, True]), a, b * b), [(3,), (1,)]),
    "shapes": (lambda a: a.T.reshape(-1, 2).unsqueeze(0).expand(2, -1, -1).flatten(), [(2, 3)]),
    "several outputs": (lambda a, b: [a.sum(), (a * b).sin(), b.sqrt()], [(2,), (2,)]),
}


@pytest.mark.parametrize("name", FUNCTIONS)
@settings(max_examples=10)
@given(seed=st.integers(0, 10_000))
def test_analytic_matches_numerical(name: str, seed: int) -> None:
    f, shapes = FUNCTIONS[name]
    xs = [leaf(shape, seed + i) for i, shape in enumerate(shapes)]
    if name == "several outputs":
        xs[1].data = np.abs(xs[1].data) + 0.5  # sqrt needs positive inputs
    analytic = analytic_jacobian(f, xs)
    numerical = numerical_jacobian(f, xs)
    assert len(analytic) == len(xs)
    for x, a, n in zip(xs, analytic, numerical):
        assert a.shape == n.shape and a.shape[1] == x.size
        np.testing.assert_allclose(a, n, rtol=1e-6, atol=1e-7)


def test_softmax_jacobian_in_closed_form() -> None:
    x = leaf((5,), 0)
    s = np.exp(x.data - x.data.max())
    s /= s.sum()
    expected = np.diag(s) - np.outer(s, s)
    (jac,) = analytic_jacobian(lambda a: a.softmax(), [x])
    np.testing.assert_allclose(jac, expected, atol=1e-12)


def test_matmul_jacobian_in_closed_form() -> None:
    a, b = leaf((2, 3), 1), leaf((3, 4), 2)
    ja, jb = analytic_jacobian(lambda p, q: p @ q, [a, b])
    # vec(A B) = (I kron B^T) vec(A) = (A kron I) vec(B), for row-major flattening
    np.testing.assert_allclose(ja, np.kron(np.eye(2), b.data.T), atol=1e-12)
    np.testing.assert_allclose(jb, np.kron(a.data, np.eye(4)), atol=1e-12)


def test_inputs_the_output_ignores_get_zero_columns() -> None:
    a, b = leaf((2,), 3), leaf((3,), 4)
    ja, jb = analytic_jacobian(lambda p, q: p * 2, [a, b])
    np.testing.assert_allclose(ja, 2 * np.eye(2))
    np.testing.assert_array_equal(jb, np.zeros((2, 3)))
