"""micrograd's own code, run on chainrule with only the import changed.

Transcribed from karpathy/micrograd: ``test/test_engine.py`` (the checks against PyTorch),
``demo.ipynb`` (the moons MLP trained with a max-margin loss) and ``trace_graph.ipynb`` /
the video notebook (the graphviz ``trace``/``draw_dot`` helper). The only edits are the imports
(``from micrograd.engine import Value`` -> ``from autograd import Value``, ``from micrograd.nn
import ...`` -> ``from nn import ...``), a shorter training run (20 steps instead of 100, so the
test stays fast) and rendering into ``tmp_path``. Everything else is micrograd's code as written.
"""

import html
import random

import numpy as np
import pytest
from graphviz import Digraph

import nn
from autograd import Value
from nn import MLP, Layer, Neuron  # noqa: F401  (the demo's import line, verbatim)


# ----------------------------------------------------------------------- test/test_engine.py
def test_sanity_check():
    torch = pytest.importorskip("torch")

    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xmg, ymg = x, y

    x = torch.Tensor([-4.0]).double()
    x.requires_grad = True
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xpt, ypt = x, y

    # forward pass went well
    assert ymg.data == ypt.data.item()
    # backward pass went well
    assert xmg.grad == xpt.grad.item()


def test_more_ops():
    torch = pytest.importorskip("torch")

    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    amg, bmg, gmg = a, b, g

    a = torch.Tensor([-4.0]).double()
    b = torch.Tensor([2.0]).double()
    a.requires_grad = True
    b.requires_grad = True
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    apt, bpt, gpt = a, b, g

    tol = 1e-6
    # forward pass went well
    assert abs(gmg.data - gpt.data.item()) < tol
    # backward pass went well
    assert abs(amg.grad - apt.grad.item()) < tol
    assert abs(bmg.grad - bpt.grad.item()) < tol


def test_unary_tensor_fns():
    # from a later version of test_engine.py (tanh and exp, added to Value there)
    torch = pytest.importorskip("torch")

    def test_unary_tensor_fn(value_fn, tensor_fn, xs, tol=1e-6):
        for x in xs:
            xv = Value(x)
            yv = value_fn(xv)
            yv.backward()

            xt = torch.Tensor([x]).double()
            xt.requires_grad = True
            yt = tensor_fn(xt)
            yt.backward()

            # forward pass went well
            assert abs(yv.data - yt.data.item()) < tol
            # backward pass went well
            assert abs(xv.grad - xt.grad.item()) < tol

    test_unary_tensor_fn(Value.tanh, torch.Tensor.tanh, [-1.0, 0.123, 2.0])
    test_unary_tensor_fn(Value.exp, torch.Tensor.exp, [-1.0, 0.123, 2.0])


# ----------------------------------------------------------------------------- demo.ipynb
def _demo_setup():
    """Cells 3-5 of the demo: seeds, the moons, the model."""
    from sklearn.datasets import make_moons

    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    y = y * 2 - 1  # make y be -1 or 1
    model = MLP(2, [16, 16, 1])  # 2-layer neural network
    return X, y, model


def _demo_loss(X, y, model):
    """The demo's loss cell, verbatim (a closure over X, y and model, as in the notebook)."""

    def loss(batch_size=None):
        # inline DataLoader :)
        if batch_size is None:
            Xb, yb = X, y
        else:
            ri = np.random.permutation(X.shape[0])[:batch_size]
            Xb, yb = X[ri], y[ri]
        inputs = [list(map(Value, xrow)) for xrow in Xb]

        # forward the model to get scores
        scores = list(map(model, inputs))

        # svm "max-margin" loss
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        # L2 regularization
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss

        # also get accuracy
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    return loss


def test_demo_trains_the_moons_mlp():
    X, y, model = _demo_setup()
    assert len(model.parameters()) == 337  # the demo prints "number of parameters 337"
    loss = _demo_loss(X, y, model)

    total_loss, acc = loss()
    assert isinstance(total_loss, Value) and 0.0 <= acc <= 1.0

    losses, accuracies = [], []
    for k in range(20):  # the demo runs 100 steps
        # forward
        total_loss, acc = loss()

        # backward
        model.zero_grad()
        total_loss.backward()

        # update (sgd)
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad

        losses.append(total_loss.data)
        accuracies.append(acc)

    # unseeded weights (see test_random_seed_makes_the_demo_reproducible): assert with margin
    assert min(losses[-5:]) < 0.5 * losses[0]
    assert max(accuracies[-5:]) >= 0.8

    # the mini-batch path of loss() (np.random.permutation rows) runs too
    batch_loss, batch_acc = loss(batch_size=10)
    assert isinstance(batch_loss, Value) and batch_acc in {i / 10 for i in range(11)}


def test_demo_decision_boundary_cell():
    X, y, model = _demo_setup()
    h = 0.25
    x_min, x_max = X[:, 0].min() - 1, X[:, 0].max() + 1
    y_min, y_max = X[:, 1].min() - 1, X[:, 1].max() + 1
    xx, yy = np.meshgrid(np.arange(x_min, x_max, h), np.arange(y_min, y_max, h))
    Xmesh = np.c_[xx.ravel(), yy.ravel()]
    inputs = [list(map(Value, xrow)) for xrow in Xmesh]
    scores = list(map(model, inputs))
    Z = np.array([s.data > 0 for s in scores])
    Z = Z.reshape(xx.shape)
    assert Z.dtype == bool and Z.shape == xx.shape
    # the same scores as calling the model on plain floats, one point at a time
    i = len(scores) // 3
    assert scores[i].data == pytest.approx(model(Xmesh[i].tolist()).data, rel=1e-12)


