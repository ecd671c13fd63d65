"""The bridge to PyTorch: ``to_torch``, ``from_torch`` and ``torch_state_dict``.

``to_torch(model)`` gives a ``torch.nn.Module`` that computes the same function with the same
weights, for a tensor ``Sequential`` (of ``Linear``, ``Conv2d``, ``MaxPool2d``, ``AvgPool2d``,
``ReLU``, ``Tanh``, ``Sigmoid``, ``Dropout``, ``Flatten`` and nested ``Sequential``) and for the
scalar ``MLP`` (a torch ``Sequential`` of ``Linear`` layers with its activations between them);
``from_torch(module)``
goes back to a tensor ``Sequential``. Dtypes follow the source (float64 stays float64; the scalar
``MLP`` is float64), and so does the ``train()``/``eval()`` mode of every layer.

Checkpoints: the tensor layers already use PyTorch's names and shapes (``0.weight`` of shape
``(out_features, in_features)``, ``0.bias``), so only the arrays need turning into torch
tensors: ``torch_model.load_state_dict(torch_state_dict("model.npz"))`` loads a checkpoint
written by ``Module.save`` (strict). The scalar MLP stores one number per weight
(``layers.0.neurons.3.w.1``); ``torch_state_dict`` packs those into the torch layers' matrices.
The other way needs no helper: ``model.load_state_dict(torch_model.state_dict())`` (also with
``keep_vars=True``; a bfloat16 tensor, which NumPy cannot hold, is refused with the fix).

PyTorch is not a dependency of chainrule: it is imported inside these functions only.
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from .checkpoint import read_checkpoint
from .conv import AvgPool2d, Conv2d, MaxPool2d
from .layers import Dropout, Flatten, Linear, ReLU, Sequential, Sigmoid, Tanh
from .module import Module
from .scalar import MLP

__all__ = ["from_torch", "to_torch", "torch_state_dict"]

INSTALL = "pip install torch --index-url https://download.pytorch.org/whl/cpu"
SUPPORTED = (
    "Sequential, Linear, Conv2d, MaxPool2d, AvgPool2d, ReLU, Tanh, Sigmoid, Dropout, Flatten "
    "(and the scalar MLP)"
)
_ACTIVATIONS = {ReLU: "ReLU", Tanh: "Tanh", Sigmoid: "Sigmoid"}  # chainrule -> torch.nn name
_SCALAR_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}
_SCALAR_KEY = re.compile(r"layers\.(\d+)\.neurons\.(\d+)\.(?:w\.(\d+)|b)")


def _torch(what: str) -> Any:
    """The ``torch`` package, or an ``ImportError`` that says how to install it."""
    try:
        import torch
    except ImportError as e:
        raise ModuleNotFoundError(
            f"{what} needs PyTorch, which chainrule does not install. Install the CPU build "
            f"with:  {INSTALL}"
        ) from e
    return torch


def _where(position: str) -> str:
    """`` at position 1.0`` for a layer inside a Sequential, nothing for the model itself."""
    return f" at position {position}" if position else ""


# ---------------------------------------------------------------------- chainrule -> torch
def to_torch(model: Module) -> Any:
    """A ``torch.nn.Module`` equivalent to ``model``, with copies of its weights.

    ``model`` is a tensor ``Sequential`` (of ``Linear``, ``ReLU``, ``Tanh``, ``Sigmoid``,
    ``Dropout`` with the same ``p``, ``Flatten`` with the same dims, and nested
    ``Sequential``), one of those layers alone, or the scalar ``MLP``, which becomes a torch
    ``Sequential`` of float64 ``Linear`` layers with its hidden activation after each but the
    last (``MLP(64, [32, 10])`` -> ``Linear(64, 32), ReLU(), Linear(32, 10)``); the torch
    model takes a batch, and a single output comes back as a tensor of shape ``(..., 1)``, not
    bare. Weight dtypes (one for the whole model: mixed dtypes raise ``ValueError``), the
    names of a ``Sequential``'s layers, ``requires_grad`` flags and train/eval modes are
    copied, so the torch model's parameters, ``state_dict`` keys and outputs match
    ``model``'s (for the MLP
    see :func:`torch_state_dict`). A layer of another type (a subclass too, since it may
    compute something else) raises ``TypeError`` naming it and its position.
    """
    torch = _torch("to_torch")
    if type(model) is MLP:
        return _mlp_to_torch(torch, model)
    dtypes: dict[np.dtype, str] = {}
    for name, p in model.named_parameters():
        dtypes.setdefault(np.asarray(p.data).dtype, name)
    if len(dtypes) > 1:
        found = ", ".join(f"{dt} ({name})" for dt, name in dtypes.items())
        raise ValueError(
            f"to_torch: the model mixes weight dtypes: {found}; torch's layers need one dtype "
            "(cast the weights first, e.g. p.data = p.data.astype(np.float64) for each "
            "parameter)"
        )
    return _layer_to_torch(torch, model, "")


def _layer_to_torch(torch: Any, m: Any, position: str) -> Any:
    """The torch counterpart of chainrule layer ``m`` (found at ``position`` in its model)."""
    kind = type(m)
    if kind is Sequential:
        dot = f"{position}." if position else ""
        children = list(m.named_children())
        out = torch.nn.Sequential(
            OrderedDict((n, _layer_to_torch(torch, c, f"{dot}{n}")) for n, c in children)
        )
    elif kind is Linear:
        bias = None if m.bias is None else m.bias.data
        out = _torch_linear(torch, m.weight.data, bias)
        out.weight.requires_grad_(m.weight.requires_grad)
        if m.bias is not None:
            out.bias.requires_grad_(m.bias.requires_grad)
    elif kind in _ACTIVATIONS:
        out = getattr(torch.nn, _ACTIVATIONS[kind])()
    elif kind is Dropout:
        out = torch.nn.Dropout(m.p)
    elif kind is Flatten:
        out = torch.nn.Flatten(m.start_dim, m.end_dim)
    elif kind is Conv2d:
        out = _conv_to_torch(torch, m)
    elif kind is MaxPool2d:
        out = torch.nn.MaxPool2d(m.kernel_size, m.stride, m.padding, m.dilation)
    elif kind is AvgPool2d:
        out = torch.nn.AvgPool2d(m.kernel_size, m.stride, m.padding)
    else:
        raise TypeError(
            f"to_torch: unsupported layer {kind.__name__}{_where(position)}; supported: {SUPPORTED}"
        )
    out.training = bool(m.training)
    return out


def _torch_linear(torch: Any, weight: np.ndarray, bias: np.ndarray | None) -> Any:
    """A ``torch.nn.Linear`` holding copies of ``weight`` ``(out, in)`` and ``bias``, in their
    dtype (built with ``skip_init``, so torch's random generator is left untouched)."""
    w = torch.tensor(np.asarray(weight))
    out = torch.nn.utils.skip_init(
        torch.nn.Linear, w.shape[1], w.shape[0], bias=bias is not None, dtype=w.dtype
    )
    with torch.no_grad():
        out.weight.copy_(w)
        if bias is not None:
            out.bias.copy_(torch.tensor(np.asarray(bias)))
    return out


def _conv_to_torch(torch: Any, m: Conv2d) -> Any:
    """A ``torch.nn.Conv2d`` with ``m``'s geometry and copies of its weights, in their dtype
    (``skip_init``: torch's generator untouched)."""
    w = torch.tensor(m.weight.data)
    out = torch.nn.utils.skip_init(
        torch.nn.Conv2d, m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding,
        m.dilation, m.groups, bias=m.bias is not None, dtype=w.dtype,
    )  # fmt: skip
    with torch.no_grad():
        out.weight.copy_(w)
        if m.bias is not None:
            out.bias.copy_(torch.tensor(m.bias.data))
    out.weight.requires_grad_(m.weight.requires_grad)
    if m.bias is not None:
        out.bias.requires_grad_(m.bias.requires_grad)
    return out


def _mlp_layers(mlp: MLP) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """``(weight (out, in), bias, activation)`` of each layer of the scalar ``mlp``."""
    result = []
    for i, layer in enumerate(mlp.layers):
        acts = {n.activation for n in layer.neurons}
        if len(acts) != 1:
            raise ValueError(
                f"to_torch: layer {i} of the MLP mixes activations {sorted(acts)}; a torch "
                "layer has one"
            )
        weight = np.array([[w.data for w in n.w] for n in layer.neurons], dtype=np.float64)
        bias = np.array([n.b.data for n in layer.neurons], dtype=np.float64)
        result.append((weight, bias, acts.pop()))
    return result


def _mlp_to_torch(torch: Any, mlp: MLP) -> Any:
    """The scalar ``mlp`` as a torch ``Sequential``: each layer a ``Linear``, followed by its
    activation module unless it is linear."""
    modules = []
    for weight, bias, activation in _mlp_layers(mlp):
        modules.append(_torch_linear(torch, weight, bias))
        if activation != "linear":
            modules.append(getattr(torch.nn, _SCALAR_ACTIVATIONS[activation])())
    out = torch.nn.Sequential(*modules)
    out.train(mlp.training)
    return out


# ---------------------------------------------------------------------- torch -> chainrule
def from_torch(module: Any) -> Module:
    """A chainrule tensor model equivalent to the torch ``module``, with copies of its weights.

    ``module`` is a ``torch.nn.Sequential`` of ``Linear``, ``ReLU``, ``Tanh``, ``Sigmoid``,
    ``Dropout``, ``Flatten`` (and nested ``Sequential``), or one of those layers alone; the
    result is the same structure of chainrule layers (``nn.Sequential`` ...), with the torch
    names (``Sequential(OrderedDict(fc1=...))`` gives ``fc1.weight``), so its ``state_dict``
    keys are the torch ones. float16, float32 and float64 weights keep their dtype (another,
    bfloat16 say, raises ``ValueError``), and ``requires_grad`` flags and train/eval modes
    are copied. Any other layer raises ``TypeError`` naming it and its position.
    """
    torch = _torch("from_torch")
    return _layer_from_torch(torch, module, "")


def _numpy(torch: Any, t: Any, position: str, kind: str = "Linear") -> np.ndarray:
    """A NumPy copy of the torch parameter ``t``, which must be float16, float32 or float64."""
    if t.dtype not in (torch.float16, torch.float32, torch.float64):
        raise ValueError(
            f"from_torch: {kind}{_where(position)} holds {t.dtype} weights; chainrule takes "
            "float16, float32 or float64 (convert with module.double() or module.float())"
        )
    return t.detach().cpu().numpy().copy()


def _layer_from_torch(torch: Any, m: Any, position: str) -> Module:
    """The chainrule counterpart of torch layer ``m`` (found at ``position`` in its model)."""
    kind = type(m)
    tnn = torch.nn
    out: Module
    if kind is tnn.Sequential:
        dot = f"{position}." if position else ""
        out = Sequential()
        for name, child in m.named_children():  # torch's names kept: '0', or 'fc1' ...
            if hasattr(out, name):
                raise ValueError(
                    f"from_torch: the layer named {f'{dot}{name}'!r} would hide the "
                    f"Sequential attribute {name!r}; rename it in the torch model"
                )
            setattr(out, name, _layer_from_torch(torch, child, f"{dot}{name}"))
    elif kind is tnn.Linear:
        weight = _numpy(torch, m.weight, position)
        linear = Linear(
            m.in_features, m.out_features, m.bias is not None, seed=0, dtype=weight.dtype
        )
        linear.weight.data = weight
        linear.weight.requires_grad_(m.weight.requires_grad)
        if m.bias is not None and linear.bias is not None:
            linear.bias.data = _numpy(torch, m.bias, position)
            linear.bias.requires_grad_(m.bias.requires_grad)
        out = linear
    elif kind in (tnn.ReLU, tnn.Tanh, tnn.Sigmoid):
        out = {tnn.ReLU: ReLU, tnn.Tanh: Tanh, tnn.Sigmoid: Sigmoid}[kind]()
    elif kind is tnn.Dropout:
        out = Dropout(m.p)
    elif kind is tnn.Flatten:
        out = Flatten(m.start_dim, m.end_dim)
    elif kind is tnn.Conv2d:
        out = _conv_from_torch(torch, m, position)
    elif kind is tnn.MaxPool2d and not m.ceil_mode and not m.return_indices:
        out = MaxPool2d(m.kernel_size, m.stride, m.padding, m.dilation)
    elif kind is tnn.AvgPool2d and not m.ceil_mode and m.count_include_pad and (
        m.divisor_override is None
    ):
        out = AvgPool2d(m.kernel_size, m.stride, m.padding)
    else:
        raise TypeError(
            f"from_torch: unsupported layer {kind.__name__}{_where(position)}; "
            f"supported: {SUPPORTED.split(' (')[0]}"
        )
    out.training = bool(m.training)
    return out


def _conv_from_torch(torch: Any, m: Any, position: str) -> Conv2d:
    """A chainrule ``Conv2d`` from the torch one ``m`` (zero padding given as numbers only)."""
    if m.padding_mode != "zeros" or isinstance(m.padding, str):
        raise TypeError(
            f"from_torch: Conv2d{_where(position)} has padding={m.padding!r}, "
            f"padding_mode={m.padding_mode!r}; chainrule takes zero padding given as numbers"
        )
    weight = _numpy(torch, m.weight, position, "Conv2d")
    out = Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation,
                 m.groups, m.bias is not None, seed=0, dtype=weight.dtype)  # fmt: skip
    out.weight.data = weight
    out.weight.requires_grad_(m.weight.requires_grad)
    if m.bias is not None and out.bias is not None:
        out.bias.data = _numpy(torch, m.bias, position, "Conv2d")
        out.bias.requires_grad_(m.bias.requires_grad)
    return out


