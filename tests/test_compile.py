"""Issue 12: Sequential's fused Linear+ReLU, and ``nn.compile_step`` (trace once, replay).

The fused node is checked against the unfused modules in float64 (values, first and second
derivatives); the compiled step against the ordinary step over 100 steps (losses and final
weights to 1e-6 relative), with dropout, a smaller last batch, a schedule and replaced weights.
"""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor, grad

F64 = np.float64


def unfused(model, x):
    """The Sequential's modules one by one (no fusion)."""
    for module in model:
        x = module(x)
    return x


def mlp(dtype=F64, bias=True, seed=0):
    return nn.Sequential(
        nn.Linear(3, 5, bias=bias, seed=seed, dtype=dtype), nn.ReLU(),
        nn.Linear(5, 4, seed=seed + 1, dtype=dtype), nn.ReLU(),
        nn.Linear(4, 2, seed=seed + 2, dtype=dtype),
    )  # fmt: skip


# ------------------------------------------------------------------------------- fusion
def test_sequential_fuses_linear_and_relu_and_labels_both_modules():
    model = mlp()
    out = model(Tensor(np.ones((2, 3))))
    assert out.label == "4:Linear" and out.op == "linear"
    hidden = out.parents[0]
    assert (hidden.label, hidden.op) == ("3:ReLU", "linear+relu")
    assert [p.label for p in hidden.parents] == ["1:ReLU", "2.weight", "2.bias"]
    assert hidden._fn.display == "2:Linear"  # the op names the Linear it stands for


@pytest.mark.parametrize("bias", [True, False])
def test_fused_values_and_gradients_equal_the_modules(bias):
    model = mlp(bias=bias)
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(6, 3))
    xs[0] = 0.0  # rows where some pre-activations are exactly the bias
    params = model.parameters()
    results = []
    for forward in (model, lambda x: unfused(model, x)):
        x = Tensor(xs, requires_grad=True)
        out = forward(x)
        loss = (out * out).sum()
        g1 = grad(loss, [x, *params], create_graph=True)
        second = sum((g * g).sum() for g in g1)  # a scalar made of first derivatives
        g2 = grad(second, [x, *params])
        results.append((out.data, [g.data for g in g1], [g.data for g in g2]))
    (o1, a1, b1), (o2, a2, b2) = results
    np.testing.assert_allclose(o1, o2, rtol=1e-12, atol=1e-14)
    for u, v in zip(a1 + b1, a2 + b2):
        np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12)


def test_fused_gradients_match_finite_differences():
    model = mlp()
    x0 = np.random.default_rng(1).normal(size=(4, 3))
    x = Tensor(x0, requires_grad=True)
    (gx,) = grad(model(x).sum(), [x])
    eps, num = 1e-6, np.zeros_like(x0)
    for idx in np.ndindex(*x0.shape):
        d = np.zeros_like(x0)
        d[idx] = eps
        num[idx] = (model(Tensor(x0 + d)).data.sum() - model(Tensor(x0 - d)).data.sum()) / (2 * eps)
    np.testing.assert_allclose(gx.data, num, rtol=1e-5, atol=1e-7)


def test_fusion_falls_back_for_inputs_it_does_not_take():
    model = mlp()
    arr = np.ones((2, 3))  # a plain array is made a Tensor, as linear() does
    np.testing.assert_allclose(model(arr).data, unfused(model, Tensor(arr)).data)
    with pytest.raises(ValueError, match="does not fit weight shape"):
        model(Tensor(np.ones((2, 4))))


# ------------------------------------------------------------------------- compile_step
RTOL = 1e-6


def t1_model(dropout=False, seed=0, opt=nn.SGD, **kw):
    nn.manual_seed(seed)
    mods = [nn.Linear(64, 32), nn.ReLU()]
    mods += [nn.Dropout(0.3), nn.Linear(32, 32), nn.ReLU(), nn.Dropout(0.2)] if dropout else []
    model = nn.Sequential(*mods, nn.Linear(32, 10))
    return model, opt(model.parameters(), lr=kw.pop("lr", 0.1), **kw)


def plain_step(model, optimizer, x, y):
    optimizer.zero_grad()
    loss = nn.cross_entropy(model(Tensor(x)), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def data(n=3200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 64), dtype=np.float32)
    return X, (X @ rng.normal(size=(64, 10))).argmax(axis=1)  # labels a model can learn


def assert_same(losses_a, losses_b, model_a, model_b):
    np.testing.assert_allclose(losses_a, losses_b, rtol=RTOL)
    for p, q in zip(model_a.parameters(), model_b.parameters()):
        assert p.data.dtype == q.data.dtype == np.float32
        np.testing.assert_allclose(p.data, q.data, rtol=RTOL, atol=1e-7)


