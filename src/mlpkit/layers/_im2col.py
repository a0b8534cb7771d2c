"""Sliding windows over images: padding arithmetic, im2col and col2im.

Images are channels last, ``(n, height, width, channels)``. A window of
``kh x kw`` positions moves by ``stride`` pixels; its values, in the order
``(row in window, column in window, channel)``, form one row of the patch
matrix, so that a kernel of shape ``(kh, kw, c_in, filters)`` reshaped to
``(kh * kw * c_in, filters)`` multiplies it directly. Both directions loop
over kernel rows or offsets, never over samples or positions: im2col is one
strided copy per kernel row, col2im one strided addition per offset.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from numpy.lib.stride_tricks import as_strided

PADDINGS = ("valid", "same")


def check_padding(padding: str) -> str:
    """``padding`` if it is 'valid' or 'same' (any case)."""
    if not isinstance(padding, str) or padding.lower() not in PADDINGS:
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    return padding.lower()


def pair(value: int | tuple[int, int] | list[int], name: str) -> tuple[int, int]:
    """``(a, b)`` from an int or a pair of positive ints (``kernel_size=3`` means 3 x 3)."""
    values = (value, value) if isinstance(value, int) and not isinstance(value, bool) else value
    if (
        not isinstance(values, tuple | list)
        or len(values) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values)
    ):
        raise ValueError(f"{name} must be a positive int or a pair of them, got {value!r}")
    return int(values[0]), int(values[1])


def output_size(size: int, window: int, stride: int, padding: str) -> tuple[int, int, int]:
    """``(output size, padding before, padding after)`` along one axis, as Keras computes them.

    'valid': windows that fit, ``floor((size - window) / stride) + 1``. 'same':
    ``ceil(size / stride)`` outputs, with the total padding split so that the
    extra pixel, if any, goes after (bottom, right), as TensorFlow does.
    """
    if padding == "valid":
        if size < window:
            raise ValueError(f"a window of {window} does not fit in {size} pixels ('valid')")
        return (size - window) // stride + 1, 0, 0
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + window - size, 0)
    return out, total // 2, total - total // 2


class Windows:
    """The geometry of windows over images of one shape, and the buffers it reuses.

    Parameters
    ----------
    image_shape : (height, width, channels)
    window : (kh, kw)
    strides : (sh, sw)
    padding : {'valid', 'same'}
    """

    def __init__(
        self,
        image_shape: tuple[int, ...],
        window: tuple[int, int],
        strides: tuple[int, int],
        padding: str,
    ) -> None:
        if len(image_shape) != 3:
            raise ValueError(
                f"takes images of shape (height, width, channels), got samples of shape "
                f"{tuple(image_shape)}"
            )
        self.height, self.width, self.channels = image_shape
        self.window, self.strides = window, strides
        self.out_h, top, bottom = output_size(self.height, window[0], strides[0], padding)
        self.out_w, left, right = output_size(self.width, window[1], strides[1], padding)
        self.pads = (top, bottom, left, right)
        self.padded_shape = (self.height + top + bottom, self.width + left + right)
        self._padded: np.ndarray | None = None
        self._fill = 0.0
        self._patches: np.ndarray | None = None

    @property
    def output_shape(self) -> tuple[int, int]:
        return self.out_h, self.out_w

    def pad(self, X: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """``X`` inside a border of ``fill`` (a reused buffer), or ``X`` itself without padding."""
        top, _, left, _ = self.pads
        if not any(self.pads):
            return X
        n = len(X)
        shape = (n, *self.padded_shape, self.channels)
        buffer = self._padded
        if buffer is None or len(buffer) < n or buffer.dtype != X.dtype or self._fill != fill:
            buffer = self._padded = np.full(shape, fill, dtype=X.dtype)
            self._fill = fill
        padded = buffer[:n]
        padded[:, top : top + self.height, left : left + self.width, :] = X
        return padded  # the border is never written, so it keeps ``fill``

    def offsets(self) -> Iterator[tuple[int, int, slice, slice]]:
        """``(i, j, rows, cols)`` per kernel offset: the strided slices of the padded image."""
        (kh, kw), (sh, sw) = self.window, self.strides
        for i in range(kh):
            for j in range(kw):
                rows = slice(i, i + sh * (self.out_h - 1) + 1, sh)
                cols = slice(j, j + sw * (self.out_w - 1) + 1, sw)
                yield i, j, rows, cols

    def patches(self, padded: np.ndarray) -> np.ndarray:
        """im2col: the windows of ``padded`` as rows, shape (n * out_h * out_w, kh * kw * c).

        One strided copy per kernel row: channels last, the ``kw * c`` values of
        a window's row are contiguous in the image, so each copy moves runs of
        ``kw * c`` values rather than ``c`` (twice as fast as a copy per offset
        for 3x3 kernels over 32 channels). The buffer is reused from batch to
        batch (a smaller batch takes its first rows); the result is valid until
        the next call.
        """
        n = len(padded)
        (kh, kw), (sh, sw) = self.window, self.strides
        shape = (n, self.out_h, self.out_w, kh, kw, self.channels)
        buffer = self._patches
        if buffer is None or len(buffer) < n or buffer.dtype != padded.dtype:
            buffer = self._patches = np.empty(shape, dtype=padded.dtype)
        patches = buffer[:n]
        row = kw * self.channels
        padded = np.ascontiguousarray(padded)  # the strided view below needs C order
        step_n, step_h, step_w, step_c = padded.strides
        for i in range(kh):
            # windows[n, r, c, :] = the kw * c values from pixel (r * sh + i, c * sw) on
            windows = as_strided(
                padded[:, i:],
                shape=(n, self.out_h, self.out_w, row),
                strides=(step_n, step_h * sh, step_w * sw, step_c),
                writeable=False,
            )
            patches[:, :, :, i].reshape(n, self.out_h, self.out_w, row)[...] = windows
        return patches.reshape(n * self.out_h * self.out_w, kh * kw * self.channels)

    def add_patches(self, grads: np.ndarray, n: int) -> np.ndarray:
        """col2im: the sum of patch gradients (n * out_h * out_w, kh * kw * c) over the image.

        Returns the gradient with respect to the unpadded input, (n, h, w, c):
        a new array (a view of one) that nobody else holds.
        """
        kh, kw = self.window
        grads = grads.reshape(n, self.out_h, self.out_w, kh, kw, self.channels)
        total = np.zeros((n, *self.padded_shape, self.channels), dtype=grads.dtype)
        for i, j, rows, cols in self.offsets():
            total[:, rows, cols, :] += grads[:, :, :, i, j, :]
        return self.crop(total)

    def crop(self, padded: np.ndarray) -> np.ndarray:
        """The unpadded part of an array of the padded shape."""
        top, _, left, _ = self.pads
        return padded[:, top : top + self.height, left : left + self.width, :]
