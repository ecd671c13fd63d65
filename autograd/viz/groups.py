"""``draw_dot``'s other levels of detail, ``expand=True`` and ``collapse=``: same graph, drawn.

- :func:`expand_nary` redraws each n-ary ``dot``/``sum`` node of the scalar engine as the chain
  of binary ``*`` and ``+`` nodes micrograd builds for ``w1*x1 + w2*x2 + b``: drawing-only
  nodes, each holding the gradient the whole sum got (a ``+`` passes its gradient on unchanged).
- :func:`group_units` sorts the nodes into boxes by their labels (``collapse='neuron'``:
  ``L1.N3.*``; ``'layer'`` or ``'module'``: ``L1.*``, or ``0.*`` / ``0:Linear`` for tensor
  modules; or a function from a label to a group name). An unlabelled node joins the group of
  its consumers when they all share one, so a neuron's hidden sums sit inside its box.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, TypeVar

import numpy as np

from ..core import Node, enable_grad
from ..value import Dot, Sum
from .names import (
    NOT_YET,
    collect_nodes,
    creation_order,
    drawn_inputs,
    fmt_num,
    grad_of,
    grad_text,
    html_cells,
    html_text,
    value_text,
)

COLLAPSE_LEVELS = ("neuron", "layer", "module")
_LAYER = r"^(L\d+)\.|^(\d+)[.:]"  # L1.N3.w1 -> L1; 0.weight, 0:Linear -> 0
_PATTERNS = {"neuron": r"^(L\d+\.N\d+)\.", "layer": _LAYER, "module": _LAYER}
N = TypeVar("N", bound=Node)


def expand_nary(nodes: list[Node], ctx: SimpleNamespace) -> None:
    """Give every ``dot``/``dot+b``/``sum`` node among ``nodes`` micrograd's picture: products
    ``w*x`` and partial sums as nodes of their own, the node itself drawn as the last ``+``
    (``ctx.made`` holds its new inputs, ``ctx.op_names`` its op, ``ctx.labels`` the names)."""
    with enable_grad():  # the drawing-only nodes need their inputs recorded
        for node in nodes:
            fn = node._fn
            if not isinstance(fn, (Dot, Sum)) or node._parents is None:
                continue
            inputs = drawn_inputs(node, ctx.made)
            bias = inputs[-1] if isinstance(fn, Dot) and fn.bias else None
            if isinstance(fn, Sum):
                terms = list(inputs)
            else:
                n = len(inputs) // 2
                if n == 1 and bias is None:  # w*x alone: the node is the product
                    ctx.op_names[id(node)] = "*"
                    continue
                terms = [_extra(w * x, node, ctx, f"{_nm(w, ctx)}*{_nm(x, ctx)}")
                         for w, x in zip(inputs[:n], inputs[n : 2 * n])]  # fmt: skip
            last = bias if bias is not None else terms.pop()
            if not terms:
                continue  # a sum of one input: nothing to expand
            partial, first = terms[0], _nm(terms[0], ctx)
            for i, term in enumerate(terms[1:], start=2):
                plus = " + " if i == 2 else " + … + "
                partial = _extra(partial + term, node, ctx, first + plus + _nm(term, ctx))
            ctx.made[id(node)] = [partial, last]
            ctx.op_names[id(node)] = "+"


def _extra(new: N, node: Node, ctx: SimpleNamespace, name: str) -> N:
    """A drawing-only node inside ``node``'s sum: named, with the sum's gradient."""
    ctx.grad_as[id(new)] = node  # drawn with the sum's gradient (the record's, at a step)
    ctx.labels[id(new)] = name
    ctx.keep.append(new)  # alive while drawing: ids stay unique
    return new


def _nm(node: Node, ctx: SimpleNamespace) -> str:
    return ctx.labels.get(id(node)) or node.label or value_text(node.data)


@dataclass(eq=False)
class Group:
    """The nodes drawn as one box: its ``name``, ``members`` (root side first), the nodes outside
    that feed it (``inputs``) and its members used outside it or the root (``outputs``)."""

    name: str
    members: list[Node] = field(default_factory=list)
    inputs: list[Node] = field(default_factory=list)
    outputs: list[Node] = field(default_factory=list)


def group_key(collapse: str | Callable[[str], str | None]) -> Callable[[str], str | None]:
    """The function from a label to its group's name (``None``: not in a group)."""
    if callable(collapse):
        return collapse
    if collapse not in _PATTERNS:
        raise ValueError(
            f"draw_dot(): collapse must be one of {COLLAPSE_LEVELS} or a function from a label "
            f"to a group name, got {collapse!r}"
        )
    pattern = re.compile(_PATTERNS[collapse])

    def key(label: str) -> str | None:
        match = pattern.match(label)
        return next((g for g in match.groups() if g), None) if match else None

    return key


