"""``Value``: a scalar node of the computation graph (micrograd's engine, kept fast and safe).

Every op computes its float result and records its inputs and its :class:`~.graph.Function`;
the derivative rules live next to their forwards in ``elementwise.py`` (shared with ``Tensor``)
or, for the n-ary ``sum_of`` and ``dot`` below, in this file.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterable
from typing import Any, Union

import numpy as np

from . import elementwise as E
from .function import Function
from .graph import Node
from .value_math import FloatMath, ValueMath

__all__ = ["Value", "dot", "sum_of"]

Number = Union[int, float, bool, np.number]


_REAL_TYPES = (int, float, np.floating, np.integer, np.bool_, numbers.Real)


def _to_float(data: Any, what: str) -> float:
    if type(data) is float:
        return data
    if isinstance(data, _REAL_TYPES) or (
        isinstance(data, np.ndarray) and data.ndim == 0 and data.dtype.kind in "biuf"
    ):
        return float(data)
    raise TypeError(
        f"{what} needs a real number (int, float, bool or a NumPy scalar), "
        f"got {type(data).__name__}: {data!r:.60}"
    )


def _leaf_flag(who: str, label: Any, requires_grad: Any) -> bool:
    """``requires_grad`` as a bool; raise for a ``label`` that is not a str or a flag that is not
    a bool (as micrograd's internal ``Value(data, _children, _op)`` form would give)."""
    if not isinstance(label, str):
        raise TypeError(
            f"{who}: label must be a str, got {type(label).__name__} {label!r:.60} "
            "(micrograd's Value(data, _children, _op) form is internal: build nodes with ops)"
        )
    if not isinstance(requires_grad, (bool, np.bool_)):
        raise TypeError(
            f"{who}: requires_grad must be True or False, "
            f"got {type(requires_grad).__name__} {requires_grad!r:.60}"
        )
    return bool(requires_grad)


def _lift(x: Any) -> Value:
    """A ``Value`` as it is, a number as a constant ``Value`` (no grad)."""
    if isinstance(x, Value):
        return x
    return Value(_to_float(x, "a Value op"), requires_grad=False)


class Value(Node):
    """A float in a computation graph.

    ``Value(data, label='', requires_grad=True)``: ``.data`` is the number, ``.grad`` is
    d(root)/d(this) after ``root.backward()`` (0.0 before; it accumulates over repeated backward
    calls, so reset it between steps), ``.label`` names it in drawings. ``.op`` and ``.parents``
    (micrograd: ``._op``, ``._prev``) show how it was made. Comparisons compare ``.data``.
    """

    __slots__ = ()
    _raw_math = FloatMath
    _node_math = ValueMath
    _zero_grad = 0.0
    __array_ufunc__ = None  # numpy scalars defer to our reflected ops: np.float64(2) * v is a Value

    def __init__(self, data: Number, label: str = "", requires_grad: bool = True) -> None:
        self.data = _to_float(data, "Value()")
        if type(label) is not str or (requires_grad is not True and requires_grad is not False):
            requires_grad = _leaf_flag("Value()", label, requires_grad)
        self.grad = 0.0
        self.label = label
        self.requires_grad = requires_grad
        self._parents = ()
        self._fn = None

    # -- hooks for the graph core --
    @classmethod
    def _constant(cls, data: Any) -> Value:
        return cls(data, requires_grad=False)

    @staticmethod
    def _is_finite(data: float) -> bool:
        return math.isfinite(data)

    @staticmethod
    def _from_forward(data: Any) -> float:
        return _to_float(data, "a custom op's forward")

    def _default_seed(self) -> float:
        return 1.0

    def _check_seed(self, grad: Any) -> Any:
        if isinstance(grad, Value):
            return grad
        return _to_float(grad, "backward(grad)")

    def _coerce(self, x: Any) -> Value:
        return _lift(x)

    # -- applying ops --
    def _unary(self, fn: Function) -> Value:
        return Value._result(fn.forward(FloatMath, self.data), fn, (self,))

    def _binary(self, fn: Function, other: Any) -> Value:
        other = _lift(other)
        return Value._result(fn.forward(FloatMath, self.data, other.data), fn, (self, other))

    def _rbinary(self, fn: Function, other: Any) -> Value:
        other = _lift(other)
        return Value._result(fn.forward(FloatMath, other.data, self.data), fn, (other, self))

    # -- arithmetic (rules: elementwise.py) --
    def __add__(self, other: Any) -> Value:
        return self._binary(E.ADD, other)

    def __radd__(self, other: Any) -> Value:
        return self._rbinary(E.ADD, other)

    def __sub__(self, other: Any) -> Value:
        return self._binary(E.SUB, other)

    def __rsub__(self, other: Any) -> Value:
        return self._rbinary(E.SUB, other)

    def __mul__(self, other: Any) -> Value:
        return self._binary(E.MUL, other)

    def __rmul__(self, other: Any) -> Value:
        return self._rbinary(E.MUL, other)

    def __truediv__(self, other: Any) -> Value:
        return self._binary(E.DIV, other)

    def __rtruediv__(self, other: Any) -> Value:
        return self._rbinary(E.DIV, other)

    def __pow__(self, other: Any) -> Value:
        if isinstance(other, Value):
            return self._binary(E.pow_for(self, other), other)
        return self._unary(E.pow_const(_to_float(other, "Value ** exponent")))

    def __rpow__(self, other: Any) -> Value:
        return self._rbinary(E.pow_for(other, self), other)

    def __neg__(self) -> Value:
        return self._unary(E.NEG)

    def __abs__(self) -> Value:
        return self._unary(E.ABS)

    # -- functions --
    def exp(self) -> Value:
        """e ** self"""
        return self._unary(E.EXP)

    def log(self) -> Value:
        """Natural log: -inf at 0, nan below 0."""
        return self._unary(E.LOG)

    def sqrt(self) -> Value:
        """Square root: nan below 0."""
        return self._unary(E.SQRT)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return self._unary(E.TANH)

    def sigmoid(self) -> Value:
        """Logistic function 1 / (1 + e ** -x)."""
        return self._unary(E.SIGMOID)

    def relu(self) -> Value:
        """max(x, 0)"""
        return self._unary(E.RELU)

    def abs(self) -> Value:
        """|x|"""
        return self._unary(E.ABS)

    def sin(self) -> Value:
        """Sine."""
        return self._unary(E.SIN)

    def cos(self) -> Value:
        """Cosine."""
        return self._unary(E.COS)

    def log1p(self) -> Value:
        """log(1 + x), accurate for small x: -inf at -1, nan below."""
        return self._unary(E.LOG1P)

    def erf(self) -> Value:
        """The error function (the Gaussian's cumulative integral, scaled to [-1, 1])."""
        return self._unary(E.ERF)

    # -- comparisons look at the numbers; hashing stays by identity, so sets of nodes work --
    __hash__ = Node.__hash__

    def __eq__(self, other: object) -> bool:
        return self.data == _data_of(other)

    def __ne__(self, other: object) -> bool:
        return self.data != _data_of(other)

    def __lt__(self, other: Any) -> bool:
        return self.data < _data_of(other)

    def __le__(self, other: Any) -> bool:
        return self.data <= _data_of(other)

    def __gt__(self, other: Any) -> bool:
        return self.data > _data_of(other)

    def __ge__(self, other: Any) -> bool:
        return self.data >= _data_of(other)

    # -- conversions --
    def __float__(self) -> float:
        return self.data

    def __bool__(self) -> bool:
        return bool(self.data)

    def item(self) -> float:
        """The number, as a Python float."""
        return self.data

    def detach(self) -> Value:
        """A new leaf with the same number and no history (and no grad)."""
        return Value(self.data, self.label, requires_grad=False)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={_fmt(self.grad)}{label})"


