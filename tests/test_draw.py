"""draw_dot: valid SVG holding every node's label, data, grad and op; distinct styles for leaves,
parameters, constants and the root; highlighting; the size limit; the missing-``dot`` error."""

import re
import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest

from autograd.value import Value, dot
from autograd.viz.draw import GraphvizNotFoundError, check_graphviz, draw_dot
from autograd.viz.steps import backward_steps

SVG = "{http://www.w3.org/2000/svg}"


def svg_of(graph):
    text = graph.pipe(format="svg", encoding="utf-8")
    return text, ET.fromstring(text.encode())  # parses: the SVG is well-formed XML


def svg_nodes(tree):
    """{graphviz node name: (css classes, [text lines])} for every drawn node."""
    found = {}
    for g in tree.iter(SVG + "g"):
        classes = g.get("class", "").split()
        if "node" not in classes:
            continue
        name = g.find(SVG + "title").text
        found[name] = (set(classes) - {"node"}, [t.text for t in g.iter(SVG + "text")])
    return found


def node_with(nodes, text):
    """The one drawn node whose texts include ``text``."""
    hits = [v for v in nodes.values() if text in v[1]]
    assert len(hits) == 1, (text, hits)
    return hits[0]


def micrograd_graph():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = Value(10.0, label="c", requires_grad=False)
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = (d * a).tanh()
    L.label = "L"
    return L, (a, b, c, d, e)


# ------------------------------------------------------------------------------- the picture
def test_svg_holds_every_label_value_grad_and_op():
    L, (a, b, c, d, e) = micrograd_graph()
    L.backward()
    text, tree = svg_of(draw_dot(L))
    nodes = svg_nodes(tree)
    for node in (L, a, b, c, d, e):
        classes, texts = node_with(nodes, node.label)
        assert f"data {node.data:.4g}" in texts
        if node is not c:
            assert f"grad {node.grad:.4g}" in texts
    assert node_with(nodes, "c")[1] == ["c", "data 10"]  # a constant: no gradient shown
    assert "&#45;" in text  # graphviz escapes the minus signs of the raw SVG; ET decoded them
    # the ops: one small node per op, 4 of them (* + * tanh)
    op_texts = sorted(t[0] for cls, t in nodes.values() if "op" in cls)
    assert op_texts == ["*", "*", "+", "tanh"]
    # 7 value nodes + 4 op nodes, and an edge into and out of every op
    assert len(nodes) == 11
    edges = [g.find(SVG + "title").text for g in tree.iter(SVG + "g") if g.get("class") == "edge"]
    assert len(edges) == 4 + 7  # op -> output, and one edge per input (2 + 2 + 2 + 1)


def test_4_significant_digits():
    x = Value(3.14159265, label="x")
    y = x * 1.000123456
    y.backward()
    _, tree = svg_of(draw_dot(y))
    _, texts = node_with(svg_nodes(tree), "x")
    assert "data 3.142" in texts and "grad 1" in texts


def test_root_parameters_constants_and_intermediates_look_different():
    L, (a, b, c, d, e) = micrograd_graph()
    nodes = svg_nodes(svg_of(draw_dot(L))[1])
    assert node_with(nodes, "L")[0] == {"root"}
    assert node_with(nodes, "a")[0] == {"parameter"}
    assert node_with(nodes, "c")[0] == {"constant"}
    assert node_with(nodes, "e")[0] == {"intermediate"}
    source = draw_dot(L).source
    fills = set(re.findall(r'fillcolor="(#[0-9a-f]{6})"', source))
    assert len(fills) == 4  # one fill per kind
    assert "dashed" in source  # constants are dashed


def test_unlabelled_constants_from_numbers_are_drawn():
    x = Value(1.5, label="x")
    y = dot([x], [4.0], bias=0.25) * 2.0
    nodes = svg_nodes(svg_of(draw_dot(y))[1])
    constants = [texts for cls, texts in nodes.values() if cls == {"constant"}]
    assert sorted(t[0] for t in constants) == ["data 0.25", "data 2", "data 4"]
    assert any(texts == ["dot+b"] for cls, texts in nodes.values() if "op" in cls)


def test_show_grad_false_hides_gradients():
    L, _ = micrograd_graph()
    L.backward()
    text, _ = svg_of(draw_dot(L, show_grad=False))
    assert "grad" not in text and "data" in text


def test_rankdir_is_passed_to_graphviz():
    L, _ = micrograd_graph()
    assert "rankdir=TB" in draw_dot(L, rankdir="TB").source
    assert "rankdir=LR" in draw_dot(L).source