def test_older_demo_sets_the_loss_grad_before_backward():
    # an earlier demo.ipynb wrote `total_loss.grad = 1` before `total_loss.backward()`
    X, y, model = _demo_setup()
    loss = _demo_loss(X[:10], y[:10], model)
    total_loss, _ = loss()
    model.zero_grad()
    total_loss.backward()
    reference = [p.grad for p in model.parameters()]

    total_loss, _ = loss()
    model.zero_grad()
    total_loss.grad = 1
    total_loss.backward()
    assert [p.grad for p in model.parameters()] == reference  # the seed is not doubled


def test_random_seed_makes_the_demo_reproducible():
    random.seed(1337)
    first = [p.data for p in MLP(2, [16, 16, 1]).parameters()]
    random.seed(1337)
    second = [p.data for p in MLP(2, [16, 16, 1]).parameters()]
    assert first == second


def test_random_seed_gives_micrograds_weights():
    micrograd_nn = pytest.importorskip("micrograd.nn")
    random.seed(1337)
    theirs = [p.data for p in micrograd_nn.MLP(2, [16, 16, 1]).parameters()]
    random.seed(1337)
    ours = [p.data for p in MLP(2, [16, 16, 1]).parameters()]
    assert ours == theirs


# ------------------------------------------------------------------ trace_graph.ipynb helper


def trace(root):
    # builds a set of all nodes and edges in a graph
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def draw_dot(root, format="svg", rankdir="LR"):
    """
    format: png | svg | ...
    rankdir: TB (top to bottom graph) | LR (left to right)
    """
    assert rankdir in ["LR", "TB"]
    nodes, edges = trace(root)
    dot = Digraph(format=format, graph_attr={"rankdir": rankdir})

    for n in nodes:
        dot.node(
            name=str(id(n)),
            label="{ data %.4f | grad %.4f }" % (n.data, n.grad),  # noqa: UP031
            shape="record",
        )
        if n._op:
            dot.node(name=str(id(n)) + n._op, label=n._op)
            dot.edge(str(id(n)) + n._op, str(id(n)))

    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)

    return dot


def draw_dot_labelled(root):
    """The video notebook's version: a label field in each record."""
    dot = Digraph(format="svg", graph_attr={"rankdir": "LR"})  # LR = left to right

    nodes, edges = trace(root)
    for n in nodes:
        uid = str(id(n))
        # for any value in the graph, create a rectangular ('record') node for it
        dot.node(
            name=uid,
            label="{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad),  # noqa: UP031
            shape="record",
        )
        if n._op:
            # if this value is a result of some operation, create an op node for it
            dot.node(name=uid + n._op, label=n._op)
            # and connect this node to it
            dot.edge(uid + n._op, uid)

    for n1, n2 in edges:
        # connect n1 to the op node of n2
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)

    return dot


def _render_svg(dot, path):
    out = dot.render(str(path))
    with open(out, encoding="utf-8") as f:
        svg = f.read()
    assert out.endswith(".svg") and "<svg" in svg
    return html.unescape(svg)  # graphviz writes "-" as "&#45;"


def test_trace_graph_simple_example(tmp_path):
    # a very simple example
    x = Value(1.0)
    y = (x * 2 + 1).relu()
    y.backward()
    nodes, edges = trace(y)
    assert len(nodes) == 6 and len(edges) == 5  # x, 2, x*2, 1, x*2+1, relu
    assert x.grad == 2.0

    svg = _render_svg(draw_dot(y), tmp_path / "simple")
    assert "data 3.0000" in svg  # y
    assert "grad 2.0000" in svg  # x
    assert ">ReLU<" in svg and ">+<" in svg and ">*<" in svg  # micrograd's op names


def test_trace_graph_neuron_example(tmp_path):
    # a simple 2D neuron
    random.seed(1337)
    n = nn.Neuron(2)
    x = [Value(1.0), Value(-2.0)]
    y = n(x)
    y.backward()

    dot = draw_dot(y)
    svg = _render_svg(dot, tmp_path / "gout")  # the notebook's dot.render('gout')
    nodes, edges = trace(y)
    assert x[0] in nodes and x[1] in nodes and n.b in nodes
    assert all(w in nodes for w in n.w)
    # each input's gradient is its weight (ReLU active) or 0
    active = y.data > 0
    for xi, wi in zip(x, n.w):
        assert xi.grad == (wi.data if active else 0.0)
    assert f"grad {x[1].grad:.4f}" in svg


def test_video_draw_dot_with_labels(tmp_path):
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    L.backward()

    # the video's hand-derived gradients
    assert (a.grad, b.grad, c.grad, d.grad, e.grad, f.grad, L.grad) == (6, -4, -2, -2, -2, 4, 1)
    assert L._prev == {d, f} and L._op == "*" and d._op == "+" and a._op == ""
    nodes, edges = trace(L)
    assert len(nodes) == 7 and len(edges) == 6

    svg = _render_svg(draw_dot_labelled(L), tmp_path / "L")
    for text in ("L | data -8.0000 | grad 1.0000", "a | data 2.0000 | grad 6.0000"):
        label, data, grad = (part.strip() for part in text.split("|"))
        assert f">{label}<" in svg and f">{data}<" in svg and f">{grad}<" in svg
