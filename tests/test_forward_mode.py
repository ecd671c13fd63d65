"""Forward mode and the JAX transforms (``jvp``, ``vjp``, ``jacfwd``, ``jacrev``) against
``torch.func`` in float64: every Tensor op of the second-order table (test_higher_order_tensor),
random programs composing every op of both engines (the op tables of test_value_torch and of
this file), first and second order (``jvp`` of ``jvp``, ``jacfwd(jacrev(f))``, the Hessian),
and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_higher_order import torch_dot
from test_higher_order_tensor import TENSOR_IDS, TENSOR_OPS, Ours, Torch, draw_case
from test_value_torch import OPS as VALUE_OPS

from autograd import Function, Tensor, Value, core, gradcheck, modes, ops, tensor, value
from autograd.functional import grad, hessian, jacfwd, jacobian, jacrev, jvp, vjp
from autograd.pytree import flatten
from autograd.tensor import nn_ops, shape
from autograd.tensor import ops as tensor_ops
from autograd.value import dot, sum_of

torch = pytest.importorskip("torch")
tf = torch.func


def T(a):
    return torch.tensor(a, dtype=torch.float64)


def close(ours, theirs, rtol=1e-9, atol=1e-10):
    np.testing.assert_allclose(np.asarray(getattr(ours, "data", ours), dtype=float),
                               theirs.detach().numpy(), rtol=rtol, atol=atol)  # fmt: skip


def each(ours, theirs):
    """Pairs of leaves of two nested results (tuples of tuples of nodes / torch tensors)."""
    if isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs)
        return [pair for a, b in zip(ours, theirs) for pair in each(a, b)]
    return [(ours, theirs)]


def compare(fo, ft, arrays, seed, second=True):
    """Every transform of ``fo`` (ours, on arrays) against torch.func's of ``ft`` (on tensors)."""
    rng = np.random.default_rng(seed)
    ts = tuple(map(T, arrays))
    every = tuple(range(len(arrays)))
    u = tuple(rng.standard_normal(np.shape(a)) for a in arrays)
    out, tangent = jvp(fo, tuple(arrays), u)
    out_t, tangent_t = tf.jvp(ft, ts, tuple(map(T, u)))
    close(out, out_t, 1e-12, 1e-12)
    close(tangent, tangent_t)
    w = rng.standard_normal(np.shape(out.data))
    _, pull = vjp(fo, *arrays)
    _, pull_t = tf.vjp(ft, *ts)
    for mine, theirs in each(pull(w), pull_t(T(w))):
        close(mine, theirs)
    for ours, theirs in ((jacfwd, tf.jacfwd), (jacrev, tf.jacrev)):
        for mine, expected in each(ours(fo, every)(*arrays), theirs(ft, every)(*ts)):
            close(mine, expected)
    if not second:
        return
    def scalar_o(*xs):
        y = fo(*xs) * w
        return y.sum() if isinstance(y, Tensor) else y

    scalar_t = lambda *xs: (ft(*xs) * T(w)).sum()  # noqa: E731
    H_t = tf.hessian(scalar_t, every)(*ts)
    for H in (jacfwd(jacrev(scalar_o, every), every)(*arrays), hessian(scalar_o, argnums=every)(
            *arrays), jacrev(jacfwd(scalar_o, every), every)(*arrays)):  # fmt: skip
        for mine, expected in each(H, H_t):
            close(mine, expected, 1e-8, 1e-9)
    v = tuple(rng.standard_normal(np.shape(a)) for a in arrays)  # jvp of jvp: u^T H v
    twice = jvp(lambda *xs: jvp(scalar_o, xs, u)[1], tuple(arrays), v)[1]
    twice_t = tf.jvp(lambda *xs: tf.jvp(scalar_t, xs, tuple(map(T, u)))[1], ts,
                     tuple(map(T, v)))[1]  # fmt: skip
    close(twice, twice_t, 1e-8, 1e-9)


# ------------------------------------------------------------------ every op, one at a time
@pytest.mark.parametrize("name, draw, op", TENSOR_OPS, ids=TENSOR_IDS)
@settings(max_examples=6, deadline=None)
@given(data=st.data(), seed=st.integers(0, 1000))
def test_every_tensor_op_matches_torch_func_to_second_order(name, draw, op, data, seed):
    arrays, params = draw_case(draw, data, name)
    compare(lambda *xs: op(Ours, *xs, **params), lambda *xs: op(Torch, *xs, **params), arrays,
            seed)  # fmt: skip


