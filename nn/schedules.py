"""Learning-rate schedules: the learning rate as a function of the epoch.

A schedule holds an optimizer and sets ``optimizer.lr = base_lr * factor(epoch)``; call its
``step()`` once per epoch (``nn.fit`` does). The factors and the epoch count follow
``torch.optim.lr_scheduler``, so the learning rates agree with PyTorch's epoch for epoch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from .module import positive_int
from .optim import Optimizer, check_range, is_number

__all__ = ["ExponentialLR", "LRScheduler", "LambdaLR", "StepLR"]


class LRScheduler:
    """Base of the schedules: sets ``optimizer.lr = base_lr * factor(epoch)``.

    Call ``step()`` once per epoch, after the optimizer's steps (``nn.fit`` does it for you).
    The epoch count starts at 0, so the first epoch trains with ``factor(0)``.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"a schedule needs an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        self.optimizer.lr = self._lr_at(0, self.base_lr)

    def factor(self, epoch: int) -> float:
        """The multiplier of the base learning rate at ``epoch``."""
        raise NotImplementedError

    def _lr_at(self, epoch: int, base_lr: float) -> float:
        """``base_lr * factor(epoch)``; ``ValueError`` unless it is a number >= 0."""
        factor = self.factor(epoch)
        lr = base_lr * factor
        if not is_number(lr) or not 0 <= lr < math.inf:
            raise ValueError(
                f"{type(self).__name__}: the learning rate for epoch {epoch} would be "
                f"{base_lr:g} * {factor:g} = {lr:g}; a schedule must keep it a number >= 0"
            )
        return float(lr)

    def step(self) -> None:
        """Advance one epoch and set the optimizer's learning rate for it."""
        lr = self._lr_at(self.last_epoch + 1, self.base_lr)
        self.last_epoch += 1
        self.optimizer.lr = lr

    def get_last_lr(self) -> list[float]:
        """The learning rate now in use, as a one-item list (PyTorch's form)."""
        return [self.optimizer.lr]

    def state_dict(self) -> dict[str, Any]:
        """``base_lr`` and ``last_epoch``."""
        return {"base_lr": self.base_lr, "last_epoch": self.last_epoch}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore ``base_lr`` and ``last_epoch`` and the optimizer's learning rate (checked
        first: an error changes nothing)."""
        base_lr = check_range("base_lr", state_dict["base_lr"], 0.0, math.inf, False)
        last_epoch = int(state_dict["last_epoch"])
        lr = self._lr_at(last_epoch, base_lr)
        self.base_lr, self.last_epoch = base_lr, last_epoch
        self.optimizer.lr = lr


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs:
    ``lr = base_lr * gamma ** (epoch // step_size)``."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = positive_int("step_size", step_size)
        self.gamma = check_range("gamma", gamma, 0.0, math.inf, True)
        super().__init__(optimizer)

    def factor(self, epoch: int) -> float:
        """gamma ** (epoch // step_size)"""
        return self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch: ``lr = base_lr * gamma ** epoch``."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = check_range("gamma", gamma, 0.0, math.inf, True)
        super().__init__(optimizer)

    def factor(self, epoch: int) -> float:
        """gamma ** epoch"""
        return self.gamma**epoch


class LambdaLR(LRScheduler):
    """``lr = base_lr * lr_lambda(epoch)`` for any function; micrograd's demo decays with
    ``LambdaLR(opt, lambda k: 1.0 - 0.9 * k / 100)``."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float]) -> None:
        if not callable(lr_lambda):
            raise TypeError(f"lr_lambda must be a function of the epoch, got {lr_lambda!r}")
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)

    def factor(self, epoch: int) -> float:
        """lr_lambda(epoch)"""
        return float(self.lr_lambda(epoch))


# ------------------------------------------------------------------ for nn.fit
def planned_lrs(schedule: Any, optimizer: Optimizer, epochs: int) -> list[float] | None:
    """What ``fit`` needs before training: for a function ``epoch -> lr``, its learning rate for
    every epoch; for an ``LRScheduler``, None (it sets the rate itself). Either way every rate
    the run will use is checked now, so a bad schedule fails before training, not after it."""
    if schedule is None:
        return None
    if isinstance(schedule, LRScheduler):
        if schedule.optimizer is not optimizer:
            raise ValueError("the schedule belongs to another optimizer than the one fit uses")
        for k in range(1, epochs + 1):  # the steps fit will take, each raising if invalid
            schedule._lr_at(schedule.last_epoch + k, schedule.base_lr)
        return None
    if not callable(schedule):
        raise TypeError(
            f"schedule must be an LRScheduler or a function epoch -> lr, got {schedule!r}"
        )
    lrs: list[Any] = [schedule(epoch) for epoch in range(epochs)]
    for epoch, lr in enumerate(lrs):
        if not is_number(lr) or not 0 <= lr < math.inf:
            raise ValueError(f"schedule({epoch}) returned {lr!r}; a learning rate is a number >= 0")
    return [float(lr) for lr in lrs]
