"""What mlpkit.sklearn adds to scikit-learn's MLPs: class weights, hidden features,
the validation loss and the metric early stopping watches, callbacks."""

import pickle
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn", reason="the sklearn extra is not installed")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.class_weight import compute_class_weight  # noqa: E402

import mlpkit as mk  # noqa: E402
from mlpkit.sklearn import MLPClassifier, MLPRegressor  # noqa: E402


def digits(n=300):
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X[:n]), y[:n]


def quiet(model, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)  # batch_size clipped to the sample count
        return model.fit(X, y, **fit_params)


# -- class weights ---------------------------------------------------------------
def test_integer_class_weights_train_as_repeated_rows():
    X, y = digits(120)
    y = y % 3
    weights = {0: 1, 1: 3, 2: 2}
    repeated = np.repeat(np.arange(len(y)), [weights[label] for label in y])
    settings = {
        "solver": "sgd",
        "hidden_layer_sizes": (7,),
        "batch_size": 10_000,  # full-batch: one step over all rows, in any order
        "shuffle": False,
        "learning_rate_init": 0.1,
        "max_iter": 6,
        "random_state": 0,
    }
    weighted = quiet(MLPClassifier(class_weight=weights, **settings), X, y)
    copied = quiet(MLPClassifier(**settings), X[repeated], y[repeated])
    pairs = zip(
        weighted.coefs_ + weighted.intercepts_, copied.coefs_ + copied.intercepts_, strict=True
    )
    for a, b in pairs:
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weighted.loss_curve_, copied.loss_curve_, rtol=1e-10)


def test_balanced_class_weights_are_scikit_learns():
    X, y = digits(200)
    y = np.where(y == 3, "three", "other")
    model = quiet(MLPClassifier(class_weight="balanced", max_iter=3, random_state=0), X, y)
    expected = compute_class_weight("balanced", classes=np.array(["other", "three"]), y=y)
    np.testing.assert_allclose(model.class_weight_, expected)
    unweighted = quiet(MLPClassifier(max_iter=3, random_state=0), X, y)
    assert not np.allclose(model.coefs_[0], unweighted.coefs_[0])


def test_class_weights_refuse_what_they_cannot_mean():
    X, y = digits(60)
    model = MLPClassifier(class_weight="balanced")
    with pytest.raises(ValueError, match="partial_fit"):
        model.partial_fit(X, y, classes=np.arange(10))
    MLPClassifier(class_weight={0: 2.0}, random_state=0).partial_fit(X, y, classes=np.arange(10))
    indicator = np.column_stack([y == 0, y == 1]).astype(int)
    with pytest.raises(ValueError, match="multilabel"):
        MLPClassifier(class_weight="balanced").fit(X, indicator)


# -- hidden features ---------------------------------------------------------------
def test_transform_is_the_forward_pass_to_the_chosen_layer():
    X, y = digits()
    model = quiet(
        MLPClassifier(hidden_layer_sizes=(12, 5), activation="tanh", max_iter=5, random_state=0),
        X,
        y,
    )
    (W0, W1, _), (b0, b1, _) = model.coefs_, model.intercepts_
    first = np.tanh(X @ W0 + b0)
    np.testing.assert_allclose(model.transform(X, layer=0), first, rtol=1e-12)
    np.testing.assert_allclose(model.transform(X), np.tanh(first @ W1 + b1), rtol=1e-12)
    np.testing.assert_array_equal(model.transform(X, layer=1), model.transform(X, layer=-1))
    names = model.get_feature_names_out()
    assert names.tolist() == [f"mlpclassifier_hidden1_{i}" for i in range(5)]
    with pytest.raises(ValueError, match="layer must be an integer from -2 to 1"):
        model.transform(X, layer=2)
    linear = quiet(MLPClassifier(hidden_layer_sizes=(), solver="lbfgs", max_iter=5), X, y)
    with pytest.raises(ValueError, match="transform needs a hidden layer"):
        linear.transform(X)


def test_a_fitted_hidden_layer_feeds_a_logistic_regression():
    X, y = load_digits(return_X_y=True)
    pipeline = make_pipeline(
        StandardScaler(),
        MLPClassifier(hidden_layer_sizes=(32,), solver="lbfgs", max_iter=100, random_state=0),
        LogisticRegression(max_iter=1000),
    )
    quiet(pipeline, X[:1200], y[:1200])
    assert pipeline[-1].coef_.shape == (10, 32)
    assert pipeline.score(X[1200:], y[1200:]) > 0.85
    assert pipeline[:-1].get_feature_names_out().tolist()[:2] == [
        "mlpclassifier_hidden0_0",
        "mlpclassifier_hidden0_1",
    ]


