"""Feeding data to a model: mini-batches and a train/test split.

Both work on NumPy arrays (the tensor engine) and on plain Python lists (the scalar engine):
rows are taken with the same kind of container that came in.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, Union

import numpy as np

__all__ = ["batches", "num_batches", "train_test_split", "train_val_test_split"]

Seed = Union[int, np.random.Generator, None]


def _length(data: Any, name: str) -> int:
    if isinstance(data, np.ndarray):
        if data.ndim == 0:
            raise ValueError(f"{name} must hold one row per sample, got a 0-d array")
        return data.shape[0]
    if hasattr(data, "__len__") and hasattr(data, "__getitem__") and not isinstance(data, str):
        return len(data)
    raise TypeError(f"{name} must be an array or a list of samples, got {type(data).__name__}")


def _shape(data: Any) -> tuple:
    return tuple(np.shape(data)) if isinstance(data, np.ndarray) else (len(data), "...")


def check_lengths(X: Any, y: Any) -> int:
    """The number of samples of ``X``; ``ValueError`` naming both shapes when ``y`` differs."""
    n = _length(X, "X")
    if y is not None and _length(y, "y") != n:
        raise ValueError(f"X and y hold different numbers of samples: X {_shape(X)}, y {_shape(y)}")
    return n


def take(data: Any, indices: Sequence[int] | np.ndarray) -> Any:
    """The rows ``indices`` of ``data``: an array for an array, a list for anything else."""
    if isinstance(data, np.ndarray):
        return data[indices]
    return [data[i] for i in indices]


def _as_generator(seed: Seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _check_batch_size(batch_size: int | None, n: int) -> int:
    if batch_size is None:
        return max(n, 1)
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool):
        raise TypeError(f"batch_size must be a positive int or None, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size}")
    return int(batch_size)


def num_batches(n: int, batch_size: int | None, drop_last: bool = False) -> int:
    """Iterations per epoch: ``ceil(n / batch_size)`` (``floor`` with ``drop_last``)."""
    size = _check_batch_size(batch_size, n)
    return n // size if drop_last else math.ceil(n / size)


def batches(
    X: Any,
    y: Any = None,
    batch_size: int | None = 32,
    shuffle: bool = True,
    seed: Seed = None,
    drop_last: bool = False,
) -> Iterator[tuple[Any, Any]]:
    """Yield ``(X_batch, y_batch)`` pairs that cover the data once (one epoch).

    ``batch_size=1`` is stochastic gradient descent, ``None`` (or ``len(X)``) one full batch.
    The last batch holds the remainder and may be shorter, unless ``drop_last=True`` drops it.
    ``shuffle`` visits the samples in a random order drawn from ``seed`` (an int, a NumPy
    ``Generator`` which then advances, or None for fresh randomness); ``y=None`` yields
    ``(X_batch, None)``.
    """
    n = check_lengths(X, y)
    size = _check_batch_size(batch_size, n)
    order = _as_generator(seed).permutation(n) if shuffle else np.arange(n)
    stop = n - n % size if drop_last else n
    for start in range(0, stop, size):
        idx = order[start : start + size]
        yield take(X, idx), (None if y is None else take(y, idx))


def train_test_split(
    X: Any,
    y: Any = None,
    test_size: float | int = 0.25,
    seed: int | None = None,
    shuffle: bool = True,
) -> tuple[Any, Any, Any, Any]:
    """Split into ``X_train, X_test, y_train, y_test`` (scikit-learn's order).

    ``test_size`` is a fraction in (0, 1) or a number of samples; the test set gets
    ``ceil(test_size * n)`` samples. With the same ``seed``, the split is the one
    ``sklearn.model_selection.train_test_split(..., random_state=seed)`` makes.
    ``shuffle=False`` keeps the order: the test set is the last samples. With ``y=None`` the
    two ``y`` parts are None.
    """
    n = check_lengths(X, y)
    n_test = _count(test_size, n, "test_size")
    if not 0 < n_test < n:
        raise ValueError(
            f"test_size={test_size} leaves {n_test} of {n} samples for testing; "
            "both parts must be non-empty"
        )
    if shuffle:
        order = np.random.RandomState(seed).permutation(n)
        test, train = order[:n_test], order[n_test:]
    else:
        train, test = np.arange(n - n_test), np.arange(n - n_test, n)
    if y is None:
        return take(X, train), take(X, test), None, None
    return take(X, train), take(X, test), take(y, train), take(y, test)


def _count(size: float | int, n: int, name: str) -> int:
    """A size given as a fraction in (0, 1) (``ceil(size * n)``) or a count, as a count."""
    if isinstance(size, (float, np.floating)):
        if not 0 < size < 1:
            raise ValueError(f"{name} as a fraction must be in (0, 1), got {size}")
        return math.ceil(size * n)
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        return int(size)
    raise TypeError(f"{name} must be a fraction or a count, got {size!r}")


def _stratified(labels: np.ndarray, n_val: int, n_test: int, rng: np.random.Generator) -> tuple:
    """Train, val, test indices keeping each class's share (largest remainders for rounding)."""
    classes, inverse = np.unique(labels, return_inverse=True)
    counts = np.bincount(inverse)
    n = len(labels)
    parts: list[list[np.ndarray]] = [[], [], []]
    alloc = []
    for k in (n_val, n_test):
        exact = counts * k / n
        base = np.floor(exact).astype(int)
        extra = k - base.sum()
        base[np.argsort(-(exact - base), kind="stable")[:extra]] += 1
        alloc.append(base)
    for c in range(len(classes)):
        idx = rng.permutation(np.flatnonzero(inverse == c))
        v, t = alloc[0][c], alloc[1][c]
        v = min(v, len(idx))
        t = min(t, len(idx) - v)
        parts[1].append(idx[:v])
        parts[2].append(idx[v : v + t])
        parts[0].append(idx[v + t :])
    return tuple(rng.permutation(np.concatenate(p)).astype(int) for p in parts)


def train_val_test_split(
    X: Any,
    y: Any = None,
    val_size: float | int = 0.15,
    test_size: float | int = 0.15,
    seed: int | None = None,
    stratify: Any = None,
) -> tuple[Any, Any, Any, Any, Any, Any]:
    """Split into ``X_train, X_val, X_test, y_train, y_val, y_test``: three disjoint parts.

    ``val_size`` and ``test_size`` are fractions in (0, 1) of all samples (``ceil(f * n)``
    samples) or counts; the rest is the training set, which must keep at least one sample.
    The same ``seed`` gives the same split. ``stratify`` (e.g. ``y``, or any label array of
    length n) keeps each class's proportion in every part, up to rounding. With ``y=None``
    the ``y`` parts are None.
    """
    n = check_lengths(X, y)
    n_val, n_test = _count(val_size, n, "val_size"), _count(test_size, n, "test_size")
    if n_val < 1 or n_test < 1 or n_val + n_test >= n:
        raise ValueError(
            f"val_size={val_size} and test_size={test_size} give {n_val} validation and "
            f"{n_test} test samples of {n}; all three parts must be non-empty"
        )
    rng = np.random.default_rng(seed)
    if stratify is not None:
        labels = np.asarray(stratify)
        if len(labels) != n:
            raise ValueError(f"stratify holds {len(labels)} labels for {n} samples")
        train, val, test = _stratified(labels, n_val, n_test, rng)
    else:
        order = rng.permutation(n)
        val, test, train = order[:n_val], order[n_val : n_val + n_test], order[n_val + n_test :]
    parts = [take(X, i) for i in (train, val, test)]
    ys: list[Any] = [None] * 3 if y is None else [take(y, i) for i in (train, val, test)]
    return (*parts, *ys)
