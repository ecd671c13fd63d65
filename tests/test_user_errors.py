"""Plausible user mistakes across the public API: each must fail at the user's call with an error
that names the problem (the type, shape or value), or behave as documented.
"""

import numpy as np
import pytest

import nn
from autograd import (
    AnomalyError,
    GradcheckError,
    GraphFreedError,
    Tensor,
    Value,
    detect_anomaly,
    dot,
    draw_dot,
    grad,
    gradcheck,
    no_grad,
)
from nn import CheckpointError, DivergenceError


def _model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(4, 3, seed=0))


def _logits() -> Tensor:
    return Tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)


def _twice_on_a_tensor() -> None:
    W = Tensor(np.ones((2, 3)), requires_grad=True)
    loss = (W * 2).sum()
    loss.backward()
    loss.backward()


def _backward_under_no_grad() -> None:
    a = Value(2.0)
    with no_grad():
        out = a * a
    out.backward()


def _fit(**kwargs):
    """A call of nn.fit on a small model, with some arguments replaced by mistakes."""

    def call():
        model = _model()
        args = {
            "X": np.random.default_rng(0).standard_normal((10, 4)),
            "y": np.arange(10) % 3,
            "loss": nn.cross_entropy,
            "optimizer": nn.SGD(model.parameters(), lr=0.1),
            "epochs": 1,
            "progress": False,
        }
        args.update(kwargs)
        return nn.fit(model, **args)

    return call


