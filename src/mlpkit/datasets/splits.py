"""Splits of a dataset into training, validation and test rows: seeded, stratified by class."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from mlpkit._validation import as_rng, check_same_length

__all__ = ["train_test_split", "train_valid_test_split"]


def _test_count(test_size: float | int, n: int, smallest: int = 1) -> int:
    """The number of test samples ``test_size`` asks for out of ``n``.

    A float is a fraction in (0, 1) and an integer a count: 1.0 is neither
    (read as one sample, it would give a test accuracy of 0 or 100%). Each
    part must keep at least ``smallest`` samples (the number of classes when
    stratifying), or its figures say nothing.
    """
    if isinstance(test_size, bool) or not isinstance(test_size, int | float | np.number):
        raise TypeError(
            f"test_size must be a fraction in (0, 1) or an integer count, "
            f"got {type(test_size).__name__} {test_size!r}"
        )
    if isinstance(test_size, int | np.integer):
        if test_size < 1:
            raise ValueError(f"test_size as a count must be at least 1, got {test_size}")
        count = int(test_size)
    elif 0 < test_size < 1:
        count = round(float(test_size) * n)
    else:
        hint = f"; for a count of {int(test_size)} write it without '.0'" if test_size >= 1 else ""
        raise ValueError(
            f"test_size must be a fraction in (0, 1) or an integer count, got {test_size}{hint}"
        )
    smallest = max(smallest, 1)
    if not smallest <= count <= n - smallest:
        need = "one" if smallest == 1 else f"{smallest} (one per class)"
        raise ValueError(
            f"test_size gives {count} test and {n - count} training samples out of {n}; "
            f"each part needs at least {need}"
        )
    return count


def _stratified_test_indices(y: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Pick ``count`` indices with each class represented in proportion to its size."""
    _classes, inverse = np.unique(y, return_inverse=True)
    sizes = np.bincount(inverse)
    exact = sizes * count / len(y)
    per_class = np.floor(exact).astype(int)
    # Largest remainders get the leftover places, so the total is exactly count.
    leftover = count - per_class.sum()
    per_class[np.argsort(-(exact - per_class), kind="stable")[:leftover]] += 1
    chosen = [rng.permutation(np.flatnonzero(inverse == c))[:k] for c, k in enumerate(per_class)]
    return np.concatenate(chosen)


def train_test_split(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    test_size: float | int = 0.25,
    *,
    stratify: bool = True,
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split ``(X, y)`` into shuffled train and test parts.

    Parameters
    ----------
    X : array-like of shape (n, ...)
    y : array-like of shape (n,) or (n, k)
    test_size : float or int
        A fraction in (0, 1) (a float) or a number of test samples (an int).
        Each part keeps at least one sample, and at least one per class when
        stratifying.
    stratify : bool
        Keep each class's share equal in both parts (needs 1-D class labels).
    seed : int or Generator, optional

    Returns
    -------
    X_train, X_test, y_train, y_test
    """
    X, y = np.asarray(X), np.asarray(y)
    check_same_length(X, y)
    n = len(y)
    if stratify and y.ndim != 1:
        raise ValueError(
            f"stratify=True needs 1-D class labels, got y of shape {y.shape}; "
            "pass stratify=False for other targets"
        )
    count = _test_count(test_size, n, len(np.unique(y)) if stratify else 1)
    rng = as_rng(seed)
    test = _stratified_test_indices(y, count, rng) if stratify else rng.permutation(n)[:count]
    is_test = np.zeros(n, dtype=bool)
    is_test[test] = True
    train = rng.permutation(np.flatnonzero(~is_test))
    test = rng.permutation(test)
    return X[train], X[test], y[train], y[test]


def train_valid_test_split(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    valid_size: float | int,
    test_size: float | int,
    *,
    stratify: bool = True,
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, ...]:
    """Split into train, validation and test parts, stratified by class.

    ``valid_size`` and ``test_size`` are fractions of the whole data or counts.

    Returns
    -------
    X_train, X_valid, X_test, y_train, y_valid, y_test
    """
    rng = as_rng(seed)
    n = len(np.asarray(y))
    n_test = _test_count(test_size, n)
    n_valid = _test_count(valid_size, n)
    if n_test + n_valid >= n:
        raise ValueError(
            f"valid_size and test_size leave no training data ({n_valid} + {n_test} of {n})"
        )
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, n_test, stratify=stratify, seed=rng)
    X_train, X_valid, y_train, y_valid = train_test_split(
        X_rest, y_rest, n_valid, stratify=stratify, seed=rng
    )
    return X_train, X_valid, X_test, y_train, y_valid, y_test