# ---------------------------------------------------------------------- checkpoints
def torch_state_dict(source: Any, like: Any = None) -> dict[str, Any]:
    """A torch ``state_dict`` from chainrule weights, for ``torch_model.load_state_dict``.

    ``source`` is a chainrule model, its ``state_dict()``, or the path of a checkpoint written
    by ``Module.save``. Tensor-layer keys (``0.weight``, ``2.bias``) are kept, since the torch
    names and shapes are the same; each array becomes a torch tensor of its dtype. So
    ``to_torch(model).load_state_dict(torch_state_dict("model.npz"))`` loads strictly.

    Scalar ``MLP`` keys (``layers.i.neurons.j.w.k``, ``layers.i.neurons.j.b``) are packed into
    the weight ``(out, in)`` and bias of the i-th torch ``Linear``. Its name is taken from
    ``like`` (the torch model to load into) when given, else from ``source`` when it is the
    ``MLP``, else it is ``f"{2 * i}"``: the layout :func:`to_torch` builds for an MLP whose hidden
    layers have an activation (the default; pass ``like`` for ``activation='linear'``).
    """
    torch = _torch("torch_state_dict")
    names = None
    if like is not None:
        names = [n for n, m in like.named_modules() if isinstance(m, torch.nn.Linear)]
    if isinstance(source, Module):
        if type(source) is MLP and names is None:
            layers = _mlp_to_torch(torch, source)
            names = [n for n, m in layers.named_modules() if isinstance(m, torch.nn.Linear)]
        state: Mapping[str, Any] = source.state_dict()
    elif isinstance(source, (str, os.PathLike)):
        state = read_checkpoint(source)
    elif isinstance(source, Mapping):
        state = source
    else:
        raise TypeError(
            "torch_state_dict needs a chainrule model, a state_dict or a checkpoint path, "
            f"got {type(source).__name__}"
        )
    scalar = [k for k in state if _SCALAR_KEY.fullmatch(k)]
    if not scalar:
        return {k: torch.tensor(np.asarray(v)) for k, v in state.items()}
    if len(scalar) != len(state):
        other = next(k for k in state if not _SCALAR_KEY.fullmatch(k))
        raise ValueError(f"torch_state_dict: scalar MLP keys mixed with {other!r}")
    return _pack_mlp(torch, state, names)