def run_both(sizes=(32,) * 100, dropout=False, between=None, **kw):
    """The plain and the compiled step over batches of ``sizes``; ``between(k, model, opt)``
    runs before step k on both."""
    X, Y = data()
    (ma, oa), (mb, ob) = t1_model(dropout, **kw), t1_model(dropout, **kw)
    step = nn.compile_step(mb, nn.cross_entropy, ob)
    la, lb, start = [], [], 0
    for k, n in enumerate(sizes):
        x, y = X[start : start + n], Y[start : start + n]
        start = (start + n) % (len(X) - 64)
        if between is not None:
            between(k, ma, oa)
            between(k, mb, ob)
        la.append(plain_step(ma, oa, x, y))
        lb.append(step(x, y))
    assert_same(la, lb, ma, mb)
    return step, la


@pytest.mark.parametrize("dropout", [False, True])
def test_compiled_equals_plain_over_100_steps(dropout):
    step, losses = run_both(dropout=dropout)
    assert step.traces == 1 and len(step.records) == 1
    assert losses[-1] < losses[0]
    assert "linear+relu" in step.tape() and ("mask" in step.tape()) == dropout


def test_dropout_masks_are_fresh_at_every_replay():
    X, Y = data()
    model, opt = t1_model(dropout=True)
    step = nn.compile_step(model, nn.cross_entropy, opt)
    opt.lr = 1e-30  # the weights stay put (nearly): only the masks change the loss
    losses = {step(X[:32], Y[:32]) for _ in range(5)}
    assert len(losses) == 5


def test_adam_and_momentum_state_and_a_smaller_last_batch():
    step, _ = run_both(sizes=(32, 32, 20) * 10, opt=nn.Adam, lr=1e-3)
    assert step.traces == 2 and len(step.records) == 2  # both shapes kept, traced once each
    step, _ = run_both(sizes=(32, 20) * 5, dropout=True, opt=nn.SGD, momentum=0.9)
    assert step.traces == 2


def test_learning_rate_schedule_is_honoured():
    def schedule(k, model, opt):
        opt.lr = 0.5 if k < 20 else 0.01

    _, scheduled = run_both(sizes=(32,) * 40, between=schedule)
    _, constant = run_both(sizes=(32,) * 40)
    assert scheduled != constant


def test_optimizer_hyperparameters_changed_between_steps_are_honoured():
    def change(k, model, opt):
        if k == 10:
            opt.momentum = 0.9  # the lowered plain-SGD program no longer fits: traced again
        if k == 20:
            opt.weight_decay = 1e-2
        if k == 30:
            opt.momentum, opt.weight_decay = 0.0, 0.0  # plain again: lowered again

    step, _ = run_both(sizes=(32,) * 40, between=change)
    assert step.traces == 4


def test_rebound_parameter_array_is_honoured():
    def rebind(k, model, opt):
        if k == 10:
            w = model[0].weight
            w.data = np.asarray(w.data * 0.5, dtype=np.float32)  # a new array, same shape

    run_both(sizes=(32,) * 20, between=rebind)


def test_replaced_parameter_or_module_traces_again():
    def replace(k, model, opt):
        if k == 5:  # a new Tensor (the optimizer keeps the old one, as in PyTorch)
            model[-1].bias = Tensor(np.zeros(10, np.float32), requires_grad=True)
        if k == 10:  # train/eval switch: dropout off, then on again
            model.eval()
        if k == 12:
            model.train()
        if k == 14:  # a frozen parameter
            model[0].bias.requires_grad = False
        if k == 16:  # a dropout probability changed
            model[2].p = 0.0
        if k == 18:
            model[2].p = 0.6

    step, _ = run_both(sizes=(32,) * 20, dropout=True, between=replace)
    assert step.traces == 7
    model, opt = t1_model()
    step = nn.compile_step(model, nn.cross_entropy, opt)
    X, Y = data()
    step(X[:32], Y[:32])
    model[1].scale = 2.0  # a new attribute of a module (could change its forward)
    step(X[:32], Y[:32])
    assert step.traces == 2


def test_a_reshaped_parameter_traces_again():
    X, Y = data()
    model, opt = t1_model()
    step = nn.compile_step(model, nn.cross_entropy, opt)
    step(X[:32], Y[:32])
    model[0].weight.data = model[0].weight.data[:, :32].copy()  # a mistake the trace reports
    with pytest.raises(ValueError, match="does not fit weight shape"):
        step(X[:32], Y[:32])


def test_what_cannot_be_replayed_raises_at_trace_time():
    X, Y = data()
    model, opt = t1_model()

    def indexed_nll(out, y):  # the targets become part of an indexing op
        return -out.log_softmax(axis=1)[np.arange(len(y)), y].mean()

    with pytest.raises(nn.compile.CompileError, match="holds the targets"):
        nn.compile_step(model, indexed_nll, opt)(X[:32], Y[:32])
    with pytest.raises(nn.compile.CompileError, match="one-element Tensor"):
        nn.compile_step(model, lambda out, y: out, opt)(X[:32], Y[:32])
    with pytest.raises(TypeError, match="nn optimizer"):
        nn.compile_step(model, nn.cross_entropy, "sgd")


