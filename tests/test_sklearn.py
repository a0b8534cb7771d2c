"""mlpkit.sklearn: scikit-learn's estimator checks, the estimators in its tools, and the
behaviour of scikit-learn's own MLPs where a drop-in must match it."""

import warnings

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
    pipeline = make_pipeline(StandardScaler(), MLPClassifier(max_iter=60, random_state=0))
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
    raw = MLPClassifier(hidden_layer_sizes=(32,), max_iter=60, random_state=0).fit(X, y)
    assert raw.score(X, y) < grid.score(X, y)


def test_cross_val_score_with_string_labels():
    X, y = blobs()
    names = np.array(["cat", "dog", "emu"])[y]
    model = make_pipeline(StandardScaler(), MLPClassifier(max_iter=60, random_state=0))
    scores = cross_val_score(model, X, names, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.9
    fitted = model.fit(X, names)
    assert set(fitted.predict(X)) <= {"cat", "dog", "emu"}
    assert fitted[-1].classes_.tolist() == ["cat", "dog", "emu"]


def test_non_contiguous_labels_and_probability_columns():
    X, y = blobs()
    labels = np.array([3, 7, 10])[y]
    model = MLPClassifier(max_iter=80, random_state=0).fit(
        StandardScaler().fit_transform(X), labels
    )
    assert model.classes_.tolist() == [3, 7, 10]
    proba = model.predict_proba(StandardScaler().fit_transform(X))
    assert proba.shape == (300, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    predicted = model.classes_[proba.argmax(axis=1)]
    np.testing.assert_array_equal(predicted, model.predict(StandardScaler().fit_transform(X)))


def test_learned_attributes_and_reproducibility():
    X, y = blobs()
    X = StandardScaler().fit_transform(X)
    a = MLPClassifier(max_iter=15, random_state=3).fit(X, y)
    b = MLPClassifier(max_iter=15, random_state=3).fit(X, y)
    assert a.n_features_in_ == 4 and a.n_iter_ == 15 and len(a.loss_curve_) == 15
    assert a.loss_curve_[-1] < a.loss_curve_[0]
    assert a.validation_scores_ is None
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = MLPClassifier(max_iter=15, random_state=4).fit(X, y)
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


def test_early_stopping_holds_out_data_and_stops():
    X, y = blobs(600)
    X = StandardScaler().fit_transform(X)
    model = MLPClassifier(
        max_iter=500,
        early_stopping=True,
        n_iter_no_change=5,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X, y)
    assert model.n_iter_ < 500
    assert len(model.validation_scores_) == model.n_iter_ == len(model.loss_curve_)
    assert max(model.validation_scores_) > 0.9


def test_partial_fit_needs_classes_first_then_continues():
    X, y = blobs()
    X = StandardScaler().fit_transform(X)
    model = MLPClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X, y)
    model.partial_fit(X[:100], y[:100], classes=[0, 1, 2])
    for _ in range(30):
        model.partial_fit(X, y)
    # scikit-learn's n_iter_ counts the iterations of the last call; t_ every sample seen
    assert model.n_iter_ == 1 and len(model.loss_curve_) == 31 and model.t_ == 100 + 30 * 300
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        model.partial_fit(X[:5], [0, 1, 2, 5, 1])


def test_alpha_shrinks_the_weights():
    X, y = blobs()
    X = StandardScaler().fit_transform(X)
    norms = []
    for alpha in (0.0, 1.0):
        model = MLPClassifier(
            solver="sgd",
            learning_rate_init=0.1,
            momentum=0.0,
            batch_size=30,
            max_iter=30,
            alpha=alpha,
            random_state=0,
        ).fit(X, y)
        norms.append(sum(float(np.sum(W**2)) for W in model.coefs_))
    assert norms[1] < 0.5 * norms[0]


def test_regressor_one_and_two_outputs():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(400, 2))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] ** 2
    model = MLPRegressor(
        hidden_layer_sizes=(32, 32), max_iter=300, learning_rate_init=0.01, random_state=0
    ).fit(X, y)
    assert model.predict(X).shape == (400,)
    assert model.score(X, y) > 0.95
    assert model.network_.evaluate(X, y[:, None])["r2"] == pytest.approx(model.score(X, y))
    Y = np.column_stack([y, -2 * y])
    two = MLPRegressor(
        hidden_layer_sizes=(32, 32), max_iter=300, learning_rate_init=0.01, random_state=0
    ).fit(X, Y)
    assert two.n_outputs_ == 2 and two.predict(X).shape == (400, 2)
    assert two.score(X, Y) > 0.95


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"solver": "newton"}, "The 'solver' parameter of MLPClassifier must be"),
        ({"hidden_layer_sizes": (10, 0)}, "hidden_layer_sizes must be > 0"),
        ({"batch_size": 0}, "The 'batch_size' parameter of MLPClassifier must be"),
        ({"validation_fraction": 1.5}, "The 'validation_fraction' parameter"),
        ({"alpha": -1.0}, "The 'alpha' parameter of MLPClassifier must be"),
        ({"dropout": 1.0}, "The 'dropout' parameter of MLPClassifier must be"),
        ({"solver": "lbfgs", "dropout": 0.5}, "dropout needs a stochastic solver"),
    ],
)
def test_bad_settings_are_named_when_fitting(settings, message):
    X, y = blobs(30)
    with pytest.raises(ValueError, match=message):
        MLPClassifier(**settings).fit(X, y)


