"""Layers over ``Tensor``: ``Linear``, ``Sequential``, activations, ``Dropout``, ``Flatten``.

Names, shapes and initialisation follow ``torch.nn``, so a PyTorch model's ``state_dict`` keys
(``0.weight``, ``0.bias``, ...) and shapes match. Each parameter's ``.label`` is its
``state_dict`` key in the model it is placed in (``weight`` for a lone ``Linear``,
``0.weight`` in a ``Sequential``, ``fc1.weight`` in a user module; see :mod:`nn.module`), and
a ``Sequential`` labels each module's output ``0:Linear``, ``1:ReLU``, ...

Randomness (initial weights, dropout masks) comes from a seed given to the layer or, without one,
from the generator that :func:`manual_seed` resets, so ``manual_seed(0)`` before building a model
makes it reproducible.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np

from autograd import Node
from autograd.tensor import Tensor, linear
from autograd.tensor.nn_ops import Linear as _LinearOp

from .module import Module, positive_int

__all__ = [
    "Dropout",
    "Flatten",
    "Linear",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "manual_seed",
]

_GLOBAL = {"rng": np.random.default_rng()}


def manual_seed(seed: int) -> None:
    """Seed the generator used by layers built without their own ``seed`` (PyTorch's
    ``torch.manual_seed``)."""
    _GLOBAL["rng"] = np.random.default_rng(seed)


def _layer_rng(seed: int | None) -> np.random.Generator:
    """A layer's own generator: from ``seed``, or drawn from the global one."""
    if seed is not None:
        return np.random.default_rng(seed)
    return np.random.default_rng(_GLOBAL["rng"].integers(2**63))


def _to_dtype(x: Any, dtype: np.dtype) -> Any:
    """``x`` cast to the float ``dtype`` when it is a float Tensor, array or list of another
    float dtype (a Tensor through its differentiable ``astype``); anything else unchanged."""
    if isinstance(x, Tensor):
        if x.data.dtype.kind == "f" and x.data.dtype != dtype:
            return x.astype(dtype)
        return x
    if isinstance(x, (np.ndarray, list, tuple)):
        try:
            array = np.asarray(x)
        except ValueError:  # ragged: let linear() report it
            return x
        if array.dtype.kind == "f" and array.dtype != dtype:
            return array.astype(dtype)
    return x


class Linear(Module):
    """``y = x @ weight.T + bias``: every output is a weighted sum of every input.

    ``weight`` has shape ``(out_features, in_features)`` and ``bias`` ``(out_features,)``, as in
    PyTorch. Both start uniform in ``[-1/sqrt(in_features), 1/sqrt(in_features)]`` (PyTorch's
    default, ``kaiming_uniform_(a=sqrt(5))``), drawn from ``seed``. ``dtype`` float32 by
    default (use float64 for gradient checks).

    Input dtype rule (as in Keras): a float input of another dtype, Tensor or array (or a list
    of floats), is cast to the weight's dtype before computing, so float64 NumPy data fed to
    the default float32 layer gives float32 activations instead of silently turning the model's
    activations float64. A Tensor input is cast with its differentiable ``astype``, so
    gradients still reach a float64 leaf (in its own dtype). Integer inputs are left as they are.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        seed: int | None = None,
        dtype: Any = np.float32,
    ) -> None:
        self.in_features = positive_int("in_features", in_features)
        self.out_features = positive_int("out_features", out_features)
        rng = _layer_rng(seed)
        bound = 1.0 / math.sqrt(self.in_features)
        w = rng.uniform(-bound, bound, (self.out_features, self.in_features))
        self.weight = Tensor(w, requires_grad=True, dtype=dtype)
        self.bias = None
        if bias:
            b = rng.uniform(-bound, bound, self.out_features)
            self.bias = Tensor(b, requires_grad=True, dtype=dtype)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """``x @ weight.T + bias`` for ``x`` of shape ``(..., in_features)`` (one fused node).

        A float input of another dtype is cast to the weight's dtype first (see the class)."""
        return linear(_to_dtype(x, self.weight.data.dtype), self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Sequential(Module):
    """Modules applied one after the other: ``Sequential(Linear(2, 8), ReLU(), Linear(8, 1))``.

    Sub-modules are named ``'0'``, ``'1'``, ... (so parameters are ``'0.weight'`` as in
    PyTorch, and so are their labels); index, iterate and ``len()`` like a list. A forward pass
    labels each module's output ``'{i}:{class name}'`` (``0:Linear``, ``1:ReLU``; behind the
    Sequential's own place when nested, ``body.0:Linear``), unless the output already has a
    label or is the module's input unchanged (``Dropout`` in eval mode).
    """

    def __init__(self, *modules: Module) -> None:
        for module in modules:
            if not isinstance(module, Module):
                raise TypeError(f"Sequential holds Modules, got {type(module).__name__}")
            vars(self)[str(len(self))] = module  # labelled once below, not at each append
        self._relabel("", set(), id(self), None)

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential holds Modules, got {type(module).__name__}")
        setattr(self, str(len(self)), module)
        return self

    def _modules(self) -> list[Module]:
        """The modules in order (attributes '0', '1', ..., in the order they were added)."""
        return [value for value in vars(self).values() if isinstance(value, Module)]

    def __len__(self) -> int:
        return len(self._modules())

    def __getitem__(self, index: int | slice) -> Module:
        """The module at ``index``, or a ``Sequential`` of the same modules for a slice."""
        modules = self._modules()
        if isinstance(index, slice):  # a view: the modules keep the labels of this model
            part = Sequential()
            for i, module in enumerate(modules[index]):
                vars(part)[str(i)] = module  # not through __setattr__, which would relabel
            return part
        if not isinstance(index, numbers.Integral) or isinstance(index, bool):
            raise TypeError(f"index a Sequential with an int or a slice, got {index!r}")
        if not -len(modules) <= index < len(modules):
            raise IndexError(f"Sequential of {len(modules)} modules has no index {index}")
        return modules[index]

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules())

    def forward(self, x: Any) -> Any:
        """Feed ``x`` through each module in turn, labelling each output (see the class).

        A ``Linear`` followed by a ``ReLU`` runs as one fused ``linear+relu`` node (same values
        and gradients, first and second order). The node is labelled ``'{i+1}:ReLU'`` and its op
        displays ``'{i}:Linear'``, so a drawing still shows both modules (and which Linear fed
        the ReLU)."""
        prefix = vars(self).get("_label_prefix", "")
        modules = self._modules()
        i, n = 0, len(modules)
        while i < n:
            module = modules[i]
            y = None
            if type(module) is Linear and i + 1 < n and type(modules[i + 1]) is ReLU:
                y = _linear_relu(module, x, f"{prefix}{i}:Linear")
                if y is not None:
                    i += 1  # the ReLU ran inside the fused node
                    module = modules[i]
            if y is None:
                y = module(x)
            if y is not x and isinstance(y, Node) and not y.label:
                y.label = f"{prefix}{i}:{type(module).__name__}"
            x = y
            i += 1
        return x


