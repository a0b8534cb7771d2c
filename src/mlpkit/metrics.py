"""Metrics as pure functions of true and predicted values."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["accuracy", "confusion_matrix", "mse", "precision_recall_f1", "predicted_labels", "r2"]


def _pair(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape, got {y_true.shape} and {y_pred.shape}"
        )
    if y_true.size == 0:
        raise ValueError("y_true is empty: there is nothing to score")
    return y_true, y_pred


def predicted_labels(outputs: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Predicted classes: the argmax of each row, or ``output > threshold`` for one output.

    The threshold is the midpoint of the targets a single-output classifier
    learns: 0.5 for 0/1 targets, 0 for -1/+1.

    Parameters
    ----------
    outputs : ndarray of shape (n, k)
    """
    if outputs.shape[1] == 1:
        return (outputs[:, 0] > threshold).astype(np.int64)
    return np.argmax(outputs, axis=1)


def accuracy(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """The fraction of labels predicted exactly; arrays of shape (n,)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def confusion_matrix(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, n_classes: int | None = None
) -> np.ndarray:
    """Counts ``C[i, j]`` of samples of true class ``i`` predicted as class ``j``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Integer labels in ``[0, n_classes)``.
    n_classes : int, optional
        Defaults to one more than the largest label seen.

    Returns
    -------
    ndarray of shape (n_classes, n_classes), int64
    """
    y_true, y_pred = _pair(y_true, y_pred)
    if not (np.issubdtype(y_true.dtype, np.integer) and np.issubdtype(y_pred.dtype, np.integer)):
        raise TypeError(
            f"confusion_matrix needs integer labels, got {y_true.dtype} and {y_pred.dtype}"
        )
    if min(y_true.min(), y_pred.min()) < 0:
        raise ValueError("labels must be non-negative integers")
    k = int(max(y_true.max(), y_pred.max())) + 1 if n_classes is None else n_classes
    if max(y_true.max(), y_pred.max()) >= k:
        raise ValueError(f"labels go up to {max(y_true.max(), y_pred.max())} but n_classes is {k}")
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)


def precision_recall_f1(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, n_classes: int | None = None
) -> dict[str, np.ndarray]:
    """Per-class precision, recall, F1 and support.

    A class never predicted has precision 0; a class absent from ``y_true``
    has recall 0 (both would otherwise divide by zero).

    Returns
    -------
    dict with keys "precision", "recall", "f1" (float arrays of shape
    (n_classes,)) and "support" (int array: true samples per class).
    """
    C = confusion_matrix(y_true, y_pred, n_classes)
    hits = np.diag(C).astype(float)
    predicted, support = C.sum(axis=0), C.sum(axis=1)
    precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
    recall = np.divide(hits, support, out=np.zeros_like(hits), where=support > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(hits), where=total > 0)
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


def mse(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """Mean squared error over all entries."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean((np.asarray(y_true, float) - y_pred) ** 2))


def r2(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """Coefficient of determination ``1 - SS_res / SS_tot``, averaged over outputs.

    Each output column is scored on its own and the scores are averaged with
    equal weights (scikit-learn's ``r2_score`` default). A column whose true
    values are all equal has no variance to explain: it scores 1.0 when
    predicted exactly and 0.0 otherwise, instead of an undefined ratio.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,) or (n, n_outputs)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = np.asarray(y_true, float).reshape(len(y_true), -1)
    y_pred = np.asarray(y_pred, float).reshape(len(y_pred), -1)
    residual = np.sum((y_true - y_pred) ** 2, axis=0)
    total = np.sum((y_true - y_true.mean(axis=0)) ** 2, axis=0)
    constant = total == 0
    scores = np.where(constant, (residual == 0).astype(float), 0.0)
    np.divide(residual, total, out=scores, where=~constant)
    scores[~constant] = 1.0 - scores[~constant]
    return float(scores.mean())