# ------------------------------------------------------------------ random programs
def _sure(a):  # a positive operand (log, sqrt, pow's base, a divisor)
    return a * a + 0.3


class OursX(Ours):
    cast = staticmethod(lambda a: a.astype(np.float64))
    sum_all = staticmethod(lambda a: a.sum())


class TorchX(Torch):
    cast = staticmethod(lambda a: a.to(torch.float64))
    sum_all = staticmethod(lambda a: a.sum())


# Tensor ops that mix elements, each written once for N (OursX or TorchX), (3,) -> (3,).
MIXING = {
    "matmul": lambda N, a, b, W: W @ a,
    "linear": lambda N, a, b, W: N.linear(a, W, b),
    "linear_relu": lambda N, a, b, W: N.linear_relu(a, W, b),
    "softmax": lambda N, a, b, W: a.softmax(0),
    "log_softmax": lambda N, a, b, W: a.log_softmax(0),
    "logsumexp": lambda N, a, b, W: a - N.logsumexp(a, None, False),
    "sum_mean": lambda N, a, b, W: a * N.reduce("sum", b, None, False) + N.reduce(
        "mean", a * b, None, False),  # fmt: skip
    "max_min": lambda N, a, b, W: a - N.reduce("max", a, None, False) * N.reduce(
        "min", b, None, False),  # fmt: skip
    "var": lambda N, a, b, W: a * N.var(b, None, False),
    "maximum_minimum": lambda N, a, b, W: N.maximum(a, b) - N.minimum(a, 0.5 * b),
    "clip_where": lambda N, a, b, W: N.where(np.array([True, False, True]), N.clip(a, -0.8, 0.8),
                                             b),  # fmt: skip
    "reshape_transpose": lambda N, a, b, W: a.reshape(3, 1).T.flatten() * b.reshape(1, 3).permute(
        1, 0).squeeze(1),  # fmt: skip
    "index": lambda N, a, b, W: a[[2, 0, 0]] + N.concatenate([b[1:], b[:1]], 0),
    "stack_expand": lambda N, a, b, W: N.reduce("mean", N.stack([a, b], 0), 0, False)
    + N.reduce("sum", a.unsqueeze(0).expand(2, 3), 0, False),
    "astype": lambda N, a, b, W: N.cast(a) * 2.0,
    "cross_entropy": lambda N, a, b, W: b * N.cross_entropy(a.reshape(1, 3), targets=np.array(
        [1]), reduction="mean"),  # fmt: skip
}
UNARY_DOMAIN = {"log", "sqrt", "pow", "pow_frac", "log1p"}  # the first operand must be positive
DIVISOR = {"div", "reflected", "pow_frac"}  # the second operand must be positive


def program(seed: int, n_steps: int, engine: str):
    """A random program ``f(N, *inputs)``: each step applies an op of the tables to values made
    before; a step whose result grew large is scaled back by a constant (planned on our engine,
    the same constant in PyTorch), so compositions stay finite."""
    rng = np.random.default_rng(seed)
    elementwise = [(name, op) for name, op, *_ in VALUE_OPS]
    mixing = list(MIXING.items()) if engine == "tensor" else [
        ("dot", lambda N, a, b, c: N.dot(a, b, c)),
        ("sum_of", lambda N, a, b, c: N.sum_of(a, b, c)),
    ]
    steps = []
    for _ in range(n_steps):
        table = elementwise if rng.random() < 0.5 or not mixing else mixing
        steps.append((table[rng.integers(len(table))], rng.integers(0, 100, 3)))
    scales: list[float] = []

    def run(N, *inputs):
        values = list(inputs[:2])
        for k, ((name, op), picks) in enumerate(steps):
            a, b, c = (values[p % len(values)] for p in picks)
            if (name, op) in mixing:
                r = op(N, a, b, inputs[2] if engine == "tensor" else c)
            else:
                a = _sure(a) if name in UNARY_DOMAIN else a
                b = _sure(b) if name in DIVISOR else b
                r = op(a, b)
            if len(scales) <= k:  # planning: our first run, without a graph
                size = float(np.max(np.abs(np.asarray(getattr(r, "data", r)))))
                scales.append(4.0 / size if size > 4 else 1.0)
            values.append(r * scales[k])
        return values[-1]

    return run


class ValueN:
    dot = staticmethod(lambda a, b, c: dot([a, b], [c, a], bias=b))
    sum_of = staticmethod(lambda a, b, c: sum_of([a, b * c, c]))


class TorchValueN:
    dot = staticmethod(lambda a, b, c: torch_dot(a, b, c, a) + b)
    sum_of = staticmethod(lambda a, b, c: a + b * c + c)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), n_steps=st.integers(1, 7))
