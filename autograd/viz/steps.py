"""``backward_steps``: the backward pass, one node at a time, to watch the chain rule work.

It is not a second implementation: it drives :func:`~autograd.core.backward_walk`, the very walk
behind ``backward()``, and describes each step it takes. After the last step every ``.grad``
holds exactly what ``backward()`` would have put there.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import Node, backward_walk
from ..math import unbroadcast
from .names import creation_order, drawn_inputs, fmt_num, local_derivatives, node_names

__all__ = ["BackwardStep", "BackwardSteps", "as_latex", "backward_steps"]

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
    - ``grads`` (a property): every node's gradient as it was right after this step, whatever
      happened to ``.grad`` since (``record.grad_of(node)`` for one node; ``None``: none yet)

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
    _names: dict = field(default_factory=dict, repr=False)  # node_names(root), shared too
    _trace: GradTrace | None = field(default=None, repr=False)  # the walk's gradients, shared

    @property
    def trace(self) -> GradTrace:
        """The walk's :class:`GradTrace` (every gradient at every step), shared by its records."""
        if self._trace is None:
            raise ValueError("this record was not made by backward_steps(): it has no trace")
        return self._trace

    @property
    def grads(self) -> dict[int, Any]:
        """``{id(node): gradient}`` right after this step, for every node needing a gradient
        (``None`` where none was computed yet): read from the walk's trace, not from ``.grad``."""
        return self.trace.at(self.index)

    def grad_of(self, node: Node) -> Any:
        """``node``'s gradient right after this step (``None``: not computed yet)."""
        return self.grads.get(id(node))

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
        return f"<BackwardStep {self.index}: {expression_text(self.node, self._names)}>"

    def __str__(self) -> str:
        names = self._names
        out, root = _name(self.node, names), _name(self.root, names)
        d_out = f"{_d(root)}/{_d(out)}"
        lines = [
            f"step {self.index}: {expression_text(self.node, names)}   "
            f"(value {show_value(self.node.data)}, upstream {d_out} = {show_value(self.upstream)})"
        ]
        for parent, local, c, total in zip(
            self.parents, self.local, self.contributions, self.accumulated
        ):
            p = _name(parent, names)
            if c is None:
                lines.append(f"  {p}: needs no gradient (a constant)")
                continue
            chain = f"  {_d(root)}/{_d(p)} += {d_out} * {_d(out)}/{_d(p)}"
            if local is None:  # a Tensor op whose local derivative is a whole Jacobian
                chain += f" (a vector-Jacobian product) = {show_value(c)}"
            else:
                each = " (elementwise)" if np.ndim(local) else ""
                chain += (f"{each} = {show_value(self.upstream)} * {show_value(local)}"
                          f" = {show_value(c)}")
            lines.append(f"{chain}   ({_d(root)}/{_d(p)} so far: {show_value(total)})")
        return "\n".join(lines)

    def latex_lines(self) -> list[str]:
        """This step as lines of LaTeX (for an ``aligned`` block): the op, then one chain rule
        per parent, with the running total."""
        names = self._names
        out, root = _tex_name(_name(self.node, names)), _tex_name(_name(self.root, names))
        d_out = _partial(root, out)
        lines = [
            f"&\\text{{step {self.index}:}}\\quad {_tex_expression(self.node, names)}"
            f"\\quad (= {_tex_value(self.node.data)},\\ {d_out} = {_tex_value(self.upstream)})"
        ]
        for parent, local, c, total in zip(
            self.parents, self.local, self.contributions, self.accumulated
        ):
            p = _tex_name(_name(parent, names))
            if c is None:
                lines.append(f"&\\qquad {p}\\text{{: needs no gradient (a constant)}}")
                continue
            rule = f"&\\qquad {_partial(root, p)} \\mathrel{{+}}= {d_out}\\,{_partial(out, p)}"
            if local is None:
                rule += f" = {_tex_value(c)}\\ \\text{{(a vector-Jacobian product)}}"
            else:
                rule += (f" = {_tex_value(self.upstream)} \\cdot {_tex_value(local, True)}"
                         f" = {_tex_value(c)}")
            lines.append(f"{rule} \\quad (\\text{{so far }} {_tex_value(total)})")
        return lines

    def _repr_latex_(self) -> str:
        """Jupyter shows a record as typeset math."""
        return as_latex([self])


