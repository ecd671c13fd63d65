"""The convolution layers (``nn/conv.py``): ``state_dict`` keys, shapes and initialisation as
PyTorch's, ``to_torch``/``from_torch`` and checkpoints, ``fit`` and ``compile_step`` on a tiny
CNN, drawings by module."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor, draw_dot

torch = pytest.importorskip("torch")
F64 = np.float64


def tiny_cnn(dtype=F64, seed=0, classes=3) -> nn.Sequential:
    """conv 1->4 3x3 pad 1, relu, maxpool 2, conv 4->6 3x3 (groups 2), relu, avgpool 2, linear."""
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, seed=seed, dtype=dtype), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, padding=1, groups=2, seed=seed + 1, dtype=dtype), nn.ReLU(),
        nn.AvgPool2d(2), nn.Flatten(), nn.Linear(6 * 2 * 2, classes, seed=seed + 2, dtype=dtype),
    )  # fmt: skip


def test_state_dict_keys_and_shapes_are_torch_ones():
    ours = tiny_cnn()
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 6, 3, padding=1, groups=2), torch.nn.ReLU(), torch.nn.AvgPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(24, 3),
    )  # fmt: skip
    mine = ours.state_dict()
    assert list(mine) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert mine[key].shape == tuple(value.shape)
    assert ours.num_parameters() == sum(p.numel() for p in theirs.parameters())
    no_bias = nn.Conv2d(2, 4, (3, 2), bias=False)
    assert list(no_bias.state_dict()) == ["weight"] and no_bias.weight.shape == (4, 2, 3, 2)


def test_initialisation_is_torch_default_uniform():
    # PyTorch: kaiming_uniform(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in =
    # in_channels/groups * kh * kw; the bias the same bound
    layer = nn.Conv2d(6, 42, (3, 5), groups=3, seed=1)
    bound = 1 / np.sqrt(2 * 3 * 5)
    w, b = layer.weight.data, layer.bias.data
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.95 * bound  # 1,260 draws fill the interval
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound  # a uniform's standard deviation
    again = nn.Conv2d(6, 42, (3, 5), groups=3, seed=1)
    np.testing.assert_array_equal(again.weight.data, w)
    tw = torch.nn.Conv2d(6, 42, (3, 5), groups=3).weight.detach().numpy()
    assert np.abs(tw).max() <= bound and abs(tw.std() - w.std()) < 0.05 * bound


def test_to_torch_and_back_compute_the_same():
    model = tiny_cnn()
    x = np.random.default_rng(0).normal(size=(5, 1, 8, 8))
    theirs = nn.to_torch(model)
    assert isinstance(theirs[0], torch.nn.Conv2d) and theirs[3].groups == 2
    np.testing.assert_allclose(model(Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)  # fmt: skip
    back = nn.from_torch(theirs)
    assert [type(m) for m in back] == [type(m) for m in model]
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[key], value)
    np.testing.assert_allclose(back(Tensor(x)).data, model(Tensor(x)).data, rtol=1e-12)
    # gradients of the parameters agree with torch's too
    nn.cross_entropy(model(Tensor(x)), np.arange(5) % 3).backward()
    torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.arange(5) % 3).backward()
    for (key, p), tp in zip(model.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-8, atol=1e-12, err_msg=key)


def test_checkpoint_loads_into_torch(tmp_path):
    model = tiny_cnn(np.float32)
    model.save(tmp_path / "cnn.npz")
    theirs = nn.to_torch(tiny_cnn(np.float32, seed=7))
    theirs.load_state_dict(nn.torch_state_dict(tmp_path / "cnn.npz"))
    x = np.random.default_rng(1).normal(size=(2, 1, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(theirs(torch.tensor(x)).detach().numpy(), model(x).data,
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    loaded = tiny_cnn(np.float32, seed=9).load(tmp_path / "cnn.npz")
    np.testing.assert_array_equal(loaded(x).data, model(x).data)


def test_from_torch_refuses_what_it_cannot_copy():
    with pytest.raises(TypeError, match="padding='same'"):
        nn.from_torch(torch.nn.Conv2d(1, 2, 3, padding="same"))
    with pytest.raises(TypeError, match="MaxPool2d"):
        nn.from_torch(torch.nn.MaxPool2d(2, ceil_mode=True))


def test_layers_check_their_arguments():
    with pytest.raises(ValueError, match=r"groups=2 must divide in_channels \(3\)"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="kernel_size"):
        nn.Conv2d(1, 4, 0)
    with pytest.raises(ValueError, match="in_channels"):
        nn.Conv2d(0, 4, 3)
    with pytest.raises(ValueError, match="stride"):
        nn.MaxPool2d(2, stride=(1, 2, 3))
    with pytest.raises(ValueError, match="4 channels"):
        nn.Conv2d(2, 3, 3)(np.ones((1, 4, 5, 5), np.float32))


def test_repr_says_the_geometry():
    text = repr(tiny_cnn())
    assert "Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))" in text
    assert "groups=2" in text and "MaxPool2d(kernel_size=(2, 2), stride=(2, 2)" in text


def digits_images(n: int = 300):
    X, y = nn.datasets.digits()
    return X[:n].reshape(-1, 1, 8, 8).astype(np.float32), y[:n]


def test_fit_trains_a_tiny_cnn():
    X, y = digits_images()
    nn.manual_seed(0)
    model = tiny_cnn(np.float32, classes=10)
    history = nn.fit(model, X, y, nn.cross_entropy, nn.Adam(model.parameters(), lr=0.01),
                     epochs=10, batch_size=32, seed=0, progress=False)  # fmt: skip
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert history.history["accuracy"][-1] > 0.7


def test_compile_step_replays_a_cnn_exactly():
    X, y = digits_images(128)
    plain, compiled = tiny_cnn(np.float32, classes=10), tiny_cnn(np.float32, classes=10)
    step = nn.compile_step(compiled, nn.cross_entropy, nn.SGD(compiled.parameters(), lr=0.1))
    optimizer = nn.SGD(plain.parameters(), lr=0.1)
    for k in range(6):
        xb, yb = X[32 * (k % 4) :][:32], y[32 * (k % 4) :][:32]
        optimizer.zero_grad()
        loss = nn.cross_entropy(plain(Tensor(xb)), yb)
        loss.backward()
        optimizer.step()
        np.testing.assert_allclose(step(xb, yb), loss.item(), rtol=1e-6)
    for key, value in plain.state_dict().items():
        np.testing.assert_allclose(compiled.state_dict()[key], value, rtol=1e-5, atol=1e-7)


def test_draw_dot_by_module():
    model = tiny_cnn()
    loss = nn.cross_entropy(model(Tensor(np.ones((2, 1, 8, 8)))), np.array([0, 1]))
    dot = draw_dot(loss, collapse="module")
    source = dot.source
    for name in ("0:Conv2d", "2:MaxPool2d", "3:Conv2d", "5:AvgPool2d", "7:Linear"):
        assert name in source


# ----------------------------------------------------------------------------------- plots
def test_plot_filters_draws_one_image_per_output_channel():
    pytest.importorskip("matplotlib")
    layer = nn.Conv2d(3, 5, 3, seed=0)
    fig = nn.plot_filters(layer, columns=4)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 5
    np.testing.assert_allclose(images[2].get_array(), layer.weight.data[2].mean(axis=0), rtol=1e-5)
    fig = nn.plot_filters(layer, in_channel=1)
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), layer.weight.data[0, 1])
    with pytest.raises(ValueError, match="in_channel 3"):
        nn.plot_filters(layer, in_channel=3)
    with pytest.raises(TypeError, match="Conv2d"):
        nn.plot_filters(nn.Linear(2, 2))


def test_feature_maps_are_each_conv_layers_output():
    pytest.importorskip("matplotlib")
    model = tiny_cnn()
    x = np.random.default_rng(0).normal(size=(1, 8, 8))
    maps = nn.plots.conv.feature_maps(model, x)
    assert [name for name, _ in maps] == ["0:Conv2d+ReLU", "3:Conv2d+ReLU"]
    np.testing.assert_allclose(maps[0][1], model[1](model[0](Tensor(x[None]))).data[0])
    assert maps[1][1].shape == (6, 4, 4)
    raw = nn.plots.conv.feature_maps(model, x, activation=False)
    assert raw[0][1].min() < 0 <= maps[0][1].min()
    fig = nn.plot_feature_maps(model, x)
    assert sum(1 for ax in fig.axes if ax.images) == 1 + 4 + 6
    with pytest.raises(ValueError, match="one input"):
        nn.plot_feature_maps(model, np.ones((2, 1, 8, 8)))


def test_animate_convolution_fills_the_output_cell_by_cell():
    pytest.importorskip("matplotlib")
    image = np.random.default_rng(1).normal(size=(6, 5))
    kernel = np.arange(9.0).reshape(3, 3) / 10
    anim = nn.animate_convolution(image, kernel, bias=0.5, stride=2, padding=1)
    out = conv2d_reference(image, kernel, 0.5, 2, 1)
    assert anim._save_count == out.size or len(list(anim.new_frame_seq())) == out.size
    anim._func(out.size - 1)  # the last frame: every cell filled in
    shown = anim._fig.axes[2].images[0].get_array()
    np.testing.assert_allclose(shown, out)
    assert "output[2, 2]" in anim._fig.axes[2].get_title()
    html = nn.animation_html(anim)
    assert "<script" in html and "https://" not in html.split("<script")[0]
    with pytest.raises(ValueError, match="2-D"):
        nn.animate_convolution(np.ones((1, 4, 4)), kernel)


def conv2d_reference(image, kernel, bias, stride, padding):
    """PyTorch's convolution of one 2-D image by one 2-D kernel."""
    x = torch.tensor(image)[None, None]
    w = torch.tensor(kernel)[None, None]
    return torch.nn.functional.conv2d(
        x, w, torch.tensor([bias], dtype=torch.float64), stride, padding
    )[0, 0].numpy()
