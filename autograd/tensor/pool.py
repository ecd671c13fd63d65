"""Pooling on NCHW tensors: ``max_pool2d`` and ``avg_pool2d`` (PyTorch's), on the windows of
``conv.py``. Each op's forward and its rule stand side by side (conventions: see ``ops.py``).

Max pooling walks the kernel positions (kh*kw strided views, never the pixels), keeping each
window's maximum and which position gave it (PyTorch's choice at ties: the first); its rule
sends the upstream gradient there. Under ``create_graph`` that is the engine's ``index_add``,
whose own rule is indexing, so higher orders work. Average pooling is a depthwise convolution
with a constant kernel, through the convolution's input-gradient op.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Function
from ..math import select_by_multiply
from .conv import ConvInputGrad, ConvSpec, batched, call, convolve, fits, offsets, padded, pair
from .tensor import Tensor, as_tensors

__all__ = ["avg_pool2d", "max_pool2d"]


class MaxPool2d(Function):
    """The maximum of each window (padding counts as -inf), found one kernel position at a time;
    the gradient goes to the first maximum of each window (PyTorch's choice at ties), added up
    where windows overlap. The forward keeps which kernel position won (``arg``)."""

    name = "max_pool2d"

    def __init__(self, spec: ConvSpec) -> None:
        self.spec = spec
        (k0, k1), (s0, s1), (d0, d1) = spec.kernel, spec.stride, spec.dilation
        self.overlap = s0 < d0 * (k0 - 1) + 1 or s1 < d1 * (k1 - 1) + 1
        self.arg: np.ndarray | None = None

    def forward(self, F: Any, x: np.ndarray) -> np.ndarray:
        xp = padded(x, self.spec.padding, -np.inf)
        (_, _, rows, cols), *rest = offsets(self.spec)
        best = xp[:, :, rows, cols].copy(order="K")  # the layout of x (NHWC stays NHWC)
        arg = np.zeros_like(best, np.uint8 if len(rest) < 255 else np.int32)  # best's layout
        step = np.empty_like(arg)
        for k, (_, _, rows, cols) in enumerate(rest, 1):
            part = xp[:, :, rows, cols]
            # arg = where(part > best, k, arg) by arithmetic (arg < k; a select's branches
            # measured 30x slower on random masks); strictly greater keeps the first maximum
            np.subtract(arg.dtype.type(k), arg, out=step)
            step *= part > best
            arg += step
            np.maximum(best, part, out=best)
        self.arg = arg
        return best

    def backward(self, F: Any, g: Any, out: Any, x: Any) -> tuple:
        arg = self.arg
        if arg is None:
            raise RuntimeError("max_pool2d: backward before forward")
        if type(g) is np.ndarray:  # first order: each kernel position's winners, in place
            (ph, pw), (h, w) = self.spec.padding, self.spec.size
            dx = padded(np.zeros_like(x, g.dtype), self.spec.padding)  # x's layout
            multiply = select_by_multiply(g)  # no inf or nan: g * mask is where(mask, g, 0)
            for k, (_, _, rows, cols) in enumerate(offsets(self.spec)):
                if multiply and not self.overlap:  # disjoint windows: written in place
                    np.multiply(g, arg == k, out=dx[:, :, rows, cols])
                elif multiply:
                    dx[:, :, rows, cols] += g * (arg == k)
                else:
                    dx[:, :, rows, cols] += np.where(arg == k, g, 0.0).astype(g.dtype)
            return (dx[:, :, ph : ph + h, pw : pw + w],)
        index = self.flat_index(arg, x.shape)  # under create_graph: a scatter, then indexing
        flat = F.index_add(F.reshape(g, (-1,)), index, (x.size,), self.overlap)
        return (F.reshape(flat, x.shape),)

    def flat_index(self, arg: np.ndarray, shape: tuple) -> np.ndarray:
        """Where each window's maximum is in ``x`` of ``shape``, flattened."""
        spec = self.spec
        n, c, h, w = shape
        (oh, ow), kw = spec.out, spec.kernel[1]
        (s0, s1), (d0, d1), (ph, pw) = spec.stride, spec.dilation, spec.padding
        arg = arg.astype(np.intp)
        rows = np.arange(oh).reshape(-1, 1) * s0 - ph + (arg // kw) * d0
        cols = np.arange(ow) * s1 - pw + (arg % kw) * d1
        planes = np.arange(n * c).reshape(n, c, 1, 1) * (h * w)
        return (planes + rows * w + cols).ravel()


class AvgPool2d(Function):
    """The mean of each window, zero padding counted (PyTorch's ``count_include_pad=True``): a
    convolution of each channel with a constant kernel of ``1 / (kh*kw)``."""

    name = "avg_pool2d"

    def __init__(self, spec: ConvSpec, dtype: np.dtype) -> None:
        self.spec = spec
        kh, kw = spec.kernel
        self.kernel = np.full((1, 1, kh, kw), 1.0 / (kh * kw), dtype=dtype)

    def forward(self, F: Any, x: np.ndarray) -> np.ndarray:
        n, c, h, w = x.shape
        y, _ = convolve(x.reshape(n * c, 1, h, w), self.kernel, self.spec)
        return y.reshape(n, c, *self.spec.out)

    def backward(self, F: Any, g: Any, out: Any, x: Any) -> tuple:
        n, c, h, w = x.shape
        planes = F.reshape(g, (n * c, 1, *self.spec.out))
        return (F.reshape(call(ConvInputGrad(self.spec), planes, self.kernel), x.shape),)


# ------------------------------------------------------------------------ the functions
def pool_spec(op: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any,
              dilation: Any = 1) -> ConvSpec:  # fmt: skip
    """The geometry of a pooling of ``x`` (N, C, H, W), checked as PyTorch does."""
    kernel = pair(op, "kernel_size", kernel_size, 1)
    stride = kernel if stride is None else pair(op, "stride", stride, 1)
    padding = pair(op, "padding", padding, 0)
    dilation = pair(op, "dilation", dilation, 1)
    reach = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
    if padding[0] > reach[0] // 2 or padding[1] > reach[1] // 2:
        raise ValueError(f"{op}: padding {padding} must be at most half the kernel "
                         f"{kernel[0]}x{kernel[1]}")  # fmt: skip
    fits(op, x.shape, kernel, padding, dilation)
    return ConvSpec(stride, padding, dilation, 1, (x.shape[2], x.shape[3]), kernel)


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1) -> Tensor:  # fmt: skip
    """The maximum over each ``kernel_size`` window (PyTorch's ``F.max_pool2d``): ``stride``
    defaults to the kernel size, ``padding`` (-inf, at most half the kernel) and ``dilation`` an
    int or a pair; ``x`` is (N, C, H, W) or (C, H, W)."""
    (x,) = as_tensors((x,))
    x4, unbatched = batched("max_pool2d", x)
    fn = MaxPool2d(pool_spec("max_pool2d", x4, kernel_size, stride, padding, dilation))
    y = Tensor._apply(fn, (x4,))
    return y.reshape(y.shape[1:]) if unbatched else y


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """The mean over each ``kernel_size`` window (PyTorch's ``F.avg_pool2d``, zero padding
    counted in the mean): ``stride`` defaults to the kernel size; ``x`` is (N, C, H, W) or
    (C, H, W)."""
    (x,) = as_tensors((x,))
    x4, unbatched = batched("avg_pool2d", x)
    fn = AvgPool2d(pool_spec("avg_pool2d", x4, kernel_size, stride, padding), x4.dtype)
    y = Tensor._apply(fn, (x4,))
    return y.reshape(y.shape[1:]) if unbatched else y
