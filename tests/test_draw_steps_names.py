"""Issue 10: names for unlabelled nodes, step states in drawings, grads not computed yet,
and the steps' LaTeX."""

import re

from test_draw import micrograd_graph, node_with, svg_nodes, svg_of

from autograd.value import Value
from autograd.viz.draw import draw_dot, node_names
from autograd.viz.steps import BackwardSteps, as_latex, backward_steps


def node_fill(tree_text, title):
    """The fill colour of the drawn node named ``title`` in the SVG text."""
    block = re.search(rf"<title>{title}</title>\s*<polygon fill=\"([^\"]+)\"", tree_text)
    return block.group(1)


# -------------------------------------------------------------------------- the step states
def test_a_step_marks_three_states_with_distinct_styles_and_a_legend():
    L, (a, b, c, d, e) = micrograd_graph()
    steps = list(backward_steps(L))
    plus = next(s for s in steps if s.node is d)  # d = e + c, after tanh and the last *
    assert [n.op for n in plus.done] == ["tanh", "*"]
    graph = draw_dot(L, step=plus)
    text, tree = svg_of(graph)
    nodes = svg_nodes(tree)
    by_state = {}
    for name, (classes, texts) in nodes.items():
        for state in ("step-current", "step-receiving", "step-done"):
            if state in classes and "legend" not in classes:
                by_state.setdefault(state, []).append((name, texts))
    assert [t[0] for _, t in by_state["step-current"]] == ["d", "+"]  # the node and its op
    assert [t[0] for _, t in by_state["step-receiving"]] == ["e"]  # c is a constant
    # the unlabelled d * a is named mul#1
    assert sorted(t[0] for _, t in by_state["step-done"]) == ["L", "mul#1"]
    fills = {state: node_fill(text, names[0][0]) for state, names in by_state.items()}
    assert len(set(fills.values())) == 3  # three distinct fills
    legend = [t for cls, t in nodes.values() if "legend" in cls]
    assert len(legend) == 3
    # without a step: no state, no legend
    plain = svg_nodes(svg_of(draw_dot(L))[1])
    assert not any(c & {"step-current", "step-receiving", "step-done", "legend"}
                   for c, _ in plain.values())


def test_edge_labels_give_the_local_derivatives():
    L, (a, b, c, d, e) = micrograd_graph()
    steps = list(backward_steps(L))
    mul = next(s for s in steps if s.node is e)  # e = a * b: de/da = b = -3, de/db = a = 2
    source = draw_dot(L, step=mul, edge_labels=True).source
    assert re.search(r'label=" -3"', source) and re.search(r'label=" 2"', source)
    assert 'label=" -3"' not in draw_dot(L, step=mul).source
    # without a step, the rule run with an upstream of one gives the same numbers
    assert 'label=" -3"' in draw_dot(L, edge_labels=True).source


def test_step_must_be_a_record():
    L, _ = micrograd_graph()
    import pytest

    with pytest.raises(TypeError, match="backward_steps"):
        draw_dot(L, step=3)



# ------------------------------------------------------------------------------------ names
def test_unlabelled_nodes_get_op_names_not_values_in_the_svg_and_the_records():
    x, w = Value(0.5, label="x"), Value(-1.5, label="w")
    y = (x * w).tanh() * 2.0 + (x * x).tanh()  # nothing but x and w labelled
    names = node_names(y)
    assert sorted(v for v in names.values() if "#" in v) == [
        "add#1", "mul#1", "mul#2", "mul#3", "tanh#1", "tanh#2"]
    assert names[id(y)] == "add#1"
    texts = [t for _, ts in svg_nodes(svg_of(draw_dot(y))[1]).values() for t in ts]
    for name in ("add#1", "tanh#1", "tanh#2", "mul#3", "x", "w"):
        assert name in texts
    assert f"data {y.data:.4g}" in texts  # the value stays visible, beside the name
    records = "\n".join(str(s) for s in backward_steps(y))
    assert "d(add#1)/dx +=" in records and "tanh#2 = tanh(mul#3)" in records
    assert not re.search(r"\[-?\d", records)  # no node is named by its value any more
    assert all(names[id(s.node)] in str(s) for s in backward_steps(y))


def test_an_mlp_forward_has_no_value_named_nodes_in_its_records():
    import nn

    model = nn.MLP(2, [3, 1])
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    records = [str(s) for s in backward_steps(loss)]
    text = "\n".join(records)
    assert "dL1.N1.w1" in text and "L2.N1.z = dot+b(L2.N1.w1" in text
    assert "x1: needs no gradient (a constant)" in text
    assert not re.search(r"\[-?\d", text)
    for line in text.splitlines():  # every named derivative names a node, never a number
        for name in re.findall(r"d\(?([^/()\s]+)\)?/", line):
            assert not re.fullmatch(r"-?[\d.e+-]+", name), line


def test_generated_names_are_stable_and_italic():
    x = Value(2.0, label="x")
    y = (x.exp() + x.exp()).tanh()
    assert node_names(y) == node_names(y)
    assert [node_names(y)[id(p)] for p in y.parents[0].parents] == ["exp#1", "exp#2"]
    assert "<I>tanh#1</I>" in draw_dot(y).source


# --------------------------------------------------------------------- grads not computed yet
def test_a_grad_not_computed_is_drawn_greyed_unlike_a_computed_zero():
    a, b = Value(0.0, label="a"), Value(3.0, label="b")
    y = (a * b).relu()  # relu'(0) = 0: after backward, a * b gets a computed 0
    y.label = "y"
    before = svg_nodes(svg_of(draw_dot(y))[1])
    mul = next(t for c, t in before.values() if "mul#1" in t)
    assert "grad ?" in mul and "grad 0" not in mul
    assert '<FONT COLOR="#9a9a9a">grad ?</FONT>' in draw_dot(y).source  # greyed
    assert "grad 0" in node_with(before, "a")[1]  # a fresh leaf's 0.0 is a (zero) gradient
    y.backward()
    after = svg_nodes(svg_of(draw_dot(y))[1])
    mul = next(t for c, t in after.values() if "mul#1" in t)
    assert "grad 0" in mul and "grad ?" not in mul


# ------------------------------------------------------------------------------------ LaTeX
def test_records_and_lists_of_records_render_as_latex():
    L, (a, b, c, d, e) = micrograd_graph()
    steps = BackwardSteps(backward_steps(L))
    assert isinstance(steps, list) and len(steps) == 4
    mul = next(s for s in steps if s.node is e)
    tex = mul._repr_latex_()
    assert tex.startswith("$$\\begin{aligned}") and tex.endswith("\\end{aligned}$$")
    assert r"\mathrm{e} = \mathrm{a} \cdot \mathrm{b}" in tex
    up = f"{mul.upstream:.4g}".replace("e-0", r"\times 10^{-").replace("e-", r"\times 10^{-")
    assert r"\frac{\partial \mathrm{L}}{\partial \mathrm{a}} \mathrel{+}= " in tex
    assert r"\cdot (-3)" in tex and r"\text{so far }" in tex
    assert up.split("\\")[0] in tex
    whole = steps._repr_latex_()
    assert whole.count(r"\text{step ") == 4 and whole == as_latex(steps)
    assert str(steps).count("step ") == 4
    x = Value(1.0)
    tex = next(backward_steps((x * 2.0).tanh()))._repr_latex_()
    assert r"\mathrm{tanh\#1}" in tex  # LaTeX's special characters escaped
