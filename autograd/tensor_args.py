"""Argument helpers shared by the tensor ops (``tensor_ops.py``, ``tensor_shape.py``,
``tensor_nn.py``): axes checked and normalised with errors that name the op and the shape,
operands turned into Tensors, and the cache that shares one op object between nodes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from .function import Function
from .graph import Node

__all__: list[str] = []


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


def as_tensors(items: Sequence[Any]) -> list:
    """``items`` as Tensors: Tensors as they are, anything else as a constant in the first
    tensor's float dtype (if none is a Tensor, the first item becomes one by the creation rule).
    A node of another kind (a ``Value``) is refused: the two engines do not mix."""
    from .tensor import Tensor  # tensor.py imports this module

    like = None
    for x in items:
        if isinstance(x, Node):
            if not isinstance(x, Tensor):
                raise TypeError(
                    f"a Tensor op got a {type(x).__name__} ({x!r:.60}): Tensor ops take Tensors, "
                    "numbers and arrays; Values and Tensors do not mix"
                )
            if like is None:
                like = x
    if like is None:
        like = Tensor(items[0])
        items = [like, *items[1:]]
    return [like._coerce(x) for x in items]


_SHARED: dict[tuple, Function] = {}


def shared_op(cls: type, *params: Any) -> Any:
    """The op ``cls(*params)``, made once per distinct (hashable) parameters and shared by every
    node that uses it (an op holds no node, so sharing is safe and saves memory)."""
    key = (cls, *params)
    fn = _SHARED.get(key)
    if fn is None:
        fn = _SHARED[key] = cls(*params)
    return fn
