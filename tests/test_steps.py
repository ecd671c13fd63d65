"""backward_steps: the same walk as backward(), one node at a time, with the chain rule spelled out.

After the last step every gradient equals backward()'s; each step's numbers obey the chain rule;
the local derivatives agree with finite differences of the op's forward."""

import math
import random
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import is_grad_enabled, no_grad
from autograd.value import FloatMath, Value, dot, sum_of
from autograd.viz.draw import collect_nodes, draw_dot
from autograd.viz.steps import BackwardStep, backward_steps
from nn.scalar import MLP


# ----------------------------------------------------------------------- graphs to step through
def micrograd_example():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = Value(10.0, label="c", requires_grad=False)
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = (d * f + a).tanh()
    L.label = "L"
    return L


def reuse():  # one node feeding an op twice and several ops
    x = Value(1.3, label="x")
    return x * x + x * 3.0 - x / (x + 2.0) + x**3


def diamond():
    x = Value(0.7, label="x")
    a, b = x.exp(), x.sin()
    return (a * b + a.sigmoid() - b.relu()).log()


def deep_chain(n=2000):
    x = Value(0.5, label="x")
    y = x
    for i in range(n):
        y = (y * 0.999 + 0.001 * i).tanh() if i % 2 else y + x * 1e-3
    return y


def every_op():
    a, b = Value(0.8, label="a"), Value(1.7, label="b")
    terms = [a**b, b / a, abs(a - b), a.sqrt(), b.cos(), -a, 2.0**a, a.relu(), (a - 5).relu()]
    return sum_of(terms) * dot([a, b], [b, 3.0], bias=a)


def mlp_loss():
    model = MLP(3, [4, 4, 1], seed=0)
    xs = [[1.0, -2.0, 0.5], [0.3, 0.1, -1.2], [-0.7, 0.4, 2.0]]
    ys = [1.0, -1.0, 1.0]
    return sum_of((model(x) - y) ** 2 for x, y in zip(xs, ys)) / len(xs)


GRAPHS = [micrograd_example, reuse, diamond, deep_chain, every_op, mlp_loss]


def grads_after(build, run):
    root = build()
    run(root)
    return [n.grad for n in collect_nodes(root)]


def take_all_steps(root, **kwargs):
    return list(backward_steps(root, **kwargs))


# ----------------------------------------------------------------------------------- equality
@pytest.mark.parametrize("build", GRAPHS, ids=[g.__name__ for g in GRAPHS])
def test_after_the_last_step_grads_equal_backward(build):
    expected = grads_after(build, lambda root: root.backward())
    got = grads_after(build, take_all_steps)
    assert got == expected  # the same walk: bit-for-bit the same floats
    assert any(g not in (0.0, None) for g in got)


@pytest.mark.parametrize("build", GRAPHS, ids=[g.__name__ for g in GRAPHS])
def test_repeated_step_throughs_accumulate_like_backward(build):
    def twice_backward(root):
        root.backward()
        root.backward(2.5)

    def twice_steps(root):
        take_all_steps(root)
        take_all_steps(root, grad=2.5)

    assert grads_after(build, twice_steps) == grads_after(build, twice_backward)


@given(st.lists(st.floats(-2, 2), min_size=3, max_size=3), st.integers(0, 2**16))
def test_random_expressions_match_backward(xs, seed):
    def build():
        rng = random.Random(seed)
        nodes = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
        ops = [
            lambda a, b: a + b,
            lambda a, b: a * b,
            lambda a, b: a - b,
            lambda a, b: a.tanh() * b,
            lambda a, b: (a * a + 1.0).log() + b.sigmoid(),
        ]
        for _ in range(12):
            a, b = rng.choice(nodes), rng.choice(nodes)
            nodes.append(rng.choice(ops)(a, b))
        return sum_of(nodes[-4:])

    assert grads_after(build, take_all_steps) == grads_after(build, lambda r: r.backward())


