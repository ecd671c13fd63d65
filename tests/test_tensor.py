"""The Tensor node: creation and the dtype rule, properties, arithmetic with broadcasting,
comparisons, conversions, and how backward behaves (accumulation, freeing, seeds, modes)."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import AnomalyError, GraphFreedError, detect_anomaly, grad, no_grad
from autograd.tensor import Tensor


def f64(data, requires_grad: bool = True) -> Tensor:
    return Tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


# --------------------------------------------------------------------- creation and dtypes
class TestCreation:
    def test_python_data_becomes_float32(self):
        assert Tensor(3).dtype == np.float32
        assert Tensor(2.5).dtype == np.float32
        assert Tensor([1, 2, 3]).dtype == np.float32
        assert Tensor([[1.5, 2.0], [3.0, 4.0]]).dtype == np.float32
        assert Tensor([True, False]).dtype == np.float32

    def test_int_and_bool_arrays_become_float32(self):
        assert Tensor(np.arange(3)).dtype == np.float32
        assert Tensor(np.array([True, False])).dtype == np.float32

    def test_float_arrays_keep_their_dtype(self):
        for dtype in (np.float16, np.float32, np.float64):
            assert Tensor(np.zeros(3, dtype=dtype)).dtype == dtype
        assert Tensor(np.float64(1.5)).dtype == np.float64

    def test_dtype_argument_wins(self):
        assert Tensor([1, 2], dtype=np.float64).dtype == np.float64
        assert Tensor(np.zeros(2, np.float32), dtype="float64").dtype == np.float64
        assert Tensor([1, 2], dtype=np.int64).dtype == np.int64

    def test_data_is_copied(self):
        source = np.zeros(3, dtype=np.float32)
        t = Tensor(source, requires_grad=True)
        t.data -= 1
        assert source.tolist() == [0, 0, 0]

    def test_from_tensor(self):
        t = Tensor(Tensor([1.0, 2.0], dtype=np.float64))
        assert t.dtype == np.float64 and t.tolist() == [1.0, 2.0]

    def test_non_numeric_data_raises_type_error(self):
        for bad in (["a", "b"], np.array(["x"]), None, {"a": 1}, [1 + 2j]):
            with pytest.raises(TypeError):
                Tensor(bad)
        with pytest.raises(TypeError, match="dtype"):
            Tensor([1.0], dtype=np.complex64)

    def test_ragged_lists_raise_value_error(self):
        with pytest.raises(ValueError, match="unequal lengths"):
            Tensor([[1, 2], [3]])

    def test_only_floats_can_require_grad(self):
        with pytest.raises(TypeError, match="floating-point"):
            Tensor([1, 2], dtype=np.int64, requires_grad=True)

    def test_properties(self):
        t = Tensor(np.arange(6.0).reshape(2, 3), label="t")
        assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
        assert t.T.shape == (3, 2) and t.label == "t"
        assert t.grad is None and t.is_leaf and not t.requires_grad
        assert isinstance(t.data, np.ndarray)

    def test_conversions(self):
        t = Tensor([[1.5]])
        assert t.item() == 1.5 and float(t) == 1.5
        assert t.numpy() is t.data
        assert np.asarray(t) is t.data
        assert np.asarray(t, dtype=np.float64).dtype == np.float64
        assert t.tolist() == [[1.5]]
        with pytest.raises(ValueError, match="one-element"):
            Tensor([1.0, 2.0]).item()
        with pytest.raises(TypeError, match="0-d"):
            len(Tensor(1.0))

    def test_iteration_gives_rows(self):
        rows = list(Tensor([[1.0, 2.0], [3.0, 4.0]]))
        assert [r.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]

    def test_repr_is_readable(self):
        x = Tensor([1.0, 2.0], requires_grad=True, label="x")
        text = repr(x * 2)
        assert text.startswith("Tensor([2., 4.]") and "requires_grad=True" in text
        assert "op='*'" in text and "dtype=float32" in text
        assert "label='x'" in repr(x)


# ----------------------------------------------------------------------------- arithmetic
class TestArithmetic:
    def test_python_numbers_on_either_side(self):
        x = Tensor([1.0, 2.0, 4.0])
        cases = {
            "x + 1": (x + 1, [2, 3, 5]),
            "1 + x": (1 + x, [2, 3, 5]),
            "x - 1": (x - 1, [0, 1, 3]),
            "1 - x": (1 - x, [0, -1, -3]),
            "x * 2": (x * 2, [2, 4, 8]),
            "2 * x": (2 * x, [2, 4, 8]),
            "x / 2": (x / 2, [0.5, 1, 2]),
            "2 / x": (2 / x, [2, 1, 0.5]),
            "x ** 2": (x**2, [1, 4, 16]),
            "2 ** x": (2**x, [2, 4, 16]),
            "-x": (-x, [-1, -2, -4]),
            "abs(-x)": (abs(-x), [1, 2, 4]),
        }
        for name, (result, expected) in cases.items():
            assert isinstance(result, Tensor), name
            np.testing.assert_allclose(result.data, expected, err_msg=name)

    def test_float32_stays_float32(self):
        x = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
        mask = np.array([True, False, True])
        results = [
            x + 1, 1 - x, x * 0.1, 0.1 / (x + 1), x**2, 2.0**x, x * np.float64(3),
            x + np.arange(3), x * mask, x + [1, 2, 3], -x, x.exp(), x.log(), x.sqrt(),
            x.tanh(), x.sigmoid(), x.relu(), x.abs(), x.sin(), x.cos(), x.clip(0, 1),
            x.maximum(0.5), x.sum(), x.mean(0), x.var(), x.max(1), x.softmax(),
            x.log_softmax(), x.logsumexp(1), x @ np.ones((3, 2)).astype(np.float32),
        ]  # fmt: skip
        for r in results:
            assert r.dtype == np.float32, repr(r)
        loss = sum(r.sum() for r in results)
        loss.backward()
        assert x.grad.dtype == np.float32

    def test_float64_works_end_to_end(self):
        x = f64([[0.5, 1.5], [2.0, 3.0]])
        y = ((x @ x.T).tanh() * 3 + x.exp().sum(0)).log_softmax().mean()
        assert y.dtype == np.float64
        y.backward()
        assert x.grad.dtype == np.float64

    def test_two_float_dtypes_promote_like_numpy(self):
        a = Tensor(np.ones(2, np.float32))
        assert (a + np.ones(2, np.float64)).dtype == np.float64
        assert (a + Tensor(np.ones(2, np.float64))).dtype == np.float64

    def test_broadcasting_in_both_directions(self):
        a = f64(np.arange(3.0).reshape(3, 1))
        b = f64(np.arange(4.0).reshape(1, 4))
        out = a * b + a
        assert out.shape == (3, 4)
        out.sum().backward()
        np.testing.assert_allclose(a.grad, (np.arange(4.0).sum() + 4) * np.ones((3, 1)))
        np.testing.assert_allclose(b.grad, np.full((1, 4), 3.0))
        assert a.grad.shape == (3, 1) and b.grad.shape == (1, 4)

    def test_numpy_arrays_defer_to_tensor(self):
        x = f64([1.0, 2.0])
        for result in (np.ones(2) + x, np.ones(2) * x, np.ones(2) - x, np.ones((2, 2)) @ x):
            assert isinstance(result, Tensor) and result.requires_grad

    def test_shape_mismatch_names_both_shapes_and_the_op(self):
        a, b = Tensor(np.ones((2, 3))), Tensor(np.ones(4))
        with pytest.raises(ValueError, match=r"'\+'.*\(2, 3\).*\(4,\)"):
            a + b
        with pytest.raises(ValueError, match=r"'\*'.*\(4,\).*\(2, 3\)"):
            np.ones(4) * a
        with pytest.raises(ValueError, match=r"matmul.*\(2, 3\).*\(4,\)"):
            a @ b
        with pytest.raises(ValueError, match=r"matmul.*\(\)"):
            Tensor(1.0) @ b

    def test_unsupported_operands_raise_type_error(self):
        x = Tensor([1.0])
        for bad in ("a", None, object(), np.array(["s"])):
            with pytest.raises(TypeError):
                x + bad

    def test_comparisons_give_boolean_arrays_without_graph(self):
        x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
        assert (x > 2).tolist() == [False, False, True]
        assert (x <= Tensor([1.0, 1.0, 5.0])).tolist() == [True, False, True]
        assert (x == 2).tolist() == [False, True, False]
        assert (x != 2).tolist() == [True, False, True]
        assert isinstance(x >= 1, np.ndarray) and isinstance(x < 1, np.ndarray)
        assert x in [x] and len({x, x}) == 1  # hashing is by identity


# ------------------------------------------------------------------------------- backward
class TestBackward:
    def test_leaves_and_intermediates_get_grads(self):
        x = f64([1.0, 2.0])
        h = x * 3
        y = (h * h).sum()
        y.backward()
        np.testing.assert_allclose(x.grad, 18 * x.data)
        np.testing.assert_allclose(h.grad, 2 * h.data)  # intermediates: always filled
        assert y.grad.shape == () and y.grad == 1
        assert not h.is_leaf and x.is_leaf

    def test_grads_are_fresh_writable_arrays(self):
        x = f64(np.ones((2, 3)))
        x.sum().backward()
        assert isinstance(x.grad, np.ndarray) and x.grad.flags.writeable
        x.grad[0, 0] = 5.0  # must not fail (a broadcast view would be read-only)
        s = f64(2.0)
        (s * 3).backward()
        assert isinstance(s.grad, np.ndarray) and s.grad.shape == ()

    def test_repeated_backward_accumulates_into_leaves(self):
        x = f64([1.0, -2.0])
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        np.testing.assert_allclose(x.grad, 4 * x.data)
        h = x * 3
        z = (h * h).sum()
        z.backward(retain_graph=True)
        z.backward()
        np.testing.assert_allclose(h.grad, 2 * h.data)  # an intermediate: the latest pass
        x.grad = None
        x.grad = 4 * x.data
        z = (x * 5).sum()
        z.backward()
        np.testing.assert_allclose(x.grad, 4 * x.data + 5)

    def test_backward_frees_the_graph_unless_retained(self):
        x = f64([1.0, 2.0])
        y = (x.exp() * 2).sum()
        y.backward()
        assert y.parents == ()
        with pytest.raises(GraphFreedError, match="retain_graph=True"):
            y.backward()

    def test_non_scalar_output_needs_grad(self):
        x = f64([1.0, 2.0])
        y = x * 2
        with pytest.raises(RuntimeError, match=r"shape \(2,\).*grad="):
            y.backward()
        y.backward(np.array([1.0, 10.0]))
        np.testing.assert_allclose(x.grad, [2.0, 20.0])

    def test_seed_may_be_a_tensor_and_must_match_the_shape(self):
        x = f64([1.0, 2.0])
        y = x * x
        with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
            y.backward(np.ones(3))
        with pytest.raises(TypeError):
            y.backward(np.array(["a", "b"]))
        y.backward(Tensor([1.0, 1.0]))
        np.testing.assert_allclose(x.grad, 2 * x.data)

    def test_a_seed_of_another_dtype_takes_the_outputs_dtype(self):
        for needs_grad in (False, True):
            x = Tensor([1.0, 2.0], requires_grad=True)  # float32
            (x * 2).backward(Tensor([1.0, 3.0], requires_grad=needs_grad, dtype=np.float64))
            assert x.grad.dtype == np.float32 and x.grad.tolist() == [2.0, 6.0]

    def test_one_element_output_of_any_shape(self):
        x = f64([[3.0]])
        (x * x).backward()
        np.testing.assert_allclose(x.grad, [[6.0]])

    def test_backward_without_grad_says_so(self):
        with pytest.raises(RuntimeError, match="does not require grad"):
            Tensor([1.0]).sum().backward()

    def test_constants_get_no_grad(self):
        x = f64([1.0, 2.0])
        c = Tensor([3.0, 4.0], dtype=np.float64)
        (x * c).sum().backward()
        assert c.grad is None and not c.requires_grad

    def test_no_grad_builds_no_graph(self):
        x = f64([1.0, 2.0])
        with no_grad():
            y = (x * 2).exp().sum()
        assert not y.requires_grad and y.parents == ()
        with pytest.raises(RuntimeError):
            y.backward()

    def test_detach(self):
        x = f64([1.0, 2.0])
        d = (x * 2).detach()
        assert d.is_leaf and not d.requires_grad and d.tolist() == [2.0, 4.0]
        (x * d).sum().backward()
        np.testing.assert_allclose(x.grad, [2.0, 4.0])

    def test_requires_grad_(self):
        x = Tensor([1.0, 2.0]).requires_grad_()
        (x * 3).sum().backward()
        np.testing.assert_allclose(x.grad, [3.0, 3.0])
        with pytest.raises(RuntimeError, match="leaf"):
            (x * 2).requires_grad_()

    def test_grad_function_leaves_dot_grad_alone(self):
        x = f64([1.0, 2.0])
        (gx,) = grad((x * x).sum(), x)
        np.testing.assert_allclose(gx, [2.0, 4.0])
        assert x.grad is None

    def test_shared_subexpression(self):
        x = f64([0.5, -1.5])
        h = x.tanh()
        y = (h * h + h).sum()
        y.backward()
        t = np.tanh(x.data)
        np.testing.assert_allclose(x.grad, (2 * t + 1) * (1 - t**2))

    def test_deep_chain_does_not_recurse(self):
        x = f64([1.0])
        y = x
        for _ in range(5000):
            y = y * 1.0001
        y.sum().backward()
        np.testing.assert_allclose(x.grad, [1.0001**5000])

    @pytest.mark.filterwarnings("ignore::RuntimeWarning")
    def test_anomaly_detection(self):
        x = f64([0.0, 1.0])
        with detect_anomaly():
            with pytest.raises(AnomalyError, match="log"):
                x.log()
        with detect_anomaly():
            y = (x.sqrt() * 0).sum()  # forward is finite; d sqrt at 0 is inf
            with pytest.raises(AnomalyError, match="sqrt"):
                y.backward()

    def test_detach_under_anomaly_mode(self):
        # detach() makes a leaf through the core, with no op: anomaly mode has no op to name
        x = f64([1.0, np.nan])
        with detect_anomaly():
            y = x.detach()
        assert y.is_leaf and not y.requires_grad
        np.testing.assert_array_equal(y.data, x.data)

    def test_sigmoid_is_stable(self):
        x = f64([-1000.0, 0.0, 1000.0])
        y = x.sigmoid()
        np.testing.assert_allclose(y.data, [0.0, 0.5, 1.0])
        y.sum().backward()
        assert np.all(np.isfinite(x.grad))
