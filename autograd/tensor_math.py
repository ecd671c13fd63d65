"""The NumPy side of the tensor engine: the dtype rules and ``NumpyMath``.

``as_array`` turns what a user passes to ``Tensor(...)`` into an array and ``constant_array`` an
operand mixed into an op (a number, a list, an array); both follow the dtype rule documented on
``Tensor``. ``NumpyMath`` is the namespace derivative rules run with in a first-order backward
pass: the same function names as ``TensorMath`` (in ``tensor.py``), on raw arrays.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .graph import Node
from .tensor_nn import Softmax
from .tensor_shape import IndexAdd, broadcast_axes

__all__: list[str] = []

_ndarray = np.ndarray
_ERF = np.frompyfunc(math.erf, 1, 1)


def describe(data: Any) -> str:
    """A short description of a value for an error message: its type and a clipped repr."""
    text = repr(data)
    return f"{type(data).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def shape_error(name: str, a: tuple, b: tuple) -> ValueError:
    """The error for operands of op ``name`` whose shapes ``a`` and ``b`` do not broadcast."""
    return ValueError(f"{name!r}: operand shapes {a} and {b} do not broadcast")


def comparison(name: str, op: Any) -> Any:
    """A Tensor comparison method (``op`` is ``operator.lt``, ...): a plain boolean array, no
    graph; operands that do not broadcast raise :func:`shape_error` naming ``name``."""

    def compare(self: Node, other: Any) -> np.ndarray:
        b = other.data if isinstance(other, Node) else other
        try:
            return op(self.data, b)
        except ValueError:
            raise shape_error(name, self.data.shape, np.shape(b)) from None

    compare.__name__ = f"__{op.__name__}__"
    return compare


def as_array(data: Any, dtype: Any) -> np.ndarray:
    """A fresh numeric array from ``data`` for ``Tensor(data, dtype=dtype)``: float arrays keep
    their dtype; Python numbers, lists and int/bool arrays become float32 unless ``dtype``."""
    if isinstance(data, Node):
        data = data.data
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind not in "biuf":
            raise TypeError(f"Tensor(): dtype must be a real number type, got {dtype}")
    try:
        arr = np.array(data, dtype=dtype)
    except ValueError as e:
        if "inhomogeneous" in str(e):
            raise ValueError(f"Tensor(): nested lists of unequal lengths: {e}") from None
        raise TypeError(f"Tensor(): cannot convert {describe(data)} to {dtype}: {e}") from None
    except TypeError as e:
        raise TypeError(f"Tensor(): cannot convert {describe(data)} to numbers: {e}") from None
    kind = arr.dtype.kind
    if kind not in "biuf":
        raise TypeError(f"Tensor(): data must be numeric, got {describe(data)} ({arr.dtype})")
    if dtype is None and (kind != "f" or not isinstance(data, (_ndarray, np.generic))):
        arr = arr.astype(np.float32)
    return arr


def constant_array(x: Any, dtype: np.dtype) -> np.ndarray:
    """An operand that is not a Tensor, as the array of a constant (no grad) in an op with a
    tensor of ``dtype``. Numbers, lists, NumPy scalars, 0-d arrays and int/bool arrays take
    ``dtype`` when it is a float type (a float32 tensor stays float32, like Python numbers under
    NumPy's promotion rules); float arrays keep their own dtype (float32 with float64 promotes).
    """
    if isinstance(x, (_ndarray, np.generic)):
        kind = x.dtype.kind
        if kind not in "biuf":
            raise TypeError(f"cannot use an array of dtype {x.dtype} in a Tensor op")
        if kind == "f" and x.ndim:
            return x
    elif not isinstance(x, (numbers.Real, list, tuple)):
        raise TypeError(f"unsupported operand for a Tensor op: {describe(x)}")
    try:
        data = np.asarray(x, dtype=dtype if dtype.kind == "f" else None)
    except (TypeError, ValueError) as e:
        raise TypeError(f"cannot use {describe(x)} in a Tensor op: {e}") from None
    if data.dtype.kind not in "biuf":
        raise TypeError(f"cannot use {describe(x)} (dtype {data.dtype}) in a Tensor op")
    return data


class NumpyMath:
    """The functions derivative rules call, on ndarrays (first-order backward: no nodes made).

    ``sigmoid`` is computed without overflow; ``unbroadcast`` sums a gradient back to the shape
    of an input that was broadcast; ``expand`` returns a fresh writable array, so a ``.grad`` is
    never a read-only broadcast view.
    """

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    div = staticmethod(np.divide)
    pow = staticmethod(np.power)
    tanh = staticmethod(np.tanh)
    abs = staticmethod(np.abs)
    sign = staticmethod(np.sign)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    log1p = staticmethod(np.log1p)

    @staticmethod
    def erf(a: np.ndarray) -> np.ndarray:
        # NumPy has no erf: math.erf per element (exact to float64; about 0.1 us an element)
        return np.asarray(_ERF(a), dtype=a.dtype)
    matmul = staticmethod(np.matmul)
    where = staticmethod(np.where)
    reshape = staticmethod(np.reshape)
    permute = staticmethod(np.transpose)

    @staticmethod
    def sigmoid(a: np.ndarray) -> np.ndarray:
        return np.exp(-np.logaddexp(0, -a))  # 1 / (1 + e^-a) without overflow for any a

    @staticmethod
    def relu(a: np.ndarray) -> np.ndarray:
        return np.maximum(a, 0)  # nan stays nan

    @staticmethod
    def unbroadcast(c: Any, shape: tuple) -> np.ndarray:
        if type(c) is not _ndarray:
            c = np.asarray(c)
        if c.shape == shape:
            return c
        return c.sum(axis=broadcast_axes(c.shape, shape), keepdims=True).reshape(shape)

    @staticmethod
    def mT(a: np.ndarray) -> np.ndarray:
        return a.T if a.ndim == 2 else a.swapaxes(-1, -2)

    @staticmethod
    def expand(a: np.ndarray, shape: tuple) -> np.ndarray:
        out = np.empty(shape, dtype=a.dtype)
        out[...] = a
        return out

    @staticmethod
    def sum(a: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
        return a.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def mean(a: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
        return a.mean(axis=axis, keepdims=keepdims)

    @staticmethod
    def softmax(a: np.ndarray, axis: int) -> np.ndarray:
        return Softmax(axis).forward(a)

    @staticmethod
    def index_add(g: np.ndarray, index: Any, shape: tuple, repeats: bool) -> np.ndarray:
        return IndexAdd(index, shape, repeats).forward(g)

    @staticmethod
    def cast(a: np.ndarray, dtype: Any) -> np.ndarray:
        return a.astype(dtype, copy=False)
