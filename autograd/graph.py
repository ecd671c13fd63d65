"""The graph core shared by both engines.

A computation graph is made of *nodes*. ``Value`` (a float) and ``Tensor`` (an ndarray) are two
kinds of node; both follow the protocol of :class:`Node`:

- ``data``          the result of the forward computation
- ``grad``          d(root)/d(node), filled in by ``backward()``
- ``requires_grad`` whether gradients flow into this node
- ``_parents``      the input nodes of the op that made this node (``()`` for a leaf)
- ``_fn``           that op, a ``Function`` (``function.py``): its name and its derivative rule

This module owns everything that walks the graph: the iterative topological order and the one
backward pass (behind ``backward()``, ``grad()`` and ``backward_steps()``); ``modes.py`` holds
the switches it reads (``no_grad``, ``detect_anomaly``). The engines only define ops.

A derivative rule receives a *math namespace* ``F``, the upstream gradient ``g``, the op's output
and its inputs, and returns one gradient per input. First-order backward passes raw numbers or
arrays (fast, no nodes are created); ``create_graph=True`` passes the nodes themselves, so the
same rule builds a differentiable graph of the gradient (higher-order derivatives for free).
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .modes import _Flags, check_backward_anomaly, enable_grad, raise_forward_anomaly

if TYPE_CHECKING:
    from .function import Function

__all__ = ["GraphFreedError", "Node", "grad"]


class GraphFreedError(RuntimeError):
    """Raised when backward runs through a graph whose links were freed by an earlier backward."""


# --------------------------------------------------------------------------- the protocol
class Node:
    """Base of ``Value`` and ``Tensor``: the graph protocol and the user-facing autograd surface.

    Subclasses set ``_raw_math`` (the namespace rules use on raw data), ``_node_math`` (the same
    functions on nodes, for ``create_graph``) and implement the few hooks below.
    """

    __slots__ = ("data", "grad", "requires_grad", "label", "_parents", "_fn")

    _raw_math: Any = None
    _node_math: Any = None
    _retain_graph_default = True
    _zero_grad: Any = None
    _broadcasts = False

    # -- hooks the engines provide --
    @classmethod
    def _constant(cls, data: Any) -> Node:
        """A node that requires no grad, holding ``data`` (seeds of create_graph walks)."""
        raise NotImplementedError

    @staticmethod
    def _is_finite(data: Any) -> bool:
        raise NotImplementedError

    @staticmethod
    def _from_forward(data: Any) -> Any:
        """What a custom op's forward returned, as this kind's ``data``."""
        return data

    def _default_seed(self) -> Any:
        """The gradient of this node with respect to itself, for ``backward()`` without ``grad``."""
        raise NotImplementedError

    def _check_seed(self, grad: Any) -> Any:
        """Validate and convert a user-given ``grad`` for ``backward(grad)``."""
        raise NotImplementedError

    def _coerce(self, x: Any) -> Node:
        """``x`` as a node of this kind: itself if it is one, else a constant (numbers, arrays)
        converted by the engine's rules (a Tensor's dtype, a Value's float check)."""
        raise NotImplementedError

    # -- building the graph --
    @classmethod
    def _result(cls, data: Any, fn: Function, parents: tuple) -> Node:
        """Make the output node of ``fn`` applied to ``parents``; record the graph if needed."""
        node = object.__new__(cls)
        node.data = data
        node.grad = cls._zero_grad
        node.label = ""
        node._fn = fn
        track = False
        if _Flags.grad_enabled:
            for p in parents:
                if p.requires_grad:
                    track = True
                    break
        node.requires_grad = track
        node._parents = parents if track else ()
        if _Flags.anomaly and not cls._is_finite(data):
            raise_forward_anomaly(fn, data, parents)
        return node

    # -- read-only views --
    @property
    def parents(self) -> tuple:
        """The input nodes of the op that made this node; ``()`` for a leaf."""
        return self._parents or ()

    @property
    def op(self) -> str:
        """The name of the op that made this node; ``''`` for a leaf."""
        return self._fn.name if self._fn is not None else ""

    @property
    def _prev(self) -> set:
        """micrograd's name for the parents (a set)."""
        return set(self.parents)

    @property
    def _op(self) -> str:
        """micrograd's name for :attr:`op`."""
        return self.op

    @property
    def is_leaf(self) -> bool:
        """True for nodes made by the user rather than by an op (PyTorch's meaning)."""
        return self._fn is None

    # -- in-place operators: a leaf that requires grad is updated under no_grad() only --
    def _in_place(self, op: Any, symbol: str, other: Any) -> Any:
        if self._fn is not None or not self.requires_grad:
            return NotImplemented  # Python falls back to the ordinary operator (a new node)
        if _Flags.grad_enabled:
            raise RuntimeError(
                f"'{symbol}=' on a leaf {type(self).__name__} that requires grad, while grad mode "
                "is on: in a loop such as `for p in params: p {symbol}= ...` it would only rebind "
                f"p and update nothing. Write `p.data {symbol}= ...`, wrap the update in "
                "`with no_grad():`, or use an optimizer (nn.SGD, ...)"
            )
        self.data = op(self.data, other.data if isinstance(other, Node) else other)
        return self

    def __iadd__(self, other: Any) -> Any:
        return self._in_place(operator.iadd, "+", other)

    def __isub__(self, other: Any) -> Any:
        return self._in_place(operator.isub, "-", other)

    def __imul__(self, other: Any) -> Any:
        return self._in_place(operator.imul, "*", other)

    def __itruediv__(self, other: Any) -> Any:
        return self._in_place(operator.itruediv, "/", other)

    # -- differentiation --
    def backward(
        self, grad: Any = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Fill ``.grad`` of every node this one depends on with d(self)/d(node).

        Gradients *accumulate*: calling ``backward()`` twice adds the gradients twice, as in
        PyTorch; reset them with ``zero_grad()`` (or ``x.grad = ...``) between steps.
        ``create_graph=True`` makes the gradients nodes themselves, so they can be differentiated
        again. ``retain_graph`` keeps the graph's links for another backward pass (the default
        for ``Value``; ``Tensor`` frees them unless asked, like PyTorch).
        """
        if not self.requires_grad:
            raise RuntimeError(
                f"backward() on a {type(self).__name__} that does not require grad: "
                "it was made without any input that requires grad (or under no_grad())"
            )
        seed = self._default_seed() if grad is None else self._check_seed(grad)
        run_backward([self], [seed], retain_graph, create_graph, accumulate=True)


# ------------------------------------------------------------------------------- the walk
class _Mark:
    """A fresh object per walk, stored in ``.grad`` of the ops' nodes it has visited."""


