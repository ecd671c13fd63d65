"""Tensor shape ops, indexing and joining: each op's forward and its derivative rule, side by side.

Same conventions as ``tensor_ops.py``: ``forward`` on ndarrays, ``backward(F, g, out, *inputs)``
with ``F.<fn>`` calls so it also runs on ``Tensor`` nodes under ``create_graph=True``. Indexing
and scatter-add are each other's derivative, so indexing is differentiable to any order.
``ShapeMethods`` gives ``Tensor`` the matching methods.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .function import Function
from .graph import Node
from .tensor_args import as_tensors, axis_index, shared_op

__all__ = ["concatenate", "stack"]


def broadcast_axes(shape: tuple, target: tuple) -> tuple[int, ...]:
    """The axes of ``shape`` to sum so that the result has the broadcastable ``target`` shape:
    the leading axes ``target`` lacks, and the axes where ``target`` has size 1."""
    lead = len(shape) - len(target)
    if lead < 0:
        raise ValueError(f"cannot sum a gradient of shape {shape} back to shape {target}")
    stretched = (lead + i for i, n in enumerate(target) if n == 1 and shape[lead + i] != 1)
    return tuple(range(lead)) + tuple(stretched)


class Reshape(Function):
    """Any op that only changes the shape (reshape, squeeze, unsqueeze, flatten): the gradient
    is reshaped back to the input's shape."""

    def __init__(self, name: str) -> None:
        self.name = name

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (F.reshape(g, a.shape),)


RESHAPE, SQUEEZE, UNSQUEEZE, FLATTEN = (
    Reshape("reshape"),
    Reshape("squeeze"),
    Reshape("unsqueeze"),
    Reshape("flatten"),
)


class Transpose(Function):
    """a with its axes permuted; the gradient goes through the inverse permutation."""

    name = "transpose"

    def __init__(self, axes: tuple[int, ...]) -> None:
        self.axes = axes
        self.inverse = tuple(int(i) for i in np.argsort(axes))

    def forward(self, a: np.ndarray) -> np.ndarray:
        return a.transpose(self.axes)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (F.permute(g, self.inverse),)


class Expand(Function):
    """a broadcast to a larger shape (a read-only view, no copy). The gradient of the output has
    the larger shape; the graph core sums it back to the input's shape, so the rule is the
    identity."""

    name = "expand"

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (g,)


EXPAND = Expand()


# ---------------------------------------------------------------------------- indexing
def index_key(key: Any) -> tuple[Any, bool]:
    """Normalise an index for NumPy: nodes and lists become arrays. Also returns whether it holds
    an integer array (so positions may repeat and the backward must accumulate)."""
    items = key if isinstance(key, tuple) else (key,)
    out = []
    repeats = False
    for k in items:
        if isinstance(k, Node):
            k = k.data
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


class Index(Function):
    """a[index] for slices, integers, integer arrays and boolean masks. The gradient is scattered
    back into zeros of a's shape, adding up where an index repeats."""

    name = "[]"

    def __init__(self, index: Any, repeats: bool) -> None:
        self.index = index
        self.repeats = repeats

    def forward(self, a: np.ndarray) -> np.ndarray:
        return a[self.index]

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (F.index_add(g, self.index, a.shape, self.repeats),)


class IndexAdd(Function):
    """zeros(shape) with ``src`` added at ``index`` (the adjoint of indexing); its gradient is
    indexing again."""

    name = "index_add"

    def __init__(self, index: Any, shape: tuple, repeats: bool) -> None:
        self.index = index
        self.shape = shape
        self.repeats = repeats

    def forward(self, src: np.ndarray) -> np.ndarray:
        out = np.zeros(self.shape, dtype=src.dtype)
        if self.repeats:
            np.add.at(out, self.index, src)  # unbuffered: repeated positions add up
        else:
            out[self.index] = src  # slices and masks never repeat a position
        return out

    def backward(self, F: Any, g: Any, out: Any, src: Any) -> tuple:
        return (g[self.index],)


# ----------------------------------------------------------------------------- joining
class Concatenate(Function):
    """Tensors joined along an existing axis; each gets back its slice of the gradient."""

    name = "concatenate"

    def __init__(self, axis: int, sizes: list[int]) -> None:
        self.axis = axis
        self.sizes = sizes

    def backward(self, F: Any, g: Any, out: Any, *inputs: Any) -> list:
        grads = []
        start = 0
        lead = (slice(None),) * self.axis
        for size in self.sizes:
            grads.append(g[lead + (slice(start, start + size),)])
            start += size
        return grads


class Stack(Function):
    """Tensors of one shape joined along a new axis; each gets back its slice of the gradient."""

    name = "stack"

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def backward(self, F: Any, g: Any, out: Any, *inputs: Any) -> list:
        lead = (slice(None),) * self.axis
        return [g[lead + (i,)] for i in range(len(inputs))]


def _join(name: str, tensors: Any) -> list:
    items = list(tensors)
    if not items:
        raise ValueError(f"{name}: needs at least one tensor")
    return as_tensors(items)


