"""Elementwise ops shared by both engines: each op's forward and its derivative rule, side by side.

The same few lines serve ``Value`` (floats) and ``Tensor`` (ndarrays), on raw data for a first-order
backward and on nodes under ``create_graph=True``. ``F`` is the math namespace of the engine and
mode (``exp``, ``log``, ``pow``, ``div``, ...); plain operators work on every kind of operand.
Broadcasting is undone by the graph core, so the rules read like the scalar calculus.
"""

from __future__ import annotations

import functools
from typing import Any

from .function import Function


class Add(Function):
    """a + b"""

    name = "+"

    def forward(self, F: Any, a: Any, b: Any) -> Any:
        return a + b

    def backward(self, F: Any, g: Any, out: Any, a: Any, b: Any) -> tuple:
        return g, g


class Sub(Function):
    """a - b"""

    name = "-"

    def forward(self, F: Any, a: Any, b: Any) -> Any:
        return a - b

    def backward(self, F: Any, g: Any, out: Any, a: Any, b: Any) -> tuple:
        return g, -g


class Mul(Function):
    """a * b"""

    name = "*"

    def forward(self, F: Any, a: Any, b: Any) -> Any:
        return a * b

    def backward(self, F: Any, g: Any, out: Any, a: Any, b: Any) -> tuple:
        return g * b, g * a


class Div(Function):
    """a / b (IEEE: x / 0 is inf or nan, never an exception)"""

    name = "/"

    def forward(self, F: Any, a: Any, b: Any) -> Any:
        return F.div(a, b)

    def backward(self, F: Any, g: Any, out: Any, a: Any, b: Any) -> tuple:
        return F.div(g, b), -F.div(g * out, b)


class Pow(Function):
    """a ** b with a node as exponent. The exponent's gradient g * out * log(a) is only computed
    when the exponent needs one (a negative base would make it nan for nothing)."""

    name = "**"

    def __init__(self, need_base: bool = True, need_exponent: bool = True) -> None:
        self.need_base = need_base
        self.need_exponent = need_exponent

    def forward(self, F: Any, a: Any, b: Any) -> Any:
        return F.pow(a, b)

    def backward(self, F: Any, g: Any, out: Any, a: Any, b: Any) -> tuple:
        da = db = None
        if self.need_base:  # b * a**(b-1), taken as 0 at a == b == 0 (PyTorch; not 0 * inf)
            da = g * b * F.pow(a, b - 1 + (b == 0) * (a == 0))
        if self.need_exponent:  # out * log(a), taken as 0 at a == 0 <= b (PyTorch; not 0 * -inf)
            db = g * out * F.log(a + (a == 0) * (b >= 0))
        return da, db


_POW_VARIANTS = {(a, b): Pow(a, b) for a in (True, False) for b in (True, False)}


def pow_for(a: Any, b: Any) -> Pow:
    """The ``Pow`` op for ``a ** b`` that computes only the gradients its operands need
    (operands that are not nodes are constants)."""
    return _POW_VARIANTS[
        bool(getattr(a, "requires_grad", False)), bool(getattr(b, "requires_grad", False))
    ]


class PowConst(Function):
    """a ** p for a constant number p (micrograd's ``**``)."""

    def __init__(self, p: float) -> None:
        self.p = p
        self.name = f"**{p:g}"

    def forward(self, F: Any, a: Any) -> Any:
        return F.pow(a, self.p)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        if self.p == 0:
            return (g * 0,)
        return (g * self.p * F.pow(a, self.p - 1),)


@functools.lru_cache(maxsize=256)
def pow_const(p: float) -> PowConst:
    """The ``PowConst`` op for exponent ``p``, shared by the nodes of the 256 exponents used
    most recently (a bounded cache: a million distinct exponents do not keep a million ops)."""
    return PowConst(p)


class Neg(Function):
    """-a"""

    name = "neg"

    def forward(self, F: Any, a: Any) -> Any:
        return -a

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (-g,)


class Exp(Function):
    """exp(a)"""

    name = "exp"

    def forward(self, F: Any, a: Any) -> Any:
        return F.exp(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (g * out,)


class Log(Function):
    """log(a): -inf at 0, nan below (as in PyTorch)"""

    name = "log"

    def forward(self, F: Any, a: Any) -> Any:
        return F.log(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (F.div(g, a),)


class Sqrt(Function):
    """sqrt(a): nan below 0"""

    name = "sqrt"

    def forward(self, F: Any, a: Any) -> Any:
        return F.sqrt(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (F.div(g * 0.5, out),)


class Tanh(Function):
    """tanh(a)"""

    name = "tanh"

    def forward(self, F: Any, a: Any) -> Any:
        return F.tanh(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (g * (1 - out * out),)


class Sigmoid(Function):
    """1 / (1 + exp(-a)), computed without overflow"""

    name = "sigmoid"

    def forward(self, F: Any, a: Any) -> Any:
        return F.sigmoid(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (g * out * (1 - out),)


class Relu(Function):
    """max(a, 0); the derivative at 0 is taken as 0 (PyTorch's choice)"""

    name = "ReLU"

    def forward(self, F: Any, a: Any) -> Any:
        return F.relu(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (F.where(a > 0, g, 0.0),)  # select, not multiply: inf * 0 would be nan


class Abs(Function):
    """|a|; the derivative at 0 is taken as 0"""

    name = "abs"

    def forward(self, F: Any, a: Any) -> Any:
        return F.abs(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (g * F.sign(a),)


class Sin(Function):
    """sin(a)"""

    name = "sin"

    def forward(self, F: Any, a: Any) -> Any:
        return F.sin(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (g * F.cos(a),)


class Cos(Function):
    """cos(a)"""

    name = "cos"

    def forward(self, F: Any, a: Any) -> Any:
        return F.cos(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (-(g * F.sin(a)),)


class Log1p(Function):
    """log(1 + a), accurate for small a: -inf at -1, nan below (as in PyTorch)"""

    name = "log1p"

    def forward(self, F: Any, a: Any) -> Any:
        return F.log1p(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (F.div(g, 1 + a),)


class Erf(Function):
    """The error function erf(a) = 2/sqrt(pi) * integral of exp(-t**2) from 0 to a"""

    name = "erf"

    def forward(self, F: Any, a: Any) -> Any:
        return F.erf(a)

    def backward(self, F: Any, g: Any, out: Any, a: Any) -> tuple:
        return (g * 1.1283791670955126 * F.exp(-(a * a)),)  # 2 / sqrt(pi) * exp(-a**2)


ADD, SUB, MUL, DIV, POW = Add(), Sub(), Mul(), Div(), Pow()
NEG, EXP, LOG, SQRT = Neg(), Exp(), Log(), Sqrt()
TANH, SIGMOID, RELU, ABS, SIN, COS = Tanh(), Sigmoid(), Relu(), Abs(), Sin(), Cos()
LOG1P, ERF = Log1p(), Erf()
