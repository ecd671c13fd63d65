"""``compile_step``: a training step traced once, then replayed on raw arrays (no graph).

The first call with inputs of given shapes and dtypes runs the ordinary step (``zero_grad``,
forward, loss, ``backward``, ``optimizer.step``) and records, from the finished graph, each
op's ``Function`` and where its inputs come from: a parameter (read from ``p.data`` at every
call, so a rebound array is used), the input ``x``, the targets ``y``, a dropout mask (drawn
afresh from the layer's generator at every call), a constant, or another op's output. The
second call traces again and checks that the two records agree but for x, y and the masks (a
constant computed from the batch, or random, raises :class:`CompileError`). Later calls with
the same shapes replay the record: ``fn.forward(NumpyMath, ...)`` in order, the rules
``fn.gradients(NumpyMath, g, out, inputs, needs)`` in reverse, gradients added (broadcasting
undone) as ``Tensor`` does, then the optimizer's own ``step()`` (which reads ``lr`` and its settings
at every call). This is the idea of JAX's ``jit``, PyTorch's ``torch.compile`` and tinygrad's
``TinyJit``: Python runs once per op, not once per node plus graph bookkeeping. The common
network (Linear and ReLU layers, ``cross_entropy``, plain SGD) goes further:
:mod:`nn.compile_lower` replays it as NumPy calls into buffers allocated once, the same numbers
to the bit. Here: ``compile_step``, the guard and the replay; the trace's record is made in
:mod:`nn.compile_record`.

What a trace freezes (as JAX's ``jit`` does) and what makes it trace again
--------------------------------------------------------------------------
A trace keeps what Python computed while it ran: a float attribute the forward multiplies by,
a string that chose a branch, the modules a loop went through, a value in the loss function's
closure. So at every call a guard (:mod:`nn.compile.guard`) compares, cheaply, the state the
trace could have read with a snapshot taken then, and on any change drops every record and
traces again:

- every attribute of every module reachable from the model, and of the objects they hold:
  numbers, strings and ``None`` by value, arrays, Tensors, generators, functions and modules
  by identity; lists and dicts by length and item by item; ``train()``/``eval()``, a dropout's
  ``p``, an attribute added or deleted; a constant Tensor's ``.data`` rebound;
- the loss function's closure cells, defaults and code (a ``functools.partial``'s arguments,
  a loss object's attributes);
- the optimizer's hyperparameters (``momentum``, ``betas``, ...) and its parameter list, item
  by item; the learning rate is not frozen: it is read at every step;
- per record, each parameter's shape, dtype and ``requires_grad``. Parameters' values are
  never frozen: ``p.data`` is read at every call (rebound or updated in place).

Frozen, not watched: an array that is not a parameter's changed *in place*; global variables
and class attributes the forward or the loss reads; the attributes of an optimizer held by the
model; the side effects of the forward (a counter it increments runs at trace time only);
state beyond the guard's first ``LIMIT`` values. Keep such values on a module (or rebind them)
to have them seen. State that changes at every step makes every call trace again (as slow as
the ordinary step, with a warning after a few).

What cannot be replayed raises :class:`CompileError` at trace time: a loss that is not a
one-element Tensor, an op other than ``cross_entropy`` that holds the targets; at the second
call, ops or constants that changed with the batch.

Modes and threads: under ``detect_anomaly()`` a call runs the ordinary step (its nan checks
raise :class:`autograd.AnomalyError` before any update); under ``no_grad()`` it raises
:class:`CompileError` and updates nothing (the ordinary step fails there at ``backward()``).
One call runs at a time (a lock): calls from several threads take turns, each returning its
own batch's loss; a call from inside its own ``before_update`` is refused. The records are
kept for the ``max_records`` (default :data:`MAX_RECORDS`, 8) shapes used last.
"""

from __future__ import annotations

import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from operator import attrgetter, is_
from typing import Any

import numpy as np

from autograd import Node
from autograd.math import NumpyMath, unbroadcast
from autograd.modes import Flags  # the per-thread modes (grad, anomaly, the node hook)
from autograd.tensor import Tensor

