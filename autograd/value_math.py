"""The math namespaces of the ``Value`` engine: ``FloatMath`` for the first-order fast path (plain
floats, with PyTorch's domain behaviour) and ``ValueMath`` (the same functions on ``Value`` nodes,
used when ``create_graph=True``). The derivative rules call ``F.exp``, ``F.log``, ... on one of
them, so one rule serves both."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .value import Value

__all__: list[str] = []


class FloatMath:
    """Math on plain floats for the first-order fast path, with PyTorch's domain behaviour:
    ``log(0) = -inf``, ``log(-1) = nan``, ``1 / 0 = inf``, overflow gives ``inf``; never an
    exception from ``math``."""

    @staticmethod
    def exp(a: float) -> float:
        try:
            return math.exp(a)
        except OverflowError:
            return math.inf

    @staticmethod
    def log(a: float) -> float:
        if a > 0:
            return math.log(a)
        return -math.inf if a == 0 else math.nan

    @staticmethod
    def sqrt(a: float) -> float:
        return math.sqrt(a) if a >= 0 else math.nan

    @staticmethod
    def div(a: float, b: float) -> float:
        try:
            return a / b
        except ZeroDivisionError:
            if a == 0 or a != a:
                return math.nan
            return math.copysign(math.inf, a) * math.copysign(1.0, b)

    @staticmethod
    def pow(a: float, b: float) -> float:
        try:
            result = a**b
        except (ZeroDivisionError, OverflowError):  # 0 ** -n, or too large: inf, signed as IEEE
            odd = float(b).is_integer() and int(b) % 2 == 1
            return math.copysign(math.inf, a) if odd else math.inf
        return math.nan if type(result) is complex else result

    @staticmethod
    def tanh(a: float) -> float:
        return math.tanh(a)

    @staticmethod
    def sigmoid(a: float) -> float:
        if a >= 0:
            return 1.0 / (1.0 + math.exp(-a))
        if a != a:  # nan stays nan
            return a
        e = math.exp(a) if a > -745.0 else 0.0
        return e / (1.0 + e)

    @staticmethod
    def relu(a: float) -> float:
        return a if (a > 0 or a != a) else 0.0

    @staticmethod
    def abs(a: float) -> float:
        return abs(a)

    @staticmethod
    def sign(a: float) -> float:
        return float((a > 0) - (a < 0))

    @staticmethod
    def where(condition: bool, a: float, b: float) -> float:
        """``a`` if ``condition`` else ``b``: a masking rule selects, so ``inf`` never meets 0."""
        return a if condition else b

    @staticmethod
    def sin(a: float) -> float:
        return math.sin(a) if math.isfinite(a) else math.nan

    @staticmethod
    def cos(a: float) -> float:
        return math.cos(a) if math.isfinite(a) else math.nan

    @staticmethod
    def log1p(a: float) -> float:
        if a > -1:
            return math.log1p(a)
        return -math.inf if a == -1 else math.nan

    @staticmethod
    def erf(a: float) -> float:
        return math.erf(a)


class ValueMath:
    """The same functions as :class:`FloatMath` on ``Value`` nodes (used by ``create_graph``)."""

    @staticmethod
    def exp(a: Value) -> Value:
        return a.exp()

    @staticmethod
    def log(a: Value) -> Value:
        return a.log()

    @staticmethod
    def sqrt(a: Value) -> Value:
        return a.sqrt()

    @staticmethod
    def div(a: Value, b: Any) -> Value:
        return a / b

    @staticmethod
    def pow(a: Value, b: Any) -> Value:
        return a**b

    @staticmethod
    def tanh(a: Value) -> Value:
        return a.tanh()

    @staticmethod
    def sigmoid(a: Value) -> Value:
        return a.sigmoid()

    @staticmethod
    def relu(a: Value) -> Value:
        return a.relu()

    @staticmethod
    def abs(a: Value) -> Value:
        return abs(a)

    @staticmethod
    def sign(a: Value) -> Value:
        return type(a)(FloatMath.sign(a.data), requires_grad=False)

    @staticmethod
    def where(condition: bool, a: Any, b: Any) -> Value:
        """``a`` if ``condition`` else ``b``, a number picked becoming a constant node."""
        picked, other = (a, b) if condition else (b, a)
        if isinstance(picked, (int, float)):  # a number: a constant of the other's kind
            return type(other)(picked, requires_grad=False)
        return picked

    @staticmethod
    def sin(a: Value) -> Value:
        return a.sin()

    @staticmethod
    def cos(a: Value) -> Value:
        return a.cos()

    @staticmethod
    def log1p(a: Value) -> Value:
        return a.log1p()

    @staticmethod
    def erf(a: Value) -> Value:
        return a.erf()
