"""``Module``: the base of every model, for both engines.

A module finds its parameters by itself (every attribute that is a trainable leaf node, a
sub-module, or a list/tuple of those), switches between ``train()`` and ``eval()`` mode, and
saves and restores its parameters as a ``state_dict`` of NumPy arrays or an ``.npz`` checkpoint.

Labelling the parameters where they sit in the model is ``labels.py``'s (``Module`` inherits
it from ``Labelled``).
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from autograd import Node, mark_dirty

from .checkpoint import (
    CheckpointError,
    read_checkpoint,
    read_checkpoint_headers,
    write_checkpoint,
)
from .labels import Labelled, walk

__all__ = ["CheckpointError", "IncompatibleKeys", "Module"]


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped (PyTorch's return value)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module(Labelled):
    """Base class of models for both engines.

    Parameters are found automatically: every attribute that is a leaf node, a ``Module``, or
    a list/tuple of those, in the order the attributes were set. A frozen parameter
    (``requires_grad_(False)``) is still a parameter, as in PyTorch: it stays in
    ``parameters()``, ``state_dict()`` and checkpoints, and optimizers leave it unchanged.
    Subclasses implement ``forward``; calling the module calls it (micrograd's modules, which define
    ``__call__`` directly, work too).

    ``training`` is True after ``train()`` (the default) and False after ``eval()``; layers
    such as ``Dropout`` behave differently in the two modes.
    """

    training: bool = True
    _repr_expand: bool = True  # whether repr lists the sub-modules

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of this module."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        # a new parameter or sub-module: label it (and the rest of this module) where it sits
        if isinstance(value, (Module, list, tuple)) or (isinstance(value, Node) and value.is_leaf):
            self._continue_labels(value)

    # ------------------------------------------------------------------ parameters
    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Node]]:
        """``(dotted name, parameter)`` pairs, each parameter once even when shared.

        The names are the ``state_dict`` keys. For tensor modules they equal the parameters'
        automatic labels (``0.weight``); the scalar ``MLP`` keeps its structural keys
        (``layers.0.neurons.2.w.0``, so checkpoints keep loading) while its labels are short
        (``L1.N3.w1``)."""
        seen: set[int] = set()
        for name, item in walk(self, prefix):
            if isinstance(item, Node) and id(item) not in seen:
                seen.add(id(item))
                yield name, item

    def parameters(self) -> list[Node]:
        """All parameters (frozen ones too), in a fixed order, without duplicates."""
        return [p for _, p in self.named_parameters()]

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """``(dotted name, module)`` for this module (name ``prefix``) and every sub-module."""
        seen: set[int] = set()
        for name, item in walk(self, prefix):
            if isinstance(item, Module) and id(item) not in seen:
                seen.add(id(item))
                yield name, item

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules: attributes that are modules, or lists/tuples of modules."""
        for key, value in vars(self).items():
            if isinstance(value, Module):
                yield key, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{key}.{i}", item

    def num_parameters(self) -> int:
        """The number of parameter numbers, frozen ones included (a Tensor parameter counts all
        its elements)."""
        return sum(int(np.size(p.data)) for p in self.parameters())

    def zero_grad(self) -> None:
        """Reset every parameter's ``.grad`` (0.0 for a Value, None for a Tensor)."""
        for p in self.parameters():
            p.zero_grad()

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Module:
        """Put this module and all its sub-modules in training mode (``mode=False``: eval)."""
        for _, module in self.named_modules():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: dropout off, results deterministic. Same as ``train(False)``."""
        return self.train(False)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter as a NumPy array, keyed by its dotted name (a ``Value``
        gives a 0-d float64 array). Later training does not change the returned arrays."""
        return {name: np.array(p.data, copy=True) for name, p in self.named_parameters()}

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy the arrays of ``state_dict`` into the parameters of the same name.

        Strict (the default): a missing key or an unexpected key raises ``ValueError`` naming
        it. Always: an array whose shape differs from its parameter's, or that is not numeric,
        raises ``ValueError`` naming the key and both shapes. Everything is checked before
        anything is copied, so a failed load leaves the model unchanged.
        """
        converted, missing, unexpected = self._check_state(state_dict, strict)
        params = dict(self.named_parameters())
        for key, array in converted.items():
            p = params[key]
            p.data = array if isinstance(p.data, np.ndarray) else float(array)
            mark_dirty(p)
        return IncompatibleKeys(missing, unexpected)

    def _check_state(
        self, state_dict: Mapping[str, Any], strict: bool, convert: bool = True
    ) -> tuple[dict[str, np.ndarray], list[str], list[str]]:
        """The arrays ``load_state_dict`` would copy in (``convert=False``: none, only the
        checks), the missing and the unexpected keys; a ``ValueError`` listing every problem."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict needs a dict of arrays, got {type(state_dict)}")
        params = dict(self.named_parameters())
        missing = [k for k in params if k not in state_dict]
        unexpected = [k for k in state_dict if k not in params]
        problems = []
        if strict and missing:
            problems.append(_keys("missing", missing))
        if strict and unexpected:
            problems.append(_keys("unexpected", unexpected))
        converted = {}
        for key, p in params.items():
            if key not in state_dict:
                continue
            array, problem = _convert(key, state_dict[key], p, convert)
            if problem:
                problems.append(problem)
            converted[key] = array
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: " + "; ".join(problems))
        return converted, missing, unexpected

    def save(self, path: str | os.PathLike) -> None:
        """Write the parameters to ``path`` as an ``.npz`` checkpoint (name kept as given), under
        a temporary name renamed over ``path``: a crash never leaves a half-written checkpoint,
        and an old file at ``path`` survives any failure (:mod:`nn.checkpoint`)."""
        write_checkpoint(path, self.state_dict())

    def load(self, path: str | os.PathLike, strict: bool = True) -> Module:
        """Load the parameters saved by ``save(path)``; returns the module.

        The file is read with ``allow_pickle=False``, so it cannot run code. A truncated,
        corrupt or foreign file raises :class:`CheckpointError` naming the file; a checkpoint
        that does not fit the model raises ``ValueError`` (see ``load_state_dict``). Either way
        the model is left unchanged.
        """
        # Names, dtypes and shapes from the member headers first (zero-size stand-ins for the
        # arrays); then only the members the model has are read, each its parameter's size.
        headers = read_checkpoint_headers(path)
        stand_ins = {k: np.broadcast_to(np.zeros((), dt), sh) for k, (sh, dt) in headers.items()}
        try:
            self._check_state(stand_ins, strict, convert=False)
        except ValueError as e:
            raise ValueError(
                f"checkpoint {os.fspath(path)!r} does not fit the model: {e}"
            ) from None
        shapes = {name: np.shape(p.data) for name, p in self.named_parameters()}
        self.load_state_dict(read_checkpoint(path, expected=shapes), strict=strict)
        return self

    # ------------------------------------------------------------------ display
    def extra_repr(self) -> str:
        """The settings shown between the parentheses of this module's repr."""
        return ""

    def _repr_head(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def _repr_body(self, above: tuple[int, ...] = ()) -> str:
        children = list(self.named_children()) if self._repr_expand else []
        if not children:
            return self._repr_head()
        above = (*above, id(self))
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            if id(child) in above:  # a reference back up the tree
                text = f"{type(child).__name__}(...)"
            else:
                text = child._repr_body(above).replace("\n", "\n  ")
            lines.append(f"  ({name}): {text}")
        lines.append(")")
        return "\n".join(lines)

    def __repr__(self) -> str:
        n = self.num_parameters()
        count = f"  # {n:,} parameter{'s' if n != 1 else ''}" if n else ""
        return self._repr_body() + count


def _keys(kind: str, keys: list, shown: int = 5) -> str:
    """``'missing keys (7): a, b, c, d, e and 2 more'``: the start of a long list of keys."""
    names = ", ".join(map(str, keys[:shown]))
    more = f" and {len(keys) - shown} more" if len(keys) > shown else ""
    count = f" ({len(keys)})" if len(keys) > 1 else ""
    return f"{kind} keys{count}: {names}{more}"


def seed_rng(seed: Any, name: str = "seed") -> np.random.Generator:
    """``np.random.default_rng(seed)`` for ``seed`` None, an int >= 0 (Python's or NumPy's) or
    a ``Generator`` (returned as it is); ``TypeError``/``ValueError`` naming ``name`` instead of
    NumPy's ``SeedSequence`` messages."""
    if seed is None or isinstance(seed, np.random.Generator):
        return seed if seed is not None else np.random.default_rng()
    if not isinstance(seed, numbers.Integral) or isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int >= 0 or None, got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"{name} must be an int >= 0 or None, got {seed}")
    return np.random.default_rng(int(seed))


