"""Names everywhere (issue 10), the nn part: modules label their parameters and what they compute.

Scalar MLP: parameters ``L1.N3.w1`` / ``L1.N3.b`` (layers and neurons from 1, weights from 1),
forward nodes ``x1``, ``L1.N1.z``, ``L1.N1.a``; tensor modules: the ``state_dict`` key, and
``Sequential`` outputs ``0:Linear``. State-dict keys do not change.
"""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor, Value

MLP_2_2_1 = [
    "L1.N1.w1", "L1.N1.w2", "L1.N1.b",
    "L1.N2.w1", "L1.N2.w2", "L1.N2.b",
    "L2.N1.w1", "L2.N1.w2", "L2.N1.b",
]  # fmt: skip


def graph(root):
    """Every node of the graph of ``root`` (a Value's through micrograd's ``_prev``)."""
    seen, stack = {id(root): root}, [root]
    while stack:
        node = stack.pop()
        for p in node._prev if hasattr(node, "_prev") else node.parents:
            if id(p) not in seen:
                seen[id(p)] = p
                stack.append(p)
    return list(seen.values())


# ----------------------------------------------------------------------------------- parameters
def test_mlp_parameter_labels():
    assert [p.label for p in nn.MLP(2, [2, 1]).parameters()] == MLP_2_2_1


def test_labels_are_unique_in_a_bigger_mlp():
    labels = [p.label for p in nn.MLP(3, [16, 16, 1], seed=0).parameters()]
    assert len(labels) == len(set(labels)) == 3 * 16 + 16 + 16 * 16 + 16 + 16 + 1
    assert "L2.N16.w15" in labels and "L3.N1.b" in labels


