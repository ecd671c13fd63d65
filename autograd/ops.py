"""The elementwise ops both engines share: each op's forward and its derivative rule, side by side.

One class per op, and one method per op in :class:`Operators`, the base class of ``Value``
and ``Tensor`` (``x.exp()``, ``a * b``, ``2 ** x``). The same rule serves floats and arrays, on
raw data for a first-order backward and on nodes under ``create_graph=True``; ``F`` is the
math namespace (``math.py``). Inputs may be constants (plain numbers or arrays, kept as they are
in the graph), and broadcasting is undone by the node kind, so the rules read like the calculus.
To add an op, see ``CONTRIBUTING.md``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias, Union

import numpy as np

from .core import Function, Node
from .modes import Flags

if TYPE_CHECKING:
    from typing_extensions import Self

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


ADD, SUB, MUL, DIV, POW = Add(), Sub(), Mul(), Div(), Pow()
NEG, EXP, LOG, SQRT = Neg(), Exp(), Log(), Sqrt()
TANH, SIGMOID, RELU, ABS, SIN, COS = Tanh(), Sigmoid(), Relu(), Abs(), Sin(), Cos()
LOG1P, ERF = Log1p(), Erf()

# What an op takes besides a node of its own kind: a number, or (for a Tensor) an array-like.
Constant: TypeAlias = Union[float, np.generic, np.ndarray, list[Any], tuple[Any, ...]]


# --------------------------------------------------------------------------- the methods
class Operators(Node):
    """The operators and elementwise functions of both node kinds, one method per op above
    (``Value`` and ``Tensor`` derive from this class). Each runs its op through the kind's
    ``_apply``; numbers (and, for a ``Tensor``, arrays) among the operands are constants."""

    __slots__ = ()

    def __add__(self, other: Self | Constant) -> Self:
        """``self + other``."""
        return self._apply(ADD, (self, other))

    def __radd__(self, other: Constant) -> Self:
        """``other + self``, for a constant ``other``."""
        return self._apply(ADD, (other, self))

    def __sub__(self, other: Self | Constant) -> Self:
        """``self - other``."""
        return self._apply(SUB, (self, other))

    def __rsub__(self, other: Constant) -> Self:
        """``other - self``, for a constant ``other``."""
        return self._apply(SUB, (other, self))

    def __mul__(self, other: Self | Constant) -> Self:
        """``self * other``."""
        return self._apply(MUL, (self, other))

    def __rmul__(self, other: Constant) -> Self:
        """``other * self``, for a constant ``other``."""
        return self._apply(MUL, (other, self))

    def __truediv__(self, other: Self | Constant) -> Self:
        """``self / other`` (IEEE: x / 0 is inf or nan, never an exception)."""
        return self._apply(DIV, (self, other))

    def __rtruediv__(self, other: Constant) -> Self:
        """``other / self``, for a constant ``other``."""
        return self._apply(DIV, (other, self))

    def __pow__(self, other: Self | Constant) -> Self:
        """``self ** other``; the exponent's gradient is computed only when it needs one."""
        return self._apply(POW, (self, other))

    def __rpow__(self, other: Constant) -> Self:
        """``other ** self``, for a constant ``other`` (``2 ** x``)."""
        return self._apply(POW, (other, self))

    def __neg__(self) -> Self:
        """``-self``."""
        return self._apply(NEG, (self,))

    def __abs__(self) -> Self:
        """``abs(self)``: ``|self|``, the derivative at 0 taken as 0."""
        return self._apply(ABS, (self,))

    def __iadd__(self, other: Self | Constant) -> Self:
        """``p += x`` on a leaf that requires grad: an update of ``p.data``, under ``no_grad()``
        only; on any other node Python falls back to ``p = p + x``, a new node."""
        return _in_place(self, operator.iadd, "+", other)

    def __isub__(self, other: Self | Constant) -> Self:
        """``p -= x`` on a leaf that requires grad: an update of ``p.data``, under ``no_grad()``
        only; on any other node Python falls back to ``p = p - x``, a new node."""
        return _in_place(self, operator.isub, "-", other)

    def __imul__(self, other: Self | Constant) -> Self:
        """``p *= x`` on a leaf that requires grad: an update of ``p.data``, under ``no_grad()``
        only; on any other node Python falls back to ``p = p * x``, a new node."""
        return _in_place(self, operator.imul, "*", other)

    def __itruediv__(self, other: Self | Constant) -> Self:
        """``p /= x`` on a leaf that requires grad: an update of ``p.data``, under ``no_grad()``
        only; on any other node Python falls back to ``p = p / x``, a new node."""
        return _in_place(self, operator.itruediv, "/", other)

    def exp(self) -> Self:
        """``exp(self)``, e to the power of each element."""
        return self._apply(EXP, (self,))

    def log(self) -> Self:
        """The natural logarithm: -inf at 0, nan below (as in PyTorch)."""
        return self._apply(LOG, (self,))

    def log1p(self) -> Self:
        """``log(1 + self)``, accurate for small values: -inf at -1, nan below (as in PyTorch)."""
        return self._apply(LOG1P, (self,))

    def sqrt(self) -> Self:
        """The square root: nan below 0."""
        return self._apply(SQRT, (self,))

    def tanh(self) -> Self:
        """The hyperbolic tangent."""
        return self._apply(TANH, (self,))

    def sigmoid(self) -> Self:
        """``1 / (1 + exp(-self))``, computed without overflow."""
        return self._apply(SIGMOID, (self,))

    def relu(self) -> Self:
        """``max(self, 0)``; the derivative at 0 is taken as 0 (PyTorch's choice)."""
        return self._apply(RELU, (self,))

    def abs(self) -> Self:
        """``|self|``; the derivative at 0 is taken as 0."""
        return self._apply(ABS, (self,))

    def sin(self) -> Self:
        """The sine (radians)."""
        return self._apply(SIN, (self,))

    def cos(self) -> Self:
        """The cosine (radians)."""
        return self._apply(COS, (self,))

    def erf(self) -> Self:
        """The error function, ``2/sqrt(pi)`` times the integral of ``exp(-t**2)`` from 0 to
        ``self``."""
        return self._apply(ERF, (self,))

    def where(self, condition: Any, other: Self | Constant) -> Self:
        """``self`` where ``condition`` (a bool or a bool array, no gradient) holds, else
        ``other`` (PyTorch's ``Tensor.where``)."""
        return self._apply(Where(condition), (self, other))


def _in_place(node: Any, op: Callable[[Any, Any], Any], symbol: str, other: Any) -> Any:
    """An in-place operator (``op`` is ``operator.iadd``, ...): ``node.data`` updated, on a leaf
    that requires grad under ``no_grad()`` only; ``NotImplemented`` on any other node, so that
    Python falls back to the plain operator (``p = p + x``, a new node)."""
    if node._fn is not None or not node.requires_grad:
        return NotImplemented
    if Flags.grad_enabled:
        raise RuntimeError(
            f"'{symbol}=' on a leaf {type(node).__name__} that requires grad, while grad mode "
            "is on: in a loop such as `for p in params: p {symbol}= ...` it would only rebind "
            f"p and update nothing. Write `p.data {symbol}= ...`, wrap the update in "
            "`with no_grad():`, or use an optimizer (nn.SGD, ...)"
        )
    node.data = op(node.data, other.data if isinstance(other, Node) else other)
    return node


# Every method the elementwise ops give both node kinds, by name (tests/test_elementwise.py
# reads it: each op has a row there).
METHODS: dict[str, Callable[..., Any]] = {
    name: method for name, method in vars(Operators).items() if callable(method)
}
