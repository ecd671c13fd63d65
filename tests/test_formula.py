"""autograd.formula: the graph as a nested function (text and TeX), op level and layer level."""

from __future__ import annotations

import math
import random
import re

import numpy as np
import pytest

import nn
from autograd import Formula, GraphFreedError, Tensor, Value, dot, formula, sum_of
from nn.scalar import MLP, Neuron


def _neuron() -> Value:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.88, label="b")
    n = w1 * x1 + w2 * x2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def _mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(2, 8, seed=0), nn.ReLU(), nn.Linear(8, 8, seed=1), nn.ReLU(),
                         nn.Linear(8, 1, seed=2))  # fmt: skip


def test_neuron_reads_as_its_formula():
    f = formula(_neuron())
    assert isinstance(f, Formula)
    assert f.text == "o = tanh(w1*x1 + w2*x2 + b)"
    assert f.tex == r"o &= \tanh(w_{1} x_{1} + w_{2} x_{2} + b)"
    assert f._repr_latex_() == "$$\\begin{aligned}\n" + f.tex + "\n\\end{aligned}$$"
    assert str(f) == f.text


def test_scalar_neuron_uses_its_labels():
    neuron = Neuron(2, activation="tanh", seed=0)
    assert formula(neuron([1.0, 2.0])).text == "a = tanh(w1*x1 + w2*x2 + b)"


def test_value_used_twice_becomes_a_named_intermediate():
    x, y, w = Value(0.5, label="x"), Value(2.0, label="y"), Value(3.0, label="w")
    u = (x * y).tanh()
    f = formula(u * w + u)
    assert f.text == "tanh#1 = tanh(x*y)\nf = tanh#1*w + tanh#1"
    assert f.lines[0][0].tex == r"\mathrm{tanh}_{1}"
    u.label = "h"  # a label is the intermediate's name; used once, it is inlined
    assert formula(u * w + u).text == "h = tanh(x*y)\nf = h*w + h"
    assert formula(u * w).text == "f = tanh(x*y)*w"
    assert formula(u * u).text == "f = tanh(x*y)**2"  # a * a is a square: one use
    d = dot([x, y], [y, x], w)  # a generated name is one word: dot+b#1 reads dot_b#1
    assert formula(d * d.tanh()).text == "dot_b#1 = x*y + y*x + w\nf = dot_b#1*tanh(dot_b#1)"


def test_tensor_model_at_layer_level():
    model = _mlp()
    y = model(np.ones((4, 2)))
    f = formula(y, collapse="module")
    assert f.lines[-1][0].tex == r"\hat y"
    assert f.lines[-1][1].tex == (
        r"W_{3} \mathrm{relu}(W_{2} \mathrm{relu}(W_{1} x + b_{1}) + b_{2}) + b_{3}")
    assert f.text.splitlines()[0] == "y_hat = W3 @ relu(W2 @ relu(W1 @ x + b1) + b2) + b3"
    assert f.symbols == {"W1": "0.weight (8, 2)", "b1": "0.bias (8,)", "W2": "2.weight (8, 8)",
                         "b2": "2.bias (8,)", "W3": "4.weight (1, 8)", "b3": "4.bias (1,)"}
    assert formula(y, collapse="layer").text == f.text
    # op level: the graph's own parameter names
    assert formula(y).text == ("4:Linear = 4.weight @ relu(2.weight @ relu(0.weight @ x + 0.bias)"
                               " + 2.bias) + 4.bias")


def test_scalar_mlp_at_layer_level_reads_like_the_tensor_model():
    mlp = MLP(2, [4, 4, 1], seed=0)
    y = mlp([1.0, 2.0])
    f = formula(y, collapse="layer")
    assert f.text.splitlines()[0] == "y_hat = W3 @ relu(W2 @ relu(W1 @ x + b1) + b2) + b3"
    assert f.symbols["W1"] == "[L1.N1.w1 ... L1.N4.w2] (4, 2)"
    assert f.symbols["W3"] == "[L3.N1.w1 ... L3.N1.w4] (1, 4)"
    # at neuron level each neuron is a 1-row layer; the first layer's outputs feed 4 neurons
    lines = formula(y, collapse="neuron").text.splitlines()
    assert lines[0] == "h1 = relu(W1 @ x + b1)" and lines[3] == "h4 = relu(W4 @ x + b4)"


