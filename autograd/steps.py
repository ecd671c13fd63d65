"""``backward_steps``: the backward pass, one node at a time, to watch the chain rule work.

It is not a second implementation: it drives :func:`~autograd.core.backward_walk`, the very walk
behind ``backward()``, and describes each step it takes. After the last step every ``.grad``
holds exactly what ``backward()`` would have put there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import ops
from .core import Node, backward_walk
from .draw import _num
from .math import unbroadcast

__all__ = ["BackwardStep", "backward_steps"]

_INFIX = ("+", "-", "*", "/", "**", "@")


@dataclass(eq=False)
class BackwardStep:
    """What one step of the backward pass did, at the op that made ``node``.

    - ``upstream``: d(root)/d(node), the gradient arriving from above
    - ``parents``: the op's inputs
    - ``local``: d(node)/d(parent) per parent (for a Tensor only where it is an elementwise array
      of the parent's shape, i.e. the diagonal of the Jacobian; ``None`` elsewhere)
    - ``contributions``: upstream x local, the amount added to each parent's gradient (``None``
      for a parent that needs no gradient)
    - ``accumulated``: each parent's gradient gathered so far, after this step

    ``str(step)`` writes the chain rule of this step; ``step.nodes`` is the node and its parents,
    ready for ``draw_dot(root, highlight=step.nodes)``; ``draw_dot(root, step=step)`` marks the
    node, the parents receiving a contribution and the nodes done at earlier steps (``done``).
    """

    index: int
    root: Node
    node: Node
    upstream: Any
    parents: tuple
    local: tuple
    contributions: tuple
    accumulated: tuple
    _walked: list = field(default_factory=list, repr=False)  # shared by the walk's records

    @property
    def done(self) -> tuple:
        """The nodes whose rule ran at the steps before this one, in the walk's order."""
        return tuple(self._walked[: self.index - 1])

    @property
    def receiving(self) -> tuple:
        """The parents that get a contribution at this step (constants left out)."""
        return tuple(p for p, c in zip(self.parents, self.contributions) if c is not None)

    @property
    def op(self) -> str:
        """The name of the op whose rule ran at this step."""
        return self.node.op

    @property
    def nodes(self) -> tuple:
        """The node of this step and its parents (to highlight in a drawing)."""
        return (self.node, *(p for p in self.parents if isinstance(p, Node)))

    def __repr__(self) -> str:
        return f"<BackwardStep {self.index}: {_expression(self.node)}>"

    def __str__(self) -> str:
        out, root = _name(self.node), _name(self.root)
        lines = [
            f"step {self.index}: {_expression(self.node)}   "
            f"(value {_show(self.node.data)}, upstream d{root}/d{out} = {_show(self.upstream)})"
        ]
        for parent, local, c, total in zip(
            self.parents, self.local, self.contributions, self.accumulated
        ):
            p = _name(parent)
            if c is None:
                lines.append(f"  {p}: needs no gradient (a constant)")
                continue
            chain = f"  d{root}/d{p} += d{root}/d{out} * d{out}/d{p}"
            if local is None:  # a Tensor op whose local derivative is a whole Jacobian
                chain += f" (a vector-Jacobian product) = {_show(c)}"
            else:
                each = " (elementwise)" if np.ndim(local) else ""
                chain += f"{each} = {_show(self.upstream)} * {_show(local)} = {_show(c)}"
            lines.append(f"{chain}   (d{root}/d{p} so far: {_show(total)})")
        return "\n".join(lines)


def backward_steps(
    root: Node, grad: Any = None, retain_graph: bool | None = None
) -> Iterator[BackwardStep]:
    """Run ``root.backward(grad, retain_graph)`` one node at a time, yielding a
    :class:`BackwardStep` after each op's derivative rule ran (root first, leaves last).

    Gradients gather in ``.grad`` as the steps run (accumulating, as with ``backward()``), so
    ``draw_dot`` between steps shows them filling in; after the last step they are exactly
    ``backward()``'s. Stopping early leaves them partial: zero them before another backward.
    Code between steps runs in the caller's grad mode. Take one step-through at a time. A Tensor
    graph is freed after the last step unless ``retain_graph=True`` (as with ``backward()``);
    keep it to draw the graph afterwards.
    """
    if not isinstance(root, Node):
        raise TypeError(f"backward_steps() needs a Value or Tensor, got {type(root).__name__}")
    if not root.requires_grad:
        raise RuntimeError(
            f"backward_steps() on a {type(root).__name__} that does not require grad: "
            "it was made without any input that requires grad (or under no_grad())"
        )
    seed = root._seed(grad)
    return _steps(root, seed, retain_graph)  # a generator: the checks above run at the call


