"""mlpkit.sklearn: scikit-learn's estimator checks, and the estimators in its tools."""

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn", reason="the sklearn extra is not installed")

from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from mlpkit.sklearn import MLPClassifier, MLPRegressor  # noqa: E402


@parametrize_with_checks([MLPClassifier(), MLPRegressor()])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def blobs(n=300, seed=0):
    """Three Gaussian blobs in 4-D, far from the origin and badly scaled."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0, 0, 0], [3, 3, 0, 0], [0, 3, 3, 0]]) * [1, 10, 100, 1]
    labels = rng.integers(0, 3, n)
    X = centres[labels] + rng.normal(size=(n, 4)) * [1, 10, 100, 1] + 50
    return X, labels


def test_grid_search_over_a_pipeline_with_a_scaler():
    X, y = blobs()
    pipeline = make_pipeline(StandardScaler(), MLPClassifier(epochs=60, random_state=0))
    grid = GridSearchCV(
        pipeline,
        {"mlpclassifier__hidden_layer_sizes": [(4,), (32,)], "mlpclassifier__alpha": [1e-4, 1.0]},
        cv=3,
    )
    grid.fit(X, y)
    assert len(grid.cv_results_["mean_test_score"]) == 4
    assert grid.best_score_ > 0.9
    assert grid.score(X, y) > 0.9
    # Without the scaler the same network learns much less from these inputs.
    raw = MLPClassifier(hidden_layer_sizes=(32,), epochs=60, random_state=0).fit(X, y)
    assert raw.score(X, y) < grid.score(X, y)


def test_cross_val_score_with_string_labels():
    X, y = blobs()
    names = np.array(["cat", "dog", "emu"])[y]
    model = make_pipeline(StandardScaler(), MLPClassifier(epochs=60, random_state=0))
    scores = cross_val_score(model, X, names, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.9
    fitted = model.fit(X, names)
    assert set(fitted.predict(X)) <= {"cat", "dog", "emu"}
    assert fitted[-1].classes_.tolist() == ["cat", "dog", "emu"]


def test_non_contiguous_labels_and_probability_columns():
    X, y = blobs()
    labels = np.array([3, 7, 10])[y]
    model = MLPClassifier(epochs=80, random_state=0).fit(StandardScaler().fit_transform(X), labels)
    assert model.classes_.tolist() == [3, 7, 10]
    proba = model.predict_proba(StandardScaler().fit_transform(X))
    assert proba.shape == (300, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    predicted = model.classes_[proba.argmax(axis=1)]
    np.testing.assert_array_equal(predicted, model.predict(StandardScaler().fit_transform(X)))


def test_learned_attributes_and_reproducibility():
    X, y = blobs()
    X = StandardScaler().fit_transform(X)
    a = MLPClassifier(epochs=15, random_state=3).fit(X, y)
    b = MLPClassifier(epochs=15, random_state=3).fit(X, y)
    assert a.n_features_in_ == 4 and a.n_iter_ == 15 and len(a.loss_curve_) == 15
    assert a.loss_curve_[-1] < a.loss_curve_[0]
    assert a.validation_scores_ is None
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = MLPClassifier(epochs=15, random_state=4).fit(X, y)
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


def test_early_stopping_holds_out_data_and_stops():
    X, y = blobs(600)
    X = StandardScaler().fit_transform(X)
    model = MLPClassifier(
        epochs=500, early_stopping=True, n_iter_no_change=5, learning_rate=0.01, random_state=0
    ).fit(X, y)
    assert model.n_iter_ < 500
    assert len(model.validation_scores_) == model.n_iter_ == len(model.loss_curve_)
    assert max(model.validation_scores_) > 0.9


def test_partial_fit_needs_classes_first_then_continues():
    X, y = blobs()
    X = StandardScaler().fit_transform(X)
    model = MLPClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be given on the first call"):
        model.partial_fit(X, y)
    model.partial_fit(X[:100], y[:100], classes=[0, 1, 2])
    for _ in range(30):
        model.partial_fit(X, y)
    assert model.n_iter_ == 31 and len(model.loss_curve_) == 31
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    with pytest.raises(ValueError, match="labels not in classes_"):
        model.partial_fit(X[:5], [0, 1, 2, 5, 1])


def test_alpha_shrinks_the_weights():
    X, y = blobs()
    X = StandardScaler().fit_transform(X)
    norms = []
    for alpha in (0.0, 1.0):
        model = MLPClassifier(
            optimizer="sgd",
            learning_rate=0.1,
            momentum=0.0,
            batch_size=30,
            epochs=30,
            alpha=alpha,
            random_state=0,
        ).fit(X, y)
        norms.append(
            sum(
                float(np.sum(W**2))
                for key, W, _ in model.network_.parameters()
                if key.endswith(".W")
            )
        )
    assert norms[1] < 0.5 * norms[0]


def test_regressor_one_and_two_outputs():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(400, 2))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] ** 2
    model = MLPRegressor(
        hidden_layer_sizes=(32, 32), epochs=300, learning_rate=0.01, random_state=0
    ).fit(X, y)
    assert model.predict(X).shape == (400,)
    assert model.score(X, y) > 0.95
    assert model.network_.evaluate(X, y[:, None])["r2"] == pytest.approx(model.score(X, y))
    Y = np.column_stack([y, -2 * y])
    two = MLPRegressor(
        hidden_layer_sizes=(32, 32), epochs=300, learning_rate=0.01, random_state=0
    ).fit(X, Y)
    assert two.n_outputs_ == 2 and two.predict(X).shape == (400, 2)
    assert two.score(X, Y) > 0.95


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"optimizer": "lbfgs"}, "optimizer must be one of"),
        ({"hidden_layer_sizes": (10, 0)}, "hidden_layer_sizes must be positive integers"),
        ({"dtype": "float16"}, "dtype must be 'float32' or 'float64'"),
        ({"batch_size": 0}, "batch_size must be a positive integer or 'auto'"),
        ({"validation_fraction": 1.5}, r"validation_fraction must be in \(0, 1\)"),
        ({"alpha": -1.0}, "alpha must be >= 0"),
    ],
)
def test_bad_settings_are_named_when_fitting(settings, message):
    X, y = blobs(30)
    with pytest.raises(ValueError, match=message):
        MLPClassifier(**settings).fit(X, y)


def test_one_class_is_an_error():
    X, _ = blobs(30)
    with pytest.raises(ValueError, match="at least 2 classes in y, got 1 class"):
        MLPClassifier().fit(X, np.zeros(30, int))


def test_module_example_runs():
    import doctest

    import mlpkit.sklearn

    assert doctest.testmod(mlpkit.sklearn).attempted > 0
    assert doctest.testmod(mlpkit.sklearn).failed == 0


def test_output_and_loss_reach_the_network():
    from mlpkit import activations, losses

    X, y = blobs()
    X = StandardScaler().fit_transform(X)
    default = MLPClassifier(epochs=2, random_state=0).fit(X, y)
    assert isinstance(default.network_.loss, losses.CrossEntropy)
    model = MLPClassifier(output="sigmoid", loss="mse", epochs=40, random_state=0).fit(X, y)
    assert isinstance(model.network_.layers[-1], activations.Sigmoid)
    assert isinstance(model.network_.loss, losses.MSE)
    assert model.score(X, y) > 0.9
    with pytest.raises(ValueError, match="loss"):
        MLPClassifier(loss="hinge", epochs=1).fit(X, y)
