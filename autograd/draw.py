"""``draw_dot``: a picture of a computation graph (graphviz), for ``Value`` and ``Tensor`` alike.

Each node of the graph is a box: its name, its data (a ``Value``'s number, a ``Tensor``'s shape
and dtype) and its gradient; each op is a small ellipse between its inputs and its output, as in
micrograd's drawings. A node's name is its label, else a short stable name made of its op and a
number (``tanh#3``, see :func:`node_names`: the same names as in ``backward_steps``' records);
a constant shows its value. A gradient not computed yet reads ``grad ?`` (greyed), unlike a
computed 0. Parameters (leaves that require grad), constants and the root are coloured
differently, ``highlight`` outlines chosen nodes and ``step=record`` marks a backward step.

The result is a ``graphviz.Digraph``: Jupyter displays it inline, ``.render('graph',
format='svg')`` writes a file and ``.source`` is the DOT text. Rendering needs Graphviz's ``dot``
program; when it is missing the error says which system package to install.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import graphviz
import numpy as np

from . import ops
from .core import Node

__all__ = ["GraphvizNotFoundError", "check_graphviz", "draw_dot", "node_names"]

RANKDIRS = ("LR", "TB", "RL", "BT")
OVERFLOW_MODES = ("summary", "error")

INSTALL_HINT = (
    "Graphviz's `dot` program was not found on PATH, and rendering a drawing needs it (the "
    "`graphviz` Python package only writes DOT text). Install the system package graphviz: "
    "`sudo apt-get install graphviz` (Debian/Ubuntu), `sudo dnf install graphviz` (Fedora), "
    "`brew install graphviz` (macOS) or `conda install graphviz`. Without it, the drawing's DOT "
    "text is still available as `.source`."
)

# Fill colours and outline of each kind of node; the SVG also carries the kind as a CSS class.
_STYLE = {
    "root": {"fillcolor": "#fff2b3", "penwidth": "2.5"},
    "parameter": {"fillcolor": "#d5f0d5"},
    "constant": {"fillcolor": "#eeeeee", "style": "filled,dashed", "fontcolor": "#555555"},
    "intermediate": {"fillcolor": "#ffffff"},
}
_HIGHLIGHT = {"color": "#d62728", "penwidth": "3.5"}
# The three states of a backward step (``draw_dot(root, step=record)``), each with its legend text.
_STEP_STYLE = {
    "step-current": {"fillcolor": "#ff9f43", "color": "#c0392b", "penwidth": "3.5",
                     "style": "filled,bold"},
    "step-receiving": {"fillcolor": "#ffe8a3", "color": "#e67e22", "penwidth": "2.5",
                       "style": "filled,dashed"},
    "step-done": {"fillcolor": "#cfe3f7", "color": "#5b8fc7", "penwidth": "1.5",
                  "style": "filled"},
}
_STEP_LEGEND = {
    "step-current": "rule runs now",
    "step-receiving": "gets a contribution now",
    "step-done": "done (earlier steps)",
}
_STEP_EDGE = {"color": "#c0392b", "penwidth": "2.5"}
_OP_WORDS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "@": "matmul",
             "[]": "index"}  # operators in generated names: mul#1 reads better than *#1
_NOT_YET = '<FONT COLOR="#9a9a9a">grad ?</FONT>'  # a gradient not computed yet


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Raised when a drawing is rendered but Graphviz's ``dot`` program is not installed.

    A subclass of ``graphviz.ExecutableNotFound`` (and so of ``RuntimeError``), with a message
    saying which system package to install.
    """

    def __init__(self, message: str = INSTALL_HINT) -> None:
        RuntimeError.__init__(self, message)


