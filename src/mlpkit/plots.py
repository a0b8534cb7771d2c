"""Pictures of data, training and networks (matplotlib, imported on first use).

Every function draws on the axes it is given (``ax=``) or on a new figure,
and returns the axes or figure; none calls ``plt.show()``. New figures stay
out of pyplot's registry (``mlpkit._figures``): in a notebook a cell that
returns one shows it once, inline; a script saves it with ``fig.savefig``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from mlpkit import _figures
from mlpkit._validation import check_int
from mlpkit.curves import learning_curves as learning_curves  # part of this module's API
from mlpkit.diagram import MAX_DRAWN_UNITS as MAX_DRAWN_UNITS  # part of this module's API
from mlpkit.diagram import diagram_widths, network_diagram
from mlpkit.layers import Layer
from mlpkit.network import Network

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "confusion_matrix",
    "conv_filters",
    "decision_regions",
    "diagram_widths",
    "feature_maps",
    "first_dense_kernel",
    "first_layer_weights",
    "image_grid",
    "misclassified",
    "network_diagram",
    "new_figure",
    "points",
]


def new_figure(**kwargs) -> Figure:
    """An empty figure for several plots (``ax=``); a notebook cell that returns it shows it.

    ``kwargs`` as for matplotlib's ``Figure`` (``figsize=(12, 4)``); add axes
    with ``fig.subplots(1, 3)``. Unlike ``plt.figure``, it stays out of
    pyplot's registry (see this module's docstring).
    """
    return _figures.figure(**kwargs)


def _colormap(name: str):
    import matplotlib  # imported here: matplotlib is optional and slow to import

    return matplotlib.colormaps[name]


def confusion_matrix(
    matrix: npt.ArrayLike,
    classes: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str = "",
) -> Axes:
    """A heat map of a confusion matrix with the count in each cell.

    Parameters
    ----------
    matrix : array-like of shape (k, k)
        ``matrix[i, j]``: samples of true class i predicted as j.
    classes : sequence of str, optional
        Tick labels.
    """
    matrix = np.asarray(matrix)
    k = len(matrix)
    fig, ax = _figures.axes(ax, figsize=(1.2 + 0.5 * k, 1 + 0.5 * k))
    image = ax.imshow(matrix, cmap="Blues")
    labels = list(classes) if classes is not None else [str(i) for i in range(k)]
    ax.set_xticks(range(k), labels, rotation=45 if max(map(len, labels)) > 2 else 0)
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = matrix.max() / 2 if matrix.size else 0
    for i in range(k):
        for j in range(k):
            colour = "white" if matrix[i, j] > threshold else "black"
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", color=colour, fontsize=8)
    fig.colorbar(image, ax=ax, fraction=0.046)
    ax.set_title(title or f"confusion matrix ({matrix.trace()} of {matrix.sum()} right)")
    return ax


def _grid(X: np.ndarray, resolution: int, margin: float = 0.1):
    low, high = X.min(axis=0), X.max(axis=0)
    pad = (high - low) * margin + 1e-9
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], resolution)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    return gx, gy, np.column_stack([gx.ravel(), gy.ravel()])


def _class_colours(k: int) -> np.ndarray:
    cmap = _colormap("tab10")
    return np.array([cmap(i % 10)[:3] for i in range(k)])


def points(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    classes: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str = "",
) -> Axes:
    """2-D points coloured by class (the colours of ``decision_regions``): a first look at a set.

    Parameters
    ----------
    X : array-like of shape (n, 2)
    y : array-like of shape (n,)
        Class indices.
    classes : sequence of str, optional
        Legend names, by class index.
    """
    X, y = np.asarray(X, float), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"points draws 2-D points, got X of shape {X.shape}")
    _fig, ax = _figures.axes(ax, figsize=(5, 4))
    colours = _class_colours(max(int(y.max()) + 1, 2) if len(y) else 2)
    for label in np.unique(y):
        chosen = X[y == label]
        name = classes[label] if classes is not None else f"class {label}"
        ax.scatter(chosen[:, 0], chosen[:, 1], s=5, color=colours[label], label=name)
    ax.legend(fontsize=8)
    ax.set_title(title or f"{len(X)} points")
    return ax


def decision_regions(
    network: Network,
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    X_test: npt.ArrayLike | None = None,
    y_test: npt.ArrayLike | None = None,
    *,
    ax: Axes | None = None,
    graded: bool = False,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    resolution: int = 200,
) -> Axes:
    """The classes a 2-input network assigns over the plane, with the data on top.

    Parameters
    ----------
    network : Network
        A classifier with 2 inputs.
    X, y : arrays of shape (n, 2) and (n,)
        Training points (circles), in the coordinates to draw.
    X_test, y_test : optional
        Test points (squares); those the network gets wrong are crossed.
    graded : bool
        Shade by the network's output (class probabilities blended into
        colours) instead of flat class regions.
    transform : callable, optional
        Maps drawn coordinates to network inputs (a fitted preprocessor's
        ``transform``), so the picture stays in the data's own units.
    """
    X, y = np.asarray(X, float), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or network.n_inputs != 2:
        raise ValueError(
            f"decision_regions needs 2-D points and a 2-input network, got X of shape "
            f"{X.shape} and {network.n_inputs} inputs"
        )
    transform = transform or (lambda points: points)
    everything = X if X_test is None else np.vstack([X, np.asarray(X_test, float)])
    gx, gy, points = _grid(everything, resolution)
    outputs = network.forward(transform(points))
    colours = _class_colours(max(network.n_outputs, 2))
    _fig, ax = _figures.axes(ax, figsize=(6, 5))
    if graded:  # class probabilities blended into colours
        weights = outputs if network.n_outputs > 1 else np.column_stack([1 - outputs, outputs])
        weights = np.clip(weights, 0, None)
        weights = weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)
        picture = np.clip(0.35 + 0.65 * (weights @ colours), 0, 1)
    else:
        picture = (0.6 + 0.4 * colours)[network.labels_of(outputs)]
    ax.imshow(
        picture.reshape(resolution, resolution, 3),
        origin="lower",
        aspect="auto",
        extent=(gx.min(), gx.max(), gy.min(), gy.max()),
    )
    ax.scatter(
        X[:, 0], X[:, 1], c=colours[y], s=12, edgecolors="black", linewidths=0.3, label="train"
    )
    if X_test is not None:
        _test_points(ax, network, np.asarray(X_test, float), np.asarray(y_test), colours, transform)
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title("network output" if graded else "decision regions")
    return ax


def _test_points(
    ax: Axes,
    network: Network,
    X_test: np.ndarray,
    y_test: np.ndarray,
    colours: np.ndarray,
    transform: Callable[[np.ndarray], np.ndarray],
) -> None:
    """Test points as squares, with a red cross on each one the network gets wrong."""
    wrong = network.predict(transform(X_test)) != y_test
    ax.scatter(
        X_test[:, 0],
        X_test[:, 1],
        c=colours[y_test],
        s=16,
        marker="s",
        edgecolors="white",
        linewidths=0.4,
        label="test",
    )
    if wrong.any():
        ax.scatter(
            X_test[wrong, 0],
            X_test[wrong, 1],
            s=60,
            marker="x",
            c="red",
            linewidths=1.5,
            label=f"wrong ({wrong.sum()})",
        )


def _image_figure(n: int, columns: int | None = None):
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
    images = np.asarray(images)[: check_int(n, "n")]
    fig, axes = _image_figure(len(images))
    for i, (ax, row) in enumerate(zip(axes, images, strict=False)):
        ax.imshow(row.reshape(image_shape), cmap="gray_r")
        if labels is not None:
            label = labels[i]
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
    total = convolutions[0][1].filters
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