def test_highlight_marks_the_chosen_nodes_and_their_ops():
    L, (a, b, c, d, e) = micrograd_graph()
    nodes = svg_nodes(svg_of(draw_dot(L, highlight={e, a}))[1])
    assert node_with(nodes, "e")[0] == {"intermediate", "highlight"}
    assert node_with(nodes, "a")[0] == {"parameter", "highlight"}
    assert node_with(nodes, "d")[0] == {"intermediate"}
    highlighted_ops = [t for cls, t in nodes.values() if cls == {"op", "highlight"}]
    assert highlighted_ops == [["*"]]  # e = a * b: its output and an input are highlighted
    single = svg_nodes(svg_of(draw_dot(L, highlight=L))[1])
    assert node_with(single, "L")[0] == {"root", "highlight"}


def test_highlighting_a_step_marks_its_op_only():
    L, (a, b, c, d, e) = micrograd_graph()
    steps = list(backward_steps(L))
    plus = next(s for s in steps if s.node is d)  # d = e + c
    graph = draw_dot(L, highlight=plus.nodes)
    nodes = svg_nodes(svg_of(graph)[1])
    marked = sorted(t[0] for cls, t in nodes.values() if "highlight" in cls)
    assert marked == ["+", "c", "d", "e"]  # not the "*" that made e
    assert len(re.findall(r"-> n\d+_op \[color=", graph.source)) == 2  # e -> +, c -> +
    single = svg_nodes(svg_of(draw_dot(L, highlight=d))[1])
    assert [t[0] for cls, t in single.values() if "highlight" in cls] == ["d"]


def test_drawing_during_a_step_through_shows_the_gradients_so_far():
    L, (a, b, c, d, e) = micrograd_graph()
    steps = backward_steps(L)
    first = next(steps)
    nodes = svg_nodes(svg_of(draw_dot(L, highlight=first.nodes))[1])
    assert "grad 1" in node_with(nodes, "L")[1]
    assert "grad ?" in node_with(nodes, "e")[1]  # not reached yet: not computed, not 0
    for _ in steps:
        pass
    nodes = svg_nodes(svg_of(draw_dot(L))[1])
    assert f"grad {a.grad:.4g}" in node_with(nodes, "a")[1]


def test_special_characters_in_labels_are_escaped():
    x = Value(1.0, label='w{1}|<in> "x"')
    y = x * 2
    text, _ = svg_of(draw_dot(y))
    assert "w{1}|&lt;in&gt; &quot;x&quot;" in text or 'w{1}|&lt;in&gt; "x"' in text


def test_freed_graph_is_drawn_without_its_inputs():
    x = Value(2.0, label="x")
    y = x.exp()
    y.label = "y"
    y.backward(retain_graph=False)
    _, tree = svg_of(draw_dot(y))
    nodes = svg_nodes(tree)
    (op,) = [t for cls, t in nodes.values() if "op" in cls]
    assert op == ["exp", "(graph freed by backward;", "retain_graph=True keeps it)"]
    assert all("x" not in texts for _, texts in nodes.values())


def test_render_writes_an_svg_file(tmp_path):
    L, _ = micrograd_graph()
    path = draw_dot(L).render(tmp_path / "graph", format="svg")
    assert path.endswith("graph.svg")
    content = (tmp_path / "graph.svg").read_text()
    assert content.lstrip().startswith("<?xml") and "tanh" in content


def test_it_is_a_digraph_and_values_keep_their_repr():
    L, _ = micrograd_graph()
    graph = draw_dot(L)
    assert isinstance(graph, graphviz.Digraph)
    assert "image/svg+xml" in graph._repr_mimebundle_()  # what Jupyter shows inline
    assert repr(L).startswith("Value(data=")
    assert not hasattr(L, "_repr_mimebundle_") and not hasattr(L, "_repr_svg_")


# ------------------------------------------------------------------------------ big graphs
def chain(n):
    x = Value(0.1, label="x")
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.001
    y.label = "out"
    return y


def test_a_large_graph_is_summarised():
    y = chain(1000)  # 1 + 1000 * 4 nodes (two ops and two constants per step)
    graph = draw_dot(y, max_nodes=40)
    source = graph.source
    assert len(re.findall(r"^\s*n\d+ \[", source, flags=re.M)) == 40
    assert "the graph has 4001 nodes" in source
    assert "3961 more nodes" in source
    assert "max_nodes=4001" in source
    _, tree = svg_of(graph)  # and it renders
    texts = [t for _, ts in svg_nodes(tree).values() for t in ts]
    assert any("max_nodes=4001" in t for t in texts)
    assert any(t == "out" for t in texts)  # the root end is kept


def test_a_large_graph_can_raise_instead():
    with pytest.raises(ValueError, match=r"4001 nodes, more than max_nodes=500; pass max_nodes="):
        draw_dot(chain(1000), overflow="error")


def test_the_limit_can_be_raised():
    source = draw_dot(chain(30), max_nodes=121).source
    assert "more nodes" not in source
    assert len(re.findall(r"^\s*n\d+ \[", source, flags=re.M)) == 121


def test_a_very_deep_graph_does_not_recurse_or_hang():
    y = chain(50_000)
    source = draw_dot(y).source  # default max_nodes=500
    assert "the graph has 200001 nodes" in source


