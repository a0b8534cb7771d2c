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
def _span(window, stride, pad, size, limit):  # pragma: no cover - compiled
    """``(first, stop)``: the input indices a window covers, cropped to ``[0, limit)``."""
    start = window * stride - pad
    return max(start, 0), min(start + size, limit)


@njit(cache=True)
def _covering(index, stride, pad, size, windows):  # pragma: no cover - compiled
    """``(first, stop)``: the windows whose span holds input ``index``, within ``[0, windows)``.

    Window ``w`` covers ``w * stride - pad`` to ``w * stride - pad + size - 1``;
    ``//`` floors, so ``-(-a // b)`` is the ceiling.
    """
    first = -(-(index + pad - size + 1) // stride)
    return max(first, 0), min((index + pad) // stride + 1, windows)


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
            y0, y1 = _span(r, sh, top, ph, height)
            for q in range(out_w):
                best[:] = -np.inf
                x0, x1 = _span(q, sw, left, pw, width)
                for y in range(y0, y1):
                    for x in range(x0, x1):
                        k = (y - r * sh + top) * pw + x - q * sw + left
                        for c in range(channels):
                            value = X[s, y, x, c]
                            b = best[c]
                            if b == b and (value > b or value != value):  # b not NaN; value wins
                                best[c] = value
                                choice[s, r, q, c] = k
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
            y0, y1 = _span(r, sh, top, ph, height)
            for y in range(y0, y1):
                i = y - r * sh + top
                for q in range(out_w):
                    x0, x1 = _span(q, sw, left, pw, width)
                    for x in range(x0, x1):
                        k = i * pw + x - q * sw + left
                        for c in range(channels):
                            if choice[s, r, q, c] == k:
                                dX[s, y, x, c] += dY[s, r, q, c]
    return dX


@njit(cache=True)
def avg_pool(X, ph, pw, sh, sw, top, left, out_h, out_w, count):  # pragma: no cover - compiled
    """Each window's sum over its real pixels divided by ``count`` (out_h, out_w).

    Read in ``X``'s row order (a window row's pixels are added to every window
    over them); each window still sums its pixels in row-major order.
    """
    n, height, width, channels = X.shape
    Y = np.zeros((n, out_h, out_w, channels), X.dtype)
    for s in range(n):
        for r in range(out_h):
            y0, y1 = _span(r, sh, top, ph, height)
            for y in range(y0, y1):
                for q in range(out_w):
                    x0, x1 = _span(q, sw, left, pw, width)
                    for x in range(x0, x1):
                        for c in range(channels):
                            Y[s, r, q, c] += X[s, y, x, c]
            for q in range(out_w):
                for c in range(channels):
                    Y[s, r, q, c] /= count[r, q]
    return Y


@njit(cache=True)
def avg_pool_backward(dY, ph, pw, sh, sw, top, left, height, width, count):  # pragma: no cover
    """``dX``: each pixel gathers ``dY / count`` from the windows over it.

    Gathered in ``dX``'s order, as ``max_pool_backward``; each pixel sums its
    windows in row-major order, the order a scatter over the windows would.
    """
    n, out_h, out_w, channels = dY.shape
    dX = np.zeros((n, height, width, channels), dY.dtype)
    for s in range(n):
        for y in range(height):
            r0, r1 = _covering(y, sh, top, ph, out_h)
            for x in range(width):
                q0, q1 = _covering(x, sw, left, pw, out_w)
                for r in range(r0, r1):
                    for q in range(q0, q1):
                        for c in range(channels):
                            dX[s, y, x, c] += dY[s, r, q, c] / count[r, q]
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
