"""The step page ``save_steps_html`` writes: one drawing of the graph, and for each step of the
forward pass (each node's data computed, in order), the seed (step 0) and each step of the
backward pass, the state the page's script applies to it (marked boxes, lit edges, the texts of
the data and gradient cells that change, the step's equation).

:func:`fresh_walk` is the walk behind it and ``step_through``: every ``backward_steps`` record
of the pass, run on the graph as if fresh (each ``.grad`` emptied for the walk, put back after),
so a graph walked before gives the same records and is left as it was found.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..core import Node, grads_put_back, topological_order
from .dotcheck import check_graphviz
from .draw import layout
from .groups import Group, outputs_grad_plain
from .names import creation_order, drawn_inputs, fmt_num, grad_plain, node_names, value_text
from .pagescript import PAGE_STYLE, PANZOOM, STEPPER
from .steps import BackwardStep, backward_steps, expression_text, show_value

__all__ = ["fresh_walk", "namer", "step_page"]

UNKNOWN_DATA, UNKNOWN_GRAD = "data ?", "grad ?"
LEGEND = {
    "f": ["computed now", "its inputs", "computed earlier"],
    "b": ["rule runs now", "gets a contribution now", "done (earlier steps)"],
}


def namer(root: Node) -> Callable[[Any], str]:
    """Each node's name in drawings and step records; a constant's is its value."""
    names = node_names(root)
    return lambda node: names.get(id(node)) or show_value(node)


def fresh_walk(root: Node, grad: Any, max_steps: int) -> list[BackwardStep]:
    """Every ``backward_steps`` record of ``root``'s pass (graph retained), run as on a fresh
    graph: each ``.grad`` of the graph starts empty and is put back as found afterwards, so the
    records (and their ``grads``) do not depend on earlier passes. A leaf root, a pass of more
    than ``max_steps`` steps and a missing ``dot`` are refused before any rule runs."""
    walk = backward_steps(root, grad, retain_graph=True)  # checks root (a node needing grad)
    with closing(walk):
        name_of = namer(root)
        if root.is_leaf:
            raise ValueError(
                f"nothing to step through: {name_of(root)!r} is a leaf (no op made it, so "
                "backward() only sets its own grad); step through a node computed from it"
            )
        if (count := len(topological_order([root]))) > max_steps:
            raise ValueError(
                f"the backward pass of {name_of(root)!r} has {count} steps, more than "
                f"max_steps={max_steps}: pass max_steps={count} to step through them all, or "
                "step through a smaller expression"
            )
        check_graphviz()  # before the first step
        with grads_put_back([n for n in creation_order(root) if n.requires_grad]):
            return list(walk)


@dataclass(eq=False)
class Unit:
    """One box of the drawing: its SVG id and its op's, the nodes it stands for (``nodes``:
    whose step state marks it), whose data and gradient it shows, and their cells' texts."""

    svg: str
    op: str | None
    nodes: list[Node]
    data_of: list[Node] = field(default_factory=list)  # known once all are computed
    data: str | None = None  # the data cell's text (None: no cell that changes)
    grads_of: list[Node] = field(default_factory=list)
    text: Callable[[list], str | None] = lambda grads: None  # the gradient cell's text


def step_page(root: Node, records: list[BackwardStep], title: str, interval: int,
              options: dict) -> str:  # fmt: skip
    """The whole HTML document for ``records`` (of :func:`fresh_walk`)."""
    trace = records[0].trace
    states = [trace.initial]
    for change in trace.changes:
        states.append({**states[-1], **change})
    options = {"edge_labels": True, **options}
    dot, ctx = layout(root, grads=_longest(states), **options)
    units = _units(ctx)
    svg = dot.pipe(format="svg", encoding="utf-8")
    svg = svg[svg.index("<svg") :]
    steps = _forward_steps(root, ctx, units) + _backward_steps(ctx, units, records, states)
    seed = next(i for i, s in enumerate(steps) if s["ph"] == "b")
    payload = {
        "units": [[u.svg, u.op, u.data, _template_grad(u, ctx)] for u in units],
        "steps": steps, "seed": seed, "interval": int(interval), "legend": LEGEND,
    }
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
    return _document(title, svg, data, len(steps) - 1)


def _template_grad(unit: Unit, ctx: SimpleNamespace) -> str | None:
    """The gradient text the template drawing shows in ``unit`` (the longest it takes)."""
    if not unit.grads_of:
        return None
    return unit.text([ctx.grads.get(id(n)) for n in unit.grads_of]) or UNKNOWN_GRAD


