"""Optimizers and schedules: step-for-step agreement with torch.optim, state, bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Value

torch = pytest.importorskip("torch")

CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.01}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.02, "betas": (0.8, 0.95), "eps": 1e-7, "weight_decay": 0.05}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.03, "betas": (0.5, 0.9), "weight_decay": 0.2}),
    # lr=0 (the weights stay, the state moves) and RMSprop's alpha=1.0, as PyTorch accepts them
    ("SGD", {"lr": 0.0, "momentum": 0.9}),
    ("Adam", {"lr": 0.0}),
    ("AdamW", {"lr": 0, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.0}),
    ("RMSprop", {"lr": 0.01, "alpha": 1.0}),
]


def _torch_optimizer(name, params, kwargs):
    return getattr(torch.optim, name)(params, **kwargs)


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS)
def test_value_parameters_match_torch_step_for_step(name, kwargs):
    rng = np.random.default_rng(0)
    start = rng.normal(size=5)
    ours = [Value(float(x)) for x in start]
    theirs = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = getattr(nn, name)(ours, **kwargs)
    ref = _torch_optimizer(name, [theirs], kwargs)
    for _ in range(12):
        g = rng.normal(size=5)
        for p, gi in zip(ours, g):
            p.grad = float(gi)
        theirs.grad = torch.tensor(g)
        opt.step()
        ref.step()
        np.testing.assert_allclose([p.data for p in ours], theirs.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS)
def test_state_dict_resumes_identically(name, kwargs):
    rng = np.random.default_rng(1)
    grads = rng.normal(size=(6, 3))
    params = [Value(1.0), Value(-2.0), Value(0.5)]
    opt = getattr(nn, name)(params, **kwargs)
    for g in grads[:3]:
        for p, gi in zip(params, g):
            p.grad = float(gi)
        opt.step()
    saved_state, saved_data = opt.state_dict(), [p.data for p in params]
    copies = [Value(x) for x in saved_data]
    resumed = getattr(nn, name)(copies, **kwargs)
    resumed.load_state_dict(saved_state)
    for g in grads[3:]:
        for p, q, gi in zip(params, copies, g):
            p.grad = q.grad = float(gi)
        opt.step()
        resumed.step()
    assert [p.data for p in params] == [q.data for q in copies]


def test_load_state_dict_checks_before_changing():
    opt = nn.Adam([Value(1.0), Value(2.0)], lr=0.1)
    with pytest.raises(ValueError, match="state for 1 parameters, but this optimizer has 2"):
        opt.load_state_dict({"lr": 0.5, "state": [{}]})
    with pytest.raises(ValueError, match=r"state 'exp_avg' of parameter 1 has shape \(3,\)"):
        opt.load_state_dict({"lr": 0.5, "state": [{}, {"exp_avg": np.zeros(3)}]})
    assert opt.lr == 0.1


def test_sgd_is_literally_w_minus_lr_grad():
    w = Value(3.0)
    w.grad = 0.5
    nn.SGD([w], lr=0.1).step()
    assert w.data == 3.0 - 0.1 * 0.5


def test_step_skips_parameters_without_gradient_and_zero_grad_resets():
    class FakeTensorParam(Value):
        __slots__ = ()

        def zero_grad(self):
            self.grad = None

    a, b = Value(1.0), FakeTensorParam(2.0)
    b.grad = None
    opt = nn.SGD([a, b], lr=1.0)
    a.grad = 1.0
    opt.step()
    assert (a.data, b.data) == (0.0, 2.0)
    opt.zero_grad()
    assert a.grad is None or a.grad == 0.0
    assert b.grad is None


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: nn.SGD(p, lr=-0.1), r"lr must be in \[0.0, inf\), got -0.1"),
        (lambda p: nn.Adam(p, lr=float("inf")), r"lr must be in \[0.0, inf\), got inf"),
        (lambda p: nn.Adam(p, betas=(1.0, 0.999)), r"beta1 must be in \[0.0, 1.0\)"),
        (lambda p: nn.Adam(p, betas=(0.9, -0.1)), r"beta2 must be in \[0.0, 1.0\)"),
        (lambda p: nn.AdamW(p, betas=(0.9,)), "betas must be a pair"),
        (lambda p: nn.RMSprop(p, lr=0.1, alpha=1.5), r"alpha must be in \[0.0, 1.0\]"),
        (lambda p: nn.SGD(p, lr=0.1, momentum=-1), "momentum must be in"),
        (lambda p: nn.SGD(p, lr=0.1, nesterov=True), "nesterov=True needs a positive momentum"),
        (lambda p: nn.SGD([], lr=0.1), "empty list of parameters"),
        (lambda p: nn.SGD(p + p, lr=0.1), "appears twice"),
        (lambda p: nn.SGD([Value(1.0, requires_grad=False)], lr=0.1), "does not require grad"),
    ],
)
def test_bad_arguments_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make([Value(1.0)])


def test_bad_types_raise():
    with pytest.raises(TypeError, match="not a Value or Tensor"):
        nn.SGD([1.0], lr=0.1)
    with pytest.raises(TypeError, match="iterable of parameters"):
        nn.SGD(Value(1.0), lr=0.1)
    with pytest.raises(TypeError, match="lr must be a number"):
        nn.SGD([Value(1.0)], lr=0.1).lr = "fast"
    with pytest.raises(TypeError, match="lr must be a number, got str: 'fast'"):
        nn.SGD([Value(1.0)], lr="fast")


def test_a_zero_rate_is_accepted_everywhere_alike():
    opt = nn.SGD([Value(1.0)], lr=0)
    opt.lr = 0.0
    opt.load_state_dict(opt.state_dict())
    nn.ExponentialLR(opt, gamma=0.5).step()
    assert opt.lr == 0.0


def _schedule_pair(name, kwargs, epochs=12):
    ours_opt = nn.SGD([Value(1.0)], lr=0.5)
    p = torch.zeros(1, requires_grad=True)
    theirs_opt = torch.optim.SGD([p], lr=0.5)
    ours = getattr(nn, name)(ours_opt, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **kwargs)
    got, want = [], []
    for _ in range(epochs):
        got.append(ours_opt.lr)
        want.append(theirs_opt.param_groups[0]["lr"])
        theirs_opt.step()
        ours.step()
        theirs.step()
    return got, want


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("StepLR", {"step_size": 3, "gamma": 0.5}),
        ("ExponentialLR", {"gamma": 0.9}),
        ("LambdaLR", {"lr_lambda": lambda k: 1.0 - 0.9 * k / 100}),
    ],
)
def test_schedules_match_torch(name, kwargs):
    got, want = _schedule_pair(name, kwargs)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_schedule_state_and_last_lr():
    opt = nn.SGD([Value(1.0)], lr=1.0)
    sched = nn.StepLR(opt, step_size=2, gamma=0.1)
    for _ in range(5):
        sched.step()
    assert sched.get_last_lr() == [pytest.approx(0.01)]
    other_opt = nn.SGD([Value(1.0)], lr=1.0)
    other = nn.StepLR(other_opt, step_size=2, gamma=0.1)
    other.load_state_dict(sched.state_dict())
    assert other_opt.lr == pytest.approx(0.01)
    with pytest.raises(ValueError, match="step_size must be a positive int"):
        nn.StepLR(opt, step_size=0)
    with pytest.raises(TypeError, match="needs an Optimizer"):
        nn.ExponentialLR("opt", gamma=0.5)


# ----------------------------------------------------------------------------- Tensor engine
@pytest.mark.parametrize(("name", "kwargs"), CONFIGS)
def test_tensor_parameters_match_torch_step_for_step(name, kwargs):
    from autograd.tensor import Tensor

    rng = np.random.default_rng(2)
    shapes = [(3, 4), (4,)]
    ours = [Tensor(rng.normal(size=s), requires_grad=True, dtype=np.float64) for s in shapes]
    theirs = [torch.tensor(p.data.copy(), requires_grad=True) for p in ours]
    opt = getattr(nn, name)(ours, **kwargs)
    ref = _torch_optimizer(name, theirs, kwargs)
    for _ in range(10):
        for p, q in zip(ours, theirs):
            g = rng.normal(size=p.shape)
            p.grad, q.grad = g, torch.tensor(g)
        opt.step()
        ref.step()
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-15)
    opt.zero_grad()
    assert all(p.grad is None for p in ours)


def test_float32_parameters_stay_float32():
    from autograd.tensor import Tensor

    for make in (nn.SGD, nn.RMSprop, nn.Adam, nn.AdamW):
        p = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
        opt = make([p], lr=0.1) if make is nn.SGD else make([p])
        for _ in range(2):
            p.grad = np.full(3, 0.5, dtype=np.float32)
            opt.step()
        assert p.data.dtype == np.float32, make.__name__


@pytest.fixture(scope="module")
def small_digits():
    pytest.importorskip("sklearn")
    X, y = nn.datasets.digits()
    return X[:400], y[:400]


@pytest.mark.parametrize(
    "make",
    [
        lambda p: nn.SGD(p, lr=0.1),
        lambda p: nn.SGD(p, lr=0.05, momentum=0.9),
        lambda p: nn.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
        lambda p: nn.RMSprop(p, lr=1e-3),
        lambda p: nn.Adam(p, lr=3e-3),
        lambda p: nn.AdamW(p, lr=3e-3),
    ],
    ids=["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"],
)
def test_each_optimizer_decreases_the_digits_loss(small_digits, make):
    X, y = small_digits
    model = nn.Sequential(nn.Linear(64, 32, seed=0), nn.ReLU(), nn.Linear(32, 10, seed=1))
    before = nn.evaluate(model, X, y, nn.cross_entropy)["loss"]
    history = nn.fit(
        model,
        X,
        y,
        nn.cross_entropy,
        make(model.parameters()),
        epochs=5,
        batch_size=32,
        progress=False,
        seed=0,
    )
    after = nn.evaluate(model, X, y, nn.cross_entropy)["loss"]
    assert after < 0.8 * before, (before, after)
    assert history.history["loss"][-1] < history.history["loss"][0]


# ----------------------------------------------- review: bad input, no partial change
@pytest.mark.parametrize(
    "make",
    [
        lambda p: nn.SGD(p, lr=np.float32(0.1), momentum=np.float32(0.9)),
        lambda p: nn.SGD(p, lr=np.int64(1)),
        lambda p: nn.Adam(p, lr=np.float32(1e-3), betas=(np.float32(0.9), np.float64(0.99))),
        lambda p: nn.Adam(p, betas=np.array([0.9, 0.999])),
        lambda p: nn.RMSprop(p, alpha=np.float32(0.9)),
    ],
)
def test_numpy_numbers_are_accepted_as_hyperparameters(make):
    p = Value(1.0)
    opt = make([p])
    p.grad = 1.0
    opt.step()
    assert p.data < 1.0
    assert isinstance(opt.lr, float)


def test_load_state_dict_validates_hyperparameters_and_changes_nothing_on_error():
    opt = nn.Adam([Value(1.0), Value(2.0)], lr=0.1)
    bad = [
        ({"lr": 0.5, "betas": (1.5, 0.9), "state": [{}, {}]}, r"beta1 must be in \[0.0, 1.0\)"),
        ({"lr": 0.5, "step_count": "many", "state": [{}, {}]}, "step_count"),
        ({"lr": 0.5, "state": [{}, 3]}, "state of parameter 1"),
        ({"lr": -1.0, "state": [{}, {}]}, r"lr must be in"),
    ]
    for state_dict, message in bad:
        with pytest.raises((ValueError, TypeError), match=message):
            opt.load_state_dict(state_dict)
        assert (opt.lr, opt.betas, opt.step_count) == (0.1, (0.9, 0.999), 0)


def test_step_checks_every_gradient_shape_before_updating_any():
    from autograd.tensor import Tensor

    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(2), requires_grad=True)
    opt = nn.SGD([a, b], lr=0.1, momentum=0.9)
    a.grad, b.grad = np.ones(3), np.ones((4, 2))  # b's gradient does not fit b
    with pytest.raises(ValueError, match=r"parameter 1.*\(4, 2\).*\(2,\)"):
        opt.step()
    np.testing.assert_array_equal(a.data, np.ones(3))
    assert opt.state == [{}, {}] and opt.step_count == 0


@pytest.mark.parametrize("make", [nn.SGD, nn.RMSprop, nn.Adam, nn.AdamW])
def test_array_parameters_are_updated_in_place_and_read_only_ones_replaced(make):
    from autograd.tensor import Tensor

    p = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    frozen = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    frozen.data.flags.writeable = False  # e.g. a memory-mapped array
    opt = make([p, frozen], lr=0.1)
    array, old = p.data, frozen.data
    for _ in range(2):
        p.grad = np.full(3, 0.5, dtype=np.float32)
        frozen.grad = p.grad.copy()
        opt.step()
    assert p.data is array  # the same array, as torch.optim updates
    assert frozen.data is not old and np.array_equal(old, np.ones(3))  # never written
    np.testing.assert_array_equal(p.data, frozen.data)  # the same numbers either way
    assert p.data.dtype == np.float32


def test_float32_parameter_stays_float32_with_a_float64_gradient():
    from autograd.tensor import Tensor

    for make in (nn.SGD, nn.Adam):
        p = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
        opt = make([p], lr=0.1)
        p.grad = np.full(3, 0.5)  # float64, as a loss mixing float32 and float64 gives
        opt.step()
        assert p.data.dtype == np.float32, make.__name__


def test_schedule_going_negative_names_the_schedule_and_changes_nothing():
    opt = nn.SGD([Value(1.0)], lr=1.0)
    sched = nn.LambdaLR(opt, lambda k: 1.0 - k)  # 1, 0, then -1
    sched.step()
    assert opt.lr == 0.0
    with pytest.raises(ValueError, match=r"LambdaLR.*epoch 2.*-1"):
        sched.step()
    assert (sched.last_epoch, opt.lr) == (1, 0.0)
    with pytest.raises(ValueError, match="epoch 5"):
        sched.load_state_dict({"base_lr": 1.0, "last_epoch": 5})
    assert (sched.last_epoch, sched.base_lr, opt.lr) == (1, 1.0, 0.0)


def test_giving_the_parameters_method_or_the_model_says_call_parameters():
    model = nn.MLP(2, [1], seed=0)
    with pytest.raises(TypeError, match=r"model\.parameters\(\)"):
        nn.SGD(model.parameters, lr=0.1)
    with pytest.raises(TypeError, match=r"model\.parameters\(\)"):
        nn.Adam(model)
    with pytest.raises(TypeError, match=r"model\.parameters\(\)"):
        nn.Adam(nn.Sequential(nn.Linear(2, 1)))  # iterable, but of modules