def positive_int(name: str, value: Any) -> int:
    """``value`` as an int (a layer size, a count); ``ValueError`` naming ``name`` unless it is a
    positive integer (Python's or NumPy's, not a bool)."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _convert(key: str, value: Any, p: Node, convert: bool = True) -> tuple[np.ndarray, str]:
    """The array to store in parameter ``p`` from ``value`` (``convert=False``: ``value`` as an
    array, uncopied), or a description of the problem."""
    if isinstance(value, Node):
        value = value.data
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):  # torch.Tensor
        if str(value.dtype) == "torch.bfloat16":
            return (
                np.zeros(0),
                f"{key!r} holds torch.bfloat16 data, which NumPy has no dtype "
                "for: convert the state dict first ({k: v.float() for k, v in sd.items()})",
            )
        value = value.detach().cpu().numpy()  # keep_vars=True gives Parameters
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        return array, f"{key!r} holds {array.dtype} data, not numbers"
    shape = np.shape(p.data)
    if array.shape != shape:
        return array, f"shape mismatch for {key!r}: checkpoint {array.shape}, model {shape}"
    if not convert:
        return array, ""
    dtype = p.data.dtype if isinstance(p.data, np.ndarray) else np.float64
    return np.array(array, dtype=dtype, copy=True), ""
