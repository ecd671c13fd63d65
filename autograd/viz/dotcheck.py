"""What a drawing needs from Graphviz's ``dot`` program: :class:`Drawing` (a ``graphviz.Digraph``
that says what to install when ``dot`` is missing), :func:`check_graphviz` and the error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import graphviz

INSTALL_HINT = (
    "Graphviz's `dot` program was not found on PATH, and rendering a drawing needs it (the "
    "`graphviz` Python package only writes DOT text). Install the system package graphviz: "
    "`sudo apt-get install graphviz` (Debian/Ubuntu), `sudo dnf install graphviz` (Fedora), "
    "`brew install graphviz` (macOS) or `conda install graphviz`. Without it, the drawing's DOT "
    "text is still available as `.source`."
)

class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Raised when a drawing is rendered but Graphviz's ``dot`` program is not installed.

    A subclass of ``graphviz.ExecutableNotFound`` (and so of ``RuntimeError``), with a message
    saying which system package to install.
    """

    def __init__(self, message: str = INSTALL_HINT) -> None:
        RuntimeError.__init__(self, message)


class Drawing(graphviz.Digraph):
    """The ``graphviz.Digraph`` returned by :func:`draw_dot`: rendering it (``render``, ``pipe``,
    ``view`` or Jupyter's inline display) raises :class:`GraphvizNotFoundError` with install
    instructions when the ``dot`` program is missing."""

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        """Graphviz's ``pipe``: the rendered bytes (or text, given ``encoding``)."""
        with _dot_needed():
            return super().pipe(*args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> str:
        """Graphviz's ``render``: write the source and the rendered file; returns its path."""
        with _dot_needed():
            return super().render(*args, **kwargs)


def check_graphviz() -> tuple:
    """Return the installed Graphviz version, e.g. ``(2, 43, 0)``; raise
    :class:`GraphvizNotFoundError` (saying what to install) if the ``dot`` program is missing."""
    with _dot_needed():
        return graphviz.version()


@contextmanager
def _dot_needed() -> Iterator[None]:
    """Turn graphviz's missing-``dot`` error into :class:`GraphvizNotFoundError`."""
    try:
        yield
    except GraphvizNotFoundError:
        raise
    except graphviz.ExecutableNotFound as exc:
        raise GraphvizNotFoundError() from exc
