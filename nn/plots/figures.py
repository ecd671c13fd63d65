"""Plots for watching training: loss and metric curves, decision boundaries, loss surfaces with
gradient-descent paths. Each function returns a matplotlib ``Figure``; the animations are in
``animate.py`` beside this file.

matplotlib is an optional dependency (``pip install chainrule[plots]``), imported only when a
plot is made. Figures are made with pyplot and then closed in pyplot, so a notebook displays a
returned figure once (as the cell's result) and scripts do not pile up open figures; save one
with ``fig.savefig(path)``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import numpy as np

from autograd import Value

from ..optim import SGD
from .common import (
    check_points,
    class_color,
    dimensions,
    loss_on_grid,
    model_scores,
    named_paths,
    new_figure,
    surface_bounds,
)

__all__ = [
    "gradient_descent_path",
    "plot_decision_boundary",
    "plot_history",
    "plot_loss_surface",
]


# ----------------------------------------------------------------------------- training history
def plot_history(
    history: Any, metrics: Sequence[str] | None = None, iterations: bool = False
) -> Any:
    """Loss and metrics per epoch, training and validation side by side: one panel per quantity.

    ``history`` is what ``fit`` returns (``.history`` maps 'loss', 'val_loss', 'accuracy',
    'val_accuracy', ... to one number per epoch; ``.epoch`` lists the epochs) or a plain dict of
    such lists. ``metrics`` picks the panels (default: every quantity, loss first);
    ``iterations=True`` adds a panel of the loss at every iteration (``.iteration_loss``).
    """
    series = getattr(history, "history", history)
    if not isinstance(series, Mapping) or not series:
        raise ValueError("plot_history(): the history holds no values (train for an epoch first)")
    names = [k for k in series if not k.startswith("val_")]
    names.sort(key=lambda k: k != "loss")
    if not names:
        raise ValueError(f"plot_history(): only validation values in the history: {list(series)}")
    if metrics is not None:
        missing = [m for m in metrics if m not in series]
        if missing:
            raise ValueError(f"plot_history(): no {missing} in the history, which has {names}")
        names = list(metrics)
    n_epochs = len(series[names[0]]) if names else 0
    epochs = list(getattr(history, "epoch", None) or range(1, n_epochs + 1))
    for key in [*names, *(f"val_{n}" for n in names if f"val_{n}" in series)]:
        if len(series[key]) != len(epochs):
            raise ValueError(
                f"plot_history(): {key!r} has {len(series[key])} values for {len(epochs)} epochs"
            )

    steps = list(getattr(history, "iteration_loss", None) or []) if iterations else []
    if iterations and not steps:
        raise ValueError("plot_history(iterations=True): the history has no iteration_loss")
    panels = len(names) + (1 if iterations else 0)
    ncols = min(panels, 3)
    nrows = math.ceil(panels / ncols)
    fig, axes = new_figure(nrows, ncols, figsize=(4.2 * ncols, 3.3 * nrows))
    marker = "o" if len(epochs) <= 30 else None
    for ax, name in zip(axes, names):
        ax.plot(epochs, series[name], marker=marker, label="train")
        if f"val_{name}" in series:
            ax.plot(
                epochs, series[f"val_{name}"], marker=marker, linestyle="--", label="validation"
            )
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.legend()
        ax.grid(alpha=0.3)
    if iterations:
        ax = axes[len(names)]
        ax.plot(range(1, len(steps) + 1), steps, linewidth=0.8)
        ax.set_title("loss per iteration")
        ax.set_xlabel("iteration")
        ax.set_ylabel("loss")
        ax.grid(alpha=0.3)
    for ax in axes[panels:]:
        fig.delaxes(ax)
    return fig


# --------------------------------------------------------------------------- decision boundary
def plot_decision_boundary(
    model: Callable,
    X: Any,
    y: Any,
    resolution: int = 100,
    padding: float = 0.5,
    threshold: float | None = None,
    title: str = "decision boundary",
) -> Any:
    """The regions a 2-D classifier assigns to each class, with the data points on top.

    ``model`` is a scalar model taking a list of 2 floats (``nn.MLP``: returns a Value, or a list
    of Values, one per class) or a tensor model taking an (N, 2) array (returns N scores or an
    (N, classes) array); plain callables of either kind work too. A model runs through
    ``nn.predict`` (``eval()`` mode, no graph). One output is a score compared with
    ``threshold`` (default: 0.5 when every score lies in [0, 1], i.e. probabilities, else 0);
    several outputs are compared with each other (argmax). The title gives the accuracy on
    ``(X, y)``.
    """
    X = check_points(X)
    y = np.asarray(y).reshape(-1)
    if len(y) != len(X):
        raise ValueError(f"plot_decision_boundary(): {len(X)} points but {len(y)} labels")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(
            f"plot_decision_boundary(): resolution must be an int >= 2, got {resolution!r}"
        )
    classes = np.unique(y)
    lo, hi = X.min(axis=0) - padding, X.max(axis=0) + padding
    xx, yy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    grid = np.column_stack([xx.ravel(), yy.ravel()])

    scores = model_scores(model, np.vstack([grid, X]))
    if scores.shape[1] == 1 and threshold is None:
        threshold = 0.5 if scores.min() >= 0 and scores.max() <= 1 else 0.0
    index = scores.argmax(axis=1) if scores.shape[1] > 1 else (scores[:, 0] > threshold) * 1
    labels = classes[np.minimum(index, len(classes) - 1)]
    accuracy = float(np.mean(labels[len(grid) :] == y))

    fig, (ax,) = new_figure(figsize=(5.5, 4.5))
    region = index[: len(grid)].reshape(xx.shape)
    n_regions = max(len(classes), scores.shape[1])
    levels = np.arange(n_regions + 1) - 0.5
    colors = [class_color(k, n_regions) for k in range(n_regions)]
    ax.contourf(xx, yy, region, levels=levels, colors=colors, alpha=0.3)
    if len(np.unique(region)) > 1:
        ax.contour(xx, yy, region, levels=levels[1:-1], colors="k", linewidths=1)
    for k, label in enumerate(classes):
        mine = y == label
        ax.scatter(
            *X[mine].T, s=18, color=colors[k], edgecolors="k", linewidths=0.5, label=str(label)
        )
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(f"{title} (accuracy {accuracy:.1%})")
    ax.legend(title="class", loc="best", fontsize="small")
    return fig


# ----------------------------------------------------------------- loss surface and descent
def gradient_descent_path(
    loss_fn: Callable,
    start: float | Sequence[float],
    lr: float = 0.1,
    steps: int = 20,
    optimizer: type = SGD,
    **options: Any,
) -> list:
    """The points visited by ``steps`` steps of an optimizer (``SGD`` by default; ``options`` go
    to it, e.g. ``momentum=0.9``) on a 1- or 2-parameter loss, starting at ``start``.

    ``loss_fn`` takes the parameters as Values (``loss_fn(w)`` or ``loss_fn(w1, w2)``) and
    returns a Value. Returns ``steps + 1`` points (floats, or (w1, w2) tuples), fewer if the
    descent diverges to inf or nan (then it stops at the first point that is not finite).
    """
    starts = [start] if isinstance(start, numbers.Real) else list(cast(Sequence[float], start))
    if len(starts) not in (1, 2):
        raise ValueError(f"gradient_descent_path(): start needs 1 or 2 numbers, got {start!r}")
    params = [Value(float(s), label=f"w{i + 1}") for i, s in enumerate(starts)]
    opt = optimizer(params, lr=lr, **options)
    path = [tuple(float(p.data) for p in params)]
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(*params)
        if not isinstance(loss, Value):
            raise TypeError(
                f"gradient_descent_path(): loss_fn must return a Value, got {type(loss).__name__}"
            )
        loss.backward()
        opt.step()
        point = tuple(float(p.data) for p in params)
        if not all(math.isfinite(v) for v in point):
            break
        path.append(point)
    return [p[0] for p in path] if len(starts) == 1 else path


def plot_loss_surface(
    loss_fn: Callable,
    bounds: Sequence[Any] | None = None,
    paths: Sequence[Any] | Mapping[str, Sequence[Any]] | None = None,
    resolution: int | None = None,
    title: str = "loss surface",
) -> Any:
    """The loss of a 1- or 2-parameter model over a range, with gradient-descent paths drawn on it.

    ``loss_fn(w)`` or ``loss_fn(w1, w2)`` returns a number (or a Value); it is called with
    floats, or with whole arrays if it accepts them. ``bounds`` is ``(lo, hi)`` for one
    parameter or ``((lo1, hi1), (lo2, hi2))`` for two (default: around the paths). ``paths`` is
    a list of points (e.g. from :func:`gradient_descent_path`) or ``{label: points}``. One
    parameter gives a curve; two give filled contours with a colorbar. Points beyond the bounds
    (a diverging descent) are marked "(leaves the plot)" in the legend.
    """
    paths = named_paths(paths)
    dims = dimensions(bounds, paths)
    bounds = surface_bounds(bounds, paths, dims)
    resolution = resolution or (400 if dims == 1 else 80)
    fig, (ax,) = new_figure(figsize=(5.5, 4.2))
    axes_ = [np.linspace(lo, hi, resolution) for lo, hi in bounds]
    if dims == 1:
        w = axes_[0]
        surface = loss_on_grid(loss_fn, [w])
        ax.plot(w, surface, color="0.3", label="loss")
        ax.set_xlabel("w")
        ax.set_ylabel("loss")
    else:
        w1, w2 = np.meshgrid(*axes_)
        surface = loss_on_grid(loss_fn, [w1, w2])
        filled = ax.contourf(w1, w2, surface, levels=30, cmap="viridis")
        ax.contour(w1, w2, surface, levels=15, colors="white", linewidths=0.4, alpha=0.6)
        fig.colorbar(filled, ax=ax, label="loss")
        ax.set_xlabel("w1")
        ax.set_ylabel("w2")
    for label, points in paths.items():
        pts = np.asarray(points, dtype=np.float64).reshape(len(points), dims)
        inside = np.all(
            [(pts[:, i] >= lo) & (pts[:, i] <= hi) for i, (lo, hi) in enumerate(bounds)]
        )
        if not inside:
            label += " (leaves the plot)"
        if dims == 1:
            heights = loss_on_grid(loss_fn, [pts[:, 0]])
            (line,) = ax.plot(pts[:, 0], heights, marker="o", markersize=4, label=label)
            ax.plot(pts[0, 0], heights[0], marker="s", color=line.get_color(), markersize=7)
        else:
            (line,) = ax.plot(pts[:, 0], pts[:, 1], marker="o", markersize=3, label=label)
            ax.plot(pts[0, 0], pts[0, 1], marker="s", color=line.get_color(), markersize=7)
    ax.set_xlim(*bounds[0])
    if dims == 1:
        finite = surface[np.isfinite(surface)]
        if finite.size:
            span = finite.max() - finite.min() or 1.0
            ax.set_ylim(finite.min() - 0.05 * span, finite.max() + 0.05 * span)
    else:
        ax.set_ylim(*bounds[1])
    ax.set_title(title)
    if paths:
        ax.legend(fontsize="small")
    return fig


