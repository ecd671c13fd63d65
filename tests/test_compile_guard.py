"""Issue 28, items 1 and 6: what ``nn.compile_step`` froze at trace time, and its modes.

Each scenario changes Python state a trace depended on (a float or string attribute, an array
attribute, a module appended to a list, a value in the loss's closure, the optimizer's parameter
list) between steps, on two twin models: one trained by the ordinary step, one by the compiled
step. Losses and weights must agree (the compiled step traces again). Then: two threads, anomaly
mode, ``no_grad``, the bounded record cache.
"""

from __future__ import annotations

import functools
import sys
import threading
import types

import numpy as np
import pytest

import nn
from autograd import AnomalyError, Tensor, detect_anomaly, no_grad

F32 = np.float32


def batches(n_steps=12, n=16, features=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_steps * n, features)).astype(F32)
    Y = rng.integers(0, classes, size=n_steps * n)
    return [(X[k * n : k * n + n], Y[k * n : k * n + n]) for k in range(n_steps)]


def eager_step(model, loss_fn, opt, x, y):
    opt.zero_grad()
    loss = loss_fn(model(Tensor(x)), y)
    loss.backward()
    opt.step()
    return loss.item()


def twins(make, loss_fn=nn.cross_entropy, change=None, at=5, n_steps=12, opt=nn.SGD, **kw):
    """Train two models made by ``make()`` (same seed) on the same batches, one eagerly and one
    compiled; ``change(model, opt, loss_fn)`` runs on both before step ``at``. Returns the
    compiled step and the two loss lists; asserts they agree, and the weights too."""
    runs = []
    for compiled in (False, True):
        nn.manual_seed(0)
        model = make()
        optimizer = opt(model.parameters(), lr=0.1, **kw)
        fn = loss_fn() if getattr(loss_fn, "factory", False) else loss_fn
        step = nn.compile_step(model, fn, optimizer)
        losses = []
        for k, (x, y) in enumerate(batches(n_steps)):
            if k == at and change is not None:
                change(model, optimizer, fn)
            losses.append(step(x, y) if compiled else eager_step(model, fn, optimizer, x, y))
        runs.append((losses, model, step))
    (la, ma, _), (lb, mb, step) = runs
    np.testing.assert_allclose(lb, la, rtol=1e-5, atol=1e-6)
    for p, q in zip(ma.parameters(), mb.parameters()):
        np.testing.assert_allclose(q.data, p.data, rtol=1e-5, atol=1e-6)
    return step, la, lb


class Scaled(nn.Module):
    """A Linear whose output is multiplied by a float attribute, activated by a named function,
    masked by an array attribute, then fed through a list of Linear blocks."""

    def __init__(self):
        self.lin = nn.Linear(6, 3)
        self.scale = 1.0
        self.act = "relu"
        self.mask = np.ones(3, F32)
        self.blocks: list = []
        self.cfg = {"gain": 1.0}

    def forward(self, x):
        h = self.lin(x) * self.scale
        h = h.relu() if self.act == "relu" else h.tanh()
        h = h * self.mask * self.cfg["gain"]
        for block in self.blocks:
            h = block(h)
        return h


# ------------------------------------------------------------------- item 1: the guard
def test_nothing_changed_traces_once():
    step, _, _ = twins(Scaled)
    assert step.traces == 1


def with_block(seed=1):
    model = Scaled()
    model.blocks.append(nn.Linear(3, 3, seed=seed))
    return model


ATTRIBUTE_CHANGES = {  # what: (the model, the change, the traces then)
    "a float attribute": (Scaled, lambda m: setattr(m, "scale", 100.0), 2),
    "an equal float rebound": (Scaled, lambda m: setattr(m, "scale", float("1.0")), 1),
    "a string branch flag": (Scaled, lambda m: setattr(m, "act", "tanh"), 2),
    "an array attribute rebound": (Scaled, lambda m: setattr(m, "mask", np.ones(3, F32) * 2), 2),
    "a module appended to a list": (Scaled, lambda m: m.blocks.append(nn.Linear(3, 3, seed=7)), 2),
    "a module in a list replaced": (with_block, lambda m: m.blocks.__setitem__(0, nn.ReLU()), 2),
    "a value in a dict attribute": (Scaled, lambda m: m.cfg.__setitem__("gain", 3.0), 2),
}  # fmt: skip


