"""Loss functions for both engines: each formula is written once, on nodes.

Predictions are ``Value`` nodes (one ``Value``, a list of them, or a list of lists for several
outputs per sample) or one ``Tensor``. Targets are plain numbers: a number, a list, an ndarray
(or a ``Tensor``/``Value`` to differentiate through them too). With ``Value`` predictions the
per-element terms are summed by one n-ary ``sum_of`` node; with a ``Tensor`` the same formula
runs on whole arrays. ``reduction='mean'`` (default) averages the terms, ``'sum'`` adds them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autograd import Node, Value, dot, sum_of
from autograd.tensor import Tensor, cross_entropy_logits
from autograd.tensor.nn_ops import label_error

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_loss",
    "l2_penalty",
    "mse_loss",
]


# --------------------------------------------------------------------------- the formulas
def _squared_error(p: Any, t: Any) -> Any:
    d = p - t
    return d * d


def _hinge(s: Any, t: Any) -> Any:
    return (1 - s * t).relu()


def _bce(p: Any, t: Any) -> Any:
    eps = _eps(p)
    p = _clamp(p, eps, 1 - eps)
    return -(p.log() * t + (1 - p).log() * (1 - t))


def _bce_logits(z: Any, t: Any) -> Any:
    # log(1 + e^z) - t*z, rewritten so that e^(large) is never computed
    return z.relu() - z * t + (1 + (-z.abs()).exp()).log()


def _eps(p: Any) -> float:
    """Smallest safe distance from 0 and 1 for probabilities in ``p``'s precision."""
    dtype = p.data.dtype if isinstance(p.data, np.ndarray) else np.float64
    return float(np.finfo(dtype).eps)


def _clamp(x: Any, low: float, high: float) -> Any:
    """``x`` limited to ``[low, high]`` (gradient 1 inside, 0 outside): the node's own ``clip``
    when it has one, else built from ReLUs."""
    if hasattr(x, "clip"):
        return x.clip(low, high)
    return (x - low).relu() - (x - high).relu() + low


# --------------------------------------------------------------------------- public losses
def mse_loss(pred: Any, target: Any, reduction: str = "mean") -> Node:
    """Mean squared error: ``mean((pred - target) ** 2)``."""
    return _elementwise("mse_loss", _squared_error, pred, target, reduction)


def hinge_loss(scores: Any, target: Any, reduction: str = "mean") -> Node:
    """micrograd's max-margin loss ``mean(relu(1 - target * score))`` for labels -1 and +1:
    zero once every sample is on its side of the boundary with a margin of 1."""
    return _elementwise("hinge_loss", _hinge, scores, target, reduction, labels="sign")


def binary_cross_entropy(prob: Any, target: Any, reduction: str = "mean") -> Node:
    """``-mean(t * log(p) + (1 - t) * log(1 - p))`` for probabilities ``p`` in [0, 1] (e.g. a
    sigmoid's output) and targets in [0, 1]. ``p`` is clamped to [eps, 1 - eps] (eps: the
    machine epsilon of its dtype), so ``log(0)`` never happens."""
    return _elementwise("binary_cross_entropy", _bce, prob, target, reduction, labels="prob")


def binary_cross_entropy_with_logits(logits: Any, target: Any, reduction: str = "mean") -> Node:
    """Binary cross-entropy on logits ``z`` (``p = sigmoid(z)`` is not computed):
    ``relu(z) - t * z + log(1 + exp(-|z|))``, stable for logits of any size."""
    return _elementwise(
        "binary_cross_entropy_with_logits", _bce_logits, logits, target, reduction, labels="unit"
    )


def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Node:
    """Softmax cross-entropy for class indices: ``mean(-log_softmax(logits)[i, target[i]])``.

    ``logits`` has one row of ``n_classes`` scores per sample (a 2-D Tensor, or a list of
    lists of Values); ``target`` holds one integer class in ``[0, n_classes)`` per sample.
    Computed as ``logsumexp(row) - row[target]`` with the largest logit subtracted first (for a
    Tensor, by the engine's fused ``cross_entropy_logits`` node), so logits of 1000 give
    finite results. A float Tensor of whole numbers (``Tensor(y)`` of integer ``y`` is float32)
    is accepted as those integers. A fractional label, a float array or list of labels, a label
    out of range or a different number of samples raises ``ValueError`` naming the problem.
    """
    _check_reduction(reduction)
    if _is_tensor(logits):
        shape = logits.data.shape
        if len(shape) != 2:
            raise ValueError(f"cross_entropy: logits must be 2-D (samples, classes), got {shape}")
        _check_not_empty("cross_entropy", shape)
        return cross_entropy_logits(logits, _class_indices(target, shape), reduction)
    rows, shape = _predictions("cross_entropy", logits)
    if len(shape) != 2:
        raise ValueError(
            f"cross_entropy: logits must be one list of class scores per sample, got shape {shape}"
        )
    labels = _class_indices(target, shape)  # in range: the Tensor path's op checks that itself
    if labels.size and (labels.min() < 0 or labels.max() >= shape[1]):
        raise label_error(labels, shape)
    terms = [_row_nll(rows[i * shape[1] : (i + 1) * shape[1]], k) for i, k in enumerate(labels)]
    return _reduce(terms, reduction)


