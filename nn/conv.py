"""Convolution and pooling layers: ``Conv2d``, ``MaxPool2d``, ``AvgPool2d`` (NCHW, as PyTorch).

``Conv2d``'s parameters are PyTorch's: ``weight`` (out_channels, in_channels/groups, kh, kw)
and ``bias`` (out_channels,), both uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)] with
fan_in = in_channels/groups * kh * kw (PyTorch's default, ``kaiming_uniform_(a=sqrt(5))``),
drawn as a ``Linear`` of fan_in inputs draws its own: so ``state_dict`` keys and shapes match
``torch.nn.Conv2d`` and ``to_torch``/``from_torch`` carry them. The ops are the tensor engine's
(``autograd.conv2d``, ``max_pool2d``, ``avg_pool2d``); ``Flatten`` (in ``layers.py``) turns the
last feature maps into the rows a ``Linear`` takes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.tensor import Tensor, avg_pool2d, conv2d, max_pool2d
from autograd.tensor.conv import pair

from .layers import Linear
from .module import Module, positive_int

__all__ = ["AvgPool2d", "Conv2d", "MaxPool2d"]


def same_dtype(x: Any, dtype: np.dtype) -> Any:
    """A float input (Tensor, array or list) of another float dtype cast to ``dtype`` (as
    ``Linear`` casts its input; a Tensor through its differentiable ``astype``)."""
    if isinstance(x, Tensor):
        return x.astype(dtype) if x.dtype.kind == "f" and x.dtype != dtype else x
    if isinstance(x, (np.ndarray, list, tuple)):
        array = np.asarray(x)
        return array.astype(dtype) if array.dtype.kind == "f" else array
    return x


class Conv2d(Module):
    """``y = conv2d(x, weight, bias, stride, padding, dilation, groups)``: each output channel
    is one small kernel slid over the input, the same weights at every position.

    ``x`` is (N, in_channels, H, W) (or (in_channels, H, W)); ``kernel_size``, ``stride``,
    ``padding`` (zeros) and ``dilation`` are an int or a pair; ``groups`` splits the channels
    into independent convolutions. Initialisation, names and shapes as ``torch.nn.Conv2d``
    (see the module), drawn from ``seed``; ``dtype`` float32 by default, and a float input of
    another dtype is cast to it (as ``Linear`` does).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        seed: int | None = None,
        dtype: Any = np.float32,
    ) -> None:
        self.in_channels = positive_int("in_channels", in_channels)
        self.out_channels = positive_int("out_channels", out_channels)
        self.groups = positive_int("groups", groups)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"Conv2d: groups={groups} must divide in_channels ({in_channels}) and "
                f"out_channels ({out_channels})"
            )
        self.kernel_size = pair("Conv2d", "kernel_size", kernel_size, 1)
        self.stride = pair("Conv2d", "stride", stride, 1)
        self.padding = pair("Conv2d", "padding", padding, 0)
        self.dilation = pair("Conv2d", "dilation", dilation, 1)
        per_group = self.in_channels // self.groups
        fan_in = per_group * self.kernel_size[0] * self.kernel_size[1]
        flat = Linear(fan_in, self.out_channels, bias, seed, dtype)  # PyTorch's init, drawn once
        shape = (self.out_channels, per_group, *self.kernel_size)
        self.weight = Tensor(flat.weight.data.reshape(shape), requires_grad=True)
        self.bias = None if flat.bias is None else Tensor(flat.bias.data, requires_grad=True)

    def forward(self, x: Any) -> Tensor:
        """The convolution of ``x`` (see the class)."""
        x = same_dtype(x, self.weight.data.dtype)
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                      self.groups)  # fmt: skip

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")  # fmt: skip
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


class MaxPool2d(Module):
    """The maximum of each ``kernel_size`` window (``stride`` defaults to the kernel size;
    ``padding`` counts as -inf), as ``torch.nn.MaxPool2d``; no parameters."""

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
    ) -> None:
        self.kernel_size = pair("MaxPool2d", "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else pair("MaxPool2d", "stride", stride, 1)
        self.padding = pair("MaxPool2d", "padding", padding, 0)
        self.dilation = pair("MaxPool2d", "dilation", dilation, 1)

    def forward(self, x: Any) -> Tensor:
        """The pooled ``x`` (N, C, oh, ow)."""
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}")  # fmt: skip


class AvgPool2d(Module):
    """The mean of each ``kernel_size`` window (``stride`` defaults to the kernel size; zero
    padding counted in the mean), as ``torch.nn.AvgPool2d``; no parameters."""

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
    ) -> None:
        self.kernel_size = pair("AvgPool2d", "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else pair("AvgPool2d", "stride", stride, 1)
        self.padding = pair("AvgPool2d", "padding", padding, 0)

    def forward(self, x: Any) -> Tensor:
        """The pooled ``x`` (N, C, oh, ow)."""
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
