"""Exercise 5: a new op written as a chainrule ``Function``, its forward and its rule.

The student's class is judged by chainrule's own tools: its value on ``Value`` and ``Tensor``
inputs, then :func:`autograd.gradcheck` (the rule against central differences) and
:func:`autograd.gradgradcheck` (the rule's own derivative, which works only when the rule is
written with ``F`` and plain operators, so that it also runs on nodes).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from ..check import GradcheckError, gradcheck, gradgradcheck
from ..core import Function
from ..tensor import Tensor
from ..value import Value
from .registry import Exercise, exercise
from .report import Trial

__all__ = ["EXERCISES"]

EXERCISES: dict[str, Exercise] = {}

HINTS = (
    (TypeError, "write the forward and the rule with F.<function> and plain operators "
                "(not math.* or np.*), so they run on floats, arrays and nodes alike"),
    (GradcheckError, "the rule disagrees with finite differences"),
)


def passes(check: Callable[..., bool], f: Callable, inputs: list) -> Callable[[], str]:
    """A case's thunk: ``"passes"`` when ``check(f, inputs)`` does; its error otherwise (a
    GradcheckError's message is the report: analytic vs numerical)."""

    def run() -> str:
        try:
            check(f, inputs)
        except GradcheckError as error:
            return f"{check.__name__} failed: " + str(error).split("\n", 1)[-1].strip()
        return "passes"

    return run


def forward(cls: type, inputs: list) -> Any:
    """The data of the student's op on ``inputs``."""
    return cls().apply(*inputs).data


def same(want: Any, got: Any, tol: float) -> str | None:
    """``None`` when ``got`` is the string ``want``, else ``got`` (what the check said)."""
    return None if got == want else str(got)


def op_cases(
    trial: Trial, cls: type, name: str, reference: Callable[..., Any], points: list[tuple],
    arrays: tuple,
) -> None:  # fmt: skip
    """Is a Function; values on Values and on a Tensor; gradcheck and gradgradcheck on both."""
    trial.expect(f"{cls.__name__} is a chainrule Function", f"class {cls.__name__}", True,
                 lambda: isinstance(cls, type) and issubclass(cls, Function),
                 expected_text="True: class YourOp(Function) with forward and backward")
    for xs in points:
        shown = ", ".join(f"{n} = {x:g}" for n, x in zip("ab", xs))
        trial.expect(f"{name}: the forward value", shown, reference(*xs),
                     partial(forward, cls, [Value(x) for x in xs]))
    tensors = [np.asarray(a, dtype=np.float64) for a in arrays]
    shown = ", ".join(f"{n} = {np.array2string(a, precision=3)}" for n, a in zip("ab", tensors))
    trial.expect(f"{name} on a Tensor: the forward value", shown, reference(*tensors),
                 partial(forward, cls, [Tensor(a, dtype=np.float64) for a in tensors]))
    for xs in points:
        shown = ", ".join(f"{n} = {x:g}" for n, x in zip("ab", xs))
        for check in (gradcheck, gradgradcheck):
            trial.expect(f"{name}: {check.__name__} on Values", shown, "passes",
                         passes(check, lambda *v: cls().apply(*v), [Value(x) for x in xs]),
                         judge=same, show_got=False,
                         expected_text=f"{check.__name__} passes")
    for check in (gradcheck, gradgradcheck):
        nodes = [Tensor(a.copy(), requires_grad=True, dtype=np.float64) for a in tensors]
        trial.expect(f"{name}: {check.__name__} on Tensors (the rule on arrays)", shown,
                     "passes", passes(check, lambda *t: cls().apply(*t).sum(), nodes), judge=same,
                     show_got=False, expected_text=f"{check.__name__} passes")


def _silu(a: Any) -> Any:
    return a / (1 + np.exp(-a)) if isinstance(a, np.ndarray) else a / (1 + math.exp(-a))


@exercise(EXERCISES, "SiLU(a) = a * sigmoid(a): forward and the rule d/da", ("your class SiLU",),
          HINTS)
def silu(trial: Trial, cls: type) -> None:
    """Negative, zero, positive and large inputs; a Tensor of five."""
    op_cases(trial, cls, "silu", _silu, [(-3.0,), (0.0,), (0.4,), (2.5,), (12.0,)],
             (np.linspace(-2, 2, 5),))


def _hypot(a: Any, b: Any) -> Any:
    return np.sqrt(np.asarray(a) ** 2 + np.asarray(b) ** 2).astype(np.float64) \
        if isinstance(a, np.ndarray) else math.hypot(a, b)


@exercise(EXERCISES, "Hypot(a, b) = sqrt(a**2 + b**2): forward and the rule, one gradient "
          "per input", ("your class Hypot",), HINTS)
def hypot(trial: Trial, cls: type) -> None:
    """Points off the origin (where it has no derivative); two Tensors, one broadcast."""
    op_cases(trial, cls, "hypot", _hypot, [(3.0, 4.0), (-1.5, 0.5), (0.0, -2.0), (1e-3, 2.0)],
             (np.array([[1.0, -2.0, 0.5]]), np.array([[2.0], [0.3]])))
