"""The exercises a check can name: each one's rule, what the student passes, and its cases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .report import Trial

__all__ = ["Exercise", "exercise", "run_exercise"]


@dataclass(frozen=True)
class Exercise:
    """One check: ``rule`` (what it tests, named in every failure), ``needs`` (a description of
    each object the student passes) and ``run(trial, *objects)``, which adds the hidden cases."""

    name: str
    rule: str
    needs: tuple[str, ...]
    run: Callable[..., None]
    hints: tuple[tuple[type, str], ...] = ()


def exercise(
    table: dict[str, Exercise], rule: str, needs: tuple[str, ...],
    hints: tuple[tuple[type, str], ...] = (),
) -> Callable[[Callable[..., None]], Callable[..., None]]:  # fmt: skip
    """Decorator: put the cases function ``run(trial, *objects)`` in ``table`` under its name."""

    def register(run: Callable[..., None]) -> Callable[..., None]:
        table[run.__name__] = Exercise(run.__name__, rule, needs, run, hints)
        return run

    return register


def run_exercise(ex: Exercise, objects: tuple[Any, ...]) -> Trial:
    """The cases of ``ex`` on the student's ``objects``, in a fresh :class:`Trial`."""
    trial = Trial(ex.name, ex.rule, dict(ex.hints))
    ex.run(trial, *objects)
    return trial