@pytest.mark.parametrize("what", ATTRIBUTE_CHANGES)
def test_an_attribute_changed_after_tracing(what):
    make, change, traces = ATTRIBUTE_CHANGES[what]
    step, la, _ = twins(make, change=lambda m, opt, fn: change(m))  # losses and weights agree
    assert step.traces == traces


def test_a_float_attribute_set_to_zero():
    def change(m, opt, fn):
        m.scale = 0.0  # eager: every logit 0, the loss log(3); compiled before the fix: not

    _, la, lb = twins(Scaled, change=change)
    assert lb[6] == pytest.approx(np.log(3), rel=1e-6)


def closure_loss():
    """A loss whose weight lives in its closure (rebound by ``set_weight``) and in a list."""
    weight, extra = 1.0, [0.0]

    def loss(out, y):
        return nn.cross_entropy(out, y) * weight + extra[0]

    def set_weight(value):
        nonlocal weight
        weight = value

    loss.set_weight = set_weight  # type: ignore[attr-defined]
    loss.extra = extra  # type: ignore[attr-defined]
    return loss


closure_loss.factory = True  # type: ignore[attr-defined]


def test_a_value_in_the_loss_closure_rebound():
    def change(m, opt, fn):
        fn.set_weight(5.0)

    step, la, lb = twins(lambda: nn.Sequential(nn.Linear(6, 3)), closure_loss, change)
    assert step.traces == 2


def test_a_list_item_in_the_loss_closure_changed():
    def change(m, opt, fn):
        fn.extra[0] = 2.0

    twins(lambda: nn.Sequential(nn.Linear(6, 3)), closure_loss, change)


@pytest.mark.parametrize("opt", [nn.SGD, nn.Adam])
def test_the_optimizers_parameter_replaced(opt):
    def change(m, optimizer, fn):  # the first weight leaves the optimizer: no longer updated
        optimizer.params[0] = Tensor(np.zeros(3, F32), requires_grad=True)

    twins(lambda: nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)), change=change,
          opt=opt)  # fmt: skip


def test_the_optimizers_parameter_appended():
    extra = []

    def make():
        m = nn.Sequential(nn.Linear(6, 3, bias=False))
        extra.append(Tensor(np.zeros(3, F32), requires_grad=True))
        m.bias = extra[-1]  # in the model, but not yet in the optimizer
        return m

    class Biased(nn.Module):
        def __init__(self):
            self.body = make()

        def forward(self, x):
            return self.body(x) + self.body.bias

    def change(m, optimizer, fn):
        optimizer.params.append(m.body.bias)
        optimizer.state.append({})

    twins(Biased, change=change)


def test_a_momentum_set_back_to_an_equal_value_keeps_the_record():
    def change(m, opt, fn):
        opt.momentum = float("0.5")

    step, _, _ = twins(lambda: nn.Sequential(nn.Linear(6, 3)), change=change, momentum=0.5)
    assert step.traces == 1


def test_a_module_appended_to_the_sequential():
    def change(m, opt, fn):
        m.append(nn.Linear(3, 3, seed=4))

    twins(lambda: nn.Sequential(nn.Linear(6, 3)), change=change)


def test_a_partials_keyword_changed():
    def make_loss():
        return functools.partial(weighted, weight=1.0)

    make_loss.factory = True  # type: ignore[attr-defined]

    def change(m, opt, fn):
        fn.keywords["weight"] = 4.0

    twins(lambda: nn.Sequential(nn.Linear(6, 3)), make_loss, change)


