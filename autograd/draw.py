"""``draw_dot``: a picture of a computation graph (graphviz), for ``Value`` and ``Tensor`` alike.

Each node of the graph is a box: its label, its data (a ``Value``'s number, a ``Tensor``'s shape
and dtype) and its gradient; each op is a small ellipse between its inputs and its output, as in
micrograd's drawings. Parameters (leaves that require grad), constants and the root are coloured
differently, and ``highlight`` outlines chosen nodes (the step-through in ``steps.py`` uses it).

The result is a ``graphviz.Digraph``: Jupyter displays it inline, ``.render('graph',
format='svg')`` writes a file and ``.source`` is the DOT text. Rendering needs Graphviz's ``dot``
program; when it is missing the error says which system package to install.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

import graphviz
import numpy as np

from .core import Node

__all__ = ["GraphvizNotFoundError", "check_graphviz", "draw_dot"]

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
    Tensor's grad norm, when it has one); between :func:`~autograd.backward_steps` steps that is
    the gradient gathered so far.
    ``highlight`` is a node or a collection of nodes to outline in red; an op is outlined too
    when its output and one of its inputs are (``highlight=step.nodes`` marks a backward step).

    A graph of more than ``max_nodes`` nodes (ops not counted) is not drawn whole: with
    ``overflow='summary'`` (the default) the ``max_nodes`` nodes nearest the root are drawn and
    one box stands for the rest, saying how many nodes there are and how to draw them all;
    ``overflow='error'`` raises ``ValueError`` instead. Either way the cost is linear in the size
    of the graph (no recursion, no hang).

    ``step`` is a record of :func:`~autograd.backward_steps`: the drawing marks, with distinct
    styles and a legend, the node whose rule runs at that step (and its op), the parents that
    receive a contribution now, and the nodes whose rule ran at the steps before.
    ``edge_labels=True`` writes on each edge into an op the local derivative d(out)/d(input):
    the step's ``local`` on the step's edges, elsewhere the op's rule run with an upstream of one
    (a Tensor edge only when that derivative is a single number).
    """
    if not isinstance(root, Node):
        raise TypeError(f"draw_dot() needs a Value or Tensor, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_dot(): rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_dot(): max_nodes must be a positive int, got {max_nodes!r}")
    if overflow not in OVERFLOW_MODES:
        raise ValueError(f"draw_dot(): overflow must be one of {OVERFLOW_MODES}, got {overflow!r}")
    marked = _highlight_ids(highlight)
    states = _step_states(step)

    made: dict = {}
    nodes = _collect(root, made)
    total = len(nodes)
    if total > max_nodes and overflow == "error":
        raise ValueError(
            f"draw_dot(): the graph has {total} nodes, more than max_nodes={max_nodes}; pass "
            f"max_nodes={total} (or more) to draw it all (layout gets slow beyond a few "
            "thousand), or draw a smaller expression"
        )
    shown = nodes[:max_nodes]
    names = {id(node): f"n{i}" for i, node in enumerate(shown)}

    dot = Drawing(
        graph_attr={"rankdir": rankdir},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"arrowsize": "0.7"},
    )
    hidden_inputs = 0
    for node in shown:
        name = names[id(node)]
        kind = "root" if node is root else _kind(node)
        attrs = {"shape": "record", "style": "filled", "class": kind, **_STYLE[kind]}
        if id(node) in marked:
            attrs.update(_HIGHLIGHT, **{"class": f"{kind} highlight"})
        if id(node) in states:
            state = states[id(node)]
            attrs.update(_STEP_STYLE[state], **{"class": f"{attrs['class']} {state}"})
        dot.node(name, _node_label(node, show_grad), **attrs)
        if node._fn is not None:
            parents = _inputs(node, made)
            hidden_inputs += _draw_op(dot, node, name, names, marked, parents,
                                      step if states.get(id(node)) == "step-current" else None,
                                      edge_labels)
    if states:
        _draw_legend(dot)
    if total > len(shown):
        dot.node("more", _summary_text(total, len(shown), hidden_inputs), shape="note")
    return dot


# ----------------------------------------------------------------------------------- helpers
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


