"""nn.plots: every plot returns a Figure with the expected axes, lines and labels, built from the
numbers it was given (history values, model predictions, loss values, descent paths)."""

import math
import sys
from types import SimpleNamespace

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from autograd.value import Value  # noqa: E402
from nn.module import Module  # noqa: E402
from nn.optim import SGD  # noqa: E402
from nn.plots import (  # noqa: E402
    gradient_descent_path,
    plot_decision_boundary,
    plot_history,
    plot_loss_surface,
)
from nn.scalar import MLP  # noqa: E402


def history(**series):
    """A stand-in for nn.History: .epoch, .history, .iteration_loss."""
    n = len(next(iter(series.values())))
    return SimpleNamespace(
        epoch=list(range(n)), history=series, iteration_loss=list(np.linspace(2, 0.1, 4 * n))
    )


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


# ------------------------------------------------------------------------------- plot_history
def test_history_one_panel_per_quantity_train_and_validation():
    h = history(
        accuracy=[0.5, 0.7, 0.8],
        loss=[1.0, 0.6, 0.4],
        val_loss=[1.1, 0.8, 0.7],
        val_accuracy=[0.4, 0.6, 0.65],
    )
    fig = plot_history(h)
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]  # loss first
    for ax, name in zip(fig.axes, ["loss", "accuracy"]):
        lines = lines_by_label(ax)
        assert set(lines) == {"train", "validation"}
        assert list(lines["train"].get_ydata()) == h.history[name]
        assert list(lines["validation"].get_ydata()) == h.history[f"val_{name}"]
        assert list(lines["train"].get_xdata()) == [0, 1, 2]
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == name
        assert legend_texts(ax) == ["train", "validation"]


def test_history_without_validation_and_as_a_plain_dict():
    fig = plot_history({"loss": [3.0, 2.0], "mae": [1.0, 0.5]})
    assert [ax.get_title() for ax in fig.axes] == ["loss", "mae"]
    assert [len(ax.get_lines()) for ax in fig.axes] == [1, 1]
    assert list(fig.axes[0].get_lines()[0].get_xdata()) == [1, 2]  # epochs counted from 1


def test_history_metric_choice_and_iteration_panel():
    h = history(loss=[1.0, 0.5], val_loss=[1.2, 0.9], accuracy=[0.5, 0.9], mse=[0.3, 0.2])
    fig = plot_history(h, metrics=["accuracy"], iterations=True)
    assert [ax.get_title() for ax in fig.axes] == ["accuracy", "loss per iteration"]
    (steps,) = fig.axes[1].get_lines()
    assert list(steps.get_ydata()) == h.iteration_loss
    assert fig.axes[1].get_xlabel() == "iteration"


def test_history_many_panels_wrap_into_rows():
    h = history(loss=[1.0], a=[0.1], b=[0.2], c=[0.3])
    fig = plot_history(h)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "a", "b", "c"]  # spare axes removed


def test_history_bad_input_is_named():
    with pytest.raises(ValueError, match="holds no values"):
        plot_history(SimpleNamespace(history={}, epoch=[]))
    with pytest.raises(ValueError, match="'val_loss' has 1 values for 2 epochs"):
        plot_history({"loss": [1.0, 2.0], "val_loss": [1.0]})
    with pytest.raises(ValueError, match=r"no \['f1'\] in the history"):
        plot_history({"loss": [1.0]}, metrics=["f1"])
    with pytest.raises(ValueError, match="no iteration_loss"):
        plot_history({"loss": [1.0]}, iterations=True)


def test_figures_are_not_left_open_in_pyplot():
    before = plt.get_fignums()
    fig = plot_history({"loss": [1.0, 0.5]})
    assert plt.get_fignums() == before
    assert fig.canvas is not None  # still drawable / savable


# --------------------------------------------------------------------- plot_decision_boundary
rng = np.random.default_rng(0)
X = rng.uniform(-2, 2, size=(60, 2))
y_pm = np.where(X[:, 0] > X[:, 1], 1, -1)


def check_boundary_axes(fig, classes, accuracy, points=X):
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert ax.get_title() == f"decision boundary (accuracy {accuracy})"
    assert ax.get_xlabel() == "x1" and ax.get_ylabel() == "x2"
    assert legend_texts(ax) == [str(c) for c in classes]
    drawn = [c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)]
    assert sum(len(p) for p in drawn) == len(points)  # every data point drawn, once
    return ax


def test_boundary_of_a_scalar_callable_taking_one_point():
    calls = []

    def model(x):
        calls.append(x)
        return Value(x[0]) - x[1]

    fig = plot_decision_boundary(model, X, y_pm, resolution=20)
    check_boundary_axes(fig, [-1, 1], "100.0%")
    assert all(isinstance(c, list) and len(c) == 2 for c in calls[-5:])


