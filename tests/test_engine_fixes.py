"""The engine's answers where an adversarial pass found them silently wrong (issue 28): the
number of ``grad_outputs``, data changed in place before a backward pass, cross-entropy's
precision at large logits, PyTorch's nan/inf rules, and the transforms' nesting per thread.
Each test failed before its fix."""

import numpy as np
import pytest
import torch

from autograd import Tensor, Value, grad


# ------------------------------------------------------------------ 3: grad_outputs count
def test_grad_refuses_fewer_grad_outputs_than_outputs():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y, z = (x * 2).sum(), (x * x).sum()
    with pytest.raises(RuntimeError, match="2 outputs but 1 grad_outputs"):
        grad([y, z], [x], grad_outputs=[None])
    with pytest.raises(RuntimeError, match="2 outputs but 1 grad_outputs"):
        grad([y, z], [x], grad_outputs=np.array(1.0))  # one gradient for two outputs
    with pytest.raises(RuntimeError, match="got 2 tensors and 1 gradients"):  # the reference
        xt = torch.tensor([1.0, 2.0], requires_grad=True)
        torch.autograd.grad([(xt * 2).sum(), (xt * xt).sum()], [xt], grad_outputs=[None])


def test_grad_refuses_more_grad_outputs_than_outputs():
    # PyTorch 2.13 ignores the extra ones silently; a surplus is a mistake, so it is refused
    a = Value(2.0)
    with pytest.raises(RuntimeError, match="1 outputs but 3 grad_outputs"):
        grad([a * a], [a], grad_outputs=[1.0, 2.0, 3.0])


def test_grad_of_no_outputs_or_no_inputs_as_pytorch():
    a = Value(2.0)
    with pytest.raises(RuntimeError, match="input 0 .* is not used"):
        grad([], [a])
    assert grad([], [a], allow_unused=True) == (None,)
    with pytest.raises(RuntimeError, match="inputs is empty"):
        grad(a * a, [])
    x = torch.tensor(2.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        torch.autograd.grad([], [x])
    with pytest.raises(RuntimeError, match="cannot be empty"):
        torch.autograd.grad(x * x, [])


def test_grad_with_matching_grad_outputs_still_works():
    a = Value(3.0)
    assert grad([a * a, a * 2], [a], grad_outputs=[1.0, 10.0]) == (26.0,)
    assert grad(a * a, a, grad_outputs=2.0) == (12.0,)


# ------------------------------------------------------- 7: transforms' depth per thread
def test_a_transform_in_another_thread_does_not_make_top_level_results_graphs():
    import threading

    from autograd import functional

    inside, release = threading.Event(), threading.Event()

    def waits(x):  # holds its thread inside a transform's f until released
        inside.set()
        release.wait(10)
        return x * x

    worker = threading.Thread(target=lambda: functional.hessian(waits, Value(1.5)))
    worker.start()
    try:
        assert inside.wait(10)
        g = functional.grad(lambda x: x * x * x)(Value(2.0))  # top level in this thread
        assert g.data == 12.0
        assert not g.requires_grad and g.is_leaf  # a constant, not a graph
    finally:
        release.set()
        worker.join(10)


# --------------------------------------------------------- 5: nan and inf as in PyTorch
NAN, INF = float("nan"), float("inf")
NAN_INF_CASES = [  # (op, x, upstream): the cases where an engine differed from PyTorch
    *[("x**0", x, g) for x in (NAN, INF, -INF, 0.0, 1.0, -2.0) for g in (1.0, INF, NAN)],
    *[("x**0.0", x, g) for x in (NAN, 0.0, -2.0) for g in (1.0, INF, NAN)],
    *[("relu", NAN, g) for g in (1.0, INF, NAN, 0.0)],
    *[("abs", NAN, g) for g in (1.0, 0.0)],
    *[("x**0.5", -INF, g) for g in (1.0, 0.0)],
]
NAN_INF_OPS = {
    "x**0": lambda a: a**0, "x**0.0": lambda a: a**0.0, "x**0.5": lambda a: a**0.5,
    "relu": lambda a: a.relu(), "abs": lambda a: a.abs(),
}


def _torch_value_and_grad(f, x, g):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = f(t)
    (d,) = torch.autograd.grad(y, t, grad_outputs=torch.tensor(g, dtype=torch.float64))
    return y.item(), d.item()


@pytest.mark.parametrize("name, x, g", NAN_INF_CASES)
def test_nan_and_inf_follow_pytorch_on_both_engines(name, x, g):
    f = NAN_INF_OPS[name]
    expected = _torch_value_and_grad(f, x, g)
    v = Value(x)
    yv = f(v)
    (dv,) = grad(yv, v, grad_outputs=g)
    t = Tensor(np.array(x), requires_grad=True)
    yt = f(t)
    (dt,) = grad(yt, t, grad_outputs=np.array(g))
    for got in ((yv.data, dv), (float(yt.data), float(dt))):
        np.testing.assert_array_equal(np.array(got), np.array(expected), err_msg=f"{name} {x} {g}")


@pytest.mark.parametrize("name", ["x**0", "relu", "abs"])
def test_nan_and_inf_rules_hold_in_the_second_order_graph(name):
    # the create_graph rules are the same code: the first derivative agrees with the raw pass
    f = NAN_INF_OPS[name]
    for x, g in ((NAN, 1.0), (1.0, INF)):
        expected = _torch_value_and_grad(f, x, g)[1]
        for leaf in (Value(x), Tensor(np.array(x), requires_grad=True)):
            seed = g if isinstance(leaf, Value) else Tensor(np.array(g))
            (d,) = grad(f(leaf), leaf, grad_outputs=seed, create_graph=True)
            np.testing.assert_array_equal(float(d.data), expected, err_msg=f"{name} {x} {g}")


def test_fused_linear_relu_passes_the_gradient_at_nan_as_relu_does():
    from autograd import linear

    x = Tensor(np.array([[NAN, 1.0]]), requires_grad=True)
    w = Tensor(np.eye(2), requires_grad=True)
    (fused,) = grad(linear(x, w, activation="relu").sum(), x)
    (plain,) = grad(linear(x, w).relu().sum(), x)
    np.testing.assert_array_equal(fused, plain)
    xt = torch.tensor([[NAN, 1.0]], dtype=torch.float64, requires_grad=True)
    (ref,) = torch.autograd.grad(torch.relu(xt @ torch.eye(2, dtype=torch.float64)).sum(), xt)
    np.testing.assert_array_equal(plain, ref.numpy())


# ----------------------------------------------------- 4: cross-entropy at large logits
def _exact_cross_entropy(logits, target):
    """The loss computed on logits shifted exactly (integers), in float64."""
    shifted = np.asarray(logits, dtype=np.float64) - np.round(np.max(logits))
    return float(np.log(np.exp(shifted).sum()) - shifted[target])


def test_tensor_cross_entropy_keeps_the_loss_precise_at_large_float32_logits():
    import nn

    logits = np.array([[1e7, 1e7 + 1, 1e7 + 2]], dtype=np.float32)  # 1 apart, exactly
    expected = _exact_cross_entropy(logits[0], 1)  # 1.4076...
    loss = nn.cross_entropy(Tensor(logits, requires_grad=True), np.array([1]))
    assert loss.dtype == np.float32
    assert abs(float(loss.data) - expected) < 1e-6, float(loss.data)
    ref = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor([1]))
    assert abs(ref.item() - expected) < 1e-6


