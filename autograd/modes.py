"""Grad mode (``no_grad``, ``enable_grad``) and anomaly detection: the switches the graph core
reads while it records and walks graphs, and the anomaly checks it calls when asked."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "AnomalyError",
    "detect_anomaly",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
]


class AnomalyError(RuntimeError):
    """Raised inside :func:`detect_anomaly` when an op produces nan or inf."""


class _ThreadFlags(threading.local):
    """The switches, one set per thread (as in PyTorch): a ``no_grad()`` block in one thread does
    not stop graph building in another. The class attributes are each new thread's defaults."""

    grad_enabled = True
    anomaly = False


_Flags = _ThreadFlags()


class _GradModeGuard:
    """Context manager and decorator that sets grad mode, restoring the old mode on exit."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._saved: list[bool] = []

    def __enter__(self) -> None:
        self._saved.append(_Flags.grad_enabled)
        _Flags.grad_enabled = self._enabled

    def __exit__(self, *exc: object) -> None:
        _Flags.grad_enabled = self._saved.pop()

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _GradModeGuard(self._enabled):
                return func(*args, **kwargs)

        return wrapper


def no_grad() -> _GradModeGuard:
    """Ops inside ``with no_grad():`` (or a function decorated ``@no_grad()``) build no graph."""
    return _GradModeGuard(False)


def enable_grad() -> _GradModeGuard:
    """Turn graph building back on inside a ``no_grad`` block."""
    return _GradModeGuard(True)


def is_grad_enabled() -> bool:
    """True when ops record the graph (the default)."""
    return _Flags.grad_enabled


class detect_anomaly:  # noqa: N801 - named like torch.autograd.detect_anomaly
    """Context manager: raise :class:`AnomalyError` at the first op, forward or backward, whose
    result contains nan or inf, naming the op and its inputs."""

    def __enter__(self) -> detect_anomaly:
        self._saved = _Flags.anomaly
        _Flags.anomaly = True
        return self

    def __exit__(self, *exc: object) -> None:
        _Flags.anomaly = self._saved


def raise_forward_anomaly(fn: Any, data: Any, parents: Sequence[Any]) -> None:
    """Raise :class:`AnomalyError` for an op whose output ``data`` is not finite."""
    inputs = ", ".join(_short(p.data) for p in parents)
    raise AnomalyError(f"op {fn.name!r} produced {_short(data)} from inputs {inputs}")


def check_backward_anomaly(fn: Any, contributions: Sequence[Any], parents: Sequence[Any]) -> None:
    """Raise :class:`AnomalyError` if the gradient an op sends to an input is not finite."""
    for parent, c in zip(parents, contributions):
        if c is None or not parent.requires_grad:
            continue
        kind = type(parent)
        data = c.data if isinstance(c, kind) else c
        if not kind._is_finite(data):
            raise AnomalyError(
                f"backward of op {fn.name!r} produced {_short(data)} as the gradient of its "
                f"input {_short(parent.data)}"
            )


def _short(data: Any) -> str:
    text = repr(data)
    return text if len(text) <= 80 else text[:77] + "..."
