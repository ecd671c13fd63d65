"""Issue 10: names for unlabelled nodes, step states in drawings, grads not computed yet,
``expand=True``, ``collapse=``, and the steps' LaTeX."""

import re

from autograd.draw import draw_dot
from autograd.steps import backward_steps
from autograd.value import Value
from test_draw import micrograd_graph, svg_nodes, svg_of


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
    assert sorted(t[0] for _, t in by_state["step-done"]) == ["L", "data 8"]
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