from ..layers import Dropout
from ..module import Module
from ..optim import Optimizer
from .guard import Guard
from .lower import class_targets, lower, run
from .record import CompileError, Dropped, Record, compare, record_step, recording, tape_text

__all__ = ["MAX_RECORDS", "CompileError", "CompiledStep", "compile_step"]

_WARN_AFTER = 5  # guard changes in a row that make a warning

#: how many records (batch shapes and dtypes) a compiled step keeps by default
MAX_RECORDS = 8

_ndarray = np.ndarray
_STATE = attrgetter("data.shape", "data.dtype", "requires_grad")  # a parameter's, per record
_DATA = attrgetter("data")
_NO_GRAD = (
    "compile_step: called under no_grad(): a training step needs gradients (the ordinary step "
    "fails at backward() there) and nothing was updated; call the step outside no_grad(), "
    "and evaluate with the model itself (or nn.evaluate)"
)


def compile_step(
    model: Module, loss_fn: Callable[..., Any], optimizer: Optimizer,
    max_records: int = MAX_RECORDS,
) -> CompiledStep:  # fmt: skip
    """``step(x, y) -> float``: one training step (``zero_grad``, forward, ``loss_fn(model(x),
    y)``, backward, ``optimizer.step()``), traced on the first call for each shape and dtype of
    ``x`` and ``y`` and replayed without building a graph afterwards. Same losses and weights
    as the ordinary step; ``step.records`` holds the records (the ``max_records`` used last),
    ``step.tape()`` shows one. For the common network (see :mod:`nn.compile_lower`) each
    parameter's ``.grad`` after a replay is a buffer the next step overwrites, as PyTorch reuses
    ``.grad`` storage: copy it to keep it. What a trace freezes, and what makes it trace again:
    see :mod:`nn.compile.step`."""
    if not isinstance(model, Module):
        raise TypeError(f"compile_step: model must be an nn.Module, got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"compile_step: loss_fn must be a function loss(pred, y), got {loss_fn!r}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"compile_step: optimizer must be an nn optimizer, got {optimizer!r}")
    if isinstance(max_records, bool) or not isinstance(max_records, int) or max_records < 1:
        raise ValueError(f"compile_step: max_records must be an int >= 1, got {max_records!r}")
    return CompiledStep(model, loss_fn, optimizer, max_records)