def test_random_tensor_programs_match_torch_func(seed, n_steps):
    run = program(seed, n_steps, "tensor")
    rng = np.random.default_rng(seed + 1)
    x, y, W = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3), rng.uniform(-1, 1, (3, 3))
    with modes.no_grad():
        run(OursX, Tensor(x), Tensor(y), Tensor(W))  # plans the scales
    compare(lambda *xs: run(OursX, *xs), lambda *xs: run(TorchX, *xs), [x, y, W], seed)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), n_steps=st.integers(1, 8))
def test_random_value_programs_match_torch_func(seed, n_steps):
    run = program(seed, n_steps, "value")
    xs = [float(v) for v in np.random.default_rng(seed + 1).uniform(-1, 1, 3)]
    with modes.no_grad():
        run(ValueN, *map(Value, xs))
    fo = lambda *vs: run(ValueN, *vs)  # noqa: E731
    ft = lambda *ts: run(TorchValueN, *ts)  # noqa: E731
    compare(fo, ft, xs, seed)


def test_the_programs_use_every_op_of_both_engines():
    """The op tables reach every op class of the engine (a new op fails this until added)."""
    seen: set[type] = set()
    for engine in ("tensor", "value"):
        for seed in range(40):
            run = program(seed, 8, engine)
            if engine == "tensor":  # and a second-order pass: it makes the IndexAdd nodes
                args = [Tensor(np.linspace(-0.9, 0.8, 3), requires_grad=True),
                        Tensor([0.3, -0.6, 0.7], dtype=np.float64, requires_grad=True),
                        Tensor(np.eye(3) * 0.5, requires_grad=True)]  # fmt: skip
                out = run(OursX, *args)
                gs = core.grad(out.sum(), args, create_graph=True, allow_unused=True)
                roots = [g.sum() for g in gs if g is not None and g.requires_grad]
                seen |= {type(n._fn) for n in core.topological_order([*roots, out])}
            else:
                out = run(ValueN, Value(0.4), Value(-0.7), Value(1.1))
                seen |= {type(n._fn) for n in core.topological_order([out])}
    modules = (ops, value, tensor_ops, shape, nn_ops)
    every = {c for m in modules for c in vars(m).values() if isinstance(c, type)
             and issubclass(c, Function) and c.__module__ == m.__name__}  # fmt: skip
    abstract = {ops.Elementwise, tensor_ops.Reduction}
    assert every - abstract - seen == set()


def test_cross_entropy_loss_of_a_network_matches_torch_func():
    rng = np.random.default_rng(3)
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 3)), rng.standard_normal(3)
    targets = np.array([0, 2, 1, 2])
    fo = lambda W, b: tensor.cross_entropy_logits(tensor.linear(x, W, b).tanh(), targets)  # noqa
    ft = lambda W, b: torch.nn.functional.cross_entropy(  # noqa: E731
        torch.nn.functional.linear(torch.tensor(x), W, b).tanh(), torch.tensor(targets))
    compare(lambda W, b: fo(W, b).reshape(1), lambda W, b: ft(W, b).reshape(1), [W, b], 0)


# ------------------------------------------------------------------ finite differences
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), n_steps=st.integers(1, 6))
def test_jvp_and_its_derivatives_match_finite_differences(seed, n_steps):
    run = program(seed, n_steps, "tensor")
    rng = np.random.default_rng(seed + 1)
    x, y, W = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3), rng.uniform(-1, 1, (3, 3))
    f = lambda *xs: run(OursX, *xs)  # noqa: E731
    with modes.no_grad():
        f(Tensor(x), Tensor(y), Tensor(W))
    u = (rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal((3, 3)))
    eps = 1e-6
    plus = f(*(Tensor(a + eps * t) for a, t in zip((x, y, W), u))).data
    minus = f(*(Tensor(a - eps * t) for a, t in zip((x, y, W), u))).data
    _, tangent = jvp(f, (x, y, W), u)
    np.testing.assert_allclose(tangent.data, (plus - minus) / (2 * eps), rtol=1e-5, atol=1e-7)
    # the tangent is differentiable: its reverse-mode gradient against finite differences
    inputs = [Tensor(a, requires_grad=True) for a in (x, y, W)]
    assert gradcheck(lambda *xs: jvp(f, xs, u)[1].sum(), inputs, rtol=1e-4, atol=1e-6)


