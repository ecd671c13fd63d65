"""A live playground (TensorFlow Playground on chainrule): train a small network on 2-D data
and watch its decision boundary, its losses and every neuron change, in a notebook
(``nn.playground()``) or as a local web app (``python -m nn.playground [--port PORT]``).

``config`` holds the :class:`Setup` and its copy-paste string, ``model`` the data, features,
network and training (:class:`Trainer`, no widgets), ``draw`` the SVG pictures, ``app`` the
ipywidgets app and ``__main__`` the Voila server. ``nn.playground`` is the function below (it
shadows this package as an attribute of ``nn``; import the modules as
``nn.playground.config`` and so on, which goes through ``sys.modules``).
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from .config import Setup, SetupError

if TYPE_CHECKING:
    from .app import Playground

__all__ = ["Setup", "SetupError", "playground"]


def playground(setup: Setup | str | None = None, interval: float = 0.05) -> Playground:
    """The playground app for ``setup`` (a :class:`Setup`, its string such as
    ``'data=spirals&layers=8,8&lr=0.03'``, or None for the defaults), to display in a notebook.

    Press Play to train; the Setup box shows the whole setup as a string to copy and paste back
    (``nn.playground(setup="...")``). The returned object is also a handle for code:
    ``app.model``, ``app.history``, ``app.step(n)`` (n epochs, then a redraw), ``app.load(text)``
    and ``app.message``. A bad ``setup`` raises :class:`SetupError` naming the field. Needs
    ipywidgets (``pip install chainrule[playground]``).
    """
    if importlib.util.find_spec("ipywidgets") is None:
        raise ImportError(
            "nn.playground needs ipywidgets: pip install ipywidgets (or chainrule[playground])"
        )
    from .app import Playground

    return Playground(setup, interval=interval)
