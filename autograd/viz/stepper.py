"""Step through a backward pass: ``step_through`` (a Jupyter widget, needs ``ipywidgets``) and
``save_steps_html`` (one self-contained web page: to share with a class, or where widgets do not
run).

Both run the very walk behind ``backward()`` (:func:`~autograd.backward_steps`, the graph
retained) as on a fresh graph: every ``.grad`` starts empty for the walk and is put back as it
was found afterwards, so a graph walked before shows the same steps and keeps its gradients. At
step k the drawing shows the gradients as they were right after step k (the record's), that
step marked, its chain rule underneath.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import Node
from .draw import draw_dot
from .page import fresh_walk, namer, step_page
from .steps import BackwardStep

if TYPE_CHECKING:  # an optional dependency, imported by step_through itself
    import ipywidgets

__all__ = ["save_steps_html", "step_through"]

NOTEBOOKS_HINT = (
    "step_through() needs ipywidgets, which is not installed: pip install chainrule[notebooks] "
    "(or pip install ipywidgets). save_steps_html(root, path) steps through without it."
)


@dataclass(frozen=True)
class _Frame:
    """One step as shown in the widget: its record, the drawing after it (SVG text), its
    equation."""

    record: BackwardStep
    svg: str
    equation: str


def _frames(root: Node, grad: Any, max_steps: int, options: dict) -> list[_Frame]:
    """Walk ``root``'s backward pass as on a fresh graph, drawing it as of every step."""
    frames = []
    for record in fresh_walk(root, grad, max_steps):
        svg = draw_dot(root, step=record, **options).pipe(format="svg", encoding="utf-8")
        svg = svg[svg.index("<svg") :]  # no XML prolog, DOCTYPE or comment: ready to inline
        frames.append(_Frame(record, svg, str(record)))
    return frames


def step_through(
    root: Node, grad: Any = None, *, interval: int = 1500, max_steps: int = 200, **draw_options: Any
) -> ipywidgets.VBox:
    """An ipywidgets control stepping through ``root``'s backward pass, for Jupyter.

    Play, previous and next buttons and a slider over the steps (step 1 is the root's rule, the
    last the one nearest the leaves); below them the drawing after the chosen step and its chain
    rule (``str(record)``). All steps are run and drawn when it is built, on the graph as if
    fresh; every ``.grad`` is left as it was found (the records carry the gradients). The
    drawing keeps its natural size in a scrolling box (scroll to pan); the zoom buttons
    (``-``, ``+``, ``1:1``) scale it, ``fit`` fits it to the output's width and ``follow``
    shows a window on it centred on each step's node, at the zoom's scale.

    ``interval`` is Play's pause between steps in milliseconds; a pass of more than ``max_steps``
    steps raises ``ValueError`` (each step is one drawing); ``draw_options`` go to
    :func:`~autograd.draw_dot` (``rankdir='TB'``, ...). Returns an ``ipywidgets.VBox`` (Jupyter
    shows it when it ends a cell) with attributes ``slider``, ``graph`` and ``equation`` (the
    widgets), ``zoom`` (the scale, a FloatSlider), ``fit`` and ``follow`` (a ToggleButton and
    a Checkbox) and ``records`` (the steps). Raises
    ``ImportError`` saying what to install when ipywidgets is missing.
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
    zoom = widgets.FloatSlider(value=1.0, min=0.25, max=4.0, step=0.05, description="zoom",
                               readout_format=".2f")  # fmt: skip
    smaller, larger, actual = (widgets.Button(description=d, layout=widgets.Layout(width="3em"))
                               for d in ("-", "+", "1:1"))  # fmt: skip
    fit = widgets.ToggleButton(value=False, description="fit", layout=widgets.Layout(width="4em"))
    follow = widgets.Checkbox(value=False, description="follow", indent=False)
    graph = widgets.HTML(scaled(frames[0].svg, 1.0))
    equation = widgets.HTML(_pre(frames[0].equation))

    def show(_: Any = None) -> None:
        frame = frames[slider.value - 1]
        graph.value = scaled(frame.svg, zoom.value, fit.value, follow.value)
        equation.value = _pre(frame.equation)

    for control in (slider, zoom, fit, follow):
        control.observe(show, names="value")
    smaller.on_click(lambda _: setattr(zoom, "value", max(zoom.min, zoom.value / 1.25)))
    larger.on_click(lambda _: setattr(zoom, "value", min(zoom.max, zoom.value * 1.25)))
    actual.on_click(lambda _: setattr(zoom, "value", 1.0))
    previous.on_click(lambda _: setattr(slider, "value", max(1, slider.value - 1)))
    following.on_click(lambda _: setattr(slider, "value", min(n, slider.value + 1)))

    box = widgets.VBox([widgets.HBox([play, previous, following, slider]),
                        widgets.HBox([smaller, larger, actual, zoom, fit, follow]), graph,
                        equation])  # fmt: skip
    box.slider, box.graph, box.equation, box.zoom = slider, graph, equation, zoom
    box.fit, box.follow = fit, follow
    box.records = [frame.record for frame in frames]
    return box


FOLLOW_WINDOW = (960, 440)  # CSS px: the widget's window onto the drawing when following


def scaled(svg: str, scale: float, fit: bool = False, follow: bool = False) -> str:
    """The drawing at ``scale`` times its natural size (a graphviz point is 4/3 CSS px), in a
    box that scrolls rather than shrinking it; ``fit``: as wide as the output area instead;
    ``follow``: a window of ``FOLLOW_WINDOW`` px at that scale, centred on the step's node."""
    head, rest = svg.split(">", 1)
    px = scale * 4 / 3
    if fit:
        head = re.sub(r'\b(width|height)="[\d.]+pt"', "", head) + ' width="100%"'
    elif follow and (window := _window(svg, px)) is not None:
        head = re.sub(r'\bviewBox="[^"]*"', f'viewBox="{window}"', head)
        head = re.sub(r'\bwidth="[\d.]+pt"', f'width="{FOLLOW_WINDOW[0]}px"', head)
        head = re.sub(r'\bheight="[\d.]+pt"', f'height="{FOLLOW_WINDOW[1]}px"', head)
    else:
        def size(match: re.Match) -> str:
            return f'{match.group(1)}="{float(match.group(2)) * px:.1f}px"'

        head = re.sub(r'\b(width|height)="([\d.]+)pt"', size, head)
    return (f'<div class="chainrule-graph" style="overflow: auto; max-height: 75vh; '
            f'border: 1px solid #ddd">{head} style="max-width: none">{rest}</div>')