class GradTrace:
    """The gradients of one walk, step by step: the state before the first rule ran (step 0:
    the root holds its seed, the other op nodes nothing yet, the leaves what they held), then
    the gradients each step changed (its node's, final by then, and its parents'). Shared by the
    walk's records, so each can say what every gradient was at its step."""

    def __init__(self, initial: dict[int, Any]) -> None:
        self.initial = initial
        self.changes: list[dict[int, Any]] = []  # changes[k - 1]: what step k changed

    def at(self, index: int) -> dict[int, Any]:
        """``{id(node): gradient}`` right after step ``index`` (0: before any rule ran)."""
        if not 0 <= index <= len(self.changes):
            raise IndexError(f"the walk has steps 0 to {len(self.changes)}, not {index}")
        state = dict(self.initial)
        for change in self.changes[:index]:
            state.update(change)
        return state


class BackwardSteps(list):
    """A list of :class:`BackwardStep` records that Jupyter shows as typeset math
    (``BackwardSteps(backward_steps(root))``); ``str()`` writes every step's chain rule."""

    def __str__(self) -> str:
        return "\n".join(str(s) for s in self)

    def _repr_latex_(self) -> str:
        """Jupyter shows the list as one block of typeset math."""
        return as_latex(self)


def as_latex(records: Iterable[BackwardStep]) -> str:
    """The chain rule of each record as one LaTeX display (``$$\\begin{aligned}...$$``): what
    Jupyter shows for a record, or for a :class:`BackwardSteps` list."""
    lines = [line for record in records for line in record.latex_lines()]
    return "$$\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}$$"


