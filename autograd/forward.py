"""Forward mode: tangents carried beside the values, in the same pass that computes them.

``functional.jvp`` runs ``f`` once inside a :class:`Level`: every node an op makes is handed to
the level (``modes.set_node_hook``) right after it is made, and the level computes its tangent
(d node / d eps when the inputs move along the seeded tangents) from the tangents of the op's
inputs. No graph is walked, and no op has a second rule: an op's forward derivative J . t is
obtained from its reverse rule ``backward(F, g, out, *inputs)``, which computes J^T g for every
input, in one of two ways.

- **Diagonal Jacobians: the rule applied to the tangent.** When each output element depends only
  on the same element of each input (the ops of ``ops.py``, ``maximum``, ``clip``, ``astype``;
  an op says so with ``elementwise = True``), J_i is diagonal, so J_i = J_i^T and
  J . t = sum_i backward(F, t_i, out, *inputs)[i]: the rule run with the tangent in place of the
  upstream gradient (broadcasting as the op broadcasts). Every ``Value`` op is of this kind (a
  scalar's J_i is 1 x 1), custom ops included. An op with more than two moving inputs (``dot``,
  ``sum_of``) runs its rule once with g = 1 and weighs each input's partial by its tangent.
- **Any other Jacobian: the transpose of the rule.** The rule is linear in g, so
  J . t = d/dg <J^T g, t>: the rule runs on nodes (``NodeMath``) with a stand-in g, and one
  backward pass through that small graph, seeded with the tangents, gives J . t. Matmul,
  ``linear``, the reductions, the shape ops, indexing, softmax, cross-entropy, and any custom
  ``Tensor`` op are differentiated so.

A level is *differentiable* when its tangents must be differentiated again (``jvp`` inside
another transform, or ``create_graph=True``): the tangents are then nodes, computed by the rules
on nodes (the transpose's stand-ins for the op's inputs are ``Identity`` links to them), so an
enclosing reverse pass differentiates through them and an enclosing forward level sees every op
that computes them. Levels nest: while a level computes a tangent, the levels opened inside it
are not shown the ops it runs (they are no part of the function those levels differentiate);
the levels around it are. Tangents are kept per level, so ``jvp`` of ``jvp`` never mixes the
directions of two levels. ``no_grad()`` stops tangents too.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from . import core
from .core import Function, Node
from .math import NodeMath
from .modes import enable_grad, set_node_hook

__all__: list[str] = []


class Identity(Function):
    """The link from a transform's fresh leaf (or a forward-mode stand-in) to the node it copies:
    d(out)/d(x) = 1."""

    name = "id"
    elementwise = True

    def forward(self, F: Any, x: Any) -> Any:
        return x

    def backward(self, F: Any, g: Any, out: Any, x: Any) -> tuple:
        return (g,)


IDENTITY = Identity()


class _State(threading.local):
    """The open levels of this thread, outermost first, and how many of them see new nodes."""

    def __init__(self) -> None:
        self.levels: list[Level] = []
        self.seen = 0


_STATE = _State()


class Level:
    """One forward-mode pass: the tangent of every node it has seen (``None``: zero).

    ``with Level(differentiable) as level:`` opens it; ``level.seed(leaf, t)`` gives an input
    its tangent; every op run inside the block gets its tangent from its inputs'.
    """

    def __init__(self, differentiable: bool) -> None:
        self.differentiable = differentiable
        self.tangents: dict[Node, Any] = {}

    def __enter__(self) -> Level:
        state = _STATE
        self._saved = state.seen
        state.levels.append(self)
        state.seen = len(state.levels)
        if len(state.levels) == 1:
            self._hook = set_node_hook(_on_node)
        return self

    def __exit__(self, *exc: object) -> None:
        state = _STATE
        state.levels.remove(self)
        state.seen = self._saved
        if not state.levels:
            set_node_hook(self._hook)

    def seed(self, node: Node, tangent: Any) -> None:
        """Give ``node`` (an input of the function) the tangent ``tangent``: raw data, or a node
        (kept as one when the level is differentiable, so its own derivatives are followed)."""
        self.tangents[node] = _fit(tangent, node, self.differentiable)

    def tangent(self, node: Any) -> Any:
        """The tangent of ``node`` in this level: raw data, a node, or ``None`` (zero)."""
        return self.tangents.get(node) if isinstance(node, Node) else None


def inherit(leaf: Node, source: Any) -> None:
    """Give a transform's fresh ``leaf`` the tangents ``source`` has in every open level (what
    an ``Identity`` link does for an enclosing reverse pass, done for the forward levels)."""
    state = _STATE
    if isinstance(source, Node) and leaf is not source:
        for level in state.levels[: state.seen]:
            t = level.tangents.get(source)
            if t is not None:
                level.tangents[leaf] = t


def _on_node(node: Node) -> None:
    """The node hook: ``node``'s tangent in each level that sees it, outermost first (so an inner
    level's stand-ins find the outer tangents of the node already there)."""
    state = _STATE
    levels = state.levels[: state.seen]
    for k, level in enumerate(levels):
        tangents = [level.tangents.get(p) if isinstance(p, Node) else None for p in node._parents]
        if not any(t is not None for t in tangents):
            continue
        saved = state.seen
        state.seen = k if level.differentiable else 0  # inner levels never see this work
        try:
            t = op_jvp(node, tangents, level.differentiable)
        finally:
            state.seen = saved
        if t is not None:
            level.tangents[node] = t


