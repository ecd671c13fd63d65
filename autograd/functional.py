"""Function transforms: ``grad``, ``value_and_grad``, ``jacobian``, ``hessian``, ``hvp``.

JAX's way of asking for derivatives (``grad(f)`` is a new function), on both engines. Nothing here
knows a derivative rule or walks a graph: every transform evaluates ``f`` and asks
:func:`autograd.grad` (the one walk in ``core.py``) for the gradients, so higher orders come from
the same rules run with ``create_graph=True``.

A differentiated argument may be a ``Value``, a ``Tensor``, a Python number (becomes a ``Value``),
a NumPy array (becomes a ``Tensor``) or a nested list / tuple of these; the gradient has the same
structure. ``argnums`` picks the argument (an int) or several (a tuple: the result is a tuple).

Each transform runs ``f`` on *fresh leaves* holding the arguments' numbers, so a gradient counts
only the paths through that argument (no "perturbation confusion": in
``grad(lambda x: grad(lambda y: x * y)(x))`` the inner derivative is ``x``, not ``2x``) and the
backward walk stops there. ``create_graph`` says whether the results are differentiable:

- ``None`` (default): only inside another transform's function (``grad(grad(f))``, ``hessian``,
  ``hvp``), where each fresh leaf is then linked to the argument it copied by an identity op, so
  the outer transform differentiates straight through, to any order. At the top level the results
  are constants (``requires_grad=False``): ``grad(f)(x)`` costs one ordinary backward pass.
- ``True``: differentiable at the top level too, e.g. a gradient penalty ``grad(D)(x) ** 2``
  backpropagated into the parameters ``D`` closes over (PyTorch's ``create_graph``).
- ``False``: never.

``jacobian(f)`` and ``hessian(f)`` return a function (JAX), ``jacobian(f, x, ...)`` its value
(``torch.autograd.functional.jacobian``), so there ``argnums`` and ``create_graph`` are
keyword-only. ``autograd.grad`` stays PyTorch's gradient of existing nodes.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Union

import numpy as np

from . import core
from .core import Function, Node, enable_grad, is_grad_enabled
from .tensor.tensor import Tensor, stack
from .value import Value

__all__ = ["grad", "hessian", "hvp", "jacobian", "value_and_grad"]

Argnums = Union[int, Sequence[int]]


class Identity(Function):
    """The link from a transform's fresh leaf to the argument it copied: d(out)/d(x) = 1."""

    name = "id"

    def backward(self, F: Any, g: Any, out: Any, x: Any) -> tuple:
        return (g,)


_IDENTITY = Identity()


# ------------------------------------------------------------------- argument structures
def _flatten(tree: Any, into: list) -> list:
    """The non-list items of a nested list/tuple structure, in order."""
    if type(tree) in (list, tuple):
        for item in tree:
            _flatten(item, into)
    else:
        into.append(tree)
    return into


def _unflatten(template: Any, items: Iterator) -> Any:
    """``template``'s list/tuple structure, filled with ``items`` in order."""
    if type(template) in (list, tuple):
        return type(template)(_unflatten(t, items) for t in template)
    return next(items)


def _shape(x: Any) -> tuple:
    return np.shape(x.data if isinstance(x, Node) else x)


def _leaf(arg: Any, what: str) -> Node:
    """A fresh leaf that requires grad, holding ``arg``'s numbers (int arrays as float64)."""
    if isinstance(arg, Node):
        kind, data, label = type(arg), arg.data, arg.label
    elif isinstance(arg, numbers.Real):
        kind, data, label = Value, arg, ""
    elif isinstance(arg, np.ndarray) and arg.dtype.kind in "biuf":
        kind, data, label = Tensor, arg, ""
    else:
        raise TypeError(
            f"{what} must be a Value, a Tensor, a real number or a numeric NumPy array "
            f"(or a list/tuple of them), got {type(arg).__name__}: {arg!r:.60}"
        )
    if isinstance(data, np.ndarray) and data.dtype.kind in "biu":
        data = data.astype(np.float64)
    leaf = kind(data, requires_grad=True)  # pyright: ignore[reportArgumentType]  (picked together)
    leaf.label = label
    return leaf


def _as_node(x: Node, g: Any) -> Node:
    """A gradient ``g`` of ``x`` as a constant node of its kind (``None``, unused: zeros)."""
    if g is None:
        g = np.zeros_like(x.data) if isinstance(x.data, np.ndarray) else 0.0
    return g if isinstance(g, Node) else type(x)(g, requires_grad=False)


def _argnums(argnums: Argnums, n_args: int, who: str) -> tuple[int, ...]:
    picked = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not picked:
        raise ValueError(f"{who}: argnums is empty; name at least one argument to differentiate")
    for k in picked:
        if not isinstance(k, int) or not 0 <= k < n_args:
            raise ValueError(
                f"{who}: argnums={argnums!r} but the function was called with {n_args} "
                "positional argument(s)"
            )
    return picked


