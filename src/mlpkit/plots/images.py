"""Images: a grid of samples, learned first-layer weights and filters, feature maps, mistakes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from mlpkit import _figures
from mlpkit._validation import check_int
from mlpkit.layers import Layer
from mlpkit.network import Network

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "conv_filters",
    "feature_maps",
    "first_dense_kernel",
    "first_layer_weights",
    "image_grid",
    "misclassified",
]


def _image_figure(n: int, columns: int | None = None) -> tuple[Figure, np.ndarray]:
    columns = columns or min(n, max(1, math.ceil(math.sqrt(n))))
    rows = max(1, math.ceil(n / columns))
    fig, axes = _figures.subplots(
        rows, columns, figsize=(1.2 * columns, 1.35 * rows), squeeze=False
    )
    for ax in axes.ravel():
        ax.axis("off")
    return fig, axes.ravel()


def image_grid(
    images: npt.ArrayLike,
    labels: npt.ArrayLike | None = None,
    *,
    image_shape: tuple[int, int],
    classes: Sequence[str] | None = None,
    n: int = 36,
    title: str = "",
) -> Figure:
    """The first ``n`` images (rows of ``images`` reshaped to ``image_shape``) with labels."""
    shown = np.asarray(images)[: check_int(n, "n")]
    names = None if labels is None else np.asarray(labels)
    fig, axes = _image_figure(len(shown))
    for i, (ax, row) in enumerate(zip(axes, shown, strict=False)):
        ax.imshow(row.reshape(image_shape), cmap="gray_r")
        if names is not None:
            label = names[i]
            ax.set_title(classes[label] if classes is not None else str(label), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def first_layer_weights(
    network: Network, *, image_shape: tuple[int, int], n_units: int = 36, title: str = ""
) -> Figure:
    """Each first-layer hidden unit's incoming weights drawn as an image.

    Red is positive, blue negative, on a colour scale symmetric about zero
    for each unit, so the pattern a unit responds to stands out.
    """
    kernel = first_dense_kernel(network, image_shape)
    if kernel is None:
        first = next((layer for layer in network.layers if layer.params), None)
        found = "none" if first is None else f"{first!r} with {_kernel_shapes(first)}"
        raise ValueError(
            f"first_layer_weights draws a dense first layer over the pixels of images of "
            f"shape {image_shape}; the first layer with weights is {found}"
        )
    W = kernel[:, : check_int(n_units, "n_units")]
    fig, axes = _image_figure(W.shape[1])
    for j, ax in enumerate(axes[: W.shape[1]]):
        limit = np.abs(W[:, j]).max() or 1.0
        ax.imshow(W[:, j].reshape(image_shape), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"unit {j}", fontsize=7)
    shown = (
        f"{W.shape[1]}"
        if W.shape[1] == kernel.shape[1]
        else f"first {W.shape[1]} of {kernel.shape[1]}"
    )
    fig.suptitle(title or f"first-layer weights of {shown} hidden units")
    fig.tight_layout()
    return fig


def misclassified(
    network: Network,
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    images: npt.ArrayLike,
    image_shape: tuple[int, int],
    classes: Sequence[str] | None = None,
    n: int = 36,
) -> Figure:
    """The test images the network gets wrong, titled ``true -> predicted``.

    ``X`` are the network's (preprocessed) inputs; ``images`` the same rows
    as they should be shown.
    """
    y = np.asarray(y)
    predicted = network.predict(X)
    wrong = np.flatnonzero(predicted != y)[: check_int(n, "n")]
    name = (lambda c: classes[c]) if classes is not None else str
    fig, axes = _image_figure(max(len(wrong), 1))
    for ax, index in zip(axes, wrong, strict=False):
        ax.imshow(np.asarray(images)[index].reshape(image_shape), cmap="gray_r")
        ax.set_title(f"{name(y[index])}->{name(predicted[index])}", fontsize=8, color="darkred")
    n_wrong = int(np.count_nonzero(predicted != y))
    shown = f" (first {len(wrong)} shown)" if len(wrong) < n_wrong else ""
    fig.suptitle(f"{n_wrong} of {len(y)} test images wrong{shown}")
    fig.tight_layout()
    return fig


def first_dense_kernel(network: Network, image_shape: tuple[int, ...]) -> np.ndarray | None:
    """The first layer's weight matrix ``W`` (pixels, units) if it is dense over the image."""
    first = next((layer for layer in network.layers if layer.params), None)
    W = None if first is None else first.params.get("W")
    if W is None or W.ndim != 2 or W.shape[0] != math.prod(image_shape):
        return None
    return W


