"""Mini-batches, train/test split and the offline datasets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from nn import datasets


@pytest.mark.parametrize(("n", "size", "count"), [(10, 3, 4), (10, 5, 2), (10, 1, 10), (10, 32, 1)])
def test_batches_cover_every_sample_once(n, size, count):
    X, y = np.arange(2 * n).reshape(n, 2), np.arange(n)
    parts = list(nn.batches(X, y, size, shuffle=True, seed=0))
    assert len(parts) == count == nn.num_batches(n, size)
    seen = np.concatenate([yb for _, yb in parts])
    assert sorted(seen) == list(range(n))
    for xb, yb in parts:
        np.testing.assert_array_equal(xb[:, 0], 2 * yb)  # rows stay paired with their labels
    assert len(parts[-1][1]) == n - size * (count - 1)


@given(
    n=st.integers(1, 60),
    size=st.one_of(st.none(), st.integers(1, 70)),
    drop_last=st.booleans(),
    shuffle=st.booleans(),
)
def test_batches_partition_property(n, size, drop_last, shuffle):
    parts = [xb for xb, _ in nn.batches(np.arange(n), None, size, shuffle, 0, drop_last)]
    assert len(parts) == nn.num_batches(n, size, drop_last)
    seen = np.concatenate(parts) if parts else np.array([], dtype=int)
    assert len(set(seen.tolist())) == len(seen)  # no sample twice
    width = n if size is None else size
    if not drop_last:
        assert sorted(seen.tolist()) == list(range(n))
    assert all(len(p) == width for p in parts[:-1])
    if drop_last:
        assert all(len(p) == width for p in parts) and len(seen) == n - n % width


def test_batches_full_batch_drop_last_and_order():
    X = np.arange(10)
    assert [len(xb) for xb, _ in nn.batches(X, None, None)] == [10]
    assert [len(xb) for xb, _ in nn.batches(X, None, 4, drop_last=True)] == [4, 4]
    assert nn.num_batches(10, 4, drop_last=True) == 2
    ordered = np.concatenate([xb for xb, _ in nn.batches(X, None, 3, shuffle=False)])
    np.testing.assert_array_equal(ordered, X)


def test_batches_seeded_shuffle_is_reproducible_and_lists_work():
    X = [[float(i)] for i in range(20)]
    y = list(range(20))
    a = [yb for _, yb in nn.batches(X, y, 6, seed=3)]
    b = [yb for _, yb in nn.batches(X, y, 6, seed=3)]
    c = [yb for _, yb in nn.batches(X, y, 6, seed=4)]
    assert a == b and a != c
    assert all(isinstance(yb, list) for yb in a)


def test_batches_bad_input():
    with pytest.raises(ValueError, match=r"X \(5, 2\), y \(4,\)"):
        list(nn.batches(np.zeros((5, 2)), np.zeros(4), 2))
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        list(nn.batches(np.zeros(5), None, 0))
    with pytest.raises(TypeError, match="batch_size must be a positive int"):
        list(nn.batches(np.zeros(5), None, 2.5))
    with pytest.raises(TypeError, match="X must be an array or a list"):
        list(nn.batches(5, None, 2))


def test_train_test_split_matches_sklearn():
    sklearn_split = pytest.importorskip("sklearn.model_selection").train_test_split
    X, y = np.arange(200).reshape(100, 2), np.arange(100)
    for seed in (0, 1, 42):
        ours = nn.train_test_split(X, y, test_size=0.25, seed=seed)
        theirs = sklearn_split(X, y, test_size=0.25, random_state=seed)
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a, b)


def test_train_test_split_sizes_lists_and_errors():
    X = [[i] for i in range(10)]
    X_tr, X_te, y_tr, y_te = nn.train_test_split(X, list(range(10)), test_size=0.33, seed=0)
    assert (len(X_tr), len(X_te)) == (6, 4)  # ceil(3.3) = 4 test samples
    assert sorted(y_tr + y_te) == list(range(10))
    assert [x[0] for x in X_te] == y_te
    X_tr, X_te, _, _ = nn.train_test_split(np.arange(10), None, test_size=3, shuffle=False)
    np.testing.assert_array_equal(X_te, [7, 8, 9])
    with pytest.raises(ValueError, match="fraction must be in"):
        nn.train_test_split(np.arange(10), test_size=1.5)
    with pytest.raises(ValueError, match="both parts must be non-empty"):
        nn.train_test_split(np.arange(10), test_size=10)


def test_moons_and_circles_match_sklearn_exactly():
    sk = pytest.importorskip("sklearn.datasets")
    for seed in (0, 1, 7):
        X, y = datasets.moons(101, noise=0.1, seed=seed)
        X2, y2 = sk.make_moons(101, noise=0.1, random_state=seed)
        np.testing.assert_array_equal(X, X2)
        np.testing.assert_array_equal(y, y2)
        X, y = datasets.circles(60, noise=0.05, factor=0.3, seed=seed)
        X2, y2 = sk.make_circles(60, noise=0.05, factor=0.3, random_state=seed)
        np.testing.assert_array_equal(X, X2)
        np.testing.assert_array_equal(y, y2)


def test_generated_sets_are_seeded_and_shaped():
    for make in (datasets.moons, datasets.circles, datasets.spirals):
        X, y = make(seed=5)
        X2, y2 = make(seed=5)
        X3, _ = make(seed=6)
        np.testing.assert_array_equal(X, X2)
        np.testing.assert_array_equal(y, y2)
        assert not np.array_equal(X, X3)
        assert X.dtype == np.float64 and X.shape == (len(y), 2) and y.dtype == np.int64
    X, y = datasets.spirals(n_samples=100, n_classes=3, noise=0.0)
    assert np.bincount(y).tolist() == [34, 33, 33]
    np.testing.assert_allclose(np.hypot(X[:, 0], X[:, 1])[:34], np.linspace(0, 1, 34))


def test_moons_shape_without_noise():
    X, y = datasets.moons(50, noise=0.0)
    upper = X[y == 0]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)


def test_dataset_arguments_checked():
    with pytest.raises(ValueError, match="n_samples must be an int >= 2"):
        datasets.moons(1)
    with pytest.raises(ValueError, match="noise must be a number >= 0"):
        datasets.circles(noise=-1)
    with pytest.raises(ValueError, match="factor"):
        datasets.circles(factor=1.5)
    with pytest.raises(ValueError, match="n_classes must be an int >= 2"):
        datasets.spirals(n_classes=1)


def test_digits():
    pytest.importorskip("sklearn")
    X, y = datasets.digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0
    assert sorted(set(y.tolist())) == list(range(10))
    raw, _ = datasets.digits(scale=False)
    assert raw.max() == 16.0