# --------------------------------------------------------------------------- the step records
def test_steps_go_from_the_root_to_the_leaves_once_per_op():
    L = micrograd_example()
    steps = take_all_steps(L)
    ops = [n for n in collect_nodes(L) if n._fn is not None and n.requires_grad]
    assert [s.index for s in steps] == list(range(1, len(ops) + 1))
    assert {id(s.node) for s in steps} == {id(n) for n in ops}
    assert steps[0].node is L and steps[0].upstream == 1.0
    assert all(isinstance(s, BackwardStep) and s.root is L for s in steps)
    position = {id(s.node): s.index for s in steps}
    for s in steps:  # a node's step comes after the steps of every op that uses it
        for p in s.parents:
            if id(p) in position:
                assert position[id(p)] > s.index


@pytest.mark.parametrize("build", [micrograd_example, reuse, every_op, mlp_loss])
def test_each_step_obeys_the_chain_rule(build):
    for s in backward_steps(build()):
        assert s.upstream == s.node.grad  # d(root)/d(node) is complete when its rule runs
        assert len(s.parents) == len(s.local) == len(s.contributions) == len(s.accumulated)
        for parent, local, c, total in zip(s.parents, s.local, s.contributions, s.accumulated):
            if parent.requires_grad:
                assert c == pytest.approx(s.upstream * local, rel=1e-12, abs=1e-300)
                assert total is not None
            else:
                assert c is None and total is None


@pytest.mark.parametrize("build", [micrograd_example, reuse, diamond, every_op])
def test_local_derivatives_agree_with_finite_differences(build):
    checked = 0
    for s in backward_steps(build()):
        fn = s.node._fn
        if not hasattr(fn, "forward"):  # n-ary sum/dot: checked by the chain-rule test
            continue
        inputs = [p.data for p in s.parents]
        for i, local in enumerate(s.local):
            if local is None and not s.parents[i].requires_grad:
                continue  # a rule may skip the derivative of a constant (Pow's exponent)
            h = 1e-6
            up, down = list(inputs), list(inputs)
            up[i] += h
            down[i] -= h
            numeric = (fn.forward(FloatMath, *up) - fn.forward(FloatMath, *down)) / (2 * h)
            assert local == pytest.approx(numeric, rel=1e-5, abs=1e-6), (fn.name, i)
            checked += 1
    assert checked >= 4


def test_accumulated_gradient_after_the_last_use_is_the_final_gradient():
    x = Value(1.3, label="x")
    y = Value(-0.4, label="y")
    z = (x * y + x.exp()) * (y - x)
    steps = take_all_steps(z)
    last = {}
    for s in steps:
        for p, total in zip(s.parents, s.accumulated):
            if p.requires_grad:
                last[id(p)] = total
    assert last[id(x)] == x.grad and last[id(y)] == y.grad
    assert x.grad == pytest.approx(
        (y.data + math.exp(1.3)) * (-0.4 - 1.3) - (1.3 * -0.4 + math.exp(1.3))
    )


def test_str_spells_out_the_chain_rule():
    steps = take_all_steps(micrograd_example())
    first = str(steps[0])
    assert first.startswith("step 1: L = tanh(")
    assert "dL/dL = 1" in first
    mul = next(s for s in steps if s.node.label == "e")
    text = str(mul)
    assert "e = a * b" in text
    upstream = mul.upstream
    assert f"dL/da += dL/de * de/da = {upstream:.4g} * -3 = {upstream * -3:.4g}" in text
    assert f"dL/db += dL/de * de/db = {upstream:.4g} * 2 = {upstream * 2:.4g}" in text
    plus = next(s for s in steps if s.node.label == "d")
    assert "c: needs no gradient (a constant)" in str(plus)
    assert repr(mul) == "<BackwardStep 5: e = a * b>"


def test_nodes_for_highlighting_and_op_name():
    steps = take_all_steps(micrograd_example())
    s = steps[-1]
    assert s.op == "*"
    assert s.nodes[0] is s.node and s.nodes[1:] == s.parents


def test_stopping_early_does_not_finish_the_walk():
    x = Value(2.0, label="x")
    y = (x * x).exp() * 3.0
    steps = backward_steps(y)
    next(steps)
    steps.close()
    assert is_grad_enabled()
    # the walk was abandoned before it reached x; a full step-through afterwards is exact
    assert x.grad == 0.0
    x.grad = 0.0
    take_all_steps(y)
    assert x.grad == pytest.approx(3.0 * math.exp(4.0) * 4.0)


