"""Exercise 2: a tiny ``Value`` with ``+``, ``*``, ``tanh`` and their backward closures.

The student's class follows micrograd's protocol: ``Value(data)`` with ``.data``, ``.grad``
(0.0 at first), ``._prev`` (the inputs), ``._backward`` (the closure that adds ``out.grad``
times the local derivative into each input's ``.grad``) and ``.backward()``. Each rule is
checked alone (``out.grad`` set, ``out._backward()`` called), against chainrule, on random and
edge inputs, an upstream gradient other than 1 and an input used twice; ``backward`` checks a
whole expression (``value_backward``) against chainrule and against finite differences of
the student's own forward.
:class:`MicroValue` is the answer, which exercise 3 builds its graphs with.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

from ..core import grad
from ..value import Value
from .registry import Exercise, exercise
from .report import Trial

__all__ = ["EXERCISES", "MicroValue"]

EXERCISES: dict[str, Exercise] = {}


class MicroValue:
    """micrograd's ``Value`` in a few lines: the answer to exercise 2 (do not peek before).
    ``backward()`` walks a reverse topological order built with a stack, not a recursion."""

    def __init__(self, data: float, _children: tuple = (), _op: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._backward: Callable[[], None] = lambda: None

    def __add__(self, other: Any) -> MicroValue:
        other = other if isinstance(other, MicroValue) else MicroValue(other)
        out = MicroValue(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Any) -> MicroValue:
        other = other if isinstance(other, MicroValue) else MicroValue(other)
        out = MicroValue(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    __radd__ = __add__
    __rmul__ = __mul__

    def tanh(self) -> MicroValue:
        """tanh of this value, with its rule 1 - tanh**2."""
        t = math.tanh(self.data)
        out = MicroValue(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out

    def backward(self) -> None:
        """d(self)/d(node) into every node's ``.grad``: the rules in reverse topological order."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((p, False) for p in node._prev if p not in seen)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def __repr__(self) -> str:
        return f"MicroValue(data={self.data}, grad={self.grad})"


def engine_rule(op: Callable[..., Value], xs: tuple[float, ...], g: float) -> tuple:
    """What chainrule says: the output's data and each input's share of upstream ``g``."""
    nodes = [Value(x) for x in xs]
    out = op(*nodes)
    return out.data, tuple(grad(out, nodes, grad_outputs=g))


def rule_cases(
    trial: Trial, cls: type, symbol: str, op: Callable[..., Any], cases: list[tuple], twice: str,
) -> None:  # fmt: skip
    """Each case: the forward value, then the rule alone (``out.grad = g; out._backward()``)."""
    for xs, g in cases:
        data, want = engine_rule(op, xs, g)
        shown = ", ".join(f"{n} = {x:g}" for n, x in zip("ab", xs))

        def rule(xs: tuple = xs, g: float = g) -> tuple:
            nodes = [cls(x) for x in xs]
            out = op(*nodes)
            out.grad = g
            out._backward()
            return tuple(n.grad for n in nodes)

        def forward(xs: tuple = xs) -> float:
            return op(*(cls(x) for x in xs)).data

        trial.expect(f"the data of {symbol}", shown, data, forward)
        trial.expect(f"the gradients of {symbol}, upstream out.grad = {g:g}", shown,
                     want, rule, expected_text=", ".join(
                         f"{n}.grad = {w:.6g}" for n, w in zip("ab", want)))

    binary = op.__code__.co_argcount == 2

    def used_twice() -> float:
        x = cls(1.5)
        out = op(x, x) if binary else op(x)
        if not binary:
            x.grad = 0.5  # a share from another path, already there
        out.grad = 1.0
        out._backward()
        return x.grad

    x = Value(1.5)
    (want,) = grad(op(x, x) if binary else op(x), [x])
    want += 0.0 if binary else 0.5
    trial.expect(f"{twice}: the shares add up (+=, not =)", "a = 1.5", want, used_twice,
                 expected_text=f"a.grad = {want:.6g}")


def _pairs(seed: int) -> list[tuple]:
    rng = random.Random(seed)
    fixed = [((2.0, -3.0), 1.0), ((0.0, 4.5), 2.5), ((-1.25, -0.5), -0.7)]
    return fixed + [((round(rng.uniform(-3, 3), 3), round(rng.uniform(-3, 3), 3)),
                     round(rng.uniform(-2, 2), 3))]


