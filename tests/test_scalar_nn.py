"""The scalar nn (micrograd's Neuron, Layer, MLP) as Modules, trained by nn.fit."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Value


def test_mlp_matches_micrograd_with_the_same_weights():
    micrograd_nn = pytest.importorskip("micrograd.nn")
    ours = nn.MLP(3, [4, 4, 1], seed=0)
    theirs = micrograd_nn.MLP(3, [4, 4, 1])
    for p, q in zip(ours.parameters(), theirs.parameters()):
        q.data = p.data
    x = [0.5, -1.5, 2.0]
    out, ref = ours(x), theirs(x)
    out.backward()
    ref.backward()
    assert out.data == pytest.approx(ref.data, rel=1e-12)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert p.grad == pytest.approx(q.grad, rel=1e-12, abs=1e-15)


def test_micrograd_defaults_and_options():
    m = nn.MLP(2, [3, 2], seed=4)
    assert all(-1 <= p.data <= 1 for n in m.layers[0].neurons for p in n.w)
    assert all(n.b.data == 0.0 for layer in m.layers for n in layer.neurons)
    assert [n.nonlin for n in m.layers[0].neurons] == [True] * 3
    assert [n.nonlin for n in m.layers[1].neurons] == [False] * 2
    out = m([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2  # several outputs: a list
    assert isinstance(nn.MLP(2, [1])([1.0, 2.0]), Value)  # one output: bare
    tanh = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    assert tanh.layers[0].neurons[0]([5.0, 5.0]).op == "tanh"
    assert [p.data for p in nn.MLP(2, [3, 1], seed=9).parameters()] == [
        p.data for p in nn.MLP(2, [3, 1], seed=9).parameters()
    ]


def test_scalar_errors():
    with pytest.raises(ValueError, match="nin must be a positive int"):
        nn.Neuron(0)
    with pytest.raises(ValueError, match="activation must be one of"):
        nn.MLP(2, [2], activation="gelu")
    with pytest.raises(ValueError, match="Neuron expects 2 inputs, got 3"):
        nn.MLP(2, [2])([1.0, 2.0, 3.0])


def _manual_micrograd_loop(model, X, y, steps):
    """micrograd's demo loop, written out by hand (the reference for fit)."""
    losses = []
    for k in range(steps):
        scores = [model([Value(a), Value(b)]) for a, b in X]
        data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y, scores)) * (1.0 / len(y))
        total = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        lr = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= lr * p.grad
        losses.append(total.data)
    return losses


def test_fit_reproduces_micrograds_training_loop_step_for_step():
    X, y01 = nn.datasets.moons(20, noise=0.1, seed=1)
    y = 2 * y01 - 1
    ref_model = nn.MLP(2, [4, 4, 1], seed=2)
    ref_losses = _manual_micrograd_loop(ref_model, X.tolist(), y.tolist(), steps=5)

    model = nn.MLP(2, [4, 4, 1], seed=2)

    def loss(scores, labels):
        return nn.hinge_loss(scores, labels) + 1e-4 * nn.l2_penalty(model.parameters())

    opt = nn.SGD(model.parameters(), lr=1.0)
    history = nn.fit(
        model,
        X,
        y,
        loss,
        opt,
        epochs=5,
        batch_size=None,
        schedule=nn.LambdaLR(opt, lambda k: 1.0 - 0.9 * k / 100),
        progress=False,
    )
    np.testing.assert_allclose(history.iteration_loss, ref_losses, rtol=1e-12)
    np.testing.assert_allclose(
        [p.data for p in model.parameters()], [p.data for p in ref_model.parameters()], rtol=1e-11
    )
    assert history.lr == pytest.approx([1.0, 0.991, 0.982, 0.973, 0.964])


def test_scalar_mlp_learns_xor_with_minibatches_and_lists():
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 4
    y = [0, 1, 1, 0] * 4
    model = nn.MLP(2, [8, 1], activation="tanh", seed=1)
    opt = nn.Adam(model.parameters(), lr=0.05)
    history = nn.fit(
        model,
        X,
        y,
        nn.binary_cross_entropy_with_logits,
        opt,
        epochs=60,
        batch_size=4,
        progress=False,
        seed=0,
    )
    assert history.params["iterations_per_epoch"] == 4
    assert len(history.iteration_loss) == 240
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]
    assert history.history["accuracy"][-1] == 1.0
    assert nn.evaluate(model, X, y, metrics=["accuracy"]) == {"accuracy": 1.0}
    pred = nn.predict(model, X[:4])
    assert pred.shape == (4,) and list(pred > 0) == [False, True, True, False]


def test_scalar_multiclass_with_cross_entropy():
    X, y = nn.datasets.spirals(n_samples=30, n_classes=3, noise=0.0, seed=0)
    model = nn.MLP(2, [16, 3], seed=0)
    opt = nn.Adam(model.parameters(), lr=0.05)
    history = nn.fit(model, X, y, nn.cross_entropy, opt, epochs=40, batch_size=10, progress=False)
    assert history.history["loss"][-1] < history.history["loss"][0] / 2
    assert nn.predict(model, X).shape == (30, 3)
    assert history.history["accuracy"][-1] > 0.7


def test_mlp_layer_sizes_must_be_a_list_of_ints():
    with pytest.raises(TypeError, match=r"nouts must be a list of layer sizes.*MLP\(2, \[3\]\)"):
        nn.MLP(2, 3)


def test_unseeded_mlp_draws_from_the_global_random_state_as_micrograd_does():
    import random

    random.seed(1337)
    first = [p.data for p in nn.MLP(2, [16, 16, 1]).parameters()]
    random.seed(1337)
    assert [p.data for p in nn.MLP(2, [16, 16, 1]).parameters()] == first
    micrograd_nn = pytest.importorskip("micrograd.nn")
    random.seed(1337)
    assert [p.data for p in micrograd_nn.MLP(2, [16, 16, 1]).parameters()] == first