# ------------------------------------------------------------------ semantics (JAX's)
def f_tree(p, x):
    """A function of a pytree: a dict of a Tensor and a list of Values, and a Tensor."""
    return {"y": (p["w"] * x).tanh(), "s": [p["b"][0] * p["b"][1]]}


def test_pytrees_and_argnums_have_jaxs_layout():
    rng = np.random.default_rng(0)
    p = {"w": rng.standard_normal(3), "b": [Value(0.5), Value(-2.0)]}
    x = rng.standard_normal(3)
    t = {"w": np.ones(3), "b": [1.0, 0.0]}
    out, tangent = jvp(f_tree, (p, x), (t, np.zeros(3)))
    assert set(out) == {"y", "s"} and isinstance(tangent["s"], list)
    np.testing.assert_allclose(tangent["y"].data, x * (1 - np.tanh(p["w"] * x) ** 2))
    assert tangent["s"][0].data == -2.0
    for argnums in (0, (0, 1), (1,)):
        fwd, rev = jacfwd(f_tree, argnums)(p, x), jacobian(f_tree, argnums=argnums)(p, x)
        flat_f, flat_r = flatten(fwd), flatten(rev)
        assert len(flat_f) == len(flat_r) == {0: 6, (0, 1): 8, (1,): 2}[argnums]
        for a, b in zip(flat_f, flat_r):
            np.testing.assert_allclose(np.asarray(a.data), np.asarray(b.data), atol=1e-12)
    _, pull = vjp(f_tree, p, x)
    dp, dx = pull({"y": np.ones(3), "s": [1.0]})
    assert isinstance(dp["b"], list) and dp["b"][0].data == -2.0
    np.testing.assert_allclose(dx.data, jacrev(f_tree, 1)(p, x)["y"].data.sum(0))
    assert jacfwd(f_tree).__name__ == "jacfwd(f_tree)"
    assert jacrev(f_tree).__name__ == "jacrev(f_tree)"


def test_jvp_inside_and_around_the_reverse_transforms_gives_the_hvp():
    rng = np.random.default_rng(1)
    W, x, v = rng.standard_normal((3, 3)), rng.standard_normal(3), rng.standard_normal(3)
    f = lambda x: ((W @ x).sin() * x).sum()  # noqa: E731
    H = hessian(f)(x).data
    np.testing.assert_allclose(jvp(grad(f), (x,), (v,))[1].data, H @ v)  # forward over reverse
    np.testing.assert_allclose(grad(lambda y: jvp(f, (y,), (v,))[1])(x).data, H @ v)  # reverse
    leaf = Tensor(x, requires_grad=True)  # create_graph=True at the top: the tangent backprops
    _, tangent = jvp(f, (leaf,), (v,), create_graph=True)
    tangent.backward()
    np.testing.assert_allclose(leaf.grad, H @ v)


def test_nested_forward_levels_do_not_confuse_their_tangents():
    # d/dx [x * d/dy (x * y)] = d/dx x**2 = 2x (JAX's perturbation-confusion example)
    inner = lambda x: jvp(lambda y: x * y, (1.0,), (1.0,))[1]  # noqa: E731
    assert jvp(lambda x: x * inner(x), (3.0,), (1.0,))[1].data == 6.0
    third = jvp(lambda a: jvp(lambda b: jvp(lambda c: c**4, (b,), (1.0,))[1], (a,), (1.0,))[1],
                (2.0,), (1.0,))[1]  # fmt: skip
    assert third.data == pytest.approx(24 * 2.0)


def test_jacfwd_of_jacrev_is_the_hessian_of_an_nn_model():
    import nn

    model = nn.Sequential(nn.Linear(3, 4, seed=0, dtype=np.float64), nn.Tanh(),
                          nn.Linear(4, 4, seed=1, dtype=np.float64), nn.ReLU(),
                          nn.Linear(4, 1, seed=2, dtype=np.float64))  # fmt: skip
    X = np.random.default_rng(2).standard_normal((5, 3))
    loss = lambda x: (model(x) ** 2).mean()  # noqa: E731
    x = X[0]
    np.testing.assert_allclose(jacfwd(jacrev(loss))(x).data, hessian(loss)(x).data, atol=1e-12)
    batch = lambda X: model(X)  # noqa: E731
    np.testing.assert_allclose(jacfwd(batch)(X).data, jacrev(batch)(X).data, atol=1e-12)


class Softplus(Function):
    """A user's op without ``elementwise``: forward mode takes the transpose of its rule."""

    name = "softplus"

    def forward(self, F, a):
        return F.log1p(F.exp(a))

    def backward(self, F, g, out, a):
        return (g * F.sigmoid(a),)


