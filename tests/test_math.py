"""The math namespaces agree with the rules: every ``F.<name>`` a rule calls exists in each
namespace the rule runs with, so a rule that needs a function one namespace lacks fails here, in
the first-order suite, and not only under ``create_graph`` (gradgradcheck) or the other engine."""

from __future__ import annotations

import ast
import inspect
import textwrap

import numpy as np
import pytest

from autograd import Tensor, Value, ops, tensor_nn, tensor_ops, tensor_shape, value
from autograd.core import Function
from autograd.math import FloatMath, NodeMath, NumpyMath

# Which raw namespaces each module's ops run with (all of them also run with NodeMath).
MODULES = {
    ops: (FloatMath, NumpyMath),
    value: (FloatMath,),
    tensor_ops: (NumpyMath,),
    tensor_shape: (NumpyMath,),
    tensor_nn: (NumpyMath,),
}


def functions_called_on_F(cls: type) -> set[str]:
    """The names ``F.<name>`` used in the methods defined by ``cls`` itself."""
    names = set()
    for member in vars(cls).values():
        if inspect.isfunction(member):
            tree = ast.parse(textwrap.dedent(inspect.getsource(member)))
            names |= {
                node.attr
                for node in ast.walk(tree)
                if isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "F"
            }
    return names


def ops_of(module) -> list[type]:
    return [
        c
        for c in vars(module).values()
        if inspect.isclass(c) and issubclass(c, Function) and c.__module__ == module.__name__
    ]


CASES = [(m, c) for m in MODULES for c in ops_of(m)]


def test_every_module_has_ops_to_check():
    assert {m for m, _ in CASES} == set(MODULES)
    assert len(CASES) >= 30


@pytest.mark.parametrize("module, op", CASES, ids=[c.__name__ for _, c in CASES])
def test_every_function_a_rule_calls_exists_where_it_runs(module, op):
    for name in functions_called_on_F(op):
        for namespace in (*MODULES[module], NodeMath):
            assert hasattr(namespace, name), (
                f"{op.__name__} calls F.{name}, {namespace.__name__} lacks it"
            )


def test_the_check_finds_a_missing_function(monkeypatch):
    # what adding log1p without NodeMath.log1p would look like: this test suite must see it
    monkeypatch.delattr(NodeMath, "log1p")
    missing = [op for _, op in CASES if "log1p" in functions_called_on_F(op)]
    assert missing == [ops.Log1p]
    assert not hasattr(NodeMath, "log1p")


@pytest.mark.parametrize("name", sorted(ops.METHODS))
def test_every_shared_op_is_a_method_of_both_engines(name):
    assert getattr(Value, name) is ops.METHODS[name]
    assert getattr(Tensor, name) is ops.METHODS[name]


def test_numpy_where_selects_like_np_where_on_every_kind_of_upstream():
    from autograd.math import NumpyMath

    tile = (1, 1), (32, 32)  # 2 x 3 goes to np.where, 64 x 96 to the select by a multiply
    keep0 = np.array([[True, False, True], [False, True, False]])
    finite0 = np.array([[1.5, -2.0, 3.0], [4.0, -5.0, 6.0]], dtype=np.float32)
    blown0 = np.array([[np.inf, np.inf, 1.0], [np.nan, 2.0, -np.inf]])
    for reps in tile:
        keep, finite, blown = (np.tile(a, reps) for a in (keep0, finite0, blown0))
        big = np.full(finite.shape, 3e38, dtype=np.float32)  # finite; its square overflows
        for g in (finite, big, blown, finite.astype(np.float64), finite[:, ::2]):
            if g.shape != keep.shape:
                keep = keep[:, ::2]
            got = NumpyMath.where(keep, g, 0.0)
            want = np.where(keep, g, 0.0)
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_array_equal(got, want)  # never inf * 0 = nan where the mask is off
    np.testing.assert_array_equal(NumpyMath.where(keep, 1.0, g), np.where(keep, 1.0, g))
