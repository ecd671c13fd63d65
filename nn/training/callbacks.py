"""Callbacks for ``fit``: hooks called at the start, after every epoch and at the end.

Stopping: a callback sets ``self.stop_training = True`` (Keras' way); ``fit`` checks it after
every epoch's ``on_epoch_end`` and stops, recording ``stopped_epoch`` and ``stop_reason``.
``fit(progress=True)`` shows a :class:`ProgressBar` over the epochs.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import numpy as np

__all__ = ["Callback", "EarlyStopping"]


class Callback:
    """Base class: override the hooks you need. ``fit`` sets ``self.model`` and
    ``self.history`` before ``on_train_begin``. Set ``self.stop_training = True`` to stop
    after the current epoch, with ``self.stop_reason`` (a sentence) saying why."""

    model: Any = None
    history: Any = None
    stop_training: bool = False
    stop_reason: str | None = None

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        """Called after every epoch (counted from 1) with that epoch's figures."""

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        """Called once after the last epoch (also after an early stop)."""


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    epochs (Keras' meanings). ``mode``: 'min', 'max', or 'auto' ('max' for names holding
    'acc', else 'min'). ``restore_best_weights=True`` loads the ``state_dict`` of the best
    epoch into the model at the end. A ``monitor`` missing from the logs raises ``KeyError``.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 0,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = False,
    ) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if not isinstance(patience, (int, np.integer)) or patience < 0:
            raise ValueError(f"patience must be an int >= 0, got {patience!r}")
        if min_delta < 0:
            raise ValueError(f"min_delta must be >= 0, got {min_delta!r}")
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        self.monitor, self.patience, self.min_delta = monitor, int(patience), float(min_delta)
        self.mode, self.restore_best_weights = mode, restore_best_weights

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self.best: float = np.inf if self.mode == "min" else -np.inf
        self.best_epoch: int | None = None
        self.best_weights: dict[str, np.ndarray] | None = None
        self.wait = 0
        self.stop_training = False
        self.stop_reason = None

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if self.monitor not in logs:
            raise KeyError(
                f"EarlyStopping monitors {self.monitor!r}, which is not in the logs "
                f"{sorted(logs)} (val_* keys need validation_data or validation_split)"
            )
        value = float(logs[self.monitor])
        if self.best_epoch is None or self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.history is not None:
                self.history.best_epoch = epoch
            if self.restore_best_weights and self.model is not None:
                self.best_weights = self.model.state_dict()
            return
        self.wait += 1
        if self.wait >= max(self.patience, 1):  # Keras: patience 0 and 1 both stop at once
            self.stop_training = True
            self.stop_reason = (
                f"{self.monitor} did not improve by more than {self.min_delta:g} "
                f"for {self.wait} epochs"
            )

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)


class ProgressBar:
    """A tqdm bar over the epochs when asked for, tqdm is installed and someone is watching
    (a terminal or a notebook); otherwise nothing."""

    def __init__(self, epochs: int, enabled: bool) -> None:
        self.bar = None
        if not enabled or not _interactive():
            return
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from tqdm.auto import tqdm

                self.bar = tqdm(total=epochs, unit="epoch", leave=True)
        except ImportError:
            return

    def update(self, epoch: int, logs: dict[str, float]) -> None:
        if self.bar is not None:
            self.bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()}, refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _interactive() -> bool:
    """True in a terminal or a Jupyter notebook."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
        return True
    stream = sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())
