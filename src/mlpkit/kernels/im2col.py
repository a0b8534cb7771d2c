"""A convolution's data movement as compiled loops (twins of ``mlpkit.layers._im2col``).

``im2col`` copies each window of the image into one row of the patch
matrix, ``(n * out_h * out_w, kh * kw * c)`` in the order (row in window,
column in window, channel); ``col2im`` is its adjoint, adding each row of a
patch gradient back to the pixels it came from. Padding is handled by
bounds checks instead of a padded copy: a window position outside the image
is a zero in ``im2col`` and is skipped by ``col2im``.

Both work on a slice of samples at a time (``first`` to ``first + n``), so
that a convolution can stream its batch through them in chunks whose patch
matrix stays in the processor's cache (``Conv2D`` says how many).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["col2im", "im2col"]


@njit(cache=True)
def im2col(X, first, patches, kh, kw, sh, sw, top, left, out_h, out_w):  # pragma: no cover
    """Fill ``patches`` (rows of ``n = len(patches) // (out_h * out_w)`` samples from ``first``).

    Channels last, a window's row is ``kw * c`` contiguous values of the image
    when the window lies inside it: those are copied as one run, and only
    windows over the border go value by value. The runs index flat arrays
    with unsigned offsets: numba then knows no index is negative, skips its
    wrap-around check and vectorises the copy (ten times faster).
    """
    _, height, width, channels = X.shape
    n = patches.shape[0] // (out_h * out_w)
    run = np.uint64(kw * channels)
    source, target = X.reshape(-1), patches.reshape(-1)
    row = 0
    for s in range(first, first + n):
        for r in range(out_h):
            for q in range(out_w):
                x0 = q * sw - left
                inside = x0 >= 0 and x0 + kw <= width
                for i in range(kh):
                    y = r * sh + i - top
                    to = np.uint64((row * kh + i) * kw * channels)
                    if y < 0 or y >= height:
                        for t in range(run):
                            target[to + t] = 0
                    elif inside:
                        start = np.uint64(((s * height + y) * width + x0) * channels)
                        for t in range(run):
                            target[to + t] = source[start + t]
                    else:
                        for j in range(kw):
                            x = x0 + j
                            for c in range(channels):
                                value = X[s, y, x, c] if 0 <= x < width else 0
                                patches[row, (i * kw + j) * channels + c] = value
                row += 1


@njit(cache=True)
def col2im(grads, dX, first, kh, kw, sh, sw, top, left, out_h, out_w):  # pragma: no cover
    """Add the patch gradients ``grads`` (rows of samples from ``first``) into ``dX``.

    As in ``im2col``, a window inside the image adds each of its rows as one
    contiguous run.
    """
    _, height, width, channels = dX.shape
    n = grads.shape[0] // (out_h * out_w)
    run = np.uint64(kw * channels)
    source, target = grads.reshape(-1), dX.reshape(-1)
    row = 0
    for s in range(first, first + n):
        for r in range(out_h):
            for q in range(out_w):
                x0 = q * sw - left
                inside = x0 >= 0 and x0 + kw <= width
                for i in range(kh):
                    y = r * sh + i - top
                    if y < 0 or y >= height:
                        continue
                    start = np.uint64((row * kh + i) * kw * channels)
                    if inside:
                        to = np.uint64(((s * height + y) * width + x0) * channels)
                        for t in range(run):
                            target[to + t] += source[start + t]
                    else:
                        for j in range(kw):
                            x = x0 + j
                            if 0 <= x < width:
                                for c in range(channels):
                                    dX[s, y, x, c] += grads[row, (i * kw + j) * channels + c]
                row += 1