def test_module_example_runs():
    import doctest

    import mlpkit.sklearn

    assert doctest.testmod(mlpkit.sklearn).attempted > 0
    assert doctest.testmod(mlpkit.sklearn).failed == 0


def quiet_fit(model, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
        return model.fit(X, y, **fit_params)


def test_diverging_sgd_with_early_stopping_keeps_the_best_validated_model():
    """Defect 1: fit raised after restoring the best weights, leaving n_iter_ = 0."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    model = MLPClassifier(
        solver="sgd", learning_rate_init=1.0, early_stopping=True, max_iter=30, random_state=0
    )
    with np.errstate(all="ignore"):
        quiet_fit(model, X, y)
    assert model.n_iter_ > 0 and len(model.loss_curve_) == model.n_iter_
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_score_ == np.nanmax(model.validation_scores_)
    assert all(np.isfinite(W).all() for W in model.coefs_)
    assert model.score(X, y) > 0.3


def test_partial_fit_with_other_classes_is_an_error():
    """Defect 2: a later partial_fit with different classes was silently ignored."""
    X, y = blobs()
    model = MLPClassifier(random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="is not the same as on last call to partial_fit"):
        model.partial_fit(X, y, classes=[0, 1, 2, 3])


def test_early_stopping_needs_two_validation_samples():
    """Defect 3: two samples trained on one and reported validation scores of 0.0."""
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="The validation set is too small"):
        MLPRegressor(early_stopping=True, random_state=0).fit(X, [0.0, 1.0])


def test_coefs_are_the_networks_own_arrays():
    X, y = blobs()
    X = StandardScaler().fit_transform(X)
    model = quiet_fit(MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0), X, y)
    assert [W.shape for W in model.coefs_] == [(4, 8), (8, 3)]
    assert model.n_layers_ == 3 and model.out_activation_ == "softmax"
    assert np.shares_memory(model.coefs_[0], model.network_.layers[0].params["W"])
    before = model.predict_proba(X)
    model.coefs_[1] *= 0  # every class then has the same logit up to the bias
    after = model.predict_proba(X)
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, np.tile(after[0], (len(X), 1)))


def test_assigned_coefs_rebuild_the_network():
    X, y = blobs(60)
    X = StandardScaler().fit_transform(X)
    model = quiet_fit(MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0), X, y)
    model.coefs_ = [np.zeros((4, 5)), np.zeros((5, 3))]
    model.intercepts_ = [np.zeros(5), np.array([0.0, 0.0, 1.0])]
    np.testing.assert_array_equal(model.predict(X), 2)


def test_float32_inputs_keep_float32_weights_and_outputs():
    X, y = blobs()
    X = StandardScaler().fit_transform(X).astype(np.float32)
    model = quiet_fit(MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0), X, y)
    assert all(W.dtype == np.float32 for W in model.coefs_ + model.intercepts_)
    assert model.predict(X).dtype == np.float32


def test_integer_sample_weights_train_as_repeated_rows():
    X, y = blobs(40)
    X = StandardScaler().fit_transform(X)
    weights = np.random.default_rng(0).integers(0, 4, len(X))
    repeated = np.repeat(np.arange(len(X)), weights)
    settings = {"solver": "lbfgs", "hidden_layer_sizes": (6,), "max_iter": 5, "random_state": 0}
    weighted = quiet_fit(MLPClassifier(**settings), X, y, sample_weight=weights)
    copied = quiet_fit(MLPClassifier(**settings), X[repeated], y[repeated])
    for a, b in zip(weighted.coefs_, copied.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_binary_and_multilabel_outputs_are_logistic():
    X, y = blobs()
    X = StandardScaler().fit_transform(X)
    binary = quiet_fit(MLPClassifier(max_iter=30, random_state=0), X, y == 1)
    assert binary.n_outputs_ == 1 and binary.out_activation_ == "logistic"
    assert binary.predict_proba(X).shape == (len(X), 2)
    indicator = np.column_stack([y == 0, y == 1, y != 2]).astype(int)
    multilabel = quiet_fit(MLPClassifier(max_iter=60, random_state=0), X, indicator)
    assert multilabel.predict(X).shape == indicator.shape
    assert multilabel.score(X, indicator) > 0.8
    np.testing.assert_allclose(multilabel.predict_log_proba(X), np.log(multilabel.predict_proba(X)))


def test_rmsprop_and_dropout_are_mlpkits_extras():
    X, y = blobs()
    X = StandardScaler().fit_transform(X)
    model = quiet_fit(
        MLPClassifier(solver="rmsprop", dropout=0.2, max_iter=40, random_state=0), X, y
    )
    assert model.score(X, y) > 0.9
    assert any(type(layer).__name__ == "Dropout" for layer in model.network_.layers)


def test_sparse_input_gives_the_dense_result():
    import scipy.sparse

    X, y = blobs(80)
    X = StandardScaler().fit_transform(X)
    X[np.abs(X) < 0.5] = 0
    settings = {"solver": "lbfgs", "hidden_layer_sizes": (6,), "max_iter": 20, "random_state": 0}
    dense = quiet_fit(MLPClassifier(**settings), X, y)
    sparse = quiet_fit(MLPClassifier(**settings), scipy.sparse.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.coefs_[0], dense.coefs_[0], rtol=1e-8, atol=1e-12)
    assert not np.shares_memory(sparse.coefs_[0], dense.coefs_[0])
    np.testing.assert_array_equal(sparse.predict(scipy.sparse.csc_matrix(X)), dense.predict(X))


def test_dtype_and_squared_error_are_mlpkits_extras():
    X, y = blobs()
    X = StandardScaler().fit_transform(X)  # float64
    model = quiet_fit(
        MLPClassifier(dtype="float32", loss="squared_error", max_iter=60, random_state=0), X, y
    )
    assert all(W.dtype == np.float32 for W in model.coefs_)
    assert model.predict_proba(X).dtype == np.float32
    assert model.score(X, y) > 0.9
    log_loss = quiet_fit(MLPClassifier(max_iter=1, random_state=0), X, y)
    squared = quiet_fit(MLPClassifier(loss="squared_error", max_iter=1, random_state=0), X, y)
    assert squared.loss_curve_[0] < log_loss.loss_curve_[0]  # half squared error of probabilities


def test_verbose_prints_scikit_learns_lines_and_at_two_the_clis_bar(capsys):
    pytest.importorskip("tqdm")
    X, y = blobs(60)
    X = StandardScaler().fit_transform(X)
    quiet_fit(MLPClassifier(max_iter=3, verbose=True, random_state=0), X, y)
    out, err = capsys.readouterr()
    assert out.count("Iteration ") == 3 and "epochs" not in err
    quiet_fit(MLPClassifier(max_iter=3, verbose=2, random_state=0), X, y)
    out, err = capsys.readouterr()
    assert out.count("Iteration ") == 3
    assert "epochs" in err and "3/3" in err


def test_poisson_regressor_fits_counts_and_refuses_negative_targets():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(300, 2))
    y = rng.poisson(np.exp(0.5 + X @ [1.0, -1.0]))
    model = quiet_fit(
        MLPRegressor(loss="poisson", hidden_layer_sizes=(8,), solver="lbfgs", random_state=0),
        X,
        y,
    )
    from sklearn.metrics import mean_poisson_deviance

    predicted = model.predict(X)
    assert model.out_activation_ == "exp" and (predicted > 0).all()
    truth = mean_poisson_deviance(y, np.exp(0.5 + X @ [1.0, -1.0]))
    constant = mean_poisson_deviance(y, np.full(len(y), y.mean()))
    assert mean_poisson_deviance(y, predicted) < min(1.05 * truth, 0.9 * constant)
    with pytest.raises(ValueError, match=r"loss='poisson' needs targets >= 0"):
        MLPRegressor(loss="poisson").fit(X, y - 5.0)
