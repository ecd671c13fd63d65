"""nn.playground without a browser: the setup string, the trainer on chainrule's tensor engine,
the app's handle (model, history, step(n)), its controls, and its messages for bad input.

The browser test (tests/test_playground_browser.py) drives the same app through Voila."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import nn
from autograd import Tensor
from nn import datasets
from nn.playground.config import DATASETS, FEATURES, Setup, SetupError
from nn.playground.draw import heat_rgb, png
from nn.playground.model import FINE_GRID, GRID, Trainer, feature_matrix

pytest.importorskip("ipywidgets")
ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------ the setup
def test_setup_string_round_trips_every_field():
    setup = Setup(
        dataset="spirals", noise=0.25, points=300, train_ratio=0.7,
        features=("x1*x2", "x1", "sin(x2)"), hidden=(8, 3, 1), activation="relu", lr=0.003,
        batch_size=25, regularization="l1", reg_rate=0.0001, dropout=0.1, optimizer="adam",
        seed=7,
    )
    text = setup.to_string()
    assert Setup.parse(text) == setup
    assert "data=spirals" in text and "layers=8,3,1" in text and "features=x1,x1*x2,sin(x2)" in text
    assert Setup.parse(Setup().to_string()) == Setup()
    # a string gives only what it changes; spaces and line breaks around parts are ignored
    partial = Setup.parse(" data=xor & lr=0.1\nlayers= ")
    assert (partial.dataset, partial.lr, partial.hidden) == ("xor", 0.1, ())
    assert partial.replace(dataset="moons", lr=0.03, hidden=(4, 4)) == Setup()


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("garbage", "", "is not key=value"),
        ("colour=red", "colour", "no such setup key"),
        ("lr=-1", "lr", "(0, 10]"),
        ("lr=fast", "lr", "must be a number"),
        ("lr=nan", "lr", "must be a number"),
        ("layers=4,0", "layers", "hidden layer 2 needs 1 to 8 neurons, got 0"),
        ("layers=4,x", "layers", "whole numbers"),
        ("layers=1,1,1,1,1,1,1", "layers", "at most 6"),
        ("data=mnist", "data", "moons, circles, spirals, xor, gaussians"),
        ("features=", "features", "at least one"),
        ("features=x3", "features", "unknown feature 'x3'"),
        ("batch=500", "batch", "from 1 to 100"),
        ("batch=2.5", "batch", "whole number"),
        ("noise=2", "noise", "[0, 1]"),
        ("lr=0.1&lr=0.2", "lr", "given twice"),
        ("reg=l3", "reg", "none, l1, l2"),
    ],
)
def test_a_bad_setup_string_names_its_field(text, field, words):
    with pytest.raises(SetupError) as info:
        Setup.parse(text)
    assert info.value.field == field
    assert words in str(info.value)
    if field:
        assert str(info.value).startswith(f"{field}: ")


def test_a_bad_setup_field_raises_at_construction():
    with pytest.raises(SetupError, match="act: must be one of tanh, relu, sigmoid, linear"):
        Setup(activation="softmax")
    with pytest.raises(SetupError, match="no such setup field"):
        Setup().replace(learning_rate=0.1)
    with pytest.raises(SetupError, match="lr: must be a number"):
        Setup(lr=True)
    with pytest.raises(SetupError, match="a setup is a string"):
        Setup.parse(3)  # type: ignore[arg-type]


# ------------------------------------------------------------------------- the datasets
def test_xor_and_gaussians_are_seeded_two_class_sets():
    for make in (datasets.xor, datasets.gaussians):
        X, y = make(120, noise=0.0, seed=3)
        X2, y2 = make(120, noise=0.0, seed=3)
        assert X.shape == (120, 2) and y.dtype == np.int64 and set(y) == {0, 1}
        np.testing.assert_array_equal(X, X2)
        np.testing.assert_array_equal(y, y2)
    X, y = datasets.xor(400, noise=0.0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(np.int64))
    assert np.abs(X).min() > 0.04 and np.abs(X).max() <= 1.0
    X, y = datasets.gaussians(400, noise=0.0)
    np.testing.assert_allclose(X[y == 0].mean(axis=0), [-0.5, -0.5], atol=0.06)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [0.5, 0.5], atol=0.06)
    with pytest.raises(ValueError, match="spread must be a number > 0"):
        datasets.gaussians(spread=0)
    with pytest.raises(ValueError, match="noise must be a number >= 0"):
        datasets.xor(noise=-1)


# --------------------------------------------------------------------------- the trainer
def test_features_are_the_named_functions_of_the_coordinates():
    X = np.array([[0.5, -2.0], [1.5, 3.0]])
    F = feature_matrix(X, FEATURES)
    expected = np.column_stack([X[:, 0], X[:, 1], X[:, 0] ** 2, X[:, 1] ** 2,
                                X[:, 0] * X[:, 1], np.sin(X[:, 0]), np.sin(X[:, 1])])
    np.testing.assert_allclose(F, expected, rtol=1e-6)
    assert F.dtype == np.float32


def test_trainer_builds_the_network_of_the_setup_and_learns():
    t = Trainer(Setup.parse("data=circles&features=x1,x2,x1^2,x2^2&layers=3,5&lr=0.1"))
    linears = [m for m in t.model if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(4, 3), (3, 5), (5, 1)]
    assert len(t.F_train) == 100 and len(t.F_val) == 100
    start = t.history.history["val_loss"][0]
    t.step(30)
    h = t.history.history
    assert t.epoch == 30 and t.iteration == 300 and t.history.epoch == list(range(31))
    assert h["val_loss"][-1] < 0.5 * start and h["val_accuracy"][-1] >= 0.9
    maps = t.maps()
    assert [m.shape for m in maps] == [(4, GRID, GRID), (3, GRID, GRID), (5, GRID, GRID),
                                       (1, GRID, GRID)]
    assert 0 <= maps[-1].min() and maps[-1].max() <= 1 and np.abs(maps[1]).max() <= 1
    fine = t.boundary()  # the same output on a finer grid over the same square
    assert fine.shape == (FINE_GRID, FINE_GRID)
    for corner in [(0, 0), (0, -1), (-1, 0), (-1, -1)]:
        assert fine[corner] == pytest.approx(maps[-1][0][corner], abs=1e-6)


def test_one_epoch_is_the_backprop_of_torch_on_the_same_batches():
    """The playground's updates are chainrule's backprop: the same SGD epoch in PyTorch, fed
    the same batches, ends at the same weights (float32, so to 1e-5)."""
    t = Trainer(Setup.parse("layers=4,3&lr=0.5&reg=l2&reg_rate=0.01"))
    params = [torch.tensor(p.data.copy(), requires_grad=True) for p in t.model.parameters()]
    order = np.random.default_rng(t.setup.seed).permutation(len(t.F_train))
    opt = torch.optim.SGD(params, lr=0.5)
    for start in range(0, len(order), t.setup.batch_size):
        rows = order[start : start + t.setup.batch_size]
        x = torch.tensor(t.F_train[rows])
        for i in range(0, len(params) - 2, 2):
            x = torch.tanh(x @ params[i].T + params[i + 1])
        z = x @ params[-2].T + params[-1]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            z, torch.tensor(t.t_train[rows])
        ) + 0.01 * sum((w * w).sum() for w in params[::2])
        opt.zero_grad()
        loss.backward()
        opt.step()
    t.step(1)
    for mine, theirs in zip(t.model.parameters(), params):
        np.testing.assert_allclose(mine.data, theirs.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_l1_and_dropout_and_adam_train_and_retune_keeps_the_network():
    t = Trainer(Setup.parse("data=xor&features=x1,x2,x1*x2&reg=l1&reg_rate=0.001&dropout=0.1"
                            "&opt=adam&lr=0.03"))
    assert any(isinstance(m, nn.Dropout) for m in t.model)
    t.step(20)
    assert t.history.history["val_loss"][-1] < t.history.history["val_loss"][0]
    weights = [w.data.copy() for w in t.weights]
    t.retune(t.setup.replace(lr=0.001, batch_size=5))
    assert t.optimizer.lr == 0.001 and t.epoch == 20
    np.testing.assert_array_equal(t.weights[0].data, weights[0])
    t.step(1)
    assert t.iteration == 20 * 10 + 20  # 100 points in batches of 5
    with pytest.raises(ValueError, match="retune changes lr"):
        t.retune(t.setup.replace(dataset="moons"))


def test_a_diverging_run_stops_with_a_message_and_keeps_finite_weights():
    t = Trainer(Setup.parse("act=linear&layers=8,8,8,8&lr=10&features=x1,x2,x1^2,x2^2"))
    t.step(200)
    assert t.diverged is not None and "lower the learning rate" in t.diverged
    assert all(np.isfinite(p.data).all() for p in t.model.parameters())
    epoch = t.epoch
    t.step(5)  # stays stopped
    assert t.epoch == epoch


# -------------------------------------------------------------------------------- the app
@pytest.fixture()
def app():
    made = nn.playground()
    yield made
    made.pause()


def test_the_handle_exposes_model_history_and_step(app):
    assert isinstance(app.model, nn.Sequential)
    assert app.history.epoch == [0]
    first = [p.data.copy() for p in app.model.parameters()]
    app.step(3)
    assert app.history.epoch == [0, 1, 2, 3] and app.trainer.iteration == 30
    assert any(not np.array_equal(a, p.data) for a, p in zip(first, app.model.parameters()))
    assert "Epoch 3" in app._status.value and "iteration 30" in app._status.value
    assert f"{app.history.history['val_loss'][-1]:.4f}" in app._status.value
    assert app._boundary.value.count("<circle") == 200
    assert app._network.value.count("<image") == 2 + 4 + 4 + 1
    assert app._network.value.count("<path") == 2 * 4 + 4 * 4 + 4 * 1
    out = app.model(Tensor(app.trainer.F_val)).data
    np.testing.assert_allclose(out, app.trainer.logits(app.trainer.F_val), rtol=1e-6)


def test_setup_argument_and_setup_box_round_trip():
    app = nn.playground(setup="data=spirals&layers=8,8&act=relu&lr=0.01")
    assert app.setup.dataset == "spirals" and app.setup.hidden == (8, 8)
    text = app._text.value
    assert Setup.parse(text) == app.setup
    assert nn.playground(setup=text).setup == app.setup
    assert app._controls["activation"].value == "relu" and app._controls["lr"].value == 0.01


@pytest.mark.parametrize(
    ("text", "words"),
    [("garbage", "is not key=value"), ("layers=4,0", "needs 1 to 8 neurons, got 0"),
     ("lr=-0.1", "lr: must be in (0, 10]")],
)
def test_a_bad_setup_string_is_a_message_in_the_app_and_changes_nothing(app, text, words):
    app.step(2)
    before, weights = app.setup, [p.data.copy() for p in app.model.parameters()]
    assert app.load(text) is False
    assert words in app.message and words.split(":")[-1].strip() in app._message.value
    assert app.setup == before and app.trainer.epoch == 2
    for a, p in zip(weights, app.model.parameters()):
        np.testing.assert_array_equal(a, p.data)
    app.step(1)  # still works
    assert app.trainer.epoch == 3
    assert app.load("lr=0.1") is True and app.message == "" and app.trainer.epoch == 0


def test_bad_values_in_the_controls_are_messages_and_are_put_back(app):
    app._controls["lr"].value = -1.0
    assert "lr: must be in (0, 10], got -1.0" in app.message
    assert app._controls["lr"].value == 0.03 and app.setup.lr == 0.03
    for _ in range(4):
        app._layers.children[1].children[0].children[0].children[1].click()  # + on layer 1
    assert app.setup.hidden == (8, 4) and app.message == ""
    app._layers.children[1].children[0].children[0].children[1].click()
    assert "hidden layer 1 needs 1 to 8 neurons, got 9" in app.message
    assert app.setup.hidden == (8, 4)
    for _ in range(4):
        app._layers.children[1].children[1].children[0].children[0].click()  # - on layer 2
    assert "hidden layer 2 needs 1 to 8 neurons, got 0" in app.message
    assert app.setup.hidden == (8, 1)
    app._layers.children[0].children[0].click()  # remove a layer
    assert app.setup.hidden == (8,) and app._network.value.count("<image") == 2 + 8 + 1
    for f in ("x1", "x2"):
        app._features[f].value = False
    assert "choose at least one input feature" in app.message
    assert app.setup.features == ("x2",) and app._features["x2"].value is True


def test_live_changes_keep_training_and_others_reset(app):
    app.step(4)
    app._controls["lr"].value = 0.1
    assert app.trainer.optimizer.lr == 0.1 and app.trainer.epoch == 4
    app._controls["dataset"].value = "circles"
    assert app.trainer.epoch == 0 and app.setup.dataset == "circles"
    app.step(1)
    app.reset()
    assert app.trainer.epoch == 0 and app.history.epoch == [0]


def test_play_trains_in_the_background_until_pause(app):
    app._play.click()
    assert app.playing and app._play.description == "Pause"
    deadline = time.monotonic() + 20
    while app.trainer.epoch < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    app._play.click()
    assert not app.playing and app._play.description == "Play"
    epoch = app.trainer.epoch
    assert epoch >= 5
    time.sleep(0.3)
    assert app.trainer.epoch == epoch
    assert app.history.history["val_loss"][-1] < app.history.history["val_loss"][0]


def test_a_diverged_run_is_a_message_and_play_stops_by_itself(app, recwarn):
    assert app.load("act=linear&layers=8,8,8,8&lr=10&features=x1,x2,x1^2,x2^2")
    app.play()
    deadline = time.monotonic() + 30
    while app.playing and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not app.playing and app._play.description == "Play"
    assert "training diverged at epoch" in app.message and "lower the learning rate" in app.message
    assert app._boundary.value.startswith("<svg")
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    assert app.load("lr=0.03") and app.message == ""  # a new run: works again
    app.step(2)
    assert app.trainer.epoch == 2 and app.trainer.diverged is None


def test_an_error_in_the_play_loop_is_shown_not_lost(app, monkeypatch):
    def broken(epochs=1):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(app.trainer, "step", broken)
    app.play()
    deadline = time.monotonic() + 10
    while app.playing and time.monotonic() < deadline:
        time.sleep(0.02)
    assert app.message == "training stopped: RuntimeError: disk on fire"
    assert app._play.description == "Play"


def test_every_dataset_draws(app):
    for name in DATASETS:
        app._controls["dataset"].value = name
        app.step(1)
        assert app.message == "" and app._boundary.value.startswith("<svg")


# ---------------------------------------------------------------------- pictures and CLI
def test_png_is_a_valid_image_of_the_colours():
    values = np.array([[-1.0, 0.0], [1.0, 0.5]])
    data = png(heat_rgb(values))
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    import io

    from matplotlib.image import imread

    image = (imread(io.BytesIO(data)) * 255).round().astype(int)
    np.testing.assert_array_equal(image[0, 0], [245, 147, 34])  # orange: negative
    np.testing.assert_array_equal(image[1, 0], [8, 119, 189])  # blue: positive
    np.testing.assert_array_equal(image[0, 1], [232, 234, 235])


def test_module_command_rejects_a_bad_setup_and_port_before_serving():
    for args, words in ((["--setup", "lr=-1"], "--setup: lr: must be in (0, 10]"),
                        (["--port", "0"], "--port must be from 1 to 65535")):
        run = subprocess.run([sys.executable, "-m", "nn.playground", *args], cwd=ROOT,
                             capture_output=True, text=True, timeout=60,
                             env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
        assert run.returncode == 2 and words in run.stderr, run.stderr


def test_the_served_notebook_takes_the_setup_and_the_server_s_kernel(monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager

    from nn.playground.__main__ import NOTEBOOK, SETUP_VARIABLE, SHARE, voila_arguments

    cells = json.loads(NOTEBOOK.read_text())["cells"]
    code = "".join("".join(c["source"]) + "\n" for c in cells if c["cell_type"] == "code")
    monkeypatch.setenv(SETUP_VARIABLE, "data=xor&layers=3")
    namespace: dict = {}
    exec(compile(code, str(NOTEBOOK), "exec"), namespace)
    assert namespace["app"].setup == Setup(dataset="xor", hidden=(3,))
    monkeypatch.setenv("JUPYTER_PATH", str(SHARE))
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert Path(spec.resource_dir) == SHARE / "kernels" / "python3"
    assert spec.argv[0] == "python"  # jupyter_client runs it as sys.executable
    assert (SHARE / "voila" / "templates" / "chainrule" / "index.html.j2").is_file()
    assert "--template=chainrule" in voila_arguments(8866)
    assert "--Voila.ip=127.0.0.1" in voila_arguments(8866)


def test_the_function_shadows_the_package_but_its_modules_import():
    """``nn.playground`` is the function; the package's modules import with ``from``."""
    from nn.playground import app as app_module
    from nn.playground.app import Playground

    assert callable(nn.playground) and nn.playground.__module__ == "nn.playground"
    assert app_module.Playground is Playground is type(nn.playground())
    assert sys.modules["nn.playground"].playground is nn.playground
