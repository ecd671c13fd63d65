"""The math namespaces derivative rules are written with, side by side.

A rule calls ``F.exp``, ``F.where``, ``F.matmul``, ... and works on whatever ``F`` is:

- ``FloatMath``  plain floats, with PyTorch's domain rules (``log(0) = -inf``, ``1 / 0 = inf``:
  never an exception from ``math``); the first-order pass of ``Value``.
- ``NumpyMath``  ndarrays; the first-order pass of ``Tensor``.
- ``NodeMath``   nodes of either kind, under ``create_graph=True``: each function calls the node's
  own differentiable method, so the rule records the gradient's graph.

The three define the same names for the functions both engines use (``tests/test_math.py``
checks that every ``F.<name>`` a rule calls exists where it runs). No op is defined here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__: list[str] = []

_ndarray = np.ndarray


class FloatMath:
    """Math on plain floats for the ``Value`` engine's first-order pass."""

    @staticmethod
    def exp(a: float) -> float:
        try:
            return math.exp(a)
        except OverflowError:
            return math.inf

    @staticmethod
    def log(a: float) -> float:
        if a > 0:
            return math.log(a)
        return -math.inf if a == 0 else math.nan

    @staticmethod
    def log1p(a: float) -> float:
        if a > -1:
            return math.log1p(a)
        return -math.inf if a == -1 else math.nan

    @staticmethod
    def sqrt(a: float) -> float:
        return math.sqrt(a) if a >= 0 else math.nan

    @staticmethod
    def div(a: float, b: float) -> float:
        try:
            return a / b
        except ZeroDivisionError:
            if a == 0 or a != a:
                return math.nan
            return math.copysign(math.inf, a) * math.copysign(1.0, b)

    @staticmethod
    def pow(a: float, b: float) -> float:
        try:
            result = a**b
        except (ZeroDivisionError, OverflowError):  # 0 ** -n, or too large: inf, signed as IEEE
            odd = float(b).is_integer() and int(b) % 2 == 1
            return math.copysign(math.inf, a) if odd else math.inf
        if a == -math.inf and not float(b).is_integer():  # Python: +-inf or 0; PyTorch, NumPy: nan
            return math.nan
        return math.nan if type(result) is complex else result

    @staticmethod
    def sigmoid(a: float) -> float:
        if a >= 0:
            return 1.0 / (1.0 + math.exp(-a))
        if a != a:  # nan stays nan
            return a
        e = math.exp(a) if a > -745.0 else 0.0
        return e / (1.0 + e)

    @staticmethod
    def relu(a: float) -> float:
        return a if (a > 0 or a != a) else 0.0

    @staticmethod
    def sign(a: float) -> float:
        return float((a > 0) - (a < 0))

    @staticmethod
    def where(condition: Any, a: float, b: float) -> float:
        """``a`` if ``condition`` else ``b``: a masking rule selects, so ``inf`` never meets 0."""
        return a if condition else b

    @staticmethod
    def sin(a: float) -> float:
        return math.sin(a) if math.isfinite(a) else math.nan

    @staticmethod
    def cos(a: float) -> float:
        return math.cos(a) if math.isfinite(a) else math.nan

    tanh = staticmethod(math.tanh)
    abs = staticmethod(abs)
    erf = staticmethod(math.erf)


_ERF = np.frompyfunc(math.erf, 1, 1)


def broadcast_axes(shape: tuple, target: tuple) -> tuple[int, ...]:
    """The axes of ``shape`` to sum so that the result has the broadcastable ``target`` shape:
    the leading axes ``target`` lacks, and the axes where ``target`` has size 1."""
    lead = len(shape) - len(target)
    if lead < 0:
        raise ValueError(f"cannot sum a gradient of shape {shape} back to shape {target}")
    stretched = (lead + i for i, n in enumerate(target) if n == 1 and shape[lead + i] != 1)
    return tuple(range(lead)) + tuple(stretched)


