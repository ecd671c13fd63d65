"""Exercise 1: derivatives by hand, and measured by finite differences.

The expected derivatives come from chainrule (a ``Value`` and ``backward()``); the hidden
points include the edges (zero, a minimum, large and negative inputs).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from functools import partial
from typing import Any

from ..value import Value
from .registry import Exercise, exercise
from .report import Trial

__all__ = ["EXERCISES"]

EXERCISES: dict[str, Exercise] = {}


def engine_grad(fn: Callable[..., Value], *xs: float) -> tuple[float, ...]:
    """d fn / d x for each input, from chainrule."""
    nodes = [Value(x) for x in xs]
    fn(*nodes).backward()
    return tuple(n.grad for n in nodes)


def points(seed: int, fixed: tuple[float, ...]) -> list[float]:
    """The fixed edge points, then three random ones (the same every run)."""
    rng = random.Random(seed)
    return [*fixed, *(round(rng.uniform(-3, 3), 4) for _ in range(3))]


# f, its derivative's name, the fixed points: the three functions worked by hand
FUNCTIONS: dict[str, tuple[str, Callable[[Any], Any], tuple[float, ...]]] = {
    "df": ("f(x) = 3x**2 - 4x + 5 (the power rule)", lambda x: 3 * x**2 - 4 * x + 5,
           (3.0, 0.0, 2 / 3, -2.5)),
    "dg": ("g(x) = x**2 * sin(x) (the product rule)", lambda x: x**2 * x.sin(),
           (0.0, math.pi, -1.0, 2.0)),
    "dh": ("h(x) = tanh(2x + 1) (the chain rule)", lambda x: (2 * x + 1).tanh(),
           (-0.5, 0.0, 4.0, -6.0)),
}


def _by_hand(name: str, seed: int) -> None:
    rule, fn, fixed = FUNCTIONS[name]

    def run(trial: Trial, derivative: Callable[[float], float]) -> None:
        for x in points(seed, fixed):
            (want,) = engine_grad(fn, x)
            trial.expect(f"{name}({x:g})", f"x = {x:g}", want, partial(derivative, x))

    run.__name__ = name
    exercise(EXERCISES, f"the derivative of {rule}", ("your function " + name,))(run)


for _seed, _name in enumerate(FUNCTIONS):
    _by_hand(_name, _seed)


@exercise(EXERCISES, "the partial derivatives of k(a, b) = a*b + tanh(a) + b**3",
          ("your function grad_k(a, b) returning (dk/da, dk/db)",))
def grad_k(trial: Trial, student: Callable[[float, float], tuple[float, float]]) -> None:
    """(dk/da, dk/db) at fixed and random points, against chainrule."""
    rng = random.Random(3)
    pairs = [(0.0, 0.0), (1.0, -2.0), (-3.0, 0.5)]
    pairs += [(round(rng.uniform(-2, 2), 4), round(rng.uniform(-2, 2), 4)) for _ in range(3)]
    for a, b in pairs:
        want = engine_grad(lambda p, q: p * q + p.tanh() + q**3, a, b)
        trial.expect(f"grad_k({a:g}, {b:g})", f"a = {a:g}, b = {b:g}", want,
                     partial(student, a, b))


def cube(x: Any) -> Any:
    """x**3, on a number or a node."""
    return x**3


SMOOTH: list[tuple[str, Callable[[float], float], Callable[[Any], Any]]] = [
    ("x**3", lambda x: x**3, lambda x: x**3),
    ("sin(x)", math.sin, lambda x: x.sin()),
    ("exp(x)", math.exp, lambda x: x.exp()),
    ("tanh(x)", math.tanh, lambda x: x.tanh()),
]


@exercise(EXERCISES, "the central difference (f(x + h) - f(x - h)) / (2h)",
          ("your function numerical_derivative(f, x, h=1e-5)",))
def numerical_derivative(trial: Trial, student: Callable[..., float]) -> None:
    """Smooth functions at several points with the default ``h``, then the accuracy that only
    a central difference has (a one-sided one is off by about h * f''(x) / 2)."""
    rng = random.Random(4)
    for (text, f, node_f), x in zip(SMOOTH * 2, [0.5, -1.2, 2.0, 0.0, *(
            round(rng.uniform(-2, 2), 4) for _ in range(4))]):  # fmt: skip
        (want,) = engine_grad(node_f, x)
        trial.expect(f"the slope of {text}", f"f(x) = {text}, x = {x:g}", want,
                     partial(student, f, x), tol=1e-5)
    for x in (2.0, -1.0):
        (want,) = engine_grad(cube, x)
        trial.expect("a central difference's accuracy with a coarse h = 1e-3", f"f(x) = x**3, "
                     f"x = {x:g}, h = 1e-3 (a one-sided difference is off by about 3x*h)",
                     want, partial(student, cube, x, 1e-3), tol=1e-5)