def test_loss_after_the_model_stays_at_op_level():
    model = _mlp()
    loss = nn.mse_loss(model(np.ones((4, 2))), np.zeros((4, 1)))
    f = formula(loss, collapse="module")
    model_text = "W3 @ relu(W2 @ relu(W1 @ x + b1) + b2) + b3"
    assert f.text.splitlines()[0] == f"f = mean(({model_text} - y)**2)"


def test_arrays_are_x_the_targets_y_and_the_rest_numbered():
    model = nn.Sequential(nn.Linear(2, 4, seed=0), nn.ReLU(), nn.Dropout(0.5, seed=0),
                          nn.Linear(4, 1, seed=1))  # fmt: skip
    loss = nn.mse_loss(model(np.ones((3, 2))), np.zeros((3, 1)))  # training mode: a mask
    f = formula(loss, collapse="module")  # the mask is elementwise: W2 @ (... * c_2)
    assert f.text.splitlines()[0] == "f = mean((W2 @ (relu(W1 @ x + b1)*c_2) + b2 - y)**2)"
    model.eval()
    loss = nn.mse_loss(model(np.ones((3, 2))), np.zeros((3, 1)))
    assert formula(loss, collapse="module").text.startswith(
        "f = mean((W2 @ relu(W1 @ x + b1) + b2 - y)**2)")


def test_expand_writes_every_term():
    neuron = Neuron(6, activation="relu", seed=0)
    a = neuron([1.0] * 6)
    assert formula(a).text == "a = relu(w1*x1 + w2*x2 + ... + w6*x6 + b)"
    terms = " + ".join(f"w{i}*x{i}" for i in range(1, 7))
    assert formula(a, expand=True).text == f"a = relu({terms} + b)"


def test_constants_and_parentheses():
    x, y, z = Value(1.0, label="x"), Value(2.0, label="y"), Value(3.0, label="z")
    assert formula(2 * x).tex == "f &= 2 x"
    assert formula(x * 2).tex == r"f &= x \cdot 2"
    assert formula(x * -3).text == "f = x*(-3)"
    assert formula(x - (y - z)).text == "f = x - (y - z)"
    assert formula(x / (y + z)).tex == r"f &= \frac{x}{y + z}"
    assert formula((x + y) ** 2).tex == "f &= (x + y)^{2}"
    assert formula(-(x + y) * z).text == "f = -(x + y)*z"
    assert formula(-(x + y) * z).tex == "f &= (-(x + y)) z"
    assert formula(x).text == "x"  # a leaf is its own formula
    t = Tensor(np.ones((3, 3)), requires_grad=True)
    t.label = "X"
    indexed = formula(t[0].exp().sum() + t[1:3, ::2].sum()).text
    assert indexed == "f = sum(exp(X[0])) + sum(X[1:3, ::2])"
    t.label = ""
    small = formula((t * 1e-5).sum()).tex
    assert small == r"f &= \operatorname{sum}(\mathrm{leaf}_{1} \cdot 1 \times 10^{-5})"


_UNARY = ["tanh", "exp", "sin", "cos", "sigmoid", "relu", "neg", "abs"]
_BINARY = ["+", "-", "*", "/", "**2", "r-", "r/", "c*", "dot", "sum_of"]


def _random_composition(rng: random.Random, n: int) -> Value:
    pool = [Value(rng.uniform(0.5, 1.5), label=name) for name in "abc"]
    for _ in range(n):
        op = rng.choice(_UNARY + _BINARY)
        a, b = rng.choice(pool), rng.choice(pool)
        if op in _UNARY:
            out = -a if op == "neg" else abs(a) if op == "abs" else getattr(a, op)()
        elif op == "dot":  # one n-ary node: w1*x1 + w2*x2 + b
            out = dot([a, b], [b, rng.choice(pool)], rng.choice(pool))
        elif op == "sum_of":
            out = sum_of([a, b, rng.choice(pool)])
        else:
            out = {"+": a + b, "-": a - b, "*": a * b, "/": a / (b * b + 1), "**2": a**2,
                   "r-": 2 - a, "r/": 0.5 / (a * a + 1), "c*": a * 3}[op]  # fmt: skip
        pool.append(out)
    return pool[-1]