MISTAKES = {
    # -- scalar engine --
    "Value('3')": (lambda: Value("3"), TypeError, r"got str: '3'"),
    "Value(None)": (lambda: Value(None), TypeError, r"got NoneType"),
    "Value([1, 2])": (lambda: Value([1, 2]), TypeError, r"got list"),
    "Value(array)": (lambda: Value(np.array([1.0, 2.0])), TypeError, r"got ndarray"),
    "Value + 'a'": (lambda: Value(1.0) + "a", TypeError, r"got str"),
    "Value ** 'a'": (lambda: Value(2.0) ** "a", TypeError, r"'\*\*' op.* got str"),
    "Value + Tensor": (lambda: Value(1.0) + Tensor([1.0]), TypeError, r"got Tensor"),
    "Tensor + Value": (lambda: Tensor([1.0]) + Value(1.0), TypeError, r"Value"),
    "backward under no_grad": (_backward_under_no_grad, RuntimeError, r"does not require grad"),
    "detached backward": (
        lambda: (Value(2.0).detach() * 3).backward(),
        RuntimeError,
        r"does not require grad",
    ),
    "backward(grad='a')": (lambda: (Value(1.0) * 2).backward("a"), TypeError, r"got str"),
    "dot lengths": (
        lambda: dot([Value(1.0)], [1.0, 2.0]),
        ValueError,
        r"1 weights but 2 inputs",
    ),
    # -- tensor engine --
    "Tensor('abc')": (lambda: Tensor("abc"), TypeError, r"numeric, got str"),
    "Tensor(None)": (lambda: Tensor(None), TypeError, r"NoneType"),
    "ragged lists": (lambda: Tensor([[1.0, 2.0], [3.0]]), ValueError, r"unequal lengths"),
    "broadcast mismatch": (
        lambda: Tensor(np.ones((2, 3))) + Tensor(np.ones((3, 2))),
        ValueError,
        r"'\+'.*\(2, 3\) and \(3, 2\)",
    ),
    "matmul mismatch": (
        lambda: Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3))),
        ValueError,
        r"matmul: shapes \(2, 3\) and \(2, 3\)",
    ),
    "backward on a non-scalar": (
        lambda: (Tensor(np.ones((2, 3)), requires_grad=True) * 2).backward(),
        RuntimeError,
        r"shape \(2, 3\).*\.sum\(\)",
    ),
    "backward twice on a tensor": (_twice_on_a_tensor, GraphFreedError, r"retain_graph=True"),
    "backward(grad) of the wrong shape": (
        lambda: (Tensor(np.ones((2, 3)), requires_grad=True) * 2).backward(np.ones((3, 2))),
        ValueError,
        r"\(3, 2\).*\(2, 3\)",
    ),
    "reduction axis out of range": (
        lambda: Tensor(np.ones((2, 3))).sum(axis=2),
        ValueError,
        r"sum: axis 2 is out of range for a tensor of shape \(2, 3\)",
    ),
    "item() of a vector": (lambda: Tensor([1.0, 2.0]).item(), ValueError, r"shape \(2,\)"),
    "bad reshape": (
        lambda: Tensor(np.ones((2, 3))).reshape(4, 2),
        ValueError,
        r"reshape: .*\(2, 3\).*\(4, 2\)",
    ),
    "grad() of an unused input": (
        lambda: grad(Value(1.0) * 2, [Value(3.0)]),
        RuntimeError,
        r"allow_unused=True",
    ),
    # -- layers and models --
    "Linear(0, 3)": (lambda: nn.Linear(0, 3), ValueError, r"in_features .* got 0"),
    "Linear input width": (
        lambda: _model()(Tensor(np.ones((2, 5)))),
        ValueError,
        r"input shape \(2, 5\) does not fit weight shape \(3, 4\)",
    ),
    "Sequential([...])": (
        lambda: nn.Sequential([nn.Linear(2, 3), nn.ReLU()]),
        TypeError,
        r"got list",
    ),
    "Sequential(Linear)": (lambda: nn.Sequential(nn.Linear), TypeError, r"got type"),
    "MLP input length": (
        lambda: nn.MLP(2, [3, 1], seed=0)([1.0, 2.0, 3.0]),
        ValueError,
        r"expects 2 inputs, got 3",
    ),
    "MLP activation": (
        lambda: nn.MLP(2, [3, 1], activation="gelu"),
        ValueError,
        r"got 'gelu'",
    ),
    "MLP(2, 3)": (lambda: nn.MLP(2, 3), TypeError, r"nouts must be a list"),
    "Neuron(2.5)": (lambda: nn.Neuron(2.5), ValueError, r"nin .* got 2.5"),
    "Dropout(1.5)": (lambda: nn.Dropout(1.5), ValueError, r"got 1.5"),
    # -- losses --
    "cross_entropy float labels": (
        lambda: nn.cross_entropy(_logits(), np.array([0.0, 1.0, 2.0, 1.0])),
        ValueError,
        r"integer class indices.*astype\(int\)",
    ),
    "cross_entropy one-hot targets": (
        lambda: nn.cross_entropy(_logits(), np.eye(3)[[0, 1, 2, 1]]),
        ValueError,
        r"integer class indices, got float labels of shape \(4, 3\)",
    ),
    "cross_entropy label out of range": (
        lambda: nn.cross_entropy(_logits(), np.array([0, 1, 3, 1])),
        ValueError,
        r"label 3 is outside \[0, 3\)",
    ),
    "cross_entropy negative label": (
        lambda: nn.cross_entropy(_logits(), np.array([0, 1, -1, 1])),
        ValueError,
        r"label -1",
    ),
    "cross_entropy label count": (
        lambda: nn.cross_entropy(_logits(), np.array([0, 1, 2])),
        ValueError,
        r"need 4 labels .* got labels of shape \(3,\)",
    ),
    "cross_entropy arguments swapped": (
        lambda: nn.cross_entropy(np.array([0, 1, 2, 1]), _logits()),
        TypeError,
        r"predictions must be Values or a Tensor",
    ),
    "cross_entropy 1-D logits": (
        lambda: nn.cross_entropy(Tensor(np.zeros(3), requires_grad=True), 1),
        ValueError,
        r"2-D .* got \(3,\)",
    ),
    "mse_loss shapes": (
        lambda: nn.mse_loss(Tensor(np.ones(4), requires_grad=True), np.ones(3)),
        ValueError,
        r"\(4,\) but targets \(3,\)",
    ),
    "binary_cross_entropy on logits": (
        lambda: nn.binary_cross_entropy(
            Tensor(np.array([0.5, 2.0]), requires_grad=True), np.array([0.0, 1.0])
        ),
        ValueError,
        r"probabilities in \[0, 1\], got 2.*with_logits",
    ),
    "hinge_loss with 0/1 labels": (
        lambda: nn.hinge_loss(Tensor(np.array([0.5, -0.5]), requires_grad=True), np.array([0, 1])),
        ValueError,
        r"-1 or \+1, got 0",
    ),
    "reduction typo": (
        lambda: nn.mse_loss(Tensor(np.ones(4), requires_grad=True), np.ones(4), reduction="avg"),
        ValueError,
        r"got 'avg'",
    ),
    # -- optimizers and training --
    "SGD(model)": (lambda: nn.SGD(_model(), lr=0.1), TypeError, r"model\.parameters\(\)"),
    "SGD(lr=-0.1)": (lambda: nn.SGD(_model().parameters(), lr=-0.1), ValueError, r"-0.1"),
    "Adam([])": (lambda: nn.Adam([], lr=0.1), ValueError, r"empty"),
    "StepLR(list)": (lambda: nn.StepLR([1, 2], step_size=1), TypeError, r"got list"),
    "fit X/y lengths": (
        _fit(y=np.arange(8) % 3),
        ValueError,
        r"X \(10, 4\), y \(8,\)",
    ),
    "fit batch_size=0": (_fit(batch_size=0), ValueError, r"batch_size .* got 0"),
    "fit epochs=0": (_fit(epochs=0), ValueError, r"epochs .* got 0"),
    "fit loss as a string": (_fit(loss="cross_entropy"), TypeError, r"got 'cross_entropy'"),
    "fit unknown metric": (_fit(metrics=["f1"]), ValueError, r"unknown metric 'f1'"),
    "fit validation_data not a pair": (
        _fit(validation_data=np.ones((3, 4))),
        TypeError,
        r"validation_data must be a pair",
    ),
    "fit cross_entropy float labels": (
        _fit(y=(np.arange(10) % 3).astype(float)),
        ValueError,
        r"integer class indices",
    ),
    "train_test_split test_size": (
        lambda: nn.train_test_split(np.ones((10, 2)), np.ones(10), test_size=2.0),
        ValueError,
        r"got 2.0",
    ),
    # -- checking and drawing --
    "gradcheck float32": (
        lambda: gradcheck(
            lambda a: (a * a).sum(), [Tensor(np.ones(2, dtype=np.float32), requires_grad=True)]
        ),
        ValueError,
        r"float32.*float64",
    ),
    "gradcheck on floats": (lambda: gradcheck(lambda a: a * a, [1.0]), TypeError, r"float"),
    "draw_dot(model)": (lambda: draw_dot(nn.MLP(2, [1])), TypeError, r"got MLP"),
}


