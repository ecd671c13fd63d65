"""``Tensor``: an ndarray node of the computation graph, on the same core as ``Value``.

Here: the ``Tensor`` class, whole (creation, its graph hooks, matmul, reductions, shape ops,
indexing, softmax, comparisons, conversions), and how constants become tensors
(``as_tensors``). The functions of the tensor engine (``matmul``, ``where``, ``linear``,
``cross_entropy_logits``, ...) are in ``functions.py``. Arithmetic and the elementwise functions
come from ``autograd/ops.py`` (shared with ``Value``); the tensor-only ops' forwards and rules
are in ``ops.py`` (matmul, reductions, clip), ``shape.py`` (shapes, indexing, joining) and
``nn_ops.py`` (linear, softmax family, cross-entropy); argument checks in ``args.py``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import ops
from ..core import Function, Node
from ..math import NumpyMath, unbroadcast
from .args import (
    as_array,
    axis_index,
    check_axes,
    constant_array,
    describe,
    index_key,
    leaf_flag,
    normal_axes,
    shape_arg,
    shape_error,
)
from .nn_ops import LogSoftmax, LogSumExp, Softmax
from .ops import MATMUL, MAXIMUM, MINIMUM, Cast, Clip, Max, Mean, Min, Sum, Var
from .shape import Expand, Index, IndexAdd, Reshape, Transpose

__all__ = ["matmul", "Tensor"]

_ndarray = np.ndarray
_MATRIX_T = Transpose((1, 0))


def _comparison(name: str, op: Callable) -> Callable:
    """A comparison method (``op`` is ``operator.lt``, ...): a plain boolean array, no graph."""

    def compare(self: Tensor, other: Any) -> np.ndarray:
        b = other.data if isinstance(other, Node) else other
        try:
            return op(self.data, b)
        except ValueError:
            raise shape_error(name, self.data.shape, np.shape(b)) from None

    compare.__name__ = f"__{op.__name__}__"
    return compare


class Tensor(ops.Operators):
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
    _math = NumpyMath
    _retain = False
    __array_ufunc__ = None  # NumPy defers to our reflected ops: ndarray * Tensor is a Tensor

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, label: str = ""
    ) -> None:
        if dtype is None and type(data) is _ndarray and data.dtype.kind == "f":
            self.data = data.copy()  # the common case, without the general conversion
        else:
            self.data = as_array(data, dtype)
        self.grad = None
        self.requires_grad = leaf_flag(requires_grad, label, self.data.dtype)
        self._label = label  # checked above (the label property would check again)
        self._parents = ()
        self._fn = None
        self._version = 0

    # -- the hooks of the graph core (core.py) --
    @staticmethod
    def _apply(fn: Function, inputs: tuple) -> Tensor:
        """Run ``fn`` on ``inputs`` (Tensors and constants) and record the result: the one way
        a Tensor op node is made. Constants take the first tensor's float dtype; an int tensor
        with a float one computes in the float dtype (PyTorch)."""
        a, n, items = inputs[0], len(inputs), inputs
        data: Any
        if type(a) is Tensor and n == 1:  # the common cases first, without a loop
            data, track = (a.data,), a.requires_grad
        elif type(a) is Tensor and n == 2 and type(b := inputs[1]) is Tensor and (
            a.data.dtype is b.data.dtype or a.data.dtype.kind == b.data.dtype.kind == "f"
        ):
            data, track = (a.data, b.data), a.requires_grad or b.requires_grad
        elif n == 3 and type(a) is Tensor and type(b := inputs[1]) is Tensor and type(
            c := inputs[2]
        ) is Tensor and a.data.dtype is b.data.dtype is c.data.dtype:  # a linear with its bias
            data = (a.data, b.data, c.data)
            track = a.requires_grad or b.requires_grad or c.requires_grad
        else:
            data, track = None, False
            if type(a) is Tensor and n > 2:  # Tensors of one dtype (a fused linear): as they are
                data, track = [], False
                for x in inputs:
                    if type(x) is not Tensor or x.data.dtype is not a.data.dtype:
                        data = None
                        break
                    data.append(x.data)
                    track = track or x.requires_grad
            if data is None:
                items, data, track = _converted(fn, inputs)
        try:
            out = fn.forward(NumpyMath, *data)
        except ValueError as e:
            if "could not be broadcast" not in str(e) or len(data) != 2:
                raise
            raise shape_error(fn.name, data[0].shape, data[1].shape) from None
        if type(out) is not _ndarray:
            out = np.asarray(out)
        return Tensor._make(out, fn, items, track)

    def _seed(self, grad: Any) -> Any:
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without grad= needs a one-element output, but this tensor has "
                    f"shape {self.data.shape}: pass grad= (an array of that shape) or reduce it "
                    "first (e.g. .sum() or .mean())"
                )
            return np.ones_like(self.data) if self.data.ndim else np.array(1, self.data.dtype)
        if isinstance(grad, Tensor):
            if grad.requires_grad:  # keep it as a node: create_graph differentiates through it
                self._seed(grad.data)
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

    @staticmethod
    def _accumulate(parents: tuple, grads: Any, g: Any) -> None:
        for p, c in zip(parents, grads):
            if c is None or type(p) is _ndarray or not p.requires_grad:  # constants are arrays
                continue
            data, old = p.data, p.grad
            if type(c) is _ndarray or not isinstance(c, Tensor):  # a raw array: first order
                if type(c) is not _ndarray:
                    c = np.asarray(c)
                if c.shape != data.shape:
                    c = unbroadcast(c, data.shape)
                if c.dtype is not data.dtype:  # a gradient has its tensor's dtype
                    c = c.astype(data.dtype, copy=False)
                elif old is None and p._fn is None and (c is g or c.base is not None):
                    c = c.copy()  # a leaf's .grad is its own array, safe to change in place
            elif c.shape != data.shape:
                c = unbroadcast(c, data.shape)
            if old is not None:
                c = old + c
                if type(c) is not _ndarray and not isinstance(c, Tensor):  # 0-d: a NumPy scalar
                    c = np.asarray(c)
            p.grad = c

    def zero_grad(self) -> None:
        """Reset ``.grad`` to None (what ``nn``'s ``zero_grad()`` does to each parameter)."""
        self.grad = None

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

    # -- matmul and reductions (tensor_ops.py) --
    def __matmul__(self, other: Any) -> Tensor:
        return matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return matmul(other, self)

    def _reduce(self, cls: type, axis: Any, keepdims: bool) -> Tensor:
        name = cls.__name__.lower()
        if axis is not None:
            axis = normal_axes(name, axis, self.data.shape)
        try:
            return Tensor._apply(cls(axis, keepdims), (self,))
        except ValueError:  # from NumPy: no max or min over an axis of length 0
            raise ValueError(
                f"{name}: an axis reduced over has length 0 in shape {self.data.shape} "
                f"(axis={axis}); the {name} of nothing is undefined"
            ) from None

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (None: all; an int or a tuple), keeping reduced axes if asked."""
        return self._reduce(Sum, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis`` (None: all; an int or a tuple)."""
        return self._reduce(Mean, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Largest value over ``axis``; tied maxima share the gradient equally."""
        return self._reduce(Max, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Smallest value over ``axis``; tied minima share the gradient equally."""
        return self._reduce(Min, axis, keepdims)

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """log(sum(exp(x))) over ``axis`` (None: all), without overflow."""
        check_axes("logsumexp", axis, self.data.shape)
        return Tensor._apply(LogSumExp(axis, bool(keepdims)), (self,))

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """Variance over ``axis``, dividing by ``n - ddof`` (NumPy's default ``ddof=0``;
        PyTorch's default, the unbiased estimate, is ``ddof=1``)."""
        check_axes("var", axis, self.data.shape)
        return Tensor._apply(Var(axis, keepdims, ddof), (self,))

    def softmax(self, axis: Any = -1) -> Tensor:
        """exp(x) / sum(exp(x)) along ``axis`` (an int, or a list/tuple of ints), no overflow."""
        return Tensor._apply(Softmax(normal_axes("softmax", axis, self.data.shape)), (self,))

    def log_softmax(self, axis: Any = -1) -> Tensor:
        """x - logsumexp(x) along ``axis`` (an int, or a list/tuple of ints), no overflow."""
        axis = normal_axes("log_softmax", axis, self.data.shape)
        return Tensor._apply(LogSoftmax(axis), (self,))

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Values limited to [min, max] (either may be None); no gradient where clipped."""
        return Tensor._apply(Clip(min, max), (self,))

    def maximum(self, other: Any) -> Tensor:
        """The larger of self and other, elementwise (broadcasting)."""
        return Tensor._apply(MAXIMUM, (self, other))

    def minimum(self, other: Any) -> Tensor:
        """The smaller of self and other, elementwise (broadcasting)."""
        return Tensor._apply(MINIMUM, (self, other))

    def astype(self, dtype: Any) -> Tensor:
        """A copy converted to another float dtype (differentiable)."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"astype(): only float dtypes carry gradients, got {dtype}")
        return Tensor._apply(Cast(dtype), (self,))

    # -- shapes and indexing (tensor_shape.py) --
    def _reshaped(self, name: str, shape: tuple) -> Tensor:
        return Tensor._apply(Reshape(name, shape), (self,))

    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in a new shape (one size may be -1): ``x.reshape(2, -1)``."""
        shape = shape_arg(shape)
        try:
            new = self.data.reshape(shape).shape
        except (ValueError, TypeError) as e:
            raise ValueError(f"reshape: cannot make shape {self.shape} into {shape}: {e}") from None
        return self._reshaped("reshape", new)

    def view(self, *shape: Any) -> Tensor:
        """PyTorch's name for :meth:`reshape`."""
        return self.reshape(*shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Axes ``start_dim`` .. ``end_dim`` merged into one (PyTorch's ``flatten``)."""
        shape = self.data.shape
        if not shape:
            return self._reshaped("flatten", (1,))
        start, end = (axis_index("flatten", d, shape) for d in (start_dim, end_dim))
        if start > end:
            raise ValueError(
                f"flatten: start_dim {start_dim} comes after end_dim {end_dim} in shape {shape}"
            )
        merged = int(np.prod(shape[start : end + 1]))
        return self._reshaped("flatten", shape[:start] + (merged,) + shape[end + 1 :])

    def squeeze(self, axis: Any = None) -> Tensor:
        """Size-1 axes removed: all of them, or the given ones."""
        try:
            new = np.squeeze(self.data, axis=axis).shape
        except ValueError as e:
            raise ValueError(f"squeeze: shape {self.shape}, axis {axis}: {e}") from None
        return self._reshaped("squeeze", new)

    def unsqueeze(self, axis: int) -> Tensor:
        """A size-1 axis inserted at ``axis`` (NumPy's ``expand_dims``): -1 appends one."""
        shape = self.data.shape
        axis_index("unsqueeze", axis, shape, len(shape) + 1)
        return self._reshaped("unsqueeze", np.expand_dims(self.data, axis).shape)

    def expand(self, *shape: Any) -> Tensor:
        """Broadcast to ``shape`` without copying (PyTorch's ``expand``: -1 keeps a size)."""
        shape = shape_arg(shape)
        lead = len(shape) - self.data.ndim
        if lead >= 0:
            old = self.data.shape
            shape = tuple(
                old[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(shape)
            )
        return self.broadcast_to(shape)

    def broadcast_to(self, shape: Any) -> Tensor:
        """Broadcast to ``shape`` without copying (NumPy's ``broadcast_to``; a read-only view)."""
        try:
            np.broadcast_shapes(self.data.shape, tuple(shape))
            return Tensor._apply(Expand(tuple(shape)), (self,))
        except ValueError:
            raise ValueError(f"expand: shape {self.shape} cannot broadcast to {shape}") from None

    def permute(self, *axes: Any) -> Tensor:
        """The axes reordered: ``x.permute(2, 0, 1)`` (NumPy's ``transpose(axes)``)."""
        axes, shape = shape_arg(axes), self.data.shape
        axes = tuple(axis_index("permute", i, shape) for i in axes)
        if sorted(axes) != list(range(len(shape))):
            raise ValueError(f"permute: {axes} is not an ordering of the axes of shape {shape}")
        return Tensor._apply(Transpose(axes), (self,))

    def transpose(self, *axes: int) -> Tensor:
        """``transpose()`` reverses the axes (NumPy); ``transpose(d0, d1)`` swaps two axes
        (PyTorch); ``transpose(a0, a1, a2, ...)`` naming every axis is :meth:`permute`."""
        ndim = self.data.ndim
        if not axes:
            return self.permute(*range(ndim - 1, -1, -1))
        if len(axes) != 2:
            return self.permute(*axes)
        order = list(range(ndim))
        d0, d1 = (axis_index("transpose", d, self.data.shape) for d in axes)
        order[d0], order[d1] = order[d1], order[d0]
        return self.permute(*order)

    @property
    def T(self) -> Tensor:
        """The axes reversed (a matrix transposed), like NumPy's ``.T``."""
        if self.data.ndim < 2:
            return self
        if self.data.ndim == 2:  # a matrix (x @ w.T): no argument to check
            return Tensor._apply(_MATRIX_T, (self,))
        return self.permute(*range(self.data.ndim - 1, -1, -1))

    def __getitem__(self, key: Any) -> Tensor:
        if type(key) is int or type(key) is slice:
            return Tensor._apply(Index(key, False), (self,))
        index, repeats = index_key(key)
        return Tensor._apply(Index(index, repeats), (self,))

    def _index_add(self, index: Any, shape: tuple, repeats: bool) -> Tensor:
        """zeros(shape) with self added at ``index`` (the derivative of indexing, on nodes)."""
        return Tensor._apply(IndexAdd(index, shape, repeats), (self,))

    def __len__(self) -> int:
        if not self.data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Any:
        if not self.data.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    # -- comparisons: plain boolean arrays, no graph; hashing stays by identity --
    __hash__ = Node.__hash__
    __eq__ = _comparison("==", operator.eq)
    __ne__ = _comparison("!=", operator.ne)
    __lt__ = _comparison("<", operator.lt)
    __le__ = _comparison("<=", operator.le)
    __gt__ = _comparison(">", operator.gt)
    __ge__ = _comparison(">=", operator.ge)

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
        return Tensor._make(self.data, None, (), False)  # shares the data (the constructor copies)

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


# ------------------------------------------------------------------ the tensor functions
def as_tensors(items: Any) -> list[Tensor]:
    """``items`` as Tensors: Tensors as they are, anything else as a constant in the first
    tensor's float dtype (if none is a Tensor, the first item becomes one by the creation rule).
    A node of another kind (a ``Value``) is refused: the two engines do not mix."""
    items = list(items)
    like = next((x for x in items if isinstance(x, Tensor)), None)
    if like is None:
        if isinstance(items[0], Node):
            constant_array(items[0], np.dtype(np.float32))  # raises: engines do not mix
        like = items[0] = Tensor(items[0])
    dtype = like.data.dtype
    return [x if isinstance(x, Tensor) else Tensor(constant_array(x, dtype)) for x in items]



def _converted(fn: Function, inputs: tuple) -> tuple[tuple, list, bool]:
    """``fn``'s inputs with constants made arrays of the first tensor's float dtype and int/bool
    data with float data made float: the inputs, their data and whether the result tracks."""
    like = next(x for x in inputs if isinstance(x, Tensor))
    if any(isinstance(x, Node) and not isinstance(x, Tensor) for x in inputs):
        found = " and ".join(sorted({type(y).__name__ for y in inputs if isinstance(y, Node)}))
        raise TypeError(f"{fn.name!r}: Values and Tensors do not mix in one op, got {found}")
    dtype = like.data.dtype
    items = tuple(x if isinstance(x, Tensor) else constant_array(x, dtype) for x in inputs)
    data = [x.data if isinstance(x, Tensor) else x for x in items]
    if len({d.dtype.kind == "f" for d in data}) == 2:  # int/bool with float: the float dtype
        float_dtype = np.result_type(*[d for d in data if d.dtype.kind == "f"])
        data = [d if d.dtype.kind == "f" else d.astype(float_dtype) for d in data]
    return items, data, any(isinstance(x, Tensor) and x.requires_grad for x in items)


def matmul(a: Any, b: Any) -> Tensor:
    """a @ b with NumPy's rules: 1-D (dot), 2-D (matrix product), batched (broadcast batch dims)."""
    if type(a) is not Tensor or type(b) is not Tensor:
        a, b = as_tensors((a, b))
    return Tensor._apply(MATMUL, (a, b))
