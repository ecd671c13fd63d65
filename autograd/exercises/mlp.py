"""Exercise 4: a neuron, a layer, an MLP (micrograd's, on chainrule's ``Value``) and one
training step on two moons.

The student's classes keep micrograd's attributes: ``Neuron.w`` (a list of ``Value``),
``Neuron.b``, ``Neuron.nonlin`` (tanh or linear), ``Layer.neurons``, ``MLP.layers``, and each
has ``parameters()``. A layer of one neuron returns that neuron's output, not a list. The
expected values are computed here from the student's own weights: the forward pass with plain
``math``, the gradients and the training step with chainrule. The moons are made here (the
engine does not import ``nn``), a small noisy batch of the two interleaving half circles.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from ..core import grad
from ..value import Value
from .registry import Exercise, exercise
from .report import Trial

__all__ = ["EXERCISES", "moons"]

EXERCISES: dict[str, Exercise] = {}


def moons(n: int, seed: int = 0, noise: float = 0.1) -> tuple[list[list[float]], list[float]]:
    """``n`` points of two moons with labels -1 (upper) and +1 (lower), as lists."""
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            point, label = [1 - math.cos(t), 0.5 - math.sin(t)], 1.0
        else:
            point, label = [math.cos(t), math.sin(t)], -1.0
        xs.append([c + rng.gauss(0, noise) for c in point])
        ys.append(label)
    return xs, ys


def neuron_out(w: Sequence[float], b: float, x: Sequence[float], nonlin: bool) -> float:
    """One neuron with plain floats: tanh(w . x + b), or w . x + b when linear."""
    z = sum(wi * xi for wi, xi in zip(w, x)) + b
    return math.tanh(z) if nonlin else z


def weights(neuron: Any) -> tuple[list[float], float, bool]:
    """The data of a student's neuron: its weights, its bias, whether it applies tanh."""
    return [w.data for w in neuron.w], neuron.b.data, bool(getattr(neuron, "nonlin", True))


def mlp_out(model: Any, x: Sequence[float]) -> list[float]:
    """The student's MLP, evaluated with floats from its own weights (every output)."""
    for layer in model.layers:
        x = [neuron_out(*weights(n)[:2], x, weights(n)[2]) for n in layer.neurons]
    return list(x)


def data_of(out: Any) -> Any:
    """The data of a node, or of each node of a list."""
    return [o.data for o in out] if isinstance(out, list) else out.data


def rand_x(rng: random.Random, n: int) -> list[float]:
    """``n`` inputs in [-2, 2], rounded for a readable report."""
    return [round(rng.uniform(-2, 2), 3) for _ in range(n)]


@exercise(EXERCISES, "Neuron: tanh(w . x + b) (w . x + b when nonlin=False), and parameters()",
          ("your class Neuron",))
def neuron(trial: Trial, cls: type) -> None:
    """The output (tanh and linear), the gradients it leads to, the parameter list."""
    rng = random.Random(11)
    for nin, nonlin in ((3, True), (1, True), (4, False)):
        x = rand_x(rng, nin)

        def make(nin: int = nin, nonlin: bool = nonlin) -> Any:
            random.seed(nin)
            return cls(nin, nonlin=nonlin)

        def forward(x: list = x, make: Callable = make) -> tuple:
            n = make()
            w, b, nl = weights(n)
            return data_of(n(x)), neuron_out(w, b, x, nl)

        kind = "tanh" if nonlin else "linear"
        trial.expect(f"the output of a {kind} Neuron({nin})", f"x = {x}", None, forward,
                     show_got=False, judge=partial(judge_neuron, kind),
                     expected_text=f"{kind}(w . x + b) from the neuron's own w and b")

        def grads(x: list = x, make: Callable = make) -> tuple:
            n = make()
            out = n(x)
            mine = [Value(p.data) for p in [*n.w, n.b]]
            z = sum((wi * xi for wi, xi in zip(mine[:-1], x)), mine[-1])
            want = grad(z.tanh() if n.nonlin else z, mine)
            out.backward()
            return [p.grad for p in [*n.w, n.b]], list(want)

        trial.expect(f"the gradients of a {kind} Neuron({nin})'s w and b after backward()",
                     f"x = {x}", None, grads,
                     show_got=False, judge=lambda _, got, tol: close_lists(got[0], got[1], tol),
                     expected_text="chainrule's gradients of the same neuron")

    def params() -> tuple:
        n = cls(3)
        ps = list(n.parameters())
        return len(ps), {id(p) for p in ps} == {id(p) for p in [*n.w, n.b]}

    trial.expect("Neuron(3).parameters()", "nin = 3", (4, True), params,
                 expected_text="the 3 weights and the bias: 4 Values (4, True)")


def judge_neuron(kind: str, _: Any, got: tuple, tol: float) -> str | None:
    """Why a neuron's output (``got[0]``) is not ``kind(w . x + b)`` (``got[1]``), or ``None``."""
    if abs(got[0] - got[1]) <= tol:
        return None
    return f"{got[0]:.6g}, but {kind}(w . x + b) = {got[1]:.6g}"


def close_lists(got: Sequence[float], want: Sequence[float], tol: float) -> str | None:
    """Why two lists of numbers differ, or ``None``."""
    got = list(got) if got is not None else []
    if len(got) != len(want):
        return f"{len(got)} values instead of {len(want)}"
    bad = [k for k, (g, w) in enumerate(zip(got, want)) if abs(g - w) > tol * max(1, abs(w))]
    if bad:
        return (f"item {bad[0]} is {got[bad[0]]:.6g}, expected {want[bad[0]]:.6g} "
                f"({len(bad)} of {len(want)} differ)")
    return None


