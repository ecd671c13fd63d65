"""Issue 12: compile_step's lowered replay (NumPy calls into preallocated buffers) for the
common network: Linear/ReLU layers, cross-entropy and plain SGD. Same numbers as the ordinary
step to the bit; everything else replays through the general path."""

from __future__ import annotations

import numpy as np
import pytest
from test_compile import plain_step as plain

import nn
from autograd import Tensor
from nn.compile.lower import Program, _relu_mask


def model_and_data(hidden=(32, 16), seed=0, bias=True):
    nn.manual_seed(seed)
    sizes, mods = (64, *hidden), []
    for a, b in zip(sizes, sizes[1:]):
        mods += [nn.Linear(a, b, bias=bias), nn.ReLU()]
    model = nn.Sequential(*mods, nn.Linear(sizes[-1], 10))
    rng = np.random.default_rng(seed)
    X = rng.random((256, 64), dtype=np.float32)
    return model, X, (X @ rng.normal(size=(64, 10))).argmax(axis=1)


@pytest.mark.parametrize("bias", [True, False])
def test_lowered_steps_equal_the_plain_steps_bit_for_bit(bias):
    (ma, Xs, Ys), (mb, _, _) = model_and_data(bias=bias), model_and_data(bias=bias)
    oa, ob = nn.SGD(ma.parameters(), lr=0.2), nn.SGD(mb.parameters(), lr=0.2)
    step = nn.compile_step(mb, nn.cross_entropy, ob)
    outputs = []
    for k in range(30):
        x, y = Xs[32 * (k % 8) : 32 * (k % 8) + 32], Ys[32 * (k % 8) : 32 * (k % 8) + 32]
        expected = ma(Tensor(x)).data
        assert plain(ma, oa, x, y) == step(x, y)
        assert np.array_equal(step.last_output, expected)
        outputs.append(step.last_output)
    assert not np.array_equal(outputs[0], outputs[8])  # each its own array, the weights moved
    assert isinstance(next(iter(step.records.values())).program, Program)
    for p, q in zip(ma.parameters(), mb.parameters()):
        assert np.array_equal(p.data, q.data) and np.array_equal(p.grad, q.grad)
    assert step.last_output.shape == (32, 10)
    assert ob.step_count == oa.step_count == 30


def test_what_is_not_lowered_replays_through_the_general_path():
    for opt_kw, dropout in (({"momentum": 0.9}, False), ({}, True)):
        model, X, Y = model_and_data()
        if dropout:
            model = nn.Sequential(*model[:2], nn.Dropout(0.2), *model[2:])
        step = nn.compile_step(model, nn.cross_entropy, nn.SGD(model.parameters(), lr=0.1,
                                                               **opt_kw))  # fmt: skip
        for _ in range(3):
            step(X[:32], Y[:32])
        assert next(iter(step.records.values())).program is False


def test_an_optimizer_change_leaves_the_lowered_path():
    model, X, Y = model_and_data()
    twin, _, _ = model_and_data()
    opt, opt2 = nn.SGD(model.parameters(), lr=0.1), nn.SGD(twin.parameters(), lr=0.1)
    step = nn.compile_step(model, nn.cross_entropy, opt)
    for k in range(6):
        if k == 3:
            opt.momentum = opt2.momentum = 0.9  # honoured from this step on
        assert step(X[:32], Y[:32]) == pytest.approx(plain(twin, opt2, X[:32], Y[:32]), 1e-6)


def test_bad_targets_are_refused_before_any_change():
    model, X, Y = model_and_data()
    opt = nn.SGD(model.parameters(), lr=0.1)
    step = nn.compile_step(model, nn.cross_entropy, opt)
    for _ in range(3):
        step(X[:32], Y[:32])
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"label -1 is outside \[0, 10\)"):
        step(X[:32], np.full(32, -1))
    with pytest.raises(ValueError, match=r"label 10 is outside \[0, 10\)"):
        step(X[:32], np.full(32, 10))
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))


@pytest.mark.parametrize("momentum", [0.0, 0.9])  # the lowered replay, the general one
def test_a_bad_label_at_a_replay_is_named_and_changes_nothing(momentum):
    model, X, Y = model_and_data()
    step = nn.compile_step(model, nn.cross_entropy, nn.SGD(model.parameters(), 0.1, momentum))
    for _ in range(3):
        step(X[:32], Y[:32])
    before = [p.data.copy() for p in model.parameters()]
    for bad, label in ((-1, -1), (10, 10)):
        y = Y[:32].copy()
        y[7] = bad
        with pytest.raises(ValueError, match=rf"label {label} is outside \[0, 10\)"):
            step(X[:32], y)
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))


@pytest.mark.parametrize("momentum", [0.0, 0.9])  # the lowered replay, the general one
def test_labels_as_a_tensor_are_taken_as_nn_cross_entropy_takes_them(momentum):
    model, X, Y = model_and_data()
    twin, _, _ = model_and_data()
    opt = nn.SGD(model.parameters(), 0.1, momentum)
    opt2 = nn.SGD(twin.parameters(), 0.1, momentum)
    step = nn.compile_step(model, nn.cross_entropy, opt)
    labels = Tensor(Y[:32])  # integers through Tensor(y): float32, whole numbers
    for _ in range(4):
        assert step(X[:32], labels) == pytest.approx(plain(twin, opt2, X[:32], labels), 1e-6)
    before = [p.data.copy() for p in model.parameters()]
    bad = Y[:32].astype(np.float32)
    bad[5] += 0.5
    with pytest.raises(ValueError, match="not whole numbers"):  # never truncated to 2 or 3
        step(X[:32], Tensor(bad))
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))


def test_the_relu_mask_selects_where_the_upstream_is_infinite():
    out = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]], np.float32)
    g = np.array([[1.0, np.inf, 2.0], [-np.inf, 4.0, np.nan]], np.float32)
    keep, gm, gb = np.empty(out.shape, bool), np.empty_like(g), np.empty(3, np.float32)
    with np.errstate(invalid="ignore"):  # inf + -inf in the check's sum: the check says no
        _relu_mask(out, keep, g, gm, gb)
    assert np.array_equal(gm, np.where(out > 0, g, 0.0))  # 0 where shut, not inf * 0 = nan
    assert np.array_equal(gb, gm.sum(axis=0))
    g = np.where(out > 0, np.inf, 1.0).astype(np.float32)  # inf where open: kept, as the rule
    _relu_mask(out, keep, g, gm, gb)
    assert np.array_equal(gm, np.where(out > 0, g, 0.0))
