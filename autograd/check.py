"""Gradient checking: compare the engine's analytic gradients with finite differences (float64).

Works for both kinds of node: a ``Value`` is one number, a ``Tensor`` is checked element by
element. ``f`` receives the inputs and returns a scalar node (a ``Value``, or a ``Tensor`` with
one element); for a non-scalar output, ``gradcheck`` compares whole Jacobians. ``gradgradcheck``
checks second derivatives the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .call import Call, as_node
from .core import Node, grad
from .functional import jacobian_blocks
from .modes import enable_grad, no_grad
from .pytree import flatten, shape_of

__all__ = [
    "GradcheckError",
    "gradcheck",
    "gradgradcheck",
    "numerical_grad",
    "numerical_jacobian",
    "analytic_jacobian",
]


class GradcheckError(AssertionError):
    """The analytic and numerical gradients disagree; the message lists every input that does."""


def _as_list(inputs: Node | Sequence[Node]) -> tuple[list[Node], bool]:
    if isinstance(inputs, Node):
        return [inputs], True
    if not isinstance(inputs, Iterable) or isinstance(inputs, (str, bytes)):
        raise TypeError(
            "inputs must be a Value, a Tensor or a list of them, "
            f"got {type(inputs).__name__}: {inputs!r:.60}"
        )
    items = list(inputs)
    for i, x in enumerate(items):
        if not isinstance(x, Node):
            raise TypeError(f"input {i} is a {type(x).__name__}; pass Value or Tensor nodes")
    return items, False


def _check_float64(x: Node, i: int) -> None:
    if isinstance(x.data, np.ndarray) and x.data.dtype != np.float64:
        raise ValueError(
            f"input {i} is {x.data.dtype}: finite differences need float64 "
            "(make the input with dtype=np.float64)"
        )


def _set(x: Node, k: int, v: float) -> None:
    """Set number ``k`` of ``x`` (a Value holds one) to ``v``, in place."""
    if isinstance(x.data, np.ndarray):
        x.data.flat[k] = v
    else:
        x.data = v


def _flat_output(out: Any) -> np.ndarray:
    if isinstance(out, Node):
        out = out.data
    elif isinstance(out, (list, tuple)):
        return np.concatenate([_flat_output(o) for o in out]) if out else np.zeros(0)
    return np.asarray(out, dtype=np.float64).reshape(-1)


def numerical_jacobian(f: Callable, inputs: Node | Sequence[Node], eps: float = 1e-6) -> list:
    """d f / d input by central differences, one ``(n_outputs, n_input_elements)`` array per input.

    ``f``'s output may be a node, a number, or a list of them; its elements are flattened.
    """
    xs, _ = _as_list(inputs)
    blocks = []
    with no_grad():
        for i, x in enumerate(xs):
            _check_float64(x, i)
            columns = []
            for k in range(np.size(x.data)):
                old = float(np.asarray(x.data).flat[k])
                try:
                    _set(x, k, old + eps)
                    plus = _flat_output(f(*xs))
                    _set(x, k, old - eps)
                    minus = _flat_output(f(*xs))
                finally:
                    _set(x, k, old)
                columns.append((plus - minus) / (2 * eps))
            if columns:
                blocks.append(np.stack(columns, axis=1))
            else:  # an input without elements: no columns, a row per output of f
                blocks.append(np.zeros((_flat_output(f(*xs)).size, 0)))
    return blocks


def numerical_grad(f: Callable, inputs: Node | Sequence[Node], eps: float = 1e-6) -> Any:
    """d f / d input by central differences in float64, for a scalar-valued ``f``.

    Returns one gradient per input (a float for a ``Value``, an array of the input's shape for a
    ``Tensor``); a single node in gives a single gradient out.
    """
    xs, single = _as_list(inputs)
    grads = []
    for x, block in zip(xs, numerical_jacobian(f, xs, eps)):
        if block.shape[0] != 1:
            raise ValueError(
                f"numerical_grad needs f to return one number, got {block.shape[0]} values; "
                "use numerical_jacobian for vector outputs"
            )
        g = block[0]
        grads.append(g.reshape(x.data.shape) if isinstance(x.data, np.ndarray) else float(g[0]))
    return grads[0] if single else grads


def analytic_jacobian(f: Callable, inputs: Node | Sequence[Node]) -> list:
    """d f / d input from the engine, one ``(n_outputs, n_input_elements)`` array per input.

    The same backward passes as :func:`autograd.jacobian`, flattened, but taken with respect to
    the input nodes themselves, so a path through a closure over an input counts too (as it does
    when :func:`numerical_jacobian` perturbs the input).
    """
    xs, _ = _as_list(inputs)
    call = Call(f, tuple(xs), range(len(xs)), False, "analytic_jacobian", fresh=False)
    n_outs = [math.prod(shape_of(out)) for out in flatten(call.out, [])]
    blocks = jacobian_blocks(call)
    matrices = []
    for j, x in enumerate(xs):
        rows = [
            np.asarray(row[j].data, dtype=np.float64).reshape(n_out, np.size(x.data))
            for row, n_out in zip(blocks, n_outs)
        ]
        matrices.append(np.concatenate(rows) if rows else np.zeros((0, np.size(x.data))))
    return matrices


def _checked_inputs(inputs: Node | Sequence[Node]) -> list[Node]:
    xs, _ = _as_list(inputs)
    for i, x in enumerate(xs):
        _check_float64(x, i)
        if not x.requires_grad:
            raise ValueError(f"input {i} does not require grad, so it has no gradient to check")
    return xs


def _compare(
    title: str,
    f: Callable,
    xs: list[Node],
    names: list[str],
    tolerances: tuple[float, float, float],
    output_name: Callable[[int], str] = "output {}".format,
) -> bool:
    """Compare the analytic and numerical Jacobians of ``f`` at ``xs``; raise listing each
    disagreeing input (``names[i]``, its worst element named by ``output_name``), or return True."""
    eps, atol, rtol = tolerances
    analytic = analytic_jacobian(f, xs)
    numerical = numerical_jacobian(f, xs, eps)
    problems = []
    for name, x, a, n in zip(names, xs, analytic, numerical):
        error = np.abs(a - n)
        if np.all(error <= atol + rtol * np.abs(n)):
            continue
        row, col = np.unravel_index(int(np.argmax(error - rtol * np.abs(n))), error.shape)
        label = f" {x.label!r}" if x.label else ""
        where = "" if a.size == 1 else f" (worst at {output_name(int(row))}, element {col})"
        problems.append(
            f"  {name}{label}: analytic {np.array2string(a.squeeze(), precision=6)} vs "
            f"numerical {np.array2string(n.squeeze(), precision=6)}; "
            f"max abs error {error.max():.3g} > atol {atol} + rtol {rtol} * |numerical|{where}"
        )
    if problems:
        raise GradcheckError(f"{title} failed:\n" + "\n".join(problems))
    return True


def gradcheck(
    f: Callable,
    inputs: Node | Sequence[Node],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check the engine's gradients of ``f`` at ``inputs`` against central differences.

    Passes when ``|analytic - numerical| <= atol + rtol * |numerical|`` for every element of
    every input. Returns True, or raises :class:`GradcheckError` listing each disagreeing input
    with both values and the error.
    """
    xs = _checked_inputs(inputs)
    names = [f"input {i}" for i in range(len(xs))]
    return _compare("gradcheck", f, xs, names, (eps, atol, rtol))