@exercise(EXERCISES, "Layer: the outputs of its neurons (one neuron: its output alone), "
          "and parameters()", ("your class Layer",))
def layer(trial: Trial, cls: type) -> None:
    """A layer of 4 neurons and one of 1 neuron, and the parameter count."""
    rng = random.Random(12)
    for nin, nout in ((3, 4), (2, 1)):
        x = rand_x(rng, nin)

        def run(nin: int = nin, nout: int = nout, x: list = x) -> tuple:
            lay = cls(nin, nout)
            out = lay(x)
            want = [neuron_out(*weights(n)[:2], x, weights(n)[2]) for n in lay.neurons]
            if nout == 1:
                if isinstance(out, list):
                    return "a list", want
                return [out.data], want
            return data_of(list(out)), want

        trial.expect(f"the outputs of Layer({nin}, {nout})", f"x = {x}", None, run,
                     show_got=False, judge=lambda _, got, tol: (
                         "a list: a layer of one neuron returns its output alone"
                         if got[0] == "a list" else close_lists(got[0], got[1], tol)),
                     expected_text="each neuron's output, from its own w and b")
    trial.expect("len(Layer(3, 4).parameters())", "4 neurons of 3 inputs", 16,
                 lambda: len(list(cls(3, 4).parameters())))


@exercise(EXERCISES, "MLP: the layers applied in turn (the last one linear), and parameters()",
          ("your class MLP",))
def mlp(trial: Trial, cls: type) -> None:
    """Two shapes of MLP on random inputs, and the parameter count of micrograd's demo."""
    rng = random.Random(13)
    for nin, nouts in ((2, [4, 4, 1]), (3, [5, 2])):
        x = rand_x(rng, nin)

        def run(nin: int = nin, nouts: list = nouts, x: list = x) -> tuple:
            model = cls(nin, nouts)
            out = model(x)
            got = [out.data] if nouts[-1] == 1 and not isinstance(out, list) else data_of(out)
            return got, mlp_out(model, x)

        trial.expect(f"the output of MLP({nin}, {nouts})", f"x = {x}", None, run,
                     show_got=False, judge=lambda _, got, tol: close_lists(got[0], got[1], tol),
                     expected_text="the layers applied in turn, from the model's own weights")
    last = lambda: [n.nonlin for n in cls(2, [4, 4, 1]).layers[-1].neurons]  # noqa: E731
    trial.expect("the last layer of MLP(2, [4, 4, 1]) is linear", "nouts = [4, 4, 1]", [False],
                 last, expected_text="[False] (nonlin=False)", show_got=False,
                 judge=lambda w, g, _: None if list(g) == w else f"{g}")
    trial.expect("len(MLP(2, [16, 16, 1]).parameters())", "micrograd's demo model", 337,
                 lambda: len(list(cls(2, [16, 16, 1]).parameters())))


def reference_step(model: Any, xs: list, ys: list, lr: float) -> tuple[float, list[float]]:
    """One step done by chainrule on a copy of the model's weights: the mean squared error
    loss before the step and every parameter's data after it (``p.data -= lr * p.grad``)."""
    params = [p for layer in model.layers for n in layer.neurons for p in [*n.w, n.b]]
    copies = {id(p): Value(p.data) for p in params}
    total = Value(0.0)
    for x, y in zip(xs, ys):
        out: list = list(x)
        for layer in model.layers:
            out = [
                (lambda z: z.tanh() if n.nonlin else z)(
                    sum((copies[id(w)] * xi for w, xi in zip(n.w, out)), copies[id(n.b)]))
                for n in layer.neurons
            ]
        total = total + (out[0] - y) ** 2
    loss = total / len(xs)
    grads = grad(loss, [copies[id(p)] for p in params])
    return loss.data, [p.data - lr * g for p, g in zip(params, grads)]


@exercise(EXERCISES, "train_step: the mean squared error, the grads zeroed, backward(), "
          "p.data -= lr * p.grad", ("your function train_step(model, X, y, lr)", "your MLP class"))
def train_step(trial: Trial, step: Callable[..., Any], cls: type) -> None:
    """Two steps on a batch of moons: the loss each returns and the weights after each (the
    second step is wrong if the first one's gradients were not zeroed)."""
    xs, ys = moons(8, seed=3)
    lr = 0.05
    random.seed(21)
    model: Any = None
    try:
        model = cls(2, [4, 4, 1])
    except Exception:  # reported by each case, which makes the model again
        pass
    ok = model is not None
    for k in (1, 2):
        want = reference_step(model, xs, ys, lr) if ok else (math.nan, [])

        def run(want: tuple = want) -> tuple:
            if not ok:
                cls(2, [4, 4, 1])  # raises, into the report
            loss = step(model, xs, ys, lr)
            after = [p.data for layer in model.layers for n in layer.neurons
                     for p in [*n.w, n.b]]  # fmt: skip
            return getattr(loss, "data", loss), after, want

        trial.expect(f"step {k}: the loss it returns and the weights after it",
                     "8 moons, MLP(2, [4, 4, 1]), lr = 0.05", None, run,
                     show_got=False,
                     judge=lambda _, got, tol: judge_step(got[0], got[1], got[2], tol),
                     expected_text="chainrule's loss, and its weights after the same step")


def judge_step(loss: Any, after: list, want: tuple, tol: float) -> str | None:
    """Why a training step differs from chainrule's, or ``None``."""
    if loss is None:
        return "the loss is None: return the loss (a float, or its Value)"
    if abs(float(loss) - want[0]) > tol * max(1, abs(want[0])):
        return f"loss {float(loss):.6g}, expected {want[0]:.6g} (the mean of (out - y)**2)"
    if (why := close_lists(after, want[1], tol)) is not None:
        return "the weights after the step: " + why + " (grads zeroed before backward()?)"
    return None