def _row_nll(row: list, label: int) -> Value:
    """``logsumexp(row) - row[label]`` for one sample's Value logits."""
    top = max(v.data if isinstance(v, Value) else v for v in row)
    exps = [(v - top).exp() for v in row]
    return sum_of(exps).log() - (row[label] - top)  # the small difference first: precise


def l2_penalty(params: Iterable[Value | Tensor]) -> Node:
    """``sum(p * p)`` over all parameters (micrograd's regularisation ``alpha * sum(p * p)``
    is ``alpha * l2_penalty(model.parameters())``)."""
    ps: list[Any] = list(params)
    if not ps:
        raise ValueError("l2_penalty got no parameters")
    if all(isinstance(p, Value) for p in ps):
        return dot(ps, ps)
    total: Any = (ps[0] * ps[0]).sum()  # Tensors (Values are summed by dot above)
    for p in ps[1:]:
        total = total + (p * p).sum()
    return total


# --------------------------------------------------------------------------- the machinery
def _is_tensor(x: Any) -> bool:
    return isinstance(x, Node) and not isinstance(x, Value)


def _check_not_empty(name: str, shape: tuple) -> None:
    if 0 in shape:
        raise ValueError(f"{name} got no samples: predictions of shape {shape}")


def _check_reduction(reduction: str) -> None:
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")


def _elementwise(
    name: str,
    term: Callable[[Any, Any], Any],
    pred: Any,
    target: Any,
    reduction: str,
    labels: str = "",
) -> Node:
    """Apply ``term(prediction, target)`` elementwise and reduce: on a whole Tensor at once,
    or per Value and then one ``sum_of`` node."""
    _check_reduction(reduction)
    if _is_tensor(pred):
        _check_not_empty(name, pred.data.shape)
        t = _tensor_target(name, pred, target)
        _check_labels(name, pred.data, t.data if isinstance(t, Node) else t, labels)
        out = term(pred, t)
        return out.sum() if reduction == "sum" else out.mean()
    preds, pshape = _predictions(name, pred)
    targets, tshape = _flat(name, target)
    if _squeeze(pshape) != _squeeze(tshape):
        raise ValueError(f"{name}: predictions have shape {pshape} but targets {tshape}")
    numbers = np.array([_as_float(p) for p in preds]), np.array([_as_float(t) for t in targets])
    _check_labels(name, *numbers, labels)
    return _reduce([term(p, t) for p, t in zip(preds, targets)], reduction)


def _reduce(terms: list, reduction: str) -> Value:
    total = sum_of(terms)
    return total if reduction == "sum" else total * (1.0 / len(terms))


def _predictions(name: str, pred: Any) -> tuple[list, tuple]:
    """The Values of the predictions and their shape; ``TypeError`` for plain numbers."""
    items, shape = _flat(name, pred)
    if not any(isinstance(p, Value) for p in items):
        raise TypeError(
            f"{name}: predictions must be Values or a Tensor (a model's output), "
            f"got plain numbers ({type(pred).__name__})"
        )
    return items, shape


def _as_float(x: Any) -> float:
    return x.data if isinstance(x, Value) else x


def _flat(name: str, x: Any) -> tuple[list, tuple]:
    """The items of a number, a Value or a (nested, rectangular) list of them, and its shape.
    Numbers become floats; ``ValueError`` for ragged lists, ``TypeError`` for anything else."""
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{name}: expected numbers, got an array of {x.dtype}")
        return [float(v) for v in x.ravel()], x.shape
    if _is_tensor(x):
        raise TypeError(f"{name}: cannot mix Tensor and Value arguments")
    if isinstance(x, Value):
        return [x], ()
    if isinstance(x, (int, float, np.number)) and not isinstance(x, bool):
        return [float(x)], ()
    if not isinstance(x, (list, tuple)):
        raise TypeError(
            f"{name}: expected a Value, a number or a list of them, got {type(x).__name__}"
        )
    if not x:
        raise ValueError(f"{name}: got an empty list")
    parts = [_flat(name, item) for item in x]
    inner = parts[0][1]
    for i, (_, shape) in enumerate(parts):
        if shape != inner:
            raise ValueError(f"{name}: ragged input, item 0 has shape {inner}, item {i} {shape}")
    return [v for items, _ in parts for v in items], (len(x), *inner)


