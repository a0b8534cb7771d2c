"""Metrics against counts made by hand."""

import numpy as np
import pytest

from mlpkit import metrics

TRUE = np.array([0, 0, 1, 1, 1, 2])
PRED = np.array([0, 1, 1, 1, 2, 2])


def test_accuracy():
    assert metrics.accuracy(TRUE, PRED) == pytest.approx(4 / 6)


def test_confusion_matrix():
    expected = [[1, 1, 0], [0, 2, 1], [0, 0, 1]]
    np.testing.assert_array_equal(metrics.confusion_matrix(TRUE, PRED), expected)
    assert metrics.confusion_matrix(TRUE, PRED, n_classes=4).shape == (4, 4)


def test_precision_recall_f1():
    scores = metrics.precision_recall_f1(TRUE, PRED)
    np.testing.assert_allclose(scores["precision"], [1.0, 2 / 3, 0.5])
    np.testing.assert_allclose(scores["recall"], [0.5, 2 / 3, 1.0])
    np.testing.assert_allclose(scores["f1"], [2 / 3, 2 / 3, 2 / 3])
    np.testing.assert_array_equal(scores["support"], [2, 3, 1])


def test_class_never_predicted_has_zero_precision():
    scores = metrics.precision_recall_f1([0, 1], [0, 0], n_classes=3)
    np.testing.assert_allclose(scores["precision"], [0.5, 0.0, 0.0])
    np.testing.assert_allclose(scores["recall"], [1.0, 0.0, 0.0])


def test_mse():
    assert metrics.mse([1.0, 2.0], [1.5, 1.0]) == pytest.approx((0.25 + 1.0) / 2)


def test_errors():
    with pytest.raises(ValueError, match=r"same shape, got \(6,\) and \(5,\)"):
        metrics.accuracy(TRUE, PRED[:5])
    with pytest.raises(TypeError, match="confusion_matrix needs integer labels"):
        metrics.confusion_matrix(TRUE, PRED.astype(float))
    with pytest.raises(ValueError, match="labels go up to 2 but n_classes is 2"):
        metrics.confusion_matrix(TRUE, PRED, n_classes=2)
    with pytest.raises(ValueError, match="y_true is empty"):
        metrics.accuracy([], [])
