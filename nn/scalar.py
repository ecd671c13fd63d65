"""micrograd's neural network over ``Value``: ``Neuron``, ``Layer``, ``MLP``.

Same defaults as micrograd (weights uniform in [-1, 1], zero bias, ReLU hidden layers, a linear
last layer, a single output returned bare), plus a choice of activation and a seed. Without a
seed the weights come from Python's global ``random``, in micrograd's order, so after
``random.seed(1337)`` an ``MLP`` starts from exactly micrograd's weights. Each neuron's weighted
sum is one ``dot`` node, which is faster and draws as a readable graph.

Labels (``.label``, what drawings and step-throughs show): layers and neurons are numbered from
1, weights from 1 like the inputs they multiply. In an ``MLP`` the parameters are ``L1.N3.w1``
(layer 1, neuron 3, the weight of input ``x1``) and ``L1.N3.b``; a forward pass labels the
inputs ``x1``, ``x2``, ... (numbers become constants with those labels; a ``Value`` keeps a label
it already has), each neuron's weighted sum ``L1.N3.z`` and its activation ``L1.N3.a``. A linear
neuron (the last layer's) has no activation: its ``z`` is its output, so ``MLP(2, [2, 1])``
returns a node labelled ``L2.N1.z``. A lone ``Layer`` labels ``N1.w1``, ``N1.b``, ``N1.z``, ...,
a lone ``Neuron`` ``w1``, ``b``, ``z``, ``a``; both are relabelled when placed inside a
``Layer``/``MLP`` (or any module). The ``state_dict`` keys do not change
(``layers.0.neurons.2.w.0``, so checkpoints and ``nn.torch_state_dict`` keep working): labels
are names for people, keys are names for files. The label strings are made once, when a module
is labelled, so a forward pass only assigns them.
"""

from __future__ import annotations

import functools
import numbers
import random
from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np

from autograd import Value, dot

from .module import Module, positive_int

M = TypeVar("M", bound=Module)

__all__ = ["MLP", "Layer", "Neuron"]

_JUST_VALUE = {Value}

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")


def _random_source(seed: int | None, rng: random.Random | None) -> Any:
    """The weights' source: ``rng``, else a generator seeded with ``seed``, else Python's global
    ``random`` (micrograd's source, so ``random.seed(1337)`` gives micrograd's weights)."""
    if rng is not None:
        return rng
    return random.Random(seed) if seed is not None else random


@functools.lru_cache(maxsize=64)
def _input_labels(n: int) -> tuple[str, ...]:
    """``('x1', 'x2', ...)``: the labels of ``n`` inputs, made once per input count."""
    return tuple(f"x{i}" for i in range(1, n + 1))  # from 1, as micrograd's lecture names them


def _label_inputs(x: Sequence[Any]) -> list[Value]:
    """The inputs ``x`` as Values labelled ``x1``, ``x2``, ...: a number becomes a constant
    with that label, a Value without a label gets it, a Value with a label keeps it."""
    names = _input_labels(len(x))
    if not set(map(type, x)) <= _JUST_VALUE:  # numbers: made labelled constants
        return [
            xi if isinstance(xi, Value) else Value(xi, name, requires_grad=False)
            for xi, name in zip(x, names)
        ]
    for xi, name in zip(x, names):
        if not xi.label:
            xi.label = name
    return x if isinstance(x, list) else list(x)


def _unlabelled(cls: type[M], *args: Any, **kwargs: Any) -> M:
    """A new ``cls`` (``Neuron``, ``Layer``) built without labelling it: the container being
    built around it labels everything once, instead of each level relabelling the level below."""
    module: Any = object.__new__(cls)  # a Neuron or a Layer: each has _build
    module._build(*args, **kwargs)
    return module


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

    Labels: weights ``w1``, ``w2``, ..., bias ``b``; in a forward pass the weighted sum ``z``
    and the activation ``a``, all behind the neuron's place once it is inside a layer
    (``L1.N3.w1``, ``L1.N3.z``).
    """

    w: list[Value]
    b: Value
    activation: str

    _zlabel = "z"  # the forward labels, made by _relabelled (class defaults: old pickles)
    _alabel = "a"

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        activation: str = "relu",
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._build(nin, nonlin, activation, seed, rng)
        self._relabel("", set(), id(self), None)

    def _build(
        self,
        nin: int,
        nonlin: bool = True,
        activation: str = "relu",
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """``__init__`` without the labels (a container built around it labels it once)."""
        nin = positive_int("Neuron: nin", nin)
        if activation not in ACTIVATIONS:
            raise ValueError(f"Neuron: activation must be one of {ACTIVATIONS}, got {activation!r}")
        r = _random_source(seed, rng)
        attrs = vars(self)  # not through Module.__setattr__, which would label at each step
        attrs["w"] = [Value(r.uniform(-1, 1)) for _ in range(nin)]
        attrs["b"] = Value(0.0)
        attrs["activation"] = activation if nonlin else "linear"

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: True when the neuron has an activation."""
        return self.activation != "linear"

    def forward(self, x: Sequence[Any]) -> Value:
        """The neuron's output for one input vector ``x`` (floats or Values).

        The inputs are labelled ``x1``, ``x2``, ... (numbers become labelled constants, Values
        keep a label they have), the weighted sum ``z`` and the activation ``a``."""
        if len(x) != len(self.w):
            raise ValueError(f"Neuron expects {len(self.w)} inputs, got {len(x)}")
        return self._forward(_label_inputs(x))

    def _forward(self, x: Sequence[Value]) -> Value:
        """``forward`` without the checks and the input labels (a ``Layer`` did them)."""
        z = dot(self.w, x, self.b)
        z._label = self._zlabel  # a str by construction: the label setter's check skipped
        if self.activation == "linear":
            return z
        a = getattr(z, self.activation)()
        a._label = self._alabel  # (measured: 4% of a step of micrograd's demo)
        return a

    def _label_name(self, key: str, index: int | None) -> str:
        if key == "w" and index is not None:
            return f"w{index + 1}"  # the weight of input x{index + 1}
        return super()._label_name(key, index)

    def _relabelled(self, prefix: str) -> None:
        vars(self)["_zlabel"] = prefix + "z"
        vars(self)["_alabel"] = prefix + "a"

    def _repr_head(self) -> str:
        kind = {"relu": "ReLU", "linear": "Linear"}.get(self.activation, self.activation.title())
        return f"{kind}Neuron({len(self.w)})"  # micrograd's repr


