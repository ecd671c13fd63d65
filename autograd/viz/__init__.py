"""The teaching layer: pictures and step-by-step records of the graph, on top of the engine.

``draw.py`` (``draw_dot``: the graph as graphviz), ``names.py`` (node names and the text of an
op's inputs and local derivatives), ``groups.py`` (``expand`` / ``collapse``: a neuron or a
module drawn as one box), ``steps.py`` (``backward_steps``: the backward pass one node at a
time, with its arithmetic) and ``stepper.py`` (``step_through`` in a notebook,
``save_steps_html`` as a page). The engine never imports this package.
"""

from . import draw, groups, names, stepper, steps  # noqa: F401  (its modules, for type checkers)
from .draw import *  # noqa: F403
from .stepper import *  # noqa: F403
from .steps import *  # noqa: F403

__all__ = [
    "as_latex", "backward_steps", "BackwardStep", "BackwardSteps", "check_graphviz", "draw_dot",
    "GraphvizNotFoundError", "node_names", "save_steps_html", "step_through",
]
