"""Pictures of convolutional networks: a layer's filters, the feature maps of one input through
every conv layer, and the sliding-kernel animation of one output channel being computed.

Like the other plots, each function returns a matplotlib ``Figure`` (closed in pyplot, shown
once as a cell's result) or a ``FuncAnimation`` (show it with ``HTML(animation_html(anim))``);
matplotlib is imported only when a picture is made.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Node, no_grad
from autograd.tensor import Tensor, conv2d

from ..conv import Conv2d
from ..layers import Sequential
from ..module import Module
from .common import new_figure, pyplot_module

__all__ = ["animate_convolution", "plot_feature_maps", "plot_filters"]


def _image(ax: Any, data: np.ndarray, cmap: str = "RdBu_r", limit: float | None = None) -> Any:
    """``data`` drawn as an image on ``ax`` without ticks; a diverging map centred on 0."""
    if cmap == "RdBu_r":
        if limit is None:
            limit = float(np.abs(data).max()) or 1.0
        shown = ax.imshow(data, cmap=cmap, vmin=-limit, vmax=limit)
    else:
        shown = ax.imshow(data, cmap=cmap)
    ax.set_xticks([])
    ax.set_yticks([])
    return shown


def _grid(count: int, columns: int) -> tuple[int, int]:
    columns = max(1, min(columns, count))
    return -(-count // columns), columns


def plot_filters(layer: Conv2d, columns: int = 8, in_channel: int | None = None) -> Any:
    """The kernels of a ``Conv2d`` layer, one small image per output channel (red positive, blue
    negative, one colour scale for all, so strong and weak filters compare). With several input
    channels each image is the kernel of ``in_channel``, or their mean when it is None."""
    if not isinstance(layer, Conv2d):
        raise TypeError(f"plot_filters(): needs an nn.Conv2d layer, got {type(layer).__name__}")
    w = np.asarray(layer.weight.data, dtype=np.float64)
    if in_channel is not None and not 0 <= in_channel < w.shape[1]:
        raise ValueError(f"plot_filters(): in_channel {in_channel} is not in [0, {w.shape[1]})")
    kernels = w.mean(axis=1) if in_channel is None else w[:, in_channel]
    rows, cols = _grid(len(kernels), columns)
    fig, axes = new_figure(rows, cols, figsize=(1.1 * cols + 0.8, 1.1 * rows + 0.4))
    limit = float(np.abs(kernels).max()) or 1.0
    shown = None
    for k, ax in enumerate(axes):
        if k < len(kernels):
            shown = _image(ax, kernels[k], limit=limit)
            ax.set_title(str(k), fontsize="small")
        else:
            ax.axis("off")
    fig.colorbar(shown, ax=list(axes), shrink=0.8)
    which = "mean over input channels" if in_channel is None else f"input channel {in_channel}"
    fig.suptitle(f"{layer.out_channels} filters {layer.kernel_size[0]}x{layer.kernel_size[1]}"
                 + (f" ({which})" if w.shape[1] > 1 else ""))  # fmt: skip
    return fig


def feature_maps(model: Module, x: Any, activation: bool = True) -> list[tuple[str, np.ndarray]]:
    """``(name, maps (C, H, W))`` for each ``Conv2d`` of the ``Sequential`` ``model`` run on the
    one input ``x`` (C, H, W) (or (1, C, H, W)): the output of the conv, or with ``activation``
    of the module right after it when that has no parameters (its ReLU)."""
    if not isinstance(model, Sequential):
        raise TypeError(f"feature maps need an nn.Sequential, got {type(model).__name__}")
    modules = list(model)
    h = np.asarray(x.data if isinstance(x, Node) else x, dtype=modules_dtype(model))
    if h.ndim == 3:
        h = h[None]
    if h.ndim != 4 or len(h) != 1:
        raise ValueError(f"feature maps of one input (C, H, W), got shape {h.shape}")
    found: list[tuple[str, np.ndarray]] = []
    was_training, out = model.training, Tensor(h)
    model.eval()
    try:
        with no_grad():
            for i, module in enumerate(modules):
                out = module(out)
                last = found[-1][0] if found else None
                if isinstance(module, Conv2d):
                    found.append((f"{i}:Conv2d", out.data[0].copy()))
                elif activation and last == f"{i - 1}:Conv2d" and not module.parameters():
                    found[-1] = (f"{i - 1}:Conv2d+{type(module).__name__}", out.data[0].copy())
    finally:
        model.train(was_training)
    if not found:
        raise ValueError("the model has no Conv2d layer: no feature maps to show")
    return found


def modules_dtype(model: Module) -> Any:
    """The dtype of the model's first parameter (float32 for a model without any)."""
    params = model.parameters()
    return params[0].data.dtype if params else np.float32