def _draw_op(
    dot: Drawing, node: Node, name: str, names: dict, marked: set[int], parents: list,
    step: Any = None, edge_labels: bool = False,
) -> int:  # fmt: skip
    """Draw the op that made ``node`` with its edges; return how many of its inputs are not drawn.

    The op (and its edges) is highlighted when its output and at least one of its inputs are,
    i.e. when it is the op of a highlighted step, not merely the op that made a highlighted input.
    ``step`` is given when ``node`` is the node of that step: the op and the edges to the parents
    receiving a contribution are drawn in the step's style.
    """
    lit = id(node) in marked and any(id(p) in marked for p in parents)
    style = _HIGHLIGHT if lit else {}
    label = node._fn.name
    if node._parents is None:
        label += "\n(graph freed by backward;\nretain_graph=True keeps it)"
    op = name + "_op"
    css = "op highlight" if lit else "op"
    op_style = dict(style)
    if step is not None:
        css += " step-current"
        op_style.update(_STEP_EDGE, style="filled,bold", fillcolor="#ff9f43")
    dot.node(op, label, shape="ellipse", fontsize="10", **{"class": css}, **op_style)
    dot.edge(op, name, **(_STEP_EDGE if step is not None else style))
    locals_ = _edge_locals(node, step) if edge_labels and node._parents is not None else ()
    hidden = 0
    for i, parent in enumerate(parents):
        parent_name = names.get(id(parent))
        if parent_name is None:
            hidden += 1
            dot.edge("more", op, style="dashed")
            continue
        attrs = dict(style if id(parent) in marked else {})
        if step is not None and i < len(step.contributions) and step.contributions[i] is not None:
            attrs.update(_STEP_EDGE)
        if i < len(locals_) and locals_[i] is not None:
            attrs.update(label=" " + locals_[i], fontsize="9", fontcolor="#7a4b00")
        dot.edge(parent_name, op, **attrs)
    return hidden


def _step_states(step: Any) -> dict[int, str]:
    """{id(node): state} for the three states of a backward step (empty without a step)."""
    if step is None:
        return {}
    if not all(hasattr(step, a) for a in ("node", "parents", "contributions", "done")):
        raise TypeError(f"draw_dot(): step must be a backward_steps() record, got "
                        f"{type(step).__name__}")
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
                        **_STEP_STYLE[state], **{"class": f"legend {state}"})


def _edge_locals(node: Node, step: Any) -> list:
    """The local derivative d(node)/d(input) per input, as text (``None`` where not a number)."""
    if step is not None:
        local = step.local
    else:
        from .steps import _local_derivatives  # steps imports this module

        inputs = [p.data if isinstance(p, Node) else p for p in node._parents]
        try:
            local = _local_derivatives(node, inputs)
        except Exception:  # noqa: BLE001 - a label is an extra: never fail the drawing for it
            return []
    texts = []
    for d in local:
        if d is None or np.size(d) != 1:
            texts.append(None)
        else:
            texts.append(_num(float(np.asarray(d).reshape(()))))
    return texts


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


def _node_label(node: Node, show_grad: bool) -> str:
    """A record label: ``{ label | data ... | grad ... }``."""
    fields = [_escape(node.label)] if node.label else []
    data = node.data
    if isinstance(data, float):
        fields.append(f"data {_num(data)}")
    else:
        fields.append(_escape(f"shape {tuple(np.shape(data))} {getattr(data, 'dtype', '')}"))
        if np.size(data) == 1:
            fields.append(f"data {_num(float(np.asarray(data).reshape(())))}")
    if show_grad and node.requires_grad:  # a constant has no gradient to show
        grad = node.grad.data if isinstance(node.grad, Node) else node.grad
        if isinstance(data, float):
            fields.append("grad " + (_num(grad) if grad is not None else "-"))
        elif grad is not None:
            fields.append(f"grad norm {_num(float(np.linalg.norm(grad)))}")
    return "{ " + " | ".join(fields) + " }"


def _num(x: float) -> str:
    """4 significant digits."""
    return f"{x:.4g}"


def _escape(text: str) -> str:
    """Escape the characters that structure a graphviz record label."""
    for ch in '\\{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", " ")


def _summary_text(total: int, shown: int, hidden_inputs: int) -> str:
    return (
        f"... {total - shown} more nodes\n"
        f"(the graph has {total} nodes; the {shown} nearest the root are drawn,\n"
        f"{hidden_inputs} links lead here. Pass max_nodes={total} to draw them all.)"
    )
