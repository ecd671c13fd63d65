"""The playground app: ipywidgets controls around a :class:`~nn.playground.model.Trainer`, the
pictures of :mod:`nn.playground.draw`, and a play loop on a background thread.

The same object runs in a notebook (``nn.playground()``) and in the page ``python -m
nn.playground`` serves (Voila runs the package's notebook). It is also the programmatic handle:
``app.model``, ``app.history``, ``app.step(n)``, ``app.load(text)``, ``app.message``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as widgets

from .config import ACTIVATIONS, DATASETS, FEATURES, MAX_NEURONS, Setup, SetupError
from .draw import boundary_svg, curves_svg, network_svg
from .model import Trainer

__all__ = ["Playground"]

# the fields a running network takes as they change; any other change builds a new one
LIVE = ("lr", "batch_size", "regularization", "reg_rate")
CURVE_POINTS = 400  # the loss curves show at most this many epochs (evenly spaced)


class Playground:
    """TensorFlow Playground on chainrule: pick the data, features, network and training
    settings, press Play, and watch the boundary, the losses and every neuron learn.

    ``setup``: a :class:`Setup`, its string (``'data=spirals&layers=8,8'``) or None for the
    defaults; a bad one raises :class:`SetupError` naming the field. ``interval``: seconds
    between two epochs while playing. Display the object (or ``app.widget``) to see it.
    """

    def __init__(self, setup: Setup | str | None = None, interval: float = 0.05) -> None:
        if isinstance(setup, str):
            setup = Setup.parse(setup)
        elif setup is None:
            setup = Setup()
        elif not isinstance(setup, Setup):
            raise TypeError(f"setup must be a Setup, its string or None, got {setup!r}")
        if not isinstance(interval, (int, float)) or isinstance(interval, bool) or interval < 0:
            raise ValueError(f"interval must be a number of seconds >= 0, got {interval!r}")
        self.interval = float(interval)
        self.trainer = Trainer(setup)
        self._lock = threading.RLock()  # one of: a step, a redraw, a change of setup
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._quiet = False  # True while the controls are set from the setup (no handlers)
        self._build()
        self._show_setup()
        self.redraw()

    # ------------------------------------------------------------------ the handle
    @property
    def setup(self) -> Setup:
        """The setup in use (change it with :meth:`apply` or :meth:`load`)."""
        return self.trainer.setup

    @property
    def model(self) -> Any:
        """The network being trained (an ``nn.Sequential`` of the tensor engine)."""
        return self.trainer.model

    @property
    def history(self) -> Any:
        """The ``nn.History``: ``loss``, ``val_loss``, ``accuracy``, ``val_accuracy`` per
        epoch, from epoch 0 (the untrained network)."""
        return self.trainer.history

    @property
    def message(self) -> str:
        """The problem the app shows now ('' when there is none)."""
        return self._message_text

    @property
    def playing(self) -> bool:
        """Whether the play loop runs."""
        return self._thread is not None and self._thread.is_alive()

    def step(self, n: int = 1) -> None:
        """Train ``n`` epochs, then redraw once."""
        with self._lock:
            self.trainer.step(n)
            self.redraw()

    def play(self) -> None:
        """Train epoch after epoch on a background thread until :meth:`pause`."""
        if self.playing:
            return
        self._stop.clear()
        self._play.description = "Pause"  # before the start: a loop that ends at once says Play
        self._thread = threading.Thread(target=self._run, name="playground", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        """Stop the play loop (after the epoch it is in)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self._thread = None
        self._play.description = "Play"

    def reset(self) -> None:
        """A fresh network for the same setup (epoch 0)."""
        self.apply(self.setup, rebuild=True)

    def load(self, text: str) -> bool:
        """Start a new network for the setup string ``text`` (the fields it leaves out take
        their defaults); on a bad one, show the problem and change nothing. Returns whether it
        was used."""
        try:
            setup = Setup.parse(text, base=Setup())
        except SetupError as error:
            self._show_message(f"setup string: {error}")
            return False
        self.apply(setup, rebuild=True)
        return True

    def apply(self, setup: Setup, rebuild: bool = False) -> None:
        """Use ``setup``: the running network takes a new learning rate, batch size or
        regularization as it is; anything else (or ``rebuild``) starts a new one."""
        with self._lock:
            old = self.trainer.setup
            live = all(getattr(setup, k) == getattr(old, k) for k in vars(setup) if k not in LIVE)
            if live and not rebuild:
                self.trainer.retune(setup)
            else:
                self.trainer = Trainer(setup)
            self._show_message("")
            self._show_setup()
            self.redraw()

    def redraw(self) -> None:
        """Draw the boundary, the network, the curves and the counters from the trainer."""
        with self._lock:
            t = self.trainer
            maps = t.maps()
            self._boundary.value = boundary_svg(
                t.boundary(), t.extent, (t.X_train, t.y_train), (t.X_val, t.y_val)
            )
            weights = [w.data for w in t.weights]
            self._network.value = network_svg(t.setup.features, maps, weights,
                                              t.setup.activation)
            h = t.history.history
            stride = max(1, len(h["loss"]) // CURVE_POINTS)
            self._curves.value = curves_svg(h["loss"][::stride], h["val_loss"][::stride])
            self._status.value = (
                f'<span class="pg-epoch">Epoch {t.epoch}</span> &middot; '
                f'<span class="pg-iteration">iteration {t.iteration}</span><br>'
                f'training loss <span class="pg-train-loss">{h["loss"][-1]:.4f}</span> &middot; '
                f'validation loss <span class="pg-val-loss">{h["val_loss"][-1]:.4f}</span> '
                f'(accuracy {h["val_accuracy"][-1]:.0%})'
            )
            if t.diverged:
                self._show_message(t.diverged)

    def snapshot(self) -> str:
        """The pictures as they are now (network, boundary, curves, counters) as one HTML
        string: what a static page can show, e.g. ``IPython.display.HTML(app.snapshot())``."""
        with self._lock:
            return (
                '<div class="chainrule-playground-snapshot" style="display:flex;gap:16px;'
                f'align-items:flex-start">{self._network.value}<div>{self._boundary.value}'
                f"<br>{self._curves.value}<br>{self._status.value}</div></div>"
            )

    # ------------------------------------------------------------------- displaying
    @property
    def widget(self) -> Any:
        """The app as one ipywidgets box."""
        return self._root

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self._root._repr_mimebundle_(**kwargs)

    # ------------------------------------------------------------------- the loop
    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                with self._lock:
                    if self._stop.is_set():
                        break
                    self.trainer.step(1)
                    self.redraw()
                    if self.trainer.diverged:
                        break
                self._stop.wait(self.interval)
        except Exception as error:  # a thread's error is seen by nobody: show it in the app
            self._show_message(f"training stopped: {type(error).__name__}: {error}")
        if not self._stop.is_set():  # stopped by itself: show Play again
            self._play.description = "Play"

    # ----------------------------------------------------------------- the controls
    def _build(self) -> None:
        W = widgets
        short = {"style": {"description_width": "initial"}}
        self._controls: dict[str, Any] = {
            "dataset": W.Dropdown(options=DATASETS, description="Dataset", **short),
            "noise": W.FloatSlider(min=0, max=0.5, step=0.05, description="Noise", **short),
            "train_ratio": W.FloatSlider(min=0.1, max=0.9, step=0.1, description="Training part",
                                         readout_format=".0%", **short),
            "activation": W.Dropdown(options=ACTIVATIONS, description="Activation", **short),
            "lr": W.FloatText(description="Learning rate", **short),
            "batch_size": W.IntSlider(min=1, max=30, description="Batch size", **short),
            "regularization": W.Dropdown(options=[("none", "none"), ("L1", "l1"), ("L2", "l2")],
                                         description="Regularization", **short),
            "reg_rate": W.FloatText(description="Regularization rate", **short),
            "dropout": W.FloatSlider(min=0, max=0.5, step=0.05, description="Dropout", **short),
            "optimizer": W.Dropdown(options=[("SGD", "sgd"), ("Adam", "adam")],
                                    description="Optimizer", **short),
            "seed": W.IntText(description="Seed", **short),
        }
        for name, control in self._controls.items():
            control.add_class(f"pg-{name.replace('_', '-')}")
            control.layout.width = "260px"
            control.observe(self._on_control(name), names="value")
        self._features = {
            f: W.ToggleButton(description=f, layout=W.Layout(width="62px")) for f in FEATURES
        }
        for button in self._features.values():
            button.observe(self._on_features, names="value")
        self._layers = W.VBox()
        self._play = W.Button(description="Play", button_style="primary")
        self._play.add_class("pg-play")
        self._play.on_click(lambda _: self.pause() if self.playing else self.play())
        one = W.Button(description="Step")
        one.add_class("pg-step")
        one.on_click(lambda _: self.step(1))
        reset = W.Button(description="Reset")
        reset.add_class("pg-reset")
        reset.on_click(lambda _: self.reset())
        self._status = W.HTML()
        self._message = W.HTML()
        self._message.add_class("pg-message")
        self._message_text = ""
        self._text = W.Text(description="Setup", layout=W.Layout(width="640px"), **short)
        self._text.add_class("pg-setup")
        use = W.Button(description="Load")
        use.add_class("pg-load")
        use.on_click(lambda _: self.load(self._text.value))
        self._boundary, self._network, self._curves = W.HTML(), W.HTML(), W.HTML()
        c = self._controls
        left = W.VBox([
            c["dataset"], c["noise"], c["train_ratio"],
            W.HTML("<b>Features</b>"),
            W.HBox(list(self._features.values())[:4]), W.HBox(list(self._features.values())[4:]),
            c["activation"], c["lr"], c["batch_size"], c["regularization"], c["reg_rate"],
            c["dropout"], c["optimizer"], c["seed"],
        ])
        middle = W.VBox([W.HTML("<b>Network</b>"), self._layers, self._network])
        right = W.VBox([W.HTML("<b>Output</b>"), self._boundary, self._curves, self._status])
        self._root = W.VBox([
            W.HBox([self._play, one, reset]),
            self._message,
            W.HBox([left, middle, right]),
            W.HBox([self._text, use]),
        ])
        self._root.add_class("chainrule-playground")

    def _on_control(self, name: str) -> Callable[[dict], None]:
        def changed(change: dict) -> None:
            if not self._quiet:
                self._change(**{name: change["new"]})
        return changed

    def _on_features(self, change: dict) -> None:
        if not self._quiet:
            self._change(features=tuple(f for f, b in self._features.items() if b.value))

    def _change(self, **changes: Any) -> None:
        """A control moved: use the setup it gives, or show why not and put the controls back."""
        try:
            setup = self.setup.replace(**changes)
        except SetupError as error:
            self._show_message(str(error))
            self._show_setup(text=False)
            return
        self.apply(setup)

    def _show_message(self, text: str) -> None:
        self._message_text = text
        self._message.value = (
            f'<div style="color:#b00020;font-weight:bold">{escape(text)}</div>' if text else ""
        )

    def _show_setup(self, text: bool = True) -> None:
        """Set every control (and, with ``text``, the setup string) from the setup."""
        setup = self.setup
        self._quiet = True
        try:
            for name, control in self._controls.items():
                control.value = getattr(setup, name)
            for f, button in self._features.items():
                button.value = f in setup.features
            self._layers.children = self._layer_rows(setup.hidden)
            if text:
                self._text.value = setup.to_string()
        finally:
            self._quiet = False

    def _layer_rows(self, hidden: tuple[int, ...]) -> tuple[Any, ...]:
        W = widgets

        def button(label: str, css: str, action: Callable[[], None]) -> Any:
            b = W.Button(description=label, layout=W.Layout(width="32px"))
            b.add_class(css)
            b.on_click(lambda _: action())
            return b

        def neurons(i: int, delta: int) -> Callable[[], None]:
            return lambda: self._change(
                hidden=tuple(n + delta if j == i else n for j, n in enumerate(self.setup.hidden))
            )

        rows = [W.HBox([
            button("-", "pg-layer-remove", lambda: self._change(hidden=self.setup.hidden[:-1])),
            button("+", "pg-layer-add", lambda: self._change(
                hidden=(*self.setup.hidden, min(4, MAX_NEURONS)))),
            W.HTML(f"{len(hidden)} hidden layer{'s' * (len(hidden) != 1)}"),
        ])]
        cells = [
            W.VBox([W.HBox([button("-", "pg-neuron-remove", neurons(i, -1)),
                            button("+", "pg-neuron-add", neurons(i, 1))]),
                    W.HTML(f"{n} neuron{'s' * (n != 1)}")])
            for i, n in enumerate(hidden)
        ]
        rows.append(W.HBox(cells))
        return tuple(rows)
