"""The floor for the scalar benchmark: a minimal tape with micrograd's API.

One small ``__slots__`` object per op node (its data, grad, an op code and its inputs), numbers
kept inside the node instead of becoming nodes, one n-ary node per neuron, and a global list in
creation order, which is already topological: backward is one loop over the list with an ``if``
per op code. No checks, no higher order, no drawing: what any scalar engine must at least pay.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

LEAF, ADD, ADD_C, MUL, MUL_C, RELU, SUM, DOT = range(8)
TAPE: list[Node] = []  # op nodes in creation order


class Node:
    """A float in the tape's graph; ``a`` and ``b`` are inputs (nodes, numbers or tuples)."""

    __slots__ = ("data", "grad", "op", "a", "b")

    def __init__(self, data: float, op: int = LEAF, a: object = None, b: object = None) -> None:
        self.data, self.grad, self.op, self.a, self.b = data, 0.0, op, a, b
        if op:
            TAPE.append(self)

    def __add__(self, other: object) -> Node:
        if type(other) is Node:
            return Node(self.data + other.data, ADD, self, other)
        return Node(self.data + other, ADD_C, self, other)

    __radd__ = __add__

    def __mul__(self, other: object) -> Node:
        if type(other) is Node:
            return Node(self.data * other.data, MUL, self, other)
        return Node(self.data * other, MUL_C, self, other)

    __rmul__ = __mul__

    def __neg__(self) -> Node:
        return Node(-self.data, MUL_C, self, -1.0)

    def relu(self) -> Node:
        """max(x, 0)"""
        return Node(self.data if self.data > 0 else 0.0, RELU, self)

    def backward(self) -> None:
        """Gradients of every node on the tape, then the tape is cleared."""
        for node in TAPE:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(TAPE):
            g, op, a, b = node.grad, node.op, node.a, node.b
            if op == DOT:  # a = (ws, xs), b = bias
                ws, xs = a
                for w, x in zip(ws, xs):
                    w.grad += g * x.data
                    x.grad += g * w.data
                b.grad += g
            elif op == ADD:
                a.grad += g
                b.grad += g
            elif op == ADD_C:
                a.grad += g
            elif op == MUL:
                a.grad += g * b.data
                b.grad += g * a.data
            elif op == MUL_C:
                a.grad += g * b
            elif op == RELU:
                if node.data > 0:
                    a.grad += g
            elif op == SUM:
                for x in a:
                    x.grad += g
        TAPE.clear()


def total(values: Iterable[Node]) -> Node:
    """The sum of many nodes as one node."""
    items = tuple(values)
    return Node(sum(x.data for x in items), SUM, items)


class MLP:
    """micrograd's MLP: ReLU hidden layers, a linear output; one DOT node per neuron."""

    def __init__(self, nin: int, nouts: Sequence[int], seed: int = 1) -> None:
        rng = random.Random(seed)
        sizes = [nin, *nouts]
        self.layers = [
            [
                ([Node(rng.uniform(-1, 1)) for _ in range(n_in)], Node(0.0))
                for _ in range(n_out)
            ]
            for n_in, n_out in zip(sizes, sizes[1:])
        ]

    def __call__(self, x: Sequence[Node]) -> Node:
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            out = []
            for ws, b in layer:
                act = Node(sum(w.data * xi.data for w, xi in zip(ws, x)) + b.data, DOT, (ws, x), b)
                out.append(act.relu() if i < last else act)
            x = out
        return x[0]

    def parameters(self) -> list[Node]:
        """Every weight and bias."""
        return [p for layer in self.layers for ws, b in layer for p in (*ws, b)]

    def zero_grad(self) -> None:
        """Gradients of the parameters back to 0."""
        for p in self.parameters():
            p.grad = 0.0
