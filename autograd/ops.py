"""The elementwise ops both engines share: each op's forward and its derivative rule, side by side.

One class per op, registered once in ``METHODS`` below: :func:`install` gives ``Value`` and
``Tensor`` the method (``x.exp()``, ``a * b``, ``2 ** x``). The same rule serves floats and arrays,
on raw data for a first-order backward and on nodes under ``create_graph=True``; ``F`` is the
math namespace (``math.py``). Inputs may be constants (plain numbers or arrays, kept as they are
in the graph), and broadcasting is undone by the node kind, so the rules read like the calculus.
To add an op, see ``CONTRIBUTING.md``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from .core import Function, Node, _Flags

__all__: list[str] = []


class Elementwise(Function):
    """The base of the ops whose Jacobian is diagonal (each output element depends on the same
    element of each input, broadcasting aside): drawings show their local derivatives on the
    edges, and forward mode runs their rule on a tangent."""

    elementwise = True


class Add(Elementwise):
    """a + b"""

    name = "+"

    def forward(self, F: Any, a: Any, b: Any) -> Any:
        return a + b

    def backward(self, F: Any, g: Any, out: Any, a: Any, b: Any) -> tuple:
        return g, g


class Sub(Elementwise):
    """a - b"""

    name = "-"

    def forward(self, F: Any, a: Any, b: Any) -> Any:
        return a - b

    def backward(self, F: Any, g: Any, out: Any, a: Any, b: Any) -> tuple:
        return g, -g


class Mul(Elementwise):
    """a * b"""

    name = "*"

    def forward(self, F: Any, a: Any, b: Any) -> Any:
        return a * b

    def backward(self, F: Any, g: Any, out: Any, a: Any, b: Any) -> tuple:
        return g * b, g * a


class Div(Elementwise):
    """a / b (IEEE: x / 0 is inf or nan, never an exception)"""

    name = "/"

    def forward(self, F: Any, a: Any, b: Any) -> Any:
        return F.div(a, b)

    def backward(self, F: Any, g: Any, out: Any, a: Any, b: Any) -> tuple:
        return F.div(g, b), -F.div(g * out, b)


class Pow(Elementwise):
    """a ** b. Only the gradients its inputs need are computed: the exponent's
    g * out * log(a) would be nan for nothing at a negative base."""

    name = "**"
    selective = True

    def forward(self, F: Any, a: Any, b: Any) -> Any:
        return F.pow(a, b)

    def backward(self, F: Any, g: Any, out: Any, a: Any, b: Any,
                 needs_input_grad: tuple = (True, True)) -> tuple:  # fmt: skip
        need_base, need_exponent = needs_input_grad
        da = db = None
        if need_base and isinstance(b, (int, float)):  # a constant exponent: micrograd's x**2
            da = g * b * F.pow(a, b - 1) if b != 0 else F.where(True, 0.0, g)
        elif need_base:  # b * a**(b-1); 0 where b == 0, selected: a**0 is constant whatever
            da = g * b * F.pow(a, b - 1 + (b == 0) * (a == 0))  # g or a (inf, nan), as PyTorch
            if np.any(b == 0):  # (b - 1 + ...: no 0 ** -1 warning at a == b == 0)
                da = F.where(b == 0, 0.0, da)
        if need_exponent:  # out * log(a), taken as 0 at a == 0 <= b (PyTorch; not 0 * -inf)
            db = g * out * F.log(a + (a == 0) * (b >= 0))
        return da, db


class Neg(Elementwise):
    """-a"""

    name = "neg"

    def forward(self, F: Any, a: Any) -> Any:
        return -a

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (-g,)


class Exp(Elementwise):
    """exp(a)"""

    name = "exp"

    def forward(self, F: Any, a: Any) -> Any:
        return F.exp(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (g * out,)


class Log(Elementwise):
    """log(a): -inf at 0, nan below (as in PyTorch)"""

    name = "log"

    def forward(self, F: Any, a: Any) -> Any:
        return F.log(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (F.div(g, a),)


class Sqrt(Elementwise):
    """sqrt(a): nan below 0"""

    name = "sqrt"

    def forward(self, F: Any, a: Any) -> Any:
        return F.sqrt(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (F.div(g * 0.5, out),)


class Tanh(Elementwise):
    """tanh(a)"""

    name = "tanh"

    def forward(self, F: Any, a: Any) -> Any:
        return F.tanh(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (g * (1 - out * out),)


class Sigmoid(Elementwise):
    """1 / (1 + exp(-a)), computed without overflow"""

    name = "sigmoid"

    def forward(self, F: Any, a: Any) -> Any:
        return F.sigmoid(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (g * out * (1 - out),)


class Relu(Elementwise):
    """max(a, 0); the derivative at 0 is taken as 0 (PyTorch's choice)"""

    name = "ReLU"

    def forward(self, F: Any, a: Any) -> Any:
        return F.relu(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        # select, not multiply (inf * 0 would be nan); out != 0 where a > 0 and where a is nan,
        # which passes g on (PyTorch: threshold_backward on the result)
        return (F.where(out != 0, g, 0.0),)


class Abs(Elementwise):
    """|a|; the derivative at 0 is taken as 0"""

    name = "abs"

    def forward(self, F: Any, a: Any) -> Any:
        return F.abs(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (g * F.sign(a),)


class Sin(Elementwise):
    """sin(a)"""

    name = "sin"

    def forward(self, F: Any, a: Any) -> Any:
        return F.sin(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (g * F.cos(a),)


class Cos(Elementwise):
    """cos(a)"""

    name = "cos"

    def forward(self, F: Any, a: Any) -> Any:
        return F.cos(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (-(g * F.sin(a)),)


class Log1p(Elementwise):
    """log(1 + a), accurate for small a: -inf at -1, nan below (as in PyTorch)"""

    name = "log1p"

    def forward(self, F: Any, a: Any) -> Any:
        return F.log1p(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (F.div(g, 1 + a),)


class Erf(Elementwise):
    """The error function erf(a) = 2/sqrt(pi) * integral of exp(-t**2) from 0 to a"""

    name = "erf"

    def forward(self, F: Any, a: Any) -> Any:
        return F.erf(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (g * 1.1283791670955126 * F.exp(-(a * a)),)  # 2 / sqrt(pi) * exp(-a**2)


class Where(Elementwise):
    """a where ``condition`` holds, else b (``condition`` is constant: a bool or a bool array)."""

    name = "where"

    def __init__(self, condition: Any) -> None:
        self.condition = condition

    def forward(self, F: Any, a: Any, b: Any) -> Any:
        return F.where(self.condition, a, b)

    def backward(self, F: Any, g: Any, out: Any, a: Any, b: Any) -> tuple:
        return F.where(self.condition, g, 0.0), F.where(self.condition, 0.0, g)


# ------------------------------------------------------------------------ registration
def _unary(fn: Function) -> Callable:
    def method(self: Node) -> Node:
        return self._apply(fn, (self,))

    method.__doc__ = fn.__doc__
    return method


def _binary(fn: Function, reflected: bool = False) -> Callable:
    if reflected:

        def method(self: Node, other: Any) -> Node:
            return self._apply(fn, (other, self))
    else:

        def method(self: Node, other: Any) -> Node:
            return self._apply(fn, (self, other))

    method.__doc__ = fn.__doc__
    return method


def where_method(self: Node, condition: Any, other: Any) -> Node:
    """``self`` where ``condition`` holds, else ``other`` (PyTorch's ``Tensor.where``)."""
    return self._apply(Where(condition), (self, other))


def _in_place(op: Callable, symbol: str) -> Callable:
    """``p += x`` on a leaf that requires grad: allowed under ``no_grad()`` only (an update of
    ``p.data``); on any other node Python falls back to ``p = p + x``, a new node."""

    def method(self: Node, other: Any) -> Any:
        if self._fn is not None or not self.requires_grad:
            return NotImplemented
        if _Flags.grad_enabled:
            raise RuntimeError(
                f"'{symbol}=' on a leaf {type(self).__name__} that requires grad, while grad mode "
                "is on: in a loop such as `for p in params: p {symbol}= ...` it would only rebind "
                f"p and update nothing. Write `p.data {symbol}= ...`, wrap the update in "
                "`with no_grad():`, or use an optimizer (nn.SGD, ...)"
            )
        self.data = op(self.data, other.data if isinstance(other, Node) else other)
        return self

    return method


ADD, SUB, MUL, DIV, POW = Add(), Sub(), Mul(), Div(), Pow()
NEG, EXP, LOG, SQRT = Neg(), Exp(), Log(), Sqrt()
TANH, SIGMOID, RELU, ABS, SIN, COS = Tanh(), Sigmoid(), Relu(), Abs(), Sin(), Cos()
LOG1P, ERF = Log1p(), Erf()

# Every method the elementwise ops give both node kinds.
METHODS: dict[str, Callable] = {
    "__add__": _binary(ADD),
    "__radd__": _binary(ADD, reflected=True),
    "__sub__": _binary(SUB),
    "__rsub__": _binary(SUB, reflected=True),
    "__mul__": _binary(MUL),
    "__rmul__": _binary(MUL, reflected=True),
    "__truediv__": _binary(DIV),
    "__rtruediv__": _binary(DIV, reflected=True),
    "__pow__": _binary(POW),
    "__rpow__": _binary(POW, reflected=True),
    "__neg__": _unary(NEG),
    "__abs__": _unary(ABS),
    "__iadd__": _in_place(operator.iadd, "+"),
    "__isub__": _in_place(operator.isub, "-"),
    "__imul__": _in_place(operator.imul, "*"),
    "__itruediv__": _in_place(operator.itruediv, "/"),
    "exp": _unary(EXP),
    "log": _unary(LOG),
    "log1p": _unary(LOG1P),
    "sqrt": _unary(SQRT),
    "tanh": _unary(TANH),
    "sigmoid": _unary(SIGMOID),
    "relu": _unary(RELU),
    "abs": _unary(ABS),
    "sin": _unary(SIN),
    "cos": _unary(COS),
    "erf": _unary(ERF),
    "where": where_method,
}


def install(kind: type) -> None:
    """Give the node class ``kind`` every method of :data:`METHODS` (value.py and tensor.py
    call it once, right after their class)."""
    for name, method in METHODS.items():
        setattr(kind, name, method)
