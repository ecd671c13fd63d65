"""What the playground trains, without any widget: the data of a :class:`Setup`, its input
features, the network (an ``nn.Sequential`` of the tensor engine) and :class:`Trainer`, which
trains it epoch by epoch with chainrule's own backprop (``nn.training.fit``'s eager step) and
reads back what the page draws: the losses, every neuron's output on a grid, the weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import no_grad
from autograd.tensor import Tensor

from .. import datasets
from ..layers import Dropout, Linear, ReLU, Sequential, Sigmoid, Tanh
from ..losses import binary_cross_entropy_with_logits, l2_penalty
from ..module import Module
from ..optim import SGD, Adam, Optimizer
from ..training.data import train_test_split
from ..training.fit import Step
from ..training.history import History
from ..training.predict import engine_of
from .config import Setup

__all__ = ["FINE_GRID", "GRID", "Trainer", "build_layers", "feature_matrix", "make_data"]

GRID = 40  # every neuron's map is drawn from a GRID x GRID grid of points
FINE_GRID = 100  # the decision boundary from a finer one

_FEATURES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1^2": lambda a, b: a * a,
    "x2^2": lambda a, b: b * b,
    "x1*x2": lambda a, b: a * b,
    "sin(x1)": lambda a, b: np.sin(a),
    "sin(x2)": lambda a, b: np.sin(b),
}
_ACTIVATIONS: dict[str, type[Module] | None] = {
    "tanh": Tanh, "relu": ReLU, "sigmoid": Sigmoid, "linear": None,
}


def make_data(setup: Setup) -> tuple[np.ndarray, np.ndarray]:
    """The ``setup.points`` points of its dataset (2-D, classes 0 and 1) with its noise."""
    n, noise, seed = setup.points, setup.noise, setup.seed
    if setup.dataset == "spirals":
        return datasets.spirals(n, n_classes=2, noise=noise, seed=seed)
    makers: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
        "moons": datasets.moons, "circles": datasets.circles,
        "xor": datasets.xor, "gaussians": datasets.gaussians,
    }
    return makers[setup.dataset](n, noise=noise, seed=seed)


def feature_matrix(X: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """The input features ``names`` (see ``config.FEATURES``) of the 2-D points ``X``, one
    column each, float32 (the layers' dtype)."""
    a, b = X[:, 0], X[:, 1]
    return np.column_stack([_FEATURES[name](a, b) for name in names]).astype(np.float32)


def build_layers(setup: Setup) -> list[list[Module]]:
    """The network, grouped by layer: each hidden layer is ``Linear`` then its activation
    (none for 'linear') then ``Dropout`` when ``setup.dropout``; the last group is the output
    ``Linear`` to one logit (class 1 where it is > 0). Weights drawn from ``setup.seed``."""
    sizes = [len(setup.features), *setup.hidden, 1]
    activation = _ACTIVATIONS[setup.activation]
    groups: list[list[Module]] = []
    for i in range(len(sizes) - 1):
        group: list[Module] = [Linear(sizes[i], sizes[i + 1], seed=setup.seed + i)]
        if i < len(sizes) - 2:
            if activation is not None:
                group.append(activation())
            if setup.dropout:
                group.append(Dropout(setup.dropout, seed=setup.seed + 100 + i))
        groups.append(group)
    return groups


class Trainer:
    """The data, the model and its training for one :class:`Setup`.

    ``model``: the ``nn.Sequential``; ``history``: an ``nn.History`` with ``loss`` and
    ``val_loss`` (and accuracies) for every epoch, epoch 0 being the untrained network;
    ``epoch`` and ``iteration`` count what ``step`` did. The learning rate, the batch size and
    the regularization can change between steps (:meth:`retune`); anything else needs a new
    Trainer.
    """

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        X, y = make_data(setup)
        n_val = setup.points - setup.n_train
        self.X_train, self.X_val, y_train, y_val = train_test_split(
            X, y, test_size=n_val, seed=setup.seed
        )
        self.y_train, self.y_val = np.asarray(y_train), np.asarray(y_val)
        self.F_train = feature_matrix(self.X_train, setup.features)
        self.F_val = feature_matrix(self.X_val, setup.features)
        self.t_train = self.y_train.astype(np.float32)[:, None]  # the loss's targets
        self.t_val = self.y_val.astype(np.float32)[:, None]
        self.layers = build_layers(setup)
        self.model = Sequential(*[m for group in self.layers for m in group])
        self.weights = [group[0].weight for group in self.layers if isinstance(group[0], Linear)]
        self.optimizer = self._optimizer()
        self.train_step = Step(engine_of(self.model), self.model, self._loss, self.optimizer)
        self.rng = np.random.default_rng(setup.seed)
        self.history = History()
        self.history.params = {"batch_size": setup.batch_size, "samples": len(self.F_train)}
        self.epoch = 0
        self.iteration = 0
        self.diverged: str | None = None  # why training stopped, when a loss was not finite
        lo, hi = X.min(axis=0), X.max(axis=0)
        pad = 0.1 * (hi - lo).max()
        self.extent = (lo[0] - pad, hi[0] + pad, lo[1] - pad, hi[1] + pad)  # x0, x1, y0, y1
        self.grid = self._grid(GRID)  # the neurons' maps
        self.fine_grid = self._grid(FINE_GRID)  # the decision boundary
        self._record()

    def _grid(self, n: int) -> np.ndarray:
        """The features of an ``n`` x ``n`` grid over ``extent``, row by row from the top."""
        xs = np.linspace(self.extent[0], self.extent[1], n)
        ys = np.linspace(self.extent[3], self.extent[2], n)  # top row first, as an image
        gx, gy = np.meshgrid(xs, ys)
        return feature_matrix(np.column_stack([gx.ravel(), gy.ravel()]), self.setup.features)

    # ------------------------------------------------------------------------ training
    def _optimizer(self) -> Optimizer:
        params = self.model.parameters()
        if self.setup.optimizer == "adam":
            return Adam(params, lr=self.setup.lr)
        return SGD(params, lr=self.setup.lr)

    def _loss(self, out: Any, target: Any) -> Any:
        """The batch's cross-entropy plus the regularization term of the weights."""
        loss: Any = binary_cross_entropy_with_logits(out, target)
        setup = self.setup
        if setup.regularization == "none" or setup.reg_rate == 0:
            return loss
        penalty: Any
        if setup.regularization == "l2":
            penalty = l2_penalty(self.weights)
        else:
            penalty = self.weights[0].abs().sum()
            for w in self.weights[1:]:
                penalty = penalty + w.abs().sum()
        return loss + setup.reg_rate * penalty

    def retune(self, setup: Setup) -> None:
        """Take the learning rate, batch size and regularization of ``setup`` (which must
        differ from the current one in those fields only) without restarting."""
        changed = [k for k in vars(setup) if getattr(setup, k) != getattr(self.setup, k)]
        if not set(changed) <= {"lr", "batch_size", "regularization", "reg_rate"}:
            raise ValueError(f"retune changes lr, batch, reg and reg_rate only, not {changed}")
        self.setup = setup
        self.optimizer.lr = setup.lr
        self.history.params["batch_size"] = setup.batch_size

    def step(self, epochs: int = 1) -> None:
        """Train ``epochs`` epochs (each a pass over the shuffled training points in batches),
        recording the losses after each. Stops early, with ``diverged`` set, at a loss that
        is not finite (that update is not made)."""
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 0:
            raise ValueError(f"step(n): n is a number of epochs >= 0, got {epochs!r}")
        for _ in range(epochs):
            if self.diverged:
                return
            # a diverging run overflows on its way to the non-finite loss _check stops at
            with np.errstate(over="ignore", invalid="ignore"):
                self._epoch()
                self._record()

    def _epoch(self) -> None:
        order = self.rng.permutation(len(self.F_train))
        size = self.setup.batch_size
        for start in range(0, len(order), size):
            rows = order[start : start + size]
            try:
                self.train_step(self.F_train[rows], self.t_train[rows], self._check)
            except _StopError:  # the check refused the update: training stops here
                return
            self.iteration += 1
        self.epoch += 1

    def _check(self, value: float, params: list) -> None:
        """Before an update: a loss or gradient that is not finite stops training."""
        bad = not math.isfinite(value) or any(
            p.grad is not None and not np.isfinite(p.grad).all() for p in params
        )
        if bad:
            self.diverged = (
                f"training diverged at epoch {self.epoch + 1}, iteration {self.iteration + 1} "
                f"(loss {value:.3g}): lower the learning rate and press Reset"
            )
            raise _StopError()

    # ------------------------------------------------------------------------- reading
    def _record(self) -> None:
        logs = {}
        for name, F, t in (("", self.F_train, self.t_train), ("val_", self.F_val, self.t_val)):
            logits = self.logits(F)
            with no_grad():
                loss = binary_cross_entropy_with_logits(Tensor(logits), t)
            logs[f"{name}loss"] = float(loss.data)
            logs[f"{name}accuracy"] = float(((logits > 0) == (t > 0.5)).mean())
        self.history.record(self.epoch, logs)

    def logits(self, F: np.ndarray) -> np.ndarray:
        """The network's logits for the feature rows ``F`` (eval mode, no graph)."""
        return self.outputs(F)[-1]

    def outputs(self, F: np.ndarray) -> list[np.ndarray]:
        """Every layer's output for the feature rows ``F``: the inputs, each hidden layer
        (after its activation) and the output logits; eval mode, no graph."""
        was_training = self.model.training
        self.model.eval()
        try:  # (a diverged network's outputs overflow: they are drawn as they are)
            with no_grad(), np.errstate(over="ignore", invalid="ignore"):
                x = Tensor(F)
                outs = [F]
                for group in self.layers:
                    for module in group:
                        x = module(x)
                    outs.append(x.data)
        finally:
            self.model.train(was_training)
        return outs

    def maps(self) -> list[np.ndarray]:
        """Each layer's output on the grid, as arrays ``(units, GRID, GRID)`` (top row first);
        the last one is the probability of class 1 (the decision boundary)."""
        outs = self.outputs(self.grid)
        maps = [o.T.reshape(-1, GRID, GRID) for o in outs]
        maps[-1] = _sigmoid(maps[-1])
        return maps

    def boundary(self) -> np.ndarray:
        """The probability of class 1 on the ``FINE_GRID`` x ``FINE_GRID`` grid (top row
        first): the decision boundary as the page draws it."""
        return _sigmoid(self.logits(self.fine_grid).reshape(FINE_GRID, FINE_GRID))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):  # nan stays nan (a diverged network's)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


class _StopError(Exception):
    """Raised before an update to leave it out (see ``Trainer._check``)."""

