"""Targets: what the outputs of a network are compared with.

A classifier's labels ``0..K-1`` become rows of target values (one-hot rows
of 0 and 1, or -1 and +1 for a tanh output); a regressor's values become a
column per output. ``Network.check_targets`` and ``Network.labels_of`` are
the network's face of these functions.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from mlpkit._validation import check_array, check_labels
from mlpkit.layers import Layer, activations
from mlpkit.metrics import predicted_labels

__all__ = ["TASKS", "encode_targets", "labels_of", "task_for"]

TASKS = ("classification", "regression")
"""What a network's outputs stand for: class labels or values."""

_REGRESSION_OUTPUTS = (activations.Linear, activations.ReLU, activations.LeakyReLU, activations.Exp)


def task_for(output: Layer, n_outputs: int, task: str | None) -> str:
    """``task``, checked, or the one the ``output`` activation suggests.

    Linear, ReLU and exponential outputs are values (regression); softmax,
    sigmoid and tanh outputs are classes.
    """
    if task is None:
        task = "regression" if isinstance(output, _REGRESSION_OUTPUTS) else "classification"
    if task not in TASKS:
        raise ValueError(f"task must be 'classification' or 'regression', got {task!r}")
    if isinstance(output, activations.Softmax) and n_outputs == 1:
        raise ValueError(
            "a softmax over 1 output is always 1; use output='sigmoid' for a binary "
            "classifier with one output, or 2 outputs with softmax"
        )
    return task


#: The target values (for the wrong classes, for the right class) of each encoding.
TARGET_VALUES = {"one_hot": (0.0, 1.0), "signed": (-1.0, 1.0)}


def labels_of(outputs: np.ndarray, encoding: str) -> np.ndarray:
    """The classes that ``outputs`` (n, k) stand for: argmax, or a threshold for one column."""
    low, high = TARGET_VALUES[encoding]
    return predicted_labels(outputs, threshold=(low + high) / 2)


def encode_targets(
    y: npt.ArrayLike,
    *,
    n_outputs: int,
    classify: bool,
    encoding: str,
    dtype: type[np.floating],
    n_samples: int,
    name: str = "y",
) -> tuple[np.ndarray, np.ndarray | None]:
    """Validate ``y`` for a network with ``n_outputs`` outputs; return ``(T, labels)``.

    A classifier (``classify``) accepts integer class labels ``0..K-1`` of
    shape (n,), encoded as ``encoding`` says (with a single output, as one
    column), or a target matrix of shape (n, K) whose row-wise argmax gives
    the class. A regressor accepts values of shape (n,) for one output or (n, K).

    Returns
    -------
    T : ndarray of shape (n, n_outputs)
        Targets of ``dtype``.
    labels : ndarray of shape (n,) or None
        The true classes for accuracy; ``None`` for a regressor.
    """
    k, raw = n_outputs, np.asarray(y)
    if raw.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D labels or a 2-D target matrix, got shape {raw.shape}")
    if len(raw) != n_samples:
        x_name = "X" + name[1:]  # y -> X, y_val -> X_val
        raise ValueError(
            f"{x_name} and {name} have different lengths: {x_name} has {n_samples} samples, "
            f"{name} has {len(raw)}"
        )
    if raw.ndim == 1 and classify:
        labels = check_labels(raw, max(k, 2), name)
        low, high = TARGET_VALUES[encoding]
        if k == 1:
            return np.where(labels[:, None] == 1, high, low).astype(dtype), labels
        T = np.full((len(labels), k), low, dtype=dtype)
        T[np.arange(len(labels)), labels] = high  # one-hot rows
        return T, labels
    if raw.ndim == 1:
        if k != 1:
            raise ValueError(
                f"{name} is 1-D but the network has {k} outputs; pass targets of shape (n, {k})"
            )
        raw = raw[:, None]
    if raw.shape[1] != k:
        raise ValueError(f"{name} has {raw.shape[1]} columns but the network has {k} outputs")
    T = check_array(raw, name, dtype=dtype)
    return T, (labels_of(T, encoding) if classify else None)
