"""Labels: the names the parameters of a model show in drawings and step-throughs.

Every module names its parameters (their ``.label``, shown in drawings and step-throughs)
when it is built and again whenever it is placed inside another module, so each label says where
the parameter sits in the whole model. By default a label is the parameter's ``state_dict`` key
(``weight``; ``0.weight`` once the layer is item 0 of a ``Sequential``; ``fc1.weight`` as the
attribute ``fc1`` of a user module); a module may choose shorter names for its own attributes
(the scalar ``MLP``: ``L1.N3.w1``, see :mod:`nn.scalar`). Labels are separate from ``state_dict``
keys, which never change. A label the user set is never overwritten: a module records the label
it assigned to each of its parameters and only replaces a label that is ``''`` or still equal to
that record. Setting an attribute relabels (``Sequential.append`` too), but a list attribute
changed in place (``layer.neurons[0] = n``, ``self.blocks.append(m)``) is not seen: call
:meth:`Module.relabel` afterwards. A module placed in a second model takes its labels there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

from autograd import Node

__all__: list[str] = []

L = TypeVar("L", bound="Labelled")


class Labelled:
    """What ``Module`` inherits to label its parameters where they sit (see the module
    docstring); subclasses choose short names with ``_label_name`` and label the nodes of their
    forward pass in ``_relabelled``."""

    # Each labelled module keeps (in its __dict__, never through __setattr__) the prefix it was
    # labelled with, the id of the module whose pass labelled it (the root of that model) and,
    # by attribute path, the labels it gave its own parameters (to tell them from a user's).
    def relabel(self: L, prefix: str | None = None) -> L:
        """Give every parameter of this module and its sub-modules its automatic label.

        A label is the module's place in the model followed by the parameter's name in this
        module (its ``state_dict`` key, or the module's own short name such as ``L1.N3.w1``);
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
        shorter names (``w1``, ``N3``, ``L1``)."""
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
        elif isinstance(item, Labelled):
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


def _reaches(value: Any, module_id: int) -> bool:
    """Whether the module with id ``module_id`` is ``value`` or inside it."""
    return any(id(item) == module_id for _, item in walk(value, "") if isinstance(item, Labelled))


def walk(obj: Any, prefix: str) -> Iterator[tuple[str, Any]]:
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
        if isinstance(item, (Labelled, list, tuple)):
            if id(item) in expanded:
                continue
            expanded.add(id(item))
        if isinstance(item, Labelled):
            yield name, item
            children = list(vars(item).items())
        elif isinstance(item, (list, tuple)):
            children = [(str(i), x) for i, x in enumerate(item)]
        else:
            continue
        dot = "." if name else ""
        stack.extend((f"{name}{dot}{key}", child) for key, child in reversed(children))