@exercise(EXERCISES, "the backward of `+`: d(a + b)/da = 1 and d(a + b)/db = 1",
          ("your Value class",))
def add_backward(trial: Trial, cls: type) -> None:
    """a + b: each input gets the upstream gradient."""
    rule_cases(trial, cls, "a + b", lambda a, b: a + b, _pairs(0), "an input used twice, a + a")


@exercise(EXERCISES, "the backward of `*`: d(a * b)/da = b and d(a * b)/db = a",
          ("your Value class",))
def mul_backward(trial: Trial, cls: type) -> None:
    """a * b: each input gets the upstream gradient times the other input."""
    rule_cases(trial, cls, "a * b", lambda a, b: a * b, _pairs(1), "an input used twice, a * a")


@exercise(EXERCISES, "the backward of tanh: d tanh(a)/da, written with out = tanh(a)",
          ("your Value class",))
def tanh_backward(trial: Trial, cls: type) -> None:
    """tanh(a) at zero, small, large (saturated) and negative inputs, upstream 1 and not."""
    rng = random.Random(2)
    cases = [((0.5,), 1.0), ((0.0,), 1.0), ((-1.3,), 2.5), ((3.0,), -0.7), ((20.0,), 1.0),
             ((round(rng.uniform(-2, 2), 3),), round(rng.uniform(-2, 2), 3))]
    rule_cases(trial, cls, "tanh(a)", lambda a: a.tanh(), cases,
               "a.grad already 0.5 from another path")


EXPRESSIONS: list[tuple[str, Callable[..., Any]]] = [
    ("L = (a*b + c).tanh() * d + a", lambda a, b, c, d: (a * b + c).tanh() * d + a),
    ("the lecture's neuron: L = (a*c + b*d + 0.88).tanh()",
     lambda a, b, c, d: (a * c + b * d + 0.8813735870195432).tanh()),
    ("L = a*a*b + (a + b).tanh() * (c*d)", lambda a, b, c, d: a * a * b + (a + b).tanh() * (c * d)),
]


@exercise(EXERCISES, "backward(): every rule, in reverse topological order, from L.grad = 1",
          ("your Value class",))
def value_backward(trial: Trial, cls: type) -> None:
    """Whole expressions: the leaves' gradients against chainrule, then against central
    differences of the student's own forward pass."""
    rng = random.Random(5)
    for k, (text, fn) in enumerate(EXPRESSIONS):
        xs = [2.0, -3.0, 0.0, 1.0] if k == 1 else [round(rng.uniform(-2, 2), 3) for _ in "abcd"]
        shown = ", ".join(f"{n} = {x:g}" for n, x in zip("abcd", xs))
        nodes = [Value(x) for x in xs]
        want = tuple(grad(fn(*nodes), nodes))

        def run(xs: list = xs, fn: Callable = fn) -> tuple:
            leaves = [cls(x) for x in xs]
            fn(*leaves).backward()
            return tuple(n.grad for n in leaves)

        trial.expect(text + ": against chainrule", shown, want, run, expected_text=", ".join(
            f"{n}.grad = {w:.6g}" for n, w in zip("abcd", want)))

        def measured(xs: list = xs, fn: Callable = fn, h: float = 1e-6) -> tuple:
            slopes = []
            for i in range(len(xs)):
                up, down = list(xs), list(xs)
                up[i] += h
                down[i] -= h
                hi = fn(*(cls(x) for x in up)).data
                lo = fn(*(cls(x) for x in down)).data
                slopes.append((hi - lo) / (2 * h))
            return tuple(slopes)

        trial.expect(text + ": against finite differences of your forward pass", shown,
                     want, lambda: (run(), measured()), tol=1e-5,
                     expected_text="your gradients = the slopes measured on your forward pass",
                     show_got=False, judge=lambda want, got, tol: None if all(
                         abs(a - b) <= tol * max(1.0, abs(b)) for a, b in zip(*got))
                     else f"your backward {got[0]} vs measured {got[1]}")  # fmt: skip
