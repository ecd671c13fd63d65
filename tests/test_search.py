"""nn.grid_search / nn.random_search / SearchResult, and EarlyStopping(restore_best_weights)."""

import matplotlib
import numpy as np
import pytest

import nn

matplotlib.use("Agg")


def _data(n=80, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    return X[:60], y[:60], X[60:], y[60:]


def build(lr=0.05, width=8, seed=0):
    nn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, width), nn.ReLU(), nn.Linear(width, 2))
    return model, nn.SGD(model.parameters(), lr=lr)


def _grid(grid, **kw):
    X, y, Xv, yv = _data()
    kw.setdefault("epochs", 4)
    return nn.grid_search(build, grid, X, y, validation_data=(Xv, yv), **kw)


def test_grid_is_the_cartesian_product_sorted_by_val_loss():
    r = _grid({"lr": [0.01, 0.1, 0.3], "width": [4, 8]})
    assert len(r.rows) == 6
    assert {(row["lr"], row["width"]) for row in r.rows} == {
        (a, b) for a in (0.01, 0.1, 0.3) for b in (4, 8)
    }
    scores = [row["best_val_loss"] for row in r.rows]
    assert scores == sorted(scores)
    best = min(r.rows, key=lambda row: row["best_val_loss"])
    assert r.best_params == {"lr": best["lr"], "width": best["width"]}


def test_best_model_holds_best_epoch_weights():
    r = _grid({"lr": [0.5, 2.0]}, epochs=12)
    X, y, Xv, yv = _data()
    val = nn.evaluate(r.best_model, Xv, yv, nn.cross_entropy, metrics=[])["loss"]
    assert val == pytest.approx(r.rows[0]["best_val_loss"], rel=1e-5)
    h = r.best_history
    assert h.history["val_loss"][h.best_epoch - 1] == pytest.approx(val, rel=1e-5)


def test_same_seed_same_table():
    a = _grid({"lr": [0.05, 0.2]})
    b = _grid({"lr": [0.05, 0.2]})
    strip = [{k: v for k, v in row.items() if k != "seconds"} for row in a.rows]
    assert strip == [{k: v for k, v in row.items() if k != "seconds"} for row in b.rows]


def test_batch_size_and_epochs_go_to_fit():
    r = _grid({"batch_size": [10, 60], "epochs": [2, 3]})
    for row, h in zip(r.rows, r._histories):
        assert h.params["batch_size"] == row["batch_size"]
        assert len(h.epoch) == row["epochs"]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_diverging_config_is_a_row_marked_diverged_and_last():
    r = _grid({"lr": [0.05, 1e12]})
    assert len(r.rows) == 2
    assert r.rows[-1]["lr"] == 1e12 and r.rows[-1]["diverged"]
    assert not r.rows[0]["diverged"]


def test_arrays_and_ranges_are_value_lists_and_numpy_numbers_come_out_plain():
    r = _grid({"lr": np.array([0.05, 0.1]), "width": range(4, 9, 4)}, epochs=2)
    assert {(row["lr"], row["width"]) for row in r.rows} == {
        (a, b) for a in (0.05, 0.1) for b in (4, 8)
    }
    assert all(type(row["lr"]) is float and type(row["width"]) is int for row in r.rows)
    X, y, Xv, yv = _data()
    d = nn.random_search(
        build,
        {"lr": np.geomspace(1e-3, 1e-1, 3)},
        X,
        y,
        n_iter=2,
        validation_data=(Xv, yv),
        epochs=1,
    )
    assert all(type(row["lr"]) is float for row in d.rows)
    with pytest.raises(ValueError, match=r"param_grid\['lr'\] must be a 1-d array.*\(2, 2\)"):
        _grid({"lr": np.ones((2, 2))})
    with pytest.raises(TypeError, match=r"param_grid\['act'\] must be a list.*got 'relu'"):
        _grid({"act": "relu"})


