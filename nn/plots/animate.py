"""Moving pictures of training: gradient descent growing step by step on a loss surface.

Every function returns a :class:`matplotlib.animation.FuncAnimation` whose figure is already
closed (no stray static image in a notebook). Show one in a notebook with
``IPython.display.HTML(animation_html(anim))``: matplotlib's JavaScript player (no ffmpeg
needed) made self-contained, with no stylesheet fetched from the network.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..training.callbacks import Callback
from .common import (
    check_points,
    class_color,
    dimensions,
    loss_on_grid,
    model_scores,
    named_paths,
    new_figure,
    pyplot_module,
    surface_bounds,
)

__all__ = ["BoundaryRecorder", "animate_decision_boundary", "animate_descent", "animation_html"]


def animate_descent(
    loss_fn: Callable,
    paths: Sequence[Any] | Mapping[str, Sequence[Any]],
    bounds: Sequence[Any] | None = None,
    resolution: int | None = None,
    interval: int = 200,
    title: str = "gradient descent",
) -> Any:
    """The loss surface of a 1- or 2-parameter model with each path growing one step per frame.

    ``loss_fn``, ``bounds`` and ``paths`` are as in :func:`nn.plots.plot_loss_surface` (paths
    e.g. from :func:`nn.plots.gradient_descent_path`). There are as many frames as the longest
    path has points; ``interval`` is the delay between frames in milliseconds. Returns a
    ``FuncAnimation``; in a notebook: ``HTML(animation_html(anim))``.
    """
    if paths is None:
        raise ValueError("animate_descent(): paths is required (points or {label: points})")
    named = named_paths(paths, "animate_descent()")
    if not named:
        raise ValueError("animate_descent(): no paths given")
    dims = dimensions(bounds, named, "animate_descent()")
    box = surface_bounds(bounds, named, dims, "animate_descent()")
    arrays = {}
    for label, points in named.items():
        pts = np.asarray(points, dtype=np.float64)
        if pts.size != len(points) * dims:
            raise ValueError(
                f"animate_descent(): the path {label!r} has points of the wrong dimension "
                f"(expected {dims} number(s) per point)"
            )
        arrays[label] = pts.reshape(len(points), dims)
    resolution = resolution or (400 if dims == 1 else 80)
    fig, (ax,) = new_figure(figsize=(5.5, 4.2))
    grid = [np.linspace(lo, hi, resolution) for lo, hi in box]
    lines = {}
    if dims == 1:
        ax.plot(grid[0], loss_on_grid(loss_fn, [grid[0]]), color="0.3", label="loss")
        ax.set_xlabel("w")
        ax.set_ylabel("loss")
        heights = {k: loss_on_grid(loss_fn, [p[:, 0]]) for k, p in arrays.items()}
    else:
        w1, w2 = np.meshgrid(*grid)
        filled = ax.contourf(w1, w2, loss_on_grid(loss_fn, [w1, w2]), levels=30, cmap="viridis")
        fig.colorbar(filled, ax=ax, label="loss")
        ax.set_xlabel("w1")
        ax.set_ylabel("w2")
    for label in arrays:
        (lines[label],) = ax.plot([], [], marker="o", markersize=4, label=label)
    ax.set_xlim(*box[0])
    if dims == 2:
        ax.set_ylim(*box[1])
    ax.legend(loc="upper right", fontsize="small")
    frames = max(len(p) for p in arrays.values())

    def update(k: int) -> list:
        for label, pts in arrays.items():
            n = min(k + 1, len(pts))
            ys = heights[label][:n] if dims == 1 else pts[:n, 1]
            lines[label].set_data(pts[:n, 0], ys)
        ax.set_title(f"{title}: step {k}")
        return list(lines.values())

    update(0)
    from matplotlib import animation

    anim = animation.FuncAnimation(fig, update, frames=frames, interval=interval, blit=False)
    pyplot_module().close(fig)
    return anim


class BoundaryRecorder(Callback):
    """A ``fit(..., callbacks=[...])`` callback storing a 2-D classifier's class regions on a
    fixed ``resolution`` x ``resolution`` grid around ``X`` after every epoch (the regions, not
    the model). Pass it to :func:`animate_decision_boundary`."""

    def __init__(self, X: Any, resolution: int = 100, padding: float = 0.5) -> None:
        X = check_points(X)
        lo, hi = X.min(axis=0) - padding, X.max(axis=0) + padding
        self.xx, self.yy = np.meshgrid(
            np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
        )
        self.regions: list[np.ndarray] = []
        self.epochs: list[int] = []
        self.model: Any = None
        self.history: Any = None
        self.stop_training = False
        self.stop_reason: str | None = None

    def record(self, model: Callable, epoch: int) -> None:
        """Store ``model``'s predicted class on the grid, labelled ``epoch``."""
        scores = model_scores(model, np.column_stack([self.xx.ravel(), self.yy.ravel()]))
        if scores.shape[1] > 1:
            index = scores.argmax(axis=1)
        else:
            cut = 0.5 if scores.min() >= 0 and scores.max() <= 1 else 0.0
            index = (scores[:, 0] > cut) * 1
        self.regions.append(index.reshape(self.xx.shape))
        self.epochs.append(epoch)

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        """Record the regions of ``self.model`` (set by ``fit``)."""
        self.record(self.model, epoch)


