"""Argument structures of the function transforms: nested tuples, lists and dicts of nodes.

JAX calls them pytrees. :func:`flatten` lists the leaves (dicts in their keys' order),
:func:`unflatten` fills a structure with new leaves, and :func:`matching` checks a tangent or
cotangent against the nodes it goes with (the same structure, and each leaf the same kind, shape
and dtype), raising an error that names the leaf's place (``tangents[1]['w']``).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np

from .core import Node

__all__: list[str] = []

_SEQUENCES = (list, tuple)


def flatten(tree: Any, into: list | None = None) -> list:
    """The leaves of a nested list/tuple/dict structure, in order (a dict's in its keys')."""
    into = [] if into is None else into
    if type(tree) in _SEQUENCES:
        for item in tree:
            flatten(item, into)
    elif type(tree) is dict:
        for item in tree.values():
            flatten(item, into)
    else:
        into.append(tree)
    return into


def unflatten(template: Any, items: Iterator) -> Any:
    """``template``'s list/tuple/dict structure, filled with ``items`` in order."""
    if type(template) in _SEQUENCES:
        return type(template)(unflatten(t, items) for t in template)
    if type(template) is dict:
        return {key: unflatten(t, items) for key, t in template.items()}
    return next(items)


def paths(tree: Any, name: str) -> list[str]:
    """The place of each leaf of ``tree`` (in :func:`flatten`'s order), written from ``name``:
    ``name[0]``, ``name['w']``; ``name`` itself for a tree that is one leaf."""
    if type(tree) in _SEQUENCES:
        return [p for i, t in enumerate(tree) for p in paths(t, f"{name}[{i}]")]
    if type(tree) is dict:
        return [p for k, t in tree.items() for p in paths(t, f"{name}[{k!r}]")]
    return [name]


def shape_of(x: Any) -> tuple:
    """The shape of a node's data, an array or a number (``()``)."""
    return np.shape(x.data if isinstance(x, Node) else x)


def matching(who: str, name: str, given: Any, like_name: str, like: Any) -> list:
    """``given``'s leaves, checked against the nodes of ``like`` (``name`` and ``like_name``
    say what each is, for the error): the same structure, and for each leaf a number or a
    ``Value`` for a ``Value``, an array or a ``Tensor`` of the same shape and dtype for a
    ``Tensor``. Returns raw data (a float, an array), or the node given (to be differentiated
    along)."""
    out: list = []
    stack = [(given, like, name, like_name)]
    while stack:
        g, x, path, like_path = stack.pop()
        if type(x) in _SEQUENCES or type(x) is dict:
            items = _children(who, g, x, path, like_path)
            stack.extend(reversed(items))
        else:
            out.append(_leaf(who, g, x, path, like_path))
    return out


def _children(who: str, g: Any, x: Any, path: str, like_path: str) -> list:
    if type(x) is dict:
        if type(g) is not dict or list(g) != list(x):
            have = f"a dict with keys {list(g)}" if type(g) is dict else _what(g)
            raise ValueError(f"{who}: {path} is {have} but {like_path} is a dict with keys "
                             f"{list(x)}; they must have the same structure")  # fmt: skip
        return [(g[k], x[k], f"{path}[{k!r}]", f"{like_path}[{k!r}]") for k in x]
    if type(g) not in _SEQUENCES or len(g) != len(x):
        have = f"a {type(g).__name__} of {len(g)}" if type(g) in _SEQUENCES else _what(g)
        raise ValueError(f"{who}: {path} is {have} but {like_path} is a {type(x).__name__} of "
                         f"{len(x)}; they must have the same structure")  # fmt: skip
    return [(a, b, f"{path}[{i}]", f"{like_path}[{i}]") for i, (a, b) in enumerate(zip(g, x))]


def _what(g: Any) -> str:
    return f"a {type(g).__name__}" if not isinstance(g, (Node, np.ndarray)) else "one array"


def _leaf(who: str, g: Any, x: Node, path: str, like_path: str) -> Any:
    """One leaf of a tangent or cotangent ``g`` for the node ``x``."""
    scalar = isinstance(x.data, float)  # a Value
    kind = type(x).__name__
    data: Any
    if isinstance(g, Node):
        if type(g) is not type(x):
            raise TypeError(f"{who}: {path} is a {type(g).__name__} but {like_path} is a {kind}")
        data = g.data
    elif isinstance(g, numbers.Real) and not isinstance(g, bool):
        data = float(g) if scalar else np.asarray(g, dtype=x.data.dtype)
    elif isinstance(g, np.ndarray) and g.dtype.kind in "biuf":
        data = g
    else:
        raise TypeError(f"{who}: {path} must be a number, an array or a {kind} (the kind of "
                        f"{like_path}), got {type(g).__name__}: {g!r:.60}")  # fmt: skip
    if shape_of(data) != shape_of(x):
        raise ValueError(f"{who}: {path} has shape {shape_of(data)} but {like_path} has shape "
                         f"{shape_of(x)}; they must be equal")  # fmt: skip
    if scalar:
        if isinstance(data, np.ndarray) and data.dtype.kind != "f":
            raise TypeError(f"{who}: {path} holds {data.dtype} data; {like_path} is a float")
        return g if isinstance(g, Node) else float(data)
    if data.dtype != x.data.dtype:
        raise TypeError(f"{who}: {path} has dtype {data.dtype} but {like_path} has dtype "
                        f"{x.data.dtype}; they must be equal (convert it with "
                        f".astype(np.{x.data.dtype}))")  # fmt: skip
    return g if isinstance(g, Node) else data