def test_boundary_of_a_batch_model_taking_an_array():
    calls = []

    def model(batch):
        calls.append(batch.shape)
        return batch[:, :1] - batch[:, 1:]  # (N, 1) scores

    fig = plot_decision_boundary(model, X, y_pm, resolution=30)
    check_boundary_axes(fig, [-1, 1], "100.0%")
    assert calls[-1] == (30 * 30 + len(X), 2)  # the whole grid and the data in one call


def test_boundary_thresholds_probabilities_at_one_half():
    y01 = (X[:, 0] > X[:, 1]).astype(int)

    def probability(batch):
        return 1 / (1 + np.exp(-(batch[:, 0] - batch[:, 1])))

    check_boundary_axes(
        plot_decision_boundary(probability, X, y01, resolution=20), [0, 1], "100.0%"
    )
    # a threshold given explicitly wins: everything above 0 is class 1 -> half right at most
    fig = plot_decision_boundary(probability, X, y01, resolution=20, threshold=0.0)
    assert fig.axes[0].get_title() == f"decision boundary (accuracy {np.mean(y01 == 1):.1%})"


def test_boundary_of_a_multiclass_model_uses_argmax():
    y3 = np.digitize(X[:, 0], [-0.7, 0.7])  # classes 0, 1, 2 in vertical bands
    centres = np.array([-1.4, 0.0, 1.4])

    def scores(batch):
        return -((batch[:, :1] - centres) ** 2)  # (N, 3): nearest centre wins

    ax = check_boundary_axes(
        plot_decision_boundary(scores, X, y3, resolution=25), [0, 1, 2], "100.0%"
    )
    assert sum(isinstance(c, PathCollection) for c in ax.collections) == 3


def test_boundary_of_an_mlp_runs_in_eval_mode_and_restores_it():
    seen = []

    class Recording(Module):
        def __init__(self):
            self.mlp = MLP(2, [4, 1], seed=3)

        def forward(self, x):
            seen.append(self.training)
            return self.mlp(x)

    model = Recording()
    fig = plot_decision_boundary(model, X, y_pm, resolution=10)
    assert seen and not any(seen) and model.training  # eval inside, train mode restored
    predictions = np.where([model([float(a), float(b)]).data > 0 for a, b in X], 1, -1)
    check_boundary_axes(fig, [-1, 1], f"{np.mean(predictions == y_pm):.1%}")


def test_boundary_bad_input_is_named():
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\), got \(60, 3\)"):
        plot_decision_boundary(lambda b: b[:, 0], np.zeros((60, 3)), y_pm)
    with pytest.raises(ValueError, match="60 points but 59 labels"):
        plot_decision_boundary(lambda b: b[:, 0], X, y_pm[:-1])
    with pytest.raises(ValueError, match="resolution"):
        plot_decision_boundary(lambda b: b[:, 0], X, y_pm, resolution=1)


# ------------------------------------------------------------------ gradient_descent_path
def test_descent_path_follows_the_sgd_update():
    path = gradient_descent_path(lambda w: (w - 1) ** 2, start=-2.0, lr=0.1, steps=10)
    assert len(path) == 11 and all(isinstance(w, float) for w in path)
    for k, w in enumerate(path):
        assert w == pytest.approx(1 - 3 * 0.8**k, rel=1e-12)


def test_descent_path_in_two_dimensions_with_momentum():
    def loss(a, b):
        return (a - 1) ** 2 + 10 * (b + 0.5) ** 2

    plain = gradient_descent_path(loss, (-2.0, 1.5), lr=0.02, steps=30)
    heavy = gradient_descent_path(loss, (-2.0, 1.5), lr=0.02, steps=30, optimizer=SGD, momentum=0.9)
    assert len(plain) == len(heavy) == 31
    assert plain[0] == heavy[0] == (-2.0, 1.5)
    assert plain[1] == pytest.approx((-2.0 + 0.02 * 6, 1.5 - 0.02 * 40))
    assert heavy[2] != pytest.approx(plain[2])  # momentum changed the second step
    assert loss(*map(Value, plain[-1])).data < loss(*map(Value, plain[0])).data


def test_descent_path_stops_when_it_diverges():
    path = gradient_descent_path(lambda w: w**4, start=3.0, lr=1.0, steps=50)
    assert 2 <= len(path) < 51
    assert all(math.isfinite(w) for w in path)
    assert abs(path[-1]) > 1e10


