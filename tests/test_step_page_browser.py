"""The one-drawing step page save_steps_html writes, in Debian's headless chromium (playwright).

At a 1280x720 viewport, opened from disk: the slider reaches every step and each shows its
counter, equation and marked box; step 0 of the backward pass (the seed) exists and shows every
other gradient unknown; the forward pass fills the data in, in order; the backward steps show
the gradients of the records and the chain rule of each; zooming (buttons, keys, wheel) changes
the scale, dragging pans; the local derivatives on the edges switch off; the lecture neuron's
node text renders at 12 CSS px or more; the 2-4-4-1 MLP over 4 samples has every step's boxes
found in its one drawing. A console error, a page error or a request off the file fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import nn
from autograd import backward_steps, save_steps_html

pytest.importorskip("playwright")

from test_stepper_browser import micrograd_neuron  # noqa: E402


def mlp_loss():
    """nn.MLP(2, [4, 4, 1]) and a squared-error loss over 4 samples (80 backward steps)."""
    model = nn.MLP(2, [4, 4, 1], seed=0)
    xs = [[2.0, 3.0], [3.0, -1.0], [0.5, 1.0], [1.0, 1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
    loss.label = "loss"
    return loss


class Page:
    """A saved page in a fresh 1280x720 context, with what went wrong on the way."""

    def __init__(self, browser, path: Path) -> None:
        self.problems: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 720})
        page = self.page = self.context.new_page()
        url = path.as_uri()

        def route(request_route):
            if request_route.request.url != url:
                self.problems.append(f"request off the page: {request_route.request.url}")
                request_route.abort()
            else:
                request_route.continue_()

        page.route("**/*", route)
        page.on("console", lambda m: m.type == "error" and self.problems.append(m.text))
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.goto(url)
        self.steps = json.loads(page.inner_text("#steps-data"))["steps"]

    def go(self, k: int) -> None:
        """Move the slider to ``k`` as a user would (an input event)."""
        self.page.eval_on_selector(
            "#slider", "(s, k) => { s.value = k; s.dispatchEvent(new Event('input')); }", k
        )

    def shown(self) -> dict:
        return self.page.evaluate("""() => {
            const texts = (g) => [...g.querySelectorAll("text")].map((t) => t.textContent);
            const nodes = [...document.querySelectorAll("#viewport g.node")];
            return {
                step: document.body.dataset.step,
                counter: document.getElementById("counter").textContent,
                equation: document.getElementById("equation").textContent,
                current: nodes.filter((g) => g.classList.contains("step-current"))
                    .filter((g) => !g.id.endsWith("_op")).map(texts),
                texts: Object.fromEntries(nodes.map((g) => [texts(g)[0], texts(g)])),
                scale: parseFloat(document.getElementById("viewport").dataset.scale),
                missing: document.body.dataset.missing,
            };
        }""")

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def neuron_page(tmp_path_factory):
    o = micrograd_neuron()
    return save_steps_html(o, tmp_path_factory.mktemp("page") / "neuron.html")


def test_slider_reaches_every_step_forward_seed_and_backward(browser, neuron_page, tmp_path):
    records = list(backward_steps(micrograd_neuron()))
    page = Page(browser, neuron_page)
    try:
        shown = page.shown()
        assert shown["step"] == "0" and shown["missing"] == "0"
        assert shown["texts"]["o"][1] == "data ?" and shown["texts"]["x1"][1] == "data 2"
        assert shown["texts"]["o"][2] == "grad ?"
        forward = [s for s in page.steps if s["ph"] == "f"]
        assert len(forward) == 1 + len(records)  # forward 0, then each op's node
        seed = len(forward)
        for k in range(len(page.steps)):
            page.go(k)
            shown = page.shown()
            assert shown["step"] == str(k)
            assert shown["counter"] == page.steps[k]["t"]
            assert shown["equation"] == page.steps[k]["eq"]
            if 0 < k < seed:  # forward k: that node's data appears
                assert len(shown["current"]) == 1
                assert "data ?" not in shown["current"][0]
            if k > seed:  # backward step j: the record's node runs, its chain rule shown
                record = records[k - seed - 1]
                assert shown["equation"] == str(record)
                assert [t[0] for t in shown["current"]] == [record.node.label]
        page.go(seed)
        shown = page.shown()
        assert shown["equation"].startswith("step 0: the seed")
        assert shown["texts"]["o"][2] == "grad 1"
        assert all(t[2] == "grad ?" for name, t in shown["texts"].items()
                   if name in ("n", "x1", "w1", "b"))  # fmt: skip
        assert shown["texts"]["o"][1].startswith("data 0.70")  # the forward pass has run
        page.go(seed + 1)
        assert page.shown()["texts"]["n"][2] == "grad 0.5"
        page.page.keyboard.press("End")
        last = page.shown()
        assert last["step"] == str(len(page.steps) - 1)
        assert last["texts"]["x1"][2] == f"grad {records[-1].grad_of(records[-1].node):.4g}" or \
            last["texts"]["x1"][2] == "grad -1.5"
        page.page.keyboard.press("Home")
        assert page.shown()["step"] == "0"
        page.page.click("#seed")
        assert page.shown()["step"] == str(seed)
        page.page.click("#last")
        page.page.click("#next")  # past the end: stays
        assert page.shown()["step"] == str(len(page.steps) - 1)
        page.page.click("#first")
        page.page.click("#prev")
        assert page.shown()["step"] == "0"
        page.page.screenshot(path=str(tmp_path / "neuron.png"))
        assert page.problems == []
    finally:
        page.close()


def test_neuron_text_is_readable_at_1280x720(browser, neuron_page):
    page = Page(browser, neuron_page)
    try:
        for k in (0, len(page.steps) - 1):
            page.go(k)
            sizes = page.page.evaluate("""() => [...document.querySelectorAll(
                "#viewport g.node text")].map((t) =>
                parseFloat(t.getAttribute("font-size")) * t.getScreenCTM().a)""")
            assert sizes and min(sizes) >= 12, sizes
        assert page.problems == []
    finally:
        page.close()


def test_zoom_pan_fit_and_the_edge_toggle(browser, neuron_page):
    page = Page(browser, neuron_page)
    try:
        start = page.shown()["scale"]
        page.page.click("#zoom-in")
        assert page.shown()["scale"] == pytest.approx(start * 1.25, rel=1e-3)
        page.page.keyboard.press("-")
        assert page.shown()["scale"] == pytest.approx(start, rel=1e-3)
        box = page.page.locator("#viewport").bounding_box()
        page.page.mouse.move(box["x"] + 300, box["y"] + 150)
        page.page.mouse.wheel(0, -300)
        page.page.wait_for_timeout(100)
        assert page.shown()["scale"] > start * 1.1
        before = page.page.eval_on_selector("#viewport svg", "s => s.getBoundingClientRect().x")
        page.page.mouse.down()
        page.page.mouse.move(box["x"] + 400, box["y"] + 200, steps=4)
        page.page.mouse.up()
        after = page.page.eval_on_selector("#viewport svg", "s => s.getBoundingClientRect().x")
        assert after == pytest.approx(before + 100, abs=2)
        page.page.click("#fit")
        fitted = page.page.eval_on_selector("#viewport svg", """s => {
            const r = s.getBoundingClientRect(), v = s.parentElement.getBoundingClientRect();
            return r.width <= v.width + 1 && r.height <= v.height + 1; }""")
        assert fitted
        edge_text = "#viewport g.edge text"
        assert page.page.locator(edge_text).first.is_visible()
        page.page.click("#locals")
        assert not page.page.locator(edge_text).first.is_visible()
        assert page.problems == []
    finally:
        page.close()


def test_follow_keeps_the_running_node_in_view(browser, tmp_path):
    path = save_steps_html(mlp_loss(), tmp_path / "mlp.html")
    page = Page(browser, path)
    try:
        for k in range(0, len(page.steps), 7):
            page.go(k)
            inside = page.page.evaluate("""() => {
                const g = document.querySelector("#viewport g.node.step-current:not([id$='_op'])");
                if (!g) return true;
                const r = g.getBoundingClientRect();
                const v = document.getElementById("viewport").getBoundingClientRect();
                return r.left >= v.left && r.right <= v.right && r.top >= v.top &&
                       r.bottom <= v.bottom; }""")
            assert inside, k
            assert page.shown()["scale"] >= 0.8
        assert page.problems == []
    finally:
        page.close()


@pytest.mark.parametrize("options", [{}, {"collapse": "neuron"}, {"expand": True}],
                         ids=["nodes", "collapsed", "expanded"])
def test_mlp_page_is_one_drawing_and_every_step_finds_its_boxes(browser, tmp_path, options):
    loss = mlp_loss()
    records = list(backward_steps(mlp_loss()))
    path = save_steps_html(loss, tmp_path / "mlp.html", **options)
    text = path.read_text(encoding="utf-8")
    assert text.count("<svg") == 1 and path.stat().st_size <= 1_000_000
    assert not re.search(r'(src|href)\s*=\s*["\']?\s*(https?:)?//', text, flags=re.I)
    page = Page(browser, path)
    try:
        assert page.shown()["missing"] == "0"
        backward = [s for s in page.steps if s["ph"] == "b"]
        assert len(backward) == len(records) + 1 == 81
        page.page.keyboard.press("End")
        shown = page.shown()
        assert shown["equation"] == str(records[-1])
        assert not any("grad ?" in t for texts in shown["texts"].values() for t in texts)
        page.go(0)
        assert any("grad ?" in t for texts in page.shown()["texts"].values() for t in texts)
        assert page.problems == []
    finally:
        page.close()


# ------------------------------------------------------------ the site's large drawings
SITE_SCRIPT = Path(__file__).resolve().parent.parent / "docs/assets/javascripts/graphs.js"


def test_a_site_drawing_wider_than_its_column_pans_and_zooms_at_a_readable_scale(
    browser, tmp_path
):
    """docs/assets/javascripts/graphs.js with the step page's pan and zoom, on a page laid out
    as the site's notebook pages are (a 630 px column): the lecture neuron's drawing opens with
    its node text at 12 CSS px or more, wider than the column inside a viewport, and its zoom
    buttons and dragging work; a small drawing keeps its natural size."""
    from autograd import Value, draw_dot
    from autograd.viz.pagescript import PANZOOM

    o = micrograd_neuron()
    o.backward()
    big = draw_dot(o, edge_labels=True).pipe(format="svg", encoding="utf-8")
    small_root = Value(2.0, label="a") * 3.0
    small = draw_dot(small_root).pipe(format="svg", encoding="utf-8")
    cell = '<div class="jp-RenderedSVG jp-OutputArea-output">{}</div>'.format
    page = tmp_path / "site.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
        '<div class="md-content" style="width: 630px">'
        + cell(big[big.index("<svg") :]) + cell(small[small.index("<svg") :])
        + f"</div><script>{PANZOOM}</script><script>{SITE_SCRIPT.read_text()}</script>"
        "</body></html>",
        encoding="utf-8",
    )
    view = Page.__new__(Page)
    view.problems = []
    view.context = browser.new_context(viewport={"width": 1280, "height": 720})
    view.page = view.context.new_page()
    view.page.on("pageerror", lambda error: view.problems.append(f"page error: {error}"))
    view.page.goto(page.as_uri())
    try:
        sizes = view.page.evaluate("""() => [...document.querySelectorAll(
            ".md-content svg g.node text")].map((t) =>
            parseFloat(t.getAttribute("font-size")) * t.getScreenCTM().a)""")
        assert sizes and min(sizes) >= 12, sizes
        assert view.page.locator(".chainrule-viewport").count() == 1  # the big one only
        scale = lambda: float(view.page.get_attribute(".chainrule-viewport", "data-scale"))  # noqa: E731
        start = scale()
        view.page.click(".chainrule-zoombar button[data-zoom='+']")
        assert scale() == pytest.approx(start * 1.25, rel=1e-3)
        view.page.click(".chainrule-zoombar button[data-zoom='fit']")
        assert scale() < start
        small_width = view.page.evaluate(
            "() => document.querySelectorAll('.md-content svg')[1].getBoundingClientRect().width"
        )
        natural = float(re.search(r'<svg width="(\d+)pt"', small).group(1)) * 4 / 3
        assert small_width == pytest.approx(natural, abs=1)
        assert view.problems == []
    finally:
        view.context.close()


def test_a_tensor_graph_page_finds_its_cells_and_shows_grad_norms(browser, tmp_path):
    import numpy as np

    from autograd import Tensor

    x = Tensor(np.array([[1.0, -2.0], [0.5, 3.0]]), requires_grad=True, label="x")
    y = (x * x).tanh().sum()
    y.label = "y"
    path = save_steps_html(y, tmp_path / "tensor.html")
    assert x.grad is None  # as found
    page = Page(browser, path)
    try:
        assert page.shown()["missing"] == "0"
        page.page.keyboard.press("End")
        shown = page.shown()
        y.backward()
        assert shown["texts"]["x"][-1] == f"grad norm {float(np.linalg.norm(x.grad)):.4g}"
        assert shown["texts"]["y"][-1] == "grad norm 1"
        page.go(0)
        assert page.shown()["texts"]["x"][-1] == "grad ?"
        assert page.problems == []
    finally:
        page.close()
