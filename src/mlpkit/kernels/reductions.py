"""Column sums as a compiled loop: a layer's bias gradient over a batch.

``rows.sum(axis=0)`` over a tall, narrow matrix (a convolution's
``(n * out_h * out_w, filters)`` delta) runs NumPy's inner loop over only
``filters`` values per row; this loop reads the rows in order into float64
sums, three times faster (``python bench/kernels.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["column_sums"]


@njit(cache=True)
def column_sums(rows, out):  # pragma: no cover - compiled
    """``out[:] = rows.sum(axis=0)`` for ``rows`` of shape (M, k), summed in float64."""
    m, k = rows.shape
    total = np.zeros(k, np.float64)
    for i in range(m):
        for j in range(k):
            total[j] += rows[i, j]
    for j in range(k):
        out[j] = total[j]
