"""Random changes to training images, drawn afresh for every batch.

Each function returns an ``augment`` callable for ``fit``: ``(X_batch, rng) ->
X_batch``, where each row of the batch is one image of ``image_shape``
(flat, ``(n, height * width)``, or ``(n, height, width, 1)``; the result has
the batch's shape). Uncovered pixels take the image's smallest value, its
background.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["affine", "chain", "random_affine", "random_flips", "random_shifts"]

Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def _check(value: float, name: str, *, integer: bool = False, below: float | None = None) -> None:
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind) or not value >= 0:
        what = "a non-negative integer" if integer else "a non-negative number"
        raise ValueError(f"{name} must be {what}, got {value!r}")
    if below is not None and not value < below:
        raise ValueError(f"{name} must be below {below}, got {value!r}")


def _check_shift(max_shift: float, image_shape: tuple[int, int]) -> None:
    """A shift of half the image or more moves most of it out of view: the class is gone."""
    half = min(image_shape) / 2
    if max_shift >= half:
        raise ValueError(
            f"max_shift must be below {half:g}, half the smaller side of {image_shape[0]}x"
            f"{image_shape[1]} images (further, most of an image leaves the frame), "
            f"got {max_shift!r}"
        )


def random_shifts(image_shape: tuple[int, int], max_shift: int = 2) -> Augment:
    """Shift each image by a random whole number of pixels, up to ``max_shift`` each way.

    Returns
    -------
    callable ``(X_batch, rng) -> X_batch``
    """
    height, width = image_shape
    _check(max_shift, "max_shift", integer=True)
    _check_shift(max_shift, image_shape)

    def shift(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n, s = len(X), max_shift
        images = X.reshape(n, height, width)
        padded = np.empty((n, height + 2 * s, width + 2 * s), dtype=X.dtype)
        padded[:] = images.min(axis=(1, 2))[:, None, None]
        padded[:, s : s + height, s : s + width] = images
        dy, dx = rng.integers(0, 2 * s + 1, size=(2, n))
        rows = (dy[:, None] + np.arange(height))[:, :, None]
        cols = (dx[:, None] + np.arange(width))[:, None, :]
        return padded[np.arange(n)[:, None, None], rows, cols].reshape(X.shape)

    return shift


def random_flips(image_shape: tuple[int, int]) -> Augment:
    """Mirror each image left to right with probability 1/2 (for classes that a mirror keeps:
    clothes, not digits or letters).

    Returns
    -------
    callable ``(X_batch, rng) -> X_batch``
    """
    height, width = image_shape

    def flip(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        images = X.reshape(len(X), height, width)
        mirrored = rng.random(len(X)) < 0.5
        out = images.copy()
        out[mirrored] = images[mirrored, :, ::-1]
        return out.reshape(X.shape)

    return flip


def chain(*augments: Augment) -> Augment:
    """One ``augment`` applying each of ``augments`` in turn, all drawing from one generator."""

    def apply(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        for augment in augments:
            X = augment(X, rng)
        return X

    return apply


def random_affine(
    image_shape: tuple[int, int],
    *,
    max_rotation: float = 10.0,
    max_scale: float = 0.1,
    max_shift: float = 2.0,
) -> Augment:
    """Rotate, scale and shift each image by random amounts, with bilinear interpolation.

    Each image turns about its centre by an angle drawn uniformly from
    ``[-max_rotation, max_rotation]`` degrees, is scaled by a factor from
    ``[1 - max_scale, 1 + max_scale]`` and moved by ``[-max_shift, max_shift]``
    pixels (not only whole ones) along each axis: the small distortions a
    handwritten character tolerates without changing its class.

    Parameters
    ----------
    image_shape : (height, width)
    max_rotation : float, degrees
    max_scale : float in [0, 1)
    max_shift : float, pixels

    Returns
    -------
    callable ``(X_batch, rng) -> X_batch``
    """
    height, width = image_shape
    _check(max_rotation, "max_rotation")
    _check(max_scale, "max_scale", below=1.0)
    _check(max_shift, "max_shift")
    _check_shift(max_shift, image_shape)

    def distort(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = len(X)
        angle = rng.uniform(-1, 1, n) * math.radians(max_rotation)
        scale = 1 + rng.uniform(-1, 1, n) * max_scale
        shift = rng.uniform(-1, 1, (n, 2)) * max_shift
        return affine(X.reshape(n, height, width), angle, scale, shift).reshape(X.shape)

    return distort


def affine(
    images: np.ndarray, angle: np.ndarray, scale: np.ndarray, shift: np.ndarray
) -> np.ndarray:
    """Rotate, scale and shift each image about its centre, with bilinear interpolation.

    Parameters
    ----------
    images : ndarray, shape (n, height, width)
    angle : ndarray, shape (n,)
        Radians, clockwise as the image is shown (row 0 at the top).
    scale : ndarray, shape (n,)
        Positive factors: above 1 enlarges.
    shift : ndarray, shape (n, 2)
        Pixels down and right.

    Returns
    -------
    ndarray, shape (n, height, width), the dtype of ``images``; pixels that
    come from outside an image take its smallest value.
    """
    n, height, width = images.shape
    centre_y, centre_x = (height - 1) / 2, (width - 1) / 2
    # Output pixel coordinates relative to the centre, (height * width,) each.
    grid_y, grid_x = np.meshgrid(
        np.arange(height) - centre_y, np.arange(width) - centre_x, indexing="ij"
    )
    # Where each output pixel comes from: the inverse map, the output position
    # less the shift, scaled by 1 / scale and turned back by the angle.
    cos = (np.cos(angle) / scale)[:, None]
    sin = (np.sin(angle) / scale)[:, None]
    out_y = grid_y.ravel()[None, :] - shift[:, :1]
    out_x = grid_x.ravel()[None, :] - shift[:, 1:]
    source_y = cos * out_y - sin * out_x + centre_y
    source_x = sin * out_y + cos * out_x + centre_x
    return _bilinear(images, source_y, source_x).reshape(n, height, width)


def _bilinear(images: np.ndarray, source_y: np.ndarray, source_x: np.ndarray) -> np.ndarray:
    """Sample ``images`` (n, h, w) at fractional positions (n, k); outside is background.

    A one-pixel border of background around each image lets every position
    outside the image be clipped onto it, so no mask is needed.
    """
    n, height, width = images.shape
    padded = np.empty((n, height + 2, width + 2), images.dtype)
    padded[:] = images.min(axis=(1, 2))[:, None, None]
    padded[:, 1:-1, 1:-1] = images
    flat = padded.reshape(n, -1)
    row0 = np.floor(source_y)
    col0 = np.floor(source_x)
    weight_y = (source_y - row0).astype(images.dtype)
    weight_x = (source_x - col0).astype(images.dtype)
    # Padded indices: image row r is padded row r + 1; clip to the border.
    r0 = np.clip(row0 + 1, 0, height + 1).astype(np.intp)
    r1 = np.clip(row0 + 2, 0, height + 1).astype(np.intp)
    c0 = np.clip(col0 + 1, 0, width + 1).astype(np.intp)
    c1 = np.clip(col0 + 2, 0, width + 1).astype(np.intp)
    stride = width + 2

    def at(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return np.take_along_axis(flat, rows * stride + cols, axis=1)

    top = at(r0, c0) + weight_x * (at(r0, c1) - at(r0, c0))
    bottom = at(r1, c0) + weight_x * (at(r1, c1) - at(r1, c0))
    return top + weight_y * (bottom - top)
