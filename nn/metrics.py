"""Metrics: how good the predictions are, as plain floats (no graph, no gradient).

Each metric is ``metric(pred, target) -> float``; ``pred`` may be an ndarray, a Tensor, a Value
or a (nested) list of Values or numbers. ``nn.fit`` and ``nn.evaluate`` accept the names
``'accuracy'``, ``'mse'``, ``'mae'`` or any such function; :func:`resolve_metrics` turns what
they were given into named functions (accuracy with the loss's decision threshold) and
:func:`scores` computes them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

from autograd import Node

from . import losses

__all__ = ["accuracy", "get_metric", "mae", "mse"]

Metric = Callable[[Any, Any], float]


def to_numpy(x: Any) -> np.ndarray:
    """The numbers inside ``x`` (a node, a list of nodes, numbers or an array) as an ndarray."""
    if isinstance(x, Node):
        return np.asarray(x.data)
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (list, tuple)):
        if x and isinstance(x[0], (list, tuple)):
            return np.array([[v.data if isinstance(v, Node) else v for v in row] for row in x])
        return np.array([v.data if isinstance(v, Node) else v for v in x])
    return np.asarray(x)


def _pair(name: str, pred: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
    p, t = to_numpy(pred), to_numpy(target)
    if p.size != t.size:
        raise ValueError(f"{name}: predictions have shape {p.shape} but targets {t.shape}")
    return p.reshape(-1).astype(np.float64), t.reshape(-1).astype(np.float64)


def accuracy(pred: Any, target: Any, threshold: float | None = None) -> float:
    """The fraction of samples classified correctly.

    Multiclass: ``pred`` has one row of scores per sample (shape ``(n, n_classes)``) and the
    predicted class is the highest score; ``target`` holds class indices (or one-hot rows).
    Binary: one score per sample; a sample is predicted positive when its score is above
    ``threshold``, and it is positive when its label is above 0 (labels 0/1 or -1/+1).
    ``threshold=None`` picks 0
    for scores that can be negative or labels -1/+1 (micrograd's rule ``score > 0``), and 0.5
    when all scores are probabilities in [0, 1].
    """
    p, t = to_numpy(pred), to_numpy(target)
    if p.size == 0:
        raise ValueError("accuracy of no samples is undefined")
    if p.ndim == 2 and p.shape[1] > 1:
        if t.shape == p.shape:  # one-hot targets
            t = np.argmax(t, axis=1)
        if t.shape != (p.shape[0],):
            raise ValueError(
                f"accuracy: scores of shape {p.shape} need {p.shape[0]} class labels, "
                f"got labels of shape {t.shape}"
            )
        return float(np.mean(np.argmax(p, axis=1) == t))
    p, t = _pair("accuracy", p, t)
    if threshold is None:
        probabilities = p.min() >= 0 and p.max() <= 1 and t.min() >= 0
        threshold = 0.5 if probabilities else 0.0
    return float(np.mean((p > threshold) == (t > 0)))


def mse(pred: Any, target: Any) -> float:
    """Mean squared error, ``mean((pred - target) ** 2)``, as a float."""
    p, t = _pair("mse", pred, target)
    return float(np.mean((p - t) ** 2))


def mae(pred: Any, target: Any) -> float:
    """Mean absolute error, ``mean(|pred - target|)``, as a float."""
    p, t = _pair("mae", pred, target)
    return float(np.mean(np.abs(p - t)))


METRICS: dict[str, Metric] = {"accuracy": accuracy, "acc": accuracy, "mse": mse, "mae": mae}


def get_metric(metric: str | Metric) -> tuple[str, Metric]:
    """``(name, function)`` for a metric given by name or as a function (named after it)."""
    if isinstance(metric, str):
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; choose from {sorted(METRICS)}")
        return ("accuracy" if metric == "acc" else metric), METRICS[metric]
    if callable(metric):
        return getattr(metric, "__name__", type(metric).__name__), metric
    raise TypeError(f"a metric is a name or a function, got {type(metric).__name__}")


# Scores are probabilities after these losses, logits or margins after the others.
_THRESHOLDS = {
    losses.binary_cross_entropy: 0.5,
    losses.binary_cross_entropy_with_logits: 0.0,
    losses.hinge_loss: 0.0,
}


def resolve_metrics(metrics: Sequence[str | Metric] | None, loss: Any) -> list[tuple[str, Metric]]:
    """``(name, function)`` for each of ``metrics`` (names or functions), checked to be unique;
    ``accuracy`` gets the decision threshold of ``loss`` (0.5 for probabilities, 0 for logits)."""
    if metrics is None:
        return []
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    named: list[tuple[str, Callable[..., Any]]] = []
    for m in metrics:
        name, fn = get_metric(m)
        if name == "loss" or name in dict(named):
            raise ValueError(
                f"two metrics named {name!r} ('loss' is the loss's); give each metric its own "
                "name, e.g. a function made with def"
            )
        if fn is accuracy and loss in _THRESHOLDS:
            fn = partial(accuracy, threshold=_THRESHOLDS[loss])
        named.append((name, fn))
    return named


def scores(named: list[tuple[str, Metric]], pred: np.ndarray, target: np.ndarray) -> dict:
    """``{name: value}`` of each metric of ``named`` (see :func:`resolve_metrics`) on the
    predictions and targets."""
    return {name: float(fn(pred, target)) for name, fn in named}
