"""scikit-learn's ``MLPClassifier`` on an mlpkit network, with class weights."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels

from mlpkit.sklearn._base import BaseMLP

__all__ = ["MLPClassifier"]


def _check_class_weights(weights: dict[Any, float], classes: np.ndarray) -> None:
    """Refuse class weights for unknown classes, and weights not finite and >= 0.

    A class missing from the dict weighs 1, as in scikit-learn.
    """
    known = set(classes.tolist())
    unknown = [label for label in weights if label not in known]
    if unknown:
        raise ValueError(
            f"class_weight names {unknown!r}, not among the classes of y ({classes.tolist()!r})"
        )
    for label, weight in weights.items():
        real = isinstance(weight, Real) and not isinstance(weight, bool)
        if not real or not np.isfinite(weight) or weight < 0:
            raise ValueError(
                f"class_weight[{label!r}] is {weight!r}; a class weight must be a finite "
                "number >= 0"
            )
    if all(weights.get(label, 1) == 0 for label in known):
        raise ValueError("class_weight gives every class weight 0: nothing to fit")


@dataclass(eq=False, repr=False, kw_only=True)
class MLPClassifier(ClassifierMixin, BaseMLP):
    """A multi-layer perceptron classifier: scikit-learn's, trained by mlpkit.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int or int, default (100,)
        Width of each hidden layer.
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default 'relu'
        Hidden activation.
    solver : {'lbfgs', 'sgd', 'adam', 'rmsprop'}, default 'adam'
        'lbfgs' is SciPy's L-BFGS-B on the flattened weights; 'rmsprop' is mlpkit's own.
    alpha : float, default 1e-4
        L2 penalty: ``alpha / 2 * sum(W**2) / n_samples`` added to each batch's loss.
    batch_size : int or 'auto', default 'auto'
        ``min(200, n_samples)`` when 'auto'; not used by lbfgs.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default 'constant'
        The step schedule of 'sgd': 'invscaling' takes ``learning_rate_init /
        (t + 1) ** power_t`` after ``t`` samples; 'adaptive' divides the step by
        5 whenever the loss has not improved by ``tol`` for ``n_iter_no_change``
        iterations, and stops once it falls below 1e-6.
    learning_rate_init : float, default 0.001
    power_t : float, default 0.5
    max_iter : int, default 200
        Iterations: epochs of the stochastic solvers, L-BFGS iterations otherwise.
    shuffle : bool, default True
        Shuffle the samples every epoch.
    random_state : int, RandomState or None
        Initial weights, shuffling, the early-stopping split and dropout masks.
    tol : float, default 1e-4
        Improvement of the loss (or validation score) that counts as progress.
    verbose : bool or int, default False
        Print the loss of every iteration (scikit-learn's lines, on stdout);
        from 2 up, also the command line's progress bar (on stderr, with tqdm).
    warm_start : bool, default False
        Continue from the weights of the previous ``fit``.
    momentum : float, default 0.9
    nesterovs_momentum : bool, default True
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the data (stratified), stop when its
        accuracy has not improved by ``tol`` for ``n_iter_no_change`` epochs, and
        keep the best epoch's weights.
    validation_fraction : float, default 0.1
    beta_1, beta_2, epsilon : float
        Adam's decay rates and its denominator's guard.
    n_iter_no_change : int, default 10
    max_fun : int, default 15000
        L-BFGS's limit on loss evaluations.
    dropout : float, default 0.0
        mlpkit's own: the fraction of each hidden layer's units dropped in training.
    dtype : {'float32', 'float64'} or None, default None
        mlpkit's own: the precision of the weights and of training. None keeps
        the inputs' (float32 stays float32, anything else becomes float64), as
        scikit-learn does; 'float32' trains float64 inputs in float32, faster.
    loss : {'log_loss', 'squared_error'}, default 'log_loss'
        mlpkit's own: 'squared_error' trains on half the squared error of the
        output probabilities, as the classic courses did.
    class_weight : dict, 'balanced' or None, default None
        Beyond scikit-learn (its #9113): each sample's weight in the loss is
        multiplied by its class's, ``{label: weight}`` or 'balanced'
        (``n_samples / (n_classes * count)``, ``compute_class_weight``'s);
        integer weights train as repeated rows. A class left out weighs 1;
        a weight must be finite and >= 0, a label one of ``y``'s.
    early_stopping_metric : str or callable, default 'score'
        Beyond scikit-learn (#24411): what early stopping watches on the
        validation data. 'score' is scikit-learn's (accuracy), 'loss' the
        validation loss (recorded negated in ``validation_scores_``, so that
        higher is better), a scorer name ('f1_macro', 'neg_log_loss', ...) or a
        callable ``scorer(estimator, X, y)``.
    callbacks : list of mlpkit.Callback, optional
        Beyond scikit-learn: called at the start, after every iteration (with
        ``loss`` and, with early stopping, ``val_loss`` and ``val_score``;
        ``on_epoch_end`` returns True to stop, False or None to go on, anything
        else is a TypeError) and at the end, e.g. ``mlpkit.LivePlot()``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coefs_ : list of ndarray
        ``coefs_[i]`` has shape (units of layer i, units of layer i + 1); the
        network's own arrays.
    intercepts_ : list of ndarray
    loss_ : float
        The loss of the last iteration.
    best_loss_ : float or None
        The lowest training loss (None with early stopping).
    loss_curve_ : list of float
        The loss of each iteration (stochastic solvers).
    validation_scores_ : list of float or None
        The watched validation score of each iteration, with early stopping.
    validation_loss_curve_ : list of float or None
        Beyond scikit-learn (#18507): the validation loss of each iteration,
        with early stopping, comparable with ``loss_curve_``.
    class_weight_ : ndarray of shape (n_classes,)
        The class weights used, when ``class_weight`` is set.
    best_validation_score_ : float or None
    t_ : int
        Training samples seen.
    n_iter_ : int
        Iterations of the last ``fit``.
    n_layers_ : int
    n_outputs_ : int
    out_activation_ : str
        'softmax', or 'logistic' for two classes and for multilabel targets.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        When ``X`` had column names.
    network_ : mlpkit.Network
    """

    _is_classifier: ClassVar[bool] = True
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **BaseMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    hidden_layer_sizes: int | Sequence[int] = field(default=(100,), kw_only=False)
    activation: str = field(default="relu", kw_only=False)
    loss: str = "log_loss"
    class_weight: dict[Any, float] | str | None = None

    def _targets(self, y: np.ndarray, incremental: bool) -> np.ndarray:
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in"
                        f" the previous call to fit. Previously got {self.classes_}, `y` has"
                        f" {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has"
                    f" {self.classes_}. 'y' has {classes}."
                )
        # bool, so that float32 inputs keep float32 targets
        return self._label_binarizer.transform(y).astype(bool)

    def _output_activation(self) -> str:
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _score_outputs(
        self, outputs: np.ndarray, T: np.ndarray, weights: np.ndarray | None
    ) -> float:
        return float(
            accuracy_score(self._targets_of(T), self._labels(outputs), sample_weight=weights)
        )

    def _targets_of(self, T: np.ndarray) -> np.ndarray:
        return self._label_binarizer.inverse_transform(T.astype(int))

    def _weighted(
        self, T: np.ndarray, sample_weight: np.ndarray | None, incremental: bool
    ) -> np.ndarray | None:
        """Sample weights times the weight of each sample's class (``class_weight``)."""
        if self.class_weight is None:
            return sample_weight
        if self._label_binarizer.y_type_.startswith("multilabel"):
            raise ValueError("class_weight is not supported for multilabel targets")
        if self.class_weight == "balanced" and incremental:
            raise ValueError(
                "class_weight='balanced' needs every class's frequency, which one partial_fit"
                " batch does not give: pass class_weight as a dict of class weights"
            )
        labels = self._targets_of(T)
        if isinstance(self.class_weight, dict):
            _check_class_weights(self.class_weight, self.classes_)
        self.class_weight_ = compute_class_weight(
            self.class_weight, classes=self.classes_, y=labels
        )
        per_sample = self.class_weight_[np.searchsorted(self.classes_, labels)]
        return per_sample if sample_weight is None else per_sample * sample_weight

    def _labels(self, outputs: np.ndarray) -> np.ndarray:
        if self.n_outputs_ == 1:
            outputs = outputs.ravel()
        return self._label_binarizer.inverse_transform(outputs)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted classes, shape (n_samples,) (or (n_samples, n_classes) for multilabel)."""
        return self._labels(self._outputs(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        outputs = self._outputs(X)
        if self.n_outputs_ == 1:
            positive = outputs.ravel()
            return np.vstack([1 - positive, positive]).T
        return outputs

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """``log(predict_proba(X))``."""
        probabilities = self.predict_proba(X)
        return np.log(probabilities, out=probabilities)

    @available_if(lambda estimator: estimator._check_solver())
    def partial_fit(
        self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None
    ) -> MLPClassifier:
        """One iteration over ``(X, y)``; the first call needs ``classes``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
        sample_weight : array-like of shape (n_samples,), optional
        classes : array-like of shape (n_classes,), optional
            Every label there is: required on the first call, and if given
            later, the same as then.

        Returns
        -------
        self
        """
        self._validate_params()
        if _first_partial_fit(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def __sklearn_tags__(self) -> Any:  # scikit-learn's Tags
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


def _first_partial_fit(estimator: MLPClassifier, classes: npt.ArrayLike | None) -> bool:
    """Whether this is the first ``partial_fit``; checks ``classes`` against the last call."""
    known = getattr(estimator, "classes_", None)
    if known is None and classes is None:
        raise ValueError("classes must be passed on the first call to partial_fit.")
    if classes is None:
        return False
    classes = unique_labels(classes)
    if known is not None:
        if not np.array_equal(known, classes):
            raise ValueError(
                f"`classes={classes!r}` is not the same as on last call to partial_fit,"
                f" was: {known!r}"
            )
        return False
    estimator.classes_ = classes
    return True