class Drawing(graphviz.Digraph):
    """The ``graphviz.Digraph`` returned by :func:`draw_dot`: rendering it (``render``, ``pipe``,
    ``view`` or Jupyter's inline display) raises :class:`GraphvizNotFoundError` with install
    instructions when the ``dot`` program is missing."""

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        """Graphviz's ``pipe``: the rendered bytes (or text, given ``encoding``)."""
        try:
            return super().pipe(*args, **kwargs)
        except GraphvizNotFoundError:
            raise
        except graphviz.ExecutableNotFound as exc:
            raise GraphvizNotFoundError() from exc

    def render(self, *args: Any, **kwargs: Any) -> str:
        """Graphviz's ``render``: write the source and the rendered file; returns its path."""
        try:
            return super().render(*args, **kwargs)
        except GraphvizNotFoundError:
            raise
        except graphviz.ExecutableNotFound as exc:
            raise GraphvizNotFoundError() from exc


def check_graphviz() -> tuple:
    """Return the installed Graphviz version, e.g. ``(2, 43, 0)``; raise
    :class:`GraphvizNotFoundError` (saying what to install) if the ``dot`` program is missing."""
    try:
        return graphviz.version()
    except graphviz.ExecutableNotFound as exc:
        raise GraphvizNotFoundError() from exc


def draw_dot(
    root: Node,
    rankdir: str = "LR",
    show_grad: bool = True,
    max_nodes: int = 500,
    highlight: Node | Iterable[Node] | None = None,
    overflow: str = "summary",
    step: Any = None,
    edge_labels: bool = False,
) -> graphviz.Digraph:
    """Draw the graph that computed ``root``: every node it depends on, constants included.

    ``rankdir`` is graphviz's layout direction ('LR' left to right, 'TB' top to bottom, ...).
    ``show_grad`` adds the gradient of each node that requires grad (a Value's ``.grad``; a
    Tensor's grad norm), ``grad ?`` (greyed) where none was computed yet; between
    :func:`~autograd.backward_steps` steps that is the gradient gathered so far.
    ``highlight`` is a node or a collection of nodes to outline in red; an op is outlined too
    when its output and one of its inputs are (``highlight=step.nodes`` marks a backward step).

    ``step`` is a record of :func:`~autograd.backward_steps`: the drawing marks, with distinct
    styles and a legend, the node whose rule runs at that step (and its op), the parents that
    receive a contribution now, and the nodes whose rule ran at the steps before.
    ``edge_labels=True`` writes on each edge into an op the local derivative d(out)/d(input):
    the step's ``local`` on the step's edges, elsewhere the op's rule run with an upstream of one
    (a Tensor edge only when that derivative is a single number).

    A graph of more than ``max_nodes`` nodes (ops not counted) is not drawn
    whole: with ``overflow='summary'`` (the default) the ``max_nodes`` nodes nearest the root are
    drawn and one box stands for the rest, saying how many nodes there are and how to draw them;
    ``overflow='error'`` raises ``ValueError`` instead. Either way the cost is linear in the size
    of the graph (no recursion, no hang).
    """
    if not isinstance(root, Node):
        raise TypeError(f"draw_dot() needs a Value or Tensor, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_dot(): rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_dot(): max_nodes must be a positive int, got {max_nodes!r}")
    if overflow not in OVERFLOW_MODES:
        raise ValueError(f"draw_dot(): overflow must be one of {OVERFLOW_MODES}, got {overflow!r}")
    ctx = SimpleNamespace(
        root=root, show_grad=show_grad, marked=_highlight_ids(highlight),
        states=_step_states(step), step=step, edge_labels=edge_labels,
        vertical=rankdir in ("TB", "BT"), labels=node_names(root), made={},
    )  # fmt: skip
    dot = Drawing(
        graph_attr={"rankdir": rankdir},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"arrowsize": "0.7"},
    )
    _draw_all(dot, ctx, max_nodes, overflow)
    if ctx.states:
        _draw_legend(dot)
    return dot