def unbroadcast(c: Any, shape: tuple) -> Any:
    """A gradient ``c`` (an array or a Tensor) summed back to the ``shape`` it was broadcast
    from: how an input of a broadcasting op gets its gradient."""
    return c.sum(axis=broadcast_axes(c.shape, shape), keepdims=True).reshape(shape)


def select_by_multiply(g: np.ndarray) -> bool:
    """Whether ``where(mask, g, 0)`` may be computed as ``g * mask``: a float array of more than
    2,048 elements (measured: from 64 x 64 the multiply is faster, 5-8x from 128 x 256; below,
    ``np.where``) with no inf or nan (inf * 0 would be nan). A finite sum of squares (one BLAS
    call, which may overflow but never warns) means every element is finite."""
    if g.size <= 2048 or g.dtype.kind != "f":
        return False
    flat = g.ravel(order="K")  # a view of any dense layout (np.vdot copies a transposed one)
    return math.isfinite(np.vdot(flat, flat))


class NumpyMath:
    """The same functions on ndarrays, for the ``Tensor`` engine's first-order pass, and the
    tensor-only ones (``matmul``, ``sum``, ``softmax``, ...)."""

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    log1p = staticmethod(np.log1p)
    sqrt = staticmethod(np.sqrt)
    div = staticmethod(np.divide)
    tanh = staticmethod(np.tanh)
    abs = staticmethod(np.abs)

    @staticmethod
    def sign(a: np.ndarray) -> np.ndarray:
        """-1, 0 or 1; 0 at nan, as ``FloatMath.sign`` and PyTorch's ``abs`` rule take it."""
        s = np.sign(a)
        if np.isnan(np.add.reduce(s, None)):  # a sum of signs is finite unless one is nan
            s = np.where(s == s, s, 0.0)
        return s

    @staticmethod
    def pow(a: np.ndarray, b: Any) -> np.ndarray:
        """``np.power``, but nan for -inf to a power that is not an integer (PyTorch; C gives
        0 or inf there, and so NumPy does for some exponents)."""
        out = np.power(a, b)
        if np.ndim(b) == 0 and float(b).is_integer():  # x**2: nothing to check
            return out
        bad = (a == -np.inf) & (b != np.floor(b))
        return np.where(bad, np.nan, out) if bad.any() else out

    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    matmul = staticmethod(np.matmul)
    reshape = staticmethod(np.reshape)
    permute = staticmethod(np.transpose)

    @staticmethod
    def erf(a: np.ndarray) -> np.ndarray:
        # NumPy has no erf: math.erf per element (exact to float64; about 0.1 us an element)
        return np.asarray(_ERF(a), dtype=a.dtype)

    @staticmethod
    def sigmoid(a: np.ndarray) -> np.ndarray:
        return np.exp(-np.logaddexp(0, -a))  # 1 / (1 + e^-a) without overflow for any a

    @staticmethod
    def relu(a: np.ndarray) -> np.ndarray:
        return np.maximum(a, 0)  # nan stays nan

    @staticmethod
    def where(condition: Any, a: Any, b: Any) -> np.ndarray:
        """``np.where``; a masking rule's ``where(mask, g, 0)`` as ``g * mask`` where
        :func:`select_by_multiply` allows."""
        if type(b) is float and b == 0 and type(a) is np.ndarray and type(condition) is np.ndarray:
            if condition.dtype == bool and select_by_multiply(a):
                return a * condition
        return np.where(condition, a, b)

    @staticmethod
    def mT(a: np.ndarray) -> np.ndarray:
        return a.T if a.ndim == 2 else a.swapaxes(-1, -2)

    @staticmethod
    def expand(a: np.ndarray, shape: tuple) -> np.ndarray:
        out = np.empty(shape, dtype=a.dtype)  # a fresh writable array, never a broadcast view
        out[...] = a
        return out

    @staticmethod
    def sum(a: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
        # a.sum() without its wrapper (numpy's stubs type keepdims as a literal True or False)
        return np.add.reduce(a, axis=axis, keepdims=keepdims)  # type: ignore[call-overload]

    @staticmethod
    def mean(a: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
        return a.mean(axis=axis, keepdims=keepdims)

    @staticmethod
    def softmax(a: np.ndarray, axis: Any) -> np.ndarray:
        """exp(a) / sum(exp(a)) along ``axis``, shifted by the max so it cannot overflow."""
        if a.size == 0:  # nothing to normalise: an empty result (PyTorch)
            return a.copy()
        e = np.exp(a - a.max(axis=axis, keepdims=True))
        e /= e.sum(axis=axis, keepdims=True)
        return e

    @staticmethod
    def index_add(g: np.ndarray, index: Any, shape: tuple, repeats: bool) -> np.ndarray:
        """zeros(shape) with ``g`` added at ``index`` (the adjoint of indexing)."""
        out = np.zeros(shape, dtype=g.dtype)
        if repeats:
            np.add.at(out, index, g)  # unbuffered: repeated positions add up
        else:
            out[index] = g  # slices and masks never repeat a position
        return out

    @staticmethod
    def cast(a: np.ndarray, dtype: Any) -> np.ndarray:
        return a.astype(dtype, copy=False)


def _not(condition: Any) -> Any:
    return not condition if isinstance(condition, bool) else np.logical_not(condition)


def _method(name: str, call: Any) -> Any:
    """A ``NodeMath`` function: ``call(node, *args)`` on a node; on a constant (a number or an
    array among a rule's inputs) the raw namespace's function of the same ``name``."""

    def function(a: Any, *args: Any) -> Any:
        if hasattr(a, "_math"):  # a node
            return call(a, *args)
        return getattr(FloatMath if isinstance(a, (int, float)) else NumpyMath, name)(a, *args)

    function.__name__ = name
    return staticmethod(function)


class NodeMath:
    """The same functions on nodes (``Value`` or ``Tensor``), for ``create_graph=True``: each
    calls the node's own differentiable method, so the node's kind decides what runs (and a
    constant input gets the raw function)."""

    exp = _method("exp", lambda a: a.exp())
    log = _method("log", lambda a: a.log())
    log1p = _method("log1p", lambda a: a.log1p())
    sqrt = _method("sqrt", lambda a: a.sqrt())
    tanh = _method("tanh", lambda a: a.tanh())
    sigmoid = _method("sigmoid", lambda a: a.sigmoid())
    relu = _method("relu", lambda a: a.relu())
    abs = _method("abs", lambda a: a.abs())
    sin = _method("sin", lambda a: a.sin())
    cos = _method("cos", lambda a: a.cos())
    erf = _method("erf", lambda a: a.erf())
    sign = _method("sign", lambda a: a._math.sign(a.data))  # piecewise constant: a constant
    reshape = _method("reshape", lambda a, shape: a.reshape(shape))
    permute = _method("permute", lambda a, axes: a.permute(axes))
    mT = _method("mT", lambda a: a.transpose(-2, -1))  # noqa: N815 - PyTorch's name
    expand = _method("expand", lambda a, shape: a.broadcast_to(shape))
    sum = _method("sum", lambda a, axis, keepdims: a.sum(axis, keepdims))
    mean = _method("mean", lambda a, axis, keepdims: a.mean(axis, keepdims))
    softmax = _method("softmax", lambda a, axis: a.softmax(axis))
    cast = _method("cast", lambda a, dtype: a.astype(dtype))
    index_add = _method("index_add", lambda g, *args: g._index_add(*args))
    div = staticmethod(lambda a, b: a / b)
    pow = staticmethod(lambda a, b: a**b)
    matmul = staticmethod(lambda a, b: a @ b)

    @staticmethod
    def where(condition: Any, a: Any, b: Any) -> Any:
        """``a`` where ``condition`` holds, else ``b`` (PyTorch's ``Tensor.where(condition,
        other)`` on whichever is a node)."""
        if hasattr(a, "_math"):
            return a.where(condition, b)
        if hasattr(b, "_math"):
            return b.where(_not(condition), a)
        return (
            FloatMath if isinstance(a, (int, float)) and isinstance(b, (int, float)) else NumpyMath
        ).where(condition, a, b)
