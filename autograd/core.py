"""The graph core shared by both engines: the node protocol, ``Function``, the modes, the walk.

A computation graph is made of *nodes*; ``Value`` (a float) and ``Tensor`` (an ndarray) are two
kinds of node. Every node has six attributes: ``data`` (the forward result), ``grad``
(d(root)/d(node), ``None`` until a backward pass computes it; a ``Value`` leaf starts at 0.0),
``requires_grad``, ``label``, ``_fn`` (the op that made it, a :class:`Function`; ``None`` for a
leaf) and ``_parents`` (that op's inputs: nodes, and constants kept as plain numbers or arrays).
A node kind provides five hooks, and nothing else here knows which kind it works on:

- ``_math``             the math namespace ``F`` its rules use on raw data (``math.py``)
- ``_retain``           whether ``backward()`` keeps the graph by default
- ``_apply(fn, inputs)`` run an op: constants converted, forward on raw data, the node recorded
- ``_seed(grad)``       the gradient a backward pass starts from (``grad=None``: d(root)/d(root))
- ``_accumulate(parents, grads, g)``  add each input's gradient into its ``.grad`` (undoing
  broadcasting, for a Tensor)

A derivative rule receives ``F``, the upstream gradient ``g``, the op's output and its inputs,
and returns one gradient per input. First-order backward passes raw numbers or arrays (no nodes
are made); ``create_graph=True`` passes the nodes and the shared node namespace, so the same rule
builds a differentiable graph of the gradient: higher-order derivatives for free.
"""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from .math import NodeMath

__all__ = [
    "AnomalyError",
    "Function",
    "GraphFreedError",
    "Node",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "no_grad",
]


class GraphFreedError(RuntimeError):
    """Raised when backward runs through a graph whose links were freed by an earlier backward."""


class AnomalyError(RuntimeError):
    """Raised inside :func:`detect_anomaly` when an op produces nan or inf."""


# ------------------------------------------------------------------------------ the modes
class _ThreadFlags(threading.local):
    """Grad mode and anomaly mode, one set per thread (as in PyTorch)."""

    grad_enabled = True
    anomaly = False


_Flags = _ThreadFlags()


class _GradMode:
    """Context manager and decorator that sets grad mode, restoring the old mode on exit."""

    def __init__(self, enabled: bool) -> None:
        self.enabled, self.saved = enabled, []

    def __enter__(self) -> None:
        self.saved.append(_Flags.grad_enabled)
        _Flags.grad_enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        _Flags.grad_enabled = self.saved.pop()

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _GradMode(self.enabled):
                return func(*args, **kwargs)

        return wrapper


def no_grad() -> _GradMode:
    """Ops inside ``with no_grad():`` (or a function decorated ``@no_grad()``) build no graph."""
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """Turn graph building back on inside a ``no_grad`` block."""
    return _GradMode(True)


def is_grad_enabled() -> bool:
    """True when ops record the graph (the default)."""
    return _Flags.grad_enabled


class detect_anomaly:  # noqa: N801 - named like torch.autograd.detect_anomaly
    """Context manager: raise :class:`AnomalyError` at the first op, forward or backward, whose
    result contains nan or inf, naming the op and its inputs."""

    def __enter__(self) -> detect_anomaly:
        self.saved, _Flags.anomaly = _Flags.anomaly, True
        return self

    def __exit__(self, *exc: object) -> None:
        _Flags.anomaly = self.saved


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Node) else x


def _short(x: Any) -> str:
    text = repr(_data(x))
    return text if len(text) <= 80 else text[:77] + "..."


def _check_finite(x: Any, message: str) -> None:
    """Raise :class:`AnomalyError` (``message`` with ``{}`` as ``x``) if ``x`` is not finite."""
    if not np.isfinite(_data(x)).all():
        raise AnomalyError(message.format(_short(x)))


