"""Hostile settings of the scikit-learn extras and of callbacks (issue 26).

Before these checks a negative or all-zero ``class_weight`` ended in
ZeroDivisionError and a NaN one in "non-finite parameter weights"; a class
unknown to ``y`` was reported as another class missing; a negative
``sample_weight`` trained on; a callback returning its logs stopped training
without a word, and a plain function or ``callbacks=5`` gave AttributeError; a
scorer returning NaN restored the initial random weights, and a scorer needing
``predict_proba`` on a regressor gave AttributeError after the first epoch.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_moons

import mlpkit as mk
from mlpkit.sklearn import MLPClassifier, MLPRegressor

X, y = make_moons(120, noise=0.2, random_state=0)


def _fit(estimator, sample_weight=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of the short fits
        return estimator.fit(X, y, sample_weight=sample_weight)


def _classifier(**settings):
    return MLPClassifier(hidden_layer_sizes=(6,), max_iter=5, random_state=0, **settings)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({0: -1.0, 1: 1.0}, r"class_weight\[0\] is -1.0; a class weight must be a finite number"),
        ({0: np.nan}, r"class_weight\[0\] is nan"),
        ({0: 1.0, 1: np.inf}, r"class_weight\[1\] is inf"),
        ({0: "heavy"}, r"class_weight\[0\] is 'heavy'"),
        ({0: True}, r"class_weight\[0\] is True"),
        ({0: 0, 1: 0.0}, "gives every class weight 0: nothing to fit"),
        ({0: 1, 7: 2}, r"class_weight names \[7\], not among the classes of y \(\[0, 1\]\)"),
    ],
)
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_bad_class_weights_are_named(weights, message, solver):
    with pytest.raises(ValueError, match=message):
        _fit(_classifier(class_weight=weights, solver=solver))


def test_a_class_left_out_of_class_weight_weighs_one():
    fitted = _fit(_classifier(class_weight={1: 3.0}))
    np.testing.assert_array_equal(fitted.class_weight_, [1.0, 3.0])


@pytest.mark.parametrize("estimator", [_classifier(), MLPRegressor(max_iter=5, random_state=0)])
def test_negative_sample_weights_are_refused(estimator):
    weights = np.ones(len(X))
    weights[3] = -0.5
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        _fit(estimator, weights)


def test_weights_that_are_zero_once_combined_are_refused():
    weights = np.where(y == 0, 1.0, 0.0)  # class 1 by sample weight, class 0 by class weight
    with pytest.raises(ValueError, match=r"every sample has weight 0 \(sample_weight times"):
        _fit(_classifier(class_weight={0: 0.0}), weights)


class _Returns:
    def __init__(self, value):
        self.value, self.epochs = value, 0

    def on_epoch_end(self, epoch, logs):
        self.epochs += 1
        return self.value


@pytest.mark.parametrize("value", [{"loss": 1.0}, np.array([1.0]), 1, "stop"])
@pytest.mark.parametrize("where", ["fit", "adam", "lbfgs"])
def test_a_callback_returning_anything_but_a_bool_or_none_is_refused(value, where):
    callback = _Returns(value)
    with pytest.raises(TypeError, match=r"_Returns.on_epoch_end returned .*returns True to stop"):
        if where == "fit":
            mk.mlp([2, 4, 2], seed=0).fit(X, y, epochs=3, callbacks=[callback])
        else:
            _fit(_classifier(solver=where, callbacks=[callback]))
    assert callback.epochs == 1  # refused at the first return, not read as "stop"


@pytest.mark.parametrize("value", [True, np.True_])
def test_true_stops_and_none_goes_on(value):
    stopper, goer = _Returns(value), _Returns(None)
    history = mk.mlp([2, 4, 2], seed=0).fit(X, y, epochs=5, callbacks=[goer, stopper])
    assert len(history) == 1 and goer.epochs == 1
    assert len(mk.mlp([2, 4, 2], seed=0).fit(X, y, epochs=3, callbacks=[_Returns(None)])) == 3


@pytest.mark.parametrize(
    ("callbacks", "message"),
    [
        (5, "callbacks must be a list of callbacks, got int 5"),
        (_Returns(None), r"got one _Returns: pass \[_Returns\(...\)\]"),
        ([print], r"callbacks\[0\] is a function, not a callback"),
        ([_Returns(None), np.zeros(3)], r"callbacks\[1\] is a ndarray, not a callback"),
        ("LivePlot", "callbacks must be a list of callbacks, got str"),
    ],
)
def test_what_is_not_a_list_of_callbacks_is_named(callbacks, message):
    with pytest.raises(TypeError, match=message):
        mk.mlp([2, 4, 2], seed=0).fit(X, y, epochs=2, callbacks=callbacks)


@pytest.mark.parametrize("callbacks", [[print], [np.zeros(3)]])
def test_the_estimators_name_what_is_not_a_callback(callbacks):
    with pytest.raises(TypeError, match=r"callbacks\[0\] is a .*, not a callback"):
        _fit(_classifier(callbacks=callbacks))


def test_a_run_names_what_is_not_a_callback(tmp_path):
    from mlpkit.recipes import apply_overrides, load_recipe
    from mlpkit.runs import run

    config = apply_overrides(load_recipe("e4-moons"), ["train.epochs=1"])
    with pytest.raises(TypeError, match=r"callbacks\[0\] is a function"):
        run(config, tmp_path / "run", quiet=True, callbacks=[print])
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("score", [float("nan"), None, "0.9", np.inf, True])
def test_an_early_stopping_scorer_must_return_a_finite_number(score):
    estimator = _classifier(early_stopping=True, early_stopping_metric=lambda *_: score)
    with pytest.raises(ValueError, match="returned .* on the validation data; it must return a"):
        _fit(estimator)


@pytest.mark.parametrize(
    ("metric", "needs"), [("neg_log_loss", "predict_proba"), ("roc_auc", "decision_function")]
)
def test_a_classifier_scorer_on_a_regressor_is_refused_before_training(metric, needs):
    estimator = MLPRegressor(max_iter=5, early_stopping=True, early_stopping_metric=metric)
    with pytest.raises(ValueError, match=f"scores by .*{needs}.*which MLPRegressor does not have"):
        _fit(estimator)
    assert not hasattr(estimator, "n_iter_")  # before the first epoch


def test_an_unknown_scorer_name_is_refused_before_training():
    estimator = _classifier(early_stopping=True, early_stopping_metric="f1_macor")
    with pytest.raises(ValueError, match="early_stopping_metric='f1_macor': 'f1_macor' is not"):
        _fit(estimator)
    assert not hasattr(estimator, "n_iter_")