def _longest(states: list[dict]) -> dict[int, Any]:
    """Per node, the gradient of the longest text it shows at any step: the template drawing
    reserves room for it."""
    best: dict[int, Any] = {}
    width: dict[int, int] = {}
    for state in states:
        for key, g in state.items():
            n = len(_plain_text(g))
            if n > width.get(key, -1):
                best[key], width[key] = g, n
    return best


def _plain_text(g: Any) -> str:
    if g is None:
        return ""  # shorter than any number: a known gradient wins
    return fmt_num(float(g)) if np.size(g) == 1 else "norm " + fmt_num(float(np.linalg.norm(g)))


def _data_cell(node: Node) -> str | None:
    data = node.data
    if isinstance(data, float):
        return f"data {fmt_num(data)}"
    return f"data {value_text(data)}" if np.size(data) == 1 else None


def _units(ctx: SimpleNamespace) -> list[Unit]:
    """The drawing's boxes, in the order drawn."""
    units = []
    if ctx.units:  # collapse=: groups and nodes drawn as themselves
        for i, unit in enumerate(ctx.units):
            name = f"n{i}"
            if not isinstance(unit, Group):
                units.append(_node_unit(unit, name, ctx))
                continue
            outs = unit.outputs
            u = Unit(name, None, list(unit.members), data_of=list(outs))
            if all(o._fn is None for o in outs):  # a batch's shared parameters: no cells
                units.append(u)
                continue
            if len(outs) == 1 and _data_cell(outs[0]) is not None:
                shown = ctx.labels.get(id(outs[0])) or outs[0].label or value_text(outs[0].data)
                u.data = f"out: {shown} {_data_cell(outs[0])}"
            wanted = [o for o in outs if o.requires_grad]
            if ctx.show_grad and len(outs) == 1 and wanted:
                u.grads_of, u.text = outs, _one_grad(outs[0])
            elif ctx.show_grad and wanted:
                u.grads_of, u.text = list(outs), outputs_grad_plain
            units.append(u)
        return units
    return [_node_unit(node, ctx.ids[id(node)], ctx) for node in ctx.shown]


def _node_unit(node: Node, name: str, ctx: SimpleNamespace) -> Unit:
    owner = ctx.grad_as.get(id(node), node)  # an expanded partial sum: its sum's
    u = Unit(name, f"{name}_op" if node._fn is not None else None, [owner] if owner is node else [])
    if node._fn is not None:
        u.data_of, u.data = [owner], _data_cell(node)
    if ctx.show_grad and node.requires_grad:
        u.grads_of, u.text = [owner], _one_grad(node)
    return u


def _one_grad(node: Node) -> Callable[[list], str | None]:
    """The text of a gradient cell showing ``node``'s gradient (the one in the list given)."""
    def text(grads: list) -> str | None:
        return grad_plain(node, grads[0])

    return text


def _where(units: list[Unit], attr: str) -> dict[int, list[int]]:
    """``{id(node): [unit index]}``: the units whose ``attr`` (nodes, data_of, grads_of) hold it."""
    found: dict[int, list[int]] = {}
    for i, u in enumerate(units):
        for n in getattr(u, attr):
            found.setdefault(id(n), []).append(i)
    return found


def _edges(ctx: SimpleNamespace, node: Node, which: list[bool] | None) -> list[str]:
    """The SVG ids of the edges into (and out of) ``node``'s op; ``which``: per input, lit or
    not (None: all). Only in a drawing of nodes (a box of a group has no such edges)."""
    if ctx.units or id(node) not in ctx.ids:
        return []
    op = ctx.ids[id(node)] + "_op"
    inputs = drawn_inputs(node, ctx.made)
    if id(node) in ctx.op_names or which is None:  # an expanded sum: its inputs were redrawn
        which = [True] * len(inputs)
    return [f"{op}_in{i}" for i, p in enumerate(inputs)
            if i < len(which) and which[i] and id(p) in ctx.ids] + [f"{op}_out"]  # fmt: skip