def gradgradcheck(
    f: Callable,
    inputs: Node | Sequence[Node],
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check the engine's *second* derivatives of ``f`` at ``inputs`` against central differences.

    PyTorch's ``gradgradcheck``: :func:`gradcheck` of ``(inputs, v) -> v . d f / d inputs`` (one
    gradient per input, built with ``create_graph=True``), which checks the derivative of every
    first derivative with respect to every input and to ``v``. ``grad_outputs`` gives ``v``, one
    per output of ``f`` (numbers, arrays or nodes of the outputs' shapes); by default ``v`` is
    drawn from a fixed normal generator, so a rule that scales ``g`` wrongly cannot hide behind
    ``v = 1``. Returns True, or raises :class:`GradcheckError` as ``gradcheck`` does. It checks
    the rules' derivatives, not the rules: a first derivative that is wrong but differentiated
    consistently passes, so run :func:`gradcheck` too.
    """
    xs = _checked_inputs(inputs)
    n = len(xs)
    with enable_grad():
        outs = flatten(f(*xs), [])
    vs = _grad_outputs(outs, grad_outputs)
    layout = [(i, k) for i, x in enumerate(xs) for k in range(np.size(x.data))]

    def first_derivatives(*args: Node) -> list[Node]:
        with enable_grad():
            fresh = flatten(f(*args[:n]), [])
        live = [(o, v) for o, v in zip(fresh, args[n:]) if isinstance(o, Node) and o.requires_grad]
        if not live:
            return [as_node(x, None) for x in args[:n]]
        gs = grad(
            [o for o, _ in live],
            list(args[:n]),
            grad_outputs=[v for _, v in live],
            create_graph=True,
            allow_unused=True,
        )
        return [as_node(x, g) for x, g in zip(args[:n], gs)]

    def output_name(r: int) -> str:
        i, k = layout[r]
        return f"v.df/d(input {i})" + ("" if np.size(xs[i].data) == 1 else f"[{k}]")

    names = [f"input {i}" for i in range(n)] + [f"grad_output {k}" for k in range(len(vs))]
    return _compare(
        "gradgradcheck", first_derivatives, xs + vs, names, (eps, atol, rtol), output_name
    )


def _grad_outputs(outs: list, given: Any) -> list[Node]:
    """The ``v`` of :func:`gradgradcheck`: float64 nodes that require grad, shaped like ``outs``."""
    if not outs or not all(isinstance(o, Node) for o in outs):
        raise TypeError("gradgradcheck needs f to return a node or a list/tuple of nodes")
    if given is None:
        rng = np.random.default_rng(0)
        given = [rng.standard_normal(np.shape(o.data)) for o in outs]
    given = flatten(given, [])
    if len(given) != len(outs):
        raise ValueError(f"gradgradcheck: {len(given)} grad_outputs for {len(outs)} outputs")
    vs = []
    for k, (o, g) in enumerate(zip(outs, given)):
        data = np.asarray(g.data if isinstance(g, Node) else g, dtype=np.float64)
        if data.shape != np.shape(o.data):
            raise ValueError(
                f"gradgradcheck: grad_output {k} has shape {data.shape}, "
                f"but output {k} has shape {np.shape(o.data)}"
            )
        v = type(o)(data if isinstance(o.data, np.ndarray) else float(data), requires_grad=True)
        vs.append(v)
    return vs
