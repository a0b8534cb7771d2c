"""Column sums of tall matrices as matrix-vector products.

``ones @ rows`` hands the sum over rows to BLAS, which is several times faster
than ``rows.sum(axis=0)`` on the tall, narrow matrices of convolutional layers
(a conv layer's bias gradient at batch 128, 73728 x 64 float32: 2.9 against
11.6 ms; BatchNorm's statistics at batch 32, 25088 x 32: 0.18 against 2.5 ms,
measured on one thread).
"""

from __future__ import annotations

import numpy as np

_ONES: dict[tuple[int, np.dtype], np.ndarray] = {}


def column_sums(rows: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``rows.sum(axis=0)`` for ``rows`` of shape (M, k), as one matrix-vector product.

    Returns an array of shape (k,), ``out`` if given.
    """
    key = (len(rows), rows.dtype)
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) > 16:  # bounded: a run meets few batch sizes
            _ONES.clear()
        ones = _ONES[key] = np.ones(len(rows), rows.dtype)
        ones.flags.writeable = False
    return np.matmul(ones, rows, out=out)
