"""Two-dimensional problems: the points, and the regions a network gives each class."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from mlpkit import _figures
from mlpkit.network import Network

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap

__all__ = ["decision_regions", "points"]


def _colormap(name: str) -> Colormap:
    import matplotlib  # imported here: matplotlib is optional and slow to import

    return matplotlib.colormaps[name]


def _grid(
    X: np.ndarray, resolution: int, margin: float = 0.1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    title : str, optional
        The axes' title; by default the number of points.
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
