"""Second derivatives of every Tensor op: gradgradcheck, and PyTorch's
``torch.autograd.grad(..., create_graph=True)``, over points and small shapes (hypothesis).

Each op is written once against a namespace N, ``Ours`` (chainrule) or ``Torch``. Its second
derivatives are compared through the Hessian of sum(w * op(inputs)) for a fixed random w.
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd import tensor
from autograd.check import gradgradcheck
from autograd.functional import hessian
from autograd.tensor import Tensor

try:
    import torch
except ImportError:  # pragma: no cover - torch is installed in the dev venv
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

F_FINITE = st.floats(-2, 2, allow_nan=False)
F_POSITIVE = st.floats(0.3, 3)
F_AWAY = st.one_of(st.floats(-2, -0.2), st.floats(0.2, 2))
F_SPACED = st.integers(-20, 20).map(lambda k: k / 10)  # unique draws differ by >= 0.1 (no ties)
F_CLIP = st.one_of(st.floats(-2, -0.6), st.floats(-0.4, 0.4), st.floats(0.6, 2))
SHAPES_1D_UP = hnp.array_shapes(min_dims=1, max_dims=3, max_side=3)


class Ours:
    """chainrule, spelled the way the op table below calls it."""

    maximum, minimum, where = tensor.maximum, tensor.minimum, tensor.where
    concatenate, stack, linear = tensor.concatenate, tensor.stack, tensor.linear
    cross_entropy, logsumexp = tensor.cross_entropy_logits, tensor.logsumexp

    @staticmethod
    def const(a):
        return a

    @staticmethod
    def linear_relu(x, w, b):
        return tensor.linear(x, w, b, activation="relu")

    @staticmethod
    def reduce(name, a, axis, keepdims):
        return getattr(a, name)(axis, keepdims)

    @staticmethod
    def var(a, axis, keepdims):
        return a.var(axis, keepdims)

    @staticmethod
    def clip(a, lo, hi):
        return a.clip(lo, hi)


class Torch:
    """PyTorch, spelled like ``Ours``."""

    if torch is not None:
        maximum, minimum, stack = torch.maximum, torch.minimum, torch.stack
        linear = torch.nn.functional.linear

    @staticmethod
    def const(a):
        return torch.from_numpy(a) if isinstance(a, np.ndarray) else a

    @staticmethod
    def linear_relu(x, w, b):
        return torch.nn.functional.linear(x, w, b).relu()

    @staticmethod
    def where(cond, a, b):
        return torch.where(torch.from_numpy(cond), a, b)

    @staticmethod
    def concatenate(ts, axis):
        return torch.cat(ts, axis)

    @staticmethod
    def cross_entropy(logits, targets, reduction):
        targets = torch.from_numpy(targets)
        return torch.nn.functional.cross_entropy(logits, targets, reduction=reduction)

    @staticmethod
    def logsumexp(a, axis, keepdims):
        return torch.logsumexp(a, Torch.dims(a, axis), keepdims)

    @staticmethod
    def dims(a, axis):
        return tuple(range(a.ndim)) if axis is None else axis

    @staticmethod
    def reduce(name, a, axis, keepdims):
        name = {"max": "amax", "min": "amin"}.get(name, name)
        return getattr(torch, name)(a, Torch.dims(a, axis), keepdim=keepdims)

    @staticmethod
    def var(a, axis, keepdims):
        return torch.var(a, Torch.dims(a, axis), correction=0, keepdim=keepdims)

    @staticmethod
    def clip(a, lo, hi):
        return torch.clamp(a, lo, hi)


def arrays_of(*element_strategies, shapes=None):
    """Draw arrays whose shapes broadcast together (or the given shapes)."""

    def draw(data):
        if shapes is None:
            n = len(element_strategies)
            drawn = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=n, max_side=3))
            chosen = drawn.input_shapes
        else:
            chosen = shapes
        return [
            data.draw(hnp.arrays(np.float64, s, elements=e))
            for s, e in zip(chosen, element_strategies)
        ], {}

    return draw


def with_axis(elements=F_FINITE, unique=False, single=False, shapes=SHAPES_1D_UP):
    def draw(data):
        a = data.draw(hnp.arrays(np.float64, data.draw(shapes), elements=elements, unique=unique))
        ints = st.integers(-a.ndim, a.ndim - 1)
        if single:
            return [a], {"axis": data.draw(ints)}
        tuples = st.lists(st.integers(0, a.ndim - 1), min_size=1, unique=True).map(tuple)
        axis = data.draw(st.none() | ints | tuples)
        return [a], {"axis": axis, "keepdims": data.draw(st.booleans())}

    return draw


def matmul_pairs(data):
    k, n, m, b = (data.draw(st.integers(1, 3)) for _ in range(4))
    shapes = data.draw(
        st.sampled_from(
            [
                ((n,), (n,)),
                ((n,), (n, m)),
                ((k, n), (n,)),
                ((k, n), (n, m)),
                ((b, k, n), (n, m)),
                ((b, k, n), (b, n, m)),
                ((n,), (b, n, m)),
            ]
        )
    )
    return arrays_of(F_FINITE, F_FINITE, shapes=shapes)(data)


def indexing(data):
    a = data.draw(hnp.arrays(np.float64, (3, 3), elements=F_FINITE))
    key = data.draw(
        st.sampled_from([slice(1, None), 1, [0, 2, 0], a > 0, (slice(None), [1, 1]), (2, 0)])
    )
    return [a], {"key": key}


def where_args(data):
    (a, b), _ = arrays_of(F_FINITE, F_FINITE)(data)
    shape = np.broadcast_shapes(a.shape, b.shape)
    return [a, b], {"cond": data.draw(hnp.arrays(bool, shape))}


def cross_entropy_args(data):
    n, c = data.draw(st.integers(1, 3)), data.draw(st.integers(2, 3))
    logits = data.draw(hnp.arrays(np.float64, (n, c), elements=F_FINITE))
    targets = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    reduction = data.draw(st.sampled_from(["mean", "sum"]))
    return [logits], {"targets": targets, "reduction": reduction}


def linear_args(data):
    n, m = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    x_shape = data.draw(st.sampled_from([(n,), (2, n)]))
    return arrays_of(F_FINITE, F_FINITE, F_FINITE, shapes=[x_shape, (m, n), (m,)])(data)


def index_key(N, key):
    if N is Ours or not isinstance(key, np.ndarray):
        return key
    return torch.from_numpy(key)


def apart(arrays, gap=0.1):
    """True when two arrays differ by more than ``gap`` everywhere (away from maximum's kink)."""
    return bool(np.all(np.abs(arrays[0] - arrays[1]) > gap))


TENSOR_OPS = [
    ("add", arrays_of(F_FINITE, F_FINITE), lambda N, a, b: a + b),
    ("sub", arrays_of(F_FINITE, F_FINITE), lambda N, a, b: a - b),
    ("mul", arrays_of(F_FINITE, F_FINITE), lambda N, a, b: a * b),
    ("div", arrays_of(F_FINITE, F_AWAY), lambda N, a, b: a / b),
    ("pow", arrays_of(F_POSITIVE, F_AWAY), lambda N, a, b: a**b),
    ("numbers_both_sides", arrays_of(F_AWAY), lambda N, a: (2.0 - a) * 3.0 / a + 1.5**a),
    ("neg_pow_const", arrays_of(F_AWAY), lambda N, a: -(a**3) + a**-1 + a**2),
    ("sqrt_log", arrays_of(F_POSITIVE), lambda N, a: a.sqrt() * a.log() + a**0.5),
    ("exp_tanh_sigmoid", arrays_of(F_FINITE), lambda N, a: a.exp() + a.tanh() * a.sigmoid()),
    ("sin_cos", arrays_of(F_FINITE), lambda N, a: a.sin() * a.cos() + a.sin()),
    ("log1p_erf", arrays_of(F_POSITIVE), lambda N, a: a.log1p() * a.erf() + a.erf()),
    ("relu_abs", arrays_of(F_AWAY), lambda N, a: a.relu() * a + a.abs() * a),
    ("maximum", arrays_of(F_FINITE, F_FINITE), lambda N, a, b: N.maximum(a, b) * a),
    ("minimum", arrays_of(F_FINITE, F_FINITE), lambda N, a, b: N.minimum(a, b) * b),
    ("clip", arrays_of(F_CLIP), lambda N, a: N.clip(a, -0.5, 0.5) * a),
    ("where", where_args, lambda N, a, b, cond: N.where(cond, a * a, b * a)),
    ("matmul", matmul_pairs, lambda N, a, b: (a @ b) * (a @ b)),
    ("sum", with_axis(), lambda N, a, axis, keepdims: N.reduce("sum", a * a, axis, keepdims)),
    ("mean", with_axis(), lambda N, a, axis, keepdims: N.reduce("mean", a * a, axis, keepdims)),
    (
        "max",
        with_axis(F_SPACED, unique=True),
        lambda N, a, axis, keepdims: N.reduce("max", a, axis, keepdims) ** 2,
    ),
    (
        "min",
        with_axis(F_SPACED, unique=True),
        lambda N, a, axis, keepdims: N.reduce("min", a, axis, keepdims) ** 2,
    ),
    ("var", with_axis(), lambda N, a, axis, keepdims: N.var(a, axis, keepdims)),
    ("logsumexp", with_axis(), lambda N, a, axis, keepdims: N.logsumexp(a, axis, keepdims)),
    ("softmax", with_axis(single=True), lambda N, a, axis: a.softmax(axis)),
    ("log_softmax", with_axis(single=True), lambda N, a, axis: a.log_softmax(axis) * a),
    (
        "reshape_permute",
        arrays_of(F_FINITE, shapes=[(2, 3)]),
        lambda N, a: (a * a).reshape(3, 2).permute(1, 0) * a,
    ),
    (
        "transpose_flatten",
        arrays_of(F_FINITE, shapes=[(2, 1, 3)]),
        lambda N, a: (a.transpose(0, 2) * a.transpose(0, 2)).flatten(),
    ),
    (
        "squeeze_unsqueeze",
        arrays_of(F_FINITE, shapes=[(2, 1)]),
        lambda N, a: (a * a).squeeze(1).unsqueeze(0) * a.squeeze(1),
    ),
    (
        "expand",
        arrays_of(F_FINITE, shapes=[(1, 3)]),
        lambda N, a: (a * a).expand(2, 3) + a.broadcast_to((2, 3)) ** 3,
    ),
    ("index", indexing, lambda N, a, key: a[index_key(N, key)] ** 3),
    (
        "concatenate",
        arrays_of(F_FINITE, F_FINITE, shapes=[(2, 2), (1, 2)]),
        lambda N, a, b: N.concatenate([a * b.sum(), b * b], 0) ** 2,
    ),
    (
        "stack",
        arrays_of(F_FINITE, F_FINITE, shapes=[(3,), (3,)]),
        lambda N, a, b: N.stack([a * b, b.exp()], 1) * a.sum(),
    ),
    ("cross_entropy", cross_entropy_args, lambda N, a, **kw: N.cross_entropy(a * a, **kw)),
    ("linear", linear_args, lambda N, x, w, b: N.linear(x, w, b).tanh()),
    ("linear_relu", linear_args, lambda N, x, w, b: N.linear_relu(x, w, b) ** 2),
]
TENSOR_IDS = [op[0] for op in TENSOR_OPS]


def off_kink(arrays, gap=0.1):
    """True when every pre-activation x @ w.T + b is more than ``gap`` away from ReLU's kink."""
    x, w, b = arrays
    return bool(np.all(np.abs(x @ w.T + b) > gap))


KINKED = {"maximum": apart, "minimum": apart, "linear_relu": off_kink}


def draw_case(draw, data, name):
    arrays, params = draw(data)
    if name in KINKED:
        assume(KINKED[name](arrays))
    return arrays, params


@pytest.mark.parametrize("name, draw, op", TENSOR_OPS, ids=TENSOR_IDS)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_every_tensor_op_passes_gradgradcheck(name, draw, op, data):
    arrays, params = draw_case(draw, data, name)
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    assert gradgradcheck(lambda *ts: op(Ours, *ts, **params), xs)


def torch_hessian_blocks(f, arrays):
    """H[i][j] = d2 f / d x_i d x_j, shaped x_i.shape + x_j.shape, via torch.autograd.grad."""
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    first = torch.autograd.grad(f(*ts), ts, create_graph=True, allow_unused=True)
    blocks = []
    for t, g in zip(ts, first):
        rows = []
        for k in range(t.numel()):
            live = g is not None and g.requires_grad
            second = (
                torch.autograd.grad(g.reshape(-1)[k], ts, retain_graph=True, allow_unused=True)
                if live
                else [None] * len(ts)
            )
            rows.append([np.zeros(u.shape) if s is None else s.numpy() for s, u in zip(second, ts)])
        blocks.append(
            [np.array([r[j] for r in rows]).reshape(t.shape + u.shape) for j, u in enumerate(ts)]
        )
    return blocks


@needs_torch
@pytest.mark.parametrize("name, draw, op", TENSOR_OPS, ids=TENSOR_IDS)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_every_tensor_op_second_derivatives_match_torch(name, draw, op, data):
    arrays, params = draw_case(draw, data, name)
    out_shape = op(Ours, *[Tensor(a) for a in arrays], **params).shape
    w = np.random.default_rng(1).standard_normal(out_shape)

    def scalar(N):
        return lambda *ts: (op(N, *ts, **params) * N.const(w)).sum()

    everything = tuple(range(len(arrays)))
    ours = hessian(scalar(Ours), *arrays, argnums=everything)
    expected = torch_hessian_blocks(scalar(Torch), arrays)
    for i in everything:
        for j in everything:
            assert ours[i][j].shape == expected[i][j].shape
            np.testing.assert_allclose(ours[i][j].data, expected[i][j], rtol=1e-9, atol=1e-10)