# ------------------------------------------------------------------------- the missing dot
@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """Simulate a machine without Graphviz: nothing on PATH, so `dot` cannot be found."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))


def test_missing_dot_says_which_package_to_install(no_dot, tmp_path):
    L, _ = micrograd_graph()
    graph = draw_dot(L)
    assert "tanh" in graph.source  # the DOT text needs no executable
    for render in (
        lambda: graph.pipe(format="svg"),
        lambda: graph.render(tmp_path / "g", format="svg"),
        lambda: graph._repr_mimebundle_(),
        check_graphviz,
    ):
        with pytest.raises(GraphvizNotFoundError, match=r"apt-get install graphviz") as info:
            render()
        assert isinstance(info.value, graphviz.ExecutableNotFound)  # old handlers still work
        assert "system package graphviz" in str(info.value)


def test_check_graphviz_reports_the_version():
    version = check_graphviz()
    assert isinstance(version, tuple) and version[0] >= 2


# ------------------------------------------------------------------------------ bad input
def test_bad_arguments_are_named():
    L, _ = micrograd_graph()
    with pytest.raises(TypeError, match="Value or Tensor, got float"):
        draw_dot(1.0)
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(L, rankdir="XY")
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="max_nodes"):
            draw_dot(L, max_nodes=bad)
    with pytest.raises(ValueError, match="overflow"):
        draw_dot(L, overflow="ignore")
    with pytest.raises(TypeError, match="highlight"):
        draw_dot(L, highlight=3)
    with pytest.raises(TypeError, match="highlight holds a str"):
        draw_dot(L, highlight=["a"])


# ------------------------------------------------------------------------------- Tensor graphs
def tensor_graph():
    from autograd.tensor import Tensor

    x = Tensor(np.arange(6.0).reshape(2, 3), dtype=np.float32, label="x")
    W = Tensor(np.full((3, 4), 0.1), requires_grad=True, dtype=np.float32, label="W")
    b = Tensor(np.zeros(4), requires_grad=True, dtype=np.float32, label="b")
    h = (x @ W + b).tanh()
    h.label = "h"
    loss = (h * h).mean()
    loss.label = "loss"
    return loss, (x, W, b, h)


def test_tensor_svg_shows_label_shape_dtype_and_ops():
    loss, (x, W, b, h) = tensor_graph()
    nodes = svg_nodes(svg_of(draw_dot(loss))[1])
    assert node_with(nodes, "x") == ({"constant"}, ["x", "shape (2, 3) float32"])
    assert node_with(nodes, "W") == ({"parameter"}, ["W", "shape (3, 4) float32", "grad ?"])
    assert node_with(nodes, "b")[1] == ["b", "shape (4,) float32", "grad ?"]
    assert node_with(nodes, "h")[1] == ["h", "shape (2, 4) float32", "grad ?"]  # not computed
    root = node_with(nodes, "loss")
    assert root[0] == {"root"} and root[1] == [
        "loss",
        "shape () float32",
        f"data {loss.item():.4g}",
        "grad ?",
    ]
    ops = sorted(t[0] for cls, t in nodes.values() if "op" in cls)
    assert ops == ["*", "+", "@", "mean", "tanh"]


def test_tensor_grads_are_summarised_by_their_norm():
    loss, (x, W, b, h) = tensor_graph()
    loss.backward(retain_graph=True)
    nodes = svg_nodes(svg_of(draw_dot(loss))[1])
    for node in (W, b, h):
        norm = float(np.linalg.norm(node.grad))
        assert node_with(nodes, node.label)[1][-1] == f"grad norm {norm:.4g}"
    assert node_with(nodes, "x")[1] == ["x", "shape (2, 3) float32"]  # a constant: no grad
    assert node_with(nodes, "loss")[1][-1] == "grad norm 1"


def test_tensor_graph_freed_by_backward_says_so():
    loss, _ = tensor_graph()
    loss.backward()  # Tensor frees the graph by default, as PyTorch does
    nodes = svg_nodes(svg_of(draw_dot(loss))[1])
    (op,) = [t for cls, t in nodes.values() if "op" in cls]
    assert op == ["mean", "(graph freed by backward;", "retain_graph=True keeps it)"]
    assert len(nodes) == 2


def test_tensor_step_through_highlights_and_fills_in_grads():
    loss, (x, W, b, h) = tensor_graph()
    for step in backward_steps(loss, retain_graph=True):
        if step.node is h:
            nodes = svg_nodes(svg_of(draw_dot(loss, highlight=step.nodes))[1])
            assert node_with(nodes, "h")[0] == {"intermediate", "highlight"}
            assert node_with(nodes, "W")[1] == ["W", "shape (3, 4) float32", "grad ?"]  # not yet
    nodes = svg_nodes(svg_of(draw_dot(loss))[1])
    assert node_with(nodes, "W")[1][-1] == f"grad norm {float(np.linalg.norm(W.grad)):.4g}"