def _window(svg: str, px: float) -> str | None:
    """The viewBox of a ``FOLLOW_WINDOW`` around the box marked ``step-current`` (None when
    the whole drawing fits in the window, or no box is marked)."""
    box = re.search(r'viewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"', svg)
    shift = re.search(r'class="graph" transform="[^"]*translate\(([-\d.]+) ([-\d.]+)\)"', svg)
    node = re.search(r'<g id="n\d+" class="node [^"]*step&#45;current[^"]*">\s*<title>[^<]*'
                     r'</title>\s*<(?:polygon|path)[^>]*?(?:points|d)="([^"]+)"', svg)  # fmt: skip
    if box is None or shift is None or node is None:
        return None
    width, height = float(box.group(3)), float(box.group(4))
    w, h = FOLLOW_WINDOW[0] / px, FOLLOW_WINDOW[1] / px
    if width <= w and height <= h:
        return None
    numbers = [float(v) for v in re.findall(r"-?[\d.]+", node.group(1))]
    xs, ys = numbers[0::2], numbers[1::2]
    cx = (min(xs) + max(xs)) / 2 + float(shift.group(1))
    cy = (min(ys) + max(ys)) / 2 + float(shift.group(2))
    x0 = min(max(cx - w / 2, 0.0), max(width - w, 0.0))
    y0 = min(max(cy - h / 2, 0.0), max(height - h, 0.0))
    return f"{x0:.1f} {y0:.1f} {w:.1f} {h:.1f}"


def _pre(text: str) -> str:
    return f'<pre style="margin: 0.5em 0">{html.escape(text)}</pre>'


def save_steps_html(
    root: Node,
    path: str | os.PathLike,
    grad: Any = None,
    *,
    title: str | None = None,
    interval: int = 1500,
    max_steps: int = 2000,
    **draw_options: Any,
) -> Path:
    """Write one self-contained HTML page that steps through ``root``'s forward and backward
    pass; return its path.

    The page holds one drawing of the graph; each step is a state its script applies to it:
    the forward pass first (forward 0, the inputs, then each node's data computed in order),
    then step 0 of the backward pass (the seed, every other gradient unknown) and each step of
    it (the node whose rule runs, the parents receiving a contribution, the gradients as of
    that step, its chain rule underneath). A slider, first / previous / play / next / last and
    step-0 buttons and the keys (arrows, Home, End, 0, space) move between the steps; the
    drawing pans (drag) and zooms (wheel, + and -, fit, 1:1) and follows the running node at a
    readable scale; the local derivatives on the edges can be switched off. Nothing is
    fetched, no server is needed (open it from disk, mail it, put it on a site). The steps are
    the JSON of ``<script id="steps-data">``.

    The walk runs as on a fresh graph and every ``.grad`` is left as it was found. The page is
    written beside ``path`` and renamed into place, so it is never seen half written.
    ``title`` heads the page (default: "Backward pass of <root>"); ``interval`` is play's
    pause between steps in milliseconds; a backward pass of more than ``max_steps`` steps
    raises ``ValueError``; ``draw_options`` go to :func:`~autograd.draw_dot` (edge labels are
    on unless ``edge_labels=False``; ``step`` and ``highlight`` are the page's own).
    """
    path = Path(path)
    if not path.parent.is_dir():  # before the walk
        raise FileNotFoundError(f"save_steps_html(): no folder {str(path.parent)!r} to write into")
    for own in ("step", "highlight"):
        if own in draw_options:
            raise TypeError(f"save_steps_html(): {own}= is set by the page for each step")
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:  # issue 28
        raise ValueError(f"save_steps_html: interval must be an int >= 1 (ms), got {interval!r}")
    records = fresh_walk(root, grad, max_steps)
    title = title if title is not None else f"Backward pass of {namer(root)(root)}"
    text = step_page(root, records, title, int(interval), draw_options)
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
