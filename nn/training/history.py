"""``History``: what ``fit`` recorded, epoch by epoch, in Keras's layout."""

from __future__ import annotations

from typing import Any

__all__ = ["History"]


class History:
    """What ``fit`` recorded, in Keras's layout.

    ``epoch``: the epoch numbers (1, 2, ...). ``history``: ``{'loss': [...], 'accuracy': [...],
    'val_loss': [...], 'val_accuracy': [...]}``, one float per epoch (the training figures are
    averages over the epoch's batches, measured while the weights changed).
    ``iteration_loss``: the loss of every iteration. ``lr``: the learning rate of each epoch.
    ``params``: epochs, batch size, iterations per epoch, samples. ``seconds``: training time.
    ``best_epoch``, ``stopped_epoch``, ``stop_reason``: set when a callback (e.g.
    ``EarlyStopping``) tracks a best epoch or stops training, else None.
    Printing shows a table; ``plot()`` draws the curves (needs matplotlib).
    """

    def __init__(self) -> None:
        self.epoch: list[int] = []
        self.history: dict[str, list[float]] = {}
        self.iteration_loss: list[float] = []
        self.lr: list[float] = []
        self.params: dict[str, Any] = {}
        self.seconds = 0.0
        self.best_epoch: int | None = None  # set by EarlyStopping: the epoch with the best score
        self.stopped_epoch: int | None = None  # the epoch after which a callback stopped
        self.stop_reason: str | None = None  # why, as a sentence

    def record(self, epoch: int, logs: dict[str, float]) -> None:
        """Append one epoch's figures."""
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def plot(self, **kwargs: Any) -> Any:
        """Loss and metric curves, training against validation, per epoch (a matplotlib
        Figure; see ``nn.plots.plot_history``)."""
        from ..plots.figures import plot_history

        return plot_history(self, **kwargs)

    def table(self, max_rows: int | None = None) -> str:
        """The figures as a text table, one row per epoch (the middle rows left out past
        ``max_rows``)."""
        keys = list(self.history)
        width = max([10, *(len(k) + 2 for k in keys)])
        lines = ["epoch" + "".join(k.rjust(width) for k in keys)]
        rows = list(range(len(self.epoch)))
        if max_rows is not None and len(rows) > max_rows:
            half = max(max_rows // 2, 1)
            rows = rows[:half] + [-1] + rows[-half:]
        for i in rows:
            if i < 0:
                lines.append("  ...")
                continue
            cells = "".join(f"{self.history[k][i]:.4f}".rjust(width) for k in keys)
            lines.append(f"{self.epoch[i]:5d}{cells}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"History ({len(self.epoch)} epochs)\n{self.table(max_rows=20)}"
