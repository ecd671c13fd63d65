"""Exercise 6 (optional): broadcasting, and the gradient it needs on the way back.

``unbroadcast(g, shape)``: the gradient ``g`` of a broadcast result summed back to the
``shape`` of the input that was broadcast, against chainrule's own (``autograd.math``); then
``mul_grads(g, a, b)``: both gradients of a broadcasting ``a * b``, against the ``Tensor``
engine and against central differences.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from ..check import numerical_grad
from ..core import grad
from ..math import unbroadcast as engine_unbroadcast
from ..tensor import Tensor
from .registry import Exercise, exercise
from .report import Trial

__all__ = ["EXERCISES"]

EXERCISES: dict[str, Exercise] = {}

# (the broadcast result's shape, the input's shape)
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 4), (1, 4)), ((3, 4), (3, 1)), ((3, 4), ()),
          ((2, 3, 4), (3, 1)), ((2, 3, 4), (2, 1, 4)), ((5,), (1,))]
PAIRS = [((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3), ()), ((2, 1, 3), (4, 1))]


@exercise(EXERCISES, "unbroadcast(g, shape): sum over the axes broadcasting added or stretched",
          ("your function unbroadcast(g, shape)",))
def unbroadcast(trial: Trial, student: Callable[[np.ndarray, tuple], Any]) -> None:
    """Same shape, a row, a column, a scalar, leading axes, and both at once."""
    rng = np.random.default_rng(0)
    for big, small in SHAPES:
        g = rng.standard_normal(big)
        trial.expect(f"a gradient of shape {big} back to {small}", f"g of shape {big}",
                     np.asarray(engine_unbroadcast(g, small)), partial(student, g.copy(), small))


def weighted(g: np.ndarray, a: Tensor, b: Tensor) -> Tensor:
    """sum(g * a * b): the scalar whose gradients are those of ``a * b`` under upstream ``g``."""
    return (a * b * Tensor(g)).sum()


@exercise(EXERCISES, "mul_grads(g, a, b): d(a * b) for each input, broadcasting undone",
          ("your function mul_grads(g, a, b) returning (grad_a, grad_b)",))
def mul_grads(trial: Trial, student: Callable[..., Any]) -> None:
    """Broadcasting pairs of shapes: against chainrule's Tensor and finite differences."""
    rng = np.random.default_rng(1)
    for sa, sb in PAIRS:
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        g = rng.standard_normal(np.broadcast_shapes(sa, sb))
        ta = Tensor(a, requires_grad=True, dtype=np.float64)
        tb = Tensor(b, requires_grad=True, dtype=np.float64)
        want = tuple(np.asarray(x.data) for x in grad(ta * tb, [ta, tb], grad_outputs=g))
        shown = f"a of shape {sa}, b of shape {sb}, g of shape {g.shape}"
        trial.expect(f"a{list(sa)} * b{list(sb)}: against chainrule", shown, want,
                     partial(student, g.copy(), a.copy(), b.copy()))
        measured = tuple(np.asarray(m) for m in numerical_grad(partial(weighted, g), [ta, tb]))
        trial.expect(f"a{list(sa)} * b{list(sb)}: against finite differences", shown, measured,
                     partial(student, g.copy(), a.copy(), b.copy()), tol=1e-5)
