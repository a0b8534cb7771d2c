"""Pooling as compiled loops (twins of ``mlpkit.layers.pooling``).

The references build every window as a copy, ``(n, out_h, out_w, ph * pw, c)``,
and reduce it; these loops read each input value where it lies and write each
output once, so max pooling makes one pass over its input forward and one
over its output backward. Padding is handled by bounds checks instead of a
padded copy: a window position outside the image is skipped, which for max
pooling is the reference's ``-inf`` border and for average pooling its
count of real pixels.

Every image is ``(n, height, width, channels)``, C-contiguous; ``top`` and
``left`` are the padding before the first row and column.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["avg_pool", "avg_pool_backward", "global_avg_pool", "max_pool", "max_pool_backward"]


@njit(cache=True)
def max_pool(X, ph, pw, sh, sw, top, left, out_h, out_w):  # pragma: no cover - compiled
    """``(Y, choice)``: each window's maximum and its position ``i * pw + j`` in the window.

    The first maximum in the window's row-major order wins ties, and a NaN
    counts as larger than any number (as ``np.argmax``), so the choices are
    the reference's.
    """
    n, height, width, channels = X.shape
    Y = np.empty((n, out_h, out_w, channels), X.dtype)
    choice = np.zeros((n, out_h, out_w, channels), np.uint16)
    best = np.empty(channels, X.dtype)
    for s in range(n):
        for r in range(out_h):
            for q in range(out_w):
                best[:] = -np.inf
                for i in range(ph):
                    row = r * sh + i - top
                    if row < 0 or row >= height:
                        continue
                    for j in range(pw):
                        col = q * sw + j - left
                        if col < 0 or col >= width:
                            continue
                        for c in range(channels):
                            x = X[s, row, col, c]
                            b = best[c]
                            if b == b and (x > b or x != x):  # b is not NaN; x beats it
                                best[c] = x
                                choice[s, r, q, c] = i * pw + j
                Y[s, r, q, :] = best
    return Y, choice


@njit(cache=True)
def max_pool_backward(dY, choice, ph, pw, sh, sw, top, left, height, width):  # pragma: no cover
    """``dX``: each window's ``dY`` added at the input its ``choice`` names.

    Written as a gather in the order of ``dX``'s rows (each pixel asks the
    windows over it whether it was their choice), which writes memory in
    order: three times faster than scattering each window's ``dY``. A choice
    in the padding (a window of ``-inf`` only) sends its gradient nowhere, as
    the reference's cropped border does.
    """
    n, out_h, out_w, channels = dY.shape
    dX = np.zeros((n, height, width, channels), dY.dtype)
    for s in range(n):
        for r in range(out_h):
            for i in range(ph):
                y = r * sh + i - top
                if y < 0 or y >= height:
                    continue
                for q in range(out_w):
                    for j in range(pw):
                        x = q * sw + j - left
                        if x < 0 or x >= width:
                            continue
                        k = i * pw + j
                        for c in range(channels):
                            if choice[s, r, q, c] == k:
                                dX[s, y, x, c] += dY[s, r, q, c]
    return dX


@njit(cache=True)
def avg_pool(X, ph, pw, sh, sw, top, left, out_h, out_w, count):  # pragma: no cover
    """Each window's sum over its real pixels divided by ``count`` (out_h, out_w)."""
    n, height, width, channels = X.shape
    Y = np.zeros((n, out_h, out_w, channels), X.dtype)
    for s in range(n):
        for r in range(out_h):
            for q in range(out_w):
                for i in range(ph):
                    row = r * sh + i - top
                    if row < 0 or row >= height:
                        continue
                    for j in range(pw):
                        col = q * sw + j - left
                        if col < 0 or col >= width:
                            continue
                        for c in range(channels):
                            Y[s, r, q, c] += X[s, row, col, c]
                for c in range(channels):
                    Y[s, r, q, c] /= count[r, q]
    return Y


@njit(cache=True)
def avg_pool_backward(dY, ph, pw, sh, sw, top, left, height, width, count):  # pragma: no cover
    """``dX``: each window's ``dY / count`` added to each of its real pixels."""
    n, out_h, out_w, channels = dY.shape
    dX = np.zeros((n, height, width, channels), dY.dtype)
    for s in range(n):
        for r in range(out_h):
            for q in range(out_w):
                for i in range(ph):
                    row = r * sh + i - top
                    if row < 0 or row >= height:
                        continue
                    for j in range(pw):
                        col = q * sw + j - left
                        if col < 0 or col >= width:
                            continue
                        for c in range(channels):
                            dX[s, row, col, c] += dY[s, r, q, c] / count[r, q]
    return dX


@njit(cache=True)
def global_avg_pool(X):  # pragma: no cover - compiled
    """``(n, c)``: each channel's mean over the image, summed in float64."""
    n, height, width, channels = X.shape
    Y = np.empty((n, channels), X.dtype)
    total = np.empty(channels, np.float64)
    for s in range(n):
        total[:] = 0.0
        for row in range(height):
            for col in range(width):
                for c in range(channels):
                    total[c] += X[s, row, col, c]
        for c in range(channels):
            Y[s, c] = total[c] / (height * width)
    return Y
