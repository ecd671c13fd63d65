"""The guard of :func:`nn.compile_step`: a snapshot of the Python state a trace depended on.

A trace freezes everything Python computed while it ran: a float attribute the forward
multiplies by, a string that picked a branch, an array it read, the modules in a list, a value
in the loss function's closure, the optimizer's parameter list. :class:`Guard` records, at
trace time, every such value it can reach from the model, the loss function and the optimizer,
and :meth:`Guard.holds` says, at every later call, whether all of them are still the same:

- numbers, strings, ``None`` and NumPy scalars: by value (compared by identity first, so the
  check costs one ``is`` each while nothing was rebound);
- arrays, parameters, generators, functions, modules and other objects: by identity;
- lists and dicts: by identity, length and each item (``m.blocks.append(layer)``,
  ``m.cfg["scale"] = 2``), tuples item by item, one level of nesting after another;
- the attributes (``vars()``, item by item, and its size) of every module reachable from the
  model and of every other object found on the way (a loss object, a namespace), but
  optimizers;
- a Tensor that is not a parameter (a constant of the trace): its ``data`` and
  ``requires_grad``; a parameter's ``data`` is read at every call, never frozen;
- the loss function's closure cells, defaults and code (a ``functools.partial``'s function,
  arguments and keywords; a bound method's function and object);
- the optimizer's hyperparameters (not ``lr``, read at every step) and its parameter list,
  item by item.

What it does not see (frozen at trace time): an array changed *in place* that is not a
parameter's ``.data``, global variables, class attributes, and state beyond the first
:data:`LIMIT` values. The checks are C-level passes over flat lists (``map``, ``chain``): the
guard costs about a microsecond at each call of a small network.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Collection, Iterable
from itertools import chain
from operator import is_
from typing import Any

import numpy as np

from autograd import Node

from ..optim import Optimizer

__all__ = ["LIMIT", "Guard"]

#: how many values a guard watches at most (a model holding a longer Python list or dict has
#: its first items watched, and the container's identity and length)
LIMIT = 4096

_SCALARS = (bool, int, float, complex, str, bytes, type(None), np.generic)
_END = (object(),)  # the mark after each view in the guard's one pass
_LABELS_DOT = frozenset({"._label_prefix", "._label_root", "._auto_labels"})  # labels: names


class Guard:
    """What a trace depended on; :meth:`holds` is True while none of it changed.

    Three flat lists make the check a few C-level passes: ``views`` (each object's ``vars()``
    values, each watched dict's values, each watched list: live views) with ``sizes``, their
    lengths, and ``items``, their contents then; and the attributes that are not in a
    ``vars()`` (the optimizer's settings, a function's code, defaults and closure cells, a
    constant Tensor's ``data``) as ``holders``, ``names`` and ``values``. ``paths`` names each
    watched value for :meth:`changed` (``model.scale``, ``loss_fn.<closure weight>``)."""

    __slots__ = ("views", "sizes", "items", "holders", "names", "values", "paths", "params",
                 "opaque", "parts", "expected")  # fmt: skip

    def __init__(
        self, roots: dict[str, Any], optimizer: Optimizer | None = None,
        params: Iterable[Node] = (), opaque: tuple[type, ...] = (),
    ) -> None:  # fmt: skip
        """Watch everything reachable from ``roots`` (named: ``{"model": model, ...}``) and the
        optimizer's settings and parameter list; the ``params`` (read at every call) by
        identity only; objects of the ``opaque`` types by identity only."""
        self.views: list[Collection[Any]] = []
        self.sizes: list[int] = []
        self.items: list[Any] = []
        self.holders: list[Any] = []
        self.names: list[str] = []
        self.values: list[Any] = []
        self.paths: tuple[list[str], list[str], list[str]] = ([], [], [])  # views, items, attrs
        self.params = {id(p) for p in params}
        self.opaque = (type, types.ModuleType, Optimizer, *opaque)
        todo: list[tuple[str, Any]] = list(roots.items())
        if optimizer is not None:
            for name in (*optimizer.hyperparameters, "params"):
                self._attr(optimizer, name, f"optimizer.{name}", todo)
        self._walk(todo)
        self.parts: list[Iterable[Any]] = []
        for view in self.views:  # each view followed by an end mark: a length changed shifts
            self.parts += [view, _END]  # the marks after it, and the one pass sees it
        self.expected: list[Any] = []
        self._expect()

    def _expect(self) -> None:
        """``expected``: what the pass of :meth:`holds` should meet, in its order."""
        expected, items, k = self.expected, self.items, 0
        expected.clear()
        for size in self.sizes:
            expected += items[k : k + size]
            expected += _END
            k += size
        expected += self.values

    # ---------------------------------------------------------------------- the check
    def holds(self) -> bool:
        """True when every watched value is what it was (numbers and strings: equal)."""
        try:
            if all(map(is_, chain(*self.parts, map(getattr, self.holders, self.names)),
                       self.expected)):  # fmt: skip
                return True
            return self._equal()
        except (AttributeError, ValueError):
            return False  # an attribute deleted, a closure cell emptied

    def _equal(self) -> bool:
        """The slow check: a value not identical must be an equal number or string (then it is
        kept, so that the next fast check passes)."""
        if [*map(len, self.views)] != self.sizes:
            return False
        items = [*chain.from_iterable(self.views)]
        values = [*map(getattr, self.holders, self.names)]
        if not (_same(items, self.items) and _same(values, self.values)):
            return False
        self.items, self.values = items, values
        self._expect()
        return True

    def changed(self) -> str:
        """What changed since the snapshot, in words (for a message; ``''``: nothing)."""
        view_paths, item_paths, attr_paths = self.paths
        for view, size, path in zip(self.views, self.sizes, view_paths):
            if len(view) != size:
                return f"{path} has {len(view)} items, not {size}"
        for now, then, path in zip(chain.from_iterable(self.views), self.items, item_paths):
            if not _same([now], [then]):
                return f"{path} was rebound"
        for holder, name, then, path in zip(self.holders, self.names, self.values, attr_paths):
            try:
                now = getattr(holder, name)
            except (AttributeError, ValueError):
                return f"{path} was deleted"
            if not _same([now], [then]):
                return f"{path} was rebound"
        return ""

    # ------------------------------------------------------------------- the snapshot
    def _attr(self, holder: Any, name: str, path: str, todo: list[tuple[str, Any]]) -> None:
        value = getattr(holder, name)
        self.holders.append(holder)
        self.names.append(name)
        self.values.append(value)
        self.paths[2].append(path)
        todo.append((path, value))

    def _view(
        self, view: Collection[Any], path: str, keys: Iterable[str], todo: list[tuple[str, Any]],
        skip: frozenset[str] = frozenset(),
    ) -> None:  # fmt: skip
        """Watch the values of ``view`` (a list, or a dict's ``values()``), named by ``keys``
        (each ``path`` + key); walk into those whose key is not in ``skip``."""
        self.views.append(view)
        self.sizes.append(len(view))
        self.paths[0].append(path)
        for key, value in zip(keys, view):
            self.items.append(value)
            self.paths[1].append(path + key)
            if key not in skip:
                todo.append((path + key, value))

    def _walk(self, todo: list[tuple[str, Any]]) -> None:
        """Watch each value's parts, breadth first, each object once, up to :data:`LIMIT`."""
        seen: set[int] = set()
        i = 0
        while i < len(todo) and len(self.items) + len(self.names) < LIMIT:
            path, obj = todo[i]
            i += 1
            if isinstance(obj, _SCALARS) or isinstance(obj, np.ndarray) or id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, Node):  # a constant of the trace unless a parameter
                if id(obj) not in self.params:
                    self._attr(obj, "data", f"{path}.data", todo)
                    self._attr(obj, "requires_grad", f"{path}.requires_grad", todo)
            elif isinstance(obj, list):
                self._view(obj, path, [f"[{k}]" for k in range(len(obj))], todo)
            elif isinstance(obj, tuple):  # its items cannot be rebound: only walked into
                todo += [(f"{path}[{k}]", v) for k, v in enumerate(obj)]
            elif isinstance(obj, dict):
                self._view(obj.values(), path, [f"[{k!r}]" for k in obj], todo)
            elif isinstance(obj, types.FunctionType):
                for name in ("__defaults__", "__kwdefaults__"):  # (the code: not rebound)
                    if getattr(obj, name) is not None:
                        self._attr(obj, name, f"{path}.{name}", todo)
                names = obj.__code__.co_freevars
                for name, cell in zip(names, obj.__closure__ or ()):
                    if _filled(cell):
                        self._attr(cell, "cell_contents", f"{path}.<closure {name}>", todo)
            elif isinstance(obj, functools.partial):
                todo += [(f"{path}.func", obj.func), (f"{path}.args", obj.args),
                         (f"{path}.keywords", obj.keywords)]  # fmt: skip
            elif isinstance(obj, types.MethodType):
                todo += [(f"{path}.__func__", obj.__func__), (f"{path}.__self__", obj.__self__)]
            elif not isinstance(obj, self.opaque):
                attrs = getattr(obj, "__dict__", None)  # a module's, any object's
                if isinstance(attrs, dict):
                    self._view(attrs.values(), path, [f".{k}" for k in attrs], todo, _LABELS_DOT)


def _filled(cell: types.CellType) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - an empty cell raises
    except ValueError:
        return False
    return True


def _same(now: list[Any], then: list[Any]) -> bool:
    """Each pair identical, or numbers or strings of one type and equal."""
    for a, b in zip(now, then):
        if a is b:
            continue
        if type(a) is not type(b) or not isinstance(a, _SCALARS) or not bool(a == b):
            return False  # (nan is not equal to itself: traced again, to be safe)
    return True