def op_jvp(node: Node, tangents: Sequence[Any], differentiable: bool) -> Any:
    """The tangent of ``node`` given the tangents of its op's inputs (``None``: zero), from the
    op's reverse rule (see the module docstring); ``None`` if it is zero. Raw data, or a node
    when ``differentiable``."""
    fn = node._fn
    assert fn is not None, "a tangent is asked of op nodes only"
    with enable_grad():
        if isinstance(node.data, float) or fn.elementwise:
            t = _diagonal(fn, node, tangents, differentiable)
        else:
            t = _transposed(fn, node, tangents, differentiable)
    return _fit(t, node, differentiable)


def _diagonal(fn: Function, node: Node, tangents: Sequence[Any], differentiable: bool) -> Any:
    """sum_i J_i t_i for an op whose J_i are diagonal: its rule applied to each tangent."""
    parents = node._parents
    inputs: Sequence[Any]
    if differentiable:
        F, out, inputs = NodeMath, node, parents
    else:
        F, out = node._math, node.data
        inputs = [p.data if isinstance(p, Node) else p for p in parents]
    moving = [(i, t) for i, t in enumerate(tangents) if t is not None]
    total = None
    if len(moving) <= 2:  # the rule selects as it does backward (inf * 0 never made)
        for i, t in moving:
            c = fn.backward(F, t, out, *inputs)[i]
            if c is not None:
                total = c if total is None else total + c
        return total
    partials = fn.backward(F, 1.0, out, *inputs)  # many inputs: one call, partials x tangents
    for i, t in moving:
        if partials[i] is not None:
            term = partials[i] * t
            total = term if total is None else total + term
    return total


def _transposed(fn: Function, node: Node, tangents: Sequence[Any], differentiable: bool) -> Any:
    """J . t = d/dg <rule(g), t>: the rule on nodes with a stand-in ``g``, then one backward
    pass through that small graph, seeded with the tangents."""
    kind = type(node)
    g = kind(np.zeros_like(node.data), requires_grad=True)
    cut: list[tuple[Node, Node]] = []  # (stand-in, the node it stands for)

    def stand_in(p: Any) -> Any:
        if not isinstance(p, Node):
            return p
        if not differentiable or not p.requires_grad:
            return p.detach()
        q = IDENTITY.apply(p)  # seen by the enclosing levels, which give it p's tangents
        q._fn, q._parents = None, ()  # a leaf while the small graph is walked
        cut.append((q, p))
        return q

    try:
        out, inputs = stand_in(node), [stand_in(p) for p in node._parents]
        cotangents = fn.backward(NodeMath, g, out, *inputs)
        roots, seeds = [], []
        for c, t in zip(cotangents, tangents):
            if t is None or not isinstance(c, Node) or not c.requires_grad:
                continue
            roots.append(c)
            seeds.append(_broadcast(t, c.data.shape))
        if not roots:
            return None
        (jt,) = core.grad(roots, [g], grad_outputs=seeds, create_graph=differentiable,
                          retain_graph=differentiable, allow_unused=True)  # fmt: skip
        return jt
    finally:
        for q, p in cut:
            q._fn, q._parents = IDENTITY, (p,)


def _broadcast(t: Any, shape: tuple) -> Any:
    """A tangent spread over the broadcast ``shape`` of its cotangent (the adjoint of summing a
    broadcast gradient back)."""
    if np.shape(t.data if isinstance(t, Node) else t) == shape:
        return t
    if isinstance(t, Node):  # a Tensor (the engine names no node kind): its own broadcast_to
        return cast(Any, t).broadcast_to(shape)
    return np.broadcast_to(t, shape)


def _fit(t: Any, node: Node, differentiable: bool) -> Any:
    """A tangent as ``node``'s kind of tangent: its shape and dtype, a node if
    ``differentiable`` (a constant one from raw data), else raw data; ``None`` stays ``None``."""
    if t is None:
        return None
    data = node.data
    if isinstance(data, float):
        if differentiable:
            return t if isinstance(t, Node) else type(node)(float(t), requires_grad=False)
        return float(t.data if isinstance(t, Node) else t)
    if differentiable:
        if not isinstance(t, Node):
            t = type(node)(np.asarray(t, dtype=data.dtype), requires_grad=False)
        t = cast(Any, t)  # a Tensor: the kind of an array node, with astype and broadcast_to
        if t.data.dtype != data.dtype:
            t = t.astype(data.dtype)
        return t if t.data.shape == data.shape else t.broadcast_to(data.shape)
    t = np.asarray(t.data if isinstance(t, Node) else t)
    if t.dtype != data.dtype:
        t = t.astype(data.dtype)
    return t if t.shape == data.shape else np.broadcast_to(t, data.shape)
