"""``Tensor``: an ndarray node of the computation graph, on the same core as ``Value``.

Here: ``Tensor`` (creation, graph hooks, arithmetic through the rules shared with ``Value`` in
``elementwise.py``, comparisons, conversions) and ``TensorMath``, the rules' namespace on nodes
(``NumpyMath``, on raw arrays, is in ``tensor_math.py`` with the dtype rules). Matmul and
reductions are in ``tensor_ops.py``, shape ops and indexing in ``tensor_shape.py``, linear and the
softmax family in ``tensor_nn.py``: each holds its ops' rules next to the methods applying them
(argument checks they share: ``tensor_args.py``).
"""

from __future__ import annotations

import numbers
import operator
from typing import Any

import numpy as np

from . import elementwise as E
from .function import Function
from .graph import Node
from .tensor_math import NumpyMath, as_array, comparison, constant_array, describe, shape_error
from .tensor_nn import SoftmaxMethods, cross_entropy_logits, linear, log_softmax, logsumexp, softmax
from .tensor_ops import ReduceMethods, matmul, matmul_nodes, maximum, minimum, where
from .tensor_shape import IndexAdd, ShapeMethods, broadcast_axes, concatenate, stack

# Every function of the tensor engine, re-exported from its module.
__all__ = [
    "Tensor",
    "concatenate",
    "cross_entropy_logits",
    "linear",
    "log_softmax",
    "logsumexp",
    "matmul",
    "maximum",
    "minimum",
    "softmax",
    "stack",
    "where",
]

_ndarray = np.ndarray


def _lift(x: Any, dtype: np.dtype) -> Tensor:
    """An operand as a Tensor: itself if it is one, else a constant (see ``constant_array``)."""
    return x if isinstance(x, Tensor) else Tensor._constant(constant_array(x, dtype))


