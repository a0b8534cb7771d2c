"""Seeded 2-D toy problems: moons, circles, blobs, spirals and XOR.

Every generator returns ``X`` of shape (n_samples, 2) (blobs: n_features) as
float64 and integer labels ``y`` of shape (n_samples,), with the classes as
equal in size as ``n_samples`` allows and the rows in random order.
"""

from __future__ import annotations

import numpy as np

from mlpkit._validation import as_rng, check_int, check_positive

__all__ = ["make_blobs", "make_circles", "make_moons", "make_spirals", "make_xor"]


#: An integer seed, a generator to draw from, or None for fresh entropy.
Seed = int | np.random.Generator | None
#: Inputs of shape (n, n_features) and labels of shape (n,).
Pair = tuple[np.ndarray, np.ndarray]


def _class_sizes(n_samples: int, n_classes: int) -> np.ndarray:
    """Split ``n_samples`` into ``n_classes`` sizes that differ by at most one."""
    sizes = np.full(n_classes, n_samples // n_classes)
    sizes[: n_samples % n_classes] += 1
    return sizes


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> Pair:
    order = rng.permutation(len(y))
    return X[order], y[order]


def make_moons(n_samples: int = 1000, noise: float = 0.1, seed: Seed = None) -> Pair:
    """Two interleaving half-circles of radius 1.

    Class 0 is the upper arc centred at (0, 0); class 1 the lower arc centred
    at (1, 0.5). Gaussian noise of standard deviation ``noise`` is added.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), int64
    """
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    noise = check_positive(noise, "noise", allow_zero=True)
    rng = as_rng(seed)
    n0, n1 = _class_sizes(n_samples, 2)
    upper = np.linspace(0, np.pi, n0)
    lower = np.linspace(0, np.pi, n1)
    X = np.vstack(
        [
            np.column_stack([np.cos(upper), np.sin(upper)]),
            np.column_stack([1 - np.cos(lower), 0.5 - np.sin(lower)]),
        ]
    )
    X += rng.normal(0.0, noise, size=X.shape) if noise else 0.0
    y = np.repeat([0, 1], [n0, n1])
    return _shuffled(X, y, rng)


def make_circles(
    n_samples: int = 1000, noise: float = 0.05, factor: float = 0.5, seed: Seed = None
) -> Pair:
    """A small circle (class 1, radius ``factor``) inside a unit circle (class 0)."""
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    noise = check_positive(noise, "noise", allow_zero=True)
    factor = check_positive(factor, "factor")
    if factor >= 1:
        raise ValueError(f"factor must be in (0, 1), got {factor}")
    rng = as_rng(seed)
    n_outer, n_inner = _class_sizes(n_samples, 2)
    outer = np.linspace(0, 2 * np.pi, n_outer, endpoint=False)
    inner = np.linspace(0, 2 * np.pi, n_inner, endpoint=False)
    X = np.vstack(
        [
            np.column_stack([np.cos(outer), np.sin(outer)]),
            factor * np.column_stack([np.cos(inner), np.sin(inner)]),
        ]
    )
    X += rng.normal(0.0, noise, size=X.shape) if noise else 0.0
    y = np.repeat([0, 1], [n_outer, n_inner])
    return _shuffled(X, y, rng)


def make_blobs(
    n_samples: int = 1000,
    centers: int | np.ndarray = 3,
    std: float = 1.0,
    n_features: int = 2,
    box: tuple[float, float] = (-10.0, 10.0),
    seed: Seed = None,
) -> Pair:
    """Isotropic Gaussian clusters, one class per centre.

    Parameters
    ----------
    centers : int or array-like of shape (n_classes, n_features)
        The number of centres (drawn uniformly in ``box``) or the centres.
    std : float
        Standard deviation of each cluster.
    """
    n_samples = check_int(n_samples, "n_samples")
    std = check_positive(std, "std")
    rng = as_rng(seed)
    if isinstance(centers, int | np.integer):
        n_features = check_int(n_features, "n_features")
        centers = rng.uniform(box[0], box[1], size=(check_int(centers, "centers"), n_features))
    centers = np.asarray(centers, dtype=float)
    if centers.ndim != 2:
        raise ValueError(f"centers must have shape (n_classes, n_features), got {centers.shape}")
    sizes = _class_sizes(n_samples, len(centers))
    X = np.vstack(
        [c + rng.normal(0.0, std, size=(k, c.size)) for c, k in zip(centers, sizes, strict=True)]
    )
    y = np.repeat(np.arange(len(centers)), sizes)
    return _shuffled(X, y, rng)


def make_spirals(
    n_samples: int = 900,
    n_classes: int = 3,
    noise: float = 0.2,
    turns: float = 1.0,
    seed: Seed = None,
) -> Pair:
    """``n_classes`` spiral arms winding out of the origin, one class per arm.

    Arm ``c`` at radius ``r`` in [0, 1] has angle ``2 pi (turns r + c / n_classes)``,
    plus Gaussian noise of ``noise`` radians.
    """
    n_samples = check_int(n_samples, "n_samples")
    n_classes = check_int(n_classes, "n_classes", minimum=2)
    noise = check_positive(noise, "noise", allow_zero=True)
    turns = check_positive(turns, "turns")
    rng = as_rng(seed)
    parts = []
    sizes = _class_sizes(n_samples, n_classes)
    for c, k in enumerate(sizes):
        radius = np.linspace(0.0, 1.0, k)
        angle = 2 * np.pi * (turns * radius + c / n_classes) + rng.normal(0.0, noise, k)
        parts.append(radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)]))
    y = np.repeat(np.arange(n_classes), sizes)
    return _shuffled(np.vstack(parts), y, rng)


def make_xor(n_samples: int = 4, noise: float = 0.0, seed: Seed = None) -> Pair:
    """The XOR problem: corners of the unit square labelled ``x1 xor x2``.

    With the defaults (4 samples, no noise) this is the truth table itself.
    Larger ``n_samples`` repeat the corners, with Gaussian ``noise`` added.
    """
    n_samples = check_int(n_samples, "n_samples", minimum=4)
    noise = check_positive(noise, "noise", allow_zero=True)
    rng = as_rng(seed)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    X = corners[np.arange(n_samples) % 4]
    y = np.logical_xor(X[:, 0], X[:, 1]).astype(np.int64)
    if noise:
        X = X + rng.normal(0.0, noise, size=X.shape)
    if n_samples == 4 and not noise:
        return X, y
    return _shuffled(X, y, rng)
