"""``Function``: what an op is. A name for display, a forward on raw data, and a local
derivative rule; ``apply`` runs one on nodes and records it in the graph (``graph.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .graph import Node

__all__ = ["Function"]


class Function:
    """An op: a name for display and a local derivative rule.

    Simple ops are shared singletons; an op with parameters (an axis, an exponent, a shape) is an
    instance holding them. Nothing here points back at a node, so graphs form no reference cycles.
    """

    name = "?"
    # True when backward always returns each input's gradient in exactly that input's shape (as
    # arrays or nodes), so the core can skip undoing broadcasting: a fast path for tensor ops.
    shapes_exact = False

    def forward(self, F: Any, *data: Any) -> Any:
        """Compute the result from the inputs' raw data (elementwise and custom ops; the tensor
        engine's own ops take their arrays and parameters directly)."""
        raise NotImplementedError

    def backward(self, F: Any, g: Any, out: Any, *inputs: Any) -> Sequence[Any]:
        """Return one gradient per input: d(root)/d(input) = g * d(out)/d(input)."""
        raise NotImplementedError

    def apply(self, *inputs: Any) -> Node:
        """Run this op on ``inputs`` and record it in the graph: the public way to add an op.

        A subclass defines ``forward(self, F, *data)`` on raw numbers/arrays and
        ``backward(self, F, g, out, *inputs)`` as the built-in ops do (``F`` is the engine's math
        namespace: ``F.exp``, ``F.log``, ...). Plain numbers and arrays among ``inputs`` are
        constants; the node kind (Value or Tensor) is that of the node inputs.
        """
        kinds = {type(x) for x in inputs if isinstance(x, Node)}
        if len(kinds) != 1:
            found = ", ".join(sorted(k.__name__ for k in kinds)) or "none"
            raise TypeError(
                f"{type(self).__name__}.apply() needs Value inputs or Tensor inputs (plus "
                f"constants), got node kinds: {found}"
            )
        like = next(x for x in inputs if isinstance(x, Node))
        nodes = tuple(x if isinstance(x, Node) else like._coerce(x) for x in inputs)
        kind = type(like)
        data = self.forward(kind._raw_math, *[x.data for x in nodes])
        return kind._result(kind._from_forward(data), self, nodes)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