def _data_of(x: Any) -> Any:
    return x.data if isinstance(x, Value) else x


def _fmt(g: Any) -> str:
    return f"{g:.6g}" if isinstance(g, float) else repr(g)


# ----------------------------------------------------------------------------- n-ary ops
class Sum(Function):
    """x1 + x2 + ... + xn as one node."""

    name = "sum"

    def forward(self, F: Any, *xs: float) -> float:
        try:
            return math.fsum(xs)
        except (OverflowError, ValueError):  # inf - inf, or a sum past the float range
            return float(sum(xs))  # nan or +-inf, as PyTorch gives

    def backward(self, F: Any, g: Any, out: Any, *xs: Any) -> tuple:
        return (g,) * len(xs)


class Dot(Function):
    """w1*x1 + ... + wn*xn (+ b) as one node: parents are w1..wn, x1..xn (, b)."""

    def __init__(self, bias: bool) -> None:
        self.bias = bias
        self.name = "dot+b" if bias else "dot"

    def forward(self, F: Any, *wxb: float) -> float:
        n = len(wxb) // 2
        return self.weighted_sum(wxb[:n], wxb[n : 2 * n], wxb[-1] if self.bias else 0.0)

    @staticmethod
    def weighted_sum(ws: Iterable[float], xs: Iterable[float], b: float) -> float:
        """sum(w * x) + b on numbers (``dot`` feeds it lazily, without building argument lists)."""
        return float(sum(map(operator.mul, ws, xs))) + b

    def backward(self, F: Any, g: Any, out: Any, *wxb: Any) -> list:
        n = len(wxb) // 2
        ws, xs = wxb[:n], wxb[n : 2 * n]
        grads = [g * x for x in xs] + [g * w for w in ws]
        if self.bias:
            grads.append(g)
        return grads


_SUM, _DOT, _DOT_BIAS = Sum(), Dot(bias=False), Dot(bias=True)


def _lift_all(items: tuple) -> tuple:
    if set(map(type, items)) <= _JUST_VALUE:  # the common case, checked at C speed
        return items
    return tuple(map(_lift, items))


_JUST_VALUE = {Value}
_data = operator.attrgetter("data")


def sum_of(values: Iterable[Any]) -> Value:
    """The sum of many Values (or numbers) as a single graph node: faster than ``sum()``, which
    makes one node per addition, and drawn as one node."""
    items = _lift_all(tuple(values))
    return Value._result(_SUM.forward(FloatMath, *map(_data, items)), _SUM, items)


def dot(ws: Iterable[Any], xs: Iterable[Any], bias: Any = None) -> Value:
    """sum(w * x) (+ bias) over two equally long sequences of Values or numbers, as one graph
    node: a neuron's weighted sum, fast to compute and easy to read in a drawing."""
    ws, xs = tuple(ws), tuple(xs)
    n = len(ws)
    if n != len(xs):
        raise ValueError(f"dot(): {n} weights but {len(xs)} inputs")
    fn = _DOT if bias is None else _DOT_BIAS
    parents = _lift_all(ws + xs if bias is None else ws + xs + (bias,))
    b = parents[-1].data if bias is not None else 0.0
    data = fn.weighted_sum(map(_data, parents[:n]), map(_data, parents[n : 2 * n]), b)
    return Value._result(data, fn, parents)