def plot_feature_maps(model: Module, x: Any, activation: bool = True, columns: int = 16) -> Any:
    """The input and, one band of rows per ``Conv2d`` layer of ``model``, its channels' feature
    maps for the one input ``x`` (C, H, W) (see :func:`feature_maps`): where each filter fires."""
    maps = feature_maps(model, x, activation)
    first = np.asarray(x.data if isinstance(x, Node) else x, dtype=np.float64)
    first = first.reshape(-1, *first.shape[-2:])[0]
    bands = [_grid(len(m), columns) for _, m in maps]
    rows = 1 + sum(r for r, _ in bands)
    cols = max(c for _, c in bands)
    fig, axes = new_figure(rows, cols, figsize=(0.9 * cols + 0.6, 0.95 * rows + 0.4))
    grid = np.asarray(axes).reshape(rows, cols)
    for ax in grid.ravel():
        ax.axis("off")
    grid[0, 0].axis("on")
    _image(grid[0, 0], first, cmap="gray_r")
    grid[0, 0].set_title("input", fontsize="small")
    row = 1
    for (name, m), (r, _) in zip(maps, bands):
        for k in range(len(m)):
            ax = grid[row + k // cols, k % cols]
            ax.axis("on")
            _image(ax, m[k], cmap="magma" if activation else "RdBu_r")
            if k == 0:
                ax.set_ylabel(name, fontsize="small")
        row += r
    fig.suptitle("feature maps, one image per channel")
    return fig


def animate_convolution(
    image: Any, kernel: Any, bias: float = 0.0, stride: int = 1, padding: int = 0,
    interval: int = 400, max_frames: int = 400,
) -> Any:  # fmt: skip
    """The kernel sliding over a 2-D ``image``, one output cell per frame: the window on the
    (padded) input, the kernel, and the output map filling in, titled with the cell's sum
    ``sum(window * kernel) + bias``. The output is the library's ``conv2d`` (PyTorch's
    cross-correlation). At most ``max_frames`` cells are animated (the first ones, row by row)."""
    x = np.asarray(image.data if isinstance(image, Node) else image, dtype=np.float64)
    w = np.asarray(kernel.data if isinstance(kernel, Node) else kernel, dtype=np.float64)
    if x.ndim != 2 or w.ndim != 2:
        raise ValueError(f"animate_convolution(): image and kernel must be 2-D, got shapes "
                         f"{x.shape} and {w.shape}")  # fmt: skip
    out = conv2d(Tensor(x[None, None]), Tensor(w[None, None]), Tensor(np.array([bias])),
                 stride, padding).data[0, 0]  # fmt: skip
    xp = np.pad(x, padding)
    kh, kw = w.shape
    cells = [(i, j) for i in range(out.shape[0]) for j in range(out.shape[1])][:max_frames]
    fig, (left, middle, right) = new_figure(1, 3, figsize=(9.5, 3.6))
    _image(left, xp, cmap="gray_r")
    left.set_title(f"input {x.shape[0]}x{x.shape[1]}" + (f", padding {padding}" if padding else ""))
    _image(middle, w)
    middle.set_title(f"kernel {kh}x{kw}")
    if kh * kw <= 25:
        for (a, b), v in np.ndenumerate(w):
            middle.text(b, a, f"{v:.2g}", ha="center", va="center", fontsize="small")
    limit = float(np.abs(out).max()) or 1.0
    shown = np.full(out.shape, np.nan)
    canvas = right.imshow(shown, cmap="RdBu_r", vmin=-limit, vmax=limit)
    right.set_xticks([])
    right.set_yticks([])
    plt = pyplot_module()
    window = plt.Rectangle((-0.5, -0.5), kw, kh, fill=False, edgecolor="tab:orange", lw=2.5)
    cell = plt.Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor="tab:orange", lw=2.5)
    left.add_patch(window)
    right.add_patch(cell)

    def update(k: int) -> list:
        i, j = cells[k]
        shown[i, j] = out[i, j]
        canvas.set_data(shown)
        window.set_xy((j * stride - 0.5, i * stride - 0.5))
        cell.set_xy((j - 0.5, i - 0.5))
        right.set_title(f"output[{i}, {j}] = sum(window * kernel) + b = {out[i, j]:.3g}",
                        fontsize="small")  # fmt: skip
        return [canvas, window, cell]

    update(0)
    from matplotlib import animation

    anim = animation.FuncAnimation(fig, update, frames=len(cells), interval=interval, blit=False)
    plt.close(fig)
    return anim