class _Call:
    """One evaluation of ``f`` with fresh leaves in place of the differentiated arguments.

    ``fresh=False`` (for ``check``) differentiates with respect to the argument nodes themselves,
    every path counted, which is what perturbing their numbers measures. ``depth`` counts the
    calls evaluating their ``f`` right now (0 at the top level).
    """

    depth = 0

    def __init__(
        self,
        f: Callable,
        args: tuple,
        argnums: Argnums,
        create_graph: bool | None,
        who: str,
        fresh: bool = True,
    ) -> None:
        picked = _argnums(argnums, len(args), who)
        if create_graph is None:
            create_graph = _Call.depth > 0 and is_grad_enabled()
        self.create_graph, self.who = create_graph, who
        self.sources: list = []
        self.leaves: list[Node] = []
        call_args = list(args)
        for k in picked:
            sources = _flatten(args[k], [])
            leaves = [_leaf(a, f"{who}: argument {k}") for a in sources] if fresh else sources
            call_args[k] = _unflatten(args[k], iter(leaves))
            self.sources += sources
            self.leaves += leaves
        self.template = (
            args[argnums] if isinstance(argnums, int) else tuple(args[k] for k in picked)
        )
        _Call.depth += 1
        try:
            with enable_grad():
                self.out = f(*call_args)
        finally:
            _Call.depth -= 1

    def gradients(self, out: Any, seed: Any = None) -> list[Node]:
        """d(out)/d(leaf) for every leaf (``seed`` weighs out's elements), zeros where unused."""
        gs: Sequence[Any] = [None] * len(self.leaves)
        if isinstance(out, Node) and out.requires_grad:
            gs = core.grad(
                out,
                self.leaves,
                grad_outputs=seed,
                create_graph=self.create_graph,
                retain_graph=True,
                allow_unused=True,
            )
        return [_as_node(x, g) for x, g in zip(self.leaves, gs)]

    def finish(self, result: Any) -> Any:
        """Link each fresh leaf to the argument it copied when the result is differentiable (so
        an enclosing graph reaches the argument through it); return ``result``."""
        if self.create_graph:
            for leaf, source in zip(self.leaves, self.sources):
                if leaf is not source and isinstance(source, Node) and source.requires_grad:
                    leaf._fn = _IDENTITY
                    leaf._parents = (source,)
        return result


def _scalar_output(out: Any, who: str) -> None:
    if isinstance(out, Node) and np.size(out.data) != 1:
        raise ValueError(
            f"{who} needs f to return a scalar, got a {type(out).__name__} of shape "
            f"{_shape(out)}; use jacobian(f) for vector outputs"
        )
    if not isinstance(out, (Node, numbers.Real)):
        raise TypeError(
            f"{who} needs f to return a scalar Value or one-element Tensor, "
            f"got {type(out).__name__}: {out!r:.60}"
        )


def _named(transform: Callable, f: Callable, name: str) -> Callable:
    functools.update_wrapper(transform, f, assigned=("__module__", "__qualname__", "__doc__"))
    transform.__name__ = f"{name}({getattr(f, '__name__', 'f')})"
    return transform


# ------------------------------------------------------------------------------ transforms
def value_and_grad(
    f: Callable, argnums: Argnums = 0, *, create_graph: bool | None = None
) -> Callable:
    """A function returning ``(f(*args), gradient of f with respect to args[argnums])``.

    ``f`` must return a scalar (a ``Value`` or a one-element ``Tensor``); the gradient has the
    structure of the differentiated argument(s). See the module docstring for ``create_graph``.
    """

    def value_and_grad_f(*args: Any) -> tuple:
        call = _Call(f, args, argnums, create_graph, "value_and_grad")
        out = call.out
        _scalar_output(out, "value_and_grad")
        grads = call.gradients(out)
        if isinstance(out, Node) and not call.create_graph:
            out = type(out)(out.data, requires_grad=False)
        return out, call.finish(_unflatten(call.template, iter(grads)))

    return _named(value_and_grad_f, f, "value_and_grad")


def grad(f: Callable, argnums: Argnums = 0, *, create_graph: bool | None = None) -> Callable:
    """The gradient of a scalar function, as a function: ``grad(f)(x)`` is df/dx at ``x``.

    JAX's ``grad``; compose freely (``grad(grad(grad(f)))`` is the third derivative). With a tuple
    ``argnums`` the result is a tuple of gradients. (``autograd.grad`` is PyTorch's
    ``torch.autograd.grad`` over existing nodes; this one is ``autograd.functional.grad``.)
    """
    both = value_and_grad(f, argnums, create_graph=create_graph)
    return _named(lambda *args: both(*args)[1], f, "grad")


