"""Bad arguments name themselves (issue 28, item 13): each call below used to fail with a
NumPy or attribute error that named neither the argument nor the fix (``var(ddof='a')``: a
ufunc loop error; ``Linear(seed=-1)``: 'expected non-negative integer'; ``ReLU()([1.0])``:
"'list' object has no attribute 'relu'"; ``save_steps_html(interval='fast')``: "invalid
literal for int()") or was silently accepted (``sum(keepdims='yes')``, ``Linear(bias='no')``,
``Flatten('a')``)."""

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor, Value

x = Tensor(np.ones((2, 3)), requires_grad=True)


def _fit(**kw):
    m = nn.Linear(3, 2)
    args = dict(epochs=1, **kw)
    nn.fit(
        m,
        np.ones((4, 3)),
        np.zeros(4, dtype=int),
        nn.cross_entropy,
        nn.SGD(m.parameters(), lr=0.1),
        **args,
    )


BAD = [
    ("var(ddof='a')", lambda: x.var(ddof="a"), TypeError, "var: ddof must be an int, got str"),
    ("var(ddof=1.5)", lambda: x.var(ddof=1.5), TypeError, "ddof must be an int, got float"),
    (
        "sum(keepdims='yes')",
        lambda: x.sum(keepdims="yes"),
        TypeError,
        "sum: keepdims must be True or False, got str 'yes'",
    ),
    ("mean(keepdims=1)", lambda: x.mean(keepdims=1), TypeError, "mean: keepdims must be True"),
    (
        "Tensor(dtype='foo')",
        lambda: Tensor([1.0], dtype="foo"),
        TypeError,
        "Tensor(): dtype must be a NumPy number type",
    ),
    ("x[1.5]", lambda: x[1.5], IndexError, "got float 1.5 (use int(1.5)"),
    (
        "Linear(seed=-1)",
        lambda: nn.Linear(2, 3, seed=-1),
        ValueError,
        "seed must be an int >= 0 or None, got -1",
    ),
    (
        "Linear(seed='a')",
        lambda: nn.Linear(2, 3, seed="a"),
        TypeError,
        "seed must be an int >= 0 or None, got str 'a'",
    ),
    ("Linear(seed=1.5)", lambda: nn.Linear(2, 3, seed=1.5), TypeError, "seed must be an int"),
    (
        "Linear(dtype=int)",
        lambda: nn.Linear(2, 3, dtype=int),
        TypeError,
        "Linear: dtype must be a floating type",
    ),
    (
        "Linear(bias='no')",
        lambda: nn.Linear(2, 3, bias="no"),
        TypeError,
        "Linear: bias must be True or False",
    ),
    ("Dropout(seed=-2)", lambda: nn.Dropout(0.5, seed=-2), ValueError, "seed must be an int >= 0"),
    ("Flatten('a')", lambda: nn.Flatten("a"), TypeError, "Flatten: start_dim must be an int"),
    ("Flatten(1, 2.0)", lambda: nn.Flatten(1, 2.0), TypeError, "Flatten: end_dim must be an int"),
    (
        "ReLU()([1.0])",
        lambda: nn.ReLU()([1.0]),
        TypeError,
        "ReLU() takes a Tensor or a Value, got list: wrap the data first",
    ),
    ("Tanh()(ndarray)", lambda: nn.Tanh()(np.ones(3)), TypeError, "Tanh() takes a Tensor"),
    ("Sigmoid()(3.0)", lambda: nn.Sigmoid()(3.0), TypeError, "Sigmoid() takes a Tensor"),
    ("manual_seed('x')", lambda: nn.manual_seed("x"), TypeError, "seed must be an int >= 0"),
    ("manual_seed(-1)", lambda: nn.manual_seed(-1), ValueError, "seed must be an int >= 0"),
    ("fit(seed=-1)", lambda: _fit(seed=-1), ValueError, "seed must be an int >= 0"),
    (
        "train_val_test_split(seed='a')",
        lambda: nn.train_val_test_split(np.ones((10, 2)), np.zeros(10), seed="a"),
        TypeError,
        "seed must be an int >= 0",
    ),
    (
        "train_test_split(seed=-3)",
        lambda: nn.train_test_split(np.ones((10, 2)), np.zeros(10), seed=-3),
        ValueError,
        "seed must be an int >= 0",
    ),
    (
        "gradcheck(eps='a')",
        lambda: autograd.gradcheck(lambda a: a * a, [Value(1.0)], eps="a"),
        TypeError,
        "gradcheck: eps must be a number, got str",
    ),
    (
        "gradcheck(atol=-1)",
        lambda: autograd.gradcheck(lambda a: a * a, [Value(1.0)], atol=-1),
        ValueError,
        "gradcheck: atol must be >= 0",
    ),
    (
        "gradcheck(3, ...)",
        lambda: autograd.gradcheck(3, [Value(1.0)]),
        TypeError,
        "gradcheck: f must be a function",
    ),
    (
        "gradgradcheck(eps=0)",
        lambda: autograd.gradgradcheck(lambda a: a * a * a, [Value(1.0)], eps=0),
        ValueError,
        "gradgradcheck: eps must be > 0",
    ),
    (
        "hessian(argnums='a')",
        lambda: autograd.hessian(lambda a: a * a, argnums="a")(Value(1.0)),
        TypeError,
        "argnums must be an int or a tuple of ints",
    ),
    (
        "grad(argnums=(0.5,))",
        lambda: autograd.functional.grad(lambda a: a * a, argnums=(0.5,))(Value(1.0)),
        TypeError,
        "argnums must be an int or a tuple of ints",
    ),
    (
        "save_steps_html(interval='fast')",
        lambda: autograd.save_steps_html(Value(1.0) * 2, "unused.html", interval="fast"),
        ValueError,
        "save_steps_html: interval must be an int >= 1 (ms), got 'fast'",
    ),
]


@pytest.mark.parametrize(("call", "bad", "error", "says"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_argument_is_named_at_the_call(call, bad, error, says, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error) as info:
        bad()
    assert says in str(info.value)
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_the_good_forms_still_work():
    assert x.var(ddof=np.int64(1)).data.shape == ()
    assert x.sum(axis=0, keepdims=np.bool_(True)).data.shape == (1, 3)
    assert nn.Linear(2, 3, seed=np.int64(4), dtype="float64", bias=np.bool_(False)).bias is None
    nn.manual_seed(None)
    nn.manual_seed(np.uint8(3))
    assert nn.Flatten(np.int64(0))(Tensor(np.ones((2, 2)))).data.shape == (4,)
    assert nn.ReLU()(Value(-1.0)).data == 0.0