def concatenate(tensors: Any, axis: int = 0) -> Any:
    """Tensors joined along an existing ``axis`` (NumPy's ``concatenate``, PyTorch's ``cat``)."""
    parts = _join("concatenate", tensors)
    try:
        data = np.concatenate([t.data for t in parts], axis=axis)
    except ValueError as e:
        shapes = [t.shape for t in parts]
        raise ValueError(f"concatenate(axis={axis}): shapes {shapes} do not fit: {e}") from None
    axis = int(axis) % data.ndim
    fn = Concatenate(axis, [t.data.shape[axis] for t in parts])
    return type(parts[0])._result(data, fn, tuple(parts))


def stack(tensors: Any, axis: int = 0) -> Any:
    """Tensors of one shape joined along a new ``axis``."""
    parts = _join("stack", tensors)
    try:
        data = np.stack([t.data for t in parts], axis=axis)
    except ValueError:
        shapes = [t.shape for t in parts]
        raise ValueError(f"stack(axis={axis}): shapes {shapes} must all be equal") from None
    return type(parts[0])._result(data, Stack(int(axis) % data.ndim), tuple(parts))


# --------------------------------------------------------------------- the public face
def _shape_arg(shape: tuple) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return shape


class ShapeMethods:
    """``Tensor`` methods for the ops of this module."""

    __slots__ = ()

    def reshape(self, *shape: Any) -> Any:
        """The same elements in a new shape (one size may be -1): ``x.reshape(2, -1)``."""
        shape = _shape_arg(shape)
        try:
            data = self.data.reshape(shape)
        except (ValueError, TypeError) as e:
            raise ValueError(f"reshape: cannot make shape {self.shape} into {shape}: {e}") from None
        return type(self)._result(data, RESHAPE, (self,))

    def view(self, *shape: Any) -> Any:
        """PyTorch's name for :meth:`reshape`."""
        return self.reshape(*shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Any:
        """Axes ``start_dim`` .. ``end_dim`` merged into one (PyTorch's ``flatten``)."""
        shape = self.data.shape
        if not shape:
            return type(self)._result(self.data.reshape(1), FLATTEN, (self,))
        start, end = (axis_index("flatten", d, shape) for d in (start_dim, end_dim))
        if start > end:
            raise ValueError(
                f"flatten: start_dim {start_dim} comes after end_dim {end_dim} in shape {shape}"
            )
        merged = 1
        for n in shape[start : end + 1]:
            merged *= n
        new = shape[:start] + (merged,) + shape[end + 1 :]
        return type(self)._result(self.data.reshape(new), FLATTEN, (self,))

    def squeeze(self, axis: Any = None) -> Any:
        """Size-1 axes removed: all of them, or the given ones."""
        try:
            data = np.squeeze(self.data, axis=axis)
        except ValueError as e:
            raise ValueError(f"squeeze: shape {self.shape}, axis {axis}: {e}") from None
        return type(self)._result(data, SQUEEZE, (self,))

    def unsqueeze(self, axis: int) -> Any:
        """A size-1 axis inserted at ``axis`` (NumPy's ``expand_dims``): -1 appends one."""
        shape = self.data.shape
        axis_index("unsqueeze", axis, shape, len(shape) + 1)
        return type(self)._result(np.expand_dims(self.data, axis), UNSQUEEZE, (self,))

    def expand(self, *shape: Any) -> Any:
        """Broadcast to ``shape`` without copying (PyTorch's ``expand``: -1 keeps a size)."""
        shape = _shape_arg(shape)
        lead = len(shape) - self.data.ndim
        if lead >= 0:
            old = self.data.shape
            shape = tuple(
                old[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(shape)
            )
        return self.broadcast_to(shape)

    def broadcast_to(self, shape: Any) -> Any:
        """Broadcast to ``shape`` without copying (NumPy's ``broadcast_to``; a read-only view)."""
        try:
            data = np.broadcast_to(self.data, tuple(shape))
        except ValueError:
            raise ValueError(f"expand: shape {self.shape} cannot broadcast to {shape}") from None
        return type(self)._result(data, EXPAND, (self,))

    def permute(self, *axes: Any) -> Any:
        """The axes reordered: ``x.permute(2, 0, 1)`` (NumPy's ``transpose(axes)``)."""
        axes = _shape_arg(axes)
        shape = self.data.shape
        axes = tuple(axis_index("permute", i, shape) for i in axes)
        if sorted(axes) != list(range(len(shape))):
            raise ValueError(f"permute: {axes} is not an ordering of the axes of shape {shape}")
        return self._apply(shared_op(Transpose, axes))

    def transpose(self, *axes: int) -> Any:
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
    def T(self) -> Any:
        """The axes reversed (a matrix transposed), like NumPy's ``.T``."""
        if self.data.ndim < 2:
            return self
        return self.permute(*range(self.data.ndim - 1, -1, -1))

    def __getitem__(self, key: Any) -> Any:
        if type(key) is int or type(key) is slice:
            return self._apply(Index(key, False))
        index, repeats = index_key(key)
        return self._apply(Index(index, repeats))

    def __len__(self) -> int:
        if not self.data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Any:
        if not self.data.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))