_FUSED: dict[str, _LinearOp] = {}  # label -> the fused op standing for the Linear so labelled


def _linear_relu(module: Linear, x: Any, label: str) -> Tensor | None:
    """``relu(module(x))`` as one fused node, or None where the unfused modules should run
    (an input that is not a fitting Tensor: they give the usual errors)."""
    w, b = module.weight, module.bias
    x = _to_dtype(x, w.data.dtype)
    if type(x) is np.ndarray and x.dtype.kind == "f":
        x = Tensor(x)  # what linear() makes of it
    if type(x) is not Tensor or x.data.ndim == 0 or x.data.shape[-1] != w.data.shape[1]:
        return None
    if w.data.ndim != 2 or (b is not None and b.data.shape != w.data.shape[:1]):
        return None
    op = _FUSED.get(label)
    if op is None:
        op = _FUSED[label] = _LinearOp(relu=True, display=label)
    return Tensor._apply(op, (x, w) if b is None else (x, w, b))


class ReLU(Module):
    """``max(x, 0)`` elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Tanh(Module):
    """``tanh(x)`` elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class Sigmoid(Module):
    """``1 / (1 + exp(-x))`` elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Dropout(Module):
    """Inverted dropout: in ``train()`` mode each element is zeroed with probability ``p``
    and the survivors are scaled by ``1 / (1 - p)``, so the expected output equals the input;
    in ``eval()`` mode it returns the input unchanged (deterministic).

    The masks come from the layer's own generator, made from ``seed`` (or drawn from the global
    one, see :func:`manual_seed`), so a seeded run repeats exactly.
    """

    p: float
    rng: np.random.Generator

    def __init__(self, p: float = 0.5, seed: int | None = None) -> None:
        if not isinstance(p, numbers.Real) or isinstance(p, bool) or not 0 <= p < 1:
            raise ValueError(f"Dropout: p must be a probability in [0, 1), got {p!r}")
        self.p = float(p)
        self.rng = _layer_rng(seed)

    def forward(self, x: Tensor) -> Tensor:
        """``x * mask / (1 - p)`` in training, ``x`` in evaluation."""
        if not self.training or self.p == 0:
            return x
        keep = self.rng.random(x.data.shape) >= self.p
        mask = keep.astype(x.data.dtype) / x.data.dtype.type(1 - self.p)
        return x * mask

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Flatten(Module):
    """Merge the axes from ``start_dim`` to ``end_dim`` into one: ``(n, 8, 8)`` becomes
    ``(n, 64)`` with the defaults (the batch axis is kept)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
