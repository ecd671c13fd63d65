"""``draw_dot``: a picture of a computation graph (graphviz), for ``Value`` and ``Tensor`` alike.

Each node is a box (its name, data and gradient), each op a small ellipse between its inputs and
its output, as in micrograd's drawings. This module holds the styles and the drawing of boxes,
ellipses and edges (each with an SVG id, for a page's script: :func:`layout`); the boxes' text
is made in :mod:`~autograd.draw_text`, ``expand``/``collapse`` in :mod:`~autograd.draw_groups`,
the error saying what to install when Graphviz's ``dot`` is missing in ``dotcheck``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any

import graphviz
import numpy as np

from ..core import Node
from .dotcheck import Drawing, GraphvizNotFoundError, check_graphviz
from .groups import COLLAPSE_LEVELS, Group, expand_nary, group_label, group_units
from .names import (
    collect_nodes,
    drawn_inputs,
    fmt_num,
    kind_of,
    local_derivatives,
    node_label,
    node_names,
)

__all__ = ["GraphvizNotFoundError", "check_graphviz", "draw_dot", "node_names"]

RANKDIRS = ("LR", "TB", "RL", "BT")
OVERFLOW_MODES = ("summary", "error")

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
_GROUP_STYLE = {"shape": "box", "style": "filled,rounded", "fillcolor": "#e8f0fb",
                "color": "#4a6fa5", "penwidth": "1.5"}  # fmt: skip


def draw_dot(
    root: Node,
    rankdir: str = "LR",
    show_grad: bool = True,
    max_nodes: int = 500,
    highlight: Node | Iterable[Node] | None = None,
    overflow: str = "summary",
    step: Any = None,
    edge_labels: bool = False,
    expand: bool = False,
    collapse: str | Callable[[str], str | None] | None = None,
) -> graphviz.Digraph:
    """Draw the graph that computed ``root``: every node it depends on, constants included.

    Returns a ``graphviz.Digraph``: Jupyter shows it inline, ``.render('graph', format='svg')``
    writes a file, ``.source`` is the DOT text. A node's name is its label, else its op and a
    number (``tanh#3``: see :func:`node_names`, the names ``backward_steps`` uses too); parameters,
    constants and the root are coloured differently.

    ``rankdir`` is graphviz's layout direction ('LR' left to right, 'TB' top to bottom, ...).
    ``show_grad`` adds the gradient of each node that requires grad (a Value's ``.grad``; a
    Tensor's grad norm), ``grad ?`` (greyed) where none was computed yet; between
    :func:`~autograd.backward_steps` steps that is the gradient gathered so far.
    ``highlight`` is a node or a collection of nodes to outline in red; an op is outlined too
    when its output and one of its inputs are (``highlight=step.nodes`` marks a backward step).

    ``step`` is a record of :func:`~autograd.backward_steps`: the drawing marks, with distinct
    styles and a legend, the node whose rule runs at that step (and its op), the parents that
    receive a contribution now, and the nodes whose rule ran at the steps before; every
    gradient is drawn as it was right after that step (the record's ``grads``, whatever
    ``.grad`` holds now).
    ``edge_labels=True`` writes on each edge into an op the local derivative d(out)/d(input):
    the step's ``local`` on the step's edges, elsewhere the op's rule run with an upstream of one
    (a Tensor edge only when that derivative is a single number).

    ``expand=True`` draws each n-ary ``dot`` (a scalar neuron's weighted sum) and ``sum`` node
    as micrograd's ``*`` and ``+`` nodes (``w1*x1``, ``w1*x1 + w2*x2``, ...), as in micrograd's
    lecture pictures; the partial sums carry the gradient of the whole sum. ``collapse`` draws
    a network as boxes: ``'neuron'`` one box per scalar neuron (``L1.N3.*``: its weighted sum,
    bias and activation), ``'layer'`` one per layer (``L1.*``), ``'module'`` one per module of
    a tensor model (``0.weight``, ``0:Linear``; for a scalar MLP, its layers), or a function
    from a node's label to its box's name (``None``: drawn as itself). A box shows its inputs'
    names, its parameters (with shapes for tensors) and its output's data and gradient;
    unlabelled nodes join their consumers' box.

    A graph of more than ``max_nodes`` nodes (ops not counted; with ``collapse``, boxes) is not
    drawn whole: with ``overflow='summary'`` (the default) the ``max_nodes`` nodes nearest the
    root are drawn and one box stands for the rest, saying how many nodes there are and how to
    draw them; ``overflow='error'`` raises ``ValueError`` instead. Either way the cost is linear
    in the size of the graph (no recursion, no hang).
    """
    return layout(root, rankdir, show_grad, max_nodes, highlight, overflow, step, edge_labels,
                  expand, collapse)[0]  # fmt: skip


def layout(
    root: Node, rankdir: str = "LR", show_grad: bool = True, max_nodes: int = 500,
    highlight: Node | Iterable[Node] | None = None, overflow: str = "summary", step: Any = None,
    edge_labels: bool = False, expand: bool = False,
    collapse: str | Callable[[str], str | None] | None = None, grads: dict | None = None,
) -> tuple[Drawing, SimpleNamespace]:  # fmt: skip
    """:func:`draw_dot`'s drawing and what it drew: ``ctx.ids`` (``{id(node): svg id}`` of each
    node drawn as itself; its op is ``<id>_op``, the edge into input ``i`` of that op
    ``<id>_op_in<i>``) or ``ctx.units`` (with ``collapse``: each box, a Group or a node, is
    ``n<i>``). ``grads`` (``{id(node): gradient}``) is drawn in place of the gradients."""
    if not isinstance(root, Node):
        raise TypeError(f"draw_dot() needs a Value or Tensor, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_dot(): rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_dot(): max_nodes must be a positive int, got {max_nodes!r}")
    if overflow not in OVERFLOW_MODES:
        raise ValueError(f"draw_dot(): overflow must be one of {OVERFLOW_MODES}, got {overflow!r}")
    if not isinstance(expand, bool):
        raise TypeError(f"draw_dot(): expand must be True or False, got {expand!r}")
    if expand and collapse is not None:
        raise ValueError("draw_dot(): expand=True draws more detail and collapse= less; pick one")
    ctx = SimpleNamespace(
        root=root, show_grad=show_grad, marked=_highlight_ids(highlight),
        states=_step_states(step), step=step, edge_labels=edge_labels,
        vertical=rankdir in ("TB", "BT"), labels=node_names(root), made={}, op_names={},
        keep=[], expand=expand, grad_as={}, ids={}, units=[],
        grads=grads if grads is not None else step.grads if step is not None else None,
    )  # fmt: skip
    dot = Drawing(
        graph_attr={"rankdir": rankdir},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"arrowsize": "0.7"},
    )
    if collapse is None:
        _draw_all(dot, ctx, max_nodes, overflow)
    else:
        _draw_grouped(dot, ctx, collapse, max_nodes, overflow)
    if ctx.states:
        _draw_legend(dot)
    return dot, ctx




# ----------------------------------------------------------------------------------- helpers
def _draw_all(dot: Drawing, ctx: SimpleNamespace, max_nodes: int, overflow: str) -> None:
    """Every node (or the ``max_nodes`` nearest the root) with its op and edges."""
    nodes = collect_nodes(ctx.root, ctx.made)
    if ctx.expand:
        expand_nary(nodes, ctx)
        nodes = collect_nodes(ctx.root, ctx.made)
    total = len(nodes)
    if total > max_nodes and overflow == "error":
        raise ValueError(
            f"draw_dot(): the graph has {total} nodes, more than max_nodes={max_nodes}; pass "
            f"max_nodes={total} (or more) to draw it all (layout gets slow beyond a few "
            "thousand), draw a network by neuron, layer or module (collapse='neuron', "
            "'layer' or 'module'), or draw a smaller expression"
        )
    shown = ctx.shown = nodes[:max_nodes]
    ctx.ids = {id(node): f"n{i}" for i, node in enumerate(shown)}
    hidden_inputs = 0
    for node in shown:
        name = ctx.ids[id(node)]
        dot.node(name, node_label(node, ctx), id=name, **node_attrs(node, ctx))
        if node._fn is not None:
            hidden_inputs += _draw_op(dot, ctx, node, name)
    if total > len(shown):
        dot.node("more", _summary_text(total, len(shown), hidden_inputs), shape="note")


def node_attrs(node: Node, ctx: SimpleNamespace) -> dict:
    """The graphviz attributes of a node's box: its kind's style, highlight and step state."""
    kind = "root" if node is ctx.root else kind_of(node)
    attrs = {"shape": "box", "margin": "0", "style": "filled", "class": kind, **_STYLE[kind]}
    if id(node) in ctx.marked:
        attrs.update(_HIGHLIGHT, **{"class": f"{kind} highlight"})
    if id(node) in ctx.states:
        state = ctx.states[id(node)]
        attrs.update(_STEP_STYLE[state], **{"class": f"{attrs['class']} {state}"})
    return attrs


def _draw_op(dot: Drawing, ctx: SimpleNamespace, node: Node, name: str) -> int:
    """Draw the op that made ``node`` with its edges; return how many of its inputs are not drawn.

    At the node of ``step``, the edges from the parents receiving a contribution are drawn in the
    step's style; ``edge_labels`` writes the local derivative on each edge.
    """
    label = ctx.op_names.get(id(node), node.op)
    if node._parents is None:
        label += "\n(graph freed by backward;\nretain_graph=True keeps it)"
    op = _op_ellipse(dot, ctx, node, name, label)
    locals_ = edge_locals(node, ctx) if ctx.edge_labels and node._parents is not None else []
    lit = _lit(ctx, node)
    stepped = _is_step_node(ctx, node) and id(node) not in ctx.op_names  # not an expanded +
    received = ctx.step.contributions if stepped else ()
    hidden = 0
    for i, parent in enumerate(drawn_inputs(node, ctx.made)):
        if id(parent) not in ctx.ids:
            hidden += 1
            dot.edge("more", op, style="dashed")
            continue
        attrs = dict(_HIGHLIGHT) if lit and id(parent) in ctx.marked else {}
        if i < len(received) and received[i] is not None:
            attrs.update(_STEP_EDGE)
        if i < len(locals_) and locals_[i] is not None:
            attrs.update(label=" " + locals_[i], fontsize="9", fontcolor="#7a4b00")
        dot.edge(ctx.ids[id(parent)], op, id=f"{op}_in{i}", **attrs)
    return hidden


def _op_ellipse(dot: Drawing, ctx: SimpleNamespace, node: Node, name: str, label: str) -> str:
    """Draw the small ellipse of the op that made ``node`` (drawn as ``name``) and its edge into
    ``node``; return the ellipse's name. Both are highlighted when ``node`` and one of its inputs
    are (the op of a highlighted step, not merely the op that made a highlighted input), and in
    the step's style at the node of ``step``."""
    op = name + "_op"
    css, style = ("op highlight", dict(_HIGHLIGHT)) if _lit(ctx, node) else ("op", {})
    edge = dict(style)
    if _is_step_node(ctx, node):
        css += " step-current"
        style.update(_STEP_EDGE, style="filled,bold", fillcolor="#ff9f43")
        edge = dict(_STEP_EDGE)
    dot.node(op, label, shape="ellipse", fontsize="10", id=op, **{"class": css}, **style)
    dot.edge(op, name, id=f"{op}_out", **edge)
    return op


def _lit(ctx: SimpleNamespace, node: Node) -> bool:
    return id(node) in ctx.marked and any(id(p) in ctx.marked for p in drawn_inputs(node, ctx.made))


def _is_step_node(ctx: SimpleNamespace, node: Node) -> bool:
    return ctx.states.get(id(node)) == "step-current"


def _step_states(step: Any) -> dict[int, str]:
    """{id(node): state} for the three states of a backward step (empty without a step)."""
    if step is None:
        return {}
    if not all(hasattr(step, a) for a in ("node", "receiving", "done", "grads")):
        raise TypeError(
            f"draw_dot(): step must be a backward_steps() record, got {type(step).__name__}"
        )
    states = {id(n): "step-done" for n in step.done}
    states.update({id(p): "step-receiving" for p in step.receiving})
    states[id(step.node)] = "step-current"
    return states


def _draw_legend(dot: Drawing) -> None:
    """A small box per step state, in a cluster of its own."""
    with dot.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", fontsize="10", style="rounded", color="#999999")
        for state, text in _STEP_LEGEND.items():
            legend.node(f"legend_{state}", text, shape="box", fontsize="10",
                        **_STEP_STYLE[state], **{"class": f"legend {state}"})  # fmt: skip


def edge_locals(node: Node, ctx: SimpleNamespace) -> list:
    """The local derivative d(node)/d(input) per input, as text (``None`` where not a number):
    the step's own at the step's node, else the rule run with an upstream of one."""
    if ctx.op_names.get(id(node)) == "+":
        return ["1", "1"]  # an expanded sum's last +
    if _is_step_node(ctx, node):
        local = ctx.step.local
    else:
        inputs = [p.data if isinstance(p, Node) else p for p in node._parents]
        try:
            local = local_derivatives(node, inputs)
        except Exception:  # noqa: BLE001 - a label is an extra: never fail the drawing for it
            return []
    return [None if d is None or np.size(d) != 1 else fmt_num(float(np.ravel(d)[0])) for d in local]


def _highlight_ids(highlight: Node | Iterable[Node] | None) -> set[int]:
    if highlight is None:
        return set()
    try:
        items = [highlight] if isinstance(highlight, Node) else list(highlight)
    except TypeError:
        raise TypeError(
            f"draw_dot(): highlight must be a node or a collection of nodes, "
            f"got {type(highlight).__name__}"
        ) from None
    for item in items:
        if not isinstance(item, Node):
            raise TypeError(f"draw_dot(): highlight holds a {type(item).__name__}, not a node")
    return {id(item) for item in items}


def _summary_text(total: int, shown: int, hidden_inputs: int, what: str = "nodes") -> str:
    return (
        f"... {total - shown} more {what}\n"
        f"(the graph has {total} {what}; the {shown} nearest the root are drawn,\n"
        f"{hidden_inputs} links lead here. Pass max_nodes={total} to draw them all,\n"
        "or collapse='neuron', 'layer' or 'module' for fewer boxes.)"
    )


def _draw_grouped(
    dot: Drawing, ctx: SimpleNamespace, collapse: Any, max_nodes: int, overflow: str
) -> None:  # fmt: skip
    """The graph as boxes (see ``collapse`` in :func:`draw_dot`), edges between boxes once."""
    units, edges = group_units(ctx.root, ctx, collapse)
    total = len(units)
    level = collapse if isinstance(collapse, str) else "your grouping"
    if total > max_nodes and overflow == "error":
        coarser = [c for c in COLLAPSE_LEVELS if c != collapse]
        raise ValueError(
            f"draw_dot(): at collapse={level!r} the graph has {total} boxes, more than "
            f"max_nodes={max_nodes}; pass a coarser collapse ({' or '.join(map(repr, coarser))}) "
            f"or max_nodes={total} (or more)"
        )
    shown = ctx.units = units[:max_nodes]
    dot.graph_attr["ordering"] = "in"  # L1.N1 above L1.N2 ...: boxes in the order of the model
    targets = []  # where an edge into each box ends: at the op of a node drawn as itself
    for i, unit in enumerate(shown):
        name = f"n{i}"
        if isinstance(unit, Group):
            dot.node(name, group_label(unit, ctx), id=name, **_group_attrs(unit, ctx))
        else:
            dot.node(name, node_label(unit, ctx), id=name, **node_attrs(unit, ctx))
            if unit._fn is not None:
                name = _op_ellipse(dot, ctx, unit, name, unit._fn.name)
        targets.append(name)
    hidden = 0
    for there, here in edges:
        if here >= len(shown):
            continue
        if there < len(shown):
            dot.edge(f"n{there}", targets[here], id=f"n{there}_to_n{here}")
        else:
            hidden += 1
            dot.edge("more", targets[here], style="dashed")
    if total > len(shown):
        dot.node("more", _summary_text(total, len(shown), hidden, "boxes"), shape="note")


def _group_attrs(group: Group, ctx: SimpleNamespace) -> dict:
    """A group's box: coloured as the root's if it holds the root, styled by the strongest step
    state among its members."""
    attrs = dict(_GROUP_STYLE, **{"class": "group"})
    if any(m is ctx.root for m in group.members):
        attrs.update(fillcolor=_STYLE["root"]["fillcolor"], **{"class": "group root"})
    states = {ctx.states.get(id(m)) for m in group.members}
    state = next((state for state in _STEP_STYLE if state in states), None)
    if state is not None:
        attrs.update(_STEP_STYLE[state])
        attrs["class"] += f" {state}"
    return attrs