@pytest.mark.parametrize("seed", range(25))
def test_text_formula_evaluates_to_the_value(seed):
    """The formula is the function: its text, run as Python, gives the root's value."""
    root = _random_composition(random.Random(seed), 12)
    f = formula(root)
    space = {"tanh": math.tanh, "exp": math.exp, "sin": math.sin, "cos": math.cos,
             "sigmoid": lambda v: 1 / (1 + math.exp(-v)), "relu": lambda v: max(v, 0.0),
             "a": None, "b": None, "c": None}  # fmt: skip
    leaves = {"a", "b", "c"}
    for node in [root, *_leaves(root)]:
        if node.label in leaves:
            space[node.label] = node.data
    value = None
    for lhs, rhs in f.lines:
        value = eval(rhs.text.replace("#", "_"), space)  # noqa: S307 - our own formula
        if lhs is not None:
            space[lhs.text.replace("#", "_")] = value
    assert value == pytest.approx(root.data, rel=1e-9, abs=1e-12)
    assert f.tex.count("{") == f.tex.count("}") and f.tex.count("(") == f.tex.count(")")


def _leaves(root: Value) -> list[Value]:
    out, stack, seen = [], [root], set()
    while stack:
        node = stack.pop()
        for p in node.parents:
            if id(p) not in seen:
                seen.add(id(p))
                (out.append(p) if not p.parents else stack.append(p))
    return out


def test_a_deep_graph_is_written_without_recursion():
    x = Value(0.1, label="x")
    y = x
    for _ in range(5000):
        y = (y * 0.5).tanh()
    f = formula(y, max_lines=10, max_chars=200)
    assert len(f.lines) == 10 and f.omitted > 0
    assert f.text.startswith(f"({f.omitted} earlier definitions left out)")
    assert all(len(rhs.text) <= 200 + 20 for _, rhs in f.lines)


