"""Optimizers: one implementation serves both engines (the learning-rate schedules that drive
them are in ``schedules.py``).

An optimizer only reads ``p.grad`` and writes ``p.data`` of each parameter. A ``Value`` holds a
float and a ``Tensor`` an ndarray; every update below is plain arithmetic (``+ - * / **``),
which means the same thing on both, so ``w - lr * grad`` is literally the code; an array
parameter is updated in place (its ``p.data`` stays the same array, as in ``torch.optim``), a
read-only one gets a new array. The update rules and their defaults follow ``torch.optim`` (and
agree with it step for step).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from autograd import Node, mark_dirty

from .module import Module

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop"]


def _zeros_like(x: Any) -> Any:
    """0.0 for a float parameter, an array of zeros for an array parameter."""
    return np.zeros_like(x) if isinstance(x, np.ndarray) else 0.0


def _copy(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return x.copy()
    return x if isinstance(x, int) else float(x)


def _descend(w: Any, step: Any) -> Any:
    """``w - step``, written into ``w`` when it is a writeable array (in place, as PyTorch's
    optimizers update: no new array a step), else a new value (a ``Value``'s float, a read-only
    array)."""
    if type(w) is np.ndarray and w.flags.writeable:
        return np.subtract(w, step, out=w)
    return w - step


def _buffer(state: dict[str, Any], key: str, w: Any) -> Any:
    """The running average ``state[key]``, zeros (shaped like ``w``) before the first step."""
    value = state.get(key)
    return _zeros_like(w) if value is None else value


def is_number(x: Any) -> bool:
    """A real number (Python's or NumPy's), not a bool and not nan."""
    if not isinstance(x, numbers.Real) or isinstance(x, (bool, np.bool_)):
        return False
    return not math.isnan(x)


def check_range(name: str, value: Any, low: float, high: float, closed_high: bool) -> float:
    if not is_number(value):
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

    #: names of the hyperparameters saved in ``state_dict`` (besides ``lr``); each is also an
    #: argument of the constructor, which checks it
    hyperparameters: tuple[str, ...] = ()
    weight_decay: float = 0.0

    def __init__(self, params: Iterable[Node], lr: float) -> None:
        if (
            isinstance(params, (Node, Module))
            or callable(params)
            or not hasattr(params, "__iter__")
        ):
            raise TypeError(
                f"params must be an iterable of parameters: pass model.parameters() (called, "
                f"with the parentheses), got {type(params).__name__}"
            )
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimizer got an empty list of parameters")
        seen: set[int] = set()
        for i, p in enumerate(self.params):
            if not isinstance(p, Node):
                raise TypeError(f"parameter {i} is a {type(p).__name__}, not a Value or Tensor")
            if id(p) in seen:
                raise ValueError(f"parameter {i} appears twice in the parameter list")
            seen.add(id(p))
        if not any(p.requires_grad for p in self.params):
            raise ValueError(
                "no parameter requires grad: parameter 0 does not require grad, so nothing "
                "can be trained (frozen parameters are skipped)"
            )
        self.lr = lr  # a number >= 0 (0 freezes the weights, as PyTorch allows), checked
        self.state: list[dict[str, Any]] = [{} for _ in self.params]
        self.step_count = 0

    @property
    def lr(self) -> float:
        """The learning rate (step size): a finite number >= 0 (0: the weights stay put, the
        running averages still update, as in PyTorch)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = check_range("lr", value, 0.0, math.inf, False)

    def zero_grad(self) -> None:
        """Reset every parameter's gradient before the next backward pass."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """One update of every parameter that received a gradient (``p.grad`` not None);
        frozen parameters (``requires_grad`` False) are skipped, unchanged.

        Every gradient is checked against its parameter's shape first, so a bad one raises
        ``ValueError`` before anything changes. An array gradient is used in its parameter's
        dtype (a float32 weight stays float32).
        """
        todo = []
        for i, (p, state) in enumerate(zip(self.params, self.state)):
            if p.requires_grad and p.grad is not None:  # a frozen parameter is skipped
                todo.append((p, self._gradient(i, p), state))
        self.step_count += 1
        for p, g, state in todo:
            p.data = self.update(p.data, g, state)
        mark_dirty(*[p for p, _, _ in todo])  # a graph made before this step is stale

    def _gradient(self, i: int, p: Node) -> Any:
        """Parameter ``i``'s gradient, checked against its shape, in its dtype."""
        data, g = p.data, p.grad
        if not isinstance(data, np.ndarray):
            return g
        if type(g) is not np.ndarray:
            g = np.asarray(g)
        if g.dtype is data.dtype and g.shape == data.shape:  # the common case, at once
            return g
        if g.shape != data.shape:
            raise ValueError(
                f"{type(self).__name__}.step: the gradient of parameter {i} has shape {g.shape}, "
                f"the parameter {p.data.shape}; nothing was updated"
            )
        return g.astype(p.data.dtype, copy=False)

    def update(self, w: Any, g: Any, state: dict[str, Any]) -> Any:
        """The new value of one parameter with data ``w`` and gradient ``g`` (``w`` itself,
        updated in place, when it is a writeable array)."""
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

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what ``state_dict()`` returned. Everything (the number of states, their
        shapes, every hyperparameter, the step count) is checked before anything changes."""
        name = type(self).__name__
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name}.load_state_dict needs a dict, got {type(state_dict).__name__}")
        states = state_dict.get("state")
        if not isinstance(states, (list, tuple)) or len(states) != len(self.params):
            n = len(states) if isinstance(states, (list, tuple)) else "no"
            raise ValueError(
                f"{name}.load_state_dict: state for {n} parameters, "
                f"but this optimizer has {len(self.params)}"
            )
        for i, (p, s) in enumerate(zip(self.params, states)):
            if not isinstance(s, Mapping):
                raise ValueError(
                    f"{name}.load_state_dict: the state of parameter {i} is a "
                    f"{type(s).__name__}, not a dict"
                )
            for key, value in s.items():
                if key != "step" and np.shape(value) != np.shape(p.data):
                    raise ValueError(
                        f"{name}.load_state_dict: state {key!r} of parameter {i} "
                        f"has shape {np.shape(value)}, the parameter {np.shape(p.data)}"
                    )
        lr = check_range("lr", state_dict.get("lr", self.lr), 0.0, math.inf, False)
        settings = {k: state_dict.get(k, getattr(self, k)) for k in self.hyperparameters}
        checked = type(self)(self.params, lr=1.0, **settings)  # the constructor's own checks
        step_count = state_dict.get("step_count", 0)
        if not isinstance(step_count, numbers.Integral) or step_count < 0:
            raise ValueError(
                f"{name}.load_state_dict: step_count must be an int >= 0, got {step_count!r}"
            )
        self.lr = lr
        for k in self.hyperparameters:
            setattr(self, k, getattr(checked, k))
        self.step_count = int(step_count)
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
        self.momentum = check_range("momentum", momentum, 0.0, math.inf, True)
        self.weight_decay = check_range("weight_decay", weight_decay, 0.0, math.inf, True)
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
        return _descend(w, self._lr * g)


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
        self.alpha = check_range("alpha", alpha, 0.0, 1.0, True)  # 1.0: s stays 0, as torch
        self.eps = check_range("eps", eps, 0.0, math.inf, True)
        self.weight_decay = check_range("weight_decay", weight_decay, 0.0, math.inf, True)

    def update(self, w: Any, g: Any, state: dict[str, Any]) -> Any:
        """w - lr * g / (sqrt(running mean of g**2) + eps)."""
        g = self.regularize(w, g)
        s = self.alpha * _buffer(state, "square_avg", w) + (1 - self.alpha) * g * g
        state["square_avg"] = s
        return _descend(w, self.lr * g / (s**0.5 + self.eps))


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
        if isinstance(betas, (str, bytes)) or np.shape(betas) != (2,):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            check_range("beta1", betas[0], 0.0, 1.0, False),
            check_range("beta2", betas[1], 0.0, 1.0, False),
        )
        self.eps = check_range("eps", eps, 0.0, math.inf, True)
        self.weight_decay = check_range("weight_decay", weight_decay, 0.0, math.inf, True)

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
        return _descend(self.decay(w), self.lr * m_hat / (v_hat**0.5 + self.eps))

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
        return _descend(w, self.lr * self.weight_decay * w) if self.weight_decay else w
