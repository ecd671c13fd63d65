"""The training loop in the field's own terms: ``fit`` (``evaluate`` and ``predict`` are in
``predict.py``, ``History`` in ``history.py``).

One *iteration* (step) takes one mini-batch through the forward pass, the loss, the backward
pass and the weight update; one *epoch* is a pass over the whole training set, that is
``ceil(N / batch_size)`` iterations. ``batch_size=1`` is stochastic gradient descent,
``batch_size=None`` (or ``N``) batch gradient descent, anything between mini-batch gradient
descent. The same loop trains a scalar ``MLP`` (one sample at a time through the network, the
loss over the batch) and a tensor model (the whole batch as one array).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

from autograd import Node

from ..compile.step import compile_step
from ..metrics import Metric, resolve_metrics, scores, to_numpy
from ..module import Module
from ..optim import Optimizer
from ..schedules import LRScheduler, planned_lrs
from .callbacks import Callback, ProgressBar
from .data import batches, num_batches, take
from .history import History
from .predict import Engine, Loss, engine_of, evaluate_all, forward, loss_value, prepare

__all__ = ["DivergenceError", "History", "fit"]  # History: history.py

class DivergenceError(FloatingPointError):
    """The loss or a gradient became nan or inf during ``fit``; the step was not taken.

    ``history`` holds what was recorded up to the failure.
    """

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


# --------------------------------------------------------------------------------- fit
def fit(
    model: Module,
    X: Any,
    y: Any,
    loss: Loss,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int | None = 32,
    shuffle: bool = True,
    validation_data: tuple[Any, Any] | None = None,
    validation_split: float = 0.0,
    metrics: Sequence[str | Metric] = ("accuracy",),
    schedule: LRScheduler | Callable[[int], float] | None = None,
    progress: bool = True,
    seed: int | None = None,
    callbacks: Sequence[Callback] = (),
    compile: bool = False,  # noqa: A002 - the name users know from Keras and torch.compile
) -> History:
    """Train ``model`` on ``(X, y)`` for ``epochs`` epochs; return the :class:`History`.

    ``loss(predictions, targets)`` returns a scalar node (e.g. ``nn.cross_entropy``);
    ``optimizer`` holds the model's parameters. ``validation_data=(X_val, y_val)``, or
    ``validation_split`` (the last fraction of ``X``, taken before shuffling), is evaluated
    after every epoch in ``eval()`` mode without building a graph. ``metrics``: names
    ('accuracy', 'mse', 'mae') or functions ``f(pred, target) -> float``. ``schedule``: a
    learning-rate schedule stepped after every epoch, or a function ``epoch -> lr`` (epochs
    counted from 0). ``seed`` fixes the shuffling order. ``progress`` shows a tqdm bar when
    tqdm is installed and the output is a terminal or a notebook.

    Bad arguments raise before training starts: a learning rate from the schedule that is not a
    number >= 0, and anything the loss refuses (a label out of range, shapes that differ),
    found by one forward pass over the data without a graph. A nan or inf loss (or gradient)
    stops training with :class:`DivergenceError` naming the epoch, the iteration and the
    learning rate; that step is not taken, so the parameters are the ones from before the
    failing batch.

    ``callbacks``: :class:`nn.Callback` objects (e.g. ``nn.EarlyStopping``); each gets
    ``model`` and ``history`` attributes, then ``on_train_begin(logs)``,
    ``on_epoch_end(epoch, logs)`` after every epoch (epochs from 1) and ``on_train_end(logs)``.
    A callback that sets ``stop_training = True`` ends training after that epoch;
    ``History.stopped_epoch`` and ``History.stop_reason`` then say when and why.

    ``compile=True`` runs each iteration through :func:`nn.compile_step` (a Tensor model only):
    traced on the first batch of each shape, replayed without a graph afterwards, with the same
    losses and weights.
    """
    callbacks = list(callbacks)
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks must be nn.Callback objects, got {cb!r}")
    _check_arguments(model, loss, optimizer, epochs, validation_split)
    if y is None:
        raise TypeError("fit needs the targets y (one per sample of X)")
    lrs = planned_lrs(schedule, optimizer, epochs)  # checked before training starts
    engine = engine_of(model)
    if compile and engine.scalar:
        raise ValueError(
            "fit(compile=True) needs a Tensor model (nn.Sequential, nn.Linear, "
            "...); a scalar MLP of Values has nothing to compile"
        )
    # one iteration: forward, loss, backward, update (traced once and replayed if compiled)
    step = compile_step(model, loss, optimizer) if compile else Step(engine, model, loss, optimizer)
    X, y = prepare(engine, X, y)
    if validation_split:
        if validation_data is not None:
            raise ValueError("give validation_data or validation_split, not both")
        n_val = math.ceil(len(X) * validation_split)
        n_train = len(X) - n_val
        if n_train < 1:
            raise ValueError(f"validation_split={validation_split} leaves no training samples")
        rows, val_rows = np.arange(n_train), np.arange(n_train, len(X))
        validation_data = (take(X, val_rows), take(y, val_rows))
        X, y = take(X, rows), take(y, rows)
    elif validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError(
                "validation_data must be a pair (X_val, y_val), got "
                f"{type(validation_data).__name__}"
            )
        validation_data = prepare(engine, *validation_data)
    named_metrics = resolve_metrics(metrics, loss)
    for data in (X, y), validation_data:  # a bad label or shape fails here, before any update
        if data is not None:
            evaluate_all(engine, model, *data, loss, [], batch_size)
    rng = np.random.default_rng(seed)
    history = History()
    per_epoch = num_batches(len(X), batch_size)
    history.params = {
        "epochs": epochs,
        "batch_size": len(X) if batch_size is None else min(batch_size, len(X)),
        "iterations_per_epoch": per_epoch,
        "samples": len(X),
    }
    for cb in callbacks:
        cb.model, cb.history, cb.stop_training = model, history, False
        cb.on_train_begin({})
    bar = ProgressBar(epochs, progress)
    start = time.perf_counter()
    logs: dict[str, float] = {}
    try:
        for epoch in range(1, epochs + 1):
            if lrs is not None:
                optimizer.lr = lrs[epoch - 1]
            history.lr.append(optimizer.lr)
            model.train()
            total, outputs, targets = 0.0, list[Any](), list[Any]()
            for iteration, (xb, yb) in enumerate(batches(X, y, batch_size, shuffle, rng), 1):
                where = (epoch, epochs, iteration, per_epoch, optimizer.lr)
                value = step(xb, yb, partial(_check_step, where=where, history=history))
                history.iteration_loss.append(value)
                total += value * len(xb)
                outputs.append(step.last_output)
                targets.append(np.asarray(yb))
            logs = {"loss": total / len(X)}
            logs.update(scores(named_metrics, np.concatenate(outputs), np.concatenate(targets)))
            if validation_data is not None:
                val = evaluate_all(engine, model, *validation_data, loss, named_metrics, None)
                logs.update({f"val_{k}": v for k, v in val.items()})
            history.record(epoch, logs)
            bar.update(epoch, logs)
            if isinstance(schedule, LRScheduler):
                schedule.step()
            stopper = None
            for cb in callbacks:
                cb.on_epoch_end(epoch, logs)
                if stopper is None and getattr(cb, "stop_training", False):
                    stopper = cb
            if stopper is not None:
                history.stopped_epoch = epoch
                history.stop_reason = getattr(stopper, "stop_reason", None) or (
                    f"{type(stopper).__name__} stopped training"
                )
                break
        for cb in callbacks:
            cb.on_train_end(logs)
    finally:
        history.seconds = time.perf_counter() - start
        bar.close()
    return history


# ------------------------------------------------------------------------ the machinery
class Step:
    """One training iteration of the eager engine, called as ``fit`` calls a compiled step:
    ``step(xb, yb, before_update) -> loss``, with the batch's output in ``last_output``."""

    def __init__(self, engine: Engine, model: Module, loss: Loss, optimizer: Optimizer) -> None:
        self.engine, self.model, self.loss, self.optimizer = engine, model, loss, optimizer
        self.last_output: np.ndarray | None = None

    def __call__(self, xb: Any, yb: Any, before_update: Callable[[float, list], None]) -> float:
        """Forward, loss, backward; ``before_update(loss, params)`` may raise; then the update."""
        out = forward(self.engine, self.model, xb)  # forward pass
        batch_loss = self.loss(out, yb)  # how wrong the model is on this batch
        value = loss_value(batch_loss)
        if not math.isfinite(value):  # no backward through a nan
            before_update(value, [])
        self.optimizer.zero_grad()  # forget the previous batch's gradients
        batch_loss.backward()  # backward pass: d(loss) / d(every weight)
        before_update(value, self.optimizer.params)
        self.optimizer.step()  # the update, w = w - lr * grad for plain SGD
        self.last_output = to_numpy(out)
        return value