def _squeeze(shape: tuple) -> tuple:
    """``shape`` without trailing 1s: (n, 1) and (n,) describe the same n numbers."""
    shape = tuple(shape)
    while shape and shape[-1] == 1:
        shape = shape[:-1]
    return shape


def _tensor_target(name: str, pred: Tensor, target: Any) -> Any:
    """The target as an array (or Tensor) shaped like ``pred``, in ``pred``'s dtype."""
    if isinstance(target, Value):
        raise TypeError(f"{name}: cannot mix Tensor and Value arguments")
    if isinstance(target, Tensor):
        if _squeeze(target.data.shape) != _squeeze(pred.data.shape):
            raise ValueError(
                f"{name}: predictions have shape {pred.data.shape} but targets {target.data.shape}"
            )
        return target if target.data.shape == pred.data.shape else target.reshape(pred.data.shape)
    t = np.asarray(target)
    if t.dtype.kind not in "biuf":
        raise TypeError(f"{name}: targets must be numbers, got {t.dtype}")
    if _squeeze(t.shape) != _squeeze(pred.data.shape):
        raise ValueError(f"{name}: predictions have shape {pred.data.shape} but targets {t.shape}")
    return t.astype(pred.data.dtype, copy=False).reshape(pred.data.shape)


def _check_labels(name: str, pred: np.ndarray, target: np.ndarray, labels: str) -> None:
    """Catch the classic mix-ups: 0/1 labels for the hinge loss, scores for probabilities.
    (A nan passes: it makes the loss nan, which ``fit`` reports as divergence.)"""
    if labels == "sign":
        _reject(
            name,
            target,
            (target != 1) & (target != -1) & ~np.isnan(target),
            "needs labels -1 or +1, got {}; map 0/1 labels with y = 2 * y - 1",
        )
    if labels in ("prob", "unit"):
        _reject(name, target, (target < 0) | (target > 1), "needs targets in [0, 1], got {}")
    if labels == "prob":
        _reject(
            name,
            pred,
            (pred < 0) | (pred > 1),
            "needs probabilities in [0, 1], got {}; "
            "for raw scores (logits) use binary_cross_entropy_with_logits",
        )


def _reject(name: str, values: np.ndarray, bad: np.ndarray, message: str) -> None:
    if bad.any():
        raise ValueError(f"{name} " + message.format(f"{values[bad].flat[0]:g}"))


def _class_indices(target: Any, shape: tuple) -> np.ndarray:
    """Integer class labels, one per row of logits of ``shape`` ``(n, n_classes)`` (not yet
    checked against ``n_classes``). A float Tensor whose values are all whole numbers (integer
    labels passed through ``Tensor(y)``) becomes int64; fractional labels, and float arrays or
    lists, raise ``ValueError``."""
    from_tensor = isinstance(target, Node)
    if from_tensor:
        target = target.data
    labels = np.asarray(target)
    n = shape[0]
    if labels.dtype.kind == "f" and not from_tensor:
        raise ValueError(
            f"cross_entropy needs integer class indices, got float labels of shape "
            f"{labels.shape}; convert them with y.astype(int)"
        )
    if labels.dtype.kind == "f":  # integer labels that went through Tensor(y): float32
        whole = np.isfinite(labels) & (labels == np.round(labels))
        if not whole.all():
            raise ValueError(
                f"cross_entropy needs integer class indices, got float labels of shape "
                f"{labels.shape} that are not whole numbers (e.g. {labels[~whole].flat[0]!r}); "
                f"class labels must be integers 0 .. n_classes-1"
            )
        labels = labels.astype(np.int64)
    if labels.dtype.kind not in "iu":
        raise ValueError(f"cross_entropy needs integer class indices, got {labels.dtype}")
    if labels.shape != (n,):
        raise ValueError(
            f"cross_entropy: logits of shape {tuple(shape)} need {n} labels of shape ({n},), "
            f"got labels of shape {labels.shape}"
        )
    return labels.astype(np.intp, copy=False)
