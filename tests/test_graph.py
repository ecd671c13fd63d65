"""The graph core under failure and aliasing: freed graphs, shared arrays, custom-op dtypes, and
Pow at a zero base."""

import numpy as np
import pytest

from autograd import GraphFreedError, grad
from autograd.tensor import Tensor
from autograd.value import Value


def test_a_freed_graph_raises_and_grad_restores_every_grad():
    a = Tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    c = (a * 2) * 3
    c.sum().backward()  # frees c's links
    d = c * 1
    d.grad = np.array([7.0, 7.0])
    with pytest.raises(GraphFreedError):
        grad(d.sum(), [a])
    np.testing.assert_array_equal(c.grad, [1.0, 1.0])  # grad() touches no .grad, even failing
    np.testing.assert_array_equal(d.grad, [7.0, 7.0])
    with pytest.raises(GraphFreedError):
        (c * 1).sum().backward()


def test_leaf_grads_are_never_shared_arrays():
    a = Tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    b = Tensor([3.0, 4.0], requires_grad=True, dtype=np.float64)
    y = a + b
    y.sum().backward()
    a.grad *= 10  # in place, e.g. gradient clipping
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])
    x = Tensor(np.ones((2, 3)), requires_grad=True, dtype=np.float64)
    h = x.reshape(6)
    (h * 2).sum().backward()
    x.grad[0, 0] = 0.0
    assert h.grad[0] == 2.0


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # 0 ** -1 on purpose
@pytest.mark.parametrize("b", [0.0, 0.5, 1.0, 2.0, 3.0, -1.0])
def test_pow_at_a_zero_base_has_pytorchs_gradients(b):
    torch = pytest.importorskip("torch")
    tx, ty = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.0, b))
    (tx**ty).backward()
    x, y = Value(0.0), Value(b)
    (x**y).backward()
    assert (x.grad, y.grad) == (tx.grad.item(), ty.grad.item())
    t = Tensor([0.0], requires_grad=True, dtype=np.float64)
    e = Tensor([b], requires_grad=True, dtype=np.float64)
    (t**e).sum().backward()
    assert (t.grad[0], e.grad[0]) == (tx.grad.item(), ty.grad.item())


def test_a_custom_ops_constants_follow_the_engines_dtype_rule():
    from autograd import Function

    class Scale(Function):
        name = "scale"

        def forward(self, F, a, c):
            return a * c

        def backward(self, F, g, out, a, c):
            return g * c, None

    x = Tensor([1.0, 2.0], requires_grad=True)  # float32
    y = Scale().apply(x, 2.0)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
    with pytest.raises(TypeError, match="str"):
        Scale().apply(Value(1.0), "a")


def test_a_gradient_has_its_tensors_dtype_when_dtypes_mix():
    from autograd import linear

    w = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    b = Tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)  # float64
    out = linear(x, w, b)
    assert out.dtype == np.float64  # data promotes as in NumPy
    (out * out).sum().backward()
    assert w.grad.dtype == np.float32 and b.grad.dtype == np.float32
    assert x.grad.dtype == np.float64
    y = (w * x).sum()
    w.grad = None
    y.backward()
    assert w.grad.dtype == np.float32
    np.testing.assert_allclose(w.grad, x.data, rtol=1e-6)


def test_the_order_is_depth_first_and_places_a_node_reached_twice_once():
    from autograd.core import topological_order

    x = Value(3.0)
    c2 = x * 2.0  # an input of `a`, reached first through c1 (explored first) and again directly
    c1 = c2 + 1.0
    a = c1 * c2
    w = Tensor(np.ones(2), requires_grad=True)  # a Tensor graph with an array constant
    t = (w * np.array([2.0, 3.0])).sum()
    assert topological_order([a]) == [c2, c1, a]
    assert topological_order([a, c1, a]) == [c2, c1, a]  # roots repeated or already placed
    assert topological_order([t])[-1] is t and len(topological_order([t])) == 2
    a.backward()
    assert x.grad == 2.0 * (c2.data + c1.data)  # d(c1 * c2)/dx = 2 * c2 + 2 * c1