def backward_steps(
    root: Node, grad: Any = None, retain_graph: bool | None = None
) -> Generator[BackwardStep, None, None]:
    """Run ``root.backward(grad, retain_graph)`` one node at a time, yielding a
    :class:`BackwardStep` after each op's derivative rule ran (root first, leaves last).

    Gradients gather in ``.grad`` as the steps run (accumulating, as with ``backward()``), so
    ``draw_dot`` between steps shows them filling in; after the last step they are exactly
    ``backward()``'s. Each record also keeps every gradient as it was right after its step
    (``record.grads``, ``record.grad_of(node)``), so ``draw_dot(root, step=record)`` of a record
    collected earlier (``list(backward_steps(root))``) shows that step's gradients. Stopping
    early leaves them partial: zero them before another backward.
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


def _steps(root: Node, seed: Any, retain_graph: bool | None) -> Generator[BackwardStep, None, None]:
    walk = backward_walk([root], [seed], retain_graph, create_graph=False)
    walked: list = []
    names = node_names(root)  # before the walk: a Tensor graph is freed at its end
    needing = [n for n in creation_order(root) if n.requires_grad]
    trace = GradTrace({id(n): _snapshot(n.grad) if n._fn is None else None for n in needing})
    trace.initial[id(root)] = _snapshot(seed)  # an op node's grad holds this pass only
    try:
        for index, (node, upstream, contributions) in enumerate(walk, 1):
            walked.append(node)
            inputs = [p.data if isinstance(p, Node) else p for p in node._parents]
            parents = tuple(drawn_inputs(node, {}))  # constants as constant nodes, as drawn
            change = {id(p): _snapshot(p.grad) for p in parents if p.requires_grad}
            change[id(node)] = _snapshot(node.grad)
            trace.changes.append(change)
            yield BackwardStep(
                index=index,
                root=root,
                node=node,
                upstream=_snapshot(upstream),
                parents=parents,
                local=local_derivatives(node, inputs),
                contributions=_added(parents, contributions),
                accumulated=tuple(_snapshot(p.grad) if p.requires_grad else None for p in parents),
                _walked=walked,
                _names=names,
                _trace=trace,
            )
    finally:
        close = getattr(walk, "close", None)  # a generator: stop the walk where it is
        if close is not None:
            close()


# ----------------------------------------------------------------------------------- helpers
def _added(parents: tuple, contributions: Any) -> tuple:
    """What was added to each parent node's gradient (a Tensor's with broadcasting undone)."""
    added = []
    for p, c in zip(parents, contributions):
        if c is not None and p.requires_grad and np.shape(c) != np.shape(p.data):
            c = unbroadcast(np.asarray(c), p.data.shape)
        added.append(_snapshot(c) if c is not None and p.requires_grad else None)
    return tuple(added)


def _snapshot(x: Any) -> Any:
    """A copy of an array (so a later in-place update cannot change the record)."""
    return np.array(x, copy=True) if isinstance(x, np.ndarray) else x


def _name(node: Any, names: dict) -> str:
    """The node's name in a drawing (:func:`~autograd.draw_text.node_names`): its label, else its op
    and a number (``tanh#3``); a constant is named by its value."""
    if not isinstance(node, Node):
        return show_value(node)
    if node.label:
        return node.label
    if id(node) in names:
        return names[id(node)]
    if node._fn is None and not node.requires_grad:
        return show_value(node.data)
    return f"{node.op or 'leaf'}#?"


def _d(name: str) -> str:
    """``dw0`` for a plain name, ``d(tanh#3)`` for one that would not read as one."""
    return "d" + name if re.fullmatch(r"[A-Za-z_][\w.]*", name) else f"d({name})"


def expression_text(node: Node, names: dict) -> str:
    """``out = a * b``, ``out = a**2``, ``out = tanh(a)``."""
    op, parts = node.op, [_name(p, names) for p in node._parents or ()]
    if len(parts) == 2 and op in _INFIX:
        rhs = f"{parts[0]} {op} {parts[1]}"
    elif len(parts) == 1 and op.startswith("**"):
        rhs = f"{parts[0]}{op}"
    else:
        if len(parts) > 6:
            parts = parts[:3] + ["...", parts[-1]]
        rhs = f"{op}({', '.join(parts)})"
    return f"{_name(node, names)} = {rhs}"


def show_value(x: Any) -> str:
    """A number to 4 significant digits, a small array in full, a large one by its norm."""
    arr = np.asarray(x.data if isinstance(x, Node) else x)
    if arr.size == 1:
        return fmt_num(float(arr.reshape(())))
    if arr.size <= 6:
        return np.array2string(arr, precision=4, separator=", ")
    return f"<{arr.dtype} {arr.shape}, norm {fmt_num(float(np.linalg.norm(arr)))}>"


# ----------------------------------------------------------------------------------- LaTeX
_TEX_ESCAPES = str.maketrans({"\\": r"\backslash ", "#": r"\#", "_": r"\_", "{": r"\{",
                              "}": r"\}", "$": r"\$", "%": r"\%", "&": r"\&", "^": r"\hat{}",
                              "~": r"\sim "})  # fmt: skip
_TEX_INFIX = {"+": "+", "-": "-", "*": r"\cdot", "/": "/", "@": r"\mathbin{@}"}


def _tex_name(name: str) -> str:
    """A node's name set upright, LaTeX's special characters escaped."""
    return r"\mathrm{" + name.translate(_TEX_ESCAPES) + "}"


def _partial(top: str, bottom: str) -> str:
    return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"


def _tex_expression(node: Node, names: dict) -> str:
    """``e = a \\cdot b``, ``a^{2}``, ``\\operatorname{tanh}(a)`` with the nodes' names."""
    op, parts = node.op, [_tex_name(_name(p, names)) for p in node._parents or ()]
    if len(parts) == 2 and op in _TEX_INFIX:
        rhs = f"{parts[0]} {_TEX_INFIX[op]} {parts[1]}"
    elif len(parts) == 1 and op.startswith("**"):
        rhs = f"{parts[0]}^{{{op[2:]}}}"
    else:
        if len(parts) > 6:
            parts = parts[:3] + [r"\ldots", parts[-1]]
        rhs = rf"\operatorname{{{op.translate(_TEX_ESCAPES)}}}({', '.join(parts)})"
    return f"{_tex_name(_name(node, names))} = {rhs}"


def _tex_value(x: Any, bracket: bool = False) -> str:
    """A number as LaTeX (``1.2\\times 10^{-7}``; negative in parentheses if ``bracket``), an
    array as text."""
    text = show_value(x)
    if not re.fullmatch(r"-?[\d.]+(e[-+]?\d+)?|-?inf|nan", text):
        return r"\text{" + text.translate(_TEX_ESCAPES) + "}"
    mantissa, _, exponent = text.partition("e")
    tex = mantissa + (rf"\times 10^{{{int(exponent)}}}" if exponent else "")
    return f"({tex})" if bracket and text.startswith("-") else tex