def weighted(out, y, weight):
    return nn.cross_entropy(out, y) * weight


class WeightedLoss:
    """A loss object (as torch.nn.CrossEntropyLoss) with a setting and a weight Tensor."""

    def __init__(self):
        self.settings = types.SimpleNamespace(scale=1.0)
        self.temperature = Tensor(np.ones(3, F32))

    def __call__(self, out, y):
        return nn.cross_entropy(out * self.temperature, y) * self.settings.scale


WeightedLoss.factory = True  # type: ignore[attr-defined]


def test_a_setting_of_a_loss_object_changed():
    def change(m, opt, fn):
        fn.settings.scale = 3.0

    step, _, _ = twins(lambda: nn.Sequential(nn.Linear(6, 3)), WeightedLoss, change)
    assert step.traces == 2


def test_a_constant_tensors_array_rebound():
    def change(m, opt, fn):
        fn.temperature.data = np.array([1.0, 2.0, 0.5], F32)

    twins(lambda: nn.Sequential(nn.Linear(6, 3)), WeightedLoss, change)


def test_state_changed_at_every_step_traces_every_step_and_warns():
    model, opt = t_model()
    model.calls = 0  # a counter the loop (not the forward) moves: every step traces
    step = nn.compile_step(model, nn.cross_entropy, opt)
    ref, ref_opt = t_model()
    with pytest.warns(RuntimeWarning, match=r"model.calls was rebound"):
        for x, y in batches(n_steps=8):
            model.calls += 1
            assert step(x, y) == pytest.approx(eager_step(ref, nn.cross_entropy, ref_opt, x, y))
    assert step.traces == 8


def test_a_changed_state_is_seen_for_every_shape_recorded():
    model = Scaled()
    opt = nn.SGD(model.parameters(), lr=0.1)
    step = nn.compile_step(model, nn.cross_entropy, opt)
    (x, y), *_ = batches()
    for _ in range(3):  # both shapes recorded and checked
        step(x, y)
        step(x[:8], y[:8])
    model.scale = 0.0
    step(x[:4], y[:4])  # a third shape: traced with the new scale
    assert step(x[:8], y[:8]) == pytest.approx(np.log(3), rel=1e-6)  # not the old record


# ------------------------------------------------------------------- item 6: the modes
def t_model():
    nn.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
    return model, nn.SGD(model.parameters(), lr=0.1)


def test_two_threads_get_their_own_batchs_loss():
    model, opt = t_model()
    step = nn.compile_step(model, nn.cross_entropy, opt)
    data = batches(n_steps=8)
    step(*data[0])
    step(*data[0])
    opt.lr = 0.0  # the weights stay: each batch has one loss, whichever thread runs it
    ref, _ = t_model()
    for p, q in zip(ref.parameters(), model.parameters()):
        p.data = q.data.copy()
    expected = [nn.cross_entropy(ref(Tensor(x)), y).item() for x, y in data]
    errors: list = []

    def work(offset):
        try:
            for k in range(300):
                i = (k + offset) % len(data)
                got = step(*data[i])
                if abs(got - expected[i]) > 1e-5 * abs(expected[i]):
                    errors.append((i, got, expected[i]))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert errors == []


def test_a_step_called_from_its_own_before_update_is_refused():
    model, opt = t_model()
    step = nn.compile_step(model, nn.cross_entropy, opt)
    x, y = batches()[0]

    def again(loss, params):
        step(x, y)

    with pytest.raises(nn.compile.CompileError, match="inside its own"):
        step(x, y, before_update=again)
    step(x, y)  # and the step still works


