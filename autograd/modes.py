"""The modes the core obeys, one set per thread (as in PyTorch): grad mode (``no_grad``,
``enable_grad``, ``is_grad_enabled``), anomaly mode (``detect_anomaly``, which raises
:class:`AnomalyError`) and the node hook forward mode uses (``set_node_hook``). ``Flags`` holds
them; ``Flags.plain`` (grad on, anomaly off, no hook) is the one look the core takes per op.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .core import Node

__all__ = ["AnomalyError", "detect_anomaly", "enable_grad", "is_grad_enabled", "no_grad"]


class AnomalyError(RuntimeError):
    """Raised inside :func:`detect_anomaly` when an op produces nan or inf."""


class _ThreadFlags(threading.local):
    """Grad mode and anomaly mode, one set per thread (as in PyTorch)."""
    grad_enabled, anomaly, plain = True, False, True  # plain: grad on, anomaly off, no hook
    node_hook: Any = None


def _set_flags(grad_enabled: bool, anomaly: bool) -> None:
    Flags.grad_enabled, Flags.anomaly = grad_enabled, anomaly
    Flags.plain = grad_enabled and not anomaly and Flags.node_hook is None


Flags = _ThreadFlags()


class _GradMode(contextlib.ContextDecorator):
    """Context manager and decorator that sets grad mode, restoring the old mode on exit."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.saved: list[bool] = []

    def __enter__(self) -> None:
        self.saved.append(Flags.grad_enabled)
        _set_flags(self.enabled, Flags.anomaly)

    def __exit__(self, *exc: object) -> None:
        _set_flags(self.saved.pop(), Flags.anomaly)


def no_grad() -> _GradMode:
    """Ops inside ``with no_grad():`` (or a function decorated ``@no_grad()``) build no graph."""
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """Turn graph building back on inside a ``no_grad`` block."""
    return _GradMode(True)


def is_grad_enabled() -> bool:
    """True when ops record the graph (the default)."""
    return Flags.grad_enabled


class detect_anomaly:  # noqa: N801 - named like torch.autograd.detect_anomaly
    """Context manager: raise :class:`AnomalyError` at the first op (forward or backward) whose
    result has a nan or an inf."""

    def __enter__(self) -> detect_anomaly:
        self.saved = Flags.anomaly
        _set_flags(Flags.grad_enabled, True)
        return self

    def __exit__(self, *exc: object) -> None:
        _set_flags(Flags.grad_enabled, self.saved)


def set_node_hook(hook: Callable[[Node], None] | None) -> Callable[[Node], None] | None:
    """Call ``hook(node)`` (in this thread) for every node an op makes that requires grad, right
    after it is made (its ``_fn`` and ``_parents`` set); ``None`` removes it. Returns the hook
    it replaces. Forward mode's tangents are computed so; no other code needs it."""
    old, Flags.node_hook = Flags.node_hook, hook
    _set_flags(Flags.grad_enabled, Flags.anomaly)
    return old