def test_code_between_steps_runs_in_the_callers_grad_mode():
    x = Value(2.0, label="x")
    y = (x * x).exp()
    steps = backward_steps(y)
    next(steps)
    assert is_grad_enabled()
    assert (x * 3.0).requires_grad  # graphs can be built between steps
    other = x.sin() * 2.0
    with no_grad():
        quiet = backward_steps(other)
        next(quiet)
        assert not is_grad_enabled()
    for _ in quiet:
        assert is_grad_enabled()
    for _ in steps:
        assert is_grad_enabled()
    assert is_grad_enabled()
    assert x.grad == pytest.approx(4.0 * math.exp(4.0) + 2.0 * math.cos(2.0))


def test_bad_roots_are_refused_at_the_call():
    with pytest.raises(TypeError, match="Value or Tensor"):
        backward_steps(3.0)
    with pytest.raises(RuntimeError, match="does not require grad"):
        backward_steps(Value(1.0, requires_grad=False) * 2)
    with pytest.raises(TypeError, match="real number"):
        backward_steps(Value(1.0) * 2, grad="one")


# ------------------------------------------------------------------------------- Tensor graphs
def tensor_mlp():
    from autograd.tensor import Tensor

    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(5, 3)), dtype=np.float64, label="x")
    W1 = Tensor(rng.normal(size=(3, 4)), requires_grad=True, dtype=np.float64, label="W1")
    b1 = Tensor(np.zeros(4), requires_grad=True, dtype=np.float64, label="b1")
    W2 = Tensor(rng.normal(size=(4, 1)), requires_grad=True, dtype=np.float64, label="W2")
    h = (x @ W1 + b1).relu()
    out = (h @ W2).sigmoid()
    return ((out - 0.5) ** 2).mean() + (W1 * W1).sum() * 1e-3


def tensor_reuse_and_broadcast():
    from autograd.tensor import Tensor

    a = Tensor(np.linspace(-1, 1, 6).reshape(3, 2), requires_grad=True, dtype=np.float64)
    a.label = "a"
    col = Tensor([[0.5], [1.0], [-2.0]], requires_grad=True, dtype=np.float64, label="col")
    y = a * a + a * col - (a / (col * col + 1.0)).tanh()  # col (3, 1) broadcasts over (3, 2)
    return (y.exp() * a).sum()


def tensor_diamond_chain(n=200):
    from autograd.tensor import Tensor

    x = Tensor([0.3, -0.2, 0.9], requires_grad=True, dtype=np.float64, label="x")
    y = x
    for _ in range(n):
        left, right = y.sin(), y.cos()
        y = left * right + x * 0.01
    return y.sum()


TENSOR_GRAPHS = [tensor_mlp, tensor_reuse_and_broadcast, tensor_diamond_chain]


def tensor_grads_after(build, run):
    root = build()
    nodes = collect_nodes(root)  # before backward frees the graph
    run(root)
    return [n.grad for n in nodes]


@pytest.mark.parametrize("build", TENSOR_GRAPHS, ids=[g.__name__ for g in TENSOR_GRAPHS])
def test_tensor_grads_after_the_last_step_equal_backward(build):
    expected = tensor_grads_after(build, lambda root: root.backward())
    got = tensor_grads_after(build, take_all_steps)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert (g is None and e is None) or np.array_equal(g, e)
    assert sum(g is not None for g in got) >= 3


@pytest.mark.parametrize("build", TENSOR_GRAPHS, ids=[g.__name__ for g in TENSOR_GRAPHS])
def test_tensor_contributions_add_up_to_the_gradients(build):
    root = build()
    leaves = [n for n in collect_nodes(root) if n.is_leaf and n.requires_grad]
    total = {id(leaf): None for leaf in leaves}
    for s in backward_steps(root):
        for parent, c in zip(s.parents, s.contributions):
            if c is None:
                continue
            assert c.shape == parent.shape  # broadcasting undone, as the core does
            if id(parent) in total:
                before = total[id(parent)]
                total[id(parent)] = c if before is None else before + c
    for leaf in leaves:
        np.testing.assert_allclose(total[id(leaf)], leaf.grad, rtol=1e-12, atol=1e-15)