def test_mse_targets_are_replayed():
    rng = np.random.default_rng(0)
    X, Y = rng.random((320, 4), dtype=np.float32), rng.random((320, 1), dtype=np.float32)
    results = []
    for compiled in (False, True):
        nn.manual_seed(3)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
        opt = nn.SGD(model.parameters(), lr=0.1)
        step = nn.compile_step(model, nn.mse_loss, opt)
        losses = []
        for k in range(10):
            x, y = X[32 * k : 32 * k + 32], Y[32 * k : 32 * k + 32]
            if compiled:
                losses.append(step(x, y))
            else:
                opt.zero_grad()
                loss = nn.mse_loss(model(Tensor(x)), y)
                loss.backward()
                opt.step()
                losses.append(loss.item())
        results.append((losses, model))
    assert_same(results[0][0], results[1][0], results[0][1], results[1][1])


@pytest.mark.parametrize("dropout", [False, True])
def test_fit_compile_equals_fit(dropout):
    X, Y = data(n=500)
    runs = []
    for compile in (False, True):
        model, opt = t1_model(dropout)
        h = nn.fit(model, X, Y, nn.cross_entropy, opt, epochs=3, batch_size=64, seed=0,
                   progress=False, compile=compile, validation_split=0.1)  # fmt: skip
        runs.append((h, model))
    (ha, ma), (hb, mb) = runs
    assert_same(ha.iteration_loss, hb.iteration_loss, ma, mb)
    np.testing.assert_allclose(ha.history["accuracy"], hb.history["accuracy"])
    np.testing.assert_allclose(ha.history["val_loss"], hb.history["val_loss"], rtol=RTOL)


def test_fit_compile_stops_on_divergence_before_the_update():
    X, Y = data(n=256)
    X[100] = np.nan
    model, opt = t1_model()
    with pytest.raises(nn.DivergenceError, match="the loss is nan"):
        nn.fit(model, X, Y, nn.cross_entropy, opt, epochs=1, batch_size=64, shuffle=False,
               progress=False, compile=True)  # fmt: skip
    with pytest.raises(ValueError, match="Tensor model"):
        mlp = nn.MLP(2, [1])
        nn.fit(mlp, [[0.0, 1.0]], [1.0], nn.mse_loss, nn.SGD(mlp.parameters(), lr=0.1), epochs=1,
               compile=True)  # fmt: skip


def test_fused_relu_blocks_an_infinite_gradient_like_the_module():
    model = mlp()
    x0 = np.random.default_rng(2).normal(size=(4, 3))
    results = []
    for forward in (model[0:2], lambda x: unfused(model[0:2], x)):
        x = Tensor(x0, requires_grad=True)
        out = forward(x)
        upstream = np.where(out.data > 0, 1.0, np.inf)  # inf only where the ReLU is shut
        results.append([g.data for g in grad(out, [x, *model[0].parameters()], upstream)])
    for u, v in zip(*results):
        assert np.isfinite(u).all()
        np.testing.assert_allclose(u, v, rtol=1e-12)


def test_ops_on_the_input_before_any_parameter_are_replayed():
    """Flatten and the float64-to-float32 cast run on x alone: recorded like the rest."""
    rng = np.random.default_rng(0)
    X = rng.random((96, 8, 8))  # float64 images for a float32 model
    Y = (X.sum(axis=(1, 2)) > 32).astype(np.int64)
    results = []
    for compiled in (False, True):
        nn.manual_seed(5)
        model = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 2))
        opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
        step = nn.compile_step(model, nn.cross_entropy, opt)
        losses = []
        for k in range(3):
            x, y = X[32 * k : 32 * k + 32], Y[32 * k : 32 * k + 32]
            losses.append(
                step(Tensor(x, dtype=np.float64), y) if compiled else plain_step(model, opt, x, y)
            )
        results.append((losses, model))
    assert_same(results[0][0], results[1][0], results[0][1], results[1][1])


def test_plain_sgd_updates_in_place_and_a_read_only_weight_is_replaced():
    X, Y = data()
    model, opt = t1_model()
    step = nn.compile_step(model, nn.cross_entropy, opt)
    step(X[:32], Y[:32])
    step(X[:32], Y[:32])  # traced again, to check the first record
    w = model[0].weight.data
    step(X[:32], Y[:32])
    assert model[0].weight.data is w  # the replay's update writes into the array
    w.flags.writeable = False
    step(X[:32], Y[:32])
    assert model[0].weight.data is not w and model[0].weight.data.flags.writeable


def test_a_constant_computed_from_the_batch_is_refused_at_the_second_call():
    X, Y = data()
    model, opt = t1_model()

    def masked(out, y):  # a plain array made from the batch: fixed in a record
        return nn.cross_entropy(out * (out.data > 0), y)

    step = nn.compile_step(model, masked, opt)
    step(X[:32], Y[:32])  # traced
    with pytest.raises(nn.compile.CompileError, match="changed between two steps"):
        step(X[32:64], Y[32:64])  # traced again and compared: refused before the update
    step = nn.compile_step(model, nn.cross_entropy, opt)
    for k in range(3):
        step(X[32 * k : 32 * k + 32], Y[32 * k : 32 * k + 32])
    assert step.traces == 1 and next(iter(step.records.values())).checked
