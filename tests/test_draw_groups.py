"""draw_dot(expand=True): micrograd's * and + nodes; draw_dot(collapse=...): neuron, layer and
module boxes of real networks, with their sizes and the way out of a too-big graph."""

import re

import numpy as np
import pytest

import nn
from autograd import Tensor, Value, backward_steps, draw_dot, sum_of
from autograd.value import dot


def _ops(source: str) -> list[str]:
    return re.findall(r'_op \[label="?([^" ]+)"? class=', source)


def _micrograd_neuron():
    """micrograd's lecture neuron: o = tanh(x1*w1 + x2*w2 + b)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = dot([w1, w2], [x1, x2], b)
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, n


def test_expand_draws_micrograds_mul_and_add_nodes():
    o, n = _micrograd_neuron()
    assert sorted(_ops(draw_dot(o).source)) == ["dot+b", "tanh"]  # the default stays compact
    o.backward()
    source = draw_dot(o, expand=True).source
    assert sorted(_ops(source)) == ["*", "*", "+", "+", "tanh"]
    for name in ("w1*x1", "w2*x2", "w1*x1 + w2*x2", ">n<", ">o<", ">b<"):
        assert name in source
    # each hidden product and partial sum carries the gradient of the whole sum (+ passes it on)
    assert n.grad == pytest.approx(0.5)
    assert source.count("grad 0.5") == 6  # n, the two products, the partial sum, b and x2
    assert "grad ?" not in source


def test_expand_before_backward_and_longer_sums():
    xs = [Value(float(i), label=f"v{i}") for i in range(4)]
    total = sum_of(xs)
    source = draw_dot(total, expand=True).source
    assert _ops(source) == ["+"] * 3
    assert "v0 + v1" in source and "v0 + … + v2" in source
    assert "grad ?" in source  # not computed yet, not drawn as 0
    ws, x = [Value(1.0), Value(2.0), Value(3.0)], [Value(4.0), Value(5.0), Value(6.0)]
    assert sorted(_ops(draw_dot(dot(ws, x), expand=True).source)) == ["*"] * 3 + ["+"] * 2
    assert _ops(draw_dot(dot([ws[0]], [x[0]]), expand=True).source) == ["*"]


def test_expand_with_edge_labels_and_a_step():
    o, n = _micrograd_neuron()
    source = draw_dot(o, expand=True, edge_labels=True).source
    assert source.count('label=" 1"') == 5  # 1 into each + (four), and d(w2*x2)/dx2 = w2 = 1
    assert 'label=" 2"' in source and 'label=" -3"' in source  # d(w1*x1)/dw1 = x1, /dx1 = w1
    steps = list(backward_steps(o))
    at_n = next(s for s in steps if s.node is n)
    marked = draw_dot(o, expand=True, step=at_n).source
    assert "step-current" in marked and "step-receiving" in marked


def test_expand_and_collapse_bad_input():
    o, _ = _micrograd_neuron()
    with pytest.raises(TypeError, match="expand must be True or False"):
        draw_dot(o, expand="yes")
    with pytest.raises(ValueError, match="pick one"):
        draw_dot(o, expand=True, collapse="neuron")
    with pytest.raises(ValueError, match=r"collapse must be one of \('neuron', 'layer'"):
        draw_dot(o, collapse="neurons")
    with pytest.raises(TypeError, match="gave a int, not a str"):
        draw_dot(o, collapse=lambda label: 3)


def _boxes(source: str) -> int:
    """Drawn boxes: groups and nodes drawn as themselves (not op ellipses, not the legend)."""
    return len(re.findall(r"^\tn\d+ \[", source, re.M))


def _mlp_out():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    out = model([0.5, -1.0])
    out.backward()
    return model, out


def test_collapse_layer_draws_an_mlp_in_few_boxes():
    _, out = _mlp_out()
    source = draw_dot(out, collapse="layer").source
    assert _boxes(source) <= 40
    assert _boxes(source) == 5  # x1, x2 and the three layers
    assert "<B>L1</B>" in source and "<B>L3</B>" in source
    assert "48 params: N1.w1, N1.w2, …, N16.b" in source
    assert "in: L1.N1.a, L1.N2.a, …, L1.N16.a (16)" in source
    assert source.count(" -> ") == 4  # x1 -> L1, x2 -> L1, L1 -> L2, L2 -> L3: each once
    assert draw_dot(out, collapse="module").source == source  # a scalar MLP's modules: layers


def test_collapse_neuron_boxes_and_image_size():
    model, out = _mlp_out()
    drawing = draw_dot(out, collapse="neuron")
    source = drawing.source
    assert _boxes(source) == 16 + 16 + 1 + 2
    box = re.search(r"<B>L1\.N3</B>.*?</TABLE>", source).group(0)
    assert "in: x1, x2" in box and "params: w1, w2, b" in box and "out: L1.N3.a" in box
    neuron = model.layers[0].neurons[2]
    assert "grad" in box and "grad ?" not in box
    assert all(p.label.startswith("L1.N3.") for p in neuron.parameters())
    svg = drawing.pipe(format="svg").decode()
    width, height = map(float, re.search(r'<svg width="(\d+)pt" height="(\d+)pt"', svg).groups())
    assert max(width, height) * 96 / 72 <= 4000  # pixels at the default 96 dpi
    tops = re.findall(r'<text[^>]*y="([-\d.]+)"[^>]*>(L1\.N\d+)</text>', svg)
    assert [name for _, name in sorted(tops, key=lambda t: float(t[0]))] == [
        f"L1.N{i}" for i in range(1, 17)
    ]  # the neurons in the model's order, top to bottom


def test_collapse_module_on_a_tensor_model():
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    y = model(Tensor(np.ones((4, 2), dtype=np.float32))).sum()
    source = draw_dot(y, collapse="module").source
    assert "<B>0:Linear + 1:ReLU</B>" in source  # the fused node, named by its modules
    assert "params: weight (16, 2), bias (16,)" in source
    assert "<B>2:Linear</B>" in source and "params: weight (1, 16), bias (1,)" in source
    assert "grad ?" in source  # before backward
    assert _boxes(source) == 4  # the input, two module boxes, the sum


def test_collapse_by_a_function_and_step_states():
    _, out = _mlp_out()
    source = draw_dot(out, collapse=lambda label: "net" if label.startswith("L") else None).source
    assert _boxes(source) == 3 and "<B>net</B>" in source
    model = nn.MLP(2, [2, 1], seed=0)
    out = model([1.0, -1.0])
    steps = list(backward_steps(out))
    marked = draw_dot(out, collapse="neuron", step=steps[-1]).source
    assert "step-current" in marked and "step-done" in marked


def test_too_big_for_the_level_says_the_way_out():
    _, out = _mlp_out()
    with pytest.raises(ValueError, match=r"collapse='neuron' the graph has 35 boxes.*coarser"):
        draw_dot(out, collapse="neuron", max_nodes=10, overflow="error")
    summary = draw_dot(out, collapse="neuron", max_nodes=10).source
    assert "25 more boxes" in summary and "max_nodes=35" in summary
    with pytest.raises(ValueError, match="collapse='neuron', 'layer' or 'module'"):
        draw_dot(out, max_nodes=50, overflow="error")


def test_the_stepper_page_draws_expanded(tmp_path):
    from autograd import save_steps_html

    o, _ = _micrograd_neuron()
    page = save_steps_html(o, tmp_path / "steps.html", expand=True)
    text = page.read_text(encoding="utf-8")
    assert "w1*x1 + w2*x2" in text and text.count("<svg") == 1
    units = re.search(r'"units":(\[.*?\]\]),', text).group(1)
    assert '"grad ?"' not in units  # the expanded partial sums show their sum's gradient


def _batch_loss():
    """nn.MLP(2, [4, 4, 1]) and a squared-error loss over 4 samples, after backward()."""
    model = nn.MLP(2, [4, 4, 1], seed=0)
    xs = [[2.0, 3.0], [3.0, -1.0], [0.5, 1.0], [1.0, 1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
    loss.label = "loss"
    loss.backward()
    return loss


@pytest.mark.parametrize("level", ["layer", "neuron"])
def test_a_batch_is_drawn_one_box_per_sample_and_the_loss_as_one_box(level):
    source = draw_dot(_batch_loss(), collapse=level).source
    titles = re.findall(r"<B>([^<]+)</B>", source)
    assert "loss" in titles and not re.search(r"\b(sub|pow|add)#\d", source)  # one loss box
    per_sample = [t for t in titles if " · sample " in t]
    assert sorted({t.rsplit(" ", 1)[1] for t in per_sample}) == ["1", "2", "3", "4"]
    first = "L1" if level == "layer" else "L1.N1"
    assert {f"{first} · sample {k}" for k in range(1, 5)} <= set(titles)
    assert first in titles  # its parameters, shared by the samples: one box
    assert "L1.N1.a, L1.N1.a" not in source  # no box merges the samples any more
    assert "s2:L1.N1.a" in source and "s3:x1" in source  # names say which sample
    assert "uses " in source and "params of L1" in source
    loss_box = next(line for line in source.splitlines() if "<B>loss</B>" in line)
    assert all(f"s{k}:L3.N1.z" in loss_box for k in range(1, 5))


def test_a_single_sample_keeps_its_plain_names():
    _, out = _mlp_out()
    source = draw_dot(out, collapse="layer").source
    assert " · sample" not in source and "s1:" not in source


def test_an_unlabelled_root_of_a_network_is_named_loss_not_by_its_op():
    model = nn.Sequential(nn.Linear(2, 4, seed=0), nn.ReLU(), nn.Linear(4, 1, seed=1))
    out = ((model(Tensor(np.ones((4, 2)))) - 1.0) ** 2).mean()
    source = draw_dot(out, collapse="module").source
    assert re.findall(r"<B>([^<]+)</B>", source)[0] == "loss"
    assert not re.search(r"\w+#\d", source)  # no mean#1, pow#1, sub#1 anywhere