def test_tensor_local_derivatives_only_where_elementwise():
    steps = take_all_steps(tensor_mlp())
    by_op = {}
    for s in steps:
        by_op.setdefault(s.op, []).append(s)
    assert all(loc is None for s in by_op["@"] for loc in s.local)  # a Jacobian
    assert all(loc is None for s in by_op["mean"] + by_op["sum"] for loc in s.local)
    for s in by_op["sigmoid"] + by_op["ReLU"]:
        (local,) = s.local
        np.testing.assert_allclose(s.contributions[0], s.upstream * local, rtol=1e-12)
    (sig,) = by_op["sigmoid"]
    out = sig.node.data
    np.testing.assert_allclose(sig.local[0], out * (1 - out))
    text = "\n".join(str(s) for s in steps)
    assert "(a vector-Jacobian product)" in text and "(elementwise)" in text
    assert "dW1 += " in text and "norm" in text


def test_tensor_broadcast_operand_has_no_elementwise_local():
    from autograd.tensor import Tensor

    a = Tensor(np.ones((3, 2)), requires_grad=True, dtype=np.float64, label="a")
    col = Tensor(np.full((3, 1), 2.0), requires_grad=True, dtype=np.float64, label="col")
    (step, mul) = take_all_steps((a * col).sum())
    assert mul.op == "*"
    np.testing.assert_array_equal(mul.local[0], np.full((3, 2), 2.0))  # d(a*col)/da = col
    assert mul.local[1] is None  # col was broadcast: its derivative is not elementwise
    np.testing.assert_array_equal(mul.contributions[1], np.full((3, 1), 2.0))  # summed back
    np.testing.assert_array_equal(col.grad, np.full((3, 1), 2.0))


# ------------------------------------------------------------------- the gradients of a step
@pytest.mark.parametrize("build", [micrograd_example, reuse, mlp_loss])
def test_each_record_carries_the_gradients_as_of_its_step(build):
    """Collected first, read afterwards: record k's grads are what .grad held right after
    step k, not the final ones (as one reads them while stepping)."""
    root = build()
    live = []
    for _ in backward_steps(root):
        live.append({id(n): n.grad for n in collect_nodes(root) if n.requires_grad})
    root = build()
    records = list(backward_steps(root))
    final = {id(n): n.grad for n in collect_nodes(root) if n.requires_grad}
    assert len(records) == len(live)
    order = [n for n in collect_nodes(root) if n.requires_grad]
    for record, then in zip(records, live):
        ours = [record.grad_of(n) for n in order]
        assert ours == list(then.values())  # same nodes, same order in both graphs
        for p, total in zip(record.parents, record.accumulated):
            if total is not None:
                assert record.grad_of(p) == total
    assert [records[-1].grad_of(n) for n in order] == list(final.values())
    assert records[0].grads != records[-1].grads  # not the final gradients throughout


def _boxes(source: str) -> dict:
    """{label: the rest of its box's cells} of a drawing's DOT text."""
    return {m.group(1): m.group(2) for m in re.finditer(r"<TD>([^<]+)</TD>(.*?)</TR>", source)}


def test_draw_dot_of_a_collected_record_shows_that_steps_gradients():
    """steps = list(backward_steps(L)); draw_dot(L, step=steps[2]): b's gradient as it was at
    step 2 (its rule, e = a * b, runs later), not its final one."""
    L = micrograd_example()
    steps = list(backward_steps(L))
    b = next(n for n in collect_nodes(L) if n.label == "b")
    e = next(n for n in collect_nodes(L) if n.label == "e")
    assert b.grad != 0 and steps[2].grad_of(b) == 0.0  # a fresh leaf's 0.0: nothing added yet
    at_2 = _boxes(draw_dot(L, step=steps[2]).source)
    assert "grad 0<" in at_2["b"] + "<" and f"grad {b.grad:.4g}" not in at_2["b"]
    assert steps[2].grad_of(e) is None and "grad ?" in at_2["e"]  # not reached by step 2
    assert f"grad {b.grad:.4g}" in _boxes(draw_dot(L, step=steps[-1]).source)["b"]
    b.grad = 123.0  # whatever .grad holds now, a record's drawing does not change
    assert "123" not in draw_dot(L, step=steps[-1]).source