def _one_hot_seeds(out: Any) -> Iterator[Any]:
    """The ``grad_outputs`` picking each element of ``out`` in turn (``None``: out is a scalar)."""
    data = out.data if isinstance(out, Node) else out
    if not isinstance(data, np.ndarray):
        yield None
        return
    for k in range(data.size):
        seed = np.zeros(data.shape, dtype=data.dtype)
        seed.flat[k] = 1
        yield seed


def _jacobian_blocks(call: _Call) -> list[list[Node]]:
    """``J[i][j]``, the Jacobian of output ``i`` of ``call.out`` (flattened) with respect to leaf
    ``j``: a node of shape ``out_i.shape + leaf_j.shape``. One backward pass per output element
    (reverse mode); shared with ``check.analytic_jacobian``."""
    blocks = []
    for out in _flatten(call.out, []):
        if not isinstance(out, (Node, numbers.Real)):
            raise TypeError(
                f"{call.who} needs f to return nodes or numbers (or a list/tuple of them), "
                f"got {type(out).__name__}: {out!r:.60}"
            )
        rows = [call.gradients(out, seed) for seed in _one_hot_seeds(out)]
        blocks.append([_stack([r[j] for r in rows], out, x) for j, x in enumerate(call.leaves)])
    return blocks


def _stack(column: list[Node], out: Any, x: Node) -> Node:
    """d out.flat[k] / d x for each k (``column``) as one node of shape ``out.shape + x.shape``."""
    if _shape(out) == ():
        return column[0]
    shape = _shape(out) + _shape(x)  # out is a Tensor here
    if not column or not isinstance(x, Tensor):  # no elements, or x a Value (no path to out)
        dtype = x.data.dtype if isinstance(x, Tensor) else np.float64
        return Tensor(np.zeros(shape, dtype=dtype), requires_grad=False)
    return stack(column).reshape(shape)


def jacobian(
    f: Callable,
    *args: Any,
    argnums: Argnums = 0,
    create_graph: bool | None = None,
) -> Any:
    """The Jacobian of ``f``: ``jacobian(f)`` returns a function, ``jacobian(f, *args)`` its value.

    For an output of shape ``S`` and an argument of shape ``T`` the Jacobian is a node of shape
    ``S + T`` (d out[s] / d arg[t]); a Value output and a Value argument give a Value. An output
    that is a list/tuple gives a list/tuple of Jacobians, and a tuple ``argnums`` a tuple per
    output (JAX's layout). One backward pass per output element.
    """

    def jacobian_f(*args: Any) -> Any:
        call = _Call(f, args, argnums, create_graph, "jacobian")
        per_output = [_unflatten(call.template, iter(row)) for row in _jacobian_blocks(call)]
        return call.finish(_unflatten(call.out, iter(per_output)))

    transform = _named(jacobian_f, f, "jacobian")
    return transform(*args) if args else transform


def hessian(
    f: Callable,
    *args: Any,
    argnums: Argnums = 0,
    create_graph: bool | None = None,
) -> Any:
    """The Hessian of a scalar ``f``: the Jacobian of its gradient (an argument of shape ``T``
    gives a node of shape ``T + T``; a tuple ``argnums`` gives nested tuples ``H[i][j]``).

    Like :func:`jacobian`, ``hessian(f)`` is a function and ``hessian(f, *args)`` its value.
    """
    transform = _named(
        jacobian(grad(f, argnums), argnums=argnums, create_graph=create_graph), f, "hessian"
    )
    return transform(*args) if args else transform


def hvp(f: Callable, x: Any, v: Any, *, create_graph: bool | None = None) -> Any:
    """The Hessian of a scalar ``f`` at ``x`` times the vector ``v``, without forming the Hessian.

    It differentiates the directional derivative ``grad(f)(x) . v`` once more: two backward
    passes whatever the size of ``x``. ``v`` has ``x``'s structure and shapes; the result too.
    (Unlike ``torch.autograd.functional.hvp`` only the product is returned, not ``f(x)``.)
    """
    xs, vs = _flatten(x, []), _flatten(v, [])
    if len(xs) != len(vs) or any(_shape(a) != _shape(b) for a, b in zip(xs, vs)):
        raise ValueError(
            f"hvp: v must have x's structure and shapes; x has shapes "
            f"{[_shape(a) for a in xs]}, v has {[_shape(b) for b in vs]}"
        )
    gradient = grad(f)

    def directional(y: Any) -> Any:
        total: Any = 0.0
        for g, direction in zip(_flatten(gradient(y), []), vs):
            product = g * direction
            total = total + (product.sum() if isinstance(product.data, np.ndarray) else product)
        return total

    return grad(directional, create_graph=create_graph)(x)