def node_names(root: Node) -> dict[int, str]:
    """``{id(node): name}`` for every node ``root`` depends on: its label, else (a node no label
    names) its op and a number, counted per op in the order the nodes were computed (``tanh#3``
    is the third unlabelled ``tanh``; an operator is named by a word, ``mul#1`` for ``*``;
    ``leaf#1`` is an unlabelled leaf that requires grad); an
    unlabelled constant is named by its value. The names depend on the graph only, so a drawing
    and ``backward_steps`` give a node the same name."""
    counts: dict[str, int] = {}
    names: dict[int, str] = {}
    for node in _creation_order(root):
        if node.label:
            names[id(node)] = node.label
        elif node._fn is None and not node.requires_grad:
            names[id(node)] = _value_text(node.data)
        else:
            op = node._fn.name if node._fn is not None else "leaf"
            op = _OP_WORDS.get(op, op)
            counts[op] = counts.get(op, 0) + 1
            names[id(node)] = f"{op}#{counts[op]}"
    return names


# ----------------------------------------------------------------------------------- helpers
def _draw_all(dot: Drawing, ctx: SimpleNamespace, max_nodes: int, overflow: str) -> None:
    """Every node (or the ``max_nodes`` nearest the root) with its op and edges."""
    nodes = _collect(ctx.root, ctx.made)
    total = len(nodes)
    if total > max_nodes and overflow == "error":
        raise ValueError(
            f"draw_dot(): the graph has {total} nodes, more than max_nodes={max_nodes}; pass "
            f"max_nodes={total} (or more) to draw it all (layout gets slow beyond a few "
            "thousand), or draw a smaller expression"
        )
    shown = nodes[:max_nodes]
    ctx.ids = {id(node): f"n{i}" for i, node in enumerate(shown)}
    hidden_inputs = 0
    for node in shown:
        name = ctx.ids[id(node)]
        dot.node(name, node_label(node, ctx), **node_attrs(node, ctx))
        if node._fn is not None:
            parents = _inputs(node, ctx.made)
            hidden_inputs += _draw_op(dot, ctx, node, name, parents)
    if total > len(shown):
        dot.node("more", _summary_text(total, len(shown), hidden_inputs), shape="note")


def node_attrs(node: Node, ctx: SimpleNamespace) -> dict:
    """The graphviz attributes of a node's box: its kind's style, highlight and step state."""
    kind = "root" if node is ctx.root else _kind(node)
    attrs = {"shape": "box", "margin": "0", "style": "filled", "class": kind, **_STYLE[kind]}
    if id(node) in ctx.marked:
        attrs.update(_HIGHLIGHT, **{"class": f"{kind} highlight"})
    if id(node) in ctx.states:
        state = ctx.states[id(node)]
        attrs.update(_STEP_STYLE[state], **{"class": f"{attrs['class']} {state}"})
    return attrs


def _inputs(node: Any, made: dict) -> list:
    """``node``'s inputs, its constants (kept as numbers or arrays) as constant nodes to draw
    (one per place, made once per drawing)."""
    if id(node) not in made:
        made[id(node)] = [
            p if isinstance(p, Node) else type(node)(p, requires_grad=False)
            for p in node._parents or ()
        ]
    return made[id(node)]


def _collect(root: Node, made: dict | None = None) -> list[Node]:
    """Every node ``root`` depends on (constants too), breadth first from the root."""
    made = {} if made is None else made
    seen = {id(root)}
    order = [root]
    queue = deque(order)
    while queue:
        for parent in _inputs(queue.popleft(), made):
            if id(parent) not in seen:
                seen.add(id(parent))
                order.append(parent)
                queue.append(parent)
    return order


