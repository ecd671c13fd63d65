"""Hyperparameter search on validation data: ``grid_search``, ``random_search``, ``SearchResult``.

Each configuration is built with ``build(**params)`` (which returns ``(model, optimizer)``),
trained with ``fit`` from the same ``seed`` and scored on the validation data; the test set
never enters (there is no argument for it: evaluate the winner once, at the end, with
``nn.evaluate``). ``batch_size`` and ``epochs`` in the grid go to ``fit``, everything else to
``build``. A configuration whose loss goes nan/inf is a row marked ``diverged``, sorted last; one
with ``lr=0`` is a row like any other (its weights stay put).
"""

from __future__ import annotations

import inspect
import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

import numpy as np

from .. import losses
from ..layers import manual_seed
from ..module import Module
from ..optim import Optimizer
from .callbacks import Callback
from .fit import DivergenceError, fit
from .history import History

__all__ = ["SearchResult", "grid_search", "random_search"]

_FIT_PARAMS = ("batch_size", "epochs")


class _Snapshot(Callback):
    """Keeps the ``state_dict`` of the best epoch of ``monitor`` (``mode`` 'min' or 'max')."""

    def __init__(self, monitor: str, mode: str) -> None:
        self.monitor, self.mode = monitor, mode
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.weights: dict[str, np.ndarray] | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if self.monitor not in logs:
            raise KeyError(f"monitor {self.monitor!r} is not in the logs {sorted(logs)}")
        value = float(logs[self.monitor])
        if not math.isfinite(value):
            return
        better = self.best is None or (
            value < self.best if self.mode == "min" else value > self.best
        )
        if better:
            self.best, self.best_epoch, self.weights = value, epoch, self.model.state_dict()


class SearchResult:
    """The rows of a search, best first by ``monitor``; diverged configurations last.

    ``rows``: dicts with the parameters, the validation figures at the best epoch
    (``best_val_loss``, ``best_val_accuracy``...), ``best_epoch``, the final ones
    (``final_val_loss``...), ``seconds`` and ``diverged``.
    ``best_params``, ``best_model`` (holding its best-epoch weights), ``best_history``.
    ``repr`` is a text table, ``_repr_html_`` an HTML one; ``plot()`` draws the scores.
    """

    def __init__(
        self,
        rows: list[dict[str, Any]],
        names: list[str],
        monitor: str,
        mode: str,
        models: list[Module],
        histories: list[History],
    ) -> None:
        sign = 1.0 if mode == "min" else -1.0
        key = f"best_{monitor}"

        def order(i: int) -> tuple:
            v = rows[i][key]
            if rows[i]["diverged"] or v is None or not math.isfinite(v):
                return (True, 0.0, i)
            return (False, sign * v, i)

        idx = sorted(range(len(rows)), key=order)
        self.rows = [rows[i] for i in idx]
        self._models = [models[i] for i in idx]
        self._histories = [histories[i] for i in idx]
        self.names, self.monitor, self.mode = names, monitor, mode

    @property
    def best_params(self) -> dict[str, Any]:
        """The parameters of the best configuration."""
        return {n: self.rows[0][n] for n in self.names}

    @property
    def best_model(self) -> Module:
        """The best configuration's trained model, with the weights of its best epoch."""
        return self._models[0]

    @property
    def best_history(self) -> History:
        """The ``History`` of the best configuration."""
        return self._histories[0]

    def to_records(self) -> list[dict[str, Any]]:
        """The rows as a list of dicts (copies)."""
        return [dict(r) for r in self.rows]

    def _columns(self) -> list[str]:
        return list(self.rows[0]) if self.rows else list(self.names)

    @staticmethod
    def _cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        return "-" if v is None else str(v)

    def __repr__(self) -> str:
        cols = self._columns()
        cells = [[self._cell(r[c]) for c in cols] for r in self.rows]
        widths = [max([len(c), *(len(row[j]) for row in cells)]) for j, c in enumerate(cols)]
        lines = ["  ".join(c.rjust(w) for c, w in zip(cols, widths))]
        lines += ["  ".join(x.rjust(w) for x, w in zip(row, widths)) for row in cells]
        return f"SearchResult ({len(self.rows)} configurations, by {self.monitor})\n" + "\n".join(
            lines
        )

    def _repr_html_(self) -> str:
        cols = self._columns()
        head = "".join(f"<th>{escape(c)}</th>" for c in cols)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(self._cell(r[c]))}</td>" for c in cols) + "</tr>"
            for r in self.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def plot(self) -> Any:
        """A matplotlib Figure of ``best_<monitor>``: a line for one varied parameter, a
        heatmap for two, one panel per parameter otherwise (needs matplotlib)."""
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            raise ImportError(
                "SearchResult.plot needs matplotlib: pip install chainrule[plots]"
            ) from None
        key = f"best_{self.monitor}"
        rows = [r for r in self.rows if not r["diverged"]]
        varied = [n for n in self.names if len({repr(r[n]) for r in self.rows}) > 1] or self.names
        if len(varied) == 2:
            a, b = varied
            xs, ys = _axis([r[a] for r in rows]), _axis([r[b] for r in rows])
            grid = np.full((len(ys), len(xs)), np.nan)
            for r in rows:
                grid[ys.index(repr(r[b])), xs.index(repr(r[a]))] = r[key]
            fig, ax = plt.subplots()
            im = ax.imshow(grid, origin="lower", aspect="auto")
            ax.set_xticks(range(len(xs)), xs)
            ax.set_yticks(range(len(ys)), ys)
            ax.set_xlabel(a)
            ax.set_ylabel(b)
            fig.colorbar(im, ax=ax, label=key)
            return fig
        fig, axes = plt.subplots(1, len(varied), squeeze=False, figsize=(4 * len(varied), 3))
        for ax, name in zip(axes[0], varied):
            pts = sorted(((r[name], r[key]) for r in rows), key=lambda t: repr(t[0]))
            numeric = all(isinstance(p[0], (int, float)) for p in pts)
            if numeric:
                pts.sort()
            xs = [p[0] if numeric else repr(p[0]) for p in pts]
            ax.plot(xs, [p[1] for p in pts], "o-" if len(varied) == 1 else "o")
            ax.set_xlabel(name)
            ax.set_ylabel(key)
        return fig


