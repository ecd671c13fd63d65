"""The tensor ops neural networks are made of: ``linear``, ``softmax``, ``log_softmax``,
``logsumexp`` and the fused ``cross_entropy_logits``. Each op's forward and its derivative rule
stand side by side (conventions: see ``tensor_ops.py``); ``SoftmaxMethods`` gives ``Tensor`` the
matching methods. The ``nn`` package builds its layers and losses on these.

Two ops are fused for speed, each measured faster than its composition and tested against it:
``linear`` (``x @ w.T + b``: one node instead of three) and ``cross_entropy_logits`` (one node
instead of log_softmax, indexing, mean and negation; no scatter in its backward).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .function import Function
from .graph import Node
from .tensor_args import as_tensors, check_axes, normal_axes, shared_op
from .tensor_ops import Reduction, reduction

__all__ = ["cross_entropy_logits", "linear", "log_softmax", "logsumexp", "softmax"]


# ------------------------------------------------------------------------------ linear
class Linear(Function):
    """x @ w.T + b with PyTorch's layout (``w`` is ``(out_features, in_features)``), one node;
    with ``relu``, max(x @ w.T + b, 0) (the hidden layer of an MLP, one node and one array)."""

    shapes_exact = True

    def __init__(self, need_x: bool, need_w: bool, need_b: bool, relu: bool = False) -> None:
        self.need_x = need_x
        self.need_w = need_w
        self.need_b = need_b
        self.relu = relu
        self.name = "linear+relu" if relu else "linear"

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        y = np.matmul(x, w.T)
        if b is not None:
            if b.dtype == y.dtype:
                y += b  # y is a fresh array: adding in place saves a copy
            else:  # promote as x @ w.T + b does (a float64 bias makes a float64 result)
                y = y + b
        if self.relu:
            np.maximum(y, 0, out=y)
        return y

    def backward(self, F: Any, g: Any, out: Any, x: Any, w: Any, b: Any = None) -> tuple:
        if self.relu:  # through the ReLU first, selecting (not multiplying: inf * 0 is nan)
            g = F.where(out > 0, g, 0.0)
        gx = F.matmul(g, w) if self.need_x else None  # dL/dx = g @ w
        g2, x2 = g, x
        if x.ndim != 2:  # fold the batch dims into one (a single vector is a batch of one)
            g2 = F.reshape(g, (-1, g.shape[-1]))
            x2 = F.reshape(x, (-1, x.shape[-1]))
        gw = F.matmul(F.mT(g2), x2) if self.need_w else None  # dL/dw = g^T @ x
        if b is None:
            return gx, gw
        return gx, gw, (F.sum(g2, 0, False) if self.need_b else None)  # dL/db = sum of g


# One shared op per combination of inputs needing a gradient (x, weight, bias) and activation.
_LINEAR = {
    (a, b, c, r): Linear(a, b, c, r)
    for a in (False, True)
    for b in (False, True)
    for c in (False, True)
    for r in (False, True)
}


def linear(x: Any, weight: Any, bias: Any = None, activation: str | None = None) -> Any:
    """``x @ weight.T + bias`` as one node (PyTorch's ``F.linear``): ``x`` is
    ``(..., in_features)``, ``weight`` is ``(out_features, in_features)``, ``bias`` is
    ``(out_features,)`` or None. ``activation='relu'`` fuses a ReLU into the same node
    (``linear(x, w, b).relu()`` in one op: faster, same values and gradients)."""
    if activation not in (None, "relu"):
        raise ValueError(f"linear: activation must be None or 'relu', got {activation!r}")
    relu = activation == "relu"
    kind = type(weight)
    if type(x) is not kind or (bias is not None and type(bias) is not kind):
        if bias is None:
            x, weight = as_tensors((x, weight))
        else:
            x, weight, bias = as_tensors((x, weight, bias))
    xd, w = x.data, weight.data
    if w.ndim != 2 or xd.ndim == 0 or xd.shape[-1] != w.shape[1]:
        raise ValueError(
            f"linear: input shape {xd.shape} does not fit weight shape {w.shape} "
            "(need input (..., in_features) and weight (out_features, in_features))"
        )
    if bias is None:
        fn = _LINEAR[x.requires_grad, weight.requires_grad, False, relu]
        return type(x)._result(fn.forward(xd, w), fn, (x, weight))
    if bias.data.shape != w.shape[:1]:
        raise ValueError(f"linear: bias shape {bias.data.shape} should be ({w.shape[0]},)")
    fn = _LINEAR[x.requires_grad, weight.requires_grad, bias.requires_grad, relu]
    return type(x)._result(fn.forward(xd, w, bias.data), fn, (x, weight, bias))


# ---------------------------------------------------------------- softmax and friends
def _log_softmax(a: np.ndarray, axis: int) -> np.ndarray:
    """log(softmax(a)) without overflow: shift by the max before exponentiating."""
    if a.size == 0:  # an empty result (PyTorch)
        return a.copy()
    shifted = a - a.max(axis=axis, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


class Softmax(Function):
    """exp(a) / sum(exp(a)) along ``axis``, shifted by the max so large logits cannot overflow."""

    name = "softmax"

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, a: np.ndarray) -> np.ndarray:
        if a.size == 0:  # nothing to normalise: an empty result (PyTorch)
            return a.copy()
        e = np.exp(a - a.max(axis=self.axis, keepdims=True))
        e /= e.sum(axis=self.axis, keepdims=True)
        return e

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (out * (g - F.sum(g * out, self.axis, True)),)


class LogSoftmax(Function):
    """a - logsumexp(a) along ``axis`` (stable)."""

    name = "log_softmax"

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, a: np.ndarray) -> np.ndarray:
        return _log_softmax(a, self.axis)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (g - F.exp(out) * F.sum(g, self.axis, True),)


class LogSumExp(Reduction):
    """log(sum(exp(a))) over ``axis`` (stable; a slice of all -inf gives -inf)."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        if a.size == 0:  # the log of an empty sum is -inf (PyTorch)
            with np.errstate(divide="ignore"):
                return np.log(np.exp(a).sum(axis=self.axis, keepdims=self.keepdims))
        m = a.max(axis=self.axis, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        out = np.log(np.exp(a - m).sum(axis=self.axis, keepdims=True)) + m
        if not self.keepdims:
            out = out.reshape(()) if self.axis is None else np.squeeze(out, axis=self.axis)
        return out

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (self.kept(F, g, a.shape) * F.exp(a - self.kept(F, out, a.shape)),)


class CrossEntropyLogits(Function):
    """The mean (or sum) over a batch of -log softmax(logits)[i, targets[i]], as one node.

    Same value and gradient as ``-log_softmax(logits)[arange(n), targets].mean()`` (tested). The
    derivative is (softmax - one_hot) / n: the forward keeps its softmax for the backward, which
    uses it in place and lets it go (so a freed graph holds no array); a second backward
    (``retain_graph=True``) or ``create_graph`` computes it again.
    """

    name = "cross_entropy"
    shapes_exact = True

    def __init__(self, targets: np.ndarray, reduction: str) -> None:
        self.targets = targets
        self.reduction = reduction
        self.rows = np.arange(len(targets))  # with targets: each row's target, as an index
        self.probs: np.ndarray | None = None

    def forward(self, logits: np.ndarray) -> np.ndarray:
        n = logits.shape[0]
        m = logits.max(axis=1, keepdims=True)
        e = np.exp(logits - m)
        s = e.sum(axis=1, keepdims=True)
        losses = np.log(s[:, 0]) + m[:, 0] - logits[self.rows, self.targets]
        e /= s
        self.probs = e  # softmax(logits), for the backward
        total = losses.sum()
        return total / n if self.reduction == "mean" else total

    def backward(self, F: Any, g: Any, out: Any, logits: Any) -> tuple:
        n = logits.shape[0]
        rows = self.rows
        if type(logits) is np.ndarray:  # first order: work in place on the saved softmax
            p = self.probs if self.probs is not None else Softmax(1).forward(logits)
            self.probs = None
            p[rows, self.targets] -= 1
            p *= float(g) / n if self.reduction == "mean" else float(g)
            return (p,)
        one_hot = np.zeros(logits.shape, dtype=logits.dtype)
        one_hot[rows, self.targets] = 1
        scale = g / n if self.reduction == "mean" else g
        return ((F.softmax(logits, 1) - one_hot) * scale,)


def cross_entropy_logits(logits: Any, targets: Any, reduction: str = "mean") -> Any:
    """Softmax cross-entropy of ``logits`` ``(n, classes)`` against class indices ``targets``
    ``(n,)``, as one fused, numerically stable node. ``reduction`` is ``'mean'`` or ``'sum'``."""
    if not isinstance(logits, Node):
        (logits,) = as_tensors((logits,))
    if type(targets) is not np.ndarray:
        targets = targets.data if isinstance(targets, Node) else np.asarray(targets)
    shape = logits.data.shape
    if reduction != "mean" and reduction != "sum":
        raise ValueError(f"cross_entropy: reduction must be 'mean' or 'sum', got {reduction!r}")
    if len(shape) != 2 or targets.shape != shape[:1]:
        raise ValueError(
            f"cross_entropy: logits shape {shape} and targets shape {targets.shape} do not fit "
            "(need logits (n, classes) and targets (n,))"
        )
    if targets.dtype.kind not in "iu":
        raise ValueError(
            f"cross_entropy: targets must be class indices (ints), not {targets.dtype}"
        )
    if targets.size and np.minimum.reduce(targets) < 0:
        raise ValueError(f"cross_entropy: targets must be >= 0, got {targets.min()}")
    fn = CrossEntropyLogits(targets, reduction)
    try:
        loss = logits._apply(fn)
    except IndexError:  # NumPy checked the upper bound while picking each row's target
        raise ValueError(
            f"cross_entropy: targets must be < {shape[1]} (the number of classes), "
            f"got {targets.max()}"
        ) from None
    if not loss.requires_grad:  # no backward will come (no_grad, or constant logits)
        fn.probs = None
    return loss


# --------------------------------------------------------------------- the public face
class SoftmaxMethods:
    """``Tensor`` methods for the ops of this module."""

    __slots__ = ()

    def softmax(self, axis: Any = -1) -> Any:
        """exp(x) / sum(exp(x)) along ``axis`` (an int, or a list/tuple of ints), without
        overflow."""
        return self._apply(shared_op(Softmax, normal_axes("softmax", axis, self.data.shape)))

    def log_softmax(self, axis: Any = -1) -> Any:
        """x - logsumexp(x) along ``axis`` (an int, or a list/tuple of ints), without overflow."""
        axis = normal_axes("log_softmax", axis, self.data.shape)
        return self._apply(shared_op(LogSoftmax, axis))

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Any:
        """log(sum(exp(x))) over ``axis`` (None: all), without overflow."""
        check_axes("logsumexp", axis, self.data.shape)
        return self._apply(reduction(LogSumExp, axis, keepdims))


def softmax(x: Any, axis: int = -1) -> Any:
    """exp(x) / sum(exp(x)) along ``axis``, without overflow."""
    return as_tensors((x,))[0].softmax(axis)


def log_softmax(x: Any, axis: int = -1) -> Any:
    """x - logsumexp(x) along ``axis``, without overflow."""
    return as_tensors((x,))[0].log_softmax(axis)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """log(sum(exp(x))) over ``axis`` (None: all), without overflow."""
    return as_tensors((x,))[0].logsumexp(axis, keepdims)