def animate_decision_boundary(
    recorder: BoundaryRecorder, X: Any, y: Any, interval: int = 300
) -> Any:
    """The class regions recorded by ``recorder`` (one frame per recorded epoch, filled with
    ``contourf``), with the points ``(X, y)`` on top and "epoch k" in the title. Returns a
    ``FuncAnimation``; in a notebook: ``HTML(animation_html(anim))``."""
    from matplotlib import animation

    if not isinstance(recorder, BoundaryRecorder):
        raise TypeError("animate_decision_boundary(): recorder must be a BoundaryRecorder")
    if not recorder.regions:
        raise ValueError("animate_decision_boundary(): the recorder has no snapshots")
    X = check_points(X)
    y = np.asarray(y).reshape(-1)
    if len(y) != len(X):
        raise ValueError(f"animate_decision_boundary(): {len(X)} points but {len(y)} labels")
    classes = np.unique(y)
    n = max(len(classes), max(int(r.max()) for r in recorder.regions) + 1)
    colors = [class_color(k, n) for k in range(n)]
    levels = np.arange(n + 1) - 0.5
    fig, (ax,) = new_figure(figsize=(5.5, 4.5))

    def update(k: int) -> list:
        ax.clear()
        ax.contourf(
            recorder.xx, recorder.yy, recorder.regions[k], levels=levels, colors=colors, alpha=0.3
        )
        for j, label in enumerate(classes):
            ax.scatter(*X[y == label].T, s=18, color=colors[j], edgecolors="k", linewidths=0.5)
        ax.set_title(f"decision boundary: epoch {recorder.epochs[k]}")
        return []

    update(0)
    anim = animation.FuncAnimation(
        fig, update, frames=len(recorder.regions), interval=interval, blit=False
    )
    pyplot_module().close(fig)
    return anim


# matplotlib's player draws its buttons with Font Awesome icons fetched from a CDN; these
# Unicode symbols stand in for them, so the page works offline (a classroom, a docs site).
_ICONS = {
    "fa-minus": "\u2212", "fa-fast-backward": "\u23ee", "fa-step-backward": "\u23f4\u2223",
    "fa-play fa-flip-horizontal": "\u25c0", "fa-pause": "\u23f8", "fa-play": "\u25b6",
    "fa-step-forward": "\u2223\u23f5", "fa-fast-forward": "\u23ed", "fa-plus": "+",
}


def animation_html(anim: Any) -> str:
    """``anim.to_jshtml()`` with no network request: a self-contained HTML player.

    matplotlib's player links a Font Awesome stylesheet on a CDN for its button icons; this
    drops the link and writes each icon as a Unicode symbol, so the player works offline and
    in pages that must not load anything from elsewhere. In a notebook:
    ``IPython.display.HTML(animation_html(anim))``.
    """
    if not hasattr(anim, "to_jshtml"):
        raise TypeError(
            f"animation_html(): expected a matplotlib Animation, got {type(anim).__name__}"
        )
    html = re.sub(r'<link rel="stylesheet"\s+href="https?://[^"]*"\s*/?>', "", anim.to_jshtml())

    def icon(match: re.Match) -> str:
        return _ICONS.get(match.group(1), "")

    return re.sub(r'<i class="fa (fa-[a-z-]+(?: fa-[a-z-]+)*)"></i>', icon, html)
