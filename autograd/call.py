"""One evaluation of a function under a transform, and the argument rules every transform shares.

:class:`Call` runs ``f`` once with *fresh leaves* in place of the differentiated arguments (so a
derivative counts only the paths through that argument), decides whether the results must be
differentiable (the ``create_graph`` rule of ``functional.py``), runs ``f`` in forward mode when
tangents are given (a ``forward.Level``), and links the fresh leaves back to the arguments when
it finishes. Around it: converting arguments to leaves (:func:`as_leaf`), gradients to nodes
(:func:`as_node`), checking ``argnums`` and ``f``'s outputs, naming a transform.
"""

from __future__ import annotations

import contextlib
import functools
import numbers
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Union, cast

import numpy as np

from . import core, forward
from .core import Node
from .forward import IDENTITY
from .modes import enable_grad, is_grad_enabled
from .pytree import flatten, paths, shape_of, unflatten
from .tensor.tensor import Tensor
from .value import Value

__all__: list[str] = []

Argnums = Union[int, Sequence[int]]


def as_leaf(arg: Any, what: str) -> Node:
    """A fresh leaf that requires grad, holding ``arg``'s numbers (int arrays as float64)."""
    kind: type[Node]
    data: Any
    if isinstance(arg, Node):
        kind, data, label = type(arg), arg.data, arg.label
    elif isinstance(arg, numbers.Real):
        kind, data, label = Value, arg, ""
    elif isinstance(arg, np.ndarray) and arg.dtype.kind in "biuf":
        kind, data, label = Tensor, arg, ""
    else:
        raise TypeError(
            f"{what} must be a Value, a Tensor, a real number or a numeric NumPy array "
            f"(or a tuple/list/dict of them), got {type(arg).__name__}: {arg!r:.60}"
        )
    if isinstance(data, np.ndarray) and data.dtype.kind in "biu":
        data = data.astype(np.float64)
    leaf = kind(cast(Any, data), requires_grad=True)  # a number or an array, as kind takes
    leaf.label = label
    return leaf


def as_node(x: Node, g: Any) -> Node:
    """A gradient ``g`` of ``x`` as a constant node of its kind (``None``, unused: zeros)."""
    if g is None:
        g = np.zeros_like(x.data) if isinstance(x.data, np.ndarray) else 0.0
    return g if isinstance(g, Node) else type(x)(g, requires_grad=False)


def check_argnums(argnums: Argnums, n_args: int, who: str) -> tuple[int, ...]:
    """``argnums`` as a tuple of argument positions; ``ValueError`` naming ``who`` if it is
    empty or names an argument ``f`` was not called with."""
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


class Nesting(threading.local):
    """How many transforms are evaluating their ``f`` right now, one count per thread (a
    ``hessian`` in one thread must not make another thread's top-level ``grad`` a graph)."""

    depth = 0


NESTING = Nesting()