def _forward_steps(root: Node, ctx: SimpleNamespace, units: list[Unit]) -> list[dict]:
    """Forward 0 (the inputs, nothing computed) and one step per op node, in creation order."""
    marks, data_at = _where(units, "nodes"), _where(units, "data_of")
    ops = [n for n in creation_order(root) if n._fn is not None and id(n) in marks]
    first: dict[str, Any] = {
             "t": f"forward 0 of {len(ops)}", "ph": "f", "cur": [], "in": [], "e": [],
             "eq": "forward pass: the inputs and parameters are set; nothing computed yet",
             "d": {i: UNKNOWN_DATA for i, u in enumerate(units) if u.data and u.data_of},
             "g": {i: UNKNOWN_GRAD for i, u in enumerate(units) if u.grads_of}}  # fmt: skip
    steps, computed = [first], set()
    name_of = namer(root)
    for j, node in enumerate(ops, 1):
        computed.add(id(node))
        changed = {i: units[i].data for i in data_at.get(id(node), [])
                   if units[i].data and all(id(n) in computed
                                            for n in units[i].data_of)}  # fmt: skip
        cur = sorted(set(marks[id(node)]))
        ins = sorted({i for p in node.parents for i in marks.get(id(p), [])} - set(cur))
        values = ", ".join(f"{name_of(p)} = {show_value(p)}" for p in node._parents)
        steps.append({
            "t": f"forward {j} of {len(ops)}", "ph": "f", "cur": cur, "in": ins,
            "e": _edges(ctx, node, None), "d": changed, "g": {},
            "eq": f"forward {j}: {expression_text(node, node_names(root))} = {show_value(node)}"
                  f"   ({values})",
        })  # fmt: skip
    return steps


def _backward_steps(ctx: SimpleNamespace, units: list[Unit], records: list[BackwardStep],
                    states: list[dict]) -> list[dict]:  # fmt: skip
    """Step 0 (the seed: every other gradient unknown) and one step per record."""
    marks, grad_at = _where(units, "nodes"), _where(units, "grads_of")
    root = records[0].root
    name = namer(root)(root)

    def texts(state: dict, indices: Any) -> dict:
        return {i: units[i].text([state.get(id(n)) for n in units[i].grads_of]) or UNKNOWN_GRAD
                for i in indices}  # fmt: skip

    seed: dict[str, Any] = {
            "t": f"backward step 0 of {len(records)}", "ph": "b", "cur": [], "in": [], "e": [],
            "d": {}, "g": texts(states[0], range(len(units))),
            "eq": f"step 0: the seed, d{name}/d{name} = {show_value(states[0].get(id(root)))}; "
                  "every other gradient is still unknown"}  # fmt: skip
    seed["cur"] = sorted(set(marks.get(id(root), [])))
    steps = [seed]
    for record in records:
        k = record.index
        touched = {i for key in trace_keys(states, k) for i in grad_at.get(key, [])}
        cur = sorted(set(marks.get(id(record.node), [])))
        ins = sorted({i for p in record.receiving for i in marks.get(id(p), [])} - set(cur))
        lit = [c is not None for c in record.contributions]
        steps.append({
            "t": f"backward step {k} of {len(records)}", "ph": "b", "cur": cur, "in": ins,
            "e": _edges(ctx, record.node, lit), "d": {}, "g": texts(states[k], sorted(touched)),
            "eq": str(record),
        })
    return steps


def trace_keys(states: list[dict], k: int) -> list[int]:
    """The nodes (ids) whose gradient step ``k`` changed."""
    before, after = states[k - 1], states[k]
    return [key for key, g in after.items() if before.get(key) is not g]


def _document(title: str, svg: str, data: str, last: int) -> str:
    t = html.escape(title)
    button = '<button id="{0}" type="button" title="{1}">{2}</button>'.format
    controls = "\n".join([
        button("first", "first step (Home)", "first"), button("prev", "previous (left arrow)",
        "prev"), button("play", "play the steps (space)", "play"), button("next",
        "next (right arrow)", "next"), button("last", "last step (End)", "last"),
        button("seed", "step 0 of the backward pass, the seed (0)", "step 0"),
        f'<input id="slider" type="range" min="0" max="{last}" value="0" step="1" '
        'aria-label="step">', '<span id="counter"></span>',
    ])  # fmt: skip
    view = "\n".join([
        button("zoom-out", "zoom out (-)", "&minus;"), button("zoom-in", "zoom in (+)", "+"),
        button("fit", "the whole drawing (f)", "fit"), button("actual", "natural size", "1:1"),
        '<label><input id="follow" type="checkbox" checked> follow</label>',
        '<label><input id="locals" type="checkbox" checked> local derivatives on edges</label>',
        '<span class="legend"><span id="legend0"></span><span id="legend1"></span>'
        '<span id="legend2"></span></span>',
    ])
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{t}</title>\n<style>{PAGE_STYLE}</style>\n</head>\n<body>\n<h1>{t}</h1>\n"
        f'<div class="controls">\n{controls}\n</div>\n<div class="controls">\n{view}\n</div>\n'
        f'<div id="viewport" class="viewport">{svg}</div>\n<pre id="equation" class="equation">'
        f'</pre>\n<script id="steps-data" type="application/json">{data}</script>\n'
        f"<script>{PANZOOM}{STEPPER}</script>\n</body>\n</html>\n"
    )
