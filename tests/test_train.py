"""The training loop: batching arithmetic, History, validation, divergence, progress bar."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import nn
from autograd.tensor import Tensor
from nn import callbacks as callbacks_module


def _linear_data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3
    return X, y


def _tensor_regressor(seed=0):
    return nn.Sequential(nn.Linear(3, 1, seed=seed, dtype=np.float64))


@pytest.mark.parametrize(
    ("batch_size", "iterations"), [(1, 40), (7, 6), (40, 1), (None, 1), (64, 1)]
)
def test_iterations_per_epoch_is_ceil_n_over_batch_size(batch_size, iterations):
    X, y = _linear_data()
    model = _tensor_regressor()
    history = nn.fit(
        model,
        X,
        y.reshape(-1, 1),
        nn.mse_loss,
        nn.SGD(model.parameters(), lr=0.01),
        epochs=3,
        batch_size=batch_size,
        metrics=["mse"],
        progress=False,
    )
    assert history.params["iterations_per_epoch"] == iterations
    assert len(history.iteration_loss) == 3 * iterations
    assert history.epoch == [1, 2, 3]
    assert set(history.history) == {"loss", "mse"}
    assert all(len(v) == 3 for v in history.history.values())


def test_history_losses_are_batch_weighted_means_and_table_prints():
    X, y = _linear_data(10)
    model = _tensor_regressor()
    history = nn.fit(
        model,
        X,
        y,
        nn.mse_loss,
        nn.SGD(model.parameters(), lr=1e-9),
        epochs=2,
        batch_size=4,
        shuffle=False,
        metrics=["mse", "mae"],
        progress=False,
    )
    first = history.iteration_loss[:3]
    assert history.history["loss"][0] == pytest.approx(
        (4 * first[0] + 4 * first[1] + 2 * first[2]) / 10
    )
    # lr is tiny, so the epoch's mse metric equals its loss
    assert history.history["mse"][0] == pytest.approx(history.history["loss"][0], rel=1e-6)
    table = str(history)
    assert table.splitlines()[0].split() == ["epoch", "loss", "mse", "mae"]
    assert len(table.splitlines()) == 3
    assert repr(history).startswith("History (2 epochs)")


def test_validation_data_and_split_run_in_eval_mode_without_graph():
    X, y = _linear_data(50)
    seen = []

    class Spy(nn.Module):
        def __init__(self):
            self.inner = _tensor_regressor()

        def forward(self, x):
            out = self.inner(x)
            seen.append((self.training, out.requires_grad, len(x)))
            return out

    model = Spy()
    history = nn.fit(
        model,
        X,
        y,
        nn.mse_loss,
        nn.Adam(model.parameters(), lr=0.05),
        epochs=2,
        batch_size=None,
        validation_split=0.2,
        metrics=["mae"],
        progress=False,
    )
    assert history.params["samples"] == 40
    checks = [(False, False, 40), (False, False, 10)]  # fit's check of the data, no graph
    assert seen == checks + [(True, True, 40), (False, False, 10)] * 2
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
    val = nn.evaluate(model, X[40:], y[40:], nn.mse_loss, metrics=["mae"])
    assert history.history["val_loss"][-1] == pytest.approx(val["loss"])
    assert model.training  # evaluate restored the mode
    with pytest.raises(ValueError, match="not both"):
        nn.fit(
            model,
            X,
            y,
            nn.mse_loss,
            nn.SGD(model.parameters(), lr=0.1),
            1,
            validation_data=(X, y),
            validation_split=0.1,
            progress=False,
        )


def _nan_setup():
    X, y = _linear_data(6)
    X_bad = X.copy()
    X_bad[4, 1] = np.nan  # sample 5 is in the third batch of 2 (no shuffling)
    return X, X_bad, y


def test_nan_loss_stops_fit_and_leaves_parameters_before_the_bad_step():
    X, X_bad, y = _nan_setup()
    model = _tensor_regressor()
    opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    with pytest.raises(nn.DivergenceError) as info:
        nn.fit(
            model, X_bad, y, nn.mse_loss, opt, epochs=3, batch_size=2, shuffle=False, progress=False
        )
    message = str(info.value)
    assert "the loss is nan at epoch 1/3, iteration 3/3 (learning rate 0.1)" in message
    assert "Hint: lower the learning rate" in message
    assert len(info.value.history.iteration_loss) == 2

    reference = _tensor_regressor()
    ref_opt = nn.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    nn.fit(
        reference,
        X[:4],
        y[:4],
        nn.mse_loss,
        ref_opt,
        epochs=1,
        batch_size=2,
        shuffle=False,
        progress=False,
    )
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert opt.state_dict()["step_count"] == 2


def test_divergence_on_the_scalar_engine_names_epoch_and_lr():
    X, y = _linear_data(8)
    model = nn.MLP(3, [4, 1], seed=0)
    with pytest.raises(
        nn.DivergenceError, match=r"epoch \d+/50, iteration 1/1 \(learning rate 1e\+30\)"
    ):
        nn.fit(
            model,
            X,
            y,
            nn.mse_loss,
            nn.SGD(model.parameters(), lr=1e30),
            epochs=50,
            batch_size=None,
            metrics=[],
            progress=False,
        )


def test_infinite_gradient_is_caught_before_the_update():
    model = _tensor_regressor()
    before = [p.data.copy() for p in model.parameters()]

    def sqrt_loss(pred, target):  # d sqrt(x)/dx is inf at 0
        return ((pred - pred.detach()) ** 2).sum().sqrt()

    with np.errstate(all="ignore"), pytest.raises(nn.DivergenceError, match="parameter 0 is not"):
        nn.fit(
            model,
            *_linear_data(4),
            sqrt_loss,
            nn.SGD(model.parameters(), lr=0.1),
            1,
            metrics=[],
            progress=False,
        )
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, b)


def test_fit_argument_errors():
    X, y = _linear_data(5)
    model = _tensor_regressor()
    opt = nn.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        nn.fit(model, X, y, nn.mse_loss, opt, epochs=0)
    with pytest.raises(ValueError, match=r"X \(5, 3\), y \(4,\)"):
        nn.fit(model, X, y[:4], nn.mse_loss, opt, epochs=1, progress=False)
    with pytest.raises(TypeError, match="must be an nn.Module"):
        nn.fit(lambda x: x, X, y, nn.mse_loss, opt, epochs=1)
    with pytest.raises(TypeError, match="loss function must return a Value or a Tensor"):
        nn.fit(model, X, y, lambda p, t: 0.0, opt, epochs=1, progress=False)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        nn.fit(model, X, y, nn.mse_loss, opt, epochs=1, metrics=["f1"], progress=False)


def test_schedule_function_and_seeded_shuffle_reproducible():
    X, y = _linear_data(30)
    runs = []
    for _ in range(2):
        model = _tensor_regressor()
        opt = nn.SGD(model.parameters(), lr=0.1)
        h = nn.fit(
            model,
            X,
            y,
            nn.mse_loss,
            opt,
            epochs=3,
            batch_size=8,
            seed=5,
            schedule=lambda epoch: 0.1 / (1 + epoch),
            metrics=[],
            progress=False,
        )
        runs.append(h)
    assert runs[0].iteration_loss == runs[1].iteration_loss
    assert runs[0].lr == pytest.approx([0.1, 0.05, 0.1 / 3])


def test_progress_bar_shows_when_interactive_and_fit_works_without_tqdm(monkeypatch, capsys):
    pytest.importorskip("tqdm")
    X, y = _linear_data(10)
    monkeypatch.setattr(callbacks_module, "_interactive", lambda: True)
    model = _tensor_regressor()
    nn.fit(
        model,
        X,
        y,
        nn.mse_loss,
        nn.SGD(model.parameters(), lr=0.1),
        epochs=2,
        metrics=["mae"],
        progress=True,
    )
    err = capsys.readouterr().err
    assert "2/2" in err and "loss=" in err and "mae=" in err
    nn.fit(
        model,
        X,
        y,
        nn.mse_loss,
        nn.SGD(model.parameters(), lr=0.1),
        epochs=2,
        progress=False,
        metrics=[],
    )
    assert capsys.readouterr().err == ""
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # as if tqdm were not installed
    history = nn.fit(
        model,
        X,
        y,
        nn.mse_loss,
        nn.SGD(model.parameters(), lr=0.1),
        epochs=2,
        progress=True,
        metrics=[],
    )
    assert len(history.epoch) == 2
    assert capsys.readouterr().err == ""


def test_no_progress_bar_when_output_is_not_a_terminal(capsys):
    X, y = _linear_data(10)
    model = _tensor_regressor()
    nn.fit(model, X, y, nn.mse_loss, nn.SGD(model.parameters(), lr=0.1), epochs=2, metrics=[])
    assert capsys.readouterr().err == ""


def test_predict_and_evaluate_on_tensor_model_with_batches():
    X, y = _linear_data(25)
    model = _tensor_regressor()
    full = nn.predict(model, X)
    parts = nn.predict(model, X, batch_size=4)
    assert isinstance(full, np.ndarray) and full.shape == (25, 1)
    np.testing.assert_allclose(parts, full)
    direct = model(Tensor(X)).data
    np.testing.assert_allclose(full, direct)
    result = nn.evaluate(model, X, y.reshape(-1, 1), nn.mse_loss, metrics=["mse"], batch_size=4)
    assert result["loss"] == pytest.approx(result["mse"])


def test_history_plot_delegates_to_plots():
    pytest.importorskip("matplotlib")
    X, y = _linear_data(10)
    model = _tensor_regressor()
    history = nn.fit(
        model,
        X,
        y,
        nn.mse_loss,
        nn.SGD(model.parameters(), lr=0.1),
        epochs=2,
        metrics=["mae"],
        progress=False,
    )
    fig = history.plot()
    assert len(fig.axes) == 2


def test_accuracy_metric_thresholds():
    assert nn.accuracy([0.2, 0.1, 3.0], [1, -1, 1]) == pytest.approx(2 / 3)  # scores vs signs
    assert nn.accuracy(np.array([0.7, 0.4, 0.6]), [1, 0, 0]) == pytest.approx(
        2 / 3
    )  # probabilities
    assert nn.accuracy(np.array([[0.1, 2.0], [3.0, 0.0]]), [1, 1]) == 0.5  # multiclass
    assert nn.accuracy(np.array([[0.1, 2.0], [3.0, 0.0]]), np.eye(2)) == 0.0  # one-hot
    assert nn.accuracy([0.4, 0.3], [1, 0], threshold=0.35) == 1.0
    assert nn.mae([1.0, 2.0], [2.0, 2.0]) == 0.5 and nn.mse([1.0, 3.0], [2.0, 2.0]) == 1.0
    with pytest.raises(ValueError, match=r"scores of shape \(2, 2\) need 2 class labels"):
        nn.accuracy(np.zeros((2, 2)), [1, 0, 1])


# ------------------------------------------------------------------ review: bad input at the call
def _fit(model=None, X=None, y=None, **kwargs):
    model = model or _tensor_regressor()
    data = _linear_data(10)
    X = data[0] if X is None else X
    y = data[1] if y is None else y
    optimizer = kwargs.pop("optimizer", None) or nn.SGD(model.parameters(), lr=0.1)
    kwargs.setdefault("metrics", [])
    return nn.fit(model, X, y, nn.mse_loss, optimizer, 2, progress=False, **kwargs)


def test_fit_rejects_an_optimizer_or_schedule_of_another_model():
    other = nn.SGD(_tensor_regressor().parameters(), lr=0.1)
    with pytest.raises(ValueError, match="optimizer holds none of the model's parameters"):
        _fit(optimizer=other)
    model = _tensor_regressor()
    opt = nn.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="schedule belongs to another optimizer"):
        _fit(model, optimizer=opt, schedule=nn.StepLR(other, 1))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: _fit(X=np.zeros((0, 3)), y=np.zeros(0)), ValueError, "X holds no samples"),
        (lambda: nn.predict(_tensor_regressor(), np.zeros((0, 3))), ValueError, "no samples"),
        (
            lambda: _fit(nn.MLP(3, [1]), X=[[1.0, 2.0, 3.0], [1.0, 2.0]], y=[1.0, 2.0]),
            ValueError,
            "X must be a rectangular array of numbers",
        ),
        (
            lambda: nn.fit(_tensor_regressor(), np.ones((4, 3)), None, nn.mse_loss, None, 1),
            TypeError,
            "optimizer must be",
        ),
        (
            lambda: _fit(validation_data=np.ones((5, 3))),
            TypeError,
            r"validation_data must be a pair \(X_val, y_val\)",
        ),
        (
            lambda: _fit(metrics=[lambda p, t: 1.0, lambda p, t: 2.0]),
            ValueError,
            "two metrics named '<lambda>'",
        ),
        (lambda: _fit(metrics=[nn.mse, "mse"]), ValueError, "two metrics named 'mse'"),
        (lambda: _fit(schedule=lambda epoch: -1.0), ValueError, r"schedule\(0\) returned -1.0"),
    ],
)
def test_fit_bad_input_is_named_at_the_call(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_fit_needs_targets():
    model = _tensor_regressor()
    with pytest.raises(TypeError, match="fit needs the targets y"):
        nn.fit(model, np.ones((4, 3)), None, nn.mse_loss, nn.SGD(model.parameters(), lr=0.1), 1)


def test_fit_accepts_a_numpy_learning_rate_from_a_schedule():
    history = _fit(schedule=lambda epoch: np.float32(0.05))
    assert history.lr == pytest.approx([0.05, 0.05])


def test_accuracy_of_no_samples_raises():
    with pytest.raises(ValueError, match="no samples"):
        nn.accuracy(np.zeros((0, 3)), np.zeros(0, dtype=int))


def test_a_bad_label_anywhere_is_found_before_any_update():
    X = np.random.default_rng(0).normal(size=(20, 3))
    y = np.zeros(20, dtype=int)
    y[-1] = 3  # out of range for 2 classes, in the last batch (no shuffling)
    model = nn.Sequential(nn.Linear(3, 2, seed=0))
    before = [p.data.copy() for p in model.parameters()]
    opt = nn.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"label 3 is outside \[0, 2\)"):
        nn.fit(model, X, y, nn.cross_entropy, opt, 1, batch_size=4, shuffle=False, progress=False)
    y_val = np.array([0, 1, -1])
    with pytest.raises(ValueError, match=r"label -1 is outside"):
        nn.fit(
            model,
            X[:8],
            y[:8],
            nn.cross_entropy,
            opt,
            1,
            validation_data=(X[:3], y_val),
            progress=False,
        )
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, b)
    assert opt.step_count == 0
