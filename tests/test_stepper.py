"""step_through (the ipywidgets stepper) and save_steps_html (the one-file web page): the same walk
as backward(), run as on a fresh graph (every .grad left as found), each step showing the
gradients as they were right after it.

The widget is driven from Python (its slider and buttons); the page's script is driven in a real
browser by tests/test_step_page_browser.py and tests/test_stepper_browser.py, here only its
content is checked: one SVG, no address off the page, each backward step's equation that of its
backward_steps record, the same page for a graph walked before.
"""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest

from autograd import Tensor, Value, backward_steps, save_steps_html, step_through

pytest.importorskip("ipywidgets")


def micrograd_neuron():
    """micrograd's lecture neuron, every node labelled; returns (leaves, output)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    s = x1w1 + x2w2
    s.label = "s"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return (x1, x2, w1, w2, b), o


def diamond():
    """A node reused: a feeds b = a * a, and both b and a feed the output."""
    a = Value(1.5, label="a")
    b = a * a
    b.label = "b"
    c = b + a
    c.label = "c"
    d = c * b
    d.label = "d"
    return (a,), d


def _expected(build):
    """backward()'s gradients and the backward_steps records' (equation, node label, parents'
    labels), each on a fresh copy of the graph (every node of it labelled)."""
    leaves, root = build()
    steps = [
        (str(r), r.node.label, ", ".join(p.label for p in r.parents))
        for r in backward_steps(root, retain_graph=True)
    ]
    leaves, root = build()
    root.backward()
    return [leaf.grad for leaf in leaves], steps


def _text(html_value: str) -> str:
    """The text of an HTML fragment (the equation widget's <pre>), entities undone."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", html_value))


def _running(svg: str) -> list[str]:
    """The labels of the nodes a drawing marks as running (draw_dot(root, step=record)); a
    labelled node's first text is its label."""
    groups = re.findall(r'<g id="[^"]*" class="node ([^"]*)">(.*?)</g>', svg, flags=re.S)
    return [
        _text(re.search(r"<text[^>]*>(.*?)</text>", body, flags=re.S).group(1))
        for css, body in groups
        if "step&#45;current" in css.split() and not {"op", "legend"} & set(css.split())
    ]


# ------------------------------------------------------------------------- step_through
@pytest.mark.parametrize("build", [micrograd_neuron, diamond])
def test_widget_has_one_position_per_step_and_leaves_grads_as_found(build):
    grads, steps = _expected(build)
    leaves, root = build()
    widget = step_through(root)
    assert widget.slider.min == 1 and widget.slider.max == len(steps)
    assert len(widget.records) == len(steps)
    assert [leaf.grad for leaf in leaves] == [0.0] * len(leaves)  # as found: fresh
    last = widget.records[-1]
    assert [last.grad_of(leaf) for leaf in leaves] == grads  # the records carry backward's
    assert _text(widget.equation.value) == steps[0][0]
    assert widget.graph.value.count("<svg") == 1


def test_moving_the_slider_shows_that_steps_drawing_and_equation():
    _, steps = _expected(micrograd_neuron)
    _, root = micrograd_neuron()
    widget = step_through(root)
    seen = []
    for k in range(1, len(steps) + 1):
        widget.slider.value = k
        assert _text(widget.equation.value) == steps[k - 1][0]
        seen.append(widget.graph.value)
    assert len(set(seen)) == len(steps)  # each step its own picture
    assert [_running(svg) for svg in seen] == [[step[1]] for step in steps]
    widget.slider.value = 1
    assert _text(widget.equation.value) == steps[0][0] and widget.graph.value == seen[0]


def test_drawing_at_step_k_shows_the_grads_as_they_were_after_step_k():
    """o = tanh(n): o's grad is 1 from step 1; n's is filled in by step 1, and x1's only at the
    last step (x1 * w1), so early drawings show x1's grad still 0."""
    (x1, _, w1, _, _), root = micrograd_neuron()
    widget = step_through(root)
    first, last = widget.graph.value, None
    widget.slider.value = widget.slider.max
    last = widget.graph.value
    final = widget.records[-1].grad_of(x1)
    x1_grad = f"grad {final:.4g}".replace("-", "&#45;")
    assert final == pytest.approx(-1.5) and x1_grad in last and x1_grad not in first


def test_buttons_move_one_step_and_stop_at_the_ends():
    _, root = diamond()
    widget = step_through(root)
    controls = widget.children[0].children
    buttons = {c.description: c for c in controls if c.description in ("previous", "next")}
    previous, following = buttons["previous"], buttons["next"]
    previous.click()
    assert widget.slider.value == 1
    for _ in range(10):
        following.click()
    assert widget.slider.value == widget.slider.max
    previous.click()
    assert widget.slider.value == widget.slider.max - 1


def test_a_tensor_graph_steps_through_too():
    x = Tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    x.label = "x"
    y = (x * x).tanh().sum()
    y.label = "y"
    widget = step_through(y)
    assert widget.slider.max == len(widget.records) == 3
    assert x.grad is None  # as found
    y.backward()
    np.testing.assert_array_equal(widget.records[-1].grad_of(x), x.grad)


def test_zoom_scales_the_drawing_in_a_scrolling_box():
    _, root = micrograd_neuron()
    widget = step_through(root)
    def width() -> float:
        return float(re.search(r'<svg width="([\d.]+)px"', widget.graph.value).group(1))

    natural = width()
    assert "overflow: auto" in widget.graph.value and "max-width: none" in widget.graph.value
    zoom = [c for c in widget.children[1].children if getattr(c, "description", "") == "+"][0]
    zoom.click()
    assert widget.zoom.value == pytest.approx(1.25)
    assert width() == pytest.approx(natural * 1.25, 0.01)


@pytest.mark.parametrize("how", ["widget", "page"])
def test_a_walked_graph_steps_as_a_fresh_one_and_keeps_its_grads(tmp_path, how):
    def shown(root):
        if how == "page":
            return save_steps_html(root, tmp_path / "p.html").read_text(encoding="utf-8")
        widget = step_through(root)
        return [str(r) for r in widget.records], widget.graph.value

    leaves, root = micrograd_neuron()
    fresh = shown(root)
    leaves, root = micrograd_neuron()
    root.backward()
    root.backward()  # twice: every leaf's grad doubled
    found = [leaf.grad for leaf in leaves] + [root.grad]
    assert shown(root) == fresh  # not "so far: -3" where a fresh graph says -1.5
    assert [leaf.grad for leaf in leaves] + [root.grad] == found


def test_without_ipywidgets_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # `import ipywidgets` now fails
    leaves, root = diamond()
    with pytest.raises(ImportError, match=r"pip install chainrule\[notebooks\]"):
        step_through(root)
    assert leaves[0].grad == 0.0  # nothing ran


def test_a_leaf_and_a_too_long_pass_are_clear_errors():
    with pytest.raises(ValueError, match="leaf"):
        step_through(Value(1.0, label="a"))
    _, root = micrograd_neuron()
    with pytest.raises(ValueError, match="max_steps=5"):
        step_through(root, max_steps=3)
    with pytest.raises(RuntimeError, match="does not require grad"):
        step_through(Value(1.0, requires_grad=False) * 2.0)


# ------------------------------------------------------------------------ save_steps_html
def _sections(text: str) -> list[str]:
    return re.findall(r'<section class="step".*?</section>', text, flags=re.S)


def _attr(section: str, name: str) -> str:
    import html

    return html.unescape(re.search(rf'{name}="([^"]*)"', section).group(1))


def _steps_data(text: str) -> dict:
    import json

    return json.loads(re.search(r'<script id="steps-data" type="application/json">(.*?)</script>',
                                text, flags=re.S).group(1))  # fmt: skip


def test_page_has_one_svg_and_a_state_per_step(tmp_path):
    grads, steps = _expected(micrograd_neuron)
    leaves, root = micrograd_neuron()
    path = save_steps_html(root, tmp_path / "steps.html")
    assert path == tmp_path / "steps.html"
    text = path.read_text(encoding="utf-8")
    assert [leaf.grad for leaf in leaves] == [0.0] * 5  # as found
    assert text.count("<svg") == 1
    data = _steps_data(text)
    phases = [s["ph"] for s in data["steps"]]
    assert phases == ["f"] * (len(steps) + 1) + ["b"] * (len(steps) + 1)
    backward = data["steps"][data["seed"] :]
    assert backward[0]["eq"].startswith("step 0: the seed, do/do = 1")
    assert [s["eq"] for s in backward[1:]] == [equation for equation, _, _ in steps]
    ids = {u[0]: u for u in data["units"]}
    for s, (_, node, _) in zip(backward[1:], steps):  # the marked box holds the record's node
        (unit,) = s["cur"]
        assert re.search(rf'<g id="{data["units"][unit][0]}" class="node[^"]*">\s*<title>'
                         rf'[^<]*</title>\s*<polygon[^>]*/>\s*<text[^>]*>{node}</text>', text)
    assert len(ids) == len(data["units"])
    x1_unit = next(i for i, u in enumerate(data["units"]) if u[3] == "grad -1.5")
    assert any(s["g"].get(str(x1_unit)) == "grad -1.5" for s in backward)  # x1's at its step


def test_page_names_an_array_constant_by_its_values_as_its_equation_does(tmp_path):
    x = Tensor(np.ones(3), requires_grad=True, label="x")
    root = (x * np.array([1.0, 2.0, 3.0])).sum()
    data = _steps_data(save_steps_html(root, tmp_path / "p.html").read_text(encoding="utf-8"))
    equations = [s["eq"] for s in data["steps"]]
    assert any("[1., 2., 3.]" in e and e.startswith("step 2") for e in equations)
    assert any("[1., 2., 3.]" in e and e.startswith("forward 1") for e in equations)


def test_page_is_self_contained(tmp_path):
    _, root = diamond()
    text = save_steps_html(root, tmp_path / "d.html").read_text(encoding="utf-8")
    assert not re.search(r'(src|href)\s*=\s*["\']?\s*(https?:)?//', text, flags=re.I)
    assert "<link" not in text and "@import" not in text and "url(" not in text
    assert re.search(r"<script>", text) and not re.search(r"<script[^>]*\bsrc=", text)
    assert "<?xml" not in text and "<!DOCTYPE svg" not in text  # the SVGs are inline
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids))  # the drawing's and the page's ids unique


