"""``compile_step``: a training step traced once, then replayed on raw arrays (no graph).

The first call with inputs of given shapes and dtypes runs the ordinary step (``zero_grad``,
forward, loss, ``backward``, ``optimizer.step``) and records, from the finished graph, each
op's ``Function`` and where its inputs come from: a parameter (read from ``p.data`` at every
call, so a rebound array is used), the input ``x``, the targets ``y``, a dropout mask (drawn
afresh from the layer's generator at every call), a constant, or another op's output. The
second call traces again and checks that the two records agree but for x, y and the masks (a
constant computed from the batch, or random, raises :class:`CompileError`). Later calls with
the same shapes replay the record: ``fn.forward(NumpyMath, ...)`` in order, the
rules ``fn.backward(NumpyMath, g, out, ...)`` in reverse, gradients added (broadcasting undone)
as ``Tensor`` does, then the update: plain SGD's ``w - lr * g`` written into the parameter
arrays (the same numbers as ``SGD.step()``, which makes new arrays), any other optimizer's own
``step()``; either way ``lr`` and the optimizer's settings are read at every call. This
is the idea of JAX's ``jit``, PyTorch's ``torch.compile`` and tinygrad's ``TinyJit``: Python
runs once per op, not once per node plus graph bookkeeping. The common network (Linear and
ReLU layers, ``cross_entropy``, plain SGD) goes further: :mod:`nn.compile_lower` replays it as
NumPy calls into buffers allocated once, the same numbers to the bit.

A model change between calls (a parameter or sub-module replaced, ``train()``/``eval()``, a
parameter frozen, reshaped or of a new dtype, a dropout's ``p``) is seen by a cheap guard and
the step is traced again. What cannot be replayed raises :class:`CompileError` at trace time:
a loss that is not a one-element Tensor, an op other than ``cross_entropy`` that holds the
targets; at the second call, ops or constants that changed with the batch.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter, getitem, is_, itemgetter
from typing import Any

import numpy as np

from autograd import Node, Tensor
from autograd.core import topological_order
from autograd.math import NumpyMath, unbroadcast
from autograd.tensor_nn import _LINEAR, CrossEntropyLogits
from autograd.tensor_nn import Linear as LinearOp
from autograd.tensor_ops import MATMUL, Matmul

from .compile_lower import _plain_sgd, lower, run
from .layers import _FUSED, Dropout, _LinearReLU
from .module import Module
from .optim import SGD, Optimizer

__all__ = ["CompileError", "CompiledStep", "compile_step"]

_ndarray = np.ndarray
_STATE = attrgetter("data.shape", "data.dtype", "requires_grad")  # what the guard compares
_TRAINING, _P, _REQUIRES = attrgetter("training"), attrgetter("p"), attrgetter("requires_grad")


class CompileError(RuntimeError):
    """The step cannot be recorded and replayed (the reason is in the message)."""


def compile_step(model: Module, loss_fn: Callable, optimizer: Optimizer) -> CompiledStep:
    """``step(x, y) -> float``: one training step (``zero_grad``, forward, ``loss_fn(model(x),
    y)``, backward, ``optimizer.step()``), traced on the first call for each shape and dtype of
    ``x`` and ``y`` and replayed without building a graph afterwards. Same losses and weights
    as the ordinary step; ``step.records`` holds the records, ``step.tape()`` shows one. For the
    common network (see :mod:`nn.compile_lower`) each parameter's ``.grad`` after a replay is a
    buffer the next step overwrites, as PyTorch reuses ``.grad`` storage: copy it to keep it."""
    if not isinstance(model, Module):
        raise TypeError(f"compile_step: model must be an nn.Module, got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"compile_step: loss_fn must be a function loss(pred, y), got {loss_fn!r}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"compile_step: optimizer must be an nn optimizer, got {optimizer!r}")
    return CompiledStep(model, loss_fn, optimizer)


class _Record:
    """One traced step: the forward list, the backward list and where each slot comes from."""

    __slots__ = (
        "vals", "params", "x", "ys", "targets", "drops", "forward", "backward", "loss", "out",
        "grad_params", "guard", "ops", "seed", "sgd", "transient", "checked", "entries",
        "shapes", "program",
    )  # fmt: skip


class CompiledStep:
    """The callable :func:`compile_step` returns; ``records`` maps shapes and dtypes to traces."""

    def __init__(self, model: Module, loss_fn: Callable, optimizer: Optimizer) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.records: dict[tuple, _Record] = {}
        self.traces = 0  # how many times a step was traced (for tests and the curious)
        self._last: tuple[np.ndarray | None, bool] = (None, False)  # (output, a buffer?)
        self._guard_refs: tuple = ()

    @property
    def last_output(self) -> np.ndarray | None:
        """The model's output at the last call (``None`` before the first)."""
        out, buffer = self._last
        if buffer:  # the lowered program's buffer, which the next call overwrites: a copy
            out = out.copy()
            self._last = out, False
        return out

    # ------------------------------------------------------------------------- the call
    def __call__(self, x: Any, y: Any, before_update: Callable | None = None) -> float:
        """One step on the batch ``(x, y)``; returns the loss (before the update).
        ``before_update(loss, params)``, if given, runs after backward and may raise to stop
        the update (``fit`` checks for nan there)."""
        if isinstance(x, Node):
            x = x.data
        if type(x) is not _ndarray:
            x = np.asarray(x)
        if isinstance(y, Node):
            y = y.data
        if type(y) is not _ndarray:
            y = np.asarray(y)
        key = (x.shape, x.dtype, y.shape, y.dtype)
        record = self.records.get(key)
        if record is not None and not self._unchanged(record):
            self.records.clear()  # the model changed: every record is stale
            record = None
        if record is None or not record.checked:  # the second call traces again, to check
            return self._trace(key, x, y, before_update, record)
        return self._replay(record, x, y, before_update)

    def _unchanged(self, record: _Record) -> bool:
        owners, keys, objs, params, state, dicts, sizes, reqs = self._guard_refs
        if not all(map(is_, map(getitem, owners, keys), objs)) or [*map(len, dicts)] != sizes:
            return False  # an attribute of a module replaced, added or deleted
        modules, modes, drops, ps = record.guard  # train()/eval(), and each dropout's p
        prog = record.program
        if prog and prog.matches():  # the very arrays: their shapes and dtypes are the same
            same = [*map(_REQUIRES, params)] == reqs
        else:
            if prog:  # a parameter array rebound: the program is lowered again
                record.program = None
            same = [*map(_STATE, params)] == state
        return (
            same
            and [*map(_TRAINING, modules)] == modes
            and [*map(_P, drops)] == ps
        )

    # ----------------------------------------------------------------------- the replay
    def _replay(self, rec: _Record, x: Any, y: Any, before_update: Callable | None) -> float:
        prog = rec.program
        if prog is None:  # the first replay, or a parameter array was rebound (the guard saw)
            prog = rec.program = lower(rec, self.optimizer) or False
        if prog and _plain_sgd(self.optimizer, rec):  # the common network: NumPy into buffers
            value = run(prog, x, y, self.optimizer, before_update)
            self._last = prog.logits, True  # copied when asked (fit asks; a loop may not)
            return value
        vals = rec.vals
        for s, p in rec.params:
            vals[s] = p.data
        s, dtype = rec.x
        vals[s] = x if x.dtype is dtype else x.astype(dtype)
        for s, dtype in rec.ys:
            vals[s] = y if y.dtype is dtype else y.astype(dtype)
        for fn, dtype in rec.targets:
            t = y if y.dtype is dtype else y.astype(dtype)
            if t.size and np.minimum.reduce(t) < 0:
                raise ValueError(f"cross_entropy: targets must be >= 0, got {t.min()}")
            fn.targets = t
        for s, m, shape, dtype in rec.drops:  # as Dropout.forward draws it
            keep = m.rng.random(shape) >= m.p
            vals[s] = keep.astype(dtype) / dtype.type(1 - m.p)
        F = NumpyMath
        for fn, get, one, out, wrap in rec.forward:  # get(vals): the inputs' arrays
            r = fn.forward(F, get(vals)) if one else fn.forward(F, *get(vals))
            vals[out] = np.asarray(r) if wrap else r
        grads = [None] * len(vals)
        loss = vals[rec.loss]
        grads[rec.loss] = rec.seed
        for fn, get, one, out, targets in rec.backward:
            g = grads[out]
            if g is None:
                continue
            if one:
                cs = fn.backward(F, g, vals[out], get(vals))
            else:
                cs = fn.backward(F, g, vals[out], *get(vals))
            for c, t in zip(cs, targets):
                if c is None or t is None:
                    continue
                i, shape, dtype, leaf = t
                old = grads[i]
                if c.__class__ is not _ndarray:
                    c = np.asarray(c)
                if c.shape != shape:
                    c = unbroadcast(c, shape)
                if c.dtype is not dtype:
                    c = c.astype(dtype, copy=False)
                elif old is None and leaf and (c is g or c.base is not None):
                    c = c.copy()
                grads[i] = c if old is None else old + c
        value = float(loss)
        self._last = vals[rec.out], False
        for s in rec.transient:  # let the activations go, as a freed graph does
            vals[s] = None
        optimizer = self.optimizer
        for p in optimizer.params:  # zero_grad(), then the gradients of this step
            p.grad = None
        for s, p in rec.grad_params:
            p.grad = grads[s]
        if before_update is not None:
            before_update(value, optimizer.params)
        params, (held, owned) = optimizer.params, rec.sgd
        if (
            type(optimizer) is SGD
            and not (optimizer.momentum or optimizer.weight_decay)
            and len(params) == len(held)
            and all(map(is_, params, held))
        ):
            lr = optimizer.lr  # plain SGD, SGD.update inlined: w - lr * g, the same numbers,
            optimizer.step_count += 1  # in place (as in PyTorch; saves two arrays a parameter)
            for s, p in owned:  # the parameters of the optimizer that got a gradient
                w = p.data
                try:
                    w -= lr * grads[s]
                except ValueError:  # a read-only array: a new one, as SGD.update makes
                    p.data = w - lr * grads[s]
        else:
            optimizer.step()
        return value

    # ------------------------------------------------------------------------ the trace
    def _trace(
        self, key: tuple, x: Any, y: Any, before_update: Callable | None, first: _Record | None
    ) -> float:
        """The ordinary step, recorded; on the second call (``first`` is the first record),
        the two records must agree but for x, y and the dropout masks."""
        model, optimizer = self.model, self.optimizer
        xt = Tensor(x)
        xt.requires_grad = True  # every node computed from x is recorded (and its inputs kept)
        dropouts: dict[int, tuple] = {}  # id(output) -> (output, module, input shape, dtype)
        patched = []
        for _, m in model.named_modules():
            if isinstance(m, Dropout):
                vars(m)["forward"] = _recording(m, dropouts)
                patched.append(m)
        try:
            optimizer.zero_grad()
            out = model(xt)
            loss = self.loss_fn(out, y)
        finally:
            for m in patched:
                vars(m).pop("forward", None)
        if not isinstance(loss, Tensor) or loss.data.size != 1:
            raise CompileError(f"compile_step: the loss must be a one-element Tensor, got {loss!r}")
        if not isinstance(out, Tensor):
            raise CompileError(f"compile_step: the model must return a Tensor, got {out!r}")
        if not loss.requires_grad:
            raise CompileError("compile_step: the loss does not depend on any parameter")
        rec = self._record(xt, y, out, loss, dropouts)
        rec.checked = first is not None
        if first is not None:
            _compare(first, rec)
        value = float(loss.data.reshape(()))
        loss.backward()
        xt.grad = None
        self._last = out.data, False
        if before_update is not None:
            before_update(value, optimizer.params)
        optimizer.step()
        self.records[key] = rec
        self.traces += first is None
        return value

    def _record(
        self, xt: Tensor, y: np.ndarray, out: Tensor, loss: Tensor, dropouts: dict
    ) -> _Record:
        order = topological_order([loss])
        params = {id(p): p for p in self.model.parameters()}
        params.update({id(p): p for p in self.optimizer.params})
        vals: list = []
        slot: dict[int, int] = {}  # id(node) -> slot
        need: list[bool] = []  # does the slot's value depend on a parameter that needs grad?
        leaf: list[bool] = []
        rec = _Record()
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
        entries = []
        for node in order:
            fn, ins = node._fn, []
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
                        rec.drops.append((s, drop[1], drop[2], drop[3]))
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
            needs = [need[i] for i in ins]
            fn = _retarget(fn, needs)
            s = slot[id(node)] = new(None, any(needs))
            entries.append((fn, tuple(ins), s, type(node.data) is not _ndarray))
        for s in (slot.get(id(out)), slot.get(id(loss))):
            if s is None:
                raise CompileError("compile_step: the model's output is not in the loss's graph")
        rec.out, rec.loss = slot[id(out)], slot[id(loss)]
        rec.forward = [(fn, itemgetter(*ins), len(ins) == 1, s, w) for fn, ins, s, w in entries]
        shapes = {slot[id(n)]: (n.data.shape, n.data.dtype) for n in order}
        for s, p in rec.params:
            shapes[s] = (p.data.shape, p.data.dtype)
        shapes[rec.x[0]] = (xt.data.shape, xt.data.dtype)
        rec.backward = [  # the rules in reverse order; per input: (slot, shape, dtype, leaf)
            (
                fn,
                itemgetter(*ins),
                len(ins) == 1,
                s,
                tuple((i, *shapes[i], leaf[i]) if need[i] else None for i in ins),
            )
            for fn, ins, s, _ in reversed(entries)
            if need[s]
        ]
        rec.seed = np.array(1, loss.data.dtype) if loss.data.ndim == 0 else np.ones_like(loss.data)
        rec.vals = vals
        constants = {s for s, v in enumerate(vals) if v is not None}
        rec.transient = [s for s in range(len(vals)) if s not in constants]
        rec.grad_params = grad_params
        held = list(self.optimizer.params)
        ids = {id(p) for p in held}
        rec.sgd = (held, [(s, p) for s, p in grad_params if id(p) in ids])
        rec.ops = [(fn.name, ins, s) for fn, ins, s, _ in entries]
        rec.entries, rec.shapes, rec.program = entries, shapes, None  # lowered at first replay
        self._set_guard(rec)
        return rec

    def _set_guard(self, rec: _Record) -> None:
        owners, keys, objs, dicts = [], [], [], []
        for _, m in self.model.named_modules():
            d = vars(m)
            dicts.append(d)
            for k, v in d.items():
                if isinstance(v, (Module, Node, list, tuple)):
                    owners.append(d)
                    keys.append(k)
                    objs.append(v)
        params = [p for _, p in rec.params]
        state = [*map(_STATE, params)]
        reqs = [s[2] for s in state]
        self._guard_refs = (owners, keys, objs, params, state, dicts, [*map(len, dicts)], reqs)
        modules = [m for _, m in self.model.named_modules()]
        drops = [m for m in modules if isinstance(m, Dropout)]
        rec.guard = (modules, [*map(_TRAINING, modules)], drops, [*map(_P, drops)])

    # --------------------------------------------------------------------------- display
    def tape(self, key: tuple | None = None) -> str:
        """The recorded ops of one record (the first one by default), one line per op:
        ``v5 = linear+relu(x, p0, p1, c3)``."""
        if not self.records:
            return "(nothing recorded yet: call the step once)"
        rec = self.records[key] if key is not None else next(iter(self.records.values()))
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
            f"loss = v{rec.loss}; backward: {len(rec.backward)} rules; "
            f"update: {type(self.optimizer).__name__}.step()"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<compiled step: {len(self.records)} record(s), traced {self.traces} time(s)>"