def _check_step(value: float, params: list, where: tuple, history: History) -> None:
    """The check before a step's update: the loss and the gradients are finite."""
    if not math.isfinite(value):
        raise _diverged(f"the loss is {value}", where, history)
    bad = _first_bad_gradient(params)
    if bad is not None:
        raise _diverged(f"the gradient of parameter {bad} is not finite", where, history)


def _check_arguments(
    model: Any, loss: Any, optimizer: Any, epochs: Any, validation_split: Any
) -> None:
    if not isinstance(model, Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if not callable(loss):
        raise TypeError(f"loss must be a function loss(pred, target), got {loss!r}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an nn optimizer (SGD, Adam...), got {optimizer!r}")
    if not isinstance(epochs, (int, np.integer)) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if not isinstance(validation_split, (int, float)) or not 0 <= validation_split < 1:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split!r}")
    owned = {id(p) for p in optimizer.params}
    if not any(id(p) in owned for p in model.parameters()):
        raise ValueError(
            "the optimizer holds none of the model's parameters; build it from this model, "
            "e.g. nn.SGD(model.parameters(), lr=0.1)"
        )


def _first_bad_gradient(params: list[Node]) -> int | None:
    for i, p in enumerate(params):
        if p.grad is not None and not np.isfinite(p.grad).all():
            return i
    return None


def _diverged(what: str, where: tuple, history: History) -> DivergenceError:
    epoch, epochs, iteration, per_epoch, lr = where
    return DivergenceError(
        f"{what} at epoch {epoch}/{epochs}, iteration {iteration}/{per_epoch} "
        f"(learning rate {lr:g}). Training stopped before this step's update, so the "
        "parameters are the ones from before this batch. Hint: lower the learning rate, scale "
        "the inputs (e.g. to [0, 1]), check the data for nan/inf, or use a numerically stable "
        "loss (cross_entropy, binary_cross_entropy_with_logits).",
        history,
    )