def test_page_write_is_atomic_and_replaces_an_old_file(tmp_path):
    target = tmp_path / "out.html"
    target.write_text("old", encoding="utf-8")
    _, root = diamond()
    save_steps_html(root, str(target), title="A <diamond>")
    text = target.read_text(encoding="utf-8")
    assert "<title>A &lt;diamond&gt;</title>" in text
    assert [p.name for p in tmp_path.iterdir()] == ["out.html"]  # no temporary file left


def test_page_in_a_missing_folder_fails_before_the_walk(tmp_path):
    leaves, root = diamond()
    with pytest.raises(FileNotFoundError, match="folder"):
        save_steps_html(root, tmp_path / "no" / "such" / "steps.html")
    assert leaves[0].grad == 0.0


def test_page_options_the_page_sets_itself_are_refused_before_the_walk(tmp_path):
    leaves, root = diamond()
    with pytest.raises(TypeError, match="step= is set by the page"):
        save_steps_html(root, tmp_path / "p.html", step=None)
    with pytest.raises(TypeError, match="highlight= is set by the page"):
        save_steps_html(root, tmp_path / "p.html", highlight=leaves[0])
    assert leaves[0].grad == 0.0 and list(tmp_path.iterdir()) == []


def test_a_record_reads_the_gradients_of_any_step_of_its_walk():
    (x1, *_), root = micrograd_neuron()
    records = list(backward_steps(root))
    trace = records[0].trace
    assert trace is records[-1].trace
    assert trace.at(0)[id(root)] == 1.0 and trace.at(0)[id(x1)] == 0.0  # the seed; x1 as found
    assert trace.at(len(records))[id(x1)] == pytest.approx(-1.5)
    with pytest.raises(IndexError, match="steps 0 to 5"):
        trace.at(6)


