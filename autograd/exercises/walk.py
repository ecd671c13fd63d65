"""Exercise 3: the topological order and ``backward()``: a recursion, then an iterative walk.

Graphs are built with :class:`MicroValue` (micrograd's protocol: ``._prev``, ``._backward``).
An order is judged by what makes it right (every node reachable from the root exactly once,
each after all its inputs), not by one particular order. The deep cases are chains several
times longer than Python's recursion limit; the shared ones a ladder where each node is used
twice (a walk without a ``visited`` set lists nodes again and again).
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

from ..core import grad
from ..value import Value
from .micro import MicroValue
from .registry import Exercise, exercise
from .report import Trial

__all__ = ["EXERCISES", "chain", "ladder"]

EXERCISES: dict[str, Exercise] = {}


def chain(cls: type, n: int, x0: float = 0.1) -> tuple[Any, Any]:
    """``(leaf, root)``: a chain of ``n`` ops, x -> tanh(x * 0.9 + 0.05) ... (depth ~2n)."""
    leaf = x = cls(x0)
    for _ in range(n):
        x = (x * 0.9 + 0.05).tanh()
    return leaf, x


def ladder(cls: type, n: int, x0: float = 0.3) -> tuple[Any, Any]:
    """``(leaf, root)``: x -> x*x + x, ``n`` times: every node used by two ops."""
    leaf = x = cls(x0)
    for _ in range(n):
        x = (x * x + x) * 0.5
    return leaf, x


SMALL: list[tuple[str, Callable[[type], Any]]] = [
    ("a lone leaf", lambda V: V(2.0)),
    ("L = (a*b + c) * f, the first notebook's", lambda V: (V(2.0) * V(-3.0) + V(10.0)) * V(-2.0)),
    ("a diamond: b = a*a, L = b + b.tanh()", lambda V: (lambda b: b + b.tanh())(V(0.7) * V(0.7))),
    ("a ladder of 6 rungs (each node used twice)", lambda V: ladder(V, 6)[1]),
    ("a chain of 40 ops", lambda V: chain(V, 40)[1]),
]


def reachable(root: Any) -> set[int]:
    """The ids of every node ``root`` depends on, itself included."""
    seen, stack = {id(root)}, [root]
    while stack:
        for p in stack.pop()._prev:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return seen


def judge_order(root: Any, order: Any) -> str | None:
    """Why ``order`` is not a topological order of ``root``'s graph, or ``None``."""
    if order is None:
        return "None: the function returns nothing (a missing `return`?)"
    try:
        order = list(order)
    except TypeError:
        return f"a {type(order).__name__}, not a list of nodes"
    ids = [id(n) for n in order]
    want = reachable(root)
    if len(ids) != len(set(ids)):
        return f"{len(ids) - len(set(ids))} nodes listed more than once (keep a `visited` set)"
    if missing := want - set(ids):
        return f"{len(missing)} of the {len(want)} nodes are missing"
    if extra := set(ids) - want:
        return f"{len(extra)} objects that are not nodes of this graph"
    place = {i: k for k, i in enumerate(ids)}
    for node in order:
        for p in node._prev:
            if place[id(p)] > place[id(node)]:
                return (f"node {node._op or 'leaf'}(data={node.data:.4g}) comes before its input "
                        f"data={p.data:.4g}: each node must come after all its inputs")
    return None


def judge_root(root: Any, _: Any, got: Any, tol: float) -> str | None:
    """:func:`judge_order` in the shape of a case's judge."""
    return judge_order(root, got)


def order_cases(trial: Trial, topo: Callable[[Any], list], deep: bool) -> None:
    """The small graphs, then (for the iterative walk) the deep ones."""
    n = 3 * sys.getrecursionlimit()
    deep_cases: list[tuple[str, Callable[[type], Any]]] = [
        (f"a chain of {n} ops (deeper than Python's recursion limit)", lambda V: chain(V, n)[1]),
        ("a ladder of 400 rungs", lambda V: ladder(V, 400)[1]),
    ]
    small_ok = True
    for k, (text, build) in enumerate(SMALL + (deep_cases if deep else [])):
        root = build(MicroValue)
        size = len(reachable(root))
        want = f"each of the {size} nodes once, after all its inputs"
        if k >= len(SMALL) and not small_ok:  # a walk that lists a node twice would not end
            trial.skip(text, f"a graph of {size} nodes", want, "the small graphs fail first")
            continue
        passed = trial.expect(text, f"a graph of {size} nodes", None, partial(topo, root),
                              judge=partial(judge_root, root), show_got=False, expected_text=want)
        small_ok = small_ok and (passed or k >= len(SMALL))


@exercise(EXERCISES, "topo_recursive(root): a depth-first recursion, each node after its inputs",
          ("your function topo_recursive(root)",))
def topo_recursive(trial: Trial, topo: Callable[[Any], list]) -> None:
    """Small graphs only: a recursion is right, until the graph is deep."""
    order_cases(trial, topo, deep=False)


@exercise(EXERCISES, "topo_iterative(root): the same order with a stack of your own, no recursion",
          ("your function topo_iterative(root)",))
def topo_iterative(trial: Trial, topo: Callable[[Any], list]) -> None:
    """Small graphs, a chain deeper than the recursion limit, a wide ladder."""
    order_cases(trial, topo, deep=True)


@exercise(EXERCISES, "backward(root): root.grad = 1, then each node's _backward in reverse order",
          ("your function backward(root)",))
def backward(trial: Trial, student: Callable[[Any], None]) -> None:
    """The leaves' gradients against chainrule's, on small, shared and deep graphs."""
    rng = random.Random(7)
    a, b = round(rng.uniform(-2, 2), 3), round(rng.uniform(-2, 2), 3)
    n = 3 * sys.getrecursionlimit()
    cases: list[tuple[str, Callable[[type], tuple]]] = [
        ("L = (a*b + a).tanh()", lambda V: (lambda x, y: ((x, y), (x * y + x).tanh()))(V(a), V(b))),
        ("a ladder of 8 rungs", lambda V: (lambda p: ((p[0],), p[1]))(ladder(V, 8))),
        (f"a chain of {n} ops", lambda V: (lambda p: ((p[0],), p[1]))(chain(V, n))),
    ]
    for text, build in cases:
        leaves, root = build(Value)
        want = (1.0, *grad(root, list(leaves)))

        def run(build: Callable = build) -> tuple:
            leaves, root = build(MicroValue)
            student(root)
            return (root.grad, *(x.grad for x in leaves))

        trial.expect(text, f"leaves {', '.join(f'{x.data:g}' for x in leaves)}", want, run,
                     expected_text="root.grad = 1, leaf grads "
                     + ", ".join(f"{w:.6g}" for w in want[1:]))