def test_freed_tensor_graph_is_refused():
    w = Tensor(np.ones(3), requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    with pytest.raises(GraphFreedError, match="freed"):
        formula(loss)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"root": 3.0}, TypeError, "formula\\(\\) needs a Value or Tensor, got float"),
        ({"expand": 1}, TypeError, "expand must be True or False"),
        ({"expand": True, "collapse": "layer"}, ValueError, "pick one"),
        ({"collapse": "block"}, ValueError, re.escape("formula(): collapse must be one of")),
        ({"max_lines": 0}, ValueError, "max_lines must be a positive int"),
        ({"max_chars": True}, ValueError, "max_chars must be a positive int"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    kwargs.setdefault("root", _neuron())
    with pytest.raises(error, match=message):
        formula(**kwargs)


class _TwoLayers(nn.Module):
    def __init__(self):
        self.fc1 = nn.Linear(2, 4, seed=0)
        self.fc2 = nn.Linear(4, 1, seed=1)

    def forward(self, x):
        return self.fc2(self.fc1(x).tanh())


def test_a_user_module_collapsed_by_a_function_numbers_its_layers_from_the_input():
    y = _TwoLayers()(np.ones((3, 2)))
    assert formula(y).text == "f = fc2.weight @ tanh(fc1.weight @ x + fc1.bias) + fc2.bias"
    f = formula(y, collapse=lambda label: label.split(".")[0] if "." in label else None)
    assert f.text.splitlines()[0] == "y_hat = W2 @ tanh(W1 @ x + b1) + b2"
    assert f.symbols == {"W1": "fc1.weight (4, 2)", "b1": "fc1.bias (4,)",
                         "W2": "fc2.weight (1, 4)", "b2": "fc2.bias (1,)"}
    assert r"\texttt{fc1.weight (4, 2)}" in f.tex


def test_cross_entropy_of_a_model_reads_as_ce_of_its_logits():
    model = nn.Sequential(nn.Linear(2, 3, seed=0))
    loss = nn.cross_entropy(model(np.ones((4, 2))), np.array([0, 1, 2, 0]))
    f = formula(loss, collapse="module")
    assert f.text.splitlines()[0] == "f = cross_entropy(W1 @ x + b1, y)"
    assert f.lines[-1][1].tex == r"\operatorname{CE}(W_{1} x + b_{1}, y)"


def test_two_forward_passes_keep_their_nodes_apart():
    """Each pass labels its nodes alike (x1, L2.N1.z): the second of a name is name^(2)."""
    mlp = MLP(2, [3, 1], seed=0)
    loss = (mlp([1.0, 2.0]) - 1.0) ** 2 + (mlp([0.5, 0.1]) + 1.0) ** 2
    f = formula(loss, max_chars=80)
    assert [lhs.text for lhs, _ in f.lines] == ["L2.N1.z", "L2.N1.z^(2)", "f"]
    assert f.lines[-1][1].text == "(L2.N1.z - 1)**2 + (L2.N1.z^(2) + 1)**2"
    assert "x1^(2)" in f.lines[1][1].text and "x1^(2)" not in f.lines[0][1].text
    assert f.lines[1][0].tex == r"{z^{\mathrm{L2.N1}}}^{(2)}"


def _typeset_cases():
    yield _neuron()
    yield _mlp()(np.ones((4, 2)))
    yield nn.mse_loss(_mlp()(np.ones((4, 2))), np.zeros((4, 1)))
    yield MLP(2, [3, 3, 1], seed=0)([1.0, 2.0])
    for seed in range(10):
        yield _random_composition(random.Random(seed), 12)
    t = Tensor(np.ones((2, 3)), requires_grad=True)
    yield (t.T @ t).mean(axis=1).sqrt().log1p().sum() / abs(t).max()
    yield t[1:, ::2].exp().sum() + t[np.array([0, 1])].sum()


def test_every_line_is_valid_tex():
    """Each side of each line typesets (matplotlib's mathtext parses it; an error raises)."""
    mathtext = pytest.importorskip("matplotlib.mathtext")
    parser = mathtext.MathTextParser("path")
    for root in _typeset_cases():
        for collapse in (None, "module", "layer"):
            for lhs, rhs in formula(root, collapse=collapse).lines:
                for side in ([] if lhs is None else [lhs.tex]) + [rhs.tex]:
                    parser.parse(f"${side}$")


def test_tensor_text_formula_evaluates_to_the_model_output():
    """Per example (a 1-D x), the layer-level text is NumPy: W1 @ x + b1 is the Linear."""
    model = nn.Sequential(nn.Linear(3, 5, seed=0, dtype=np.float64), nn.Tanh(),
                          nn.Linear(5, 4, seed=1, dtype=np.float64), nn.ReLU(),
                          nn.Linear(4, 2, seed=2, dtype=np.float64))  # fmt: skip
    x = np.array([0.3, -1.2, 2.0])
    out = model(x)
    f = formula(out * out.sigmoid() - 0.5 * out, collapse="module")
    params = {p.label: p.data for p in model.parameters()}
    space = {"x": x, "tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0),
             "sigmoid": lambda a: 1 / (1 + np.exp(-a))}  # fmt: skip
    for symbol, meaning in f.symbols.items():
        space[symbol] = params[meaning.split()[0]]
    for lhs, rhs in f.lines:
        value = eval(rhs.text.replace("#", "_"), space)  # noqa: S307 - our own formula
        if lhs is not None:
            space[lhs.text.replace("#", "_")] = value
    expected = out.data * (1 / (1 + np.exp(-out.data))) - 0.5 * out.data
    np.testing.assert_allclose(value, expected, rtol=1e-12)


def test_a_model_output_used_twice_is_y_hat_and_a_second_pass_y_hat_2():
    model = nn.Sequential(nn.Linear(3, 2, seed=0), nn.ReLU(), nn.Linear(2, 1, seed=2))
    a, b = model(np.ones(3)), model(np.zeros(3))
    lines = formula(a * a.tanh() + b * b.exp(), collapse="module").text.splitlines()
    assert lines[:3] == ["y_hat = W2 @ relu(W1 @ x + b1) + b2",
                         "y_hat^(2) = W2 @ relu(W1 @ c_2 + b1) + b2",
                         "f = y_hat*tanh(y_hat) + y_hat^(2)*exp(y_hat^(2))"]  # fmt: skip
