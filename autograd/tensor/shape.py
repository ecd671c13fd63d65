"""Tensor shape ops, indexing and joining: each op's forward and its derivative rule, side by side.

Same conventions as ``tensor_ops.py``. Indexing and scatter-add are each other's derivative, so
indexing is differentiable to any order. The ``Tensor`` methods applying them are in ``tensor.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Function

__all__: list[str] = []


class Reshape(Function):
    """Any op that only changes the shape (reshape, squeeze, unsqueeze, flatten), to ``shape``:
    the gradient is reshaped back to the input's shape."""

    def __init__(self, name: str, shape: tuple) -> None:
        self.name = name
        self.shape = shape

    def forward(self, F: Any, a: np.ndarray) -> np.ndarray:
        return a.reshape(self.shape)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (F.reshape(g, a.shape),)


class Transpose(Function):
    """a with its axes permuted; the gradient goes through the inverse permutation."""

    name = "transpose"

    def __init__(self, axes: tuple[int, ...]) -> None:
        self.axes = axes

    def forward(self, F: Any, a: np.ndarray) -> np.ndarray:
        return a.transpose(self.axes)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        inverse = sorted(range(len(self.axes)), key=self.axes.__getitem__)  # inverse[axes[i]] = i
        return (F.permute(g, tuple(inverse)),)


class Expand(Function):
    """a broadcast to a larger ``shape`` (a read-only view, no copy). The gradient of the output
    has the larger shape; the Tensor sums it back to the input's shape, so the rule is the
    identity."""

    name = "expand"

    def __init__(self, shape: tuple) -> None:
        self.shape = shape

    def forward(self, F: Any, a: np.ndarray) -> np.ndarray:
        return np.broadcast_to(a, self.shape)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (g,)


# ---------------------------------------------------------------------------- indexing
class Index(Function):
    """a[index] for slices, integers, integer arrays and boolean masks. The gradient is scattered
    back into zeros of a's shape, adding up where an index repeats."""

    name = "[]"

    def __init__(self, index: Any, repeats: bool) -> None:
        self.index = index
        self.repeats = repeats

    def forward(self, F: Any, a: np.ndarray) -> np.ndarray:
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

    def forward(self, F: Any, src: np.ndarray) -> np.ndarray:
        return F.index_add(src, self.index, self.shape, self.repeats)

    def backward(self, F: Any, g: Any, out: Any, src: Any) -> tuple:
        return (g[self.index],)


# ----------------------------------------------------------------------------- joining
class Concatenate(Function):
    """Tensors joined along an existing axis; each gets back its slice of the gradient."""

    name = "concatenate"

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, F: Any, *arrays: np.ndarray) -> np.ndarray:
        try:
            return np.concatenate(arrays, axis=self.axis)
        except ValueError as e:
            shapes = [a.shape for a in arrays]
            raise ValueError(
                f"concatenate(axis={self.axis}): shapes {shapes} do not fit: {e}"
            ) from None

    def backward(self, F: Any, g: Any, out: Any, *inputs: Any) -> list:
        axis = self.axis % out.ndim
        grads, start, lead = [], 0, (slice(None),) * axis
        for x in inputs:
            size = x.shape[axis]
            grads.append(g[lead + (slice(start, start + size),)])
            start += size
        return grads


class Stack(Function):
    """Tensors of one shape joined along a new axis; each gets back its slice of the gradient."""

    name = "stack"

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, F: Any, *arrays: np.ndarray) -> np.ndarray:
        try:
            return np.stack(arrays, axis=self.axis)
        except ValueError:
            shapes = [a.shape for a in arrays]
            raise ValueError(
                f"stack(axis={self.axis}): shapes {shapes} must all be equal"
            ) from None

    def backward(self, F: Any, g: Any, out: Any, *inputs: Any) -> list:
        lead = (slice(None),) * (self.axis % out.ndim)
        return [g[lead + (i,)] for i in range(len(inputs))]
