"""``Module``: the base of every model, for both engines.

A module finds its parameters by itself (every attribute that is a trainable leaf node, a
sub-module, or a list/tuple of those), switches between ``train()`` and ``eval()`` mode, and
saves and restores its parameters as a ``state_dict`` of NumPy arrays or an ``.npz`` checkpoint.

Labels: every module names its parameters (their ``.label``, shown in drawings and step-throughs)
when it is built and again whenever it is placed inside another module, so each label says where
the parameter sits in the whole model. By default a label is the parameter's ``state_dict`` key
(``weight``; ``0.weight`` once the layer is item 0 of a ``Sequential``; ``fc1.weight`` as the
attribute ``fc1`` of a user module); a module may choose shorter names for its own attributes
(the scalar ``MLP``: ``L1.N3.w0``, see :mod:`nn.scalar`). Labels are separate from ``state_dict``
keys, which never change. A label the user set is never overwritten: a module records the label
it assigned to each of its parameters and only replaces a label that is ``''`` or still equal to
that record. Setting an attribute relabels (``Sequential.append`` too), but a list attribute
changed in place (``layer.neurons[0] = n``, ``self.blocks.append(m)``) is not seen: call
:meth:`Module.relabel` afterwards. A module placed in a second model takes its labels there.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from autograd import Node

from .checkpoint import CheckpointError, read_checkpoint, write_checkpoint

__all__ = ["CheckpointError", "IncompatibleKeys", "Module"]


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped (PyTorch's return value)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
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

    # ------------------------------------------------------------------ labels
    # Each labelled module keeps (in its __dict__, never through __setattr__) the prefix it was
    # labelled with, the id of the module whose pass labelled it (the root of that model) and,
    # by attribute path, the labels it gave its own parameters (to tell them from a user's).
    def relabel(self, prefix: str | None = None) -> Module:
        """Give every parameter of this module and its sub-modules its automatic label.

        A label is the module's place in the model followed by the parameter's name in this
        module (its ``state_dict`` key, or the module's own short name such as ``L1.N3.w0``);
        each parameter is labelled once, by its first name, as in ``named_parameters()``.
        ``prefix=None`` (the default) keeps the place the module got when it was last labelled
        (none for a module never placed inside another), so after changing a list in place
        (``mlp.layers[0].neurons[1] = Neuron(2)``) either ``mlp.relabel()`` or
        ``mlp.layers[0].relabel()`` gives the full names; a string makes this module the top
        of the naming with that prefix. Labels set by the user (anything but ``''`` or the label
        this module assigned last) are kept. Returns the module.

        Modules label themselves when built and whenever an attribute is set (a module placed
        inside another is relabelled), so this is only needed after in-place changes of lists.
        """
        if prefix is None:
            self._continue_labels(None)
        elif not isinstance(prefix, str):
            raise TypeError(f"relabel: prefix must be a str, got {type(prefix).__name__}")
        else:
            self._relabel(prefix, set(), id(self), None)
        return self

    def _label_name(self, key: str, index: int | None) -> str:
        """The label name of attribute ``key`` (item ``index`` of it, for a list or tuple);
        by default the ``state_dict`` name, ``key`` or ``key.index``. Subclasses may choose
        shorter names (``w0``, ``N3``, ``L1``)."""
        return key if index is None else f"{key}.{index}"

    def _relabelled(self, prefix: str) -> None:
        """Called after this module was labelled with ``prefix``: a module that labels the
        nodes of its forward pass precomputes their label strings here."""

    def _continue_labels(self, value: Any) -> None:
        """Relabel this module in its current place after ``value`` was assigned to it (or, for
        ``value=None``, on request). A module placed by another keeps that module's naming,
        without relabelling the modules outside its own subtree (references up or across);
        one whose new ``value`` contains the module that labelled it (a child built with a
        reference to its parent, then assigned to the parent) becomes the top instead."""
        attrs = vars(self)
        root = attrs.get("_label_root", id(self))
        prefix = attrs.get("_label_prefix", "")
        if root == id(self):
            self._relabel(prefix, set(), root, None)
        elif value is not None and _reaches(value, root):
            self._relabel("", set(), id(self), None)
        else:
            self._relabel(prefix, set(), root, (root, prefix))

    def _relabel(
        self, prefix: str, seen: set[int], root: int, guard: tuple[int, str] | None
    ) -> None:
        """Label this module's parameters and sub-modules under ``prefix`` in the pass of the
        model ``root`` (an id). ``seen`` holds the ids of the modules, lists and parameters
        already labelled in this pass (the first name wins; back references end here);
        ``guard`` ``(root, prefix)``: leave alone the modules that root labelled outside
        ``prefix``."""
        if id(self) in seen:
            return
        seen.add(id(self))
        attrs = vars(self)
        attrs["_label_prefix"] = prefix
        attrs["_label_root"] = root
        auto = attrs.get("_auto_labels")
        if auto is None:
            auto = attrs["_auto_labels"] = {}
        for key, value in list(attrs.items()):
            if isinstance(value, (list, tuple)):
                if id(value) in seen:
                    continue
                seen.add(id(value))
                for i, item in enumerate(value):
                    name = self._label_name(key, i)
                    self._label_item(prefix, f"{key}.{i}", name, item, seen, auto, root, guard)
            else:
                name = self._label_name(key, None)
                self._label_item(prefix, key, name, value, seen, auto, root, guard)
        self._relabelled(prefix)

    def _label_item(
        self,
        prefix: str,
        path: str,
        name: str,
        item: Any,
        seen: set[int],
        auto: dict[str, str],
        root: int,
        guard: tuple[int, str] | None,
    ) -> None:
        """Label ``item`` (a parameter, module or nested list at ``path`` in this module) as
        ``prefix + name``; ``auto`` records the labels this module assigned, by path."""
        if isinstance(item, Node):
            if item.is_leaf and id(item) not in seen:
                seen.add(id(item))
                if item.label == "" or item.label == auto.get(path):  # never a user's label
                    item.label = auto[path] = prefix + name
        elif isinstance(item, Module):
            if guard is not None:
                theirs = vars(item)
                if theirs.get("_label_root") == guard[0] and not theirs.get(
                    "_label_prefix", ""
                ).startswith(guard[1]):
                    return  # placed by the same model outside this subtree
            item._relabel(f"{prefix}{name}.", seen, root, guard)
        elif isinstance(item, (list, tuple)) and id(item) not in seen:
            seen.add(id(item))
            for i, x in enumerate(item):
                self._label_item(prefix, f"{path}.{i}", f"{name}.{i}", x, seen, auto, root, guard)

    # ------------------------------------------------------------------ parameters
    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Node]]:
        """``(dotted name, parameter)`` pairs, each parameter once even when shared.

        The names are the ``state_dict`` keys. For tensor modules they equal the parameters'
        automatic labels (``0.weight``); the scalar ``MLP`` keeps its structural keys
        (``layers.0.neurons.2.w.0``, so checkpoints keep loading) while its labels are short
        (``L1.N3.w0``)."""
        seen: set[int] = set()
        for name, item in _walk(self, prefix):
            if isinstance(item, Node) and id(item) not in seen:
                seen.add(id(item))
                yield name, item

    def parameters(self) -> list[Node]:
        """All parameters (frozen ones too), in a fixed order, without duplicates."""
        return [p for _, p in self.named_parameters()]

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """``(dotted name, module)`` for this module (name ``prefix``) and every sub-module."""
        seen: set[int] = set()
        for name, item in _walk(self, prefix):
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
            array, problem = _convert(key, state_dict[key], p)
            if problem:
                problems.append(problem)
            converted[key] = array
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: " + "; ".join(problems))
        for key, array in converted.items():
            p = params[key]
            p.data = array if isinstance(p.data, np.ndarray) else float(array)
        return IncompatibleKeys(missing, unexpected)

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
        state = read_checkpoint(path)
        try:
            self.load_state_dict(state, strict=strict)
        except ValueError as e:
            path = os.fspath(path)
            raise ValueError(f"checkpoint {path!r} does not fit the model: {e}") from None
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


def positive_int(name: str, value: Any) -> int:
    """``value`` as an int (a layer size, a count); ``ValueError`` naming ``name`` unless it is a
    positive integer (Python's or NumPy's, not a bool)."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _convert(key: str, value: Any, p: Node) -> tuple[np.ndarray, str]:
    """The array to store in parameter ``p`` from ``value``, or a description of the problem."""
    if isinstance(value, Node):
        value = value.data
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        return array, f"{key!r} holds {array.dtype} data, not numbers"
    shape = np.shape(p.data)
    if array.shape != shape:
        return array, f"shape mismatch for {key!r}: checkpoint {array.shape}, model {shape}"
    dtype = p.data.dtype if isinstance(p.data, np.ndarray) else np.float64
    return np.array(array, dtype=dtype, copy=True), ""


def _reaches(value: Any, module_id: int) -> bool:
    """Whether the module with id ``module_id`` is ``value`` or inside it."""
    return any(id(item) == module_id for _, item in _walk(value, "") if isinstance(item, Module))


def _walk(obj: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    """Depth-first over a module's attributes, lists and tuples, in the order they were set,
    yielding ``(name, module)`` for each module and ``(name, parameter)`` for each parameter."""
    stack: list[tuple[str, Any]] = [(prefix, obj)]
    expanded: set[int] = set()  # each module or list once: shared or cyclic references end here
    while stack:
        name, item = stack.pop()
        if isinstance(item, Node):
            if item.is_leaf:  # frozen (requires_grad False) too: kept in checkpoints
                yield name, item
            continue
        if isinstance(item, (Module, list, tuple)):
            if id(item) in expanded:
                continue
            expanded.add(id(item))
        if isinstance(item, Module):
            yield name, item
            children = list(vars(item).items())
        elif isinstance(item, (list, tuple)):
            children = [(str(i), x) for i, x in enumerate(item)]
        else:
            continue
        dot = "." if name else ""
        stack.extend((f"{name}{dot}{key}", child) for key, child in reversed(children))