def test_fit_and_follow_frame_the_drawing():
    import nn

    model = nn.MLP(2, [4, 4, 1], seed=0)
    loss = sum((model(x) - y) ** 2 for x, y in [([2.0, 3.0], 1.0), ([3.0, -1.0], -1.0)])
    widget = step_through(loss)
    widget.fit.value = True
    assert 'width="100%"' in widget.graph.value and 'height="' not in widget.graph.value[:200]
    widget.fit.value = False
    widget.follow.value = True
    for k in (1, widget.slider.max // 2, widget.slider.max):
        widget.slider.value = k
        svg = widget.graph.value
        assert '<svg width="960px" height="440px"' in svg
        x0, y0, w, h = map(float, re.search(r'viewBox="([^"]+)"', svg).group(1).split())
        # the marked box's centre (graph coordinates plus the graph's translate) is inside
        tx, ty = map(float, re.search(r"translate\(([-\d.]+) ([-\d.]+)\)", svg).groups())
        points = re.search(r'step&#45;current[^"]*">\s*<title>[^<]*</title>\s*<polygon[^>]*'
                           r'points="([^"]+)"', svg).group(1)  # fmt: skip
        xs = [float(p.split(",")[0]) + tx for p in points.split()]
        ys = [float(p.split(",")[1]) + ty for p in points.split()]
        cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
        assert x0 <= cx <= x0 + w and y0 <= cy <= y0 + h
        assert w == pytest.approx(960 / (4 / 3), 0.01)  # at the zoom's scale (1)
