"""The graded exercises (``notebooks/exercises/``) and their grader (``autograd.exercises``).

Each solution notebook runs in a real kernel with every check passed; each student notebook
(blanks unfilled) runs to its end, its checks reporting failures instead of crashing; planted
wrong answers (tanh's derivative as ``1 - out``, a forward difference, a recursion on a deep
graph, a step that forgets to zero the gradients, a rule written with ``math``) are caught
with a message naming the rule; and the committed notebooks are what ``make exercises``
writes from their sources.
"""

from __future__ import annotations

import ast
import importlib.util
import math
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from autograd import Function, Value, exercises

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "notebooks" / "exercises"
SOURCES = sorted((FOLDER / "src").glob("*.py"))
TALLY = re.compile(r"^(\d+) of (\d+) checks passed$", re.M)


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKE = _load("make_exercises", ROOT / ".ci" / "make_exercises.py")


def execute(path: Path) -> str:
    """Run a notebook in a fresh python3 kernel (this tree's packages first on its path) and
    return everything its cells printed; a cell that raises fails the test."""
    nb = nbformat.read(path, as_version=4)
    env = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = str(ROOT) + (os.pathsep + env if env else "")
    try:
        nbclient.NotebookClient(nb, timeout=60, kernel_name="python3",
                                resources={"metadata": {"path": str(ROOT)}}).execute()
    finally:
        os.environ["PYTHONPATH"] = env
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, f"{path.name}: {errors[0].ename}: {errors[0].evalue}"
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
                   if o.output_type == "stream")


def tallies(text: str) -> list[tuple[int, int]]:
    """Every ``N of M checks passed`` line, as (N, M)."""
    return [(int(n), int(m)) for n, m in TALLY.findall(text)]


def calls(source: Path) -> list[str]:
    """The names of the checks a source calls."""
    return re.findall(r'exercises\.check\("(\w+)"', source.read_text())


# ------------------------------------------------------------------------- the notebooks
def test_at_least_five_exercises_each_with_both_notebooks():
    assert len(SOURCES) >= 5
    assert {p.stem for p in SOURCES} == {p.stem for p in FOLDER.glob("*.ipynb")}
    assert {p.stem for p in SOURCES} == {p.stem for p in (FOLDER / "solutions").glob("*.ipynb")}
    called = [name for s in SOURCES for name in calls(s)]
    assert sorted(called) == sorted(exercises.names()), "every check is called once"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_committed_notebooks_are_what_make_exercises_writes(source, tmp_path):
    student, solution = MAKE.make(source, tmp_path)
    for made, committed in ((student, FOLDER / student.name),
                            (solution, FOLDER / "solutions" / solution.name)):
        assert made.read_text() == committed.read_text(), \
            f"{committed.relative_to(ROOT)} is stale: run `make exercises`"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_the_student_version_has_blanks_and_no_answers(source):
    text = MAKE.student(source.read_text())
    assert "SOLUTION" not in text.replace("solution", "")
    blanks = re.findall(r"^ *# YOUR CODE HERE\n *raise NotImplementedError$", text, re.M)
    assert len(blanks) == source.read_text().count("# BEGIN SOLUTION") > 0
    assert "SOLUTION" not in MAKE.solution(source.read_text())


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_each_solution_notebook_passes_every_check(source):
    out = execute(FOLDER / "solutions" / f"{source.stem}.ipynb")
    counts = tallies(out)
    assert len(counts) == len(calls(source)) > 0, out
    assert all(n == m > 0 for n, m in counts), out
    assert "FAILED" not in out and "Finish" not in out, out


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_each_student_notebook_runs_to_the_end_reporting_failures(source):
    out = execute(FOLDER / f"{source.stem}.ipynb")
    counts = tallies(out)
    assert len(counts) == len(calls(source)) > 0, out
    assert all(n < m for n, m in counts), out
    assert "FAILED [" in out and "this blank is not filled in yet (# YOUR CODE HERE)" in out


# ------------------------------------------------------------------------- planted bugs
def student_namespace(source: str, *edits: tuple[str, str]) -> dict:
    """The definitions (imports, functions, classes) of an exercise source's solution, with
    ``edits`` planted, run here; its checks and demonstrations are left out."""
    text = MAKE.solution((FOLDER / "src" / source).read_text())
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    tree = ast.parse(text)
    kinds = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
    tree.body = [node for node in tree.body if isinstance(node, kinds)]
    namespace: dict = {}
    exec(compile(tree, source, "exec"), namespace)  # noqa: S102 - our own exercise source
    return namespace


def test_tanh_derivative_planted_as_one_minus_out_is_caught_naming_the_rule(capsys):
    wrong = ("self.grad += (1 - t**2) * out.grad", "self.grad += (1 - out.data) * out.grad")
    ns = student_namespace("02_tiny_value.py", wrong)
    result = exercises.check("tanh_backward", ns["Value"])
    out = capsys.readouterr().out
    assert not result and result.passed < result.total
    assert "FAILED [tanh_backward]" in out and "the backward of tanh" in out
    assert "inputs:   a = 0.5" in out and "expected: a.grad = 0.786448" in out
    assert "received: (0.537883,)" in out  # 1 - tanh(0.5)
    assert out.rstrip().splitlines()[-1] == result.summary() == \
        f"{result.passed} of {result.total} checks passed"
    assert all(f.rule == "tanh_backward" for f in result.failures)
    assert exercises.check("add_backward", ns["Value"], quiet=True)  # the other rules are fine
    assert not exercises.check("value_backward", ns["Value"], quiet=True)


