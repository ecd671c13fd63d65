"""Small offline datasets for learning: five generated 2-D sets and the 8x8 digits.

Every loader returns ``(X, y)``: ``X`` a float64 array of shape ``(n_samples, n_features)``,
``y`` an int64 array of class indices ``0 .. n_classes - 1``. The generated sets are drawn from
``seed`` (the same seed gives the same points; ``None`` gives fresh ones); ``moons`` and
``circles`` produce exactly the points of scikit-learn's ``make_moons`` / ``make_circles``
with ``random_state=seed``, without needing scikit-learn. Nothing is downloaded.
"""

from __future__ import annotations

import numpy as np

from .module import seed_rng

__all__ = ["circles", "digits", "gaussians", "moons", "spirals", "xor"]


def _check_count(name: str, value: int, minimum: int) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _check_noise(noise: float) -> float:
    if not isinstance(noise, (int, float)) or isinstance(noise, bool) or not noise >= 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    return float(noise)


def _two_classes(
    first: tuple[np.ndarray, np.ndarray],
    second: tuple[np.ndarray, np.ndarray],
    noise: float,
    rng: np.random.RandomState,
) -> tuple[np.ndarray, np.ndarray]:
    """Stack two point sets as classes 0 and 1, shuffle them, add Gaussian noise
    (scikit-learn's order of random draws, so its points are reproduced)."""
    X = np.vstack([np.append(first[0], second[0]), np.append(first[1], second[1])]).T
    y = np.hstack([np.zeros(len(first[0]), np.int64), np.ones(len(second[0]), np.int64)])
    order = np.arange(len(y))
    rng.shuffle(order)
    X, y = X[order], y[order]
    X += rng.normal(scale=noise, size=X.shape)
    return X, y


def moons(
    n_samples: int = 100, noise: float = 0.1, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles in 2-D (classes 0 and 1, half the points each).

    The upper moon is the arc of the unit circle from angle 0 to pi; the lower one is the
    same arc turned over and shifted to ``(1, 0.5)``. Gaussian noise of standard deviation
    ``noise`` is added to every coordinate. micrograd's demo uses
    ``moons(100, noise=0.1, seed=1)`` with labels mapped to -1/+1 (``2 * y - 1``).
    """
    n_samples = _check_count("n_samples", n_samples, 2)
    noise = _check_noise(noise)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    upper = (np.cos(t_out), np.sin(t_out))
    lower = (1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5)
    return _two_classes(upper, lower, noise, np.random.RandomState(seed))


def circles(
    n_samples: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A circle (class 1, radius ``factor``) inside another (class 0, radius 1), in 2-D.

    No straight line separates them: a model needs a hidden layer. Gaussian noise of
    standard deviation ``noise`` is added to every coordinate.
    """
    n_samples = _check_count("n_samples", n_samples, 2)
    noise = _check_noise(noise)
    if not isinstance(factor, (int, float)) or not 0 <= factor < 1:
        raise ValueError(f"factor (inner radius / outer radius) must be in [0, 1), got {factor!r}")
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    outer = (np.cos(t_out), np.sin(t_out))
    inner = (np.cos(t_in) * factor, np.sin(t_in) * factor)
    return _two_classes(outer, inner, noise, np.random.RandomState(seed))


def spirals(
    n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms in 2-D (the CS231n spiral set).

    Arm ``k`` holds ``n_samples // n_classes`` points (the first arms take one more when the
    division leaves a remainder) at radius ``r`` from 0 to 1 and angle ``4 * (k + r)`` plus
    Gaussian noise of standard deviation ``noise`` (in radians). Points are grouped by class,
    not shuffled (``batches`` shuffles).
    """
    n_classes = _check_count("n_classes", n_classes, 2)
    n_samples = _check_count("n_samples", n_samples, n_classes)
    noise = _check_noise(noise)
    rng = seed_rng(seed)
    counts = [n_samples // n_classes + (k < n_samples % n_classes) for k in range(n_classes)]
    xs, ys = [], []
    for k, count in enumerate(counts):
        r = np.linspace(0.0, 1.0, count)
        t = np.linspace(4.0 * k, 4.0 * (k + 1), count) + rng.normal(scale=noise, size=count)
        xs.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        ys.append(np.full(count, k, dtype=np.int64))
    return np.concatenate(xs), np.concatenate(ys)


def xor(
    n_samples: int = 200, noise: float = 0.0, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The exclusive-or pattern in 2-D: points uniform in the square ``[-1, 1]^2`` (kept a
    margin of 0.05 away from the axes), class 1 where ``x1 * x2 > 0`` (first and third
    quadrants), class 0 elsewhere. No straight line separates them; the product feature
    ``x1 * x2`` alone does. Gaussian noise of standard deviation ``noise`` is added to every
    coordinate after the labels are drawn, so noisy points cross into the wrong quadrant.
    """
    n_samples = _check_count("n_samples", n_samples, 2)
    noise = _check_noise(noise)
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    X += np.where(X >= 0, 0.05, -0.05)  # the margin: no point sits on an axis
    X *= 1.0 / 1.05
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    X += rng.normal(scale=noise, size=X.shape)
    return X, y


def gaussians(
    n_samples: int = 200, noise: float = 0.1, spread: float = 0.3, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two round Gaussian blobs in 2-D: class 0 around ``(-0.5, -0.5)``, class 1 around
    ``(0.5, 0.5)``, each of standard deviation ``spread`` per coordinate, half the points each;
    then Gaussian noise of standard deviation ``noise`` on every coordinate (as ``moons``).
    A straight line separates them well: a network without hidden layers is enough.
    """
    n_samples = _check_count("n_samples", n_samples, 2)
    noise = _check_noise(noise)
    if not isinstance(spread, (int, float)) or isinstance(spread, bool) or not spread > 0:
        raise ValueError(f"spread must be a number > 0, got {spread!r}")
    rng = np.random.RandomState(seed)
    n_first = n_samples // 2
    n_second = n_samples - n_first
    first = rng.normal(-0.5, spread, size=(2, n_first))
    second = rng.normal(0.5, spread, size=(2, n_second))
    return _two_classes((first[0], first[1]), (second[0], second[1]), noise, rng)


def digits(scale: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled handwritten digits: 1,797 images of 8x8 pixels, classes 0-9.

    ``X`` has shape ``(1797, 64)`` (each row an image, read row by row); pixel values are 0-16,
    divided by 16 into [0, 1] when ``scale`` is True. The data ships inside scikit-learn (no
    download); this loader needs it installed (``pip install scikit-learn``, or the
    ``datasets`` extra of chainrule). The order is scikit-learn's; there is nothing random here.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError(
            "nn.datasets.digits() reads the digits bundled with scikit-learn, which is not "
            "installed: pip install scikit-learn (or chainrule[datasets])"
        ) from e
    bunch = load_digits()
    X = np.asarray(bunch.data, dtype=np.float64)
    return (X / 16.0 if scale else X), np.asarray(bunch.target, dtype=np.int64)
