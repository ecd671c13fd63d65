"""The graph core shared by both engines: the node protocol, ``Function``, the walk.

``Value`` (a float) and ``Tensor`` (an ndarray) are two kinds of :class:`Node`. Every node has
``data``, ``grad`` (d(root)/d(node); ``None`` until computed, 0.0 for a fresh ``Value`` leaf),
``requires_grad``, ``label``, ``_fn`` (the op that made it; ``None`` for a leaf) and ``_parents``
(the op's inputs: nodes, and constants kept as plain numbers or arrays). A node kind provides
five hooks; nothing here knows which kind it works on:

- ``_math``: the namespace ``F`` of its rules on raw data; ``_retain``: backward keeps the graph
- ``_apply(fn, inputs)``: constants converted, ``fn.forward`` run on raw data, the node made
- ``_seed(grad)``: where a backward pass starts (``grad=None``: d(root)/d(root))
- ``_accumulate(parents, grads, g)``: add each input's gradient into its ``.grad``

The modes it obeys (grad mode, anomaly mode, the node hook) are in ``modes.py``. A node hook
(:func:`~autograd.modes.set_node_hook`) sees every node an op makes that requires grad, right after
it is made: how forward mode (``forward.py``) carries tangents beside the values.

A rule (``Function.backward``) gets ``F``, the upstream gradient ``g``, the op's output and its
inputs, and returns one gradient per input. A first-order pass runs it on raw data (no nodes are
made); ``create_graph=True`` on the nodes with ``NodeMath``, so the gradient is a graph too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .math import NodeMath
from .modes import AnomalyError, Flags, enable_grad

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["Function", "grad", "GraphFreedError", "Node"]


class GraphFreedError(RuntimeError):
    """Raised when backward runs through a graph whose links were freed by an earlier backward."""


def _short(x: Any) -> str:
    text = repr(x.data if isinstance(x, Node) else x)
    return text if len(text) <= 80 else text[:77] + "..."


def _check_finite(x: Any, before: str, after: str) -> None:
    """Raise :class:`AnomalyError` saying ``before`` x ``after`` if ``x`` is not finite."""
    if not np.isfinite(x.data if isinstance(x, Node) else x).all():
        raise AnomalyError(before + _short(x) + after)


# ------------------------------------------------------------------- the node and its op
class Function:
    """An op: a ``name`` for display, ``forward(F, *data)`` on raw data and the rule
    ``backward(F, g, out, *inputs)`` (one gradient per input, written with ``F`` and plain
    operators). Parameters (an axis, a mask) are attributes of the instance; it holds no node.
    ``elementwise = True`` says each output element depends only on the same element of each
    input (broadcasting aside): forward mode then runs the rule on a tangent (``forward.py``)."""

    name = "?"
    # True for an op whose output element i depends only on element i of each input (after
    # broadcasting): drawings and step records then show its local derivatives on the edges.
    elementwise = False
    # The name a drawing groups the node under (a fused op standing for a module: "0:Linear").
    display = ""
    # True for a rule that takes ``needs_input_grad`` (one bool per input: PyTorch's contract)
    # and computes only the gradients asked for (a matmul skips a product; a power, a nan).
    selective = False
    # What an op made per call keeps from its forward for its rule (PyTorch's saved tensors:
    # cross-entropy's softmax). The rule lets it go when it runs; a node that records no graph
    # (no_grad, or no input needing grad under a mode) never keeps it.
    saved: Any = None

    def forward(self, F: Any, *data: Any, **kwargs: Any) -> Any:
        """The op's result, from the raw data of its inputs (an op names its inputs:
        ``forward(self, F, a, b)``; no keyword arguments are passed)."""
        raise NotImplementedError

    def backward(self, F: Any, g: Any, out: Any, *inputs: Any, **kwargs: Any) -> Sequence[Any]:
        """One gradient per input: d(root)/d(input) = g * d(out)/d(input) (an op names its
        inputs: ``backward(self, F, g, out, a, b)``; no keyword arguments are passed)."""
        raise NotImplementedError

    def gradients(self, F: Any, g: Any, out: Any, inputs: Sequence, needs: Sequence[bool]) -> Any:
        """The rule on ``inputs``, a selective one told which of them ``needs`` a gradient."""
        if self.selective:
            return self.backward(F, g, out, *inputs, needs_input_grad=tuple(needs))
        return self.backward(F, g, out, *inputs)

    def chain(self, node: Node, create_graph: bool) -> Any:
        """The chain rule at ``node``: the rule on ``node.grad``, each input's share added into
        its ``.grad``; returns the shares, one per input, as the rule gave them."""
        parents, g = node._parents, node.grad
        if create_graph:  # rules run on the nodes and record the gradient's own graph
            with enable_grad():
                grads = self.gradients(NodeMath, g, node, parents, needs_of(parents))
        elif len(parents) == 2:  # most ops: no list (measured: 1M-chain backward 6.3 -> 4.4 s)
            p, q = parents
            a, b = p.data if isinstance(p, Node) else p, q.data if isinstance(q, Node) else q
            if self.selective:  # which inputs need a gradient, without a call
                needs: tuple[bool, ...] = (isinstance(p, Node) and p.requires_grad,
                                           isinstance(q, Node) and q.requires_grad)  # fmt: skip
                grads = self.backward(node._math, g, node.data, a, b, needs_input_grad=needs)
            else:
                grads = self.backward(node._math, g, node.data, a, b)
        else:  # rules run on raw data (a constant is its own data): no node is made
            raw = [p.data if isinstance(p, Node) else p for p in parents]
            if self.selective:  # needs_of(parents), without its call
                needs = tuple([isinstance(p, Node) and p.requires_grad for p in parents])
                grads = self.backward(node._math, g, node.data, *raw, needs_input_grad=needs)
            else:
                grads = self.backward(node._math, g, node.data, *raw)
        type(node)._accumulate(parents, grads, g)
        return grads

    def apply(self, *inputs: Any) -> Node:
        """Run this op on ``inputs`` (nodes of one kind, and constants) and record it."""
        for x in inputs:
            if isinstance(x, Node):
                return type(x)._apply(self, inputs)
        raise TypeError(f"{type(self).__name__}.apply() needs Value or Tensor inputs, got none")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class Node:
    """Base of ``Value`` and ``Tensor``: the graph's attributes and the autograd surface."""
    __slots__ = ("data", "grad", "requires_grad", "label", "_parents", "_fn")
    data: Any  # a float (Value) or an ndarray (Tensor)
    grad: Any  # d(root)/d(node): data, a node under create_graph=True, or None
    requires_grad: bool
    label: str
    _parents: tuple[Any, ...]  # the op's inputs, nodes and constants (None once freed: the
    # walk checks it before any rule runs, so the rest of the code may take it as a tuple)
    _fn: Function | None  # the op that made the node; None for a leaf

    # -- the hooks a node kind provides (the module docstring) --
    _math: ClassVar[Any] = None  # the namespace F of the kind's rules on raw data
    _retain: ClassVar[bool] = True  # backward keeps the graph unless told otherwise

    if TYPE_CHECKING:  # every kind's constructor takes the data and requires_grad=
        def __init__(self, data: Any, *args: Any, requires_grad: bool = ..., **kw: Any) -> None:
            ...

        def detach(self) -> Self:
            """A leaf with the same data, cut from the graph."""
            ...

        def zero_grad(self) -> None:
            """Reset ``.grad`` to zeros."""
            ...

    @staticmethod
    def _apply(fn: Function, inputs: tuple[Any, ...]) -> Any:
        """The node of this kind that ``fn`` makes from ``inputs`` (nodes and constants):
        constants converted, ``fn.forward`` run on raw data, the result recorded."""
        raise NotImplementedError

    def _seed(self, grad: Any) -> Any:
        """Where a backward pass from this node starts (``grad=None``: d(self)/d(self))."""
        raise NotImplementedError

    @staticmethod
    def _accumulate(parents: tuple[Any, ...], grads: Any, g: Any) -> None:
        """Add each input's gradient in ``grads`` into its ``.grad`` (``g``: the upstream)."""
        raise NotImplementedError

    @classmethod
    def _make(cls, data: Any, fn: Function | None, parents: tuple, track: bool) -> Self:
        """The output node of ``fn``; its inputs are kept only if ``track`` and grad mode is on."""
        node = object.__new__(cls)
        node.data = data  # one attribute a line: measured faster than a tuple assignment
        node.grad = None
        node.label = ""
        node._fn = fn
        if Flags.plain:  # grad on, anomaly off: the common case, one look at the flags
            node.requires_grad = track
            node._parents = parents if track else ()
            if not track and fn is not None and fn.saved is not None:  # no rule will use it
                fn.saved = None
            return node
        node.requires_grad = track = track and Flags.grad_enabled
        node._parents = parents if track else ()
        if not track and fn is not None and fn.saved is not None:
            fn.saved = None
        if Flags.anomaly and fn is not None:  # fn None: a leaf (detach()), no op to blame
            shown = ", ".join(map(_short, parents))
            _check_finite(data, f"op {fn.name!r} produced ", f" from inputs {shown}")
        if track and Flags.node_hook is not None and fn is not None:
            Flags.node_hook(node)
        return node

    @property
    def parents(self) -> tuple:
        """The input nodes of the op that made this node (constants left out); ``()`` for a leaf."""
        return tuple(p for p in self._parents or () if isinstance(p, Node))

    @property
    def op(self) -> str:
        """The name of the op that made this node; ``''`` for a leaf."""
        return self._fn.name if self._fn is not None else ""

    is_leaf = property(lambda self: self._fn is None, doc="True for a node made by the user.")

    def backward(self, grad: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:  # fmt: skip
        """Fill ``.grad`` of every node this one depends on with d(self)/d(node). Leaves'
        gradients *accumulate* (as in PyTorch: ``zero_grad()`` between steps);
        ``create_graph=True`` makes them differentiable nodes; ``retain_graph`` keeps the graph
        for another backward (the default for ``Value``; ``Tensor`` frees it, like PyTorch)."""
        if not self.requires_grad:
            raise RuntimeError(f"backward() on a {type(self).__name__} that does not require "
                               "grad: no input of it requires grad (or it was made in no_grad())")
        for _ in backward_walk([self], [self._seed(grad)], retain_graph, create_graph):
            pass  # each step of the walk is the chain rule at one node


def needs_of(inputs: Sequence) -> tuple[bool, ...]:
    """Which of an op's ``inputs`` need a gradient (a constant never does)."""
    return tuple([isinstance(x, Node) and x.requires_grad for x in inputs])


# ------------------------------------------------------------------------------- the walk
def topological_order(roots: Sequence[Node]) -> list[Node]:
    """The op nodes needing grad reachable from ``roots``, each after its inputs: iterative DFS."""
    order, opened, placed = [], set(), set()  # opened: inputs pushed, or a leaf, a constant met
    stack = list(roots)[::-1]
    while stack:
        node = stack.pop()
        if node in opened:  # back after its inputs, all placed (a node may be pushed twice)
            if node not in placed:
                placed.add(node)
                order.append(node)
        elif node._fn is not None and node.requires_grad:
            if node._parents is None:
                raise GraphFreedError(f"the graph behind {node._fn.name!r} was freed by an earlier "
                                      "backward(); pass it retain_graph=True to go again")
            opened.add(node)
            stack.append(node)
            for p in reversed(node._parents):  # the first input ends on top: explored first
                try:
                    if p in opened:
                        continue
                except TypeError:  # an unhashable constant (an array): no rule runs at it
                    continue
                if getattr(p, "_fn", None) is not None and p.requires_grad:
                    stack.append(p)
                else:  # a leaf or a constant: no rule runs at it; met again, one lookup skips it
                    opened.add(p)
    return order


def backward_walk(
    roots: Sequence[Node], seeds: Sequence, retain_graph: bool | None, create_graph: bool,
    order: list[Node] | None = None,
) -> Generator[tuple[Node, Any, Sequence], None, None]:  # fmt: skip
    """The one backward pass (``backward()``, ``grad()``, ``backward_steps()``): seed the roots,
    run the chain rule at each node in reverse topological ``order``, yield ``(node, upstream,
    grads)`` after each. Run to its end, it frees the graph unless ``retain_graph``."""
    if order is None:
        order = topological_order(roots)
    for node in order:
        node.grad = None  # an op node's .grad holds the latest pass only
    for root, seed in zip(roots, seeds):  # under create_graph a seed is a node, else data
        if create_graph != isinstance(seed, Node):
            seed = type(root)(seed, requires_grad=False) if create_graph else seed.data
        root.grad = seed if root.grad is None else root.grad + seed
    anomaly = Flags.anomaly
    for node in reversed(order):
        upstream, fn = node.grad, node._fn
        if upstream is not None and fn is not None:  # fn: every node of the order has an op
            grads = fn.chain(node, create_graph)
            for p, c in zip(node._parents, grads) if anomaly and grads else ():
                if c is not None and isinstance(p, Node):
                    _check_finite(c, f"backward of {node.op!r} produced ", f" for {_short(p)}")
            yield node, upstream, grads
    if retain_graph is None:
        retain_graph = create_graph or type(roots[0])._retain
    if not retain_graph:
        for node in order:  # freed: topological_order refuses it from now on
            node._parents = None  # type: ignore[assignment]


@contextlib.contextmanager
def grads_put_back(nodes: Sequence[Node]) -> Iterator[None]:
    """Inside: every ``.grad`` of ``nodes`` starts at ``None``; on exit each is put back as it
    was (what ``grad()`` promises: it touches no ``.grad``)."""
    saved = [(node, node.grad) for node in nodes]
    for node in nodes:
        node.grad = None
    try:
        yield
    finally:
        for node, old in reversed(saved):  # a node listed twice gets its first grad
            node.grad = old


def grad(
    outputs: Node | Sequence[Node], inputs: Node | Sequence[Node], grad_outputs: Any = None,
    create_graph: bool = False, retain_graph: bool | None = None, allow_unused: bool = False,
) -> tuple:  # fmt: skip
    """d(sum of outputs)/d(input) for each input, touching no ``.grad`` (PyTorch's
    ``torch.autograd.grad``): ``grad_outputs`` is each output's upstream gradient (needed for
    non-scalar outputs); ``create_graph=True`` gives differentiable gradients; an input the
    outputs do not use raises, unless ``allow_unused=True`` (then ``None``)."""
    outs = [outputs] if isinstance(outputs, Node) else list(outputs)
    ins = [inputs] if isinstance(inputs, Node) else list(inputs)
    if not ins:
        raise RuntimeError("grad(): inputs is empty; name the nodes to differentiate by")
    if grad_outputs is None:
        grad_outputs = [None] * len(outs)
    elif not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outs):  # PyTorch: "got 2 tensors and 1 gradients"
        raise RuntimeError(
            f"grad(): {len(outs)} outputs but {len(grad_outputs)} grad_outputs; pass one upstream "
            "gradient per output (None for a one-element output), as a list"
        )
    if bad := [out for out in outs if not out.requires_grad]:
        raise RuntimeError(f"grad(): output {bad[0]!r} does not require grad")
    seeds = [out._seed(g) for out, g in zip(outs, grad_outputs)]
    grads = [None] * len(ins)  # no outputs: no input is used (PyTorch)
    if outs:
        order = topological_order(outs)
        leaves = [p for n in order for p in n._parents if isinstance(p, Node) and p._fn is None]
        touched = [*order, *outs, *leaves]
        with grads_put_back(touched):
            for _ in backward_walk(outs, seeds, retain_graph, create_graph, order):
                pass
            reached = set(touched)
            grads = [x.grad if x in reached else None for x in ins]
    for i, (x, g) in enumerate(zip(ins, grads)):
        if g is None and not allow_unused:
            raise RuntimeError(f"grad(): input {i} ({x!r}) is not used to compute the outputs; "
                               "pass allow_unused=True to get None for it")
    return tuple(grads)