def test_value_cross_entropy_keeps_the_loss_precise_at_1e16():
    import nn

    row = [1e16, 1e16 + 2, 1e16 + 4]  # 2 apart: exact in float64
    loss = nn.cross_entropy([[Value(v) for v in row]], [1])
    assert abs(loss.data - _exact_cross_entropy(row, 1)) < 1e-12, loss.data


def test_compiled_step_keeps_the_loss_precise_at_large_logits():
    import nn

    model = nn.Sequential(nn.Linear(3, 3, bias=False, seed=0))
    model[0].weight.data[...] = np.eye(3, dtype=np.float32)
    opt = nn.SGD(model.parameters(), lr=0.1)
    opt.lr = 0.0  # the weights stay the identity
    step = nn.compile_step(model, nn.cross_entropy, opt)
    x, y = np.array([[1e7, 1e7 + 1, 1e7 + 2]], dtype=np.float32), np.array([1])
    losses = [step(x, y) for _ in range(4)]  # trace, check, then the lowered replays
    assert next(iter(step.records.values())).program  # the lowered replay ran
    np.testing.assert_array_equal(model[0].weight.data, np.eye(3))
    expected = _exact_cross_entropy(x[0], 1)
    assert all(abs(v - expected) < 1e-6 for v in losses), losses


def test_state_an_op_saves_for_its_rule_is_named_and_let_go():
    """Cross-entropy keeps its softmax in ``fn.saved`` for the backward only: not at all when no
    graph is recorded, and not after the rule ran (a retained graph computes it again)."""
    from autograd import Tensor, cross_entropy_logits, no_grad

    rng = np.random.default_rng(0)
    logits = Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    y = np.array([0, 2, 1, 2])
    loss = cross_entropy_logits(logits, y)
    assert isinstance(loss._fn.saved, np.ndarray)
    loss.backward(retain_graph=True)
    assert loss._fn.saved is None
    first = logits.grad.copy()
    logits.grad = None
    loss.backward()
    np.testing.assert_allclose(logits.grad, first)
    with no_grad():
        assert cross_entropy_logits(logits, y)._fn.saved is None
    assert cross_entropy_logits(Tensor(logits.data), y)._fn.saved is None  # constant logits