def _pack_mlp(torch: Any, state: Mapping[str, Any], names: list[str] | None) -> dict[str, Any]:
    """The scalar MLP's per-number entries packed into ``{name}.weight`` and ``{name}.bias``."""
    cells: dict[int, dict[int, dict[Any, float]]] = {}
    for key, value in state.items():
        i, j, k = _SCALAR_KEY.fullmatch(key).groups()  # type: ignore[union-attr]
        cells.setdefault(int(i), {}).setdefault(int(j), {})["b" if k is None else int(k)] = value
    if sorted(cells) != list(range(len(cells))):
        raise ValueError(f"torch_state_dict: MLP layers {sorted(cells)} are not 0, 1, 2, ...")
    if names is None:
        names = [str(2 * i) for i in range(len(cells))]
    if len(names) != len(cells):
        raise ValueError(
            f"torch_state_dict: {len(cells)} MLP layers, {len(names)} torch Linear layers"
        )
    out = {}
    for i, name in enumerate(names):
        neurons = cells[i]
        nin = len(neurons[0]) - 1 if 0 in neurons else 0
        weight = np.zeros((len(neurons), nin))
        bias = np.zeros(len(neurons))
        for j in range(len(neurons)):
            entries = neurons.get(j, {})
            if set(entries) != {"b", *range(nin)}:
                raise ValueError(
                    f"torch_state_dict: MLP layer {i} neuron {j} does not have the entries b "
                    f"and w.0 to w.{nin - 1} of the layer's first neuron"
                )
            bias[j] = float(np.asarray(entries["b"]))
            weight[j] = [float(np.asarray(entries[k])) for k in range(nin)]
        prefix = f"{name}." if name else ""
        out[f"{prefix}weight"] = torch.tensor(weight)
        out[f"{prefix}bias"] = torch.tensor(bias)
    return out