def _compare(first: _Record, second: _Record) -> None:
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


def _retarget(fn: Any, needs: list[bool]) -> Any:
    """The same op choosing only the gradients the replay needs (the trace made x need one)."""
    if isinstance(fn, _LinearReLU):
        return _FUSED[(needs[0], needs[1], needs[2] if len(needs) == 4 else False)]
    if type(fn) is LinearOp and not fn.relu:
        return _ARRAY_LINEAR[(needs[0], needs[1], needs[2] if len(needs) == 3 else False)]
    if type(fn) is LinearOp:
        return _LINEAR[(needs[0], needs[1], needs[2] if len(needs) == 3 else False, fn.relu)]
    if type(fn) is Matmul:
        return MATMUL[needs[0]][needs[1]]
    return fn


class _ArrayLinear(LinearOp):
    """``linear`` with its first-order rule on 2-D arrays written with NumPy's own functions
    (the same numbers as ``Linear.backward``, without the ``F`` wrappers' Python calls)."""

    def backward(self, F: Any, g: Any, out: Any, x: Any, w: Any, b: Any = None) -> tuple:
        """``(g @ w, g.T @ x, sum of g over the batch)``, each only if needed."""
        if x.ndim != 2 or type(g) is not _ndarray:
            return super().backward(F, g, out, x, w, b)
        gx = np.matmul(g, w) if self.need_x else None
        gw = np.matmul(g.T, x) if self.need_w else None
        if b is None:
            return gx, gw
        return gx, gw, (np.add.reduce(g, 0) if self.need_b else None)


_ARRAY_LINEAR = {
    (a, b, c): _ArrayLinear(a, b, c)
    for a in (False, True)
    for b in (False, True)
    for c in (False, True)
}


def _recording(module: Dropout, seen: dict) -> Callable:
    """``module.forward`` that also notes which node it made (its mask is drawn at replay)."""

    def forward(x: Tensor) -> Tensor:
        y = Dropout.forward(module, x)
        if y is not x:
            seen[id(y)] = (y, module, x.data.shape, x.data.dtype)
        return y

    return forward