# ------------------------------------------------------------------- the node and its op
class Function:
    """An op: a name for display, a forward on raw data and a local derivative rule.

    Subclass it and define ``forward(self, F, *data)`` (the result from the inputs' numbers or
    arrays; ``F`` is the engine's math namespace) and ``backward(self, F, g, out, *inputs)``
    (one gradient per input, ``g * d(out)/d(input)``, written with ``F`` and plain operators).
    Parameters of an op (an axis, a mask) are attributes of the instance; an op holds no node.
    """

    name = "?"

    def forward(self, F: Any, *data: Any) -> Any:
        """The op's result, from the raw data of its inputs."""
        raise NotImplementedError

    def backward(self, F: Any, g: Any, out: Any, *inputs: Any) -> Sequence[Any]:
        """One gradient per input: d(root)/d(input) = g * d(out)/d(input)."""
        raise NotImplementedError

    def apply(self, *inputs: Any) -> Node:
        """Run this op on ``inputs`` (nodes of one kind, and constants) and record it."""
        for x in inputs:
            if isinstance(x, Node):
                return type(x)._apply(self, inputs)
        raise TypeError(
            f"{type(self).__name__}.apply() needs Value inputs or Tensor inputs (plus "
            "constants), got node kinds: none"
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class Node:
    """Base of ``Value`` and ``Tensor``: the graph's attributes and the autograd surface."""

    __slots__ = ("data", "grad", "requires_grad", "label", "_parents", "_fn")
    _math: Any = None
    _retain = True

    @classmethod
    def _make(cls, data: Any, fn: Function, parents: tuple, track: bool) -> Node:
        """The output node of ``fn``; its inputs are kept only if ``track`` and grad mode is on."""
        node = object.__new__(cls)
        node.data, node.grad, node.label, node._fn = data, None, "", fn
        node.requires_grad = track = track and _Flags.grad_enabled
        node._parents = parents if track else ()
        if _Flags.anomaly:
            shown = ", ".join(_short(p) for p in parents).replace("{", "{{").replace("}", "}}")
            _check_finite(data, f"op {fn.name!r} produced {{}} from inputs {shown}")
        return node

    @property
    def parents(self) -> tuple:
        """The input nodes of the op that made this node (constants left out); ``()`` for a leaf."""
        return tuple(p for p in self._parents or () if isinstance(p, Node))

    @property
    def op(self) -> str:
        """The name of the op that made this node; ``''`` for a leaf."""
        return self._fn.name if self._fn is not None else ""

    @property
    def is_leaf(self) -> bool:
        """True for nodes made by the user rather than by an op (PyTorch's meaning)."""
        return self._fn is None

    def backward(
        self, grad: Any = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Fill ``.grad`` of every node this one depends on with d(self)/d(node).

        Gradients *accumulate* in the leaves, as in PyTorch: reset them with ``zero_grad()``
        between steps. ``create_graph=True`` makes the gradients nodes, differentiable again.
        ``retain_graph`` keeps the graph for another backward (the default for ``Value``;
        ``Tensor`` frees it unless asked, like PyTorch).
        """
        if not self.requires_grad:
            raise RuntimeError(
                f"backward() on a {type(self).__name__} that does not require grad: "
                "it was made without any input that requires grad (or under no_grad())"
            )
        for _ in backward_walk([self], [self._seed(grad)], retain_graph, create_graph, True):
            pass


# ------------------------------------------------------------------------------- the walk
def topological_order(roots: Sequence[Node]) -> list[Node]:
    """The op nodes that require grad reachable from ``roots``, each after its inputs.

    An iterative depth-first search with a set of visited nodes: no recursion, so a chain of a
    million ops is fine. Leaves and constants are left out (no rule runs at them).
    """
    order: list[Node] = []
    seen: set[Node] = set()
    for root in roots:
        if root._fn is None or not root.requires_grad or root in seen:
            continue
        seen.add(root)
        stack: list[tuple[Node, Iterator]] = [(root, iter(_inputs(root)))]
        while stack:
            node, pending = stack[-1]
            for p in pending:
                if getattr(p, "_fn", None) is not None and p.requires_grad and p not in seen:
                    seen.add(p)
                    stack.append((p, iter(_inputs(p))))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def _inputs(node: Node) -> tuple:
    if node._parents is None:
        raise GraphFreedError(
            f"the graph behind {node._fn.name!r} was freed by an earlier backward(); "
            "pass retain_graph=True to the first backward() to go through it again"
        )
    return node._parents


def chain_rule(node: Node, create_graph: bool) -> tuple[Any, Any]:
    """Run ``node``'s rule on its upstream gradient (``node.grad``) and add each input's share
    into that input's ``.grad``. Returns the rule's inputs and the gradients it gave them."""
    fn, parents, g = node._fn, node._parents, node.grad
    if create_graph:  # rules run on the nodes and record the gradient's own graph
        inputs = parents
        with enable_grad():
            grads = fn.backward(NodeMath, g, node, *inputs)
    else:  # rules run on raw data: no node is made
        inputs = [p.data if isinstance(p, Node) else p for p in parents]
        grads = fn.backward(node._math, g, node.data, *inputs)
    if _Flags.anomaly:
        for p, c in zip(parents, grads):
            if c is not None and isinstance(p, Node):
                shown = _short(p).replace("{", "{{").replace("}", "}}")
                _check_finite(
                    c,
                    f"backward of op {fn.name!r} produced {{}} as the gradient of "
                    f"its input {shown}",
                )
    type(node)._accumulate(parents, grads, g)
    return inputs, grads


def backward_walk(
    roots: Sequence[Node],
    seeds: Sequence[Any],
    retain_graph: bool | None,
    create_graph: bool,
    accumulate: bool,
    wanted: Sequence[Node] = (),
) -> Iterator[tuple[Node, Any, Any, Any]]:
    """The one backward pass, behind ``backward()``, ``grad()`` and ``backward_steps()``: seed the
    roots, then apply the chain rule at every node in reverse topological order, yielding
    ``(node, upstream, inputs, grads)`` after each. Without ``accumulate`` every ``.grad`` is
    put back as it was, and the last thing yielded is the list of ``wanted``'s gradients."""
    order = topological_order(roots)
    saved = []  # grad(): every .grad the pass touches, to put back
    if not accumulate:
        leaves = [p for n in order for p in n._parents if isinstance(p, Node) and p._fn is None]
        saved = [(n, n.grad) for n in (*order, *roots, *leaves)]
    completed = False
    try:
        for node in order if accumulate else (n for n, _ in saved):
            node.grad = None  # an op node's .grad holds the latest pass only
        for root, seed in zip(roots, seeds):
            if create_graph and not isinstance(seed, Node):
                seed = type(root)(seed, requires_grad=False)
            elif not create_graph:
                seed = _data(seed)
            root.grad = seed if root.grad is None else root.grad + seed
        for node in reversed(order):
            upstream = node.grad
            if upstream is not None:
                yield (node, upstream, *chain_rule(node, create_graph))
        if not accumulate:
            reached = {n for n, _ in saved}
            yield [x.grad if x in reached else None for x in wanted]
        completed = True
    finally:
        if not accumulate:
            for node, old in reversed(saved):  # a node saved twice gets its first grad
                node.grad = old
        if retain_graph is None:
            retain_graph = create_graph or type(roots[0])._retain
        if completed and not retain_graph:
            for node in order:
                node._parents = None


def grad(
    outputs: Node | Sequence[Node],
    inputs: Node | Sequence[Node],
    grad_outputs: Any = None,
    create_graph: bool = False,
    retain_graph: bool | None = None,
    allow_unused: bool = False,
) -> tuple:
    """Return d(sum of outputs)/d(input) for each input, without touching any ``.grad``.

    PyTorch's ``torch.autograd.grad``: ``grad_outputs`` gives the upstream gradient of each output
    (required for non-scalar outputs); ``create_graph=True`` returns differentiable gradients.
    An input the outputs do not depend on raises, unless ``allow_unused=True`` (then ``None``).
    """
    outs = [outputs] if isinstance(outputs, Node) else list(outputs)
    ins = [inputs] if isinstance(inputs, Node) else list(inputs)
    if not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs] * len(outs)
    seeds = []
    for out, g in zip(outs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError(f"grad(): output {out!r} does not require grad")
        seeds.append(out._seed(g))
    walk = backward_walk(outs, seeds, retain_graph, create_graph, False, ins)
    grads = deque(walk, maxlen=1)[0]  # the walk's last item: the gradients of the inputs
    for i, (x, g) in enumerate(zip(ins, grads)):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad(): input {i} ({x!r}) is not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
    return tuple(grads)