@pytest.mark.parametrize("name", list(MISTAKES))
def test_mistake_is_named_at_the_call(name):
    call, error, message = MISTAKES[name]
    with pytest.raises(error, match=message):
        call()


# ------------------------------------------------------------------- documented behaviour
def test_forgetting_zero_grad_accumulates_as_documented():
    W = Tensor(np.ones(3), requires_grad=True)
    a = Value(2.0)
    for _ in range(3):
        (W * 2).sum().backward()
        (a * a).backward()
    np.testing.assert_array_equal(W.grad, [6.0, 6.0, 6.0])
    assert a.grad == 12.0
    a.grad = 0.0
    (a * a).backward()
    assert a.grad == 4.0


def test_retain_graph_allows_a_second_tensor_backward():
    W = Tensor(np.ones(3), requires_grad=True)
    loss = (W * 2).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(W.grad, [4.0, 4.0, 4.0])


def test_mse_loss_does_not_broadcast_a_column_against_a_row():
    # the classic PyTorch pitfall: predictions (N, 1) and targets (N,) must not give an (N, N) loss
    pred = Tensor(np.array([[1.0], [2.0], [3.0], [4.0]]), requires_grad=True)
    loss = nn.mse_loss(pred, np.array([1.0, 2.0, 3.0, 5.0]))
    assert loss.item() == pytest.approx(0.25)