@pytest.mark.parametrize("calls", [1, 3])
def test_a_replay_under_detect_anomaly_raises_like_eager(calls):
    results = []
    for compiled in (False, True):
        model, opt = t_model()
        step = nn.compile_step(model, nn.cross_entropy, opt)
        data = batches()
        for x, y in data[:calls]:
            step(x, y) if compiled else eager_step(model, nn.cross_entropy, opt, x, y)
        before = [p.data.copy() for p in model.parameters()]
        x, y = data[calls]
        x = x.copy()
        x[0, 0] = np.inf  # inf * weight - inf * weight: a nan in the forward
        x[0, 1] = -np.inf
        with detect_anomaly(), pytest.raises(AnomalyError) as info, np.errstate(invalid="ignore"):
            step(x, y) if compiled else eager_step(model, nn.cross_entropy, opt, x, y)
        results.append(str(info.value))
        for p, b in zip(model.parameters(), before):
            np.testing.assert_array_equal(p.data, b)  # no nan written into the weights
        step(*data[calls + 1])  # outside the mode, replays again
    assert results[0] == results[1]


def test_under_no_grad_a_step_raises_and_updates_nothing():
    model, opt = t_model()
    step = nn.compile_step(model, nn.cross_entropy, opt)
    data = batches()
    x, y = data[0]
    with no_grad(), pytest.raises(RuntimeError, match="no_grad"):
        step(x, y)  # not even traced
    for _ in range(3):
        step(x, y)
    before = [p.data.copy() for p in model.parameters()]
    with no_grad(), pytest.raises(RuntimeError, match="no_grad"):
        step(x, y)  # a replay would update
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, b)
    with no_grad(), pytest.raises(RuntimeError):  # what eager does there: no backward
        eager_step(model, nn.cross_entropy, opt, x, y)


def test_the_record_cache_is_bounded_and_least_recently_used_goes():
    model, opt = t_model()
    step = nn.compile_step(model, nn.cross_entropy, opt, max_records=3)
    ref, ref_opt = t_model()
    (x, y), *_ = batches(n=40)
    for n in [*range(10, 30)] * 2:  # 20 shapes, twice
        assert step(x[:n], y[:n]) == pytest.approx(
            eager_step(ref, nn.cross_entropy, ref_opt, x[:n], y[:n]), rel=1e-5)  # fmt: skip
        assert len(step.records) <= 3
    step(x[:10], y[:10])
    step(x[:11], y[:11])
    step(x[:10], y[:10])  # 10 used last: 11 goes first
    step(x[:12], y[:12])
    step(x[:12], y[:12])
    assert [k[0][0] for k in step.records] == [11, 10, 12]
    step(x[:13], y[:13])
    assert [k[0][0] for k in step.records] == [10, 12, 13]
    assert nn.compile_step(model, nn.cross_entropy, opt).max_records == 8
    with pytest.raises(ValueError, match="max_records"):
        nn.compile_step(model, nn.cross_entropy, opt, max_records=0)


def test_the_guard_names_what_changed_and_costs_one_pass_while_nothing_did():
    from nn.compile.guard import Guard

    model = Scaled()
    weight = [1.0]

    def loss(out, y):
        return nn.cross_entropy(out, y) * weight[0]

    opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.5)
    guard = Guard({"model": model, "loss_fn": loss}, opt, model.parameters())
    assert guard.holds() and guard.changed() == ""
    model.blocks.append(nn.ReLU())
    assert not guard.holds() and guard.changed() == "model.blocks has 1 items, not 0"
    model.blocks.pop()
    weight[0] = 2.0
    assert not guard.holds() and "loss_fn.<closure weight>[0] was rebound" in guard.changed()
    weight[0] = 1.0
    opt.momentum = 0.9
    assert guard.changed() == "optimizer.momentum was rebound"
    opt.momentum = 0.5
    del model.act
    assert not guard.holds()
    model.act = "relu"  # back, but as a new last attribute: the order of vars() changed
    assert not guard.holds()
    fresh = Guard({"model": model, "loss_fn": loss}, opt, model.parameters())
    model.lin.weight.data = model.lin.weight.data * 2  # a parameter's data: read at each call
    assert fresh.holds()