class CompiledStep:
    """The callable :func:`compile_step` returns; ``records`` maps shapes and dtypes to traces
    (least recently used first; at most ``max_records``). One call runs at a time: calls from
    several threads take turns, each returning its own batch's loss."""

    def __init__(
        self, model: Module, loss_fn: Callable[..., Any], optimizer: Optimizer,
        max_records: int = MAX_RECORDS,
    ) -> None:  # fmt: skip
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.max_records = max_records
        self.records: OrderedDict[tuple[Any, ...], Record] = OrderedDict()
        self.traces = 0  # how many times a step was traced (for tests and the curious)
        self._last: tuple[np.ndarray | None, bool] = (None, False)  # (output, a buffer?)
        self._guard: Guard | None = None
        self._lock = threading.RLock()
        self._busy = False
        self._changes = 0  # guard changes since the last replay
        self._recent: tuple[Any, ...] = ()  # the key used last (the records' last)

    @property
    def last_output(self) -> np.ndarray | None:
        """The model's output at the last call (``None`` before the first)."""
        with self._lock:
            out, buffer = self._last
            if buffer and out is not None:  # the lowered program's buffer, which the next
                out = out.copy()  # call overwrites: a copy
                self._last = out, False
            return out

    # ------------------------------------------------------------------------- the call
    def __call__(self, x: Any, y: Any, before_update: Callable[..., Any] | None = None) -> float:
        """One step on the batch ``(x, y)``; returns the loss (before the update).
        ``before_update(loss, params)``, if given, runs after backward and may raise to stop
        the update (``fit`` checks for nan there)."""
        with self._lock:  # one call at a time: the records' buffers are shared
            if self._busy:
                raise CompileError(
                    "compile_step: the step was called from inside its own before_update; "
                    "it cannot run two steps at once"
                )
            self._busy = True
            try:
                if not Flags.plain:  # no_grad, detect_anomaly (or a node hook): as eagerly
                    if not Flags.grad_enabled:
                        raise CompileError(_NO_GRAD)
                    return self._eager(x, y, before_update)
                if type(x) is not _ndarray:
                    x = np.asarray(x.data if isinstance(x, Node) else x)
                given = y  # what the loss function takes (a Tensor of labels too); y its data
                if type(y) is not _ndarray:
                    y = np.asarray(y.data if isinstance(y, Node) else y)
                key = (x.shape, x.dtype, y.shape, y.dtype)
                records = self.records
                guard = self._guard
                if records and guard is not None and not guard.holds():
                    self._stale(guard)  # the model, the loss or the optimizer changed
                record = records.get(key)
                if record is not None:
                    prog = record.program  # (its parameters hold the very arrays it was made on)
                    if (prog and all(map(is_, map(_DATA, prog.params), prog.datas))
                            or self._unchanged(record)):  # fmt: skip
                        if key != self._recent:  # (the last one used is at the end already)
                            records.move_to_end(key)
                            self._recent = key
                    else:
                        records.clear()  # a parameter reshaped, retyped or frozen
                        record = None
                if record is None or not record.checked:  # the second call traces again
                    return self._trace(key, x, y, before_update, record, given)
                prog = record.program
                if prog is None:  # the first replay, or a parameter array was rebound
                    prog = record.program = lower(record, self.optimizer) or False
                if prog:  # the common network (plain SGD, checked by lower(), held by guards)
                    self._changes = 0
                    value = run(prog, x, y, self.optimizer, before_update)
                    self._last = prog.logits, True  # copied when asked (fit asks)
                    return value
                self._changes = 0
                return self._replay(record, x, y, before_update)
            finally:
                self._busy = False

    def _stale(self, guard: Guard) -> None:
        """Drop every record (the guard saw a change); warn once if it happens at every call."""
        self.records.clear()
        self._changes += 1
        if self._changes == _WARN_AFTER:
            warnings.warn(
                f"compile_step traced again at {_WARN_AFTER} calls in a row, as the state the "
                f"trace depends on changed each time (last: {guard.changed() or 'a value'}); "
                "every call then runs the ordinary step and traces it: keep values that change "
                "at every step off the model and out of the loss function's closure",
                RuntimeWarning,
                stacklevel=3,
            )

    def _unchanged(self, record: Record) -> bool:
        """True while the record's parameters have their shapes, dtypes and ``requires_grad``
        (a lowered program whose parameters hold the very arrays it was made on is checked
        before, in the call)."""
        if record.program:  # a parameter array rebound: the program is lowered again
            record.program = None
        params, state = record.guard
        return [*map(_STATE, params)] == state

    def _eager(self, x: Any, y: Any, before_update: Callable[..., Any] | None) -> float:
        """The ordinary step, neither recorded nor replayed (under ``detect_anomaly``: its
        checks run, and raise before any update)."""
        model, optimizer = self.model, self.optimizer
        optimizer.zero_grad()
        out = model(x if isinstance(x, Tensor) else Tensor(np.asarray(x)))
        loss = self.loss_fn(out, y)
        loss.backward()
        value = float(loss.item())
        self._last = (out.data if isinstance(out, Tensor) else None), False
        if before_update is not None:
            before_update(value, optimizer.params)
        optimizer.step()
        return value

    # ----------------------------------------------------------------------- the replay
    def _replay(self, rec: Record, x: Any, y: Any, before_update: Callable | None) -> float:
        """The general replay: each recorded op's forward and rule on the arrays."""
        vals = rec.vals
        for s, p in rec.params:
            vals[s] = p.data
        s, dtype = rec.x
        vals[s] = x if x.dtype is dtype else x.astype(dtype)
        for s, dtype in rec.ys:
            vals[s] = y if y.dtype is dtype else y.astype(dtype)
        for ce, dtype in rec.targets:  # (the op's forward checks their range)
            ce.targets = class_targets(y, dtype)
        for s, rng, p_drop, shape, dtype in rec.drops:  # as Dropout.forward draws it
            keep = rng.random(shape) >= p_drop
            vals[s] = keep.astype(dtype) / dtype.type(1 - p_drop)
        F = NumpyMath
        for fn, get, one, out, wrap in rec.forward:  # get(vals): the inputs' arrays
            r = fn.forward(F, get(vals)) if one else fn.forward(F, *get(vals))
            vals[out] = np.asarray(r) if wrap else r
        grads: list[Any] = [None] * len(vals)
        loss = vals[rec.loss]
        grads[rec.loss] = rec.seed
        for fn, get, one, out, targets, needs in rec.backward:
            g = grads[out]
            if g is None:
                continue
            cs = fn.gradients(F, g, vals[out], (get(vals),) if one else get(vals), needs)
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
        optimizer.step()  # its own update (in place for arrays, as plain code runs it)
        return value

    # ------------------------------------------------------------------------ the trace
    def _trace(
        self, key: tuple, x: Any, y: Any, before_update: Callable | None, first: Record | None,
        given: Any,
    ) -> float:  # fmt: skip
        """The ordinary step, recorded (the loss function gets the targets as ``given``, ``y``
        their array); on the second call (``first`` is the first record), the two records must
        agree but for x, y and the dropout masks."""
        model, optimizer = self.model, self.optimizer
        xt = Tensor(x)
        xt.requires_grad = True  # every node computed from x is recorded (and its inputs kept)
        dropouts: Dropped = {}  # id(output) -> (output, generator, p, input shape, dtype)
        patched = []
        for _, m in model.named_modules():
            if isinstance(m, Dropout):
                vars(m)["forward"] = recording(m, dropouts)
                patched.append(m)
        try:
            optimizer.zero_grad()
            out = model(xt)
            loss = self.loss_fn(out, given)
        finally:
            for m in patched:
                vars(m).pop("forward", None)
        if not isinstance(loss, Tensor) or loss.data.size != 1:
            raise CompileError(f"compile_step: the loss must be a one-element Tensor, got {loss!r}")
        if not isinstance(out, Tensor):
            raise CompileError(f"compile_step: the model must return a Tensor, got {out!r}")
        if not loss.requires_grad:
            raise CompileError("compile_step: the loss does not depend on any parameter")
        rec = record_step(model, optimizer, xt, y, out, loss, dropouts)
        self._set_guard(rec)
        rec.checked = first is not None
        if first is not None:
            compare(first, rec)
        value = float(loss.data.reshape(()))
        loss.backward()
        xt.grad = None
        self._last = out.data, False
        if before_update is not None:
            before_update(value, optimizer.params)
        optimizer.step()
        records = self.records
        records[key] = rec
        records.move_to_end(key)  # (a checked record replaces the first one where it was)
        self._recent = key
        while len(records) > self.max_records:
            records.popitem(last=False)  # the least recently used
        self.traces += first is None
        return value

    def _set_guard(self, rec: Record) -> None:
        """Snapshot what the trace depended on (see :mod:`nn.compile.guard`): the model's and
        the loss function's state and the optimizer's settings, checked at every call; and the
        shape, dtype and ``requires_grad`` of the record's parameters, checked when it is used."""
        model, optimizer = self.model, self.optimizer
        roots = {"model": model, "loss_fn": self.loss_fn}
        params = [*model.parameters(), *optimizer.params]
        self._guard = Guard(roots, optimizer, params, (CompiledStep,))
        params = [p for _, p in rec.params]
        rec.guard = (params, [*map(_STATE, params)])

    # --------------------------------------------------------------------------- display
    def tape(self, key: tuple | None = None) -> str:
        """The recorded ops of one record (the first one by default), one line per op:
        ``v5 = linear+relu(x, p0, p1, c3)``."""
        if not self.records:
            return "(nothing recorded yet: call the step once)"
        rec = self.records[key] if key is not None else next(iter(self.records.values()))
        return tape_text(rec, type(self.optimizer).__name__)

    def __repr__(self) -> str:
        return f"<compiled step: {len(self.records)} record(s), traced {self.traces} time(s)>"