def topological_order(roots: Sequence[Node], saved: list | None = None) -> list[Node]:
    """The op nodes (non-leaves requiring grad) reachable from ``roots``, each after its parents.

    Iterative depth-first search: no recursion, so a chain of a million ops is fine. Visited nodes
    are marked in their ``.grad`` slot, which is reset to ``None`` before returning: an op node's
    ``.grad`` holds the gradient of the latest backward pass only (leaves accumulate). Pass a
    list as ``saved`` to get ``(node, old .grad)`` pairs back, to restore them later.
    """
    mark = _Mark()
    order: list[Node] = []
    stack: list[tuple[Node, Iterator[Node]]] = []
    try:
        for root in roots:
            if root._fn is None or not root.requires_grad or root.grad is mark:
                continue
            links = _links(root)  # before marking: a freed graph raises with nothing marked
            if saved is not None:
                saved.append((root, root.grad))
            root.grad = mark
            stack.append((root, iter(links)))
            while stack:
                node, pending = stack[-1]
                for parent in pending:
                    if parent._fn is not None and parent.requires_grad and parent.grad is not mark:
                        links = _links(parent)
                        if saved is not None:
                            saved.append((parent, parent.grad))
                        parent.grad = mark
                        stack.append((parent, iter(links)))
                        break
                else:
                    stack.pop()
                    order.append(node)
    finally:
        for node in order:
            node.grad = node._zero_grad
        for node, _ in stack:  # only when an error stopped the walk
            node.grad = node._zero_grad
    return order


def _links(node: Node) -> tuple:
    if node._parents is None:
        raise GraphFreedError(
            f"the graph behind {node._fn.name!r} was freed by an earlier backward(); "
            "pass retain_graph=True to the first backward() to go through it again"
        )
    return node._parents