# ------------------------------------------------------------------------------- Tensor
class Tensor(ReduceMethods, ShapeMethods, SoftmaxMethods, Node):
    """An n-dimensional array in a computation graph (PyTorch-like; NumPy underneath).

    ``Tensor(data, requires_grad=False, dtype=None, label='')``.

    **Dtype rule.** Float arrays keep their dtype (``float32`` stays ``float32``, ``float64``
    stays ``float64``); Python numbers, (nested) lists and int/bool arrays become ``float32``
    (PyTorch's default) unless ``dtype=`` says otherwise. The data is always copied. In ops,
    Python numbers, lists, NumPy scalars and int/bool arrays take the tensor's float dtype, so
    ``float32 * 0.5`` is float32; two float dtypes promote as in NumPy (float32 with float64 gives
    float64). Use ``dtype=np.float64`` for gradient checks.

    **Gradients.** ``.grad`` is ``None`` until a backward pass reaches the tensor, then an ndarray
    of its shape. It is filled on *every* tensor the pass reaches, leaves and intermediates alike
    (for teaching: no ``retain_grad()`` needed); a leaf's ``.grad`` accumulates over repeated
    backward calls, an intermediate's holds the latest pass. ``backward()`` frees the graph's
    links (so activations are released) unless ``retain_graph=True``; going through a freed
    graph again raises ``GraphFreedError``.

    Comparisons (``<``, ``==``, ...) return plain boolean arrays and record nothing.
    """

    __slots__ = ()
    _raw_math = NumpyMath
    _node_math: Any = None  # TensorMath, set below
    _broadcasts = True
    _retain_graph_default = False
    _zero_grad = None
    __array_ufunc__ = None  # NumPy defers to our reflected ops: ndarray * Tensor is a Tensor

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, label: str = ""
    ) -> None:
        if dtype is None and type(data) is _ndarray and data.dtype.kind == "f":
            self.data = data.copy()  # the common case, without the general conversion
        else:
            self.data = as_array(data, dtype)
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(
                "Tensor(): requires_grad must be True or False, "
                f"got {describe(requires_grad)} (the label is the keyword argument label=)"
            )
        if not isinstance(label, str):
            raise TypeError(f"Tensor(): label must be a str, got {describe(label)}")
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require grad, this one is {self.data.dtype}"
            )
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.label = label
        self._parents = ()
        self._fn = None

    # -- hooks for the graph core --
    @classmethod
    def _constant(cls, data: Any) -> Tensor:
        node = object.__new__(cls)
        node.data = data if type(data) is _ndarray else np.asarray(data)
        node.grad = None
        node.requires_grad = False
        node.label = ""
        node._parents = ()
        node._fn = None
        return node

    @staticmethod
    def _is_finite(data: Any) -> bool:
        return bool(np.isfinite(data).all())

    @staticmethod
    def _from_forward(data: Any) -> np.ndarray:
        return data if type(data) is _ndarray else np.asarray(data)

    def _default_seed(self) -> np.ndarray:
        if self.data.size != 1:
            raise RuntimeError(
                f"backward() without grad= needs a one-element output, but this tensor has "
                f"shape {self.data.shape}: pass grad= (an array of that shape) or reduce it "
                "first (e.g. .sum() or .mean())"
            )
        return np.ones_like(self.data) if self.data.ndim else np.array(1, dtype=self.data.dtype)

    def _check_seed(self, grad: Any) -> Any:
        if isinstance(grad, Tensor):
            if grad.requires_grad:  # keep it as a node: create_graph differentiates through it
                self._check_seed(grad.data)
                return grad if grad.dtype == self.data.dtype else grad.astype(self.data.dtype)
            grad = grad.data
        try:
            seed = np.array(grad, dtype=self.data.dtype)
        except (TypeError, ValueError) as e:
            raise TypeError(f"backward(grad=...): {describe(grad)} is not numeric: {e}") from None
        if seed.shape != self.data.shape:
            raise ValueError(
                f"backward(grad=...): grad has shape {seed.shape} but the output has shape "
                f"{self.data.shape}; they must be equal"
            )
        return seed

    # -- properties --
    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The array's dtype."""
        return self.data.dtype

    @property
    def size(self) -> int:
        """The number of elements."""
        return self.data.size

    # -- applying ops --
    def _unary(self, fn: Function) -> Tensor:
        data = fn.forward(NumpyMath, self.data)
        if type(data) is not _ndarray:
            data = np.asarray(data)
        return Tensor._result(data, fn, (self,))

    def _binary(self, fn: Function, other: Any) -> Tensor:
        if type(other) is not Tensor:
            other = _lift(other, self.data.dtype)
        a, b = self.data, other.data
        if a.dtype != b.dtype and (a.dtype.kind == "f") != (b.dtype.kind == "f"):
            # an int/bool tensor with a float one takes the float dtype (PyTorch), not float64
            if a.dtype.kind == "f":
                b = b.astype(a.dtype)
            else:
                a = a.astype(b.dtype)
        try:
            data = fn.forward(NumpyMath, a, b)
        except ValueError:
            raise shape_error(fn.name, self.data.shape, other.data.shape) from None
        if type(data) is not _ndarray:
            data = np.asarray(data)
        return Tensor._result(data, fn, (self, other))

    def _coerce(self, x: Any) -> Tensor:
        """``x`` as a Tensor: itself if it is one, else a constant in this tensor's float dtype."""
        return _lift(x, self.data.dtype)

    def _rbinary(self, fn: Function, other: Any) -> Tensor:
        return _lift(other, self.data.dtype)._binary(fn, self)

    def _apply(self, fn: Function, *args: Any) -> Tensor:
        """Run a tensor-only op (forward on arrays) with ``self`` as its one input."""
        data = fn.forward(self.data, *args)
        if type(data) is not _ndarray:
            data = np.asarray(data)
        return Tensor._result(data, fn, (self,))

    # -- arithmetic (rules: elementwise.py) --
    def __add__(self, other: Any) -> Tensor:
        return self._binary(E.ADD, other)

    def __radd__(self, other: Any) -> Tensor:
        return self._rbinary(E.ADD, other)

    def __sub__(self, other: Any) -> Tensor:
        return self._binary(E.SUB, other)

    def __rsub__(self, other: Any) -> Tensor:
        return self._rbinary(E.SUB, other)

    def __mul__(self, other: Any) -> Tensor:
        return self._binary(E.MUL, other)

    def __rmul__(self, other: Any) -> Tensor:
        return self._rbinary(E.MUL, other)

    def __truediv__(self, other: Any) -> Tensor:
        return self._binary(E.DIV, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return self._rbinary(E.DIV, other)

    def __pow__(self, other: Any) -> Tensor:
        if isinstance(other, (numbers.Real, np.floating, np.integer)):
            return self._unary(E.pow_const(float(other)))
        return self._binary(E.pow_for(self, other), other)

    def __rpow__(self, other: Any) -> Tensor:
        return self._rbinary(E.pow_for(other, self), other)

    def __neg__(self) -> Tensor:
        return self._unary(E.NEG)

    def __abs__(self) -> Tensor:
        return self._unary(E.ABS)

    def __matmul__(self, other: Any) -> Tensor:
        if type(other) is not Tensor:
            other = _lift(other, self.data.dtype)
        return matmul_nodes(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return matmul_nodes(_lift(other, self.data.dtype), self)

    # -- elementwise functions --
    def exp(self) -> Tensor:
        """e ** x, elementwise."""
        return self._unary(E.EXP)

    def log(self) -> Tensor:
        """Natural log: -inf at 0, nan below 0."""
        return self._unary(E.LOG)

    def sqrt(self) -> Tensor:
        """Square root: nan below 0."""
        return self._unary(E.SQRT)

    def tanh(self) -> Tensor:
        """Hyperbolic tangent."""
        return self._unary(E.TANH)

    def sigmoid(self) -> Tensor:
        """1 / (1 + e ** -x), without overflow."""
        return self._unary(E.SIGMOID)

    def relu(self) -> Tensor:
        """max(x, 0); the derivative at 0 is 0."""
        return self._unary(E.RELU)

    def abs(self) -> Tensor:
        """|x|; the derivative at 0 is 0."""
        return self._unary(E.ABS)

    def sin(self) -> Tensor:
        """Sine."""
        return self._unary(E.SIN)

    def cos(self) -> Tensor:
        """Cosine."""
        return self._unary(E.COS)

    def log1p(self) -> Tensor:
        """log(1 + x), accurate for small x: -inf at -1, nan below."""
        return self._unary(E.LOG1P)

    def erf(self) -> Tensor:
        """The error function (the Gaussian's cumulative integral, scaled to [-1, 1])."""
        return self._unary(E.ERF)

    # -- comparisons: plain boolean arrays, no graph; hashing stays by identity --
    __hash__ = Node.__hash__

    __eq__ = comparison("==", operator.eq)  # type: ignore[assignment]
    __ne__ = comparison("!=", operator.ne)  # type: ignore[assignment]
    __lt__ = comparison("<", operator.lt)
    __le__ = comparison("<=", operator.le)
    __gt__ = comparison(">", operator.gt)
    __ge__ = comparison(">=", operator.ge)

    # -- conversions --
    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def item(self) -> Any:
        """The one element as a Python number (the tensor must have exactly one element)."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self.data.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shared, not copied, as in PyTorch)."""
        return self.data

    def tolist(self) -> Any:
        """The data as nested Python lists."""
        return self.data.tolist()

    def detach(self) -> Tensor:
        """A new leaf sharing this data, with no history and no grad."""
        return Tensor._constant(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` on a leaf in place and return it (PyTorch's method)."""
        if not self.is_leaf:
            raise RuntimeError("requires_grad_() applies to leaf tensors; use detach() first")
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require grad, not {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def __repr__(self) -> str:
        body = np.array2string(
            np.asarray(self.data), separator=", ", prefix="Tensor(", precision=4, threshold=200
        )
        extras = [f"dtype={self.data.dtype}"]
        if self.requires_grad:
            extras.append("requires_grad=True")
        if self._fn is not None:
            extras.append(f"op={self._fn.name!r}")
        if self.label:
            extras.append(f"label={self.label!r}")
        return f"Tensor({body}, {', '.join(extras)})"


# --------------------------------------------------------------------- math on nodes
class TensorMath:
    """The functions of :class:`NumpyMath` on ``Tensor`` nodes (``create_graph=True``): each is a
    differentiable op (mostly the Tensor method of the same name), so a rule run with this
    namespace builds the graph of the gradient."""

    exp = staticmethod(Tensor.exp)
    log = staticmethod(Tensor.log)
    sqrt = staticmethod(Tensor.sqrt)
    div = staticmethod(operator.truediv)
    pow = staticmethod(operator.pow)
    tanh = staticmethod(Tensor.tanh)
    sigmoid = staticmethod(Tensor.sigmoid)
    relu = staticmethod(Tensor.relu)
    abs = staticmethod(Tensor.abs)
    sin = staticmethod(Tensor.sin)
    cos = staticmethod(Tensor.cos)
    log1p = staticmethod(Tensor.log1p)
    erf = staticmethod(Tensor.erf)
    matmul = staticmethod(matmul_nodes)
    reshape = staticmethod(Tensor.reshape)
    permute = staticmethod(Tensor.permute)
    expand = staticmethod(Tensor.broadcast_to)
    sum = staticmethod(Tensor.sum)
    mean = staticmethod(Tensor.mean)
    softmax = staticmethod(Tensor.softmax)
    cast = staticmethod(Tensor.astype)

    @staticmethod
    def where(condition: Any, a: Any, b: Any) -> Tensor:
        return where(condition, a, b)

    @staticmethod
    def sign(a: Tensor) -> Tensor:
        return Tensor._constant(np.sign(a.data))  # piecewise constant: no gradient through it

    @staticmethod
    def unbroadcast(c: Tensor, shape: tuple) -> Tensor:
        if c.shape == shape:
            return c
        return c.sum(broadcast_axes(c.shape, shape), keepdims=True).reshape(shape)

    @staticmethod
    def mT(a: Tensor) -> Tensor:
        return a.transpose(-2, -1)

    @staticmethod
    def index_add(g: Tensor, index: Any, shape: tuple, repeats: bool) -> Tensor:
        return g._apply(IndexAdd(index, shape, repeats))


Tensor._node_math = TensorMath
