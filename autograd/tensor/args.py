"""The tensor engine's argument rules: how what a user passes becomes arrays, and how axes and
indices are checked, with errors that name the op and the shape (instead of NumPy's).

``as_array`` turns what a user passes to ``Tensor(...)`` into an array and ``constant_array`` an
operand mixed into an op (a number, a list, an array); both follow the dtype rule documented on
``Tensor``. The other helpers check and normalise ``axis`` and index arguments.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from ..core import Node

__all__: list[str] = []

_ndarray = np.ndarray


def describe(data: Any) -> str:
    """A short description of a value for an error message: its type and a clipped repr."""
    text = repr(data)
    return f"{type(data).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def bool_arg(who: str, name: str, value: Any) -> bool:
    """``value`` if it is a bool (Python's or NumPy's); ``TypeError`` naming ``who`` and
    ``name`` otherwise (``keepdims='yes'`` is a mistake, not True)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{who}: {name} must be True or False, got {describe(value)}")
    return bool(value)


def int_arg(who: str, name: str, value: Any, low: int | None = None) -> int:
    """``value`` as an int (Python's or NumPy's, not a bool), at least ``low`` if given;
    ``TypeError``/``ValueError`` naming ``who`` and ``name`` otherwise."""
    if not isinstance(value, numbers.Integral) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{who}: {name} must be an int, got {describe(value)}")
    if low is not None and value < low:
        raise ValueError(f"{who}: {name} must be an int >= {low}, got {value}")
    return int(value)


def shape_error(name: str, a: tuple, b: tuple) -> ValueError:
    """The error for operands of op ``name`` whose shapes ``a`` and ``b`` do not broadcast."""
    return ValueError(f"{name!r}: operand shapes {a} and {b} do not broadcast")


def leaf_flag(requires_grad: Any, label: Any, dtype: np.dtype) -> bool:
    """``Tensor()``'s ``requires_grad`` as a bool, after checking it and ``label``; only a float
    ``dtype`` can require grad."""
    if not isinstance(requires_grad, (bool, np.bool_)):
        raise TypeError(
            "Tensor(): requires_grad must be True or False, "
            f"got {describe(requires_grad)} (the label is the keyword argument label=)"
        )
    if not isinstance(label, str):
        raise TypeError(f"Tensor(): label must be a str, got {describe(label)}")
    if requires_grad and dtype.kind != "f":
        raise TypeError(f"only floating-point tensors can require grad, this one is {dtype}")
    return bool(requires_grad)


def as_array(data: Any, dtype: Any) -> np.ndarray:
    """A fresh numeric array from ``data`` for ``Tensor(data, dtype=dtype)``: float arrays keep
    their dtype; Python numbers, lists and int/bool arrays become float32 unless ``dtype``."""
    if isinstance(data, Node):
        data = data.data
    if dtype is not None:
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(
                f"Tensor(): dtype must be a NumPy number type (np.float32, 'float64', ...), "
                f"got {describe(dtype)}"
            ) from None
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
        if kind == "f" and x.ndim and isinstance(x, _ndarray):  # (a NumPy scalar has no ndim)
            return x
    elif isinstance(x, Node):
        raise TypeError(
            f"a Tensor op got a {type(x).__name__} ({x!r:.60}): Tensor ops take Tensors, "
            "numbers and arrays; Values and Tensors do not mix"
        )
    elif not isinstance(x, (numbers.Real, list, tuple)):
        raise TypeError(f"unsupported operand for a Tensor op: {describe(x)}")
    try:
        data = np.asarray(x, dtype=dtype if dtype.kind == "f" else None)
    except (TypeError, ValueError) as e:
        raise TypeError(f"cannot use {describe(x)} in a Tensor op: {e}") from None
    if data.dtype.kind not in "biuf":
        raise TypeError(f"cannot use {describe(x)} (dtype {data.dtype}) in a Tensor op")
    return data


def reduced_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, an int or a tuple of ints) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:
        return (axis % ndim,)
    return tuple(sorted(normalize_axis_tuple(axis, ndim)))


def axis_index(op: str, axis: Any, shape: tuple, ndim: int | None = None) -> int:
    """``axis`` (negative counts from the end) as an index in ``range(ndim)`` (default: the
    number of axes of ``shape``); out of range or not an int, an error naming ``op`` and shape."""
    ndim = len(shape) if ndim is None else ndim
    if type(axis) is int and -ndim <= axis < ndim:  # the common case, quickly
        return axis % ndim
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: an axis must be an int, got {type(axis).__name__} {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor of shape {shape}")
    return int(axis) % ndim


def check_axes(op: str, axis: Any, shape: tuple) -> None:
    """Refuse an ``axis`` argument (None, an int or a tuple/list of ints) that does not name
    distinct axes of ``shape``, with an error naming ``op`` (NumPy would wrap or raise deep)."""
    if axis is None or (type(axis) is int and -len(shape) <= axis < len(shape)):
        return
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = [axis_index(op, a, shape) for a in items]
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: axis {axis} names an axis twice (tensor of shape {shape})")


def normal_axes(op: str, axis: Any, shape: tuple) -> Any:
    """``axis`` checked against ``shape`` (see :func:`check_axes`) and made hashable: a list of
    axes becomes a tuple; on a 0-d tensor axis 0 or -1 means the whole of it (PyTorch)."""
    if not shape and axis in (0, -1):
        return None
    check_axes(op, axis, shape)
    return tuple(axis) if isinstance(axis, list) else axis


def kept_shape(shape: tuple, axis: Any) -> tuple:
    """``shape`` with the reduced axes set to 1 (the ``keepdims=True`` shape)."""
    axes = reduced_axes(axis, len(shape))
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def index_key(key: Any) -> tuple[Any, bool]:
    """Normalise an index for NumPy: nodes and lists become arrays. Also returns whether it holds
    an integer array (so positions may repeat and the backward must accumulate)."""
    items = key if isinstance(key, tuple) else (key,)
    out = []
    repeats = False
    for k in items:
        if isinstance(k, Node):
            k = k.data
        elif isinstance(k, (float, np.floating)):
            raise IndexError(
                f"a tensor index must be an int, a slice, None, ... or an int/bool array, got "
                f"float {k!r} (use int({k!r}) if you meant position {int(k)})"
            )
        elif isinstance(k, list):
            k = np.asarray(k)
            if k.size == 0:
                k = k.astype(np.intp)
        if isinstance(k, np.ndarray):
            if k.dtype.kind in "iu":
                repeats = True
            elif k.dtype.kind != "b":
                raise IndexError(
                    f"tensor index arrays must hold integers or booleans, got dtype {k.dtype} "
                    "(labels made with Tensor(...) are float32: pass a NumPy int array)"
                )
        out.append(k)
    return (out[0] if len(out) == 1 and not isinstance(key, tuple) else tuple(out)), repeats


def shape_arg(shape: tuple) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return shape
