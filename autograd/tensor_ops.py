"""Tensor ops beyond the shared elementwise ones: matmul, reductions, and elementwise ops with
parameters (maximum, minimum, clip, where, astype). Each op's forward and its derivative rule
stand side by side; ``ReduceMethods`` gives ``Tensor`` the matching methods.

Conventions for every tensor-only op (here, in ``tensor_shape.py`` and ``tensor_nn.py``):
``forward`` runs on ndarrays only; ``backward(F, g, out, *inputs)`` uses plain operators and
``F.<fn>`` calls, so it runs on raw arrays (``F`` = ``NumpyMath``: the first-order fast path,
no nodes made) and on ``Tensor`` nodes (``F`` = ``TensorMath``, under ``create_graph=True``).
The graph core sums each returned gradient back to its input's shape, so a rule may return a
gradient of the broadcast output shape. Ops with parameters (an axis, a bound) are instances
holding them, shared between nodes when the parameters are equal; matmul records at forward which
inputs need a gradient, so no time is spent on the gradient of a data matrix.
"""

from __future__ import annotations

import numbers
import operator
import warnings
from typing import Any

import numpy as np

from .function import Function
from .graph import Node
from .tensor_args import as_tensors, check_axes, kept_shape, normal_axes, shared_op

__all__ = ["matmul", "maximum", "minimum", "where"]


# ------------------------------------------------------------------------------ matmul
class Matmul(Function):
    """a @ b for 1-D, 2-D and batched operands (NumPy's ``matmul`` rules)."""

    name = "@"

    def __init__(self, need_a: bool, need_b: bool) -> None:
        self.need_a = need_a
        self.need_b = need_b

    def backward(self, F: Any, g: Any, out: Any, a: Any, b: Any) -> tuple:
        if a.ndim == 1 and b.ndim == 1:  # a dot product: g is a scalar
            return (g * b if self.need_a else None), (g * a if self.need_b else None)
        a_vec, b_vec = a.ndim == 1, b.ndim == 1
        if a_vec:  # (n,) @ (..., n, m): a acts as the row (1, n)
            a = F.reshape(a, (1, a.shape[0]))
            g = F.reshape(g, g.shape[:-1] + (1, g.shape[-1]))
        if b_vec:  # (..., k, n) @ (n,): b acts as the column (n, 1)
            b = F.reshape(b, (b.shape[0], 1))
            g = F.reshape(g, g.shape + (1,))
        ga = gb = None
        if self.need_a:  # dL/da = g @ b^T (the core sums broadcast batch dims)
            ga = F.mT(F.matmul(b, F.mT(g))) if _transposed(a) else F.matmul(g, F.mT(b))
            if a_vec:
                ga = F.reshape(ga, ga.shape[:-2] + ga.shape[-1:])
        if self.need_b:  # dL/db = a^T @ g
            gb = F.mT(F.matmul(F.mT(g), a)) if _transposed(b) else F.matmul(F.mT(a), g)
            if b_vec:
                gb = F.reshape(gb, gb.shape[:-1])
        return ga, gb


def _transposed(x: Any) -> bool:
    """True for a transposed view of a matrix (e.g. ``w.T``): its gradient is then computed as
    the transpose of a product, so it has the same memory layout and the gradient that reaches
    ``w`` through the transpose is contiguous (fast to use in ``w.data -= lr * w.grad``)."""
    return type(x) is np.ndarray and x.ndim == 2 and not x.flags.c_contiguous


# One shared op per combination of (a needs grad, b needs grad).
MATMUL = ((Matmul(False, False), Matmul(False, True)), (Matmul(True, False), Matmul(True, True)))


def matmul_nodes(a: Any, b: Any) -> Any:
    """a @ b for two Tensors (the work behind ``@`` and :func:`matmul`)."""
    try:
        data = np.matmul(a.data, b.data)
    except ValueError:
        if a.data.ndim == 0 or b.data.ndim == 0:
            why = "matmul needs operands with at least one axis (use * for scalars)"
        else:
            why = "the inner sizes must match and the batch shapes must broadcast"
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not multiply: {why}") from None
    return type(a)._result(data, MATMUL[a.requires_grad][b.requires_grad], (a, b))


def matmul(a: Any, b: Any) -> Any:
    """a @ b with NumPy's rules: 1-D (dot), 2-D (matrix product), batched (broadcast batch dims)."""
    a, b = as_tensors((a, b))
    return matmul_nodes(a, b)


