"""The fast replay of :func:`nn.compile_step` for the common network: NumPy calls into buffers.

A record of ``Linear`` (fused ``linear+relu`` or plain) layers feeding ``cross_entropy``, trained
by plain ``SGD``, is *lowered* to a flat program: every array the step needs (activations,
softmax, gradients, the update's temporary) is allocated once, and each replay is a list of
prebound NumPy calls writing into them with ``out=``, as a hand-written NumPy step would be.
The calls are the very ones of the ops' own rules (``Linear.forward``/``backward``,
``CrossEntropyLogits``, ``SGD``), in the same order, so the numbers are the same to the bit.

Anything else (dropout, other ops, another optimizer, a read-only weight) is not lowered and
replays through the general path in ``compile.py``. The program holds the parameter arrays
themselves: when one is rebound (``p.data = ...``) the caller lowers again. ``p.grad`` then
holds the program's gradient buffers, overwritten by the next step (as PyTorch reuses ``.grad``
storage); copy one to keep it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from operator import is_
from typing import Any

import numpy as np

from autograd import Node
from autograd.math import select_by_multiply
from autograd.tensor import Tensor
from autograd.tensor.nn_ops import CrossEntropyLogits, label_error
from autograd.tensor.nn_ops import Linear as LinearOp

from ..losses import class_indices
from ..optim import SGD, Optimizer
from .record import Record

_ndarray = np.ndarray
_EMPTY: np.ndarray = np.empty(0)


class Program:
    """One lowered record: its prebound calls and buffers, replayed by :func:`run`."""

    def __init__(self, dtype: np.dtype[Any]) -> None:
        self.dtype = dtype  # the input's, the network's
        self.forward: list[Callable[[], Any]] = []
        self.backward: list[Callable[[], Any]] = []
        self.update: list[tuple[Node, np.ndarray, np.ndarray, np.ndarray]] = []  # (parameter,
        # its array, its gradient, a temporary)
        self.grads: list[tuple[Node, np.ndarray]] = []  # (parameter, gradient buffer)
        self.no_grad: list[Node] = []  # the optimizer's parameters the step gives no gradient
        self.params: list[Node] = []
        self.datas: list[np.ndarray] = []  # the parameter arrays the program holds (.data)
        self.x_forward: tuple[np.ndarray, np.ndarray] = (_EMPTY, _EMPTY)  # (w.T, h): x @ w.T
        self.x_backward: tuple[np.ndarray, np.ndarray] | None = None  # (gm.T, gw): gm.T @ x
        # the cross-entropy's buffers: logits, row maxima, exponentials (then the softmax and
        # the gradient), sums, per-row losses; the row indices; the targets' dtype
        self.logits: np.ndarray = _EMPTY
        self.m: np.ndarray = _EMPTY
        self.e: np.ndarray = _EMPTY
        self.s: np.ndarray = _EMPTY
        self.losses: np.ndarray = _EMPTY
        self.rows: np.ndarray = _EMPTY
        self.mean = True  # reduction="mean" (else "sum")
        self.target_dtype: np.dtype[Any] = np.dtype(np.int64)


def lower(rec: Record, optimizer: Optimizer) -> Program | None:
    """The program of ``rec``, or ``None`` where the record is not the common network."""
    if rec.drops or rec.ys or len(rec.targets) != 1 or not _plain_sgd(optimizer, rec):
        return None
    *layers, last = rec.entries
    ce, ins, loss_slot, _ = last
    if not isinstance(ce, CrossEntropyLogits) or ins != (rec.out,) or loss_slot != rec.loss:
        return None
    params = dict(rec.params)
    if any(not p.data.flags.writeable or not p.data.flags.c_contiguous for p in params.values()):
        return None
    dtype = rec.x[1]
    prog, bufs = Program(dtype), {s: p.data for s, p in params.items()}
    prog.datas = [p.data for _, p in rec.params]
    prog.params = [p for _, p in rec.params]
    bufs[rec.x[0]] = x_in = np.empty(rec.shapes[rec.x[0]][0], dtype)  # a stand-in: run()
    # (run() passes the caller's x to the calls that read it)
    used: set[int] = set()
    plan: list[tuple[bool, int, int, int | None, int]] = []  # (fused?, x, w, b, out slots)
    for fn, ins, s, _ in layers:
        if not isinstance(fn, LinearOp):
            return None
        fused = fn.relu
        x_slot, w_slot, *rest = ins
        b_slot = rest[0] if rest else None
        if w_slot not in params or (b_slot is not None and b_slot not in params):
            return None
        if x_slot in used or x_slot not in bufs or np.ndim(bufs[x_slot]) != 2:
            return None  # an activation used twice, or an input the program does not make
        used.add(x_slot)
        x, w = bufs[x_slot], bufs[w_slot]
        b = bufs[b_slot] if b_slot is not None else None
        if any(a.dtype != dtype for a in (x, w) + ((b,) if b is not None else ())):
            return None
        if (x is x_in) != (not plan):
            return None  # x must feed the first layer, and only it
        h = bufs[s] = np.empty(rec.shapes[s][0], dtype)
        if plan:
            prog.forward.append(partial(np.matmul, x, w.T, h))  # Linear.forward, into h
        else:
            prog.x_forward = (w.T, h)
        if b is not None:
            prog.forward.append(partial(np.add, h, b, h))
        if fused:
            prog.forward.append(partial(np.maximum, h, 0, out=h))
        plan.append((fused, x_slot, w_slot, b_slot, s))
    if rec.out not in bufs or np.ndim(bufs[rec.out]) != 2:
        return None
    logits = bufs[rec.out]
    n, classes = logits.shape
    prog.logits, prog.mean = logits, ce.reduction == "mean"
    prog.target_dtype = rec.targets[0][1]
    prog.rows = np.arange(n)
    prog.m, prog.s = np.empty((n, 1), dtype), np.empty((n, 1), dtype)
    prog.e, prog.losses = np.empty_like(logits), np.empty(n, dtype)
    upstream: dict[int, np.ndarray] = {rec.out: prog.e}  # d(loss)/d(logits): the softmax,
    # worked on in place
    for fused, x_slot, w_slot, b_slot, s in reversed(plan):
        if s not in upstream:
            return None  # an activation the loss does not reach through the next layer
        g, x, w = upstream[s], bufs[x_slot], bufs[w_slot]
        if fused:  # Linear(relu=True).backward: through the ReLU by a multiply, checked below
            keep, gm = np.empty(g.shape, bool), np.empty_like(g)
            gb = np.empty(g.shape[1], dtype)
            prog.backward.append(partial(_relu_mask, bufs[s], keep, g, gm, gb))
        else:
            gm = g
            gb = np.empty(g.shape[1], dtype)
            if b_slot is not None and rec.need[b_slot]:
                prog.backward.append(partial(np.add.reduce, gm, 0, None, out=gb))
        need_x = rec.need[x_slot]
        if need_x and x_slot != rec.x[0]:
            gx = upstream[x_slot] = np.empty_like(x)
            prog.backward.append(partial(np.matmul, gm, w, gx))
        elif need_x:
            return None  # a gradient for the input x: not what a training step needs
        grads = []
        if rec.need[w_slot]:
            gw = np.empty_like(w)
            if x is x_in:  # the first layer's, the last call
                prog.x_backward = (gm.T, gw)
            else:
                prog.backward.append(partial(np.matmul, gm.T, x, gw))
            grads.append((params[w_slot], gw))
        if b_slot is not None and rec.need[b_slot]:
            grads.append((params[b_slot], gb))
        for p, grad in grads:
            prog.grads.append((p, grad))
            prog.update.append((p, p.data, grad, np.empty_like(grad)))
    needing = {id(p) for _, p in rec.grad_params}
    if {id(p) for p, _ in prog.grads} != needing:
        return None
    prog.no_grad = [p for p in optimizer.params if id(p) not in needing]  # zero_grad() leaves
    return prog


def class_targets(y: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """The batch's labels ``y`` as the traced cross-entropy took them (of ``dtype``): float
    labels (integers passed as ``Tensor(y)``) must be whole numbers, as ``nn.cross_entropy``
    checks them, never truncated."""
    if y.dtype == dtype:
        return y
    if y.dtype.kind == "f":
        return class_indices(Tensor(y), (len(y), 0)).astype(dtype, copy=False)
    return y.astype(dtype)


def _plain_sgd(optimizer: Optimizer, rec: Record) -> bool:
    """Plain SGD (no momentum, no weight decay) over the parameters the record was made with."""
    held, owned = rec.sgd
    params = optimizer.params
    return (
        type(optimizer) is SGD
        and not (optimizer.momentum or optimizer.weight_decay)
        and len(params) == len(held)
        and all(map(is_, params, held))
        and len(owned) == len(rec.grad_params)
    )


def _relu_mask(out: Any, keep: Any, g: Any, gm: Any, gb: Any) -> None:
    """``gm = where(out != 0, g, 0)`` and ``gb`` its sum over the batch, selected as the rule's
    ``NumpyMath.where`` selects (by a multiply where :func:`select_by_multiply` allows)."""
    np.not_equal(out, 0, out=keep)
    if select_by_multiply(g):
        np.multiply(g, keep, out=gm)
    else:
        gm[...] = np.where(keep, g, 0.0)
    np.add.reduce(gm, 0, None, gb)


def run(prog: Program, x: Any, y: Any, optimizer: Optimizer, before_update: Any) -> float:
    """One step: forward, cross-entropy, backward, then ``w -= lr * g`` into each parameter."""
    if x.dtype != prog.dtype:
        x = x.astype(prog.dtype)
    t = y if y.dtype is prog.target_dtype else class_targets(y, prog.target_dtype)
    if t.size and np.minimum.reduce(t) < 0:
        raise label_error(t, prog.logits.shape)
    np.matmul(x, *prog.x_forward)
    for call in prog.forward:
        call()
    logits, m, e, s, losses, n = prog.logits, prog.m, prog.e, prog.s, prog.losses, len(t)
    # CrossEntropyLogits.forward, into buffers
    np.maximum.reduce(logits, 1, None, out=m, keepdims=True)
    np.subtract(logits, m, e)
    np.exp(e, e)
    np.add.reduce(e, 1, None, out=s, keepdims=True)
    try:
        picked = logits[prog.rows, t]
    except IndexError:
        raise label_error(t, logits.shape) from None
    np.subtract(picked, m[:, 0], picked)  # log(s) - (picked - m): the small difference first
    np.log(s[:, 0], losses)
    np.subtract(losses, picked, losses)
    np.divide(e, s, e)
    total = np.add.reduce(losses)  # losses.sum(), without its Python wrapper
    value = float(total / n if prog.mean else total)
    e[prog.rows, t] -= 1  # its backward with an upstream of one
    if prog.mean:
        np.multiply(e, 1.0 / n, e)
    for call in prog.backward:
        call()
    if prog.x_backward:
        gm, gw = prog.x_backward
        np.matmul(gm, x, gw)
    for p in prog.no_grad:  # (the optimizer's parameters are the program's: _plain_sgd, guard)
        p.grad = None
    for p, grad in prog.grads:
        p.grad = grad
    if before_update is not None:
        before_update(value, optimizer.params)
    lr = optimizer.lr
    optimizer.step_count += 1
    for p, w, grad, tmp in prog.update:  # SGD: w - lr * g, in place
        np.multiply(grad, lr, out=tmp)
        try:
            np.subtract(w, tmp, out=w)
        except ValueError:  # made read-only since: a new array, as SGD.update gives one (the
            p.data = w - tmp  # program no longer matches, and is lowered again)
    return value
