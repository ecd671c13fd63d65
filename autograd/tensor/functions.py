"""The functions of the tensor engine (``matmul`` is beside ``Tensor``): ``maximum``, ``minimum``,
``where``, ``concatenate``, ``stack``, ``linear`` (PyTorch's ``F.linear``, optionally fused with
a ReLU), ``softmax``, ``log_softmax``, ``logsumexp`` and ``cross_entropy_logits``. Each converts
its arguments (``as_tensors``) and applies one op; the ops' forwards and rules are in
``ops.py``, ``shape.py`` and ``nn_ops.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Node
from .args import axis_index
from .nn_ops import LINEAR, LINEAR_RELU, CrossEntropyLogits
from .shape import Concatenate, Stack
from .tensor import Tensor, as_tensors

__all__ = [
    "concatenate", "cross_entropy_logits", "linear", "log_softmax", "logsumexp", "maximum",
    "minimum", "softmax", "stack", "where",
]

_BIAS_TYPES = {type(None), Tensor}  # a linear's bias as it is: no conversion


def maximum(a: Any, b: Any) -> Tensor:
    """The larger of a and b, elementwise (broadcasting); ties split the gradient evenly."""
    a, b = as_tensors((a, b))
    return a.maximum(b)


def minimum(a: Any, b: Any) -> Tensor:
    """The smaller of a and b, elementwise (broadcasting); ties split the gradient evenly."""
    a, b = as_tensors((a, b))
    return a.minimum(b)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``condition`` holds, else ``b``, broadcasting all three (PyTorch's and
    NumPy's ``where``); ``condition`` is a boolean array (e.g. ``x > 0``) and gets no gradient."""
    cond = condition.data if isinstance(condition, Node) else np.asarray(condition)
    if cond.dtype != bool:
        raise TypeError(f"where: condition must be boolean, got dtype {cond.dtype}")
    a, b = as_tensors((a, b))
    try:
        np.broadcast_shapes(cond.shape, a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"where: shapes {cond.shape}, {a.shape} and {b.shape} do not broadcast"
        ) from None
    return a.where(cond, b)


def concatenate(tensors: Any, axis: int = 0) -> Tensor:
    """Tensors joined along an existing ``axis`` (NumPy's ``concatenate``, PyTorch's ``cat``)."""
    parts = _joined("concatenate", tensors)
    axis_index(f"concatenate(axis={axis})", axis, parts[0].shape)
    return Tensor._apply(Concatenate(int(axis)), tuple(parts))


def stack(tensors: Any, axis: int = 0) -> Tensor:
    """Tensors of one shape joined along a new ``axis``."""
    parts = _joined("stack", tensors)
    axis_index(f"stack(axis={axis})", axis, parts[0].shape, parts[0].ndim + 1)
    return Tensor._apply(Stack(int(axis)), tuple(parts))


def _joined(name: str, tensors: Any) -> list[Tensor]:
    items = list(tensors)
    if not items:
        raise ValueError(f"{name}: needs at least one tensor")
    return as_tensors(items)


def linear(x: Any, weight: Any, bias: Any = None, activation: str | None = None) -> Tensor:
    """``x @ weight.T + bias`` as one node (PyTorch's ``F.linear``): ``x`` is
    ``(..., in_features)``, ``weight`` is ``(out_features, in_features)``, ``bias`` is
    ``(out_features,)`` or None. ``activation='relu'`` fuses a ReLU into the same node
    (``linear(x, w, b).relu()`` in one op: faster, same values and gradients)."""
    if activation not in (None, "relu"):
        raise ValueError(f"linear: activation must be None or 'relu', got {activation!r}")
    inputs: tuple[Any, ...] = (x, weight) if bias is None else (x, weight, bias)
    if type(x) is not Tensor or type(weight) is not Tensor or type(bias) not in _BIAS_TYPES:
        inputs = tuple(as_tensors(inputs))
    x, weight = inputs[0], inputs[1]
    xd, w = x.data, weight.data
    if w.ndim != 2 or xd.ndim == 0 or xd.shape[-1] != w.shape[1]:
        raise ValueError(
            f"linear: input shape {xd.shape} does not fit weight shape {w.shape} "
            "(need input (..., in_features) and weight (out_features, in_features))"
        )
    if bias is not None and inputs[2].data.shape != w.shape[:1]:
        raise ValueError(f"linear: bias shape {inputs[2].data.shape} should be ({w.shape[0]},)")
    fn = LINEAR_RELU if activation == "relu" else LINEAR
    return Tensor._apply(fn, inputs)


def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``, without overflow."""
    return as_tensors((x,))[0].softmax(axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along ``axis``, without overflow."""
    return as_tensors((x,))[0].log_softmax(axis)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``axis`` (None: all), without overflow."""
    return as_tensors((x,))[0].logsumexp(axis, keepdims)


def cross_entropy_logits(logits: Any, targets: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of ``logits`` ``(n, classes)`` against class indices ``targets``
    ``(n,)``, as one fused, numerically stable node. ``reduction`` is ``'mean'`` or ``'sum'``."""
    if not isinstance(logits, Tensor):
        (logits,) = as_tensors((logits,))
    if type(targets) is not np.ndarray:
        targets = targets.data if isinstance(targets, Node) else np.asarray(targets)
    fn = CrossEntropyLogits(targets, reduction)
    return Tensor._apply(fn, (logits,))  # no graph recorded: the core drops fn.saved
