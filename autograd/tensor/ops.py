"""Tensor-only ops: matmul, the reductions, and elementwise ops with parameters (maximum,
minimum, clip, astype). Each op's forward and its derivative rule stand side by side; the
``Tensor`` methods and functions that apply them are in ``tensor.py``.

The convention of every op (here, in ``tensor_shape.py`` and ``tensor_nn.py``, as in ``ops.py``):
``forward(F, *data)`` on ndarrays; ``backward(F, g, out, *inputs)`` with plain operators and
``F.<fn>`` calls, so it runs on raw arrays (``F`` = ``NumpyMath``, first order) and on nodes
(``F`` = ``NodeMath``, under ``create_graph=True``). A rule may return a gradient of the
broadcast output shape: the Tensor sums it back to its input's shape. Parameters (an axis, a
bound) are attributes of the op instance; matmul records at forward which inputs need a
gradient, so no time is spent on the gradient of a data matrix.
"""

from __future__ import annotations

import numbers
import operator
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import Function
from ..ops import Elementwise
from .args import bool_arg, int_arg, kept_shape

__all__: list[str] = []


# ------------------------------------------------------------------------------ matmul
class Matmul(Function):
    """a @ b for 1-D, 2-D and batched operands (NumPy's ``matmul`` rules)."""

    name = "@"
    selective = True  # a product skipped for an input that needs no gradient

    def forward(self, F: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:
            return np.matmul(a, b)
        except ValueError:
            if a.ndim == 0 or b.ndim == 0:
                why = "matmul needs operands with at least one axis (use * for scalars)"
            else:
                why = "the inner sizes must match and the batch shapes must broadcast"
            raise ValueError(
                f"matmul: shapes {a.shape} and {b.shape} do not multiply: {why}"
            ) from None

    def backward(self, F: Any, g: Any, out: Any, a: Any, b: Any,
                 needs_input_grad: tuple = (True, True)) -> tuple:  # fmt: skip
        need_a, need_b = needs_input_grad
        if a.ndim == 1 and b.ndim == 1:  # a dot product: g is a scalar
            return (g * b if need_a else None), (g * a if need_b else None)
        a_vec, b_vec = a.ndim == 1, b.ndim == 1
        if a_vec:  # (n,) @ (..., n, m): a acts as the row (1, n)
            a = F.reshape(a, (1, a.shape[0]))
            g = F.reshape(g, g.shape[:-1] + (1, g.shape[-1]))
        if b_vec:  # (..., k, n) @ (n,): b acts as the column (n, 1)
            b = F.reshape(b, (b.shape[0], 1))
            g = F.reshape(g, g.shape + (1,))
        ga = gb = None
        if need_a:  # dL/da = g @ b^T (the core sums broadcast batch dims)
            ga = F.mT(F.matmul(b, F.mT(g))) if _transposed(a) else F.matmul(g, F.mT(b))
            if a_vec:
                ga = F.reshape(ga, ga.shape[:-2] + ga.shape[-1:])
        if need_b:  # dL/db = a^T @ g
            gb = F.mT(F.matmul(F.mT(g), a)) if _transposed(b) else F.matmul(F.mT(a), g)
            if b_vec:
                gb = F.reshape(gb, gb.shape[:-1])
        return ga, gb


def _transposed(x: Any) -> bool:
    """True for a transposed view of a matrix (e.g. ``w.T``): its gradient is then computed as
    the transpose of a product, so it has the same memory layout and the gradient that reaches
    ``w`` through the transpose is contiguous (fast to use in ``w.data -= lr * w.grad``)."""
    return type(x) is np.ndarray and x.ndim == 2 and not x.flags.c_contiguous


MATMUL = Matmul()


# -------------------------------------------------------------------------- reductions
class Reduction(Function):
    """Base of the reductions over ``axis`` (None: all axes), keeping the axes if ``keepdims``."""

    def __init__(self, axis: Any = None, keepdims: bool = False) -> None:
        self.axis = tuple(axis) if isinstance(axis, list) else axis
        self.keepdims = bool_arg(type(self).__name__.lower(), "keepdims", keepdims)

    @property
    def name(self) -> str:  # type: ignore[override]
        """The op's name for display: ``sum``, ``mean(axis=1)``, ..."""
        name = type(self).__name__.lower()
        return name if self.axis is None else f"{name}(axis={self.axis})"

    def kept(self, F: Any, x: Any, shape: tuple) -> Any:
        """``x`` (shaped like the output) reshaped to broadcast against the input ``shape``."""
        if self.keepdims:
            return x
        return F.reshape(x, kept_shape(shape, self.axis))


class Sum(Reduction):
    """a.sum(axis, keepdims): every input element gets the gradient of its sum."""

    def forward(self, F: Any, a: np.ndarray) -> np.ndarray:
        return a.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (F.expand(self.kept(F, g, a.shape), a.shape),)


class Mean(Reduction):
    """a.mean(axis, keepdims): the gradient of the sum, divided by the count."""

    def forward(self, F: Any, a: np.ndarray) -> np.ndarray:
        if a.dtype == np.float16:  # accumulate in float32, or the sum overflows to inf
            return a.mean(axis=self.axis, keepdims=self.keepdims, dtype=np.float32).astype(a.dtype)
        total = a.sum(axis=self.axis, keepdims=self.keepdims)
        return total / (a.size // max(total.size, 1))  # like a.mean(), without its overhead

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        count = a.size // max(out.size, 1)
        return (F.expand(self.kept(F, g, a.shape) / count, a.shape),)


class Max(Reduction):
    """a.max(axis, keepdims); tied maxima share the gradient equally (PyTorch's ``amax``)."""

    def forward(self, F: Any, a: np.ndarray) -> np.ndarray:
        return a.max(axis=self.axis, keepdims=self.keepdims)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        hit = a == self.kept(F, out, a.shape)  # a boolean array: where the extreme is
        share = hit / hit.sum(axis=self.axis, keepdims=True)
        return (self.kept(F, g, a.shape) * share.astype(a.dtype),)


class Min(Max):
    """a.min(axis, keepdims); tied minima share the gradient equally."""

    def forward(self, F: Any, a: np.ndarray) -> np.ndarray:
        return a.min(axis=self.axis, keepdims=self.keepdims)


class Var(Reduction):
    """a.var(axis, ddof, keepdims): the mean squared deviation, dividing by ``n - ddof``."""

    def __init__(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> None:
        super().__init__(axis, keepdims)
        self.ddof = int_arg("var", "ddof", ddof)

    def forward(self, F: Any, a: np.ndarray) -> np.ndarray:
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


# ----------------------------------------------------------- elementwise, with parameters
class Maximum(Elementwise):
    """The larger of a and b, elementwise; at ties each side gets half the gradient (PyTorch)."""

    name = "maximum"
    pick: Callable[[Any, Any], np.ndarray] = staticmethod(np.maximum)
    wins: Callable[[Any, Any], Any] = staticmethod(operator.gt)  # where a is the one picked

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


class Clip(Elementwise):
    """a limited to [low, high] (either may be None); the gradient flows where low <= a <= high."""

    def __init__(self, low: float | None, high: float | None) -> None:
        if low is None and high is None:
            raise ValueError("clip(): give min, max or both")
        for name, bound in (("min", low), ("max", high)):
            if bound is not None and not isinstance(bound, numbers.Real):
                raise TypeError(
                    f"clip(): {name} must be a real number or None, got {type(bound).__name__}"
                )
        self.low = None if low is None else float(low)  # a NumPy float64 bound must not promote
        self.high = None if high is None else float(high)
        self.name = f"clip({low}, {high})"

    def forward(self, F: Any, a: np.ndarray) -> np.ndarray:
        return np.clip(a, self.low, self.high)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        inside = np.ones(a.shape, dtype=bool)
        if self.low is not None:
            inside &= a >= self.low
        if self.high is not None:
            inside &= a <= self.high
        return (F.where(inside, g, 0.0),)  # select, not multiply: inf * 0 would be nan


class Cast(Elementwise):
    """a converted to another float dtype; the gradient is converted back."""

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype
        self.name = f"astype({dtype})"

    def forward(self, F: Any, a: np.ndarray) -> np.ndarray:
        return a.astype(self.dtype)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (F.cast(g, a.dtype),)
