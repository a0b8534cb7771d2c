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


def test_r2_by_hand():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert metrics.r2(y, y) == 1.0
    assert metrics.r2(y, np.full(4, y.mean())) == 0.0  # predicting the mean explains nothing
    # SS_res = 0.25 * 4 = 1, SS_tot = 5: 1 - 1/5
    assert metrics.r2(y, y + 0.5) == pytest.approx(0.8)
    assert metrics.r2(y, -y) < 0  # worse than the mean


def test_r2_averages_outputs_and_handles_constant_columns():
    y = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    exact_constant = np.array([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0]])
    # column 0: 1 - 1/2; column 1 constant and exact: 1
    assert metrics.r2(y, exact_constant) == pytest.approx((0.5 + 1.0) / 2)
    off_constant = exact_constant + np.array([0.0, 1.0])
    assert metrics.r2(y, off_constant) == pytest.approx((0.5 + 0.0) / 2)


def test_r2_matches_scikit_learn():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y, noise = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    for truth, guess in [(y, y + noise), (y[:, 0], y[:, 0] + noise[:, 0])]:
        assert metrics.r2(truth, guess) == pytest.approx(sklearn_metrics.r2_score(truth, guess))
