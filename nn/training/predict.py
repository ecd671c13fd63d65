"""Predictions and scores of a model of either engine: ``predict``, ``evaluate``, and the
pieces ``fit`` shares with them (the engine of a model, its inputs prepared, a forward pass over
batches in ``eval()`` mode without a graph). ``nn.plots`` uses ``predict`` too."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from autograd import Node, Value, no_grad

from ..metrics import Metric, resolve_metrics, scores, to_numpy
from ..module import Module
from .data import batches, check_lengths

__all__ = ["evaluate", "predict"]

Loss = Callable[[Any, Any], Node]


def evaluate(
    model: Module,
    X: Any,
    y: Any,
    loss: Loss | None = None,
    metrics: Sequence[str | Metric] = ("accuracy",),
    batch_size: int | None = None,
) -> dict[str, float]:
    """The loss (when given) and metrics of ``model`` on ``(X, y)``, as ``{'loss': ...,
    'accuracy': ...}``, computed in ``eval()`` mode without building a graph."""
    if y is None:
        raise TypeError("evaluate needs the targets y (one per sample of X)")
    engine = engine_of(model)
    X, y = prepare(engine, X, y)
    return evaluate_all(engine, model, X, y, loss, resolve_metrics(metrics, loss), batch_size)


def predict(model: Module, X: Any, batch_size: int | None = None) -> np.ndarray:
    """The model's outputs for ``X`` as an ndarray (``eval()`` mode, no graph)."""
    engine = engine_of(model)
    X, _ = prepare(engine, X, None)
    return to_numpy(predict_all(engine, model, X, batch_size))



class Engine(NamedTuple):
    """The node class of a model's parameters (``Value`` or ``Tensor``) and their dtype."""

    kind: type
    dtype: Any

    @property
    def scalar(self) -> bool:
        return self.kind is Value


def engine_of(model: Module) -> Engine:
    params = model.parameters()
    if not params:
        raise ValueError(f"{type(model).__name__} has no trainable parameters")
    return Engine(type(params[0]), getattr(params[0].data, "dtype", None))


def prepare(engine: Engine, X: Any, y: Any) -> tuple[Any, Any]:
    """Inputs as the engine wants them: lists of float rows for ``Value`` models, arrays in
    the parameters' dtype for ``Tensor`` models. A 1-D ``X`` is one feature per sample."""
    if isinstance(X, Node):
        X = X.data
    if isinstance(y, Node):
        y = y.data
    if check_lengths(X, y) == 0:
        raise ValueError("X holds no samples")
    try:
        X = np.asarray(X)
    except ValueError as e:  # a ragged list of lists
        raise ValueError(f"X must be a rectangular array of numbers: {e}") from None
    if X.dtype.kind not in "biuf":
        raise TypeError(f"X must hold numbers, got an array of {X.dtype}")
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    y = None if y is None else np.asarray(y)
    if engine.scalar:
        return X.astype(np.float64).tolist(), (None if y is None else y.tolist())
    return X.astype(engine.dtype, copy=False), y


def forward(engine: Engine, model: Module, xb: Any) -> Any:
    """The model's predictions for a batch: one call per sample for a scalar model."""
    if engine.scalar:
        return [model(row) for row in xb]
    return model(engine.kind(xb))


def predict_all(engine: Engine, model: Module, X: Any, batch_size: int | None) -> Any:
    """Predictions for all of ``X`` in eval mode without a graph (the mode is restored)."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            parts = [forward(engine, model, xb) for xb, _ in batches(X, None, batch_size, False)]
    finally:
        model.train(was_training)
    if engine.scalar:
        return [v for part in parts for v in part]
    if len(parts) == 1:
        return parts[0]
    return engine.kind(np.concatenate([p.data for p in parts]))


def evaluate_all(
    engine: Engine,
    model: Module,
    X: Any,
    y: Any,
    loss: Loss | None,
    named_metrics: list[tuple[str, Metric]],
    batch_size: int | None,
) -> dict[str, float]:
    out = predict_all(engine, model, X, batch_size)
    result = {}
    if loss is not None:
        with no_grad():
            result["loss"] = loss_value(loss(out, y))
    result.update(scores(named_metrics, to_numpy(out), np.asarray(y)))
    return result


def loss_value(batch_loss: Any) -> float:
    if not isinstance(batch_loss, Node):
        raise TypeError(
            f"the loss function must return a Value or a Tensor, got {type(batch_loss).__name__}"
        )
    if np.size(batch_loss.data) != 1:
        raise ValueError(
            f"the loss must be a single number, got shape {np.shape(batch_loss.data)}; "
            "reduce it with .mean() or .sum()"
        )
    return float(np.asarray(batch_loss.data).reshape(()))
