"""Callbacks and EarlyStopping in nn.fit."""

import numpy as np
import pytest

import nn


def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=n)).astype(np.float32)
    return X, y.reshape(-1, 1)


def _model():
    np.random.seed(0)
    return nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))


def _fit(model, X, y, **kw):
    kw.setdefault("validation_split", 0.25)
    return nn.fit(model, X, y, nn.mse_loss, nn.SGD(model.parameters(), lr=kw.pop("lr", 0.05)),
                  epochs=kw.pop("epochs", 30), batch_size=16, metrics=[], progress=False,
                  seed=0, **kw)


class Recorder(nn.Callback):
    def __init__(self):
        self.calls, self.states = [], {}

    def on_train_begin(self, logs=None):
        self.calls.append("begin")

    def on_epoch_end(self, epoch, logs):
        self.calls.append(epoch)
        self.states[epoch] = self.model.state_dict()

    def on_train_end(self, logs=None):
        self.calls.append("end")


class StopAt(nn.Callback):
    def __init__(self, at):
        self.at = at

    def on_epoch_end(self, epoch, logs):
        if epoch == self.at:
            self.stop_training = True
            self.stop_reason = f"asked to stop at {epoch}"


def test_callbacks_called_in_order_and_stop_training():
    X, y = _data()
    rec = Recorder()
    h = _fit(_model(), X, y, epochs=5, callbacks=[rec, StopAt(3)])
    assert rec.calls == ["begin", 1, 2, 3, "end"]
    assert h.epoch == [1, 2, 3] and h.stopped_epoch == 3
    assert h.stop_reason == "asked to stop at 3"


def test_early_stopping_patience_and_reason():
    X, y = _data()
    # a huge min_delta: nothing after epoch 1 counts as an improvement
    es = nn.EarlyStopping(monitor="val_loss", patience=2, min_delta=1e9)
    h = _fit(_model(), X, y, epochs=20, callbacks=[es])
    assert h.epoch == [1, 2, 3] and h.stopped_epoch == 3 and h.best_epoch == 1
    assert h.stop_reason == "val_loss did not improve by more than 1e+09 for 2 epochs"


def test_early_stopping_no_stop_when_improving():
    X, y = _data()
    h = _fit(_model(), X, y, epochs=5, lr=0.01, callbacks=[nn.EarlyStopping(monitor="loss")])
    assert h.stopped_epoch is None and h.stop_reason is None
    losses = h.history["loss"]
    assert h.best_epoch == int(np.argmin(losses)) + 1


def test_restore_best_weights_exact_state_dict():
    X, y = _data()
    model, rec = _model(), Recorder()
    # a large learning rate makes val_loss bounce, so the best epoch is not the last
    es = nn.EarlyStopping(patience=3, restore_best_weights=True)
    h = _fit(model, X, y, epochs=40, lr=0.3, callbacks=[rec, es])
    best = int(np.argmin(h.history["val_loss"])) + 1
    assert h.best_epoch == best
    final = model.state_dict()
    assert final.keys() == rec.states[best].keys()
    for k in final:
        np.testing.assert_array_equal(final[k], rec.states[best][k])
    if h.epoch[-1] != best:  # it really restored something
        assert any(not np.array_equal(final[k], rec.states[h.epoch[-1]][k]) for k in final)


def test_mode_auto_and_errors():
    assert nn.EarlyStopping(monitor="val_accuracy").mode == "max"
    assert nn.EarlyStopping(monitor="val_loss").mode == "min"
    with pytest.raises(ValueError, match="mode"):
        nn.EarlyStopping(mode="up")
    X, y = _data()
    with pytest.raises(KeyError, match="val_accuracy"):
        _fit(_model(), X, y, epochs=2, callbacks=[nn.EarlyStopping(monitor="val_accuracy")])
    with pytest.raises(TypeError, match="Callback"):
        _fit(_model(), X, y, epochs=1, callbacks=[lambda e, l: None])


def test_train_val_test_split_disjoint_reproducible_sizes():
    X = np.arange(100).reshape(-1, 1)
    y = np.arange(100)
    Xtr, Xv, Xte, ytr, yv, yte = nn.train_val_test_split(X, y, val_size=0.2, test_size=10, seed=1)
    assert (len(Xtr), len(Xv), len(Xte)) == (70, 20, 10)
    assert sorted(np.concatenate([ytr, yv, yte]).tolist()) == list(range(100))
    np.testing.assert_array_equal(Xv[:, 0], yv)
    again = nn.train_val_test_split(X, y, val_size=0.2, test_size=10, seed=1)
    np.testing.assert_array_equal(again[1], Xv)
    with pytest.raises(ValueError, match="non-empty"):
        nn.train_val_test_split(X, y, val_size=0.5, test_size=0.5)
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        nn.train_val_test_split(X, y, val_size=1.5)


def test_train_val_test_split_stratify():
    y = np.array([0] * 80 + [1] * 20)
    X = np.arange(100).reshape(-1, 1)
    _, _, _, ytr, yv, yte = nn.train_val_test_split(X, y, 0.2, 0.1, seed=0, stratify=y)
    assert (len(ytr), len(yv), len(yte)) == (70, 20, 10)
    assert yv.mean() == pytest.approx(0.2) and yte.mean() == pytest.approx(0.2)
    assert ytr.mean() == pytest.approx(0.2)
