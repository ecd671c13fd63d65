"""nn.to_torch / nn.from_torch / nn.torch_state_dict against PyTorch itself: outputs and
gradients equal in float64, checkpoints loading strictly, clear errors."""

import subprocess
import sys

import numpy as np
import pytest

import nn
from autograd import Tensor

torch = pytest.importorskip("torch")

TOL = {"atol": 1e-12, "rtol": 1e-12}
F64 = np.float64


def every_layer(dtype=F64):
    """A tensor Sequential with every supported layer (a nested Sequential, a Linear without
    bias), for inputs of shape (n, 2, 3)."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(6, 7, seed=1, dtype=dtype),
        nn.ReLU(),
        nn.Dropout(0.25, seed=0),
        nn.Sequential(nn.Linear(7, 5, seed=2, dtype=dtype), nn.Tanh()),
        nn.Linear(5, 4, bias=False, seed=3, dtype=dtype),
        nn.Sigmoid(),
        nn.Linear(4, 3, seed=4, dtype=dtype),
    )


def every_torch_layer(seed=0):
    """The same architecture built by torch (its own initial weights), float64."""
    torch.manual_seed(seed)
    tnn = torch.nn
    return tnn.Sequential(
        tnn.Flatten(),
        tnn.Linear(6, 7),
        tnn.ReLU(),
        tnn.Dropout(0.4),
        tnn.Sequential(tnn.Linear(7, 5), tnn.Tanh()),
        tnn.Linear(5, 4, bias=False),
        tnn.Sigmoid(),
        tnn.Linear(4, 3),
    ).double()


def inputs(shape=(9, 2, 3), seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def torch_out(module, x):
    return module(torch.tensor(x)).detach().numpy()


def tensor_grads(model):
    return {name: p.grad for name, p in model.named_parameters()}


def torch_grads(module):
    return {name: p.grad.numpy() for name, p in module.named_parameters()}


# ---------------------------------------------------------------------- outputs
def test_sequential_to_torch_gives_the_same_outputs():
    model = every_layer().eval()
    converted = nn.to_torch(model)
    x = inputs()
    expected = model(Tensor(x)).data
    np.testing.assert_allclose(torch_out(converted, x), expected, **TOL)
    assert [type(m).__name__ for m in converted] == [
        "Flatten", "Linear", "ReLU", "Dropout", "Sequential", "Linear", "Sigmoid", "Linear",
    ]  # fmt: skip
    assert converted[3].p == 0.25 and converted[5].bias is None


def test_sequential_from_torch_gives_the_same_outputs():
    module = every_torch_layer().eval()
    model = nn.from_torch(module)
    x = inputs(seed=1)
    np.testing.assert_allclose(model(Tensor(x)).data, torch_out(module, x), **TOL)
    assert isinstance(model, nn.Sequential) and isinstance(model[4], nn.Sequential)
    assert model[3].p == 0.4 and model[5].bias is None


def test_round_trip_keeps_every_weight_and_the_names():
    model = every_layer()
    back = nn.from_torch(nn.to_torch(model))
    before, after = model.state_dict(), back.state_dict()
    assert list(after) == list(before)
    for key in before:
        np.testing.assert_array_equal(after[key], before[key])
    assert repr(back) == repr(model)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_scalar_mlp_to_torch_gives_the_same_outputs(activation):
    mlp = nn.MLP(4, [6, 5, 3], activation=activation, seed=7)
    converted = nn.to_torch(mlp)
    x = inputs((10, 4), seed=2)
    expected = [[v.data for v in mlp(list(row))] for row in x]
    np.testing.assert_allclose(torch_out(converted, x), expected, **TOL)
    assert converted[0].weight.dtype == torch.float64
    n_linear = sum(isinstance(m, torch.nn.Linear) for m in converted)
    assert n_linear == 3 and len(converted) == (3 if activation == "linear" else 5)


def test_scalar_mlp_one_output_comes_back_with_a_last_axis_of_one():
    mlp = nn.MLP(2, [3, 1], seed=0)
    out = nn.to_torch(mlp)(torch.tensor([0.5, -1.0], dtype=torch.float64))
    assert out.shape == (1,)
    assert out.item() == pytest.approx(mlp([0.5, -1.0]).data, abs=1e-12)


def test_scalar_mlp_through_torch_back_to_a_tensor_sequential():
    mlp = nn.MLP(3, [4, 2], activation="tanh", seed=1)
    model = nn.from_torch(nn.to_torch(mlp))
    x = inputs((5, 3), seed=3)
    expected = [[v.data for v in mlp(list(row))] for row in x]
    np.testing.assert_allclose(model(Tensor(x)).data, expected, **TOL)
    assert isinstance(model[1], nn.Tanh) and model[0].weight.data.dtype == F64


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtype_follows_the_source_both_ways(dtype):
    converted = nn.to_torch(every_layer(dtype))
    want = {np.float16: torch.float16, np.float32: torch.float32, np.float64: torch.float64}
    assert {p.dtype for p in converted.parameters()} == {want[dtype]}
    back = nn.from_torch(converted)
    assert {p.data.dtype for p in back.parameters()} == {np.dtype(dtype)}
    for a, b in zip(every_layer(dtype).parameters(), back.parameters()):
        np.testing.assert_array_equal(a.data, b.data)  # the float16 round trip is exact


def test_torch_bfloat16_is_refused_with_a_hint():
    bf16 = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 2).to(torch.bfloat16))
    with pytest.raises(ValueError, match=r"Linear at position 1 holds torch.bfloat16.*double\(\)"):
        nn.from_torch(bf16)
    model = nn.Sequential(nn.ReLU(), nn.Linear(2, 2))
    before = model[1].weight.data.copy()
    with pytest.raises(ValueError, match=r"'1.weight' holds torch.bfloat16.*v.float\(\)"):
        model.load_state_dict(bf16.state_dict())
    np.testing.assert_array_equal(model[1].weight.data, before)


def test_named_torch_layers_keep_their_names_both_ways():
    from collections import OrderedDict

    named = torch.nn.Sequential(
        OrderedDict(fc1=torch.nn.Linear(3, 4), act=torch.nn.ReLU(), fc2=torch.nn.Linear(4, 2))
    ).double()
    ours = nn.from_torch(named)
    assert (
        list(ours.state_dict())
        == list(named.state_dict())
        == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    )
    x = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_allclose(ours(Tensor(x)).data, named(torch.tensor(x)).detach(), **TOL)
    back = nn.to_torch(ours)
    assert list(back.state_dict()) == list(named.state_dict())
    back.load_state_dict(named.state_dict())  # strict
    ours.load_state_dict(named.state_dict())


def test_a_torch_layer_name_that_would_hide_an_attribute_is_refused():
    from collections import OrderedDict

    with pytest.raises(ValueError, match=r"layer named 'save' would hide.*rename it"):
        nn.from_torch(torch.nn.Sequential(OrderedDict(save=torch.nn.ReLU())))


def test_mixed_dtypes_are_refused_by_to_torch_naming_them():
    mixed = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.ReLU(), nn.Linear(4, 2))
    with pytest.raises(ValueError, match=r"mixes weight dtypes: float64 \(0.weight\), float32 "):
        nn.to_torch(mixed)


def test_a_keep_vars_state_dict_loads():
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 2)).double()
    ours = nn.Sequential(nn.Linear(3, 2, dtype=np.float64, seed=5))
    ours.load_state_dict(theirs.state_dict(keep_vars=True))
    np.testing.assert_array_equal(ours[0].weight.data, theirs[0].weight.detach().numpy())
    assert ours[0].weight.data is not theirs[0].weight.detach().numpy()


# ---------------------------------------------------------------------- gradients
def test_gradients_after_one_backward_are_equal_to_torch():
    model = every_layer().eval()
    converted = nn.to_torch(model)
    x = inputs(seed=4)
    c = np.random.default_rng(5).normal(size=(9, 3))
    (model(Tensor(x)) * Tensor(c)).sum().backward()
    (converted(torch.tensor(x)) * torch.tensor(c)).sum().backward()
    ours, theirs = tensor_grads(model), torch_grads(converted)
    assert list(ours) == list(theirs)
    for name in ours:
        np.testing.assert_allclose(ours[name], theirs[name], **TOL, err_msg=name)


def test_gradients_from_torch_are_equal():
    module = every_torch_layer().eval()
    model = nn.from_torch(module)
    x, target = inputs(seed=6), np.array([0, 2, 1, 1, 0, 2, 2, 1, 0])
    nn.cross_entropy(model(Tensor(x)), target).backward()
    torch.nn.functional.cross_entropy(module(torch.tensor(x)), torch.tensor(target)).backward()
    ours, theirs = tensor_grads(model), torch_grads(module)
    assert list(ours) == list(theirs)
    for name in ours:
        np.testing.assert_allclose(ours[name], theirs[name], **TOL, err_msg=name)


def test_scalar_mlp_gradients_are_equal_to_torch():
    mlp = nn.MLP(3, [5, 4, 2], seed=3)
    converted = nn.to_torch(mlp)
    x = inputs((6, 3), seed=7)
    c = np.random.default_rng(8).normal(size=(6, 2))
    loss = sum(float(ci) * o for row, crow in zip(x, c) for ci, o in zip(crow, mlp(list(row))))
    loss.backward()
    (converted(torch.tensor(x)) * torch.tensor(c)).sum().backward()
    linears = [m for m in converted if isinstance(m, torch.nn.Linear)]
    assert len(linears) == len(mlp.layers)
    for layer, linear in zip(mlp.layers, linears):
        w_grad = [[w.grad for w in n.w] for n in layer.neurons]
        np.testing.assert_allclose(w_grad, linear.weight.grad.numpy(), **TOL)
        np.testing.assert_allclose([n.b.grad for n in layer.neurons], linear.bias.grad, **TOL)


# ---------------------------------------------------------------------- checkpoints
def test_tensor_layers_use_torch_names_and_shapes():
    model = every_layer()
    ours = {k: v.shape for k, v in model.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in nn.to_torch(model).state_dict().items()}
    assert ours == theirs
    assert ours["1.weight"] == (7, 6)  # (out_features, in_features), as in torch


def test_a_saved_checkpoint_loads_strictly_into_an_independent_torch_model(tmp_path):
    model = every_layer()
    path = tmp_path / "model.npz"
    model.save(path)
    fresh = every_torch_layer()  # same architecture, built by torch with other weights
    assert not np.allclose(fresh[1].weight.detach().numpy(), model[1].weight.data)
    result = fresh.load_state_dict(nn.torch_state_dict(path), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    x = inputs(seed=9)
    np.testing.assert_allclose(torch_out(fresh.eval(), x), model.eval()(Tensor(x)).data, **TOL)


def test_state_dict_and_model_sources_give_the_same_torch_state_dict(tmp_path):
    model = every_layer(np.float32)
    model.save(tmp_path / "m.npz")
    from_file = nn.torch_state_dict(tmp_path / "m.npz")
    for source in (model, model.state_dict(), str(tmp_path / "m.npz")):
        state = nn.torch_state_dict(source)
        assert list(state) == list(from_file)
        assert all(torch.equal(state[k], from_file[k]) for k in state)
    assert from_file["1.weight"].dtype == torch.float32


def test_a_bad_checkpoint_file_is_refused_as_module_load_refuses_it(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(nn.CheckpointError, match=r"empty\.npz.*the file is empty"):
        nn.torch_state_dict(tmp_path / "empty.npz")
    with pytest.raises(nn.CheckpointError, match=r"a single array \(\.npy\)"):
        nn.torch_state_dict(tmp_path / "one.npy")
    with pytest.raises(FileNotFoundError, match="no checkpoint file"):
        nn.torch_state_dict(tmp_path / "missing.npz")


def test_a_torch_state_dict_loads_into_chainrule_directly():
    module = every_torch_layer()
    model = every_layer()
    model.load_state_dict(module.state_dict(), strict=True)
    x = inputs(seed=10)
    np.testing.assert_allclose(model.eval()(Tensor(x)).data, torch_out(module.eval(), x), **TOL)


def test_a_scalar_mlp_checkpoint_loads_strictly_into_its_torch_model(tmp_path):
    mlp = nn.MLP(3, [4, 4, 2], seed=11)
    mlp.save(tmp_path / "mlp.npz")
    torch_model = nn.to_torch(nn.MLP(3, [4, 4, 2], seed=12))  # other weights
    torch_model.load_state_dict(nn.torch_state_dict(tmp_path / "mlp.npz"), strict=True)
    x = inputs((5, 3), seed=12)
    expected = [[v.data for v in mlp(list(row))] for row in x]
    np.testing.assert_allclose(torch_out(torch_model, x), expected, **TOL)


def test_a_linear_activation_mlp_checkpoint_needs_like_and_loads_with_it():
    mlp = nn.MLP(2, [3, 2], activation="linear", seed=13)  # Linear layers at 0 and 1
    torch_model = nn.to_torch(nn.MLP(2, [3, 2], activation="linear", seed=14))
    state = mlp.state_dict()
    with pytest.raises(RuntimeError, match="Unexpected key"):
        torch_model.load_state_dict(nn.torch_state_dict(state), strict=True)
    torch_model.load_state_dict(nn.torch_state_dict(state, like=torch_model), strict=True)
    torch_model.load_state_dict(nn.torch_state_dict(mlp), strict=True)  # the model knows
    x = inputs((4, 2), seed=15)
    expected = [[v.data for v in mlp(list(row))] for row in x]
    np.testing.assert_allclose(torch_out(torch_model, x), expected, **TOL)


def test_a_damaged_scalar_checkpoint_is_named():
    state = nn.MLP(2, [3, 1], seed=0).state_dict()
    del state["layers.0.neurons.1.w.0"]
    with pytest.raises(ValueError, match="layer 0 neuron 1"):
        nn.torch_state_dict(state)
    with pytest.raises(ValueError, match="mixed with '0.weight'"):
        nn.torch_state_dict({**nn.MLP(2, [1]).state_dict(), "0.weight": np.zeros((1, 2))})


# ---------------------------------------------------------------------- modes and flags
def test_dropout_in_eval_mode_matches_and_modes_are_copied():
    model = nn.Sequential(nn.Linear(5, 5, seed=0, dtype=F64), nn.Dropout(0.5, seed=1))
    assert nn.to_torch(model)[1].training  # train mode by default, as both libraries
    model.eval()
    converted = nn.to_torch(model)
    assert not converted.training and not converted[1].training
    x = inputs((8, 5), seed=16)
    np.testing.assert_allclose(torch_out(converted, x), model(Tensor(x)).data, **TOL)
    back = nn.from_torch(converted.train())
    assert back.training and back[1].training and back[1].p == 0.5
    out = back(Tensor(x)).data  # training: about half the outputs zeroed, the rest doubled
    assert 0 < np.mean(out == 0) < 1


def test_requires_grad_flags_are_copied():
    model = nn.Sequential(nn.Linear(2, 3, dtype=F64), nn.Linear(3, 1, dtype=F64))
    model[0].weight.requires_grad_(False)
    converted = nn.to_torch(model)
    assert [p.requires_grad for p in converted.parameters()] == [False, True, True, True]
    converted[1].bias.requires_grad_(False)
    back = nn.from_torch(converted)
    assert [p.requires_grad for p in back.parameters()] == [False, True, True, False]


# ---------------------------------------------------------------------- errors
class Scale(nn.Module):
    def forward(self, x):
        return x * 2


class MyLinear(nn.Linear):
    def forward(self, x):
        return super().forward(x) * 2


@pytest.mark.parametrize(
    "model, where",
    [
        (nn.Sequential(nn.Linear(2, 2), Scale()), "Scale at position 1"),
        (nn.Sequential(nn.ReLU(), nn.Sequential(nn.Tanh(), MyLinear(2, 2))), "MyLinear at .* 1.1"),
        (nn.Sequential(nn.MLP(2, [2])), "MLP at position 0"),
        (Scale(), "Scale;"),
        (nn.Layer(2, 3), "Layer;"),
    ],
)  # fmt: skip
def test_an_unsupported_chainrule_layer_is_named_with_its_position(model, where):
    with pytest.raises(TypeError, match=f"to_torch: unsupported layer {where}.*supported: Seq"):
        nn.to_torch(model)


@pytest.mark.parametrize(
    "module, where",
    [
        (torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.GELU()), "GELU at position 1"),
        (torch.nn.Sequential(torch.nn.Sequential(torch.nn.Conv3d(1, 1, 3))), "Conv3d at .* 0.0"),
        (torch.nn.LSTM(2, 2), "LSTM;"),
    ],
)  # fmt: skip
def test_an_unsupported_torch_layer_is_named_with_its_position(module, where):
    with pytest.raises(TypeError, match=f"from_torch: unsupported layer {where}"):
        nn.from_torch(module)


def test_an_mlp_layer_mixing_activations_is_refused():
    mlp = nn.MLP(2, [3, 1], seed=0)
    mlp.layers[0].neurons[1].activation = "tanh"
    with pytest.raises(ValueError, match="layer 0 of the MLP mixes activations"):
        nn.to_torch(mlp)


@pytest.mark.parametrize(
    "call",
    [
        lambda: nn.to_torch(nn.Sequential(nn.ReLU())),
        lambda: nn.from_torch(object()),
        lambda: nn.torch_state_dict({}),
    ],
    ids=["to_torch", "from_torch", "torch_state_dict"],
)
def test_without_torch_the_error_says_how_to_install_it(monkeypatch, call):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails
    with pytest.raises(ImportError, match="needs PyTorch") as info:
        call()
    assert "pip install torch --index-url https://download.pytorch.org/whl/cpu" in str(info.value)


def test_importing_nn_does_not_import_torch():
    code = "import nn, sys; assert 'torch' not in sys.modules, 'nn imported torch'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(nn.CheckpointError, match="one.npy"):
        nn.torch_state_dict(tmp_path / "one.npy")
    with pytest.raises(TypeError, match="got int"):
        nn.torch_state_dict(3)