class BackwardPass:
    """One backward pass, in three parts that every driver shares: the set-up (topological order,
    seeds, saved ``.grad`` for ``grad()``), :meth:`chain_rule` at each node, and :meth:`close`.

    ``run_backward`` drives it in one loop; ``backward_walk`` (under ``backward_steps``) yields
    after each node. With ``accumulate`` the leaves' gradients add into their ``.grad``; without
    it every ``.grad`` is put back as it was when the pass closes.
    """

    def __init__(
        self,
        roots: Sequence[Node],
        seeds: Sequence[Any],
        retain_graph: bool | None,
        create_graph: bool,
        accumulate: bool,
    ) -> None:
        self.saved: list[tuple[Node, Any]] = []
        try:
            self.order = topological_order(roots, None if accumulate else self.saved)
        except BaseException:
            self.close(completed=False)  # grad(): put back the .grad it had saved
            raise
        if not accumulate:  # grad(): work in .grad, then put every .grad back as it was
            leaves = [*roots, *(p for n in self.order for p in n._parents if p._fn is None)]
            self.saved += [(node, node.grad) for node in leaves]
            for node in leaves:
                node.grad = None
        kind = type(roots[0])
        if create_graph:
            seeds = [s if isinstance(s, Node) else kind._constant(s) for s in seeds]
        else:  # first order: a node given as seed counts by its number
            seeds = [s.data if isinstance(s, Node) else s for s in seeds]
        for root, seed in zip(roots, seeds):
            root.grad = seed if root.grad is None else root.grad + seed
        self.create_graph = create_graph
        self.F = kind._node_math if create_graph else kind._raw_math
        self.broadcasts = kind._broadcasts
        self.owns_arrays = kind._broadcasts and not create_graph  # first-order Tensor pass
        self.anomaly = _Flags.anomaly
        if retain_graph is None:
            retain_graph = create_graph or kind._retain_graph_default
        self.retain_graph = retain_graph

    def chain_rule(self, node: Node) -> tuple[Any, Any]:
        """Run ``node``'s rule on its upstream gradient (its ``.grad``) and add each contribution
        into the parent's ``.grad``. Returns the rule's inputs (raw data, or the nodes under
        create_graph) and the contributions as added (broadcasting undone)."""
        parents, F = node._parents, self.F
        if self.create_graph:  # rules run on nodes and record the gradient's own graph
            inputs = parents
            with enable_grad():
                contributions = node._fn.backward(F, node.grad, node, *inputs)
        else:  # rules run on raw data: no node is created, grad mode does not matter
            inputs = [p.data for p in parents]
            contributions = node._fn.backward(F, node.grad, node.data, *inputs)
        if self.broadcasts and not node._fn.shapes_exact:  # sum back to each input's shape
            contributions = [
                None if c is None or not p.requires_grad else F.unbroadcast(c, p.data.shape)
                for p, c in zip(parents, contributions)
            ]
        if self.anomaly:
            check_backward_anomaly(node._fn, contributions, parents)
        g = node.grad
        for parent, c in zip(parents, contributions):
            if c is None or not parent.requires_grad:
                continue
            if self.owns_arrays and c.dtype is not parent.data.dtype:  # (dtypes are shared)
                c = c.astype(parent.data.dtype, copy=False)  # a gradient has its tensor's dtype
            previous = parent.grad
            if previous is not None:
                total = previous + c
                if self.owns_arrays and type(total) is not np.ndarray:  # 0-d: a NumPy scalar
                    total = np.asarray(total)
                parent.grad = total
            elif self.owns_arrays and parent._fn is None and (c is g or c.base is not None):
                parent.grad = c.copy()  # a leaf's .grad is its own array, safe to change in place
            else:
                parent.grad = c
        return inputs, contributions

    def gradients_of(self, wanted: Sequence[Node]) -> list:
        """What this pass gave each node of ``wanted`` (``None`` if nothing); ``grad()`` only."""
        reached = {id(node) for node, _ in self.saved}
        return [x.grad if id(x) in reached else None for x in wanted]

    def close(self, completed: bool) -> None:
        """Put back the saved ``.grad``; free the graph's links after a completed pass unless
        it is retained."""
        for node, g in reversed(self.saved):  # a node saved twice gets its first (original) grad
            node.grad = g
        if completed and not self.retain_graph:
            for node in self.order:
                node._parents = None


def run_backward(
    roots: Sequence[Node],
    seeds: Sequence[Any],
    retain_graph: bool | None,
    create_graph: bool,
    accumulate: bool,
    wanted: Sequence[Node] = (),
) -> list:
    """The backward driver behind ``backward()`` and ``grad()``: apply the chain rule at every
    node, in reverse topological order. Returns the gradient of each node in ``wanted``."""
    walk = BackwardPass(roots, seeds, retain_graph, create_graph, accumulate)
    completed = False
    try:
        for node in reversed(walk.order):
            if node.grad is not None:
                walk.chain_rule(node)
        result = walk.gradients_of(wanted) if wanted else []
        completed = True
    finally:
        walk.close(completed)
    return result


def backward_walk(
    roots: Sequence[Node],
    seeds: Sequence[Any],
    retain_graph: bool | None,
    create_graph: bool,
    accumulate: bool,
) -> Iterator[tuple[Node, Any, Any, Any]]:
    """The same pass as :func:`run_backward`, as a generator: after each node's rule ran it yields
    ``(node, upstream_grad, inputs, contributions)`` (``backward_steps`` is built on it)."""
    walk = BackwardPass(roots, seeds, retain_graph, create_graph, accumulate)
    completed = False
    try:
        for node in reversed(walk.order):
            upstream = node.grad
            if upstream is not None:
                inputs, contributions = walk.chain_rule(node)
                yield node, upstream, inputs, contributions
        completed = True
    finally:
        walk.close(completed)


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
        seeds.append(out._default_seed() if g is None else out._check_seed(g))
    grads = run_backward(outs, seeds, retain_graph, create_graph, accumulate=False, wanted=ins)
    for i, (x, g) in enumerate(zip(ins, grads)):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad(): input {i} ({x!r}) is not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
    return tuple(grads)
