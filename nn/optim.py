"""Optimizers and learning-rate schedules: one implementation serves both engines.

An optimizer only reads ``p.grad`` and writes ``p.data`` of each parameter. A ``Value`` holds a
float and a ``Tensor`` an ndarray; every update below is plain arithmetic (``+ - * / **``),
which means the same thing on both, so ``w = w - lr * grad`` is literally the code.
The update rules and their defaults follow ``torch.optim`` (and agree with it step for step).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autograd import Node

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "Optimizer",
    "RMSprop",
    "StepLR",
]


def _zeros_like(x: Any) -> Any:
    """0.0 for a float parameter, an array of zeros for an array parameter."""
    return np.zeros_like(x) if isinstance(x, np.ndarray) else 0.0


def _copy(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return x.copy()
    return x if isinstance(x, int) else float(x)


def _buffer(state: dict[str, Any], key: str, w: Any) -> Any:
    """The running average ``state[key]``, zeros (shaped like ``w``) before the first step."""
    value = state.get(key)
    return _zeros_like(w) if value is None else value


def _check_range(name: str, value: Any, low: float, high: float, closed_high: bool) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}: {value!r}")
    ok = low <= value <= high if closed_high else low <= value < high
    if not ok:
        bracket = "]" if closed_high else ")"
        raise ValueError(f"{name} must be in [{low}, {high}{bracket}, got {value}")
    return float(value)


class Optimizer:
    """Base class: holds the parameters, the learning rate ``lr`` and per-parameter state.

    Subclasses write ``update(p, g, state) -> new data`` for one parameter; ``step()`` applies it
    to every parameter that has a gradient. ``lr`` may be changed between steps (schedules do).
    """

    #: names of the hyperparameters saved in ``state_dict`` (besides ``lr``)
    hyperparameters: tuple[str, ...] = ()
    weight_decay: float = 0.0

    def __init__(self, params: Iterable[Node], lr: float) -> None:
        if isinstance(params, Node):
            raise TypeError("params must be an iterable of parameters, e.g. model.parameters()")
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimizer got an empty list of parameters")
        seen: set[int] = set()
        for i, p in enumerate(self.params):
            if not isinstance(p, Node):
                raise TypeError(f"parameter {i} is a {type(p).__name__}, not a Value or Tensor")
            if not p.requires_grad:
                raise ValueError(f"parameter {i} does not require grad, so it cannot be trained")
            if id(p) in seen:
                raise ValueError(f"parameter {i} appears twice in the parameter list")
            seen.add(id(p))
        if not isinstance(lr, (int, float)) or isinstance(lr, bool) or not lr > 0:
            raise ValueError(f"lr must be a positive number, got {lr!r}")
        self.lr = lr
        self.state: list[dict[str, Any]] = [{} for _ in self.params]
        self.step_count = 0

    @property
    def lr(self) -> float:
        """The learning rate (step size): positive when given, never negative."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _check_range("lr", value, 0.0, math.inf, False)

    def zero_grad(self) -> None:
        """Reset every parameter's gradient before the next backward pass."""
        for p in self.params:
            p.grad = p._zero_grad

    def step(self) -> None:
        """One update of every parameter that received a gradient (``p.grad`` not None)."""
        self.step_count += 1
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            p.data = self.update(p.data, p.grad, state)

    def update(self, w: Any, g: Any, state: dict[str, Any]) -> Any:
        """The new value of one parameter with data ``w`` and gradient ``g``."""
        raise NotImplementedError

    def regularize(self, w: Any, g: Any) -> Any:
        """L2 regularisation: ``g + weight_decay * w`` (the gradient of the penalty
        ``weight_decay / 2 * w**2`` added to the loss)."""
        return g + self.weight_decay * w if self.weight_decay else g

    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters, step count and per-parameter state (copies), keyed like PyTorch."""
        return {
            "lr": self.lr,
            **{name: getattr(self, name) for name in self.hyperparameters},
            "step_count": self.step_count,
            "state": [{k: _copy(v) for k, v in s.items()} for s in self.state],
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned; checks everything before changing anything."""
        states = state_dict.get("state")
        if not isinstance(states, (list, tuple)) or len(states) != len(self.params):
            n = len(states) if isinstance(states, (list, tuple)) else "no"
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: state for {n} parameters, "
                f"but this optimizer has {len(self.params)}"
            )
        for i, (p, s) in enumerate(zip(self.params, states)):
            for key, value in s.items():
                if key != "step" and np.shape(value) != np.shape(p.data):
                    raise ValueError(
                        f"{type(self).__name__}.load_state_dict: state {key!r} of parameter {i} "
                        f"has shape {np.shape(value)}, the parameter {np.shape(p.data)}"
                    )
        for name in ("lr", *self.hyperparameters):
            if name in state_dict:
                setattr(self, name, state_dict[name])
        self.step_count = int(state_dict.get("step_count", 0))
        self.state = [{k: _copy(v) for k, v in s.items()} for s in states]

    def __repr__(self) -> str:
        settings = ", ".join(f"{n}={getattr(self, n)!r}" for n in ("lr", *self.hyperparameters))
        return f"{type(self).__name__}({settings}, {len(self.params)} parameters)"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay.

    With ``g`` the gradient, ``w`` a weight and ``v`` the velocity (PyTorch's formulation of
    momentum, Sutskever et al. 2013, "On the importance of initialization and momentum"):

        g = g + weight_decay * w          (L2 regularisation)
        v = momentum * v + g              (v = g at the first step)
        g = g + momentum * v   if nesterov, else   g = v
        w = w - lr * g
    """

    hyperparameters = ("momentum", "nesterov", "weight_decay")

    def __init__(
        self,
        params: Iterable[Node],
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _check_range("momentum", momentum, 0.0, math.inf, True)
        self.weight_decay = _check_range("weight_decay", weight_decay, 0.0, math.inf, True)
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs a positive momentum")

    def update(self, w: Any, g: Any, state: dict[str, Any]) -> Any:
        """w - lr * g, the gradient g corrected by weight decay and momentum."""
        g = self.regularize(w, g)
        if self.momentum:
            v = state.get("momentum_buffer")
            v = _copy(g) if v is None else self.momentum * v + g
            state["momentum_buffer"] = v
            g = g + self.momentum * v if self.nesterov else v
        return w - self.lr * g


class RMSprop(Optimizer):
    """RMSprop (Hinton, Coursera lecture 6e, 2012): divide the step by a running RMS of the
    gradient, so every weight moves at a similar pace.

        g = g + weight_decay * w
        s = alpha * s + (1 - alpha) * g**2
        w = w - lr * g / (sqrt(s) + eps)
    """

    hyperparameters = ("alpha", "eps", "weight_decay")

    def __init__(
        self,
        params: Iterable[Node],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.alpha = _check_range("alpha", alpha, 0.0, 1.0, False)
        self.eps = _check_range("eps", eps, 0.0, math.inf, True)
        self.weight_decay = _check_range("weight_decay", weight_decay, 0.0, math.inf, True)

    def update(self, w: Any, g: Any, state: dict[str, Any]) -> Any:
        """w - lr * g / (sqrt(running mean of g**2) + eps)."""
        g = self.regularize(w, g)
        s = self.alpha * _buffer(state, "square_avg", w) + (1 - self.alpha) * g * g
        state["square_avg"] = s
        return w - self.lr * g / (s**0.5 + self.eps)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015, "Adam: A method for stochastic optimization", Algorithm 1):
    momentum (a running mean ``m`` of the gradient) plus RMSprop (a running mean ``v`` of its
    square), both corrected for their start at zero. At step ``t``:

        g = g + weight_decay * w          (L2 regularisation, as in torch.optim.Adam)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        w = w - lr * m_hat / (sqrt(v_hat) + eps)
    """

    hyperparameters = ("betas", "eps", "weight_decay")

    def __init__(
        self,
        params: Iterable[Node],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            _check_range("beta1", betas[0], 0.0, 1.0, False),
            _check_range("beta2", betas[1], 0.0, 1.0, False),
        )
        self.eps = _check_range("eps", eps, 0.0, math.inf, True)
        self.weight_decay = _check_range("weight_decay", weight_decay, 0.0, math.inf, True)

    def update(self, w: Any, g: Any, state: dict[str, Any]) -> Any:
        """w - lr * m_hat / (sqrt(v_hat) + eps)."""
        beta1, beta2 = self.betas
        t = state["step"] = state.get("step", 0) + 1
        g = self.regularize(w, g)
        m = beta1 * _buffer(state, "exp_avg", w) + (1 - beta1) * g
        v = beta2 * _buffer(state, "exp_avg_sq", w) + (1 - beta2) * g * g
        state["exp_avg"], state["exp_avg_sq"] = m, v
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        return self.decay(w) - self.lr * m_hat / (v_hat**0.5 + self.eps)

    def decay(self, w: Any) -> Any:
        """The weight before the Adam step (AdamW shrinks it here instead)."""
        return w


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019, "Decoupled weight decay
    regularization"): the weight shrinks directly, the gradient is left alone.

        w = w - lr * weight_decay * w     (then the Adam step, without L2 in g)
    """

    def __init__(
        self,
        params: Iterable[Node],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)

    def regularize(self, w: Any, g: Any) -> Any:
        """No L2 in the gradient: decay is decoupled."""
        return g

    def decay(self, w: Any) -> Any:
        """w * (1 - lr * weight_decay)."""
        return w - self.lr * self.weight_decay * w if self.weight_decay else w


# ------------------------------------------------------------------ learning-rate schedules
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
        self._apply()

    def factor(self, epoch: int) -> float:
        """The multiplier of the base learning rate at ``epoch``."""
        raise NotImplementedError

    def _apply(self) -> None:
        self.optimizer.lr = self.base_lr * self.factor(self.last_epoch)

    def step(self) -> None:
        """Advance one epoch and set the optimizer's learning rate for it."""
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        """The learning rate now in use, as a one-item list (PyTorch's form)."""
        return [self.optimizer.lr]

    def state_dict(self) -> dict[str, Any]:
        """``base_lr`` and ``last_epoch``."""
        return {"base_lr": self.base_lr, "last_epoch": self.last_epoch}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``base_lr`` and ``last_epoch`` and the optimizer's learning rate."""
        self.base_lr = float(state_dict["base_lr"])
        self.last_epoch = int(state_dict["last_epoch"])
        self._apply()


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs:
    ``lr = base_lr * gamma ** (epoch // step_size)``."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if not isinstance(step_size, int) or isinstance(step_size, bool) or step_size < 1:
            raise ValueError(f"step_size must be a positive int, got {step_size!r}")
        self.step_size = step_size
        self.gamma = _check_range("gamma", gamma, 0.0, math.inf, True)
        super().__init__(optimizer)

    def factor(self, epoch: int) -> float:
        """gamma ** (epoch // step_size)"""
        return self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch: ``lr = base_lr * gamma ** epoch``."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = _check_range("gamma", gamma, 0.0, math.inf, True)
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