def _axis(values: list[Any]) -> list[str]:
    """The distinct values of one parameter as tick labels, in numeric order when all are
    numbers (16, 64, 256; 1e-05 before 0.3), else in the order of their ``repr``."""
    distinct = {repr(v): v for v in values}
    vals = distinct.values()
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)
    return sorted(distinct, key=(lambda k: distinct[k]) if numeric else None)


def _check_space(space: Any, what: str) -> dict[str, Any]:
    if not isinstance(space, Mapping) or not space:
        raise ValueError(f"{what} must be a non-empty dict of name -> values, got {space!r}")
    for name, values in space.items():
        if not isinstance(name, str):
            raise TypeError(f"{what} keys must be parameter names (str), got {name!r}")
        if what == "distributions" and callable(values):
            continue
        if isinstance(values, np.ndarray) and values.ndim != 1:
            raise ValueError(
                f"{what}[{name!r}] must be a 1-d array of values, got shape {values.shape}"
            )
        if isinstance(values, (str, bytes, Mapping)) or not isinstance(
            values, (Sequence, np.ndarray)
        ):
            raise TypeError(
                f"{what}[{name!r}] must be a list, tuple, range or 1-d array of values, "
                f"got {values!r}"
            )
        if len(values) == 0:
            raise ValueError(f"{what}[{name!r}] is empty")
    return {
        name: values if callable(values) else [_plain(v) for v in values]
        for name, values in space.items()
    }


def _plain(v: Any) -> Any:
    """A NumPy scalar as the Python number it holds (shown and passed on as such)."""
    return v.item() if isinstance(v, np.generic) else v