class Layer(Module):
    """``nout`` neurons over the same ``nin`` inputs; extra keyword arguments go to each Neuron.

    Neuron ``j`` (from 0 in ``neurons``) is labelled ``N{j+1}``: its parameters ``N1.w1``,
    ``N1.b``, its forward nodes ``N1.z``, ``N1.a``; a forward pass labels the inputs ``x1``, ...
    """

    _repr_expand = False  # one line per layer, not one per neuron
    neurons: list[Neuron]

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        self._build(nin, nout, **kwargs)
        self._relabel("", set(), id(self), None)

    def _build(self, nin: int, nout: int, **kwargs: Any) -> None:
        """``__init__`` without the labels (a container built around it labels it once)."""
        nout = positive_int("Layer: nout", nout)
        seed = kwargs.pop("seed", None)
        rng = _random_source(seed, kwargs.pop("rng", None))
        vars(self)["neurons"] = [_unlabelled(Neuron, nin, rng=rng, **kwargs) for _ in range(nout)]

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        """One output per neuron; a single output is returned bare (micrograd).

        The inputs are labelled ``x1``, ``x2``, ...: numbers become constants with those labels
        (once per layer, not per neuron), Values without a label get them, Values with a label
        keep it."""
        if isinstance(x, (Value, numbers.Number)):  # a one-neuron layer's bare output
            x = [x]
        nin = len(self.neurons[0].w) if self.neurons and isinstance(self.neurons[0], Neuron) else 0
        if nin and len(x) != nin:
            raise ValueError(f"Neuron expects {nin} inputs, got {len(x)}")
        return self._forward(_label_inputs(x))

    def _forward(self, x: Sequence[Any]) -> Value | list[Value]:
        """``forward`` on inputs that are already Values (the layers after an MLP's first)."""
        if isinstance(x, Value):
            x = [x]
        out = [n._forward(x) if type(n) is Neuron else n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def _label_name(self, key: str, index: int | None) -> str:
        if key == "neurons" and index is not None:
            return f"N{index + 1}"
        return super()._label_name(key, index)

    def extra_repr(self) -> str:
        n = self.neurons[0]
        return f"nin={len(n.w)}, nout={len(self.neurons)}, activation={n.activation!r}"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` maps 2 inputs through two hidden layers
    of 16 to one output. Hidden layers use ``activation`` (ReLU by default), the last is linear.

    Labels: layer ``i`` (from 0 in ``layers``) is ``L{i+1}``, so ``MLP(2, [2, 1])`` has the
    parameters ``L1.N1.w1``, ``L1.N1.w2``, ``L1.N1.b``, ``L1.N2.w1``, ..., ``L2.N1.b``, and a
    forward pass labels ``x1``, ``x2``, ``L1.N1.z``, ``L1.N1.a``, ..., ``L2.N1.z`` (the output).
    The ``state_dict`` keys stay ``layers.0.neurons.0.w.0`` (see the module docstring).
    """

    layers: list[Layer]

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
        r = _random_source(seed, rng)
        last = len(nouts) - 1
        kwargs = {"activation": activation, "rng": r}
        vars(self)["layers"] = [
            _unlabelled(Layer, sizes[i], sizes[i + 1], nonlin=i != last, **kwargs)
            for i in range(len(nouts))
        ]
        self._relabel("", set(), id(self), None)  # once, for the whole network

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        """The network's output for one input vector: a sequence of ``nin`` numbers or Values.

        The scalar MLP takes one sample at a time; a batch (a 2-D array or a list of rows)
        raises ``TypeError`` pointing to ``nn.fit`` and the tensor layers, and a sample of the
        wrong length raises ``ValueError``.
        """
        layers = self.layers
        _check_sample(x, len(layers[0].neurons[0].w))
        out: Any = layers[0](x)  # labels the inputs
        for layer in layers[1:]:  # fed by labelled Values: no checks, no input labels
            out = layer._forward(out) if type(layer) is Layer else layer(out)
        return out

    def _label_name(self, key: str, index: int | None) -> str:
        if key == "layers" and index is not None:
            return f"L{index + 1}"
        return super()._label_name(key, index)
