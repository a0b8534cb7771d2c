"""Pooling over images (channels last): ``MaxPool2D``, ``AvgPool2D``, ``GlobalAvgPool2D``.

Max pooling sends each window's gradient to one maximum: the first in the
window's row-major order when several are equal (as PyTorch does). Average
pooling with 'same' padding averages the real pixels only (the padding is
not counted), as Keras does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlpkit.layers._im2col import Windows, check_padding, pair
from mlpkit.layers.base import Layer, Shape

__all__ = ["AvgPool2D", "GlobalAvgPool2D", "MaxPool2D"]


class _Pool2D(Layer):
    """Windows of ``pool_size`` moving by ``strides`` (default: ``pool_size``)."""

    fresh_output = True
    fresh_input_grad = True

    def __init__(
        self,
        pool_size: int | tuple[int, int] = 2,
        strides: int | tuple[int, int] | None = None,
        padding: str = "valid",
    ) -> None:
        super().__init__()
        self.pool_size = pair(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else pair(strides, "strides")
        self.padding = check_padding(padding)
        self._windows: Windows | None = None
        self._shape: tuple[int, ...] = ()
        self._offsets: list = []
        # Max pooling's reused buffers and the last training pass's masks.
        self._stack_buffer: np.ndarray | None = None
        self._mask_buffer: np.ndarray | None = None
        self._masks: np.ndarray | None = None

    def _geometry(self, input_shape: Shape) -> Windows:
        return Windows(tuple(input_shape), self.pool_size, self.strides, self.padding)

    def output_shape(self, input_shape: Shape) -> Shape:
        return (*self._geometry(input_shape).output_shape, input_shape[-1])

    def workspace(self, input_shape: Shape) -> int:
        """The stacked windows (max) or padded copy: one value per window position."""
        windows = self._geometry(input_shape)
        return windows.out_h * windows.out_w * input_shape[-1] * math.prod(self.pool_size)

    def multiply_adds(self, input_shape: Shape) -> int:
        """One comparison (max) or add (average) per value of each window."""
        return self.workspace(input_shape)

    def build(self, input_shape: Shape, rng: np.random.Generator, dtype: type[np.floating]) -> None:
        super().build(input_shape, rng, dtype)
        self._windows = self._geometry(input_shape)
        self._offsets = list(self._windows.offsets())

    def _ready(self) -> Windows:
        if self._windows is None:
            raise RuntimeError(f"{type(self).__name__} must be built (put it in a Network) first")
        return self._windows

    def get_config(self) -> dict[str, Any]:
        strides = None if self.strides == self.pool_size else list(self.strides)
        return {"pool_size": list(self.pool_size), "strides": strides, "padding": self.padding}


class MaxPool2D(_Pool2D):
    """The largest value of each window, per channel.

    Backward: each window's ``dY`` goes to the position of its maximum (the
    first one, when several are equal); overlapping windows add up.
    """

    name = "max_pool2d"
    aliases = ("maxpool2d", "max_pooling2d", "maxpooling2d")

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        windows = self._ready()
        padded = windows.pad(X, fill=-np.inf)
        # The windows' k-th values, one contiguous (n, out_h, out_w, c) slab per window
        # position k: comparing contiguous slabs is several times faster than
        # comparing strided views of the image.
        shape = (len(self._offsets), len(X), *windows.output_shape, X.shape[-1])
        self._stack_buffer, stack = _reused(self._stack_buffer, shape, X.dtype)
        for k, (_, _, rows, cols) in enumerate(self._offsets):
            stack[k] = padded[:, rows, cols, :]
        Y = np.maximum(stack[0], stack[1]) if len(stack) > 1 else stack[0].copy()
        for slab in stack[2:]:
            np.maximum(Y, slab, out=Y)
        if training:
            # One mask per window position: where it holds its window's maximum and
            # no earlier position does (the first maximum wins ties).
            self._mask_buffer, masks = _reused(self._mask_buffer, shape, np.dtype(bool))
            np.equal(stack, Y, out=masks)
            taken = masks[0].copy()
            for mask in masks[1:]:
                np.greater(mask, taken, out=mask)  # mask and not taken
                taken |= mask
            self._masks, self._shape = masks, X.shape
        return Y

    def choices(self) -> np.ndarray | None:
        return self._masks

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray:
        windows = self._ready()
        if self._masks is None:
            raise RuntimeError("MaxPool2D.backward needs a forward pass with training=True")
        masks = self._masks
        total = np.zeros((self._shape[0], *windows.padded_shape, self._shape[-1]), dY.dtype)
        overlapping = any(s < p for s, p in zip(self.strides, self.pool_size, strict=True))
        for mask, (_, _, rows, cols) in zip(masks, self._offsets, strict=True):
            if overlapping:
                total[:, rows, cols, :] += dY * mask
            else:  # each pixel is in one window at most: write, do not add
                np.multiply(dY, mask, out=total[:, rows, cols, :])
        return windows.crop(total)


def _reused(
    buffer: np.ndarray | None, shape: tuple[int, ...], dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """``(buffer, view)``: a (k, n, ...) view of ``buffer``, which grows when too small.

    Batches of one size or smaller reuse the buffer; each ``view[k]`` is contiguous.
    """
    n = shape[1]
    fits = buffer is not None and buffer.dtype == dtype and buffer.shape[1] >= n
    if not fits or buffer.shape[:1] + buffer.shape[2:] != shape[:1] + shape[2:]:
        buffer = np.empty(shape, dtype)
    return buffer, buffer[:, :n]


class AvgPool2D(_Pool2D):
    """The mean of each window, per channel (padding excluded from the count).

    Backward: each window's ``dY`` is shared equally among its real pixels.
    """

    name = "avg_pool2d"
    aliases = ("avgpool2d", "average_pooling2d", "averagepooling2d")

    def build(self, input_shape: Shape, rng: np.random.Generator, dtype: type[np.floating]) -> None:
        super().build(input_shape, rng, dtype)
        # Real pixels per window, (out_h, out_w, 1): windows over an image of ones.
        counting = self._geometry((*input_shape[:2], 1))
        ones = counting.pad(np.ones((1, *input_shape[:2], 1), dtype))
        self._count = np.zeros((counting.out_h, counting.out_w, 1), dtype)
        for _, _, rows, cols in counting.offsets():
            self._count += ones[0, rows, cols, :]

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        windows = self._ready()
        padded = windows.pad(X)
        total = np.zeros((len(X), windows.out_h, windows.out_w, X.shape[-1]), X.dtype)
        for _, _, rows, cols in windows.offsets():
            total += padded[:, rows, cols, :]
        self._shape = X.shape
        total /= self._count
        return total

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray:
        windows = self._ready()
        share = dY / self._count
        total = np.zeros((self._shape[0], *windows.padded_shape, self._shape[-1]), dY.dtype)
        for _, _, rows, cols in windows.offsets():
            total[:, rows, cols, :] += share
        return windows.crop(total)


class GlobalAvgPool2D(Layer):
    """The mean over all positions of each channel: (h, w, c) becomes (c,).

    Backward: ``dX = dY / (h * w)`` at every position.
    """

    name = "global_avg_pool2d"
    aliases = ("globalavgpool2d", "global_average_pooling2d", "globalaveragepooling2d")
    fresh_output = True
    fresh_input_grad = True

    def multiply_adds(self, input_shape: Shape) -> int:
        """One add per input value."""
        return math.prod(input_shape)

    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 3:
            raise ValueError(
                f"takes images of shape (height, width, channels), got {tuple(input_shape)}"
            )
        return (input_shape[-1],)

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        self._shape = X.shape
        return X.mean(axis=(1, 2))

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray:
        n, h, w, c = self._shape
        return np.broadcast_to((dY / (h * w))[:, None, None, :], (n, h, w, c)).copy()
