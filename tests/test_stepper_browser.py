"""The page save_steps_html writes, in a real browser: Debian's headless chromium via playwright.

Opened from disk (file://), moved to step 0 of the backward pass (the seed), then stepped with
the next button and with the right arrow key (and back with the left one): after k presses the
page shows the k-th backward_steps record's equation and that record's node is the one marked
in the drawing; play runs to the last step and stops (tests/test_step_page_browser.py checks
the rest of the page). A console error, a page error or any request off the file fails the
test; a screenshot of each run goes to the test's temporary folder. playwright never
downloads a browser here: it drives /usr/bin/chromium (`make chromium` installs it; `make
test` does so when it is missing).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograd import Value, backward_steps, save_steps_html

pytest.importorskip("playwright")

# The CSS class draw_dot(root, step=record) gives the node whose rule runs at that step.
CURRENT = "step-current"


def micrograd_neuron() -> Value:
    """micrograd's lecture neuron, every node labelled: 5 steps."""
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
    return o


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """The page for the neuron, and the (equation, node label) of each backward_steps record of
    a fresh copy of the same graph."""
    records = [(str(r), r.node.label) for r in backward_steps(micrograd_neuron())]
    path = save_steps_html(micrograd_neuron(), tmp_path_factory.mktemp("page") / "steps.html")
    return path, records


class Page:
    """The saved page opened in a fresh context, with what went wrong on the way."""

    def __init__(self, browser, path: Path) -> None:
        self.problems: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = self.page = self.context.new_page()
        url = path.as_uri()

        def route(request_route):
            if request_route.request.url == url:
                request_route.continue_()
            else:
                self.problems.append(f"request off the page: {request_route.request.url}")
                request_route.abort()

        page.route("**/*", route)
        page.on(
            "console",
            lambda msg: msg.type == "error" and self.problems.append(f"console: {msg.text}"),
        )
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.goto(url)

    def shown(self) -> dict:
        """What the page shows now: its equation, the texts of each box it marks as running,
        the counter."""
        return self.page.evaluate(
            """(current) => ({
                equation: document.getElementById("equation").textContent,
                marked: [...document.querySelectorAll("#viewport g.node")]
                    .filter((g) => g.classList.contains(current) && !g.id.endsWith("_op"))
                    .map((g) => [...g.querySelectorAll("text")].map((t) => t.textContent)),
                counter: document.getElementById("counter").textContent,
                step: document.body.dataset.step,
            })""",
            CURRENT,
        )

    def close(self) -> None:
        self.context.close()


@pytest.mark.parametrize("how", ["button", "ArrowRight"])
def test_pressing_next_k_times_after_the_seed_shows_the_kth_record(browser, saved, tmp_path, how):
    path, records = saved
    page = Page(browser, path)
    try:
        page.page.click("#seed")
        assert page.shown()["equation"].startswith("step 0: the seed")
        assert page.shown()["counter"] == f"backward step 0 of {len(records)}"
        for k in range(1, len(records) + 3):  # two presses past the end: stays on the last step
            if how == "button":
                page.page.click("#next")
            else:
                page.page.keyboard.press("ArrowRight")
            expected = records[min(k, len(records)) - 1]
            shown = page.shown()
            assert shown["equation"] == expected[0]
            assert len(shown["marked"]) == 1 and expected[1] == shown["marked"][0][0], shown
            assert shown["counter"] == f"backward step {min(k, len(records))} of {len(records)}"
            if k == 2:
                page.page.screenshot(path=str(tmp_path / f"step2-{how}.png"), full_page=True)
        page.page.keyboard.press("ArrowLeft")
        assert page.shown()["equation"] == records[-2][0]
        page.page.keyboard.press("Home")
        assert page.shown()["step"] == "0"
        page.page.click("#prev")  # before the first step: stays there
        assert page.shown()["step"] == "0"
        assert (tmp_path / f"step2-{how}.png").stat().st_size > 1000
        assert page.problems == []
    finally:
        page.close()


def test_play_runs_to_the_last_step_and_stops(browser, tmp_path):
    o = micrograd_neuron()
    records = [str(r) for r in backward_steps(micrograd_neuron())]
    path = save_steps_html(o, tmp_path / "play.html", interval=30)
    page = Page(browser, path)
    try:
        page.page.click("#play")
        assert page.page.inner_text("#play") == "pause"
        page.page.wait_for_function(
            "document.getElementById('play').textContent === 'play'", timeout=10_000
        )
        assert page.shown()["equation"] == records[-1]
        page.page.screenshot(path=str(tmp_path / "played.png"))
        assert page.problems == []
    finally:
        page.close()