def test_a_custom_op_gets_its_forward_derivative_from_its_rule_on_both_engines():
    x = np.array([-1.0, 0.5, 2.0])
    f = lambda a: Softplus().apply(a) * a  # noqa: E731
    np.testing.assert_allclose(jacfwd(f)(x).data, jacrev(f)(x).data, atol=1e-14)
    second = jacfwd(jacfwd(f))(x).data.sum(axis=0)  # d2 f_i / dx dx, summed over i
    np.testing.assert_allclose(second, hessian(lambda a: f(a).sum())(x).data, atol=1e-12)
    assert jvp(f, (0.5,), (1.0,))[1].data == pytest.approx(jacrev(f)(0.5).data)


def test_vjp_fn_runs_again_and_leaves_every_grad_alone():
    x = Tensor(np.array([0.3, -0.2]), requires_grad=True)
    out, pull = vjp(lambda a: a.exp() * a, x)
    first, again = pull(np.array([1.0, 2.0]))[0].data, pull(np.array([1.0, 2.0]))[0].data
    np.testing.assert_array_equal(first, again)
    assert x.grad is None and not out.requires_grad


def test_forward_mode_leaves_no_hook_behind_even_when_f_raises():
    def broken(x):
        x.exp()
        raise KeyError("inside f")

    with pytest.raises(KeyError):
        jvp(broken, (1.0,), (1.0,))
    assert modes.Flags.node_hook is None and modes.Flags.plain

    def frozen(x):
        with modes.no_grad():  # no_grad stops tangents, as it stops gradients
            return x.exp()

    assert jvp(frozen, (np.ones(2),), (np.ones(2),))[1].data.tolist() == [0, 0]
    assert jvp(lambda x: Tensor(np.ones(3)) * 2.0, (1.0,), (1.0,))[1].data.tolist() == [0, 0, 0]


# ------------------------------------------------------------------ bad input
def test_bad_tangents_cotangents_and_argnums_are_named():
    x = {"w": np.ones((2, 3)), "b": Value(1.0)}
    f = lambda p: (p["w"] * p["b"]).sum()  # noqa: E731
    with pytest.raises(ValueError, match=r"tangents\[0\]\['w'\] has shape \(3,\) but "
                                         r"primals\[0\]\['w'\] has shape \(2, 3\)"):  # fmt: skip
        jvp(f, (x,), ({"w": np.ones(3), "b": 1.0},))
    with pytest.raises(TypeError, match=r"tangents\[0\]\['w'\] has dtype float32 but .* float64"):
        jvp(f, (x,), ({"w": np.ones((2, 3), np.float32), "b": 1.0},))
    with pytest.raises(ValueError, match=r"tangents\[0\] is a dict with keys \['w'\]"):
        jvp(f, (x,), ({"w": np.ones((2, 3))},))
    with pytest.raises(TypeError, match=r"tangents\[0\]\['b'\] is a Tensor but .* is a Value"):
        jvp(f, (x,), ({"w": np.ones((2, 3)), "b": Tensor(1.0)},))
    with pytest.raises(TypeError, match="primals must be a tuple or list"):
        jvp(f, x, x)
    for transform in (jacfwd, jacrev):
        with pytest.raises(ValueError, match=r"argnums=\(0, 2\) but the function was called "):
            transform(lambda a, b: a * b, (0, 2))(1.0, 2.0)
    _, pull = vjp(lambda a: a * 2, np.ones(3))
    with pytest.raises(ValueError, match=r"cotangent has shape \(2,\) but the output has shape"):
        pull(np.ones(2))
    with pytest.raises(TypeError, match="at least one primal"):
        vjp(f)


@pytest.mark.parametrize("transform", ["jvp", "vjp", "jacfwd"])
@pytest.mark.parametrize("output, why", [
    (lambda x: x > 0, "ndarray .NumPy data, not a Tensor"),
    (lambda x: (x * 2).data, "ndarray .NumPy data, not a Tensor"),
    (lambda x: (x, Tensor(np.array([1, 2]), dtype=np.int64)),
     r"output f\(\.\.\.\)\[1\] is a Tensor of dtype int64"),
    (lambda x: {"a": "text"}, r"output f\(\.\.\.\)\['a'\] is a str"),
])  # fmt: skip
def test_a_non_differentiable_output_is_named(transform, output, why):
    x = np.array([1.0, -1.0])
    with pytest.raises(TypeError, match=why):
        if transform == "jvp":
            jvp(output, (x,), (x,))
        elif transform == "vjp":
            vjp(output, x)
        else:
            jacfwd(output)(x)
