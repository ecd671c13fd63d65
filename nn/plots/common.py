"""What the plots and the animations share: matplotlib imported on demand, closed figures,
points and model scores on a grid, and the bounds and paths of a loss surface.

Used by ``figures.py`` and ``animate.py``; nothing here is public.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from autograd import Node, no_grad

from ..metrics import to_numpy
from ..module import Module
from ..training.predict import predict


def pyplot_module() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "plots need matplotlib, which is not installed: pip install matplotlib "
            "(or pip install 'chainrule[plots]')"
        ) from exc
    return plt


def new_figure(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Any, Any]:
    plt = pyplot_module()
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, layout="constrained", **kwargs)
    plt.close(fig)  # displayed once when returned, never again by pyplot
    return fig, axes.ravel()


def check_points(X: Any) -> np.ndarray:
    X = np.asarray(X.data if isinstance(X, Node) else X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"plot_decision_boundary(): X must have shape (N, 2), got {X.shape}")
    return X


def class_color(k: int, n: int) -> Any:
    import matplotlib

    return matplotlib.colormaps["coolwarm"](k / max(n - 1, 1))


def model_scores(model: Callable, points: np.ndarray) -> np.ndarray:
    """The model's outputs on ``points`` as an (N, outputs) float array, without a graph."""
    out: Any
    if isinstance(model, Module) and model.parameters():
        out = predict(model, points)  # either engine, in eval mode
    else:
        with no_grad():
            if _takes_one_point(model):
                out = [to_numpy(model([float(a), float(b)])) for a, b in points]
            else:
                out = to_numpy(model(points))
    return np.asarray(out, dtype=np.float64).reshape(len(points), -1)


def _takes_one_point(model: Callable) -> bool:
    """True for a callable that handles one point at a time (it fails on a batch of 3, or
    does not give one output per row)."""
    try:
        out = to_numpy(model(np.zeros((3, 2))))
    except Exception:  # a scalar model refuses a batch, in whatever way it refuses it
        return True
    return np.ndim(out) == 0 or np.shape(out)[0] != 3


def named_paths(paths: Any, caller: str = "plot_loss_surface()") -> dict[str, list]:
    if paths is None:
        return {}
    if isinstance(paths, Mapping):
        named = {str(k): list(v) for k, v in paths.items()}
    else:
        named = {"gradient descent": list(paths)}
    for label, points in named.items():
        if not points:
            raise ValueError(f"{caller}: the path {label!r} has no points")
    return named


def dimensions(bounds: Any, paths: dict[str, list], caller: str = "plot_loss_surface()") -> int:
    if bounds is not None:
        first = bounds[0]
        return 1 if isinstance(first, (int, float, np.number)) else len(bounds)
    if paths:
        first = next(iter(paths.values()))[0]
        return 1 if isinstance(first, (int, float, np.number)) else len(first)
    raise ValueError(f"{caller}: give bounds (or paths to take the bounds from)")


def surface_bounds(
    bounds: Any, paths: dict[str, list], dims: int, caller: str = "plot_loss_surface()"
) -> list[tuple[float, float]]:
    if dims not in (1, 2):
        raise ValueError(f"{caller}: 1 or 2 parameters, got {dims}")
    if bounds is None:
        pts = np.concatenate(
            [np.asarray(p, dtype=np.float64).reshape(-1, dims) for p in paths.values()]
        )
        pts = pts[np.all(np.isfinite(pts), axis=1)]
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        margin = np.maximum(0.2 * (hi - lo), 0.5)
        return [(float(a), float(b)) for a, b in zip(lo - margin, hi + margin)]
    pairs = [bounds] if dims == 1 else list(bounds)
    result = []
    for pair in pairs:
        lo, hi = (float(v) for v in pair)
        if not lo < hi:
            raise ValueError(f"{caller}: bounds need lo < hi, got {pair!r}")
        result.append((lo, hi))
    return result


def loss_on_grid(loss_fn: Callable, grids: list[np.ndarray]) -> np.ndarray:
    """``loss_fn`` over arrays of parameter values: in one call if it takes arrays, else point by
    point (for losses written with Values)."""
    with no_grad(), np.errstate(all="ignore"):
        try:
            out = loss_fn(*grids)
            out = np.asarray(out.data if isinstance(out, Node) else out, dtype=np.float64)
            if out.shape == grids[0].shape:
                return out
        except (TypeError, ValueError):
            pass
        flat = [g.ravel() for g in grids]
        values = []
        for point in zip(*flat):
            v = loss_fn(*(float(x) for x in point))
            values.append(float(v.data if isinstance(v, Node) else v))
    return np.asarray(values).reshape(grids[0].shape)
