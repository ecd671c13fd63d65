"""The words of a drawing: node names, box labels and the graph walks a drawing needs.

:func:`node_names` gives every node a short stable name (its label, else ``tanh#3``), shared by
:mod:`~autograd.draw` and :mod:`~autograd.steps`; :func:`node_label` writes a node's box (name,
data, gradient, ``grad ?`` where none was computed yet); :func:`local_derivatives` runs a node's
own rule with an upstream of one (the numbers on a drawing's edges and in a step's equation).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..core import Node, needs_of

_OP_WORDS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "@": "matmul",
             "[]": "index"}  # operators in generated names: mul#1 reads better than *#1
NOT_YET = '<FONT COLOR="#9a9a9a">grad ?</FONT>'  # a gradient not computed yet


def node_names(root: Node) -> dict[int, str]:
    """``{id(node): name}`` for every node ``root`` depends on: its label, else its op and a
    number, counted per op in the order the nodes were computed (``tanh#3`` is the third
    unlabelled ``tanh``; an operator is named by a word, ``mul#1`` for ``*``; ``leaf#1`` is an
    unlabelled leaf that requires grad); an unlabelled constant is named by its value. The names
    depend on the graph only, so a drawing and ``backward_steps`` give a node the same name."""
    counts: dict[str, int] = {}
    names: dict[int, str] = {}
    for node in creation_order(root):
        if node.label:
            names[id(node)] = node.label
        elif node._fn is None and not node.requires_grad:
            names[id(node)] = value_text(node.data)
        else:
            op = node._fn.name if node._fn is not None else "leaf"
            op = _OP_WORDS.get(op, op)
            counts[op] = counts.get(op, 0) + 1
            names[id(node)] = f"{op}#{counts[op]}"
    return names


def drawn_inputs(node: Any, made: dict) -> list:
    """``node``'s inputs, its constants (kept as numbers or arrays) as constant nodes to draw
    (one per place, made once per drawing)."""
    if id(node) not in made:
        made[id(node)] = [
            p if isinstance(p, Node) else type(node)(p, requires_grad=False)
            for p in node._parents or ()
        ]
    return made[id(node)]


def collect_nodes(root: Node, made: dict | None = None) -> list[Node]:
    """Every node ``root`` depends on (constants too), breadth first from the root."""
    made = {} if made is None else made
    seen = {id(root)}
    order = [root]
    queue = deque(order)
    while queue:
        for parent in drawn_inputs(queue.popleft(), made):
            if id(parent) not in seen:
                seen.add(id(parent))
                order.append(parent)
                queue.append(parent)
    return order


def creation_order(root: Node, inputs: Callable[[Node], Iterable[Node]] | None = None) -> list:
    """The nodes ``root`` depends on, each after its inputs (an iterative depth-first search);
    ``inputs(node)`` gives a node's inputs (by default ``node.parents``: constants left out)."""
    inputs = inputs or (lambda node: node.parents)
    seen = {id(root)}
    order: list[Node] = []
    stack = [(root, iter(inputs(root)))]
    while stack:
        node, pending = stack[-1]
        for p in pending:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append((p, iter(inputs(p))))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def local_derivatives(node: Node, inputs: list) -> tuple:
    """d(node)/d(parent) for each parent: the node's own rule applied to an upstream of one."""
    fn, out = node._fn, node.data
    assert fn is not None, "local_derivatives() of a leaf"
    needs = needs_of(node._parents)
    if isinstance(out, float):
        return tuple(fn.gradients(node._math, 1.0, out, inputs, needs))
    if not fn.elementwise:
        return (None,) * len(inputs)
    local = fn.gradients(node._math, np.ones_like(out), out, inputs, needs)
    return tuple(d if np.shape(x) == np.shape(out) else None for x, d in zip(inputs, local))


def kind_of(node: Node) -> str:
    if not node.requires_grad:
        return "constant"
    return "parameter" if node._fn is None else "intermediate"


def node_label(node: Node, ctx: SimpleNamespace) -> str:
    """An HTML-like label: the name (a generated one in italics; none for an unlabelled
    constant, whose value is its name), the data and the gradient, one cell each."""
    cells = []
    unnamed = node._fn is None and not node.requires_grad and not node.label  # a bare constant
    name = "" if unnamed else ctx.labels.get(id(node), node.label)
    if name:
        cells.append(html_text(name) if node.label else f"<I>{html_text(name)}</I>")
    data = node.data
    if isinstance(data, float):
        cells.append(f"data {fmt_num(data)}")
    else:
        cells.append(html_text(f"shape {tuple(np.shape(data))} {getattr(data, 'dtype', '')}"))
        if np.size(data) == 1:
            cells.append(f"data {value_text(data)}")
    if ctx.show_grad and node.requires_grad:  # a constant has no gradient to show
        cells.append(grad_text(node, grad_of(node, ctx)))
    return html_cells(cells, ctx.vertical)


def grad_of(node: Node, ctx: SimpleNamespace) -> Any:
    """The gradient a drawing shows for ``node``: from ``ctx.grads`` when given (a step's: as
    of that step, not the live ``.grad``), else ``.grad``; a drawing-only node (an expanded
    partial sum, in ``ctx.grad_as``) shows the gradient of the sum it stands in."""
    node = ctx.grad_as.get(id(node), node)
    if ctx.grads is None:
        return node.grad
    return ctx.grads.get(id(node))


def grad_text(node: Node, grad: Any) -> str:
    """``grad 0.25`` (a Tensor: ``grad norm 1.5``), or a greyed ``grad ?`` if ``grad`` is None
    (none computed yet); ``grad`` is ``node``'s gradient (data or a node)."""
    plain = grad_plain(node, grad)
    return NOT_YET if plain is None else plain


def grad_plain(node: Node, grad: Any) -> str | None:
    """The text of ``grad_text`` without markup; ``None`` where no gradient is computed yet."""
    grad = grad.data if isinstance(grad, Node) else grad
    if grad is None:
        return None
    if isinstance(node.data, float):
        return f"grad {fmt_num(grad)}"
    return f"grad norm {fmt_num(float(np.linalg.norm(grad)))}"


def html_cells(cells: list[str], vertical: bool) -> str:
    """A borderless table of ``cells`` (HTML already), in a row (or a column), ruled between."""
    if vertical:
        body = "".join(f"<TR><TD>{c}</TD></TR>" for c in cells)
        rules = 'ROWS="*"'
    else:
        body = "<TR>" + "".join(f"<TD>{c}</TD>" for c in cells) + "</TR>"
        rules = 'COLUMNS="*"'
    table = 'TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4"'
    return f"<<{table} {rules}>{body}</TABLE>>"


def value_text(data: Any) -> str:
    """A value as text (a constant's name): the number, or ``const`` and the shape of an array."""
    if np.size(data) == 1:
        return fmt_num(float(np.ravel(data)[0]))
    return f"const {tuple(np.shape(data))}"


def fmt_num(x: float) -> str:
    """4 significant digits."""
    return f"{x:.4g}"


def html_text(text: str) -> str:
    """Escape the characters that structure an HTML-like graphviz label."""
    for ch, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        text = text.replace(ch, entity)
    return text.replace("\n", " ")