# -------------------------------------------------------------------------- reductions
class Reduction(Function):
    """Base of the reductions over ``axis`` (None: all axes), keeping the axes if ``keepdims``."""

    def __init__(self, axis: Any = None, keepdims: bool = False) -> None:
        self.axis = tuple(axis) if isinstance(axis, list) else axis
        self.keepdims = keepdims
        name = type(self).__name__.lower()
        self.name = name if axis is None else f"{name}(axis={self.axis})"

    def kept(self, F: Any, x: Any, shape: tuple) -> Any:
        """``x`` (shaped like the output) reshaped to broadcast against the input ``shape``."""
        if self.keepdims:
            return x
        return F.reshape(x, kept_shape(shape, self.axis))


class Sum(Reduction):
    """a.sum(axis, keepdims): every input element gets the gradient of its sum."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        return a.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (F.expand(self.kept(F, g, a.shape), a.shape),)


class Mean(Reduction):
    """a.mean(axis, keepdims): the gradient of the sum, divided by the count."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        if a.dtype == np.float16:  # accumulate in float32, or the sum overflows to inf
            return a.mean(axis=self.axis, keepdims=self.keepdims, dtype=np.float32).astype(a.dtype)
        total = a.sum(axis=self.axis, keepdims=self.keepdims)
        return total / (a.size // max(total.size, 1))  # like a.mean(), without its overhead

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        count = a.size // max(out.size, 1)
        return (F.expand(self.kept(F, g, a.shape) / count, a.shape),)


class Max(Reduction):
    """a.max(axis, keepdims); tied maxima share the gradient equally (PyTorch's ``amax``)."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        return a.max(axis=self.axis, keepdims=self.keepdims)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        hit = a == self.kept(F, out, a.shape)  # a boolean array: where the extreme is
        share = hit / hit.sum(axis=self.axis, keepdims=True)
        return (self.kept(F, g, a.shape) * share.astype(a.dtype),)


class Min(Max):
    """a.min(axis, keepdims); tied minima share the gradient equally."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        return a.min(axis=self.axis, keepdims=self.keepdims)


class Var(Reduction):
    """a.var(axis, ddof, keepdims): the mean squared deviation, dividing by ``n - ddof``."""

    def __init__(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> None:
        super().__init__(axis, keepdims)
        self.ddof = ddof

    def forward(self, a: np.ndarray) -> np.ndarray:
        wide = np.float32 if a.dtype == np.float16 else None  # float16 accumulates in float32
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # ddof >= n: inf or nan, quietly
            out = a.var(axis=self.axis, ddof=self.ddof, keepdims=self.keepdims, dtype=wide)
        return out.astype(a.dtype, copy=False)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        deviation = a - F.mean(a, self.axis, True)
        dof = a.size // max(out.size, 1) - self.ddof
        scale = 2.0 / dof if dof > 0 else np.inf  # no degrees of freedom left: inf (PyTorch)
        return (self.kept(F, g, a.shape) * deviation * scale,)


def reduction(cls: type, axis: Any, keepdims: bool) -> Any:
    """The shared reduction op ``cls(axis, keepdims)`` (a list ``axis`` counts as a tuple)."""
    return shared_op(cls, tuple(axis) if isinstance(axis, list) else axis, bool(keepdims))


# ----------------------------------------------------------- elementwise, with parameters
class Maximum(Function):
    """The larger of a and b, elementwise; at ties each side gets half the gradient (PyTorch).
    Binary and broadcasting, so it follows the elementwise convention ``forward(F, a, b)``."""

    name = "maximum"
    pick = staticmethod(np.maximum)
    wins = staticmethod(operator.gt)  # where a is the one picked

    def forward(self, F: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return self.pick(a, b)

    def backward(self, F: Any, g: Any, out: Any, a: Any, b: Any) -> tuple:
        # select, not multiply (inf * 0 is nan); a tie gives each side half, and where either
        # side is nan both get the whole gradient (PyTorch)
        a_wins, b_wins, tie = self.wins(a, b), self.wins(b, a), a == b
        nan = (a != a) | (b != b)
        half = F.where(tie, g * 0.5, 0.0)
        return F.where(a_wins | nan, g, half), F.where(b_wins | nan, g, half)


class Minimum(Maximum):
    """The smaller of a and b, elementwise; at ties each side gets half the gradient."""

    name = "minimum"
    pick = staticmethod(np.minimum)
    wins = staticmethod(operator.lt)


MAXIMUM, MINIMUM = Maximum(), Minimum()


class Clip(Function):
    """a limited to [low, high] (either may be None); the gradient flows where low <= a <= high."""

    def __init__(self, low: float | None, high: float | None) -> None:
        self.low = low
        self.high = high
        self.name = f"clip({low}, {high})"

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.clip(a, self.low, self.high)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        inside = np.ones(a.shape, dtype=bool)
        if self.low is not None:
            inside &= a >= self.low
        if self.high is not None:
            inside &= a <= self.high
        return (F.where(inside, g, 0.0),)  # select, not multiply: inf * 0 would be nan


class Where(Function):
    """a where ``condition`` holds, else b; ``condition`` is a constant boolean array."""

    name = "where"

    def __init__(self, condition: np.ndarray) -> None:
        self.condition = condition

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.where(self.condition, a, b)

    def backward(self, F: Any, g: Any, out: Any, a: Any, b: Any) -> tuple:
        return F.where(self.condition, g, 0.0), F.where(self.condition, 0.0, g)


class Cast(Function):
    """a converted to another float dtype; the gradient is converted back."""

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype
        self.name = f"astype({dtype})"

    def forward(self, a: np.ndarray) -> np.ndarray:
        return a.astype(self.dtype)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (F.cast(g, a.dtype),)


# --------------------------------------------------------------------- the public face
class ReduceMethods:
    """``Tensor`` methods for the ops of this module."""

    __slots__ = ()

    def _reduce(self, cls: type, axis: Any, keepdims: bool) -> Any:
        if axis is not None:
            axis = normal_axes(cls.__name__.lower(), axis, self.data.shape)
        try:
            return self._apply(reduction(cls, axis, keepdims))
        except ValueError:  # from NumPy: no max or min over an axis of length 0
            name = cls.__name__.lower()
            raise ValueError(
                f"{name}: an axis reduced over has length 0 in shape {self.data.shape} "
                f"(axis={axis}); the {name} of nothing is undefined"
            ) from None

    def sum(self, axis: Any = None, keepdims: bool = False) -> Any:
        """Sum over ``axis`` (None: all; an int or a tuple), keeping reduced axes if asked."""
        return self._reduce(Sum, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Any:
        """Mean over ``axis`` (None: all; an int or a tuple)."""
        return self._reduce(Mean, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Any:
        """Largest value over ``axis``; tied maxima share the gradient equally."""
        return self._reduce(Max, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Any:
        """Smallest value over ``axis``; tied minima share the gradient equally."""
        return self._reduce(Min, axis, keepdims)

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Any:
        """Variance over ``axis``, dividing by ``n - ddof`` (NumPy's default ``ddof=0``;
        PyTorch's default, the unbiased estimate, is ``ddof=1``)."""
        check_axes("var", axis, self.data.shape)
        return self._apply(Var(axis, keepdims, ddof))

    def clip(self, min: float | None = None, max: float | None = None) -> Any:
        """Values limited to [min, max] (either may be None); no gradient where clipped."""
        if min is None and max is None:
            raise ValueError("clip(): give min, max or both")
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and not isinstance(bound, numbers.Real):
                raise TypeError(
                    f"clip(): {name} must be a real number or None, got {type(bound).__name__}"
                )
        low = None if min is None else float(min)  # a NumPy float64 bound must not promote
        high = None if max is None else float(max)
        return self._apply(Clip(low, high))

    def maximum(self, other: Any) -> Any:
        """The larger of self and other, elementwise (broadcasting)."""
        return self._binary(MAXIMUM, other)

    def minimum(self, other: Any) -> Any:
        """The smaller of self and other, elementwise (broadcasting)."""
        return self._binary(MINIMUM, other)

    def astype(self, dtype: Any) -> Any:
        """A copy converted to another float dtype (differentiable)."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"astype(): only float dtypes carry gradients, got {dtype}")
        return self._apply(Cast(dtype))


def maximum(a: Any, b: Any) -> Any:
    """The larger of a and b, elementwise (broadcasting); ties split the gradient evenly."""
    a, b = as_tensors((a, b))
    return a._binary(MAXIMUM, b)


def minimum(a: Any, b: Any) -> Any:
    """The smaller of a and b, elementwise (broadcasting); ties split the gradient evenly."""
    a, b = as_tensors((a, b))
    return a._binary(MINIMUM, b)


def where(condition: Any, a: Any, b: Any) -> Any:
    """``a`` where ``condition`` holds, else ``b``, broadcasting all three (PyTorch's and
    NumPy's ``where``); ``condition`` is a boolean array (e.g. ``x > 0``) and gets no gradient."""
    cond = condition.data if isinstance(condition, Node) else np.asarray(condition)
    if cond.dtype != bool:
        raise TypeError(f"where: condition must be boolean, got dtype {cond.dtype}")
    a, b = as_tensors((a, b))
    fn = Where(cond)
    try:
        data = fn.forward(a.data, b.data)
    except ValueError:
        raise ValueError(
            f"where: shapes {cond.shape}, {a.shape} and {b.shape} do not broadcast"
        ) from None
    return type(a)._result(data, fn, (a, b))