def _creation_order(root: Node) -> list[Node]:
    """The nodes ``root`` depends on, each after its inputs (an iterative depth-first search)."""
    seen = {id(root)}
    order: list[Node] = []
    stack = [(root, iter(root.parents))]
    while stack:
        node, pending = stack[-1]
        for p in pending:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append((p, iter(p.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _draw_op(
    dot: Drawing, ctx: SimpleNamespace, node: Node, name: str, parents: list
) -> int:  # fmt: skip
    """Draw the op that made ``node`` with its edges; return how many of its inputs are not drawn.

    The op (and its edges) is highlighted when its output and at least one of its inputs are,
    i.e. when it is the op of a highlighted step, not merely the op that made a highlighted input.
    At the node of ``step``, the op and the edges to the parents receiving a contribution are
    drawn in the step's style.
    """
    label = node._fn.name
    if node._parents is None:
        label += "\n(graph freed by backward;\nretain_graph=True keeps it)"
    op = name + "_op"
    op_node(dot, ctx, node, op, label)
    dot.edge(op, name, **out_edge_style(ctx, node, parents))
    locals_ = edge_locals(node, ctx) if ctx.edge_labels and node._parents is not None else []
    hidden = 0
    for i, parent in enumerate(parents):
        parent_name = ctx.ids.get(id(parent))
        if parent_name is None:
            hidden += 1
            dot.edge("more", op, style="dashed")
        else:
            dot.edge(parent_name, op, **in_edge_style(ctx, node, parents, i, locals_))
    return hidden


def _lit(ctx: SimpleNamespace, node: Node, parents: list) -> bool:
    return id(node) in ctx.marked and any(id(p) in ctx.marked for p in parents)


def _is_step_node(ctx: SimpleNamespace, node: Node) -> bool:
    return ctx.states.get(id(node)) == "step-current"


def op_node(dot: Drawing, ctx: SimpleNamespace, node: Node, op: str, label: str) -> None:
    """The small ellipse of an op (of ``node``), highlighted or in the step's style."""
    lit = _lit(ctx, node, _inputs(node, ctx.made))
    css, style = ("op highlight", dict(_HIGHLIGHT)) if lit else ("op", {})
    if _is_step_node(ctx, node):
        css += " step-current"
        style.update(_STEP_EDGE, style="filled,bold", fillcolor="#ff9f43")
    dot.node(op, label, shape="ellipse", fontsize="10", **{"class": css}, **style)


def out_edge_style(ctx: SimpleNamespace, node: Node, parents: list) -> dict:
    """The style of the edge from an op to its output ``node``."""
    if _is_step_node(ctx, node):
        return dict(_STEP_EDGE)
    return dict(_HIGHLIGHT) if _lit(ctx, node, parents) else {}


def in_edge_style(
    ctx: SimpleNamespace, node: Node, parents: list, i: int, locals_: list
) -> dict:  # fmt: skip
    """The style of the edge from input ``i`` to the op of ``node`` (with its local derivative)."""
    attrs = dict(_HIGHLIGHT) if _lit(ctx, node, parents) and id(parents[i]) in ctx.marked else {}
    if _is_step_node(ctx, node):
        contributions = ctx.step.contributions
        if i < len(contributions) and contributions[i] is not None:
            attrs.update(_STEP_EDGE)
    if i < len(locals_) and locals_[i] is not None:
        attrs.update(label=" " + locals_[i], fontsize="9", fontcolor="#7a4b00")
    return attrs


def _step_states(step: Any) -> dict[int, str]:
    """{id(node): state} for the three states of a backward step (empty without a step)."""
    if step is None:
        return {}
    if not all(hasattr(step, a) for a in ("node", "parents", "contributions", "done")):
        raise TypeError(
            f"draw_dot(): step must be a backward_steps() record, got {type(step).__name__}"
        )
    states = {id(n): "step-done" for n in step.done}
    for p, c in zip(step.parents, step.contributions):
        if c is not None and isinstance(p, Node):
            states[id(p)] = "step-receiving"
    states[id(step.node)] = "step-current"
    return states


def _draw_legend(dot: Drawing) -> None:
    """A small box per step state, in a cluster of its own."""
    with dot.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", fontsize="10", style="rounded", color="#999999")
        for state, text in _STEP_LEGEND.items():
            legend.node(f"legend_{state}", text, shape="box", fontsize="10",
                        **_STEP_STYLE[state], **{"class": f"legend {state}"})  # fmt: skip


def local_derivatives(node: Node, inputs: list) -> tuple:
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


def edge_locals(node: Node, ctx: SimpleNamespace) -> list:
    """The local derivative d(node)/d(input) per input, as text (``None`` where not a number):
    the step's own at the step's node, else the rule run with an upstream of one."""
    if _is_step_node(ctx, node):
        local = ctx.step.local
    else:
        inputs = [p.data if isinstance(p, Node) else p for p in node._parents]
        try:
            local = local_derivatives(node, inputs)
        except Exception:  # noqa: BLE001 - a label is an extra: never fail the drawing for it
            return []
    return [None if d is None or np.size(d) != 1 else _num(float(np.ravel(d)[0])) for d in local]


def _highlight_ids(highlight: Node | Iterable[Node] | None) -> set[int]:
    if highlight is None:
        return set()
    if isinstance(highlight, Node):
        return {id(highlight)}
    try:
        items = list(highlight)
    except TypeError:
        raise TypeError(
            f"draw_dot(): highlight must be a node or a collection of nodes, "
            f"got {type(highlight).__name__}"
        ) from None
    for item in items:
        if not isinstance(item, Node):
            raise TypeError(f"draw_dot(): highlight holds a {type(item).__name__}, not a node")
    return {id(item) for item in items}


def _kind(node: Node) -> str:
    if not node.requires_grad:
        return "constant"
    return "parameter" if node._fn is None else "intermediate"


def node_label(node: Node, ctx: SimpleNamespace, name: str | None = None) -> str:
    """An HTML-like label: the name (a generated one in italics; none for an unlabelled
    constant, whose value is its name), the data and the gradient, one cell each."""
    cells = []
    if name is None and not (node._fn is None and not node.requires_grad and not node.label):
        name = ctx.labels.get(id(node), node.label)
    if name:
        cells.append(_html(name) if node.label else f"<I>{_html(name)}</I>")
    data = node.data
    if isinstance(data, float):
        cells.append(f"data {_num(data)}")
    else:
        cells.append(_html(f"shape {tuple(np.shape(data))} {getattr(data, 'dtype', '')}"))
        if np.size(data) == 1:
            cells.append(f"data {_num(float(np.asarray(data).reshape(())))}")
    if ctx.show_grad and node.requires_grad:  # a constant has no gradient to show
        cells.append(grad_text(node))
    return html_cells(cells, ctx.vertical)


def grad_text(node: Node) -> str:
    """``grad 0.25`` (a Tensor: ``grad norm 1.5``), or a greyed ``grad ?`` if none yet."""
    grad = node.grad.data if isinstance(node.grad, Node) else node.grad
    if grad is None:
        return _NOT_YET
    if isinstance(node.data, float):
        return f"grad {_num(grad)}"
    return f"grad norm {_num(float(np.linalg.norm(grad)))}"


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


def _value_text(data: Any) -> str:
    """A constant's name: its value (a large array: its shape)."""
    if isinstance(data, (float, int)):
        return _num(float(data))
    if np.size(data) == 1:
        return _num(float(np.ravel(data)[0]))
    return f"const {tuple(np.shape(data))}"


def _num(x: float) -> str:
    """4 significant digits."""
    return f"{x:.4g}"


def _html(text: str) -> str:
    """Escape the characters that structure an HTML-like graphviz label."""
    for ch, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        text = text.replace(ch, entity)
    return text.replace("\n", " ")


def _summary_text(total: int, shown: int, hidden_inputs: int) -> str:
    return (
        f"... {total - shown} more nodes\n"
        f"(the graph has {total} nodes; the {shown} nearest the root are drawn,\n"
        f"{hidden_inputs} links lead here. Pass max_nodes={total} to draw them all.)"
    )
