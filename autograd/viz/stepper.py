"""Step through a backward pass: ``step_through`` (a Jupyter widget, needs ``ipywidgets``) and
``save_steps_html`` (one self-contained web page: to share with a class, or where widgets do not
run).

Both run the very walk behind ``backward()`` (:func:`~autograd.backward_steps`, the graph
retained) and draw the graph after each step: at step k, the gradients as they were right after
step k, that step marked, its chain rule underneath. As with ``backward()``, gradients
accumulate: zero them (or build the graph afresh) before stepping through the same graph again.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import Node, topological_order
from .draw import check_graphviz, draw_dot
from .names import node_names
from .steps import BackwardStep, _show, backward_steps

if TYPE_CHECKING:  # an optional dependency, imported by step_through itself
    import ipywidgets

__all__ = ["save_steps_html", "step_through"]

NOTEBOOKS_HINT = (
    "step_through() needs ipywidgets, which is not installed: pip install chainrule[notebooks] "
    "(or pip install ipywidgets). save_steps_html(root, path) steps through without it."
)


@dataclass(frozen=True)
class _Frame:
    """One step as shown: its record, the drawing after it (SVG text), its equation, the names
    of its node and of that node's parents."""

    record: BackwardStep
    svg: str
    equation: str
    node: str
    parents: str


def _namer(root: Node) -> Callable[[Node], str]:
    """A function giving each node of ``root``'s graph its name in drawings and step records
    (:func:`~autograd.draw_text.node_names`). A step's constant parent is named by its value,
    as in the step's equation."""
    names = node_names(root)

    def name(node: Node) -> str:
        if id(node) in names:
            return names[id(node)]
        return _show(node.data)

    return name


def _frames(root: Node, grad: Any, max_steps: int, options: dict) -> list[_Frame]:
    """Walk ``root``'s backward pass, drawing the graph after every step (the gradients then)."""
    walk = backward_steps(root, grad, retain_graph=True)  # checks root (a node needing grad)
    name_of = _namer(root)
    if root.is_leaf:
        raise ValueError(
            f"nothing to step through: {name_of(root)!r} is a leaf (no op made it, so backward() "
            "only sets its own grad); step through a node computed from it"
        )
    if (count := len(topological_order([root]))) > max_steps:
        raise ValueError(
            f"the backward pass of {name_of(root)!r} has {count} steps, more than "
            f"max_steps={max_steps}: pass max_steps={count} to draw them all (one drawing per "
            "step), or step through a smaller expression"
        )
    frames = []
    with closing(walk):
        check_graphviz()  # before the first step: a missing `dot` leaves no grad half done
        for record in walk:
            svg = draw_dot(root, step=record, **options).pipe(format="svg", encoding="utf-8")
            svg = svg[svg.index("<svg") :]  # no XML prolog, DOCTYPE or comment: ready to inline
            parents = ", ".join(map(name_of, record.parents))
            frames.append(_Frame(record, svg, str(record), name_of(record.node), parents))
    return frames


def step_through(
    root: Node, grad: Any = None, *, interval: int = 1500, max_steps: int = 200, **draw_options: Any
) -> ipywidgets.VBox:
    """An ipywidgets control stepping through ``root``'s backward pass, for Jupyter.

    Play, previous and next buttons and a slider over the steps (step 1 is the root's rule, the
    last the one nearest the leaves); below them the drawing after the chosen step and its chain
    rule (``str(record)``). All steps are run and drawn when it is built: afterwards every
    ``.grad`` equals ``root.backward(grad)``'s.

    ``interval`` is Play's pause between steps in milliseconds; a pass of more than ``max_steps``
    steps raises ``ValueError`` (each step is one drawing); ``draw_options`` go to
    :func:`~autograd.draw_dot` (``rankdir='TB'``, ...). Returns an ``ipywidgets.VBox`` (Jupyter
    shows it when it ends a cell) with attributes ``slider``, ``graph`` and ``equation`` (the
    widgets) and ``records`` (the steps). Raises ``ImportError`` saying what to install when
    ipywidgets is missing.
    """
    try:
        import ipywidgets as widgets
    except ImportError as exc:
        raise ImportError(NOTEBOOKS_HINT) from exc
    frames = _frames(root, grad, max_steps, draw_options)
    n = len(frames)

    slider = widgets.IntSlider(value=1, min=1, max=n, description="step", continuous_update=True)
    play = widgets.Play(value=1, min=1, max=n, interval=interval, description="play")
    widgets.jslink((play, "value"), (slider, "value"))
    previous = widgets.Button(description="previous", icon="step-backward")
    following = widgets.Button(description="next", icon="step-forward")
    graph = widgets.HTML(frames[0].svg)
    equation = widgets.HTML(_pre(frames[0].equation))

    def show(change: dict) -> None:
        frame = frames[change["new"] - 1]
        graph.value, equation.value = frame.svg, _pre(frame.equation)

    slider.observe(show, names="value")
    previous.on_click(lambda _: setattr(slider, "value", max(1, slider.value - 1)))
    following.on_click(lambda _: setattr(slider, "value", min(n, slider.value + 1)))

    box = widgets.VBox([widgets.HBox([play, previous, following, slider]), graph, equation])
    box.slider, box.graph, box.equation = slider, graph, equation
    box.records = [frame.record for frame in frames]
    return box


