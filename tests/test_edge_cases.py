"""Edge cases of the engine where chainrule once differed from PyTorch (float64 reference):
masking ops that turned an infinite upstream gradient into nan, per-thread grad mode, sums that
overflow, empty and 0-d axes, dtype promotion, truthiness and the bounded exponent cache."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from autograd import Tensor, Value, grad, is_grad_enabled, maximum, minimum, no_grad, sum_of, where
from autograd.tensor import linear

torch = pytest.importorskip("torch")

X = [-1.0, 0.0, 4.0]

MASKED = {
    "relu_sqrt": (lambda x: x.relu().sqrt(), lambda t: t.relu().sqrt()),
    "where_sqrt": (lambda x: where(x > 0, x, 0).sqrt(), lambda t: torch.where(t > 0, t, 0).sqrt()),
    "relu_log": (lambda x: x.relu().log(), lambda t: t.relu().log()),
    "clip_sqrt": (lambda x: x.clip(0, None).sqrt(), lambda t: t.clamp(min=0).sqrt()),
    "maximum_sqrt": (
        lambda x: maximum(x, 0).sqrt(),
        lambda t: torch.maximum(t, torch.zeros_like(t)).sqrt(),
    ),
    "minimum_neg_sqrt": (
        lambda x: (-minimum(x, 0)).sqrt(),
        lambda t: (-torch.minimum(t, torch.zeros_like(t))).sqrt(),
    ),
}


def _torch_grad(f):
    t = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    f(t).sum().backward()
    return t.grad.numpy()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", sorted(MASKED))
def test_masking_ops_select_instead_of_multiplying(name):
    ours, theirs = MASKED[name]
    x = Tensor(np.array(X), requires_grad=True)
    ours(x).sum().backward()
    np.testing.assert_array_equal(x.grad, _torch_grad(theirs))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", sorted(MASKED))
def test_masking_ops_select_under_create_graph(name):
    ours, theirs = MASKED[name]
    x = Tensor(np.array(X), requires_grad=True)
    (g,) = grad(ours(x).sum(), x, create_graph=True)
    assert isinstance(g, Tensor)
    np.testing.assert_array_equal(g.data, _torch_grad(theirs))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_fused_linear_relu_selects():
    x = Tensor(np.array([[-1.0, 0.0, 4.0]]), requires_grad=True)
    w = Tensor(np.eye(3))
    linear(x, w, activation="relu").sqrt().sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0, 0.25]])


def test_value_relu_selects_on_both_orders():
    v = Value(-1.0)
    v.relu().sqrt().backward()
    assert v.grad == 0.0
    w = Value(-1.0)
    (g,) = grad(w.relu().sqrt(), w, create_graph=True)
    assert isinstance(g, Value) and g.data == 0.0


def test_maximum_minimum_nan_side_gets_the_gradient():
    a = np.array([np.nan, 1.0, 2.0])
    b = np.array([1.0, np.nan, 2.0])
    for ours, theirs in ((maximum, torch.maximum), (minimum, torch.minimum)):
        x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
        ours(x, y).sum().backward()
        tx = torch.tensor(a, requires_grad=True)
        ty = torch.tensor(b, requires_grad=True)
        theirs(tx, ty).sum().backward()
        np.testing.assert_array_equal(x.grad, tx.grad.numpy())
        np.testing.assert_array_equal(y.grad, ty.grad.numpy())


def test_no_grad_in_one_thread_does_not_stop_another():
    inside, done = threading.Event(), threading.Event()

    def hold():
        with no_grad():
            inside.set()
            done.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    inside.wait(5)
    try:
        assert is_grad_enabled()
        assert (Value(1.0) * 2).requires_grad
    finally:
        done.set()
        t.join()
    assert is_grad_enabled()


def test_interleaved_no_grad_blocks_restore_grad_mode():
    steps = [threading.Event() for _ in range(3)]
    seen = {}

    def first():
        with no_grad():
            steps[0].set()
            steps[1].wait(5)
        seen["first"] = is_grad_enabled()
        steps[2].set()

    def second():
        steps[0].wait(5)
        with no_grad():
            steps[1].set()
            steps[2].wait(5)
        seen["second"] = is_grad_enabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"first": True, "second": True}
    assert is_grad_enabled()


def test_sum_of_overflow_gives_nan_and_inf():
    assert np.isnan(sum_of([float("inf"), float("-inf")]).data)
    assert sum_of([1e308, 1e308]).data == float("inf")


def test_var_without_degrees_of_freedom_gives_inf_gradients():
    x = Tensor(np.array([1.0, 2.0, 4.0]), requires_grad=True)
    out = x.var(ddof=3)
    out.backward()
    assert np.isinf(out.data)
    assert np.isinf(x.grad).all()


def test_softmax_family_over_an_empty_axis():
    a = np.zeros((3, 0))
    t = torch.zeros(3, 0, dtype=torch.float64)
    np.testing.assert_array_equal(Tensor(a).logsumexp(1).data, t.logsumexp(1).numpy())
    assert Tensor(a).softmax(1).shape == tuple(t.softmax(1).shape)
    assert Tensor(a).log_softmax(1).shape == tuple(t.log_softmax(1).shape)


def test_softmax_accepts_lists_and_tuples_of_axes():
    data = np.arange(6.0).reshape(2, 3)
    for axis in ([0, 1], (0, 1)):
        out = Tensor(data).softmax(axis=axis).data
        e = np.exp(data - data.max())
        np.testing.assert_allclose(out, e / e.sum())
        assert np.isclose(Tensor(data).log_softmax(axis=axis).data, np.log(e / e.sum())).all()


def test_zero_dim_softmax_and_sum_follow_pytorch():
    x = Tensor(np.array(2.0), requires_grad=True)
    assert Tensor(np.array(2.0)).softmax().item() == torch.tensor(2.0).softmax(0).item()
    s = x.sum(axis=0)
    assert s.item() == 2.0
    s.backward()
    assert x.grad.shape == ()


def test_dtype_rules():
    x32 = Tensor(np.array([1.0, 2.0], dtype=np.float32))
    assert x32.clip(np.float64(0.0), np.float64(1.5)).dtype == np.float32
    xi = Tensor(np.array([1, 2]), dtype=np.int64)
    assert (xi * x32).dtype == np.float32 and (x32 * xi).dtype == np.float32
    w = Tensor(np.ones((2, 2), dtype=np.float32))
    b = Tensor(np.ones(2, dtype=np.float64))
    assert linear(x32, w, b).dtype == (x32 @ w.T + b).dtype == np.float64
    h = Tensor(np.full(4, 60000, dtype=np.float16))
    assert h.mean().item() == 60000 and h.mean().dtype == np.float16
    assert np.isfinite(Tensor(np.array([300.0, 310.0], np.float16)).var().data)


def test_zero_dim_leaf_used_twice_gets_an_array_grad():
    t = Tensor(np.array(2.0), requires_grad=True)
    (t * t).backward()
    assert type(t.grad) is np.ndarray and t.grad.shape == () and t.grad == 4.0


def test_bool_of_a_value_is_the_truth_of_its_data():
    assert not bool(Value(0.0))
    assert bool(Value(-2.0))


def test_distinct_exponents_keep_no_op_objects_alive():
    # the exponent is the op's constant input, not a parameter of a cached op: 2,000 distinct
    # exponents leave nothing behind once their nodes are gone
    import gc

    from autograd.ops import Pow

    x = Value(1.5)
    gc.collect()
    before = sum(isinstance(o, Pow) for o in gc.get_objects())
    ys = [x ** (1.0 + i * 1e-6) for i in range(2000)]
    assert ys[-1].data == pytest.approx(1.5 ** (1.0 + 1999e-6))
    del ys
    gc.collect()
    assert sum(isinstance(o, Pow) for o in gc.get_objects()) == before


@pytest.mark.parametrize("kind", ["value", "tensor"])
def test_in_place_operator_on_a_leaf_that_requires_grad(kind):
    p = Value(1.0) if kind == "value" else Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"p.data -= "):
        p -= 0.5
    assert np.all(np.asarray(p.data) == 1.0)  # nothing changed
    with no_grad():
        p -= 0.5  # as in PyTorch: an update under no_grad() changes the leaf itself
    assert np.all(np.asarray(p.data) == 0.5) and p.is_leaf and p.requires_grad
    q = p * 2  # not a leaf: an ordinary new node, as before
    r = q
    r += 1
    assert r is not q and np.all(np.asarray(r.data) == 2.0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_log1p_and_erf_at_the_edges_of_their_domains_match_pytorch():
    points = [-2.0, -1.0, -0.5, 0.0, 1e-300, 30.0]
    expected = torch.tensor(points, dtype=torch.float64)
    for name in ("log1p", "erf"):
        want = getattr(expected, name)().numpy()
        values = [getattr(Value(p), name)().data for p in points]
        np.testing.assert_array_equal(values, want)
        np.testing.assert_array_equal(getattr(Tensor(np.array(points)), name)().data, want)
    assert Tensor(np.ones(3, dtype=np.float32)).erf().dtype == np.float32
