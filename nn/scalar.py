"""micrograd's neural network over ``Value``: ``Neuron``, ``Layer``, ``MLP``.

Same defaults as micrograd (weights uniform in [-1, 1], zero bias, ReLU hidden layers, a linear
last layer, a single output returned bare), plus a choice of activation and a seed. Without a
seed the weights come from Python's global ``random``, in micrograd's order, so after
``random.seed(1337)`` an ``MLP`` starts from exactly micrograd's weights. Each neuron's weighted
sum is one ``dot`` node, which is faster and draws as a readable graph.
"""

from __future__ import annotations

import numbers
import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd import Value, dot

from .module import Module, positive_int

__all__ = ["MLP", "Layer", "Neuron"]

_JUST_VALUE = {Value}

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")


def _rng(seed: int | None, rng: random.Random | None) -> Any:
    """The weights' source: ``rng``, else a generator seeded with ``seed``, else Python's global
    ``random`` (micrograd's source, so ``random.seed(1337)`` gives micrograd's weights)."""
    if rng is not None:
        return rng
    return random.Random(seed) if seed is not None else random


def _check_sample(x: Any, nin: int) -> None:
    """``TypeError`` unless ``x`` is one sample (a flat sequence), ``ValueError`` unless it has
    ``nin`` entries: a clear message instead of a failure deep inside ``Value()``."""
    hint = (
        "the scalar MLP takes one sample at a time (a sequence of numbers/Values of length "
        f"{nin}); for a batch, loop over its rows, train with nn.fit, or use the tensor layers "
        "(nn.Sequential(nn.Linear(...), ...))"
    )
    if isinstance(x, (Value, numbers.Number)) and nin == 1:
        return
    if isinstance(x, np.ndarray):
        if x.ndim != 1:
            raise TypeError(f"MLP got an array of shape {x.shape}: {hint}")
    elif isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        raise TypeError(f"MLP got a {type(x).__name__}: {hint}")
    elif len(x) and not isinstance(x[0], (Value, numbers.Number)):
        raise TypeError(f"MLP got a sequence of {type(x[0]).__name__} (a batch?): {hint}")
    if len(x) != nin:
        raise ValueError(f"MLP: Neuron expects {nin} inputs, got {len(x)}: {hint}")


class Neuron(Module):
    """``act(w . x + b)`` for ``nin`` inputs.

    ``nonlin=False`` (micrograd's switch) or ``activation='linear'`` gives no activation;
    otherwise ``activation`` is one of 'relu' (default), 'tanh', 'sigmoid'.
    """

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        activation: str = "relu",
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        nin = positive_int("Neuron: nin", nin)
        if activation not in ACTIVATIONS:
            raise ValueError(f"Neuron: activation must be one of {ACTIVATIONS}, got {activation!r}")
        r = _rng(seed, rng)
        self.w = [Value(r.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.activation = activation if nonlin else "linear"

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: True when the neuron has an activation."""
        return self.activation != "linear"

    def forward(self, x: Sequence[Any]) -> Value:
        """The neuron's output for one input vector ``x`` (floats or Values)."""
        if len(x) != len(self.w):
            raise ValueError(f"Neuron expects {len(self.w)} inputs, got {len(x)}")
        act = dot(self.w, x, self.b)
        if self.activation == "linear":
            return act
        return getattr(act, self.activation)()

    def _repr_head(self) -> str:
        kind = {"relu": "ReLU", "linear": "Linear"}.get(self.activation, self.activation.title())
        return f"{kind}Neuron({len(self.w)})"  # micrograd's repr


class Layer(Module):
    """``nout`` neurons over the same ``nin`` inputs; extra keyword arguments go to each Neuron."""

    _repr_expand = False  # one line per layer, not one per neuron

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        nout = positive_int("Layer: nout", nout)
        seed = kwargs.pop("seed", None)
        rng = _rng(seed, kwargs.pop("rng", None))
        self.neurons = [Neuron(nin, rng=rng, **kwargs) for _ in range(nout)]

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        """One output per neuron; a single output is returned bare (micrograd)."""
        if isinstance(x, Value):  # the bare output of a one-neuron layer before this one
            x = [x]
        if not set(map(type, x)) <= _JUST_VALUE:  # numbers: made constants once per layer
            x = [xi if isinstance(xi, Value) else Value(xi, requires_grad=False) for xi in x]
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def extra_repr(self) -> str:
        n = self.neurons[0]
        return f"nin={len(n.w)}, nout={len(self.neurons)}, activation={n.activation!r}"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` maps 2 inputs through two hidden layers
    of 16 to one output. Hidden layers use ``activation`` (ReLU by default), the last is linear."""

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if isinstance(nouts, (numbers.Number, str)):
            raise TypeError(
                f"MLP: nouts must be a list of layer sizes, e.g. MLP(2, [3]) for one layer of 3 "
                f"neurons, got {nouts!r}"
            )
        sizes = [nin, *nouts]
        if len(sizes) < 2:
            raise ValueError("MLP: nouts must name at least one layer size")
        r = _rng(seed, rng)
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=i != last, activation=activation, rng=r)
            for i in range(len(nouts))
        ]

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        """The network's output for one input vector: a sequence of ``nin`` numbers or Values.

        The scalar MLP takes one sample at a time; a batch (a 2-D array or a list of rows)
        raises ``TypeError`` pointing to ``nn.fit`` and the tensor layers, and a sample of the
        wrong length raises ``ValueError``.
        """
        _check_sample(x, len(self.layers[0].neurons[0].w))
        for layer in self.layers:
            x = layer(x)
        return x