def _pre(text: str) -> str:
    return f'<pre style="margin: 0.5em 0">{html.escape(text)}</pre>'


def save_steps_html(
    root: Node,
    path: str | os.PathLike,
    grad: Any = None,
    *,
    title: str | None = None,
    interval: int = 1500,
    max_steps: int = 200,
    **draw_options: Any,
) -> Path:
    """Write one self-contained HTML page that steps through ``root``'s backward pass; return
    its path.

    Each step shows the drawing after it and its chain rule; previous / next / play buttons and
    the arrow keys (Home, End) move between the steps. Every SVG is inline and the script is a
    few lines of plain JavaScript: nothing is fetched, no server is needed (open it from disk,
    mail it, put it on a site). Each step is a ``<section class="step">`` with ``data-step``
    (1, 2, ...), ``data-node`` (the name of the node whose rule runs), ``data-op``,
    ``data-parents`` and ``data-equation`` (``str(record)``) attributes.

    Afterwards every ``.grad`` equals ``root.backward(grad)``'s. The page is written beside
    ``path`` and renamed into place, so it is never seen half written. ``title`` heads the
    page (default: "Backward pass of <root>"); ``interval`` is play's pause between steps in
    milliseconds; more than ``max_steps`` steps raises ``ValueError``; ``draw_options`` go to
    :func:`~autograd.draw_dot`.
    """
    path = Path(path)
    if not path.parent.is_dir():  # before the walk: a wrong path leaves the grads untouched
        raise FileNotFoundError(f"save_steps_html(): no folder {str(path.parent)!r} to write into")
    frames = _frames(root, grad, max_steps, draw_options)
    title = title if title is not None else f"Backward pass of {_namer(root)(root)}"
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:  # issue 28
        raise ValueError(f"save_steps_html: interval must be an int >= 1 (ms), got {interval!r}")
    text = _page(frames, title, interval)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# ------------------------------------------------------------------------------- the page
_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 1em; color: #222; }
h1 { font-size: 1.2em; margin: 0 0 0.5em; }
.controls { display: flex; gap: 0.5em; align-items: center; margin-bottom: 0.5em; }
.controls button { font-size: 1em; padding: 0.2em 0.8em; }
.graph svg { max-width: 100%; height: auto; }
pre.equation { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 0.9em; }
"""

# Steps are the <section class="step"> elements; exactly one is shown (the others are hidden).
_SCRIPT = """
(function () {
  var steps = document.querySelectorAll("section.step"), k = 0, timer = null;
  var play = document.getElementById("play"), counter = document.getElementById("counter");
  function show(i) {
    k = Math.max(0, Math.min(steps.length - 1, i));
    steps.forEach(function (s, j) { s.hidden = j !== k; });
    counter.textContent = "step " + (k + 1) + " of " + steps.length;
  }
  function stop() { clearInterval(timer); timer = null; play.textContent = "\\u25B6 play"; }
  function go(i) { stop(); show(i); }
  play.onclick = function () {
    if (timer) { stop(); return; }
    if (k === steps.length - 1) show(0);
    play.textContent = "\\u23F8 pause";
    timer = setInterval(function () {
      if (k < steps.length - 1) show(k + 1); else stop();
    }, INTERVAL);
  };
  document.getElementById("prev").onclick = function () { go(k - 1); };
  document.getElementById("next").onclick = function () { go(k + 1); };
  document.addEventListener("keydown", function (e) {
    var to = {ArrowRight: k + 1, ArrowLeft: k - 1, Home: 0, End: steps.length - 1}[e.key];
    if (to !== undefined) { e.preventDefault(); go(to); }
  });
  show(0);
})();
"""


def _page(frames: list[_Frame], title: str, interval: int) -> str:
    """The whole HTML document: controls, one section per step, the script."""
    sections = []
    for frame in frames:
        record = frame.record
        attrs = {
            "data-step": str(record.index),
            "data-node": frame.node,
            "data-op": record.op,
            "data-parents": frame.parents,
            "data-equation": frame.equation,
        }
        shown = " ".join(f'{k}="{html.escape(v, quote=True)}"' for k, v in attrs.items())
        hidden = "" if record.index == 1 else " hidden"
        svg = re.sub(r'\bid="', f'id="s{record.index}-', frame.svg)  # ids unique in the page
        sections.append(
            f'<section class="step" {shown}{hidden}>\n<div class="graph">{svg}</div>\n'
            f'<pre class="equation">{html.escape(frame.equation)}</pre>\n</section>'
        )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n"
        '<div class="controls">\n'
        '<button id="prev" type="button" title="previous step (left arrow)">&#9664; previous'
        "</button>\n"
        '<button id="play" type="button" title="play the steps">&#9654; play</button>\n'
        '<button id="next" type="button" title="next step (right arrow)">next &#9654;</button>\n'
        f'<span id="counter">step 1 of {len(frames)}</span>\n</div>\n'
        + "\n".join(sections)
        + f"\n<script>{_SCRIPT.replace('INTERVAL', str(interval))}</script>\n</body>\n</html>\n"
    )
