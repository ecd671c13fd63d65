"""``formula``: the graph written as the nested function it computes, typeset.

``formula(root)`` reads the graph behind ``root`` as mathematics: a neuron built micrograd's
way reads ``o = tanh(w_1 x_1 + w_2 x_2 + b)``. Names are the graph's own (:func:`node_names`,
the names drawings and step records use, a generated one written as one word: ``dot+b#1`` is
``dot_b#1``); an intermediate used more than once (or one whose expression grows past
``max_chars``) gets a line of its own, ``name = ...``, and is referred to by name.
``collapse=`` reads a network at the level of its modules (the groups of
:func:`~autograd.viz.groups.group_units`, as ``draw_dot(collapse=...)`` draws them): each
layer's parameters become ``W_k`` and ``b_k`` (``k`` counted from the input), so an ``nn``
MLP reads ``\\hat y = W_3 relu(W_2 relu(W_1 x + b_1) + b_2) + b_3`` and ``where`` says which
parameters each symbol stands for. The walk is iterative (one pass in creation order); each
node's expression is built from its inputs' expressions, never by recursion.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..core import Node, topological_order
from ..value import Dot
from .expr import (
    ATOM,
    DOTS,
    MATMUL,
    POW,
    SUM,
    TERMS,
    YHAT,
    Expr,
    atom,
    generated_name,
    number,
    render,
    square_base,
    tex_name,
    tt,
)
from .groups import COLLAPSE_LEVELS, Group, group_units
from .names import node_names

__all__ = ["Formula", "formula"]


@dataclass
class Formula:
    """What :func:`formula` returns: ``lines`` of ``(name, expression)`` (the root's last; a
    leaf's formula is one line with no name), the ``symbols`` a collapsed formula introduced
    (``{'W1': '0.weight (8, 2)'}``) and how many early lines were ``omitted``. ``text`` is for a
    terminal; in Jupyter it shows typeset (``_repr_latex_``, from ``tex``)."""

    lines: list[tuple[Expr | None, Expr]]
    where: list[tuple[Expr, str]] = field(default_factory=list)
    omitted: int = 0

    @property
    def symbols(self) -> dict[str, str]:
        """``{symbol: the parameters it stands for, with their shape}`` (text symbols)."""
        return {sym.text: meaning for sym, meaning in self.where}

    @property
    def text(self) -> str:
        """The formula as plain text, one definition a line, the root's last."""
        out = [f"({self.omitted} earlier definitions left out)"] if self.omitted else []
        out += [rhs.text if lhs is None else f"{lhs.text} = {rhs.text}" for lhs, rhs in self.lines]
        if self.where:
            out.append("where " + ", ".join(f"{s.text} = {m}" for s, m in self.where))
        return "\n".join(out)

    @property
    def tex(self) -> str:
        """The formula as LaTeX: the lines of an ``aligned`` block (``&=`` between the sides)."""
        left = rf"\text{{({self.omitted} earlier definitions left out)}}"
        rows = [left] if self.omitted else []
        rows += [rhs.tex if lhs is None else f"{lhs.tex} &= {rhs.tex}" for lhs, rhs in self.lines]
        if self.where:
            shown = ",\\ ".join(f"{s.tex} = \\texttt{{{tt(m)}}}" for s, m in self.where)
            rows.append(r"&\text{where } " + shown)
        return " \\\\\n".join(rows)

    def _repr_latex_(self) -> str:
        return "$$\\begin{aligned}\n" + self.tex + "\n\\end{aligned}$$"

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"


def formula(
    root: Node,
    expand: bool = False,
    collapse: str | Callable[[str], str | None] | None = None,
    max_lines: int = 50,
    max_chars: int = 300,
) -> Formula:
    """The graph behind ``root`` as a nested function (see the module docstring).

    ``expand=True`` writes every term of an n-ary ``dot``/``sum`` (a scalar neuron's weighted
    sum), as ``draw_dot(expand=True)`` draws each one; by default a sum of more than four terms
    reads ``w_0 x_0 + w_1 x_1 + \\dots + w_7 x_7 + b``. ``collapse`` takes ``draw_dot``'s levels
    (``'neuron'``, ``'layer'``, ``'module'`` or a function from a label to a group name): each
    group's parameters become ``W_k``, ``b_k`` (a layer of scalar neurons sharing one input is
    read as the matrix-vector product it is) and the root, a group's output, is ``\\hat y``.
    A tensor ``linear`` node reads ``W x + b``: one example, a column vector (the op computes
    ``x @ W.T + b`` for a batch of rows). The first unlabelled array constant is named ``x``,
    the first one subtracted (a loss's targets) ``y``, the others ``c_2``, ``c_3``, ...; label
    a node to choose its name. At most ``max_lines`` lines are kept
    (those nearest the root)."""
    if not isinstance(root, Node):
        raise TypeError(f"formula() needs a Value or Tensor, got {type(root).__name__}")
    if not isinstance(expand, bool):
        raise TypeError(f"formula(): expand must be True or False, got {expand!r}")
    if expand and collapse is not None:
        raise ValueError("formula(): expand=True writes more detail and collapse= less; pick one")
    if collapse is not None and not callable(collapse) and collapse not in COLLAPSE_LEVELS:
        raise ValueError(f"formula(): collapse must be one of {COLLAPSE_LEVELS} or a function "
                         f"from a label to a group name, got {collapse!r}")
    for arg, value in (("max_lines", max_lines), ("max_chars", max_chars)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"formula(): {arg} must be a positive int, got {value!r}")
    return _Writer(root, expand, collapse, max_chars).write(max_lines)


class _Writer:
    """One formula being written: the names, the uses of each node, the groups."""

    def __init__(self, root: Node, expand: bool, collapse: Any, max_chars: int) -> None:
        self.root, self.expand, self.max_chars = root, expand, max_chars
        self.names = node_names(root)
        self.order = topological_order([root])  # op nodes, each after its inputs
        self.uses: dict[int, int] = {}
        for node in self.order:
            for p in square_base(node) or node._parents:
                if isinstance(p, Node):
                    self.uses[id(p)] = self.uses.get(id(p), 0) + 1
        self.exprs: dict[int, Expr] = {}
        self.lines: list[tuple[Expr | None, Expr]] = []
        self.where: list[tuple[Expr, str]] = []
        self.defined: dict[str, int] = {}  # name -> how many nodes of that name were met
        self.nth: dict[int, int] = {}  # id(node) -> which node of its name it is (1, 2, ...)
        self.taken = set(self.names.values())
        self.arrays = 0  # unlabelled array constants named c_k so far
        self.group_of: dict[int, Group] = {}
        self.layers: dict[int, SimpleNamespace] = {}  # id(group) -> a layer of neurons
        self.fed: set[int] = set()  # the nodes a group's member takes as an input
        self.outputs = 0  # the model outputs named y_hat so far
        if collapse is not None:
            self._groups(collapse)

    # ----------------------------------------------------------------------- groups
    def _groups(self, collapse: Any) -> None:
        """Find the groups, number those with parameters from the input side, name their
        parameters ``W_k``/``b_k`` (and recognise layers of neurons)."""
        units, _ = group_units(self.root, SimpleNamespace(made={}, labels={}), collapse, tail=False)
        groups = [u for u in units if isinstance(u, Group)]
        for g in groups:
            for m in g.members:
                self.group_of[id(m)] = g
                self.fed.update(id(p) for p in m._parents or ())
        place: dict[int, int] = {}  # an op's place in the order; a leaf's, its first use's
        for i, node in enumerate(self.order):
            for p in node._parents:
                place.setdefault(id(p), i)
            place[id(node)] = i
        groups.sort(key=lambda g: min(place.get(id(m), len(place)) for m in g.members))
        k = 0
        for g in groups:
            params = [m for m in g.members if m._fn is None and m.requires_grad]
            if not params:
                continue
            k += 1
            layer = _layer_of(g, params)
            if layer is not None:
                layer.k = k
                self.layers[id(g)] = layer
                shape = f"({len(layer.outs)}, {len(layer.v)})"
                self._symbol(f"W_{{{k}}}", f"W{k}", layer.ws, shape)
                if layer.bs:
                    self._symbol(f"b_{{{k}}}", f"b{k}", layer.bs, f"({len(layer.outs)},)")
                continue
            for p in params:
                short = self.names[id(p)].removeprefix(g.name + ".")
                if not short.isidentifier():  # deeper than the group's own (N1.w1): as it is
                    continue
                letter = {"weight": "W", "bias": "b"}.get(short, short)
                sym = self._symbol(f"{tex_name(letter)}_{{{k}}}", f"{letter}{k}", [p],
                                   str(tuple(np.shape(p.data))))
                self.exprs[id(p)] = sym

    def _symbol(self, tex: str, text: str, params: Sequence[Node], shape: str) -> Expr:
        names = [self.names[id(p)] for p in params]
        shown = names[0] if len(names) == 1 else f"[{names[0]} ... {names[-1]}]"
        sym = atom(tex, text)
        self.where.append((sym, f"{shown} {shape}"))
        return sym

    def _vector(self, v: tuple) -> Expr:
        """The input vector of a layer: the layer before it, a stem (``x`` for ``x1, x2``) or
        the list of its entries."""
        for layer in self.layers.values():
            if _same(layer.outs, v):
                return layer.expr
        parts = [self._get(x) for x in v]
        stems = {re.sub(r"_?\d+$", "", e.text) for e in parts}
        if len(stems) == 1 and all(x._fn is None for x in v if isinstance(x, Node)):
            stem = stems.pop()
            if stem and stem != parts[0].text:
                return atom(tex_name(stem), stem)
        if not self.expand and len(parts) > TERMS:
            parts = [*parts[:2], DOTS, parts[-1]]
        return atom("[" + ", ".join(e.tex for e in parts) + "]",
                     "[" + ", ".join(e.text for e in parts) + "]")

    # ----------------------------------------------------------------------- the walk
    def write(self, max_lines: int) -> Formula:
        root = self.root
        if not self.order:  # a leaf, or a node made without grad: its own name
            return Formula([(None, self._get(root))])
        for node in self.order:
            group = self.group_of.get(id(node))
            layer = self.layers.get(id(group)) if group is not None else None
            if layer is not None:
                if any(node is o for o in layer.outs):
                    self._layer_output(node, layer)
                continue  # inside a layer: written as part of it
            inputs = [self._get(p, node.op == "-" and i == 1) for i, p in enumerate(node._parents)]
            expr = render(node, inputs, self.expand)
            self._place(node, expr, self._named(node))
        top = self.exprs[id(root)]
        lhs = self._name(root) if root.label else atom("f", "f")
        if id(root) in self.group_of or not root.label and any(
                id(p) in self.group_of and p._fn is None for p in root._parents):  # fmt: skip
            lhs = self._yhat()  # a model's output: a group's, or an op on a group's parameters
        self.lines.append((lhs, top))
        omitted = max(0, len(self.lines) - max_lines)
        return Formula(self.lines[omitted:], self.where, omitted)

    def _named(self, node: Node) -> bool:
        return node is not self.root and self.uses.get(id(node), 0) > 1

    def _place(self, node: Node, expr: Expr, named: bool) -> None:
        """Record ``node``'s expression, or give it a line and refer to it by name."""
        if node is not self.root and (named or len(expr.text) > self.max_chars):
            name = self._name(node)
            if id(node) in self.group_of and id(node) not in self.fed:
                name = self._yhat()  # the model's output, used by what follows it (a loss)
            self.lines.append((name, expr))
            expr = name
        self.exprs[id(node)] = expr

    def _yhat(self) -> Expr:
        """``\\hat y`` for the first model output, ``\\hat y^(2)`` for a second pass's, ..."""
        self.outputs += 1
        if self.outputs == 1:
            return YHAT
        return atom(f"{{{YHAT.tex}}}^{{({self.outputs})}}", f"{YHAT.text}^({self.outputs})")

    def _layer_output(self, node: Node, layer: SimpleNamespace) -> None:
        """A layer's vector, written once (at its first output), then its outputs from it."""
        if not hasattr(layer, "expr"):
            v = self._vector(layer.v)
            wx = f"W_{{{layer.k}}} {v.t(POW)}", f"W{layer.k} @ {v.p(POW)}"
            tex, text, prec = wx[0], wx[1], MATMUL
            if layer.bs:
                tex, text, prec = f"{tex} + b_{{{layer.k}}}", f"{text} + b{layer.k}", SUM
            expr = Expr(tex, prec, text, prec)
            if layer.act is not None:
                expr = render(layer.act, [expr], self.expand)
            readers = [other for other in self.layers.values() if _same(other.v, layer.outs)]
            inside = len(readers) and sum(len(other.outs) for other in readers)  # dot uses
            outside = any(self.uses.get(id(o), 0) > inside for o in layer.outs)
            used = len(readers)
            if len(layer.outs) > 1 and (used > 1 or outside) or (
                    len(layer.outs) == 1 and self._named(node)):  # fmt: skip
                name = atom(f"h_{{{layer.k}}}", f"h{layer.k}")
                self.lines.append((name, expr))
                expr = name
            layer.expr = expr
        if len(layer.outs) == 1:
            self.exprs[id(node)] = layer.expr
        else:
            j = next(i for i, o in enumerate(layer.outs) if o is node)
            self.exprs[id(node)] = atom(f"[{layer.expr.tex}]_{{{j + 1}}}",
                                         f"{layer.expr.p(ATOM)}[{j}]")

    def _get(self, x: Any, target: bool = False) -> Expr:
        """The expression of an input: computed already, or a leaf or a constant (``target``:
        it is subtracted, as a loss subtracts its targets)."""
        expr = self.exprs.get(id(x))
        if expr is None:
            if not isinstance(x, Node):
                expr = self._constant(x, target)
            elif x.label or x.requires_grad or x._fn is not None:
                expr = self._name(x)
            else:
                expr = self._constant(x.data, target)
            if isinstance(x, (Node, np.ndarray)):  # kept alive by the graph: its id is its own
                self.exprs[id(x)] = expr
        return expr

    def _name(self, node: Node) -> Expr:
        """The node's name; the second, third node of one name (each forward pass of a model
        labels its nodes alike) is ``name^(2)``, ``name^(3)``, ..."""
        name = self.names[id(node)]
        if not node.label:
            name = generated_name(name)
        seen = self.nth.get(id(node))
        if seen is None:
            seen = self.nth[id(node)] = self.defined[name] = self.defined.get(name, 0) + 1
        if seen == 1:
            return atom(tex_name(name), name)
        return atom(f"{{{tex_name(name)}}}^{{({seen})}}", f"{name}^({seen})")

    def _constant(self, data: Any, target: bool) -> Expr:
        """A number as itself; an array as ``x`` (the first), ``y`` (the first subtracted:
        targets), else ``c_2``, ``c_3``, ... (each a name no node has)."""
        if np.size(data) == 1:
            return number(float(np.ravel(data)[0]))
        name = "y" if target else "x"
        if name not in self.taken:
            self.taken.add(name)
            return atom(name, name)
        while True:
            self.arrays += 1
            name = f"c_{self.arrays + 1}"
            if name not in self.taken:
                self.taken.add(name)
                return atom(tex_name(name), name)


def _same(a: Sequence, b: Sequence) -> bool:
    """The same nodes in the same order."""
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def _layer_of(group: Group, params: list[Node]) -> SimpleNamespace | None:
    """A group of neurons sharing one input vector: each output ``act(dot(w, v, b))`` (or the
    ``dot`` itself) with the same ``v`` and ``act``; None for any other group."""
    if not group.outputs or any(not isinstance(p.data, float) for p in params):
        return None
    acts: list[Node | None] = []
    dots: list[tuple[Node, Dot]] = []
    for out in group.outputs:
        dot: Any = out
        if out._fn is not None and out._fn.elementwise and len(out._parents) == 1:
            dot = out._parents[0]  # an activation of a dot
        if not isinstance(dot, Node) or not isinstance(dot._fn, Dot):
            return None
        acts.append(out if dot is not out else None)
        dots.append((dot, dot._fn))
    n = len(dots[0][0]._parents) // 2
    v = tuple(dots[0][0]._parents[n : 2 * n])
    ids = {id(p) for p in params}
    bias = dots[0][1].bias
    ws: list[Node] = []
    bs: list[Node] = []
    for dot, fn in dots:
        parts = dot._parents
        if len(parts) // 2 != n or any(a is not b for a, b in zip(parts[n : 2 * n], v)):
            return None
        if fn.bias != bias or any(id(w) not in ids for w in parts[:n]):
            return None
        ws += parts[:n]
        if bias:
            bs.append(parts[-1])
    kinds = {a.op if a is not None else None for a in acts}
    if len(kinds) != 1 or any(id(b) not in ids for b in bs):
        return None
    return SimpleNamespace(outs=tuple(group.outputs), v=v, ws=ws, bs=bs, act=acts[0], k=0)

