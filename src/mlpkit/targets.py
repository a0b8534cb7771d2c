"""Targets: turning user labels into the matrices losses compare outputs with.

A classifier accepts integer class labels ``0..K-1`` of shape (n,), encoded
one-hot (or, with a single output, as a 0/1 column), or a target matrix of
shape (n, K) whose row-wise argmax gives the class. A regressor accepts
values of shape (n,) for one output or (n, K).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mlpkit._validation import check_array, check_labels

if TYPE_CHECKING:
    from mlpkit.network import Network


def one_hot(labels: Any, n_classes: int | None = None, dtype: Any = np.float32) -> np.ndarray:
    """One-hot rows for integer ``labels``.

    Parameters
    ----------
    labels : array-like of shape (n,)
        Integer classes in ``[0, n_classes)``.
    n_classes : int, optional
        Defaults to ``max(labels) + 1``.

    Returns
    -------
    ndarray of shape (n, n_classes)
    """
    raw = np.asarray(labels)
    if n_classes is None:
        if raw.size == 0:
            raise ValueError("labels is empty: it has 0 labels")
        n_classes = int(np.max(raw)) + 1
    labels = check_labels(
        raw, n_classes, "labels", context=f"n_classes is {n_classes} (labels 0..{n_classes - 1})"
    )
    encoded = np.zeros((len(labels), n_classes), dtype=dtype)
    encoded[np.arange(len(labels)), labels] = 1
    return encoded


def labels_from_outputs(outputs: np.ndarray) -> np.ndarray:
    """Predicted classes: the argmax of each row, or ``output > 0.5`` for one output.

    0.5 is the midpoint of the 0/1 targets a single-output classifier learns.
    """
    if outputs.shape[1] == 1:
        return (outputs[:, 0] > 0.5).astype(np.int64)
    return np.argmax(outputs, axis=1)


def encode_targets(
    y: Any, network: Network, *, n_samples: int, name: str = "y"
) -> tuple[np.ndarray, np.ndarray | None]:
    """Validate ``y`` for ``network``; return ``(T, labels)``.

    Returns
    -------
    T : ndarray of shape (n, n_outputs)
        Targets of the network's dtype.
    labels : ndarray of shape (n,) or None
        The true classes for accuracy; ``None`` for a regressor.
    """
    k = network.n_outputs
    raw = np.asarray(y)
    if raw.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D labels or a 2-D target matrix, got shape {raw.shape}")
    if len(raw) != n_samples:
        x_name = "X" + name[1:]  # y -> X, y_val -> X_val
        raise ValueError(
            f"{x_name} and {name} have different lengths: {x_name} has {n_samples} samples, "
            f"{name} has {len(raw)}"
        )
    classify = network.task == "classification"
    if raw.ndim == 1 and classify:
        labels = check_labels(raw, max(k, 2), name)
        if k == 1:
            return labels[:, None].astype(network.dtype), labels
        return one_hot(labels, k, network.dtype), labels
    if raw.ndim == 1:
        if k != 1:
            raise ValueError(
                f"{name} is 1-D but the network has {k} outputs; pass targets of shape (n, {k})"
            )
        raw = raw[:, None]
    if raw.shape[1] != k:
        raise ValueError(f"{name} has {raw.shape[1]} columns but the network has {k} outputs")
    T = check_array(raw, name, dtype=network.dtype)
    return T, (labels_from_outputs(T) if classify else None)
