"""Gradient checking: compare the engine's analytic gradients with finite differences (float64).

Works for both kinds of node: a ``Value`` is one number, a ``Tensor`` is checked element by
element. ``f`` receives the inputs and returns a scalar node (a ``Value``, or a ``Tensor`` with
one element); for a non-scalar output, ``gradcheck`` compares whole Jacobians.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .graph import Node, grad, no_grad

__all__ = [
    "GradcheckError",
    "gradcheck",
    "numerical_grad",
    "numerical_jacobian",
    "analytic_jacobian",
]


class GradcheckError(AssertionError):
    """The analytic and numerical gradients disagree; the message lists every input that does."""


def _as_list(inputs: Node | Sequence[Node]) -> tuple[list[Node], bool]:
    if isinstance(inputs, Node):
        return [inputs], True
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


def _size(x: Node) -> int:
    return x.data.size if isinstance(x.data, np.ndarray) else 1


def _get(x: Node, k: int) -> float:
    return float(x.data.flat[k]) if isinstance(x.data, np.ndarray) else x.data


def _set(x: Node, k: int, v: float) -> None:
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
            for k in range(_size(x)):
                old = _get(x, k)
                try:
                    _set(x, k, old + eps)
                    plus = _flat_output(f(*xs))
                    _set(x, k, old - eps)
                    minus = _flat_output(f(*xs))
                finally:
                    _set(x, k, old)
                columns.append((plus - minus) / (2 * eps))
            blocks.append(np.stack(columns, axis=1) if columns else np.zeros((0, 0)))
    return blocks


def numerical_grad(f: Callable, inputs: Node | Sequence[Node], eps: float = 1e-6) -> Any:
    """d f / d input by central differences in float64, for a scalar-valued ``f``.

    Returns one gradient per input (a float for a ``Value``, an array of the input's shape for a
    ``Tensor``); a single node in gives a single gradient out.
    """
    xs, single = _as_list(inputs)
    blocks = numerical_jacobian(f, xs, eps)
    grads = []
    for x, block in zip(xs, blocks):
        if block.shape[0] != 1:
            raise ValueError(
                f"numerical_grad needs f to return one number, got {block.shape[0]} values; "
                "use numerical_jacobian for vector outputs"
            )
        g = block[0]
        grads.append(g.reshape(x.data.shape) if isinstance(x.data, np.ndarray) else float(g[0]))
    return grads[0] if single else grads


def analytic_jacobian(f: Callable, inputs: Node | Sequence[Node]) -> list:
    """d f / d input from the engine, one ``(n_outputs, n_input_elements)`` array per input
    (one backward pass per output element)."""
    xs, _ = _as_list(inputs)
    out = f(*xs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    rows = []
    for o in outs:
        size = _size(o)
        for k in range(size):
            seed = np.zeros(size)
            seed[k] = 1.0
            seed = seed.reshape(o.data.shape) if isinstance(o.data, np.ndarray) else 1.0
            row = (
                _grads_or_zeros(o, xs, seed)
                if o.requires_grad
                else [np.zeros(_size(x)) for x in xs]
            )
            rows.append(row)
    return [np.array([r[i] for r in rows]).reshape(len(rows), _size(x)) for i, x in enumerate(xs)]


def _grads_or_zeros(out: Node, xs: list[Node], seed: Any) -> list[np.ndarray]:
    gs = grad(out, xs, grad_outputs=seed, retain_graph=True, allow_unused=True)
    return [
        np.zeros(_size(x)) if g is None else np.asarray(g, dtype=np.float64).reshape(-1)
        for x, g in zip(xs, gs)
    ]


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
    xs, _ = _as_list(inputs)
    for i, x in enumerate(xs):
        _check_float64(x, i)
        if not x.requires_grad:
            raise ValueError(f"input {i} does not require grad, so it has no gradient to check")
    analytic = analytic_jacobian(f, xs)
    numerical = numerical_jacobian(f, xs, eps)
    problems = [
        _describe(i, x, a, n, atol, rtol)
        for i, (x, a, n) in enumerate(zip(xs, analytic, numerical))
        if not np.all(np.abs(a - n) <= atol + rtol * np.abs(n))
    ]
    if problems:
        raise GradcheckError("gradcheck failed:\n" + "\n".join(problems))
    return True


def _describe(i: int, x: Node, a: np.ndarray, n: np.ndarray, atol: float, rtol: float) -> str:
    error = np.abs(a - n)
    worst = np.unravel_index(int(np.argmax(error - rtol * np.abs(n))), error.shape)
    label = f" {x.label!r}" if x.label else ""
    where = "" if a.size == 1 else f" (worst at output {worst[0]}, element {worst[1]})"
    return (
        f"  input {i}{label}: analytic {np.array2string(a.squeeze(), precision=6)} vs "
        f"numerical {np.array2string(n.squeeze(), precision=6)}; "
        f"max abs error {error.max():.3g} > atol {atol} + rtol {rtol} * |numerical|{where}"
    )