def group_units(
    root: Node, ctx: SimpleNamespace, collapse: str | Callable, tail: bool = True
) -> tuple[list, list[tuple[int, int]]]:  # fmt: skip
    """The boxes to draw, root's first (a ``Group``, or a node drawn as itself), and the edges
    between them as ``(from, to)`` indices into that list, each once. ``tail``: the ops after
    the last group (a loss: sub, pow, add) are one box named after the root, as a drawing
    shows them (a formula writes them out)."""
    key = group_key(collapse)
    nodes = collect_nodes(root, ctx.made)
    consumers: dict[int, list[Node]] = {id(n): [] for n in nodes}
    made_here = set()  # constants that are numbers inside an op, made for the drawing
    for node in nodes:
        for raw, p in zip(node._parents or (), drawn_inputs(node, ctx.made)):
            consumers[id(p)].append(node)
            if raw is not p:
                made_here.add(id(p))
    group: dict[int, str | None] = {}
    order = creation_order(root, lambda n: drawn_inputs(n, ctx.made))
    sample = samples(order, ctx)
    # each node after every node that uses it: the creation order reversed
    for node in reversed(order):
        g = _own_group(node, key)
        if g is not None and node._fn is not None and id(node) in sample:
            g = f"{g} · sample {sample[id(node)]}"  # a batch: one box per sample
        elif g is None and node is root and tail:  # the root's tail, one box
            g = node.label or ("loss" if np.size(node.data) == 1 else "output")
            ctx.labels[id(node)] = g  # a name derived, not an op's (mean#1)
        elif g is None and not node.label and (node._fn is not None or id(node) in made_here):
            around = {group[id(c)] for c in consumers[id(node)]}
            g = around.pop() if len(around) == 1 else None
        group[id(node)] = g
    units: list = []
    index: dict[Any, int] = {}
    for node in nodes:  # breadth first from the root: the nearest boxes come first
        g = group[id(node)]
        unit_key = ("group", g) if g is not None else id(node)
        if unit_key not in index:
            index[unit_key] = len(units)
            units.append(Group(g) if g is not None else node)
        index[id(node)] = index[unit_key]
        if g is not None:
            units[index[unit_key]].members.append(node)
    edges: dict[tuple[int, int], None] = {}
    for node in nodes:
        here = index[id(node)]
        unit = units[here]
        for p in drawn_inputs(node, ctx.made):
            there = index[id(p)]
            if there != here:
                edges[(there, here)] = None
                if isinstance(unit, Group) and all(p is not q for q in unit.inputs):
                    unit.inputs.append(p)
        if isinstance(unit, Group) and (node is root or any(
            index[id(c)] != here for c in consumers[id(node)]
        )):  # fmt: skip
            unit.outputs.append(node)
    return units, list(edges)


def samples(order: list[Node], ctx: SimpleNamespace) -> dict[int, int]:
    """``{id(node): sample}`` (1, 2, ...) for the nodes whose label the graph holds more than
    once: a model run on each sample of a batch labels each pass alike (``L1.N1.a``), so the
    k-th node of a label (inputs first) belongs to the k-th sample. Their names in the drawing
    (``ctx.labels``) say so: ``s2:L1.N1.a``, ``s2:x1``."""
    seen: dict[str, list[Node]] = {}
    for node in order:
        if node.label and not (node._fn is None and node.requires_grad):  # not a parameter
            seen.setdefault(node.label, []).append(node)
    found = {}
    for label, nodes in seen.items():
        if len(nodes) > 1:
            for k, node in enumerate(nodes, 1):
                found[id(node)] = k
                ctx.labels[id(node)] = f"s{k}:{label}"
    return found