def test_zero_rate_and_diverged_configurations_are_rows_not_aborts():
    r = _grid({"lr": [0.0, 0.05, 1e12]}, epochs=3)
    assert [row["lr"] for row in r.rows] == [0.05, 0.0, 1e12]
    assert [row["diverged"] for row in r.rows] == [False, False, True]
    zero = r.rows[1]
    assert zero["best_val_loss"] == zero["final_val_loss"]  # lr=0: the weights never moved


def test_random_search_n_iter_and_reproducible():
    X, y, Xv, yv = _data()
    dist = {"lr": lambda g: 10 ** g.uniform(-3, -1), "width": [4, 8, 16]}
    kw = dict(n_iter=3, validation_data=(Xv, yv), epochs=2, seed=3)
    a = nn.random_search(build, dist, X, y, **kw)
    b = nn.random_search(build, dist, X, y, **kw)
    assert len(a.rows) == 3
    assert [(r["lr"], r["width"]) for r in a.rows] == [(r["lr"], r["width"]) for r in b.rows]


def test_plot_repr_html():
    one = _grid({"lr": [0.05, 0.1]}, epochs=2)
    two = _grid({"lr": [0.05, 0.1], "width": [4, 8]}, epochs=2)
    for r in one, two:
        assert isinstance(r.plot(), matplotlib.figure.Figure)
        assert "lr" in repr(r) and "<table>" in r._repr_html_() and "lr" in r._repr_html_()
    assert "width" in repr(two)


def test_bad_input():
    X, y, Xv, yv = _data()
    with pytest.raises(ValueError, match="non-empty"):
        nn.grid_search(build, {}, X, y, validation_data=(Xv, yv))
    with pytest.raises(TypeError, match="list"):
        nn.grid_search(build, {"lr": 0.1}, X, y, validation_data=(Xv, yv))
    with pytest.raises(ValueError, match="monitor"):
        nn.grid_search(build, {"lr": [0.1]}, X, y, validation_data=(Xv, yv), monitor="nope")
    with pytest.raises(TypeError, match="model, optimizer"):
        nn.grid_search(lambda lr: 3, {"lr": [0.1]}, X, y, validation_data=(Xv, yv))
    with pytest.raises(ValueError, match="n_iter"):
        nn.random_search(build, {"lr": [0.1]}, X, y, n_iter=0, validation_data=(Xv, yv))
    with pytest.raises(ValueError, match="validation_data"):
        nn.random_search(build, {"lr": [0.1]}, X, y, n_iter=1)


class _Snapshots(nn.Callback):
    def on_train_begin(self, logs=None):
        self.states = {}

    def on_epoch_end(self, epoch, logs):
        self.states[epoch] = self.model.state_dict()


def test_early_stopping_restores_a_best_epoch_before_the_last():
    X, y, Xv, yv = _data()
    model, _ = build()
    opt = nn.SGD(model.parameters(), lr=3.0)  # too large: val_loss goes up after a while
    snaps = _Snapshots()
    es = nn.EarlyStopping(patience=100, restore_best_weights=True)
    h = nn.fit(
        model,
        X,
        y,
        nn.cross_entropy,
        opt,
        epochs=15,
        batch_size=10,
        validation_data=(Xv, yv),
        metrics=[],
        progress=False,
        seed=0,
        callbacks=[snaps, es],
    )
    vl = h.history["val_loss"]
    best = int(np.argmin(vl)) + 1
    assert h.best_epoch == best < len(vl)
    final = model.state_dict()
    for k, v in snaps.states[best].items():
        np.testing.assert_array_equal(final[k], v)
    assert any(not np.array_equal(final[k], v) for k, v in snaps.states[len(vl)].items())


def test_heatmap_axes_in_numeric_order():
    r = _grid({"lr": [0.3, 1e-5, 0.05], "width": [16, 4, 8]}, epochs=1)
    ax = r.plot().axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1e-05", "0.05", "0.3"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["4", "8", "16"]