def test_descent_path_needs_a_value_loss():
    with pytest.raises(TypeError, match="must return a Value, got float"):
        gradient_descent_path(lambda w: 1.0, start=0.0)
    with pytest.raises(ValueError, match="1 or 2 numbers"):
        gradient_descent_path(lambda a, b, c: a, start=(0, 0, 0))


# ------------------------------------------------------------------------ plot_loss_surface
def test_loss_curve_with_paths_in_one_dimension():
    def loss(w):
        return 3 * (w - 1) ** 2

    paths = {
        "lr=0.05": gradient_descent_path(loss, -2.0, lr=0.05, steps=10),
        "lr=0.4": gradient_descent_path(loss, -2.0, lr=0.4, steps=10),  # |1 - 6*0.4| > 1
    }
    fig = plot_loss_surface(loss, bounds=(-4, 5), paths=paths)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "w" and ax.get_ylabel() == "loss" and ax.get_title() == "loss surface"
    curve = lines_by_label(ax)["loss"]
    w = curve.get_xdata()
    assert w[0] == -4 and w[-1] == 5
    np.testing.assert_allclose(curve.get_ydata(), 3 * (w - 1) ** 2)
    assert len(ax.get_lines()) == 1 + 2 * len(paths)  # the curve; each path and its start
    assert legend_texts(ax) == ["loss", "lr=0.05", "lr=0.4 (leaves the plot)"]
    slow = lines_by_label(ax)["lr=0.05"]
    assert list(slow.get_xdata()) == paths["lr=0.05"]
    np.testing.assert_allclose(slow.get_ydata(), [3 * (p - 1) ** 2 for p in paths["lr=0.05"]])


def test_loss_contours_in_two_dimensions_from_a_value_loss():
    def value_loss(a, b):  # uses Value methods: evaluated point by point, not on arrays
        a = a if isinstance(a, Value) else Value(a)
        return (a - 1) ** 2 + (b * 2 + a * 0).tanh() ** 2

    path = gradient_descent_path(value_loss, (-1.0, 1.0), lr=0.2, steps=15)
    fig = plot_loss_surface(value_loss, bounds=((-2, 2), (-1.5, 1.5)), paths=path, resolution=20)
    ax, colorbar = fig.axes
    assert ax.get_xlabel() == "w1" and ax.get_ylabel() == "w2"
    assert colorbar.get_ylabel() == "loss"
    assert ax.get_xlim() == (-2, 2) and ax.get_ylim() == (-1.5, 1.5)
    line = lines_by_label(ax)["gradient descent"]
    np.testing.assert_allclose(np.column_stack([line.get_xdata(), line.get_ydata()]), path)
    assert legend_texts(ax) == ["gradient descent"]


def test_loss_surface_bounds_default_to_around_the_paths():
    fig = plot_loss_surface(lambda a, b: a**2 + b**2, paths=[(0.0, 0.0), (2.0, -1.0)])
    lo, hi = fig.axes[0].get_xlim()
    assert lo < 0 and hi > 2
    with pytest.raises(ValueError, match="give bounds"):
        plot_loss_surface(lambda w: w)
    with pytest.raises(ValueError, match="lo < hi"):
        plot_loss_surface(lambda w: w, bounds=(1, 1))
    with pytest.raises(ValueError, match="1 or 2 parameters, got 3"):
        plot_loss_surface(lambda a, b, c: a, bounds=((0, 1), (0, 1), (0, 1)))
    with pytest.raises(ValueError, match="has no points"):
        plot_loss_surface(lambda w: w, bounds=(0, 1), paths={"empty": []})


def test_missing_matplotlib_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_history({"loss": [1.0]})


# ------------------------------------------------------------------ with nn's own training loop
def test_trained_tensor_model_history_and_boundary_agree_with_fit():
    import nn

    data = np.random.default_rng(1)
    Xf = data.normal(size=(80, 2)).astype(np.float32)
    yf = (Xf[:, 0] + 0.5 * Xf[:, 1] > 0).astype(int)
    model = nn.Sequential(nn.Linear(2, 8, seed=0), nn.ReLU(), nn.Linear(8, 2, seed=1))
    opt = nn.Adam(model.parameters(), lr=0.05)
    h = nn.fit(model, Xf, yf, nn.cross_entropy, opt, epochs=5, batch_size=16,
               validation_data=(Xf, yf), progress=False, seed=0)  # fmt: skip

    fig = h.plot()
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    lines = lines_by_label(fig.axes[1])
    assert list(lines["validation"].get_ydata()) == h.history["val_accuracy"]
    assert list(lines["train"].get_xdata()) == h.epoch

    fig = plot_decision_boundary(model, Xf, yf, resolution=40)
    check_boundary_axes(fig, [0, 1], f"{h.history['val_accuracy'][-1]:.1%}", points=Xf)