def test_detect_anomaly_names_the_op():
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"'log' produced nan"):
        Value(-1.0).log()


def test_gradcheck_names_the_disagreeing_input():
    from autograd import Function

    class BadSquare(Function):
        name = "badsq"

        def forward(self, F, x):
            return x * x

        def backward(self, F, g, out, x):
            return (g * 3 * x,)  # should be 2 * x

    with pytest.raises(GradcheckError, match=r"input 0: analytic 3.* numerical 2"):
        gradcheck(lambda a: BadSquare().apply(a), [Value(1.0)])


def test_nan_data_stops_fit_before_the_update():
    model = _model()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    with pytest.raises(DivergenceError, match=r"loss is nan at epoch 1/1"):
        nn.fit(
            model,
            np.full((10, 4), np.nan),
            np.arange(10) % 3,
            nn.cross_entropy,
            nn.SGD(model.parameters(), lr=0.1),
            epochs=1,
            progress=False,
        )
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


# ------------------------------------------------------------------------------ checkpoints
def test_loading_the_wrong_checkpoint_names_keys_and_changes_nothing(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3, seed=0), nn.ReLU(), nn.Linear(3, 2, seed=1))
    before = {k: v.copy() for k, v in model.state_dict().items()}
    other = nn.Sequential(nn.Linear(4, 3, seed=5), nn.ReLU(), nn.Linear(3, 5, seed=1))
    other.save(tmp_path / "other.npz")
    with pytest.raises(ValueError, match=r"'2.weight': checkpoint \(5, 3\), model \(2, 3\)"):
        model.load(tmp_path / "other.npz")
    for key, value in model.state_dict().items():  # layer 0 was not half-loaded
        np.testing.assert_array_equal(value, before[key])

    np.savez(tmp_path / "foo.npz", foo=np.ones(3))
    with pytest.raises(ValueError, match=r"missing keys.*0\.weight.*unexpected keys: foo"):
        model.load(tmp_path / "foo.npz")


def test_loading_what_is_not_a_checkpoint(tmp_path):
    model = _model()
    with pytest.raises(FileNotFoundError, match=r"nope.npz"):
        model.load(tmp_path / "nope.npz")

    data_path = tmp_path / "good.npz"
    model.save(data_path)
    data = data_path.read_bytes()
    (tmp_path / "half.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"half.npz"):
        model.load(tmp_path / "half.npz")

    # an object array would need pickle: refused, never unpickled
    np.savez(tmp_path / "obj.npz", **{"0.weight": np.array([object()], dtype=object)})
    with pytest.raises(CheckpointError, match=r"obj.npz"):
        model.load(tmp_path / "obj.npz")

    with pytest.raises(TypeError, match=r"dict of arrays"):
        model.load_state_dict(str(data_path))


def test_loading_an_npy_file(tmp_path):
    np.save(tmp_path / "weights.npy", np.ones(3))
    with pytest.raises(CheckpointError, match=r"single array"):
        _model().load(tmp_path / "weights.npy")


# ------------------------------------------------- found by a user test, fixed, kept as checks
def test_loading_a_text_file_does_not_suggest_pickle(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(CheckpointError) as info:
        _model().load(path)
    assert "pickle" not in str(info.value)


def test_optimizer_given_the_parameters_method():
    model = _model()
    with pytest.raises(TypeError, match=r"parameters\(\)"):
        nn.SGD(model.parameters, lr=0.1)


def test_saving_into_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        _model().save(tmp_path / "nodir" / "x.npz")
    assert ".tmp" not in str(info.value) and "nodir" in str(info.value)


def test_value_with_micrograds_children_argument():
    a = Value(1.0)
    with pytest.raises(TypeError, match=r"label"):
        Value(2.0, (a,), "+")