def _run(
    build: Callable[..., Any],
    configs: list[dict[str, Any]],
    X: Any,
    y: Any,
    validation_data: tuple[Any, Any] | None,
    loss: Callable,
    epochs: int,
    metrics: Sequence[Any],
    callbacks: Sequence[Callback] | None,
    seed: int,
    monitor: str,
    mode: str,
    progress: bool,
) -> SearchResult:
    if not callable(build):
        raise TypeError(
            f"build must be a function build(**params) -> (model, optimizer), got {build!r}"
        )
    if validation_data is None:
        raise ValueError("a search needs validation_data=(X_val, y_val); keep the test set out")
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    names = list(configs[0])
    if mode == "auto":
        mode = "max" if "acc" in monitor else "min"
    metric_names = [m if isinstance(m, str) else m.__name__ for m in metrics]
    known = {"loss", "val_loss", *metric_names, *(f"val_{m}" for m in metric_names)}
    if monitor not in known:
        raise ValueError(f"unknown monitor {monitor!r}; choose one of {sorted(known)}")
    takes_seed = "seed" in inspect.signature(build).parameters
    rows, models, histories = [], [], []
    for i, params in enumerate(configs):
        build_params = {k: v for k, v in params.items() if k not in _FIT_PARAMS}
        if takes_seed and "seed" not in build_params:
            build_params["seed"] = seed
        manual_seed(seed)  # layers built without their own seed start alike in every run
        built = build(**build_params)
        if (
            not isinstance(built, tuple)
            or len(built) != 2
            or not isinstance(built[0], Module)
            or not isinstance(built[1], Optimizer)
        ):
            raise TypeError(f"build must return (model, optimizer), got {built!r} for {params}")
        model, opt = built
        snap = _Snapshot(monitor, mode)
        start = time.perf_counter()
        diverged = False
        try:
            history = fit(
                model,
                X,
                y,
                loss,
                opt,
                epochs=params.get("epochs", epochs),
                batch_size=params.get("batch_size", 32),
                validation_data=validation_data,
                metrics=metrics,
                progress=False,
                seed=seed,
                callbacks=[snap, *(callbacks or ())],
            )
        except DivergenceError as e:
            history, diverged = e.history, True
        seconds = time.perf_counter() - start
        if snap.weights is not None:
            model.load_state_dict(snap.weights)
            history.best_epoch = snap.best_epoch
        final = {f"final_{k}": v[-1] for k, v in history.history.items() if k.startswith("val_")}
        if any(not math.isfinite(v) for v in final.values()):
            diverged = True
        vals = {k: v for k, v in history.history.items() if k.startswith("val_")}
        b = snap.best_epoch
        at_best = {f"best_{k}": None if b is None else v[b - 1] for k, v in vals.items()}
        rows.append(
            {
                **params,
                **at_best,
                f"best_{monitor}": snap.best,
                "best_epoch": snap.best_epoch,
                **final,
                "seconds": seconds,
                "diverged": diverged,
            }
        )
        models.append(model)
        histories.append(history)
        if progress:
            print(f"[{i + 1}/{len(configs)}] {params} best {monitor}={snap.best}")
    return SearchResult(rows, names, monitor, mode, models, histories)


def grid_search(
    build: Callable[..., tuple[Module, Optimizer]],
    param_grid: Mapping[str, Sequence[Any]],
    X: Any,
    y: Any,
    validation_data: tuple[Any, Any],
    loss: Callable = losses.cross_entropy,
    epochs: int = 10,
    metrics: Sequence[Any] = ("accuracy",),
    callbacks: Sequence[Callback] | None = None,
    seed: int = 0,
    monitor: str = "val_loss",
    mode: str = "auto",
    progress: bool = False,
) -> SearchResult:
    """Train one model per point of the cartesian product of ``param_grid`` (name -> values:
    a list, tuple, ``range`` or 1-d NumPy array; NumPy numbers are passed on as Python ones).

    ``build(**params)`` returns ``(model, optimizer)`` (it also gets ``seed`` when it takes
    one), after ``nn.manual_seed(seed)`` so every configuration starts from the same draws;
    ``batch_size``/``epochs`` in the grid go to ``fit``. ``validation_data`` is required
    and is what the configurations are compared on (``monitor``, 'min'/'max'/'auto' as in
    ``EarlyStopping``). Every run uses ``fit(seed=seed)``, so the shuffling is alike.
    """
    space = _check_space(param_grid, "param_grid")
    configs = [dict(zip(space, combo)) for combo in itertools.product(*space.values())]
    fit_args = (validation_data, loss, epochs, metrics, callbacks, seed, monitor, mode, progress)
    return _run(build, configs, X, y, *fit_args)


def random_search(
    build: Callable[..., tuple[Module, Optimizer]],
    distributions: Mapping[str, Any],
    X: Any,
    y: Any,
    n_iter: int = 10,
    validation_data: tuple[Any, Any] | None = None,
    loss: Callable = losses.cross_entropy,
    epochs: int = 10,
    metrics: Sequence[Any] = ("accuracy",),
    callbacks: Sequence[Callback] | None = None,
    seed: int = 0,
    monitor: str = "val_loss",
    mode: str = "auto",
    progress: bool = False,
) -> SearchResult:
    """Train ``n_iter`` configurations drawn from ``distributions``: a list is sampled
    uniformly, a callable is called with a ``numpy.random.Generator`` (e.g.
    ``lambda g: 10 ** g.uniform(-4, -1)`` for a log-uniform learning rate). The draws come
    from ``default_rng(seed)``, so a seed gives the same configurations. Otherwise as
    :func:`grid_search` (``validation_data`` required).
    """
    space = _check_space(distributions, "distributions")
    if not isinstance(n_iter, (int, np.integer)) or isinstance(n_iter, bool) or n_iter < 1:
        raise ValueError(f"n_iter must be an int >= 1, got {n_iter!r}")
    rng = np.random.default_rng(seed)

    def draw(v: Any) -> Any:
        if callable(v):
            return v(rng)
        return v[int(rng.integers(len(v)))]

    configs = [{k: draw(v) for k, v in space.items()} for _ in range(n_iter)]
    fit_args = (validation_data, loss, epochs, metrics, callbacks, seed, monitor, mode, progress)
    return _run(build, configs, X, y, *fit_args)
