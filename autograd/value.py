"""``Value``: a scalar node of the computation graph (micrograd's engine, kept fast and safe).

Here: ``Value`` (creation, its graph hooks, comparisons, conversions) and the n-ary ops that are
``Value``'s own, ``sum_of`` and ``dot``, with their rules. Arithmetic and the elementwise
functions (``+``, ``*``, ``exp``, ``tanh``, ...) come from ``ops.py``, shared with ``Tensor``.
Numbers mixed into an op stay numbers: they are the op's constant inputs, not nodes.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterable
from typing import Any, Union

import numpy as np

from . import ops
from .core import Function, Node
from .math import FloatMath
from .modes import Flags

__all__ = ["Value", "dot", "sum_of"]

Number = Union[int, float, bool, np.number]


_REAL_TYPES = (int, float, np.floating, np.integer, np.bool_, numbers.Real)
_make = Node.__dict__["_make"].__func__  # Node._make without binding it at each op (measured)


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


def _constants(items: tuple, what: str = "a Value op") -> tuple:
    """``items`` with every number made a float (a Value stays as it is)."""
    return tuple(x if isinstance(x, Value) else _to_float(x, what) for x in items)


def _refuse_other_nodes(fn: Function, inputs: tuple) -> None:
    kinds = {type(x).__name__ for x in inputs if isinstance(x, Node)}
    if any(isinstance(x, Node) and not isinstance(x, Value) for x in inputs):
        raise TypeError(
            f"{fn.name!r}: Values and Tensors do not mix in one op, got "
            f"{' and '.join(sorted(kinds))}"
        )


class Value(ops.Operators):
    """A float in a computation graph.

    ``Value(data, label='', requires_grad=True)``: ``.data`` is the number, ``.grad`` is
    d(root)/d(this) after ``root.backward()`` (0.0 before, for a leaf; it accumulates over repeated
    backward calls, so reset it between steps), ``.label`` names it in drawings. ``.op`` and
    ``.parents`` (micrograd: ``._op``, ``._prev``) show how it was made. Comparisons compare
    ``.data``.
    """

    __slots__ = ()
    _math = FloatMath
    __array_ufunc__ = None  # numpy scalars defer to our reflected ops: np.float64(2) * v is a Value

    def __init__(self, data: Number, label: str = "", requires_grad: bool = True) -> None:
        self.data = _to_float(data, "Value()")
        if type(label) is not str or (requires_grad is not True and requires_grad is not False):
            requires_grad = _leaf_flag("Value()", label, requires_grad)
        self.grad = 0.0
        self._label = label  # checked above (the label property would check again)
        self.requires_grad = requires_grad
        self._parents = ()
        self._fn = None
        self._version = 0

    # -- the hooks of the graph core (core.py) --
    @staticmethod
    def _apply(fn: Function, inputs: tuple) -> Value:
        """Run ``fn`` on ``inputs`` (Values and numbers) and record the result."""
        a = inputs[0]
        if type(a) is Value and len(inputs) == 1:  # the common cases first, without a loop
            out = fn.forward(FloatMath, a.data)
            if type(out) is float:
                return _make(Value, out, fn, inputs, a.requires_grad)
        elif len(inputs) == 2 and type(a) is Value and type(inputs[1]) in _FLOAT_OR_VALUE:
            b = inputs[1]
            if type(b) is Value:
                out = fn.forward(FloatMath, a.data, b.data)
                track = a.requires_grad or b.requires_grad
            else:
                out, track = fn.forward(FloatMath, a.data, b), a.requires_grad
            if type(out) is float:
                return _make(Value, out, fn, inputs, track)
        elif len(inputs) > 2 and set(map(type, inputs)) <= _JUST_VALUE:  # sum_of, dot: C speed
            out = fn.forward(FloatMath, *map(_data, inputs))
            return _make(Value, out, fn, inputs, any(map(_requires, inputs)))
        data, track = [], False
        for x in inputs:
            if type(x) is Value:
                data.append(x.data)
                track = track or x.requires_grad
            elif type(x) is not float:  # an int, a NumPy scalar, a Value subclass: convert
                _refuse_other_nodes(fn, inputs)
                inputs = _constants(inputs, f"an input of the {fn.name!r} op")
                data = [x.data if isinstance(x, Value) else x for x in inputs]
                track = any(isinstance(x, Value) and x.requires_grad for x in inputs)
                break
            else:
                data.append(x)
        out = fn.forward(FloatMath, *data)
        if type(out) is not float:
            out = _to_float(out, f"the forward of op {fn.name!r}")
        return _make(Value, out, fn, inputs, track)

    def _seed(self, grad: Any) -> Any:
        if grad is None:
            return 1.0
        return grad if isinstance(grad, Value) else _to_float(grad, "backward(grad)")

    @staticmethod
    def _accumulate(parents: tuple, grads: Any, g: Any) -> None:
        i = 0  # an index, not zip(): measured twice as fast for an op's one or two inputs
        for p in parents:
            c = grads[i]
            i += 1
            if c is not None and type(p) is not float and p.requires_grad:
                old = p.grad
                p.grad = c if old is None else old + c

    def zero_grad(self) -> None:
        """Reset ``.grad`` to 0.0 (what ``nn``'s ``zero_grad()`` does to each parameter)."""
        self.grad = 0.0

    @property
    def _prev(self) -> set:
        """micrograd's name for the inputs (a set), constants as constant Values as in
        micrograd (made afresh at each call)."""
        return {
            p if isinstance(p, Node) else Value(p, requires_grad=False) for p in self._parents or ()
        }

    @property
    def _op(self) -> str:
        """micrograd's name for :attr:`op` (``**2`` for a constant exponent, as micrograd)."""
        parents = self._parents or ()
        if self.op == "**" and len(parents) == 2 and type(parents[1]) is float:
            return f"**{parents[1]:g}"
        return self.op

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
    """w1*x1 + ... + wn*xn (+ b) as one node: its inputs are w1..wn, x1..xn (, b)."""

    def __init__(self, bias: bool, all_values: bool = False) -> None:
        self.bias = bias
        self.all_values = all_values  # every input has .data and .requires_grad: no constants
        self.name = "dot+b" if bias else "dot"

    def forward(self, F: Any, *wxb: float) -> float:
        n, total = len(wxb) // 2, 0.0
        for w, x in zip(wxb[:n], wxb[n : 2 * n]):  # the order and rounding of dot()'s loop
            total += w * x
        return float(total) + (wxb[-1] if self.bias else 0.0)

    def chain(self, node: Node, create_graph: bool) -> Any:
        """The rule below and the accumulation in one loop, on a first-order pass whose inputs
        are all Values (measured: the n-ary node is where a network spends its backward pass);
        otherwise the general chain rule. Either way it returns the shares it added."""
        parents = node._parents
        if create_graph or not self.all_values or Flags.anomaly:
            return super().chain(node, create_graph)
        g, n = node.grad, len(parents) // 2
        shares: list[Any] = [None] * len(parents)
        for i in range(n):  # indexing, not zip() of two slices (measured faster)
            w, x = parents[i], parents[n + i]
            if w.requires_grad:
                c = shares[i] = g * x.data
                old = w.grad
                w.grad = c if old is None else old + c
            if x.requires_grad:
                c = shares[n + i] = g * w.data
                old = x.grad
                x.grad = c if old is None else old + c
        if self.bias and parents[-1].requires_grad:
            b = parents[-1]
            shares[-1] = g
            b.grad = g if b.grad is None else b.grad + g
        return shares

    def backward(self, F: Any, g: Any, out: Any, *wxb: Any) -> list:
        n = len(wxb) // 2
        grads = [g * x for x in wxb[n : 2 * n]]
        grads += [g * w for w in wxb[:n]]
        if self.bias:
            grads.append(g)
        return grads


_SUM, _DOT, _DOT_BIAS = Sum(), Dot(bias=False), Dot(bias=True)
_DOT_VALUES = {False: Dot(bias=False, all_values=True), True: Dot(bias=True, all_values=True)}
_JUST_VALUE = {Value}
_FLOAT_OR_VALUE = {float, Value}
_data = operator.attrgetter("data")
_requires = operator.attrgetter("requires_grad")


def sum_of(values: Iterable[Any]) -> Value:
    """The sum of many Values (or numbers) as a single graph node: faster than ``sum()``, which
    makes one node per addition, and drawn as one node."""
    return Value._apply(_SUM, tuple(values))


def dot(ws: Iterable[Any], xs: Iterable[Any], bias: Any = None) -> Value:
    """sum(w * x) (+ bias) over two equally long sequences of Values or numbers, as one graph
    node: a neuron's weighted sum, fast to compute and easy to read in a drawing."""
    if not isinstance(ws, (list, tuple)) or not isinstance(xs, (list, tuple)):
        ws, xs = tuple(ws), tuple(xs)
    if len(ws) != len(xs):
        raise ValueError(f"dot(): {len(ws)} weights but {len(xs)} inputs")
    fn, items = (_DOT, (*ws, *xs)) if bias is None else (_DOT_BIAS, (*ws, *xs, bias))
    data = 0.0
    try:  # all Values (the common case); a plain indexed loop is the fastest form (measured)
        for i in range(len(ws)):
            data += ws[i].data * xs[i].data
        if bias is not None:
            data += bias.data
        track = any(map(_requires, items))
    except (AttributeError, TypeError):  # numbers among them: constants, the general path
        return Value._apply(fn, items)
    if type(data) is not float:  # something else with a .data (a Tensor's): refused there
        return Value._apply(fn, items)
    # The one node made outside _apply, for speed: the sum above is dot's forward, fused with
    # the inputs' checks (measured: 1.5x faster than _apply's map over the inputs).
    return _make(Value, data, _DOT_VALUES[bias is not None], items, track)

