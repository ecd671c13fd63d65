"""Function transforms: ``grad``, ``value_and_grad``, ``vjp``, ``jvp``, ``jacobian`` (``jacrev``),
``jacfwd``, ``hessian``, ``hvp``.

JAX's way of asking for derivatives (``grad(f)`` is a new function), on both engines. Nothing here
knows a derivative rule or walks a graph: the reverse-mode transforms evaluate ``f`` and ask
:func:`autograd.grad` (the one walk in ``core.py``) for the gradients, so higher orders come from
the same rules run with ``create_graph=True``; ``jvp`` and ``jacfwd`` evaluate ``f`` once per
direction in forward mode (``forward.py``: tangents computed beside the values, from the same
rules). Reverse mode costs one backward pass per output element, forward mode one pass per input
element: ``jacrev`` for few outputs (a loss), ``jacfwd`` for few inputs.

A differentiated argument may be a ``Value``, a ``Tensor``, a Python number (becomes a ``Value``),
a NumPy array (becomes a ``Tensor``) or a nested list / tuple / dict of these (``pytree.py``); the
gradient has the same structure. ``argnums`` picks the argument (an int) or several (a tuple: the
result is a tuple).

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

import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from . import core
from .call import (
    Argnums,
    Call,
    as_node,
    check_argnums,
    constant,
    named,
    outputs_of,
    scalar_output,
)
from .core import Node
from .pytree import flatten, matching, shape_of, unflatten
from .tensor.functions import stack
from .tensor.tensor import Tensor
from .value import Value

__all__ = ["grad", "hessian", "hvp", "jacfwd", "jacobian", "jacrev", "jvp", "value_and_grad", "vjp"]


# ------------------------------------------------------------------------------ transforms
def value_and_grad(
    f: Callable, argnums: Argnums = 0, *, create_graph: bool | None = None
) -> Callable:
    """A function returning ``(f(*args), gradient of f with respect to args[argnums])``.

    ``f`` must return a scalar (a ``Value`` or a one-element ``Tensor``); the gradient has the
    structure of the differentiated argument(s). See the module docstring for ``create_graph``.
    """

    def value_and_grad_f(*args: Any) -> tuple:
        call = Call(f, args, argnums, create_graph, "value_and_grad")
        out = call.out
        scalar_output(out, "value_and_grad")
        grads = call.gradients(out)
        if not call.create_graph:
            out = constant(out)
        return out, call.finish(unflatten(call.template, iter(grads)))

    return named(value_and_grad_f, f, "value_and_grad")


def grad(f: Callable, argnums: Argnums = 0, *, create_graph: bool | None = None) -> Callable:
    """The gradient of a scalar function, as a function: ``grad(f)(x)`` is df/dx at ``x``.

    JAX's ``grad``; compose freely (``grad(grad(grad(f)))`` is the third derivative). With a tuple
    ``argnums`` the result is a tuple of gradients. (``autograd.grad`` is PyTorch's
    ``torch.autograd.grad`` over existing nodes; this one is ``autograd.functional.grad``.)
    """
    both = value_and_grad(f, argnums, create_graph=create_graph)
    return named(lambda *args: both(*args)[1], f, "grad")


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


def jacobian_blocks(call: Call) -> list[list[Node]]:
    """``J[i][j]``, the Jacobian of output ``i`` of ``call.out`` (flattened) with respect to leaf
    ``j``: a node of shape ``out_i.shape + leaf_j.shape``. One backward pass per output element
    (reverse mode); shared with ``check.analytic_jacobian``."""
    blocks = []
    for out in flatten(call.out):
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
    if shape_of(out) == ():
        return column[0]
    shape = shape_of(out) + shape_of(x)  # out is a Tensor here
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
        call = Call(f, args, argnums, create_graph, "jacobian")
        per_output = [unflatten(call.template, iter(row)) for row in jacobian_blocks(call)]
        return call.finish(unflatten(call.out, iter(per_output)))

    transform = named(jacobian_f, f, "jacobian")
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
    transform = named(
        jacobian(grad(f, argnums), argnums=argnums, create_graph=create_graph), f, "hessian"
    )
    return transform(*args) if args else transform


def hvp(f: Callable, x: Any, v: Any, *, create_graph: bool | None = None) -> Any:
    """The Hessian of a scalar ``f`` at ``x`` times the vector ``v``, without forming the Hessian.

    It differentiates the directional derivative ``grad(f)(x) . v`` once more: two backward
    passes whatever the size of ``x``. ``v`` has ``x``'s structure and shapes; the result too.
    (Unlike ``torch.autograd.functional.hvp`` only the product is returned, not ``f(x)``.)
    """
    xs, vs = flatten(x), flatten(v)
    if len(xs) != len(vs) or any(shape_of(a) != shape_of(b) for a, b in zip(xs, vs)):
        raise ValueError(
            f"hvp: v must have x's structure and shapes; x has shapes "
            f"{[shape_of(a) for a in xs]}, v has {[shape_of(b) for b in vs]}"
        )
    gradient = grad(f)

    def directional(y: Any) -> Any:
        total: Any = 0.0
        for g, direction in zip(flatten(gradient(y)), vs):
            product = g * direction
            total = total + (product.sum() if isinstance(product.data, np.ndarray) else product)
        return total

    return grad(directional, create_graph=create_graph)(x)


# --------------------------------------------------------------- vjp, jvp, jacrev, jacfwd
def vjp(f: Callable, *primals: Any, create_graph: bool | None = None) -> tuple[Any, Callable]:
    """``(f(*primals), vjp_fn)``: ``vjp_fn(cotangent)`` is the vector-Jacobian product
    cotangent^T J for each primal (JAX's ``jax.vjp``, ``torch.func.vjp``).

    ``cotangent`` has the structure of ``f``'s output, each leaf that output's shape and dtype;
    ``vjp_fn`` returns a tuple with one entry per primal (each with its primal's structure). One
    backward pass a call, and the Jacobian is never built; ``vjp_fn`` may be called many times.
    """
    if not primals:
        raise TypeError("vjp(f, *primals) needs at least one primal to differentiate at")
    call = Call(f, primals, tuple(range(len(primals))), create_graph, "vjp")
    outs = outputs_of(call.out, "vjp")
    like = unflatten(call.out, (o if isinstance(o, Node) else Value(o) for o in outs))

    def vjp_fn(cotangent: Any) -> tuple:
        seeds = matching("vjp_fn", "cotangent", cotangent, "the output", like)
        live = [(o, s) for o, s in zip(outs, seeds) if isinstance(o, Node) and o.requires_grad]
        grads: Sequence[Any] = [None] * len(call.leaves)
        if live:
            with call.unlinked():
                roots, seeds = [o for o, _ in live], [s for _, s in live]
                grads = core.grad(roots, call.leaves, seeds, call.create_graph,
                                  retain_graph=True, allow_unused=True)  # fmt: skip
        gs = [as_node(x, g) for x, g in zip(call.leaves, grads)]
        return tuple(unflatten(call.template, iter(gs)))

    out = call.out if call.create_graph else unflatten(call.out, map(constant, outs))
    return call.finish((out, named(vjp_fn, f, "vjp_fn")))


def jacrev(f: Callable, argnums: Argnums = 0, *, create_graph: bool | None = None) -> Callable:
    """The Jacobian of ``f`` in reverse mode, as a function (JAX's ``jacrev``): one backward
    pass per output element. It is :func:`jacobian`'s transform form; see it for the layout."""
    return named(jacobian(f, argnums=argnums, create_graph=create_graph), f, "jacrev")


def _jvp_call(f: Callable, primals: tuple, who: str, create_graph: bool | None,
              tangents: Callable[[list], list]) -> Call:  # fmt: skip
    if not primals:
        raise ValueError(f"{who}: no primals; pass f's arguments as a tuple, e.g. (x,)")
    return Call(f, primals, tuple(range(len(primals))), create_graph, who, tangents=tangents)


def _tangent_out(call: Call, o: Any) -> Any:
    """The tangent of the output leaf ``o`` as a node (zeros where it does not move)."""
    if not isinstance(o, Node):
        return 0.0
    return as_node(o, call.level.tangent(o) if call.level is not None else None)


def jvp(
    f: Callable, primals: Sequence[Any], tangents: Sequence[Any], *,
    create_graph: bool | None = None,
) -> tuple[Any, Any]:  # fmt: skip
    """``(f(*primals), J . tangents)``: the Jacobian-vector product in forward mode (JAX's
    ``jax.jvp``, ``torch.func.jvp``).

    ``primals`` is a tuple (or list) of ``f``'s arguments, ``tangents`` one tangent per primal,
    each with its primal's structure, shapes and dtypes. One evaluation of ``f``, each op's
    tangent computed right after its value (``forward.py``), and the Jacobian is never built;
    the tangent out has the structure of ``f``'s output. See the module docstring for
    ``create_graph``.
    """
    for name, given in (("primals", primals), ("tangents", tangents)):
        if type(given) not in (tuple, list):
            raise TypeError(f"jvp: {name} must be a tuple or list (one entry per argument of f: "
                            f"jvp(f, (x,), (t,))), got {type(given).__name__}")  # fmt: skip
    primals, tangents = tuple(primals), tuple(tangents)

    def seeds(leaves: list) -> list:
        like = unflatten(primals, iter(leaves))
        return matching("jvp", "tangents", tangents, "primals", like)

    call = _jvp_call(f, primals, "jvp", create_graph, seeds)
    outs = outputs_of(call.out, "jvp")
    values = outs if call.create_graph else [constant(o) for o in outs]
    moved = [_tangent_out(call, o) for o in outs]
    return call.finish((unflatten(call.out, iter(values)), unflatten(call.out, iter(moved))))


def _one_hot(x: Node, k: int) -> Any:
    """The tangent moving element ``k`` of ``x`` alone."""
    if isinstance(x.data, float):
        return 1.0
    t = np.zeros(x.data.shape, dtype=x.data.dtype)
    t.flat[k] = 1
    return t


def _from_columns(column: list, out: Any, x: Node) -> Node:
    """d out / d x (shape ``out.shape + x.shape``) from the tangents of ``out`` along each
    element of ``x`` in turn (``column``)."""
    if not isinstance(out, Node) and shape_of(x) == ():
        return as_node(x, None)
    if shape_of(x) == ():
        return column[0]
    shape = shape_of(out) + shape_of(x)
    if column and isinstance(column[0], Tensor):
        return stack(column, axis=-1).reshape(shape)
    return Tensor(np.zeros(shape, dtype=getattr(x.data, "dtype", np.float64)))  # no path


def jacfwd(f: Callable, argnums: Argnums = 0, *, create_graph: bool | None = None) -> Callable:
    """The Jacobian of ``f`` in forward mode, as a function (JAX's ``jacfwd``): one :func:`jvp`
    per element of the differentiated arguments, the columns of the Jacobian. Same layout as
    :func:`jacobian` (an output of shape ``S`` and an argument of shape ``T`` give ``S + T``);
    the same numbers as :func:`jacrev`, at a cost that grows with the inputs, not the outputs.
    """

    def jacfwd_f(*args: Any) -> Any:
        picked = check_argnums(argnums, len(args), "jacfwd")

        def partial(*xs: Any) -> Any:
            call_args = list(args)
            for k, x in zip(picked, xs):
                call_args[k] = x
            return f(*call_args)

        primals = tuple(args[k] for k in picked)

        def moving(j: int, e: int) -> Call:  # one pass, moving element e of leaf j
            def seeds(leaves: list) -> list:
                return [_one_hot(x, e) if i == j and e < np.size(x.data) else None
                        for i, x in enumerate(leaves)]  # fmt: skip

            return _jvp_call(partial, primals, "jacfwd", create_graph, seeds)

        first = moving(0, 0)
        outs = outputs_of(first.out, "jacfwd")
        columns: list[list] = [[] for _ in first.leaves]
        for j, x in enumerate(first.leaves):
            for e in range(int(np.size(x.data))):
                call = first if j == e == 0 else moving(j, e)
                columns[j].append([_tangent_out(call, o) for o in flatten(call.out)])
                call.finish(None)
        template = primals[0] if isinstance(argnums, int) else primals
        per_output = [
            unflatten(template, (_from_columns([c[i] for c in columns[j]], o, x)
                                 for j, x in enumerate(first.leaves)))  # fmt: skip
            for i, o in enumerate(outs)
        ]
        return first.finish(unflatten(first.out, iter(per_output)))

    return named(jacfwd_f, f, "jacfwd")
