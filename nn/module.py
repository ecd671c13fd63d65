"""``Module``: the base of every model, for both engines (parameter discovery, zero_grad)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from autograd import Node


class Module:
    """Base class of models. Parameters are found automatically: every attribute that is a leaf
    node requiring grad, a ``Module``, or a list/tuple of those, in the order they were set.

    Subclasses implement ``forward``; calling the module calls it (micrograd's modules, which
    define ``__call__`` directly, work too).
    """

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of this module."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Node]]:
        """``(dotted name, parameter)`` pairs, each parameter once even when shared."""
        seen: set[int] = set()
        for name, p in _walk(self, prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def parameters(self) -> list[Node]:
        """All trainable parameters, in a fixed order, without duplicates."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Reset every parameter's ``.grad`` (0.0 for a Value, None for a Tensor)."""
        for p in self.parameters():
            p.grad = p._zero_grad


def _walk(obj: Any, prefix: str) -> Iterator[tuple[str, Node]]:
    """Depth-first over a module's attributes, lists and tuples, yielding parameters."""
    stack: list[tuple[str, Any]] = [(prefix, obj)]
    while stack:
        name, item = stack.pop()
        if isinstance(item, Node):
            if item.requires_grad and item.is_leaf:
                yield name, item
            continue
        if isinstance(item, Module):
            children = list(vars(item).items())
        elif isinstance(item, (list, tuple)):
            children = [(str(i), x) for i, x in enumerate(item)]
        else:
            continue
        dot = "." if name else ""
        stack.extend((f"{name}{dot}{key}", child) for key, child in reversed(children))