# -- validation loss and the metric early stopping watches ------------------------
def test_validation_loss_curve_sits_beside_the_training_loss():
    X, y = digits()
    model = quiet(MLPClassifier(early_stopping=True, max_iter=15, random_state=0), X, y)
    assert len(model.validation_loss_curve_) == len(model.loss_curve_) == model.n_iter_
    assert model.validation_loss_curve_[-1] < model.validation_loss_curve_[0]
    regressor = quiet(MLPRegressor(early_stopping=True, max_iter=5, random_state=0), X, y)
    assert len(regressor.validation_loss_curve_) == regressor.n_iter_
    assert quiet(MLPClassifier(max_iter=3), X, y).validation_loss_curve_ is None


def test_the_watched_metric_chooses_the_epoch_that_is_kept():
    X, y = digits()
    settings = {"early_stopping": True, "max_iter": 25, "n_iter_no_change": 100}
    by_loss = quiet(MLPClassifier(early_stopping_metric="loss", random_state=0, **settings), X, y)
    assert by_loss.validation_scores_ == [-loss for loss in by_loss.validation_loss_curve_]
    assert by_loss.best_validation_score_ == -min(by_loss.validation_loss_curve_)

    def worse_is_better(estimator, X_valid, y_valid):
        return log_loss(y_valid, estimator.predict_proba(X_valid), labels=estimator.classes_)

    by_worse = quiet(
        MLPClassifier(early_stopping_metric=worse_is_better, random_state=0, **settings), X, y
    )
    # the same training (the metric only chooses), but another epoch kept
    np.testing.assert_allclose(by_worse.loss_curve_, by_loss.loss_curve_)
    assert np.argmax(by_worse.validation_scores_) != np.argmax(by_loss.validation_scores_)
    assert not np.allclose(by_worse.coefs_[0], by_loss.coefs_[0])


def test_grid_search_over_the_early_stopping_metric():
    X, y = digits()
    grid = GridSearchCV(
        MLPClassifier(early_stopping=True, max_iter=10, random_state=0),
        {"early_stopping_metric": ["score", "loss", "f1_macro"]},
        cv=3,
        error_score="raise",
    )
    quiet(grid, X, y)
    assert len(grid.cv_results_["mean_test_score"]) == 3
    assert grid.best_params_["early_stopping_metric"] in ("score", "loss", "f1_macro")


# -- callbacks ------------------------------------------------------------------------
class Recorder(mk.Callback):
    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.events = []

    def on_train_begin(self, network):
        self.events.append("begin")

    def on_epoch_end(self, epoch, logs):
        self.events.append((epoch, sorted(logs)))
        return self.stop_after is not None and epoch + 1 >= self.stop_after

    def on_train_end(self, network):
        self.events.append("end")


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_callbacks_see_every_iteration(solver):
    X, y = digits()
    recorder = Recorder()
    model = quiet(MLPClassifier(solver=solver, max_iter=8, callbacks=[recorder]), X, y)
    epochs = [event for event in recorder.events if isinstance(event, tuple)]
    assert recorder.events[0] == "begin" and recorder.events[-1] == "end"
    assert [epoch for epoch, _ in epochs] == list(range(model.n_iter_))
    assert all("loss" in keys for _, keys in epochs)


def test_a_callback_can_stop_training_and_sees_validation_figures():
    X, y = digits()
    recorder = Recorder(stop_after=3)
    model = quiet(
        MLPClassifier(early_stopping=True, max_iter=50, callbacks=[recorder], random_state=0),
        X,
        y,
    )
    assert model.n_iter_ == 3
    assert recorder.events[1] == (0, ["loss", "val_accuracy", "val_loss", "val_score"])


def test_estimators_with_callbacks_clone_and_pickle():
    X, y = digits(100)
    model = MLPClassifier(max_iter=2, callbacks=[Recorder()], class_weight="balanced")
    copy = clone(model)
    assert copy.callbacks[0] is not model.callbacks[0]
    quiet(copy, X, y)
    again = pickle.loads(pickle.dumps(copy))
    np.testing.assert_array_equal(again.predict(X), copy.predict(X))


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_sample_weights_train_as_repeated_rows(solver):
    X, y = digits(80)
    weights = np.random.default_rng(1).integers(0, 3, len(y))
    repeated = np.repeat(np.arange(len(y)), weights)
    settings = {"solver": solver, "hidden_layer_sizes": (6,), "batch_size": 10_000}
    weighted = MLPClassifier(shuffle=False, random_state=0, **settings)
    copied = MLPClassifier(shuffle=False, random_state=0, **settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # batch_size clipped
        for _ in range(4):
            weighted.partial_fit(X, y, sample_weight=weights, classes=np.arange(10))
            copied.partial_fit(X[repeated], y[repeated], classes=np.arange(10))
    for a, b in zip(weighted.coefs_, copied.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