def test_assignment_instead_of_accumulation_is_caught():
    ns = student_namespace("02_tiny_value.py", ("            self.grad += out.grad\n"
                                                "            other.grad += out.grad",
                                                "            self.grad = out.grad\n"
                                                "            other.grad = out.grad"))
    result = exercises.check("add_backward", ns["Value"], quiet=True)
    assert [f.case for f in result.failures] == \
        ["an input used twice, a + a: the shares add up (+=, not =)"]


def test_a_forward_difference_is_caught():
    result = exercises.check("numerical_derivative", lambda f, x, h=1e-5: (f(x + h) - f(x)) / h,
                             quiet=True)
    assert any("central difference's accuracy" in f.case for f in result.failures)


def test_a_recursion_fails_the_iterative_walk_on_the_deep_graph():
    ns = student_namespace("03_topological_order.py")
    assert exercises.check("topo_iterative", ns["topo_iterative"], quiet=True)
    result = exercises.check("topo_iterative", ns["topo_recursive"], quiet=True)
    assert [f.case.split(" (")[0] for f in result.failures] == [
        f"a chain of {3 * sys.getrecursionlimit()} ops", "a ladder of 400 rungs"]
    assert all("RecursionError" in f.received for f in result.failures)


def test_a_walk_without_a_visited_set_is_caught():
    def no_visited(root):
        order = []
        def visit(node):
            for child in node._prev:
                visit(child)
            order.append(node)
        visit(root)
        return order

    result = exercises.check("topo_recursive", no_visited, quiet=True)
    assert result.failures and all("more than once" in f.received for f in result.failures)


def test_an_iterative_walk_without_a_visited_set_is_reported_and_ends():
    def no_visited(root):
        order, stack = [], [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            else:
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        return order

    result = exercises.check("topo_iterative", no_visited, quiet=True)
    received = [f.received for f in result.failures]
    assert any("more than once" in r for r in received)
    assert received[-2:] == ["not run: the small graphs fail first"] * 2  # the deep ones


def test_a_check_leaves_the_students_random_state_alone():
    import random

    random.seed(5)
    expected = random.random()
    random.seed(5)
    ns = student_namespace("04_mlp.py")
    exercises.check("neuron", ns["Neuron"], quiet=True)
    assert random.random() == expected


def test_a_step_that_does_not_zero_the_gradients_is_caught():
    zeroing = "    for p in model.parameters():\n        p.grad = 0.0\n"
    ns = student_namespace("04_mlp.py", (zeroing, ""))
    result = exercises.check("train_step", ns["train_step"], ns["MLP"], quiet=True)
    assert [f.case for f in result.failures] == [
        "step 2: the loss it returns and the weights after it"]
    assert "grads zeroed" in result.failures[0].received


def test_a_rule_written_with_math_or_wrong_is_caught_by_the_checks():
    ns = student_namespace("05_new_function.py",
                           ("        s = F.sigmoid(a)\n", "        s = 1 / (1 + math.exp(-a))\n"),
                           ("import numpy as np\n", "import math\n\nimport numpy as np\n"))
    result = exercises.check("silu", ns["SiLU"], quiet=True)
    failed = {f.case for f in result.failures}
    assert "silu: gradgradcheck on Values" in failed  # the rule does not run on nodes
    assert "silu: gradcheck on Tensors (the rule on arrays)" in failed

    class WrongHypot(Function):
        def forward(self, F, a, b):
            return F.sqrt(a * a + b * b)

        def backward(self, F, g, out, a, b):
            return g * a, g * b  # forgot to divide by out

    result = exercises.check("hypot", WrongHypot, quiet=True)
    assert any("gradcheck failed: input 0" in f.received for f in result.failures)


# ------------------------------------------------------------------------- the grader itself
@pytest.mark.parametrize("answer", [
    lambda *a: None, lambda *a: "twelve", lambda *a: 1 / 0, lambda *a: [1.0] * 7,
    lambda *a: np.zeros(3),
], ids=["None", "str", "ZeroDivisionError", "list", "array"])
def test_a_wrong_answer_of_any_kind_is_reported_never_raised(answer):
    for name in ("df", "grad_k", "numerical_derivative", "unbroadcast", "mul_grads",
                 "topo_iterative", "backward"):
        result = exercises.check(name, answer, quiet=True)
        assert result.total > 0 and not result and len(result.failures) > 0
    assert "None: the function returns nothing" in \
        exercises.check("df", lambda x: None, quiet=True).failures[0].received
    error = exercises.check("df", lambda x: 1 / 0, quiet=True).failures[0].received
    assert error.startswith("raised ZeroDivisionError: division by zero at `")


def test_a_class_that_is_not_one_is_reported():
    for name in ("add_backward", "tanh_backward", "value_backward", "neuron", "layer", "mlp",
                 "silu", "hypot"):
        result = exercises.check(name, int, quiet=True)
        assert not result and result.total == len(result.failures) + result.passed


def test_misuse_of_the_grader_is_a_clear_error():
    with pytest.raises(ValueError, match="no exercise named 'tanh'.*tanh_backward"):
        exercises.check("tanh", Value)
    with pytest.raises(ValueError, match=r"takes 2 object\(s\).*MLP class; got 1"):
        exercises.check("train_step", lambda *a: 0.0)


def test_the_reference_micro_value_passes_its_own_exercise():
    for name in ("add_backward", "mul_backward", "tanh_backward", "value_backward"):
        assert exercises.check(name, exercises.MicroValue, quiet=True)


def test_result_reports_the_tally():
    result = exercises.check("df", lambda x: 6 * x - 4 if x > 0 else 0.0, quiet=True)
    assert repr(result) == f"<Result 'df': {result.summary()}>"
    assert 0 < result.passed < result.total
    assert result.report().splitlines()[-1] == result.summary()
    assert math.isclose(float(result.failures[0].expected), 6 * 0.0 - 4)
