"""The playground as a user meets it: ``python -m nn.playground --port PORT`` (Voila) in a real
browser, Debian's headless chromium driven by playwright.

Load the page, change the learning rate, press Play, watch ``Epoch <n>`` advance and the
validation loss go down, press Pause. Every request the page makes is recorded (websockets
too); one that leaves 127.0.0.1 / localhost is refused and fails the test, as does a console
error or a page error. A screenshot goes to the test's temporary folder. Then bad input typed
as a user would (garbage in the setup box, a negative learning rate, a layer pressed down to
0 neurons) shows its message on the page, and the app still trains.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytest.importorskip("playwright")
pytest.importorskip("voila")

ROOT = Path(__file__).resolve().parents[1]
LOCAL = {"127.0.0.1", "localhost", "::1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The real server on a free port; its log goes to a file; stopped at the end."""
    port = free_port()
    log = (tmp_path_factory.mktemp("server") / "voila.log").open("w")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "nn.playground", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 120  # a busy machine starts Voila slowly
    while True:
        if proc.poll() is not None:
            pytest.fail(f"the server exited ({proc.returncode}); see {log.name}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"the server did not listen on {port} within 120 s; see {log.name}")
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}/"
    proc.send_signal(signal.SIGTERM)  # Voila shuts its kernels down on SIGTERM
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the server's own process group (its kernels)
        proc.wait(timeout=5)
    log.close()


def number(page, selector: str) -> float:
    return float(page.locator(selector).first.text_content() or "nan")


def epoch(page) -> int:
    text = page.locator(".pg-epoch").first.text_content() or ""
    match = re.fullmatch(r"Epoch (\d+)", text.strip())
    assert match, f"the counter reads {text!r}"
    return int(match.group(1))


def test_play_trains_live_and_the_page_stays_on_this_machine(server, browser, tmp_path):
    requests: list[str] = []
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()

    def route(request_route):
        url = request_route.request.url
        requests.append(url)
        if urlsplit(url).hostname in LOCAL:
            request_route.continue_()
        else:
            problems.append(f"request off the machine: {url}")
            request_route.abort()

    page.route("**/*", route)
    page.on("websocket", lambda ws: requests.append(ws.url))
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    try:
        page.goto(server)
        play = page.locator("button.pg-play")
        play.wait_for(timeout=90_000)  # a kernel starts and runs the notebook first
        assert play.text_content().strip() == "Play"
        assert epoch(page) == 0
        start_loss = number(page, ".pg-val-loss")

        lr = page.locator(".pg-lr input")
        lr.fill("0.1")
        lr.press("Enter")  # the kernel takes it: the setup string says so
        page.wait_for_function(
            "document.querySelector('.pg-setup input').value.includes('&lr=0.1&')",
            timeout=20_000,
        )

        play.click()
        page.wait_for_function(
            "() => /Epoch ([2-9]\\d|\\d{3,})/.test("
            "document.querySelector('.pg-epoch').textContent)",  # epoch >= 20
            timeout=60_000,
        )
        assert play.text_content().strip() == "Pause"
        page.wait_for_function(
            f"parseFloat(document.querySelector('.pg-val-loss').textContent) < "
            f"{0.8 * start_loss}",
            timeout=60_000,
        )
        page.screenshot(path=str(tmp_path / "playing.png"), full_page=True)

        play.click()  # pause
        page.wait_for_function(
            "document.querySelector('button.pg-play').textContent.trim() === 'Play'",
            timeout=20_000,
        )
        paused = epoch(page)
        page.wait_for_timeout(1500)
        assert epoch(page) == paused  # stopped
        assert number(page, ".pg-val-loss") < 0.8 * start_loss
        assert (tmp_path / "playing.png").stat().st_size > 10_000
    finally:
        context.close()
    assert requests, "no request was recorded"
    off = [url for url in requests if urlsplit(url).hostname not in LOCAL]
    assert off == [] and problems == [], (off, problems)


def test_bad_input_is_a_message_on_the_page_and_breaks_nothing(server, browser):
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()

    def route(request_route):
        if urlsplit(request_route.request.url).hostname in LOCAL:
            request_route.continue_()
        else:
            problems.append(f"request off the machine: {request_route.request.url}")
            request_route.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    message = page.locator(".pg-message")
    try:
        page.goto(server)
        page.locator("button.pg-play").wait_for(timeout=90_000)
        box = page.locator(".pg-setup input")
        for text, words in [("this is not a setup", "is not key=value"),
                            ("lr=-1", "lr: must be in (0, 10], got -1.0"),
                            ("layers=4,0", "hidden layer 2 needs 1 to 8 neurons, got 0")]:
            box.fill(text)
            box.press("Enter")  # the box's value reaches the kernel, then Load
            page.locator("button.pg-load").click()
            page.wait_for_function(
                "(words) => document.querySelector('.pg-message').textContent.includes(words)",
                arg=words, timeout=20_000,
            )
        # the neuron buttons: down to 1 in the first layer, then once more
        remove = page.locator("button.pg-neuron-remove").first
        for _ in range(4):
            remove.click()
        page.wait_for_function(
            "document.querySelector('.pg-message').textContent.includes('got 0')",
            timeout=20_000,
        )
        assert "hidden layer 1 needs 1 to 8 neurons, got 0" in message.text_content()
        page.locator("button.pg-step").click()  # still trains: one epoch
        page.wait_for_function(
            "document.querySelector('.pg-epoch').textContent.trim() === 'Epoch 1'",
            timeout=20_000,
        )
        assert "layers=1,4" in box.input_value()
    finally:
        context.close()
    assert problems == []