def _own_group(node: Node, key: Callable) -> str | None:
    """The group a node's label (or its op's ``display``: the module a fused op stands for, as
    ``Sequential`` runs a Linear and a ReLU) puts it in."""
    if node._fn is not None and node._fn.display:
        shown = _checked(key, node._fn.display)
        if shown is not None:
            return shown
    return _checked(key, node.label) if node.label else None


def _checked(key: Callable, label: str) -> str | None:
    g = key(label)
    if g is not None and not isinstance(g, str):
        raise TypeError(f"draw_dot(): collapse({label!r}) gave a {type(g).__name__}, not a str")
    return g or None


def group_label(group: Group, ctx: SimpleNamespace) -> str:
    """A group's box: its name (and the modules it runs), its inputs, parameters and outputs."""
    shown = [(m._fn.display if m._fn is not None else "", m.label) for m in reversed(group.members)]
    modules = [name for names in shown for name in names if re.match(r"^\d+:\w", name or "")]
    title = " + ".join(modules) if modules else group.name
    rows = [f"<B>{html_text(title)}</B>"]
    shared = [p for p in group.inputs if p._fn is None and p.requires_grad]  # a batch's params
    inputs = [p for p in group.inputs if not any(p is q for q in shared)]
    if inputs:
        rows.append("in: " + html_text(_few([_nm(p, ctx) for p in inputs])))
    if shared:
        rows.append(html_text(f"uses {len(shared)} params of {group.name.split(' · ')[0]}"))
    params = [m for m in group.members if m._fn is None and m.requires_grad]
    if params:
        rows.append(html_text(_params_text(params, group.name, ctx)))
    if all(o._fn is None for o in group.outputs):  # parameters only (a batch's, shared)
        return html_cells(rows, vertical=True)
    if len(group.outputs) == 1:
        out = group.outputs[0]
        rows.append("out: " + html_text(f"{_nm(out, ctx)} {_data_text(out.data)}"))
        if ctx.show_grad and out.requires_grad:
            rows.append(grad_text(out, grad_of(out, ctx)))
    elif group.outputs:
        rows.append("out: " + html_text(_few([_nm(o, ctx) for o in group.outputs])))
        if ctx.show_grad and any(o.requires_grad for o in group.outputs):
            rows.append(outputs_grad(group.outputs, [grad_of(o, ctx) for o in group.outputs]))
    return html_cells(rows, vertical=True)


def _few(names: list[str], limit: int = 4) -> str:
    """All the names, or the first two and the last with the count."""
    if len(names) <= limit:
        return ", ".join(names)
    return f"{names[0]}, {names[1]}, …, {names[-1]} ({len(names)})"


def _params_text(params: list[Node], prefix: str, ctx: SimpleNamespace) -> str:
    """Parameter names (without the group's own prefix) and, for arrays, shapes."""
    def short(p: Node) -> str:
        name = _nm(p, ctx)
        name = name[len(prefix) + 1 :] if name.startswith(prefix + ".") else name
        shape = np.shape(p.data)
        return f"{name} {shape}" if shape else name

    if len(params) <= 4:
        return "params: " + ", ".join(short(p) for p in params)
    names = [short(p) for p in params]
    size = sum(int(np.size(p.data)) for p in params)
    numbers = f" ({size} numbers)" if size != len(params) else ""
    return f"{len(params)} params{numbers}: {names[0]}, {names[1]}, …, {names[-1]}"


def _data_text(data: Any) -> str:
    return f"data {value_text(data)}" if np.size(data) == 1 else f"shape {np.shape(data)}"


def outputs_grad(outputs: list[Node], grads: list[Any]) -> str:
    """The norm of a group's output gradients (``grads``, one per output), greyed ``grad ?``
    while any is not computed yet."""
    plain = outputs_grad_plain(grads)
    return NOT_YET if plain is None else plain


def outputs_grad_plain(grads: list[Any]) -> str | None:
    """``grad norm 1.5`` for the gradients ``grads`` together; ``None`` while any is missing."""
    grads = [g.data if isinstance(g, Node) else g for g in grads]
    if any(g is None for g in grads):
        return None
    norm = float(np.sqrt(sum(float(np.sum(np.square(g))) for g in grads)))
    return f"grad norm {fmt_num(norm)}"
