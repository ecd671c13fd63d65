"""The teaching layer: pictures and step-by-step records of the graph, on top of the engine.

``draw.py`` (``draw_dot``: the graph as graphviz), ``names.py`` (node names and the text of an
op's inputs and local derivatives), ``groups.py`` (``expand`` / ``collapse``: a neuron or a
module drawn as one box), ``steps.py`` (``backward_steps``: the backward pass one node at a
time, with its arithmetic and the gradients as of each step), ``stepper.py`` (``step_through``
in a notebook, ``save_steps_html`` as a page), ``formula.py`` (``formula``: the graph as a
nested function, typeset, each op written by ``expr.py`` as TeX and text), ``page.py`` (that
page: one drawing and a state per step), ``pagescript.py`` (its script: stepping, pan and zoom,
also used by the docs site) and ``dotcheck.py`` (what to install when Graphviz's ``dot`` is
missing). The engine never imports this package.
"""

from . import draw, groups, names, stepper, steps  # noqa: F401  (its modules, for type checkers)
from .draw import *  # noqa: F403
from .formula import Formula, formula  # the function shadows its module's name here
from .stepper import *  # noqa: F403
from .steps import *  # noqa: F403

__all__ = [
    "as_latex", "backward_steps", "BackwardStep", "BackwardSteps", "check_graphviz", "draw_dot",
    "Formula", "formula", "GraphvizNotFoundError", "node_names", "save_steps_html",
    "step_through",
]