def test_state_dict_keys_do_not_change():
    m = nn.MLP(2, [2, 1])
    names = [name for name, _ in m.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert list(m.state_dict()) == names


def test_lone_neuron_and_layer():
    assert [p.label for p in nn.Neuron(2).parameters()] == ["w1", "w2", "b"]
    layer = ["N1.w1", "N1.w2", "N1.b", "N2.w1", "N2.w2", "N2.b"]
    assert [p.label for p in nn.Layer(2, 2).parameters()] == layer


def test_a_neuron_placed_in_a_layer_is_relabelled():
    n = nn.Neuron(2)
    assert n.b.label == "b"
    layer = nn.Layer(2, 1)
    layer.neurons = [layer.neurons[0], n]  # assigning the list relabels
    assert [p.label for p in n.parameters()] == ["N2.w1", "N2.w2", "N2.b"]
    out = layer([1.0, 2.0])
    assert [o.label for o in out] == ["N1.a", "N2.a"]


def test_in_place_changes_need_relabel_which_keeps_the_full_names():
    m = nn.MLP(2, [2, 1])
    n = nn.Neuron(2)
    m.layers[0].neurons[1] = n  # a list changed in place is not seen ...
    assert n.w[0].label == "w1"
    m.layers[0].relabel()  # ... until relabel; the layer remembers it is L1
    assert [p.label for p in n.parameters()] == ["L1.N2.w1", "L1.N2.w2", "L1.N2.b"]
    assert m.relabel() is m and [p.label for p in m.parameters()] == MLP_2_2_1
    with pytest.raises(TypeError, match="prefix must be a str"):
        m.relabel(3)


def test_scalar_modules_inside_a_user_module():
    class Net(nn.Module):
        def __init__(self):
            self.enc = nn.Layer(2, 2)
            self.head = nn.MLP(2, [1])
            self.scale = Value(1.0)

        def forward(self, x):
            return self.head(self.enc(x)) * self.scale

    net = Net()
    assert [p.label for p in net.parameters()] == [
        "enc.N1.w1", "enc.N1.w2", "enc.N1.b", "enc.N2.w1", "enc.N2.w2", "enc.N2.b",
        "head.L1.N1.w1", "head.L1.N1.w2", "head.L1.N1.b", "scale",
    ]  # fmt: skip
    out = net([1.0, 2.0])
    labels = {v.label for v in graph(out)}
    assert {"x1", "x2", "enc.N1.z", "enc.N2.a", "head.L1.N1.z"} <= labels


def test_a_users_label_is_never_overwritten():
    n = nn.Neuron(2)
    n.b.label = "bias"
    n.w[1] = Value(0.5, label="mine")  # a new parameter with its own label
    layer = nn.Layer(2, 1)
    layer.neurons = [n]
    mlp = nn.MLP(2, [1])
    mlp.layers = [layer]
    assert [p.label for p in mlp.parameters()] == ["L1.N1.w1", "mine", "bias"]
    n.w[0].label = "L1.N1.w1!"  # changed after an automatic label: the user's now
    mlp.relabel("outer.")
    assert [p.label for p in mlp.parameters()] == ["L1.N1.w1!", "mine", "bias"]


def test_shared_modules_and_back_references_take_their_first_name():
    class Shared(nn.Module):
        def __init__(self):
            self.a = nn.Neuron(2, seed=0)
            self.b = self.a
            self.extra = [self.a.b, Value(3.0)]

    class Child(nn.Module):
        def __init__(self, parent):
            self.parent = parent
            self.w = Value(1.0)

    class Parent(nn.Module):
        def __init__(self):
            self.child = Child(self)
            self.b = Value(2.0)

    assert [p.label for p in Shared().parameters()] == ["a.w1", "a.w2", "a.b", "extra.1"]
    m = Parent()
    assert [p.label for p in m.parameters()] == ["child.w", "b"]
    m.child.w = Value(5.0)  # set on the child later: it keeps its place, the parent its labels
    m.child.relabel()
    assert [p.label for p in m.parameters()] == ["child.w", "b"]


def test_an_attribute_set_on_a_placed_module_keeps_the_full_names():
    m = nn.MLP(2, [2, 1])
    m.layers[0].neurons = [nn.Neuron(2), nn.Neuron(2)]
    assert [p.label for p in m.parameters()] == MLP_2_2_1
    assert m.layers[0].neurons[1]([1.0, 2.0]).label == "L1.N2.a"

    class Net(nn.Module):
        def __init__(self):
            self.body = nn.Sequential(nn.Linear(2, 2))

    net = Net()
    net.body.append(nn.Linear(2, 1))
    assert [p.label for p in net.parameters()] == list(net.state_dict())
    assert net.body[1].bias.label == "body.1.bias"


# ----------------------------------------------------------------------------------- forward
def test_mlp_forward_labels_every_node():
    m = nn.MLP(2, [2, 1], seed=0)
    out = m([1.0, -2.0])  # numbers become labelled constants
    assert out.label == "L2.N1.z"  # the last layer is linear: its z is the output
    nodes = graph(out)
    labels = sorted(v.label for v in nodes)
    forward = ["L1.N1.a", "L1.N1.z", "L1.N2.a", "L1.N2.z", "L2.N1.z", "x1", "x2"]
    assert labels == sorted(MLP_2_2_1 + forward)  # every node named, each name once
    x1 = next(v for v in nodes if v.label == "x1")
    assert x1.data == 1.0 and not x1.requires_grad


def test_forward_assigns_label_strings_made_once():
    m = nn.MLP(2, [2, 1], seed=0)
    a, b = m([1.0, 2.0]), m([3.0, 4.0])
    assert a.label is b.label  # the same string object: no formatting per forward pass
    one = nn.MLP(1, [1])(3.0)  # one input may be passed bare
    assert one.label == "L1.N1.z" and {"x1", "L1.N1.w1"} <= {v.label for v in graph(one)}


def test_value_inputs_keep_a_users_label():
    m = nn.MLP(2, [2, 1], seed=0)
    x = [Value(1.0, label="height"), Value(2.0)]
    m(x)
    assert [v.label for v in x] == ["height", "x2"]


def test_lone_neuron_and_layer_forward_labels():
    out = nn.Neuron(2, activation="tanh")([1.0, 2.0])
    assert out.label == "a" and out.op == "tanh"
    assert sorted(v.label for v in graph(out)) == ["a", "b", "w1", "w2", "x1", "x2", "z"]
    linear = nn.Layer(2, 1, nonlin=False)(np.array([1.0, 2.0]))
    assert linear.label == "N1.z"
    with pytest.raises(ValueError, match="Neuron expects 2 inputs, got 3"):
        nn.Layer(2, 2)([1.0, 2.0, 3.0])


def test_forward_labels_do_not_change_the_numbers():
    m = nn.MLP(3, [4, 4, 1], seed=0)
    x = [0.5, -1.5, 2.0]
    out = m(x)
    out.backward()
    h = [n([Value(v) for v in x]) for n in m.layers[0].neurons]  # by hand, neuron by neuron
    h = [n(h) for n in m.layers[1].neurons]
    assert out.data == m.layers[2].neurons[0](h).data


# ----------------------------------------------------------------------------------- tensors
def test_tensor_labels_are_the_state_dict_keys():
    lone = nn.Linear(2, 3)
    assert (lone.weight.label, lone.bias.label) == ("weight", "bias")
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    keys = list(model.state_dict())
    assert keys == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [p.label for p in model.parameters()] == keys
    assert [name for name, _ in model.named_parameters()] == keys
    model.append(nn.Linear(1, 1))
    assert model[3].weight.label == "3.weight"


def test_tensor_labels_in_a_user_module_and_a_slice():
    class Net(nn.Module):
        def __init__(self):
            self.body = nn.Sequential(nn.Linear(2, 4), nn.Tanh())
            self.fc = nn.Linear(4, 1)

        def forward(self, x):
            return self.fc(self.body(x))

    net = Net()
    keys = list(net.state_dict())
    assert keys == ["body.0.weight", "body.0.bias", "fc.weight", "fc.bias"]
    assert [p.label for p in net.parameters()] == keys
    net.body[0:1]  # a slice is a view: it does not relabel
    assert net.body[0].weight.label == "body.0.weight"
    net(Tensor(np.ones((3, 2))))


def test_sequential_labels_its_outputs():
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 1)).eval()
    x = Tensor(np.ones((3, 2)))
    out = model(x)
    assert out.label == "3:Linear" and x.label == ""
    labels = {t.label for t in graph(out)} | {t._fn.display for t in graph(out) if t._fn}
    assert {"0:Linear", "1:ReLU", "0.weight", "3.bias"} <= labels
    assert "2:Dropout" not in labels  # in eval mode Dropout returns its input unchanged
    nested = nn.Sequential(nn.Sequential(nn.Linear(2, 2), nn.ReLU()), nn.Linear(2, 1))
    nodes = graph(nested(x))
    shown = {t.label for t in nodes} | {t._fn.display for t in nodes if t._fn}
    assert {"0.0:Linear", "0.1:ReLU", "1:Linear"} <= shown


def test_sequential_keeps_an_output_label_set_by_the_module():
    class Named(nn.Module):
        def forward(self, x):
            y = x * 2.0
            y.label = "doubled"
            return y

    out = nn.Sequential(nn.Linear(2, 2), Named())(Tensor(np.ones((1, 2))))
    assert out.label == "doubled"


# ----------------------------------------------------------------------------------- state
def test_state_dict_round_trip_keeps_labels(tmp_path):
    a, b = nn.MLP(2, [3, 1], seed=0), nn.MLP(2, [3, 1], seed=1)
    b.load_state_dict(a.state_dict())
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]
    assert [p.label for p in b.parameters()] == [p.label for p in a.parameters()]
    path = tmp_path / "m.npz"
    t = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    t.save(path)
    u = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).load(path)
    for p, q in zip(t.parameters(), u.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
        assert p.label == q.label