def _steps(root: Node, seed: Any, retain_graph: bool | None) -> Iterator[BackwardStep]:
    walk = backward_walk([root], [seed], retain_graph, create_graph=False, accumulate=True)
    walked: list = []
    try:
        for index, (node, upstream, contributions) in enumerate(walk, 1):
            walked.append(node)
            inputs = [p.data if isinstance(p, Node) else p for p in node._parents]
            if contributions is None:  # the op added into its inputs itself: ask its rule
                contributions = node._fn.backward(node._math, upstream, node.data, *inputs)
            parents = tuple(  # constants, kept as numbers or arrays, shown as constant nodes
                p if isinstance(p, Node) else type(node)(p, requires_grad=False)
                for p in node._parents
            )
            yield BackwardStep(
                index=index,
                root=root,
                node=node,
                upstream=_snapshot(upstream),
                parents=parents,
                local=_local_derivatives(node, inputs),
                contributions=_added(parents, contributions),
                accumulated=tuple(_snapshot(p.grad) if _needs(p) else None for p in parents),
                _walked=walked,
            )
    finally:
        walk.close()


# ----------------------------------------------------------------------------------- helpers
def _needs(p: Any) -> bool:
    return isinstance(p, Node) and p.requires_grad


def _local_derivatives(node: Node, inputs: list) -> tuple:
    """d(node)/d(parent) for each parent: the node's own rule applied to an upstream of one."""
    fn, out = node._fn, node.data
    if isinstance(out, float):
        return tuple(fn.backward(node._math, 1.0, out, *inputs))
    if type(fn).__module__ != ops.__name__:
        return (None,) * len(inputs)
    ones = np.ones_like(out)
    local = fn.backward(node._math, ones, out, *inputs)
    return tuple(
        d if np.shape(x) == np.shape(out) and d is not None else None for x, d in zip(inputs, local)
    )


def _added(parents: tuple, contributions: Any) -> tuple:
    """What was added to each parent's gradient (a Tensor's with broadcasting undone)."""
    added = []
    for p, c in zip(parents, contributions):
        if c is not None and _needs(p) and np.shape(c) != np.shape(p.data):
            c = unbroadcast(np.asarray(c), p.data.shape)
        added.append(_snapshot(c) if c is not None and _needs(p) else None)
    return tuple(added)


def _snapshot(x: Any) -> Any:
    """A copy of an array (so a later in-place update cannot change the record)."""
    return np.array(x, copy=True) if isinstance(x, np.ndarray) else x


def _name(node: Any) -> str:
    """The node's label, else a short description of it (a constant: its value)."""
    if not isinstance(node, Node):
        return _show(node)
    if node.label:
        return node.label
    if isinstance(node.data, float):
        return f"[{_num(node.data)}]"
    return f"[{node.op or 'tensor'} {tuple(np.shape(node.data))}]"


def _expression(node: Node) -> str:
    """``out = a * b``, ``out = a**2``, ``out = tanh(a)``."""
    op, names = node.op, [_name(p) for p in node._parents or ()]
    if len(names) == 2 and op in _INFIX:
        rhs = f"{names[0]} {op} {names[1]}"
    elif len(names) == 1 and op.startswith("**"):
        rhs = f"{names[0]}{op}"
    else:
        if len(names) > 6:
            names = names[:3] + ["...", names[-1]]
        rhs = f"{op}({', '.join(names)})"
    return f"{_name(node)} = {rhs}"


def _show(x: Any) -> str:
    if isinstance(x, Node):
        x = x.data
    if isinstance(x, (float, int)):
        return _num(float(x))
    arr = np.asarray(x)
    if arr.size == 1:
        return _num(float(arr.reshape(())))
    if arr.size <= 6:
        return np.array2string(arr, precision=4, separator=", ")
    return f"<{arr.dtype} {arr.shape}, norm {_num(float(np.linalg.norm(arr)))}>"