class Call:
    """One evaluation of ``f`` with fresh leaves in place of the differentiated arguments.

    ``fresh=False`` (for ``check``) differentiates with respect to the argument nodes themselves,
    every path counted, which is what perturbing their numbers measures. ``NESTING.depth`` counts
    the calls evaluating their ``f`` right now in this thread (0 at the top level). With
    ``tangents`` (a function of the fresh leaves giving each one's tangent, ``None`` for none)
    ``f`` runs in forward mode: ``self.level`` then holds the tangent of every node it made.
    """

    def __init__(
        self,
        f: Callable,
        args: tuple,
        argnums: Argnums,
        create_graph: bool | None,
        who: str,
        fresh: bool = True,
        tangents: Callable[[list], list] | None = None,
    ) -> None:
        picked = check_argnums(argnums, len(args), who)
        if create_graph is None:
            create_graph = NESTING.depth > 0 and is_grad_enabled()
        self.create_graph, self.who, self.fresh = create_graph, who, fresh
        self.sources: list = []
        self.leaves: list[Node] = []
        call_args = list(args)
        for k in picked:
            sources = flatten(args[k])
            leaves = [as_leaf(a, f"{who}: argument {k}") for a in sources] if fresh else sources
            call_args[k] = unflatten(args[k], iter(leaves))
            self.sources += sources
            self.leaves += leaves
        for leaf, source in zip(self.leaves, self.sources):
            forward.inherit(leaf, source)  # an enclosing forward pass moves the copy as the source
        self.template = (
            args[argnums] if isinstance(argnums, int) else tuple(args[k] for k in picked)
        )
        seeds = tangents(self.leaves) if tangents is not None else None
        level = self.level = forward.Level(create_graph) if seeds is not None else None
        NESTING.depth += 1
        try:
            with enable_grad(), level or contextlib.nullcontext():
                for leaf, t in zip(self.leaves, seeds or ()):
                    if t is not None and level is not None:
                        level.seed(leaf, t)
                self.out = f(*call_args)
        finally:
            NESTING.depth -= 1

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
        return [as_node(x, g) for x, g in zip(self.leaves, gs)]

    def finish(self, result: Any) -> Any:
        """Link each fresh leaf to the argument it copied when the result is differentiable (so
        an enclosing graph reaches the argument through it); return ``result``."""
        if self.create_graph:
            for leaf, source in zip(self.leaves, self.sources):
                if leaf is not source and isinstance(source, Node) and source.requires_grad:
                    leaf._fn = IDENTITY
                    leaf._parents = (source,)
        return result

    @contextlib.contextmanager
    def unlinked(self) -> Iterator[None]:
        """The fresh leaves as leaves again while a later backward pass (``vjp_fn``) runs: it
        stops at them, as the walks before ``finish`` did."""
        links = [(x, x._parents) for x in self.leaves if self.fresh and x._fn is IDENTITY]
        for x, _ in links:
            x._fn, x._parents = None, ()
        try:
            yield
        finally:
            for x, parents in links:
                x._fn, x._parents = IDENTITY, parents


def outputs_of(out: Any, who: str) -> list:
    """The leaves of ``f``'s output, each a float node or a real number (a constant); a
    ``TypeError`` naming any other (an array made with ``.data``, an int tensor, a string)."""
    leaves = flatten(out)
    for o, where in zip(leaves, paths(out, "f(...)")):
        if isinstance(o, Node):
            if o.data.__class__ is not float and o.data.dtype.kind != "f":
                raise TypeError(f"{who}: the output {where} is a {type(o).__name__} of dtype "
                                f"{o.data.dtype}, which has no derivative")  # fmt: skip
        elif not isinstance(o, numbers.Real) or isinstance(o, bool):
            hint = (" (NumPy data, not a Tensor: did f compute with .data or np functions?)"
                    if isinstance(o, np.ndarray) else "")  # fmt: skip
            raise TypeError(f"{who}: the output {where} is a {type(o).__name__}{hint}, which is "
                            "not differentiable; f must return Values or Tensors (or tuples, "
                            "lists, dicts of them)")  # fmt: skip
    return leaves


def constant(o: Any) -> Any:
    """An output as a result that is not differentiated again: a new constant node."""
    return type(o)(o.data, requires_grad=False) if isinstance(o, Node) else o


def scalar_output(out: Any, who: str) -> None:
    """``ValueError``/``TypeError`` naming ``who`` unless ``out`` is a scalar node or number."""
    if isinstance(out, Node) and np.size(out.data) != 1:
        raise ValueError(
            f"{who} needs f to return a scalar, got a {type(out).__name__} of shape "
            f"{shape_of(out)}; use jacobian(f) for vector outputs"
        )
    if not isinstance(out, (Node, numbers.Real)):
        raise TypeError(
            f"{who} needs f to return a scalar Value or one-element Tensor, "
            f"got {type(out).__name__}: {out!r:.60}"
        )


def named(transform: Callable, f: Callable, name: str) -> Callable:
    """``transform`` named after ``f`` (``grad(f)``), with its module and docstring."""
    functools.update_wrapper(transform, f, assigned=("__module__", "__qualname__", "__doc__"))
    transform.__name__ = f"{name}({getattr(f, '__name__', 'f')})"
    return transform
