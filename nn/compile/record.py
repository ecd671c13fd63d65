"""The trace of :func:`nn.compile_step`: a step's ops recorded from its finished graph.

``record_step`` makes a :class:`Record` (each op's ``Function`` and the slot each input comes
from: a parameter, x, y, a dropout mask, a constant or another op's output); ``compare`` checks
that two traces of a step agree; ``tape_text`` shows a record op by op; ``recording`` is the
forward a ``Dropout`` gets while tracing, so its masks are drawn afresh at each replay.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from autograd import Function, Node
from autograd.core import topological_order
from autograd.tensor import Tensor
from autograd.tensor.nn_ops import CrossEntropyLogits

from ..layers import Dropout
from ..module import Module
from ..optim import Optimizer

if TYPE_CHECKING:
    from .lower import Program

__all__ = ["CompileError", "Record", "compare", "record_step", "recording", "tape_text"]

_ndarray = np.ndarray


class CompileError(RuntimeError):
    """The step cannot be recorded and replayed (the reason is in the message)."""


Slot = tuple[int, Node]  # (slot, parameter)
Shape = tuple[int, ...]
Getter = Callable[[list[Any]], Any]  # the inputs' values of an op (one, or a tuple of them)
Entry = tuple[Function, tuple[int, ...], int, bool]  # (op, input slots, output slot, wrap?)
Target = tuple[int, Shape, np.dtype[Any], bool]  # (slot, shape, dtype, leaf?) of a gradient
# id(a dropout's output) -> (the output, the dropout's generator and p, input shape, dtype)
Dropped = dict[int, tuple[Tensor, np.random.Generator, float, Shape, np.dtype[Any]]]


class Record:
    """One traced step: the forward list, the backward list and where each slot comes from
    (slots index ``vals``: the values of one replay, constants filled in at trace time)."""

    __slots__ = (
        "vals", "params", "x", "ys", "targets", "drops", "forward", "backward", "loss", "out",
        "grad_params", "guard", "ops", "seed", "sgd", "transient", "checked", "entries",
        "shapes", "program", "need",
    )  # fmt: skip

    vals: list[Any]  # a value per slot: the constants, ``None`` where a replay puts one
    params: list[Slot]  # where each parameter goes (read from ``p.data`` at every replay)
    x: tuple[int, np.dtype[Any]]  # the input's slot and dtype
    ys: list[tuple[int, np.dtype[Any]]]  # the slots holding the targets
    targets: list[tuple[CrossEntropyLogits, np.dtype[Any]]]  # the ops holding the targets
    drops: list[tuple[int, np.random.Generator, float, Shape, np.dtype[Any]]]  # mask slots (the
    # dropout's generator and p, guarded), drawn at each replay
    forward: list[tuple[Function, Getter, bool, int, bool]]  # (op, inputs, one?, out, wrap?)
    backward: list[tuple[Function, Getter, bool, int, tuple[Target | None, ...], tuple[bool, ...]]]
    loss: int
    out: int
    grad_params: list[Slot]  # the parameters given a gradient
    guard: tuple[list[Node], list[tuple[Shape, np.dtype[Any], bool]]]  # their state then
    ops: list[tuple[str, tuple[int, ...], int]]  # (op name, input slots, output slot)
    seed: np.ndarray  # the loss's upstream gradient (ones)
    sgd: tuple[list[Node], list[Slot]]  # the optimizer's parameters, those the step updates
    transient: list[int]  # the slots a replay fills (let go after it)
    checked: bool  # traced twice and compared
    entries: list[Entry]
    shapes: dict[int, tuple[Shape, np.dtype[Any]]]
    program: Program | Literal[False] | None  # lowered (False: it cannot be; None: not yet)
    need: list[bool]  # does the slot's value need a gradient?


def record_step(
    model: Module, optimizer: Optimizer, xt: Tensor, y: np.ndarray, out: Tensor, loss: Tensor,
    dropouts: Dropped,
) -> Record:  # fmt: skip
    """The record of a traced step, from its finished graph (``loss``'s): each op's ``Function``
    and the slot of each input; ``need`` says which slots' values need a gradient."""
    order = topological_order([loss])
    params = {id(p): p for p in model.parameters()}
    params.update({id(p): p for p in optimizer.params})
    vals: list = []
    slot: dict[int, int] = {}  # id(node) -> slot
    need: list[bool] = []  # does the slot's value depend on a parameter that needs grad?
    leaf: list[bool] = []
    rec = Record()
    rec.params, rec.ys, rec.targets, rec.drops, rec.forward = [], [], [], [], []
    grad_params = []

    def new(value: Any, needs: bool, is_leaf: bool = False) -> int:
        vals.append(value)
        need.append(needs)
        leaf.append(is_leaf)
        return len(vals) - 1

    def is_y(c: Any) -> bool:
        return c.shape == y.shape and c.size > 0 and np.array_equal(c, y)

    rec.x = (new(None, False), xt.data.dtype)
    slot[id(xt)] = rec.x[0]
    entries: list[Entry] = []
    for node in order:
        fn, ins = node._fn, []
        if fn is None or node._parents is None:
            continue  # (never: the order holds op nodes, their inputs checked by it)
        drop = dropouts.get(id(node))
        for k, p in enumerate(node._parents):
            if isinstance(p, Node) and id(p) in slot:
                ins.append(slot[id(p)])
            elif isinstance(p, Node) and id(p) in params:
                s = slot[id(p)] = new(None, p.requires_grad, True)
                rec.params.append((s, p))
                if p.requires_grad:
                    grad_params.append((s, p))
                ins.append(s)
            else:
                c = p.data if isinstance(p, Node) else p
                s = new(c, False)
                if drop is not None and k == 1 and not isinstance(p, Node):
                    rec.drops.append((s, *drop[1:]))
                elif isinstance(c, _ndarray) and is_y(c):
                    rec.ys.append((s, c.dtype))
                ins.append(s)
        for name, value in vars(fn).items() if not isinstance(fn, CrossEntropyLogits) else ():
            if (
                isinstance(value, _ndarray)
                and is_y(value)
                or isinstance(value, tuple)
                and any(isinstance(v, _ndarray) and is_y(v) for v in value)
            ):
                raise CompileError(
                    f"compile_step: op {fn.name!r} holds the targets ({name}); only "
                    "cross_entropy's targets are replayed (use nn.cross_entropy)"
                )
        if isinstance(fn, CrossEntropyLogits):
            if not np.array_equal(fn.targets, y):
                raise CompileError("compile_step: cross_entropy's targets are not y")
            rec.targets.append((fn, fn.targets.dtype))
        needs = [need[i] for i in ins]  # what the replay needs (the trace made x need one)
        s = slot[id(node)] = new(None, any(needs))
        entries.append((fn, tuple(ins), s, type(node.data) is not _ndarray))
    if id(out) not in slot or id(loss) not in slot:
        raise CompileError("compile_step: the model's output is not in the loss's graph")
    rec.out, rec.loss = slot[id(out)], slot[id(loss)]
    rec.forward = [(fn, itemgetter(*ins), len(ins) == 1, s, w) for fn, ins, s, w in entries]
    shapes = {slot[id(n)]: (n.data.shape, n.data.dtype) for n in order}
    for s, p in rec.params:
        shapes[s] = (p.data.shape, p.data.dtype)
    shapes[rec.x[0]] = (xt.data.shape, xt.data.dtype)
    rec.backward = [  # the rules in reverse order; per input: (slot, shape, dtype, leaf), need
        (
            fn,
            itemgetter(*ins),
            len(ins) == 1,
            s,
            tuple((i, *shapes[i], leaf[i]) if need[i] else None for i in ins),
            tuple(need[i] for i in ins),
        )
        for fn, ins, s, _ in reversed(entries)
        if need[s]
    ]
    rec.seed = np.array(1, loss.data.dtype) if loss.data.ndim == 0 else np.ones_like(loss.data)
    rec.vals = vals
    rec.need = need
    constants = {s for s, v in enumerate(vals) if v is not None}
    rec.transient = [s for s in range(len(vals)) if s not in constants]
    rec.grad_params = grad_params
    held = list(optimizer.params)
    ids = {id(p) for p in held}
    rec.sgd = (held, [(s, p) for s, p in grad_params if id(p) in ids])
    rec.ops = [(fn.name, ins, s) for fn, ins, s, _ in entries]
    rec.entries, rec.shapes, rec.program = entries, shapes, None  # lowered at first replay
    return rec


def tape_text(rec: Record, optimizer: str) -> str:
    """``rec``'s ops, one line per op (``v5 = linear+relu(x, p0, p1, c3)``), then the loss."""
    names = {rec.x[0]: "x"}
    for k, (s, _) in enumerate(rec.params):
        names[s] = f"p{k}"
    for s, _ in rec.ys:
        names[s] = "y"
    for s, *_ in rec.drops:
        names[s] = "mask"
    lines = []
    for name, ins, s in rec.ops:
        args = ", ".join(
            names.get(
                i,
                f"c{i}"
                if rec.vals[i] is not None and i not in {o for _, _, o in rec.ops}
                else f"v{i}",
            )
            for i in ins
        )
        names[s] = f"v{s}"
        lines.append(f"v{s} = {name}({args})")
    lines.append(
        f"loss = v{rec.loss}; backward: {len(rec.backward)} rules; update: {optimizer}.step()"
    )
    return "\n".join(lines)


def compare(first: Record, second: Record) -> None:
    """Raise :class:`CompileError` unless two traces of a step agree: the same ops on the same
    slots, and every constant the same (a constant computed from the batch would differ)."""
    same = first.ops == second.ops and len(first.vals) == len(second.vals)
    varying = {s for s, _ in second.ys} | {s for s, *_ in second.drops}
    if not same or varying != {s for s, _ in first.ys} | {s for s, *_ in first.drops}:
        raise CompileError(
            "compile_step: two steps with inputs of the same shapes ran different ops; a model "
            "whose ops depend on the data cannot be replayed (run its steps uncompiled)"
        )
    for s, (u, v) in enumerate(zip(first.vals, second.vals)):
        if u is None or u is v or s in varying:
            continue
        if np.shape(u) != np.shape(v) or not np.array_equal(u, v):
            name = next(n for n, ins, _ in second.ops if s in ins)
            raise CompileError(
                f"compile_step: an input of op {name!r} is a constant array that changed between "
                "two steps (computed from the batch, or random): a replay would reuse the first "
                "one; make it from Tensor ops on x, or run the step uncompiled"
            )


def recording(module: Dropout, seen: Dropped) -> Callable[[Tensor], Tensor]:
    """``module.forward`` that also notes which node it made (its mask is drawn at replay)."""

    def forward(x: Tensor) -> Tensor:
        y = Dropout.forward(module, x)
        if y is not x:
            seen[id(y)] = (y, module.rng, module.p, x.data.shape, x.data.dtype)
        return y

    return forward
