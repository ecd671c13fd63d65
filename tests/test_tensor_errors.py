"""Bad input to the tensor engine: each mistake fails at the user's call with an error naming the
op and the problem (an axis out of range, a Value among Tensors, a label where requires_grad
goes, shapes that do not broadcast), never a silently wrong result or a bare NumPy error."""

import numpy as np
import pytest

from autograd.tensor import Tensor, concatenate, linear, maximum, where
from autograd.value import Value

BAD_AXES = [
    ("transpose", lambda t: t.transpose(0, 2)),
    ("transpose", lambda t: t.transpose(-3, 0)),
    ("permute", lambda t: t.permute(0, 2)),
    ("flatten", lambda t: t.flatten(2)),
    ("flatten", lambda t: t.flatten(1, 0)),
    ("unsqueeze", lambda t: t.unsqueeze(3)),
    ("unsqueeze", lambda t: t.unsqueeze(-4)),
    ("squeeze", lambda t: t.squeeze(2)),
    ("sum", lambda t: t.sum(2)),
    ("sum", lambda t: t.sum((0, 0))),
    ("mean", lambda t: t.mean((0, 2))),
    ("max", lambda t: t.max(-3)),
    ("min", lambda t: t.min(2)),
    ("var", lambda t: t.var(2)),
    ("logsumexp", lambda t: t.logsumexp(2)),
    ("softmax", lambda t: t.softmax(2)),
    ("log_softmax", lambda t: t.log_softmax(-3)),
]


@pytest.mark.parametrize("name, op", BAD_AXES, ids=[f"{n}{i}" for i, (n, _) in enumerate(BAD_AXES)])
def test_an_axis_out_of_range_is_refused_naming_the_op_and_shape(name, op) -> None:
    """Never a wrapped-around axis (a silently wrong result) nor a bare NumPy AxisError."""
    with pytest.raises(ValueError, match=rf"^{name}\b.*\(2, 3\)"):
        op(Tensor(np.ones((2, 3))))


def test_valid_axes_at_the_edges_still_work() -> None:
    t = Tensor(np.ones((2, 3)))
    assert t.unsqueeze(2).shape == (2, 3, 1) and t.unsqueeze(-3).shape == (1, 2, 3)
    assert t.transpose(-2, 1).shape == (3, 2) and t.flatten(1, 1).shape == (2, 3)
    assert t.sum(np.int64(-1)).shape == (2,) and t.softmax(-2).shape == (2, 3)
    with pytest.raises(TypeError, match="axis"):
        t.sum("a")
    with pytest.raises(ValueError, match=r"max.*\(0, 3\)"):
        Tensor(np.ones((0, 3))).max(axis=0)
    assert Tensor(np.ones((0, 3))).max(axis=1).shape == (0,)


def test_label_and_requires_grad_are_checked():
    with pytest.raises(TypeError, match="requires_grad must be True or False, got str"):
        Tensor([1.0], "w")  # a label passed where requires_grad goes
    with pytest.raises(TypeError, match="label must be a str, got int"):
        Tensor([1.0], label=3)
    assert Tensor([1.0], requires_grad=np.bool_(True)).requires_grad is True


def test_a_value_among_tensors_is_named():
    x, v = Tensor([1.0]), Value(2.0)
    calls = {
        "+": lambda: x + v,
        "maximum": lambda: maximum(v, x),
        "where": lambda: where(np.array([True]), v, x),
        "concatenate": lambda: concatenate([x, v]),
        "linear": lambda: linear(v, Tensor([[1.0]])),
    }
    for call in calls.values():
        with pytest.raises(TypeError, match="Value"):
            call()


def test_clip_bounds_must_be_numbers():
    x = Tensor([1.0, 2.0])
    for bad in ("a", [1.0], Tensor([0.0])):
        with pytest.raises(TypeError, match=r"clip\(\): min"):
            x.clip(bad)
        with pytest.raises(TypeError, match=r"clip\(\): max"):
            x.clip(0.0, bad)
    assert x.clip(np.float32(1.5), 2).tolist() == [1.5, 2.0]


def test_comparisons_of_shapes_that_do_not_broadcast_name_both():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"'<'.*\(2, 3\).*\(4,\)"):
        _ = a < b
    with pytest.raises(ValueError, match=r"'=='.*\(2, 3\).*\(4,\)"):
        _ = a == np.ones(4)