def _kernel_shapes(layer: Layer) -> str:
    return ", ".join(f"{key} {param.shape}" for key, param in layer.params.items())


def _conv_layers(network: Network) -> list[tuple[int, Layer]]:
    return [(i, layer) for i, layer in enumerate(network.layers) if layer.name == "conv2d"]


def conv_filters(network: Network, n: int = 32, title: str = "") -> Figure:
    """The first convolution's filters as small images (averaged over input channels).

    Red is positive, blue negative, each filter on its own scale symmetric about zero.
    """
    convolutions = _conv_layers(network)
    if not convolutions:
        raise ValueError(f"conv_filters draws a Conv2D layer; this network has {network.layers!r}")
    W = convolutions[0][1].params["W"].mean(axis=2)[:, :, : check_int(n, "n")]  # (kh, kw, filters)
    fig, axes = _image_figure(W.shape[-1])
    for f, ax in enumerate(axes[: W.shape[-1]]):
        limit = np.abs(W[:, :, f]).max() or 1.0
        ax.imshow(W[:, :, f], cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"filter {f}", fontsize=7)
    total = convolutions[0][1].params["W"].shape[-1]  # the filters
    shown = f"{total}" if W.shape[-1] == total else f"first {W.shape[-1]} of {total}"
    fig.suptitle(title or f"first-layer filters ({W.shape[0]}x{W.shape[1]}): {shown}")
    fig.tight_layout()
    return fig


def feature_maps(network: Network, x: npt.ArrayLike, channels: int = 8) -> Figure:
    """The feature maps of one sample ``x`` after each Conv2D layer: a row per layer.

    ``x`` is one network input (preprocessed), of shape ``input_shape`` or flat.
    """
    convolutions = _conv_layers(network)
    if not convolutions:
        raise ValueError(f"feature_maps needs Conv2D layers; this network has {network.layers!r}")
    out = network.check_inputs(np.asarray(x).reshape(1, -1), "x")
    maps = {}
    for index, layer in enumerate(network.layers[: convolutions[-1][0] + 1]):
        out = layer.forward(out)
        if layer.name == "conv2d":
            maps[index] = out[0].copy()  # (h, w, filters)
    widest = max(m.shape[-1] for m in maps.values())
    shown = min(check_int(channels, "channels"), widest)
    # column 0 holds the input image (first row): the maps mean little without it
    fig, axes = _figures.subplots(
        len(maps), shown + 1, figsize=(1.3 * (shown + 1), 1.5 * len(maps)), squeeze=False
    )
    image = np.asarray(x, dtype=float).reshape(network.input_shape)
    axes[0][0].imshow(image[:, :, 0] if image.shape[-1] != 3 else image, cmap="gray_r")
    axes[0][0].set_title("input", fontsize=7)
    for row, (index, fmap) in zip(axes, maps.items(), strict=True):
        for c, ax in enumerate(row):
            ax.axis("off")
            if 0 < c <= fmap.shape[-1]:
                ax.imshow(fmap[:, :, c - 1], cmap="viridis")
                ax.set_title(f"layer {index} ch {c - 1}", fontsize=7)
    counts = sorted({m.shape[-1] for m in maps.values()})
    of = " or ".join(map(str, counts))
    fig.suptitle(
        f"feature maps of one test image after each convolution (channels 0-{shown - 1} of {of})"
        if shown < widest
        else "feature maps of one test image after each convolution (every channel)"
    )
    fig.tight_layout()
    return fig
