"""What a check reports: each case's inputs, the expected and the received value, and the tally.

A :class:`Trial` runs the cases of one exercise. Each case calls the student's code inside
``Trial.expect``: an exception there (the blank ``raise NotImplementedError`` included) is a
failed case naming the rule, never an exception at the student. :class:`Result` is what
``exercises.check`` returns: ``passed`` of ``total``, and the :class:`Failure` of each case.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Failure", "Result", "Trial", "close", "show"]

HERE = Path(__file__).resolve().parent
SHOWN = 6  # failures printed in full; the rest are counted


@dataclass(frozen=True)
class Failure:
    """One failed case: the rule it checks, the case, its inputs, the expected and received."""

    rule: str
    case: str
    inputs: str
    expected: str
    received: str

    def __str__(self) -> str:
        return (f"FAILED [{self.rule}] {self.case}\n    inputs:   {self.inputs}\n"
                f"    expected: {self.expected}\n    received: {self.received}")


@dataclass
class Result:
    """The outcome of one check: ``passed`` of ``total`` cases, a :class:`Failure` per miss.

    True (``bool(result)``) when every case passed."""

    name: str
    rule: str = ""
    passed: int = 0
    total: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def all_passed(self) -> bool:
        """True when there were cases and every one passed."""
        return self.total > 0 and self.passed == self.total

    def __bool__(self) -> bool:
        return self.all_passed

    def summary(self) -> str:
        """The last line a check prints: ``N of M checks passed``."""
        return f"{self.passed} of {self.total} checks passed"

    def report(self) -> str:
        """The whole report: a heading, each failure (the first few in full), the tally."""
        lines = [f"Checking {self.name}: {self.rule}"]
        shown, same = 0, 0
        for k, failure in enumerate(self.failures):
            before = self.failures[k - 1].received if k else None
            if failure.received == before and not failure.received[:1].isdigit():
                same += 1  # the same exception again: said once
            elif shown < SHOWN:
                lines.append(str(failure))
                shown += 1
        if same:
            lines.append(f"... {same} more cases failed the same way")
        if len(self.failures) - same > shown:
            lines.append(f"... and {len(self.failures) - same - shown} more failed cases")
        if self.all_passed:
            lines.append("All cases pass. Well done!")
        lines.append(self.summary())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Result {self.name!r}: {self.summary()}>"


def show(x: Any) -> str:
    """``x`` for a report: numbers to 6 significant digits, sequences and arrays element-wise."""
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return repr(x)
    if isinstance(x, (int, float, np.floating, np.integer)):
        return f"{float(x):.6g}"
    if isinstance(x, np.ndarray):
        return np.array2string(x, precision=6, threshold=12) + f" (shape {x.shape})"
    if isinstance(x, (list, tuple)):
        inner = ", ".join(show(v) for v in x[:12]) + (", ..." if len(x) > 12 else "")
        return f"[{inner}]" if isinstance(x, list) else f"({inner}{',' if len(x) == 1 else ''})"
    if hasattr(x, "data") and not callable(x.data):
        return f"{type(x).__name__}(data={show(x.data)})"
    return repr(x)[:100]


def close(expected: Any, received: Any, tol: float) -> str | None:
    """``None`` when ``received`` matches ``expected`` (numbers within ``tol``, relative above
    1 and absolute below; sequences element by element; arrays of the same shape); else why not."""
    if received is None and expected is not None:
        return "None: the function returns nothing (a missing `return`?)"
    if isinstance(expected, (list, tuple)):
        if not isinstance(received, (list, tuple, np.ndarray)):
            return f"a {type(received).__name__}, not a sequence of {len(expected)}"
        if len(received) != len(expected):
            return f"{len(received)} values instead of {len(expected)}"
        for k, (e, r) in enumerate(zip(expected, received)):
            if (why := close(e, r, tol)) is not None:
                return f"item {k}: {why}"
        return None
    if isinstance(expected, np.ndarray):
        try:
            got = np.asarray(getattr(received, "data", received), dtype=np.float64)
        except (TypeError, ValueError):
            return f"a {type(received).__name__}, not an array of numbers"
        if got.shape != expected.shape:
            return f"shape {got.shape} instead of {expected.shape}"
        if np.allclose(got, expected, rtol=tol, atol=tol, equal_nan=True):
            return None
        worst = np.unravel_index(int(np.argmax(np.abs(got - expected))), got.shape)
        return f"element {tuple(map(int, worst))} is off by {abs(got - expected)[worst]:.3g}"
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        number: Any = getattr(received, "data", received)
        try:
            value = float(number)
        except (TypeError, ValueError):
            return f"a {type(received).__name__}, not a number"
        if np.isnan(expected) and np.isnan(value):
            return None
        if abs(value - expected) <= tol * max(1.0, abs(expected)):
            return None
        return f"off by {abs(value - expected):.3g}"
    return None if received == expected else "not what was expected"


def _where(error: BaseException) -> str:
    """The innermost line of the student's code (not the grader's) that raised ``error``."""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not Path(f.filename).resolve().is_relative_to(HERE)]
    if not frames:
        return ""
    frame = frames[-1]
    return f" at `{(frame.line or '').strip()}`"


class Trial:
    """The cases of one check, run one by one into a :class:`Result`."""

    def __init__(self, name: str, rule: str, hints: dict[type, str] | None = None) -> None:
        self.result = Result(name, rule)
        self.hints = hints or {}

    def expect(
        self, case: str, inputs: str, expected: Any, received: Callable[[], Any],
        tol: float = 1e-6, judge: Callable[[Any, Any, float], str | None] = close,
        expected_text: str | None = None, show_got: bool = True,
    ) -> bool:  # fmt: skip
        """One case: call ``received()`` (the student's code), compare it with ``expected`` by
        ``judge`` (``None``: a match, else a reason), record the outcome; True if it passed."""
        self.result.total += 1
        try:
            got = received()
        except NotImplementedError:
            text = "NotImplementedError: this blank is not filled in yet (# YOUR CODE HERE)"
        except RecursionError:
            text = "RecursionError: maximum recursion depth exceeded (the graph is too deep " \
                   "for a recursion: walk it with a stack of your own)"
        except Exception as error:  # the student's bug, reported, never raised at them
            text = f"raised {type(error).__name__}: {error}{_where(error)}"
            for kind, hint in self.hints.items():
                if isinstance(error, kind):
                    text += f"\n              hint: {hint}"
        else:
            try:
                why = judge(expected, got, tol)
            except Exception as error:  # an answer of a shape no judge foresaw
                why = f"cannot be compared with the expected value ({type(error).__name__}: "
                why += f"{error})"
            if why is None:
                self.result.passed += 1
                return True
            text = f"{show(got)}: {why}" if show_got else why
        want = expected_text if expected_text is not None else show(expected)
        self.result.failures.append(Failure(self.result.name, case, inputs, want, text))
        return False

    def skip(self, case: str, inputs: str, expected_text: str, reason: str) -> None:
        """A case not run (it would not end, or means nothing, until earlier ones pass): a
        failure saying why."""
        self.result.total += 1
        self.result.failures.append(
            Failure(self.result.name, case, inputs, expected_text, "not run: " + reason))
