"""The tensor ops neural networks are made of: ``linear``, ``softmax``, ``log_softmax``,
``logsumexp`` and the fused ``cross_entropy_logits``. Each op's forward and its derivative rule
stand side by side (conventions: see ``tensor_ops.py``); ``tensor.py`` applies them, and the
``nn`` package builds its layers and losses on these.

Two ops are fused for speed, each measured faster than its composition and tested against it:
``linear`` (``x @ w.T + b``: one node instead of three) and ``cross_entropy_logits`` (one node
instead of log_softmax, indexing, mean and negation; no scatter in its backward).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Function
from ..math import NumpyMath
from .ops import Reduction

__all__: list[str] = []


# ------------------------------------------------------------------------------ linear
class Linear(Function):
    """x @ w.T + b with PyTorch's layout (``w`` is ``(out_features, in_features)``), one node;
    with ``relu``, max(x @ w.T + b, 0) (the hidden layer of an MLP, one node and one array).
    ``display`` names the module the node stands for in drawings (``nn.Sequential`` runs a
    ``Linear`` and a ``ReLU`` as one such node, ``display='0:Linear'``)."""

    selective = True  # a product skipped for an input that needs no gradient

    def __init__(self, relu: bool = False, display: str = "") -> None:
        self.relu = relu
        self.display = display
        self.name = "linear+relu" if relu else "linear"

    def forward(
        self, F: Any, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None
    ) -> np.ndarray:
        y = np.matmul(x, w.T)
        if b is not None:
            if b.dtype == y.dtype:
                y += b  # y is a fresh array: adding in place saves a copy
            else:  # promote as x @ w.T + b does (a float64 bias makes a float64 result)
                y = y + b
        if self.relu:
            np.maximum(y, 0, out=y)
        return y

    def backward(self, F: Any, g: Any, out: Any, x: Any, w: Any, b: Any = None,
                 needs_input_grad: tuple = (True, True, True)) -> tuple:  # fmt: skip
        need_x, need_w, need_b = (*needs_input_grad, False)[:3]
        if self.relu:  # through the ReLU first, selecting (not multiplying: inf * 0 is nan)
            g = F.where(out != 0, g, 0.0)  # as Relu's rule: a nan passes g on (PyTorch)
        gx = F.matmul(g, w) if need_x else None  # dL/dx = g @ w
        g2, x2 = g, x
        if x.ndim != 2:  # fold the batch dims into one (a single vector is a batch of one)
            g2 = F.reshape(g, (-1, g.shape[-1]))
            x2 = F.reshape(x, (-1, x.shape[-1]))
        gw = F.matmul(F.mT(g2), x2) if need_w else None  # dL/dw = g^T @ x
        if b is None:
            return gx, gw
        return gx, gw, (F.sum(g2, 0, False) if need_b else None)  # dL/db = sum of g


LINEAR, LINEAR_RELU = Linear(), Linear(relu=True)


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

    def forward(self, F: Any, a: np.ndarray) -> np.ndarray:
        return F.softmax(a, self.axis)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (out * (g - F.sum(g * out, self.axis, True)),)


class LogSoftmax(Function):
    """a - logsumexp(a) along ``axis`` (stable)."""

    name = "log_softmax"

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, F: Any, a: np.ndarray) -> np.ndarray:
        return _log_softmax(a, self.axis)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (g - F.exp(out) * F.sum(g, self.axis, True),)


class LogSumExp(Reduction):
    """log(sum(exp(a))) over ``axis`` (stable; a slice of all -inf gives -inf)."""

    def forward(self, F: Any, a: np.ndarray) -> np.ndarray:
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


_ROWS: dict[int, np.ndarray] = {}  # arange(n) by batch size, read-only, shared by the ops


def _rows(n: int) -> np.ndarray:
    """``np.arange(n)``, made once per batch size (a few sizes are kept: a last, smaller batch)."""
    rows = _ROWS.get(n)
    if rows is None:
        if len(_ROWS) >= 8:
            _ROWS.clear()
        rows = _ROWS[n] = np.arange(n)
        rows.flags.writeable = False
    return rows


def label_error(targets: np.ndarray, shape: tuple) -> ValueError:
    """The error for class indices ``targets`` outside ``[0, classes)`` of logits of ``shape``
    ``(n, classes)``, naming the first such label."""
    bad = targets[(targets < 0) | (targets >= shape[1])]
    return ValueError(
        f"cross_entropy: label {bad.flat[0]} is outside [0, {shape[1]}) (the classes of logits "
        f"of shape {tuple(shape)})"
    )


class CrossEntropyLogits(Function):
    """The mean (or sum) over a batch of -log softmax(logits)[i, targets[i]], as one node.

    Same value and gradient as ``-log_softmax(logits)[arange(n), targets].mean()`` (tested). The
    derivative is (softmax - one_hot) / n: the forward keeps its softmax in ``saved`` for the
    backward, which uses it in place and lets it go (so a freed graph holds no array; under
    ``no_grad`` it is not kept at all); a second backward (``retain_graph=True``) or
    ``create_graph`` computes it again.
    """

    name = "cross_entropy"

    def __init__(self, targets: np.ndarray, reduction: str) -> None:
        if reduction != "mean" and reduction != "sum":
            raise ValueError(f"cross_entropy: reduction must be 'mean' or 'sum', got {reduction!r}")
        if targets.dtype.kind not in "iu":
            raise ValueError(
                f"cross_entropy: targets must be class indices (ints), not {targets.dtype}"
            )
        self.targets = targets
        self.reduction = reduction
        self.rows = _rows(len(targets))  # with targets: each row's target, as an index
        self.saved: np.ndarray | None = None  # softmax(logits), from the forward

    def forward(self, F: Any, logits: np.ndarray) -> np.ndarray:
        shape, targets = logits.shape, self.targets
        if len(shape) != 2 or targets.shape != shape[:1]:
            raise ValueError(
                f"cross_entropy: logits shape {shape} and targets shape {targets.shape} do not "
                "fit (need logits (n, classes) and targets (n,))"
            )
        n = logits.shape[0]
        m = logits.max(axis=1, keepdims=True)
        e = np.exp(logits - m)
        s = e.sum(axis=1, keepdims=True)
        try:  # NumPy checks the upper bound while picking each row's target
            if targets.size and np.minimum.reduce(targets) < 0:
                raise IndexError
            picked = logits[self.rows, targets]
        except IndexError:
            raise label_error(targets, shape) from None
        losses = np.log(s[:, 0]) - (picked - m[:, 0])  # the small difference first: precise
        e /= s
        self.saved = e  # softmax(logits), for the backward
        total = losses.sum()
        return total / n if self.reduction == "mean" else total

    def backward(self, F: Any, g: Any, out: Any, logits: Any) -> tuple:
        n = logits.shape[0]
        rows = self.rows
        if type(logits) is np.ndarray:  # first order: work in place on the saved softmax
            p = self.saved if self.saved is not None else NumpyMath.softmax(logits, 1)
            self.saved = None
            p[rows, self.targets] -= 1
            p *= float(g) / n if self.reduction == "mean" else float(g)
            return (p,)
        one_hot = np.zeros(logits.shape, dtype=logits.dtype)
        one_hot[rows, self.targets] = 1
        scale = g / n if self.reduction == "mean" else g
        return ((F.softmax(logits, 1) - one_hot) * scale,)
