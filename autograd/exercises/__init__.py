"""Graded exercises: the checks the notebooks in ``notebooks/exercises/`` call.

``check(name, *objects)`` runs the hidden cases of one exercise on the student's code (a
class or a function) and prints each failure, with its inputs, the expected and the received
value, then the line ``N of M checks passed``. A wrong answer, or an exception in the student's
code, is a reported failure naming the rule, never an exception; the :class:`Result` it returns
is true when every case passed. ``names()`` lists the checks.

One module per notebook: ``derivatives.py`` (1: by hand and by finite differences),
``micro.py`` (2: a tiny ``Value``, and ``MicroValue``, its answer), ``walk.py`` (3: the
topological order and ``backward``), ``mlp.py`` (4: neuron, layer, MLP, a training step),
``functions.py`` (5: a new op as a ``Function``), ``tensors.py`` (6: broadcasting); and
``report.py`` (the cases and their report), ``registry.py`` (the table of checks).
"""

from __future__ import annotations

import random
from typing import Any

from . import derivatives, functions, micro, mlp, tensors, walk
from .micro import MicroValue
from .registry import Exercise, run_exercise
from .report import Failure, Result

__all__ = ["Failure", "MicroValue", "Result", "check", "names"]

EXERCISES: dict[str, Exercise] = {}
for _group in (derivatives, micro, walk, mlp, functions, tensors):
    EXERCISES.update(_group.EXERCISES)

def names() -> list[str]:
    """The name of every check, in the notebooks' order."""
    return list(EXERCISES)


def check(name: str, *objects: Any, quiet: bool = False) -> Result:
    """Run the hidden cases of check ``name`` on the student's ``objects`` (what the exercise
    asks for: a class or a function), print the report unless ``quiet``, return the
    :class:`Result`. An unknown name, or the wrong number of objects, is a ``ValueError``
    saying what the check takes; a wrong answer never raises."""
    if name not in EXERCISES:
        raise ValueError(f"no exercise named {name!r}; the checks are: {', '.join(EXERCISES)}")
    ex = EXERCISES[name]
    if len(objects) != len(ex.needs):
        raise ValueError(f"check({name!r}, ...) takes {len(ex.needs)} object(s): "
                         f"{'; '.join(ex.needs)}; got {len(objects)}")
    state = random.getstate()  # the cases draw from Python's random: the student's is kept
    try:
        result = run_exercise(ex, objects).result
    finally:
        random.setstate(state)
    if not quiet:
        print(result.report())
    return result
