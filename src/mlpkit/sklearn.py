"""mlpkit networks as scikit-learn estimators (needs the ``sklearn`` extra).

``MLPClassifier`` and ``MLPRegressor`` take their hyper-parameters in the
constructor, learn in ``fit`` (or one epoch per ``partial_fit``) and then
behave like any scikit-learn estimator: ``predict``, ``predict_proba``,
``score``, ``Pipeline``, ``GridSearchCV``, ``cross_val_score``. The network
they train is an ordinary :class:`mlpkit.Network`, kept as ``network_``.

Names follow scikit-learn's own ``MLPClassifier`` where the idea is the same
(``hidden_layer_sizes``, ``alpha``, ``batch_size``, ``early_stopping``,
``validation_fraction``, ``n_iter_no_change``, ``random_state``) and mlpkit's
recipes elsewhere (``learning_rate``, ``epochs``, ``optimizer``). Mind one
clash: here ``learning_rate`` is the step size, scikit-learn's
``learning_rate_init`` (scikit-learn's ``learning_rate`` names a schedule).

>>> from mlpkit.sklearn import MLPClassifier
>>> from sklearn.datasets import load_iris
>>> X, y = load_iris(return_X_y=True)
>>> model = MLPClassifier(hidden_layer_sizes=(16,), epochs=300, random_state=0).fit(X, y)
>>> round(model.score(X, y), 2) >= 0.95
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from mlpkit import optimizers
from mlpkit.builders import mlp
from mlpkit.callbacks import EarlyStopping
from mlpkit.network import Network

__all__ = ["MLPClassifier", "MLPRegressor"]

_OPTIMIZERS = ("sgd", "adam", "rmsprop")


class _MLPEstimator(BaseEstimator):
    """What the classifier and the regressor share: settings, the network, training."""

    _task = ""  # "classification" or "regression"
    _score_key = ""  # the validation score that early stopping watches

    def __init__(
        self,
        hidden_layer_sizes: tuple[int, ...] = (100,),
        activation: str = "relu",
        output: str | None = None,
        loss: str | None = None,
        optimizer: str = "adam",
        learning_rate: float = 0.001,
        momentum: float = 0.9,
        nesterov: bool = False,
        batch_size: int | str = "auto",
        epochs: int = 200,
        alpha: float = 0.0001,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        init: str = "glorot_uniform",
        dtype: str = "float64",
        random_state: Any = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output = output
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.batch_size = batch_size
        self.epochs = epochs
        self.alpha = alpha
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.init = init
        self.dtype = dtype
        self.random_state = random_state

    # -- what subclasses define -----------------------------------------------
    def _encode(
        self, y: np.ndarray, first: bool, classes: npt.ArrayLike | None = None
    ) -> np.ndarray:
        """Targets as the network trains on them (class indices or float rows).

        ``first``: a new network is about to be built, so learn the classes
        (from ``classes`` if given, else from ``y``) or the number of outputs.
        """
        raise NotImplementedError

    def _n_outputs(self) -> int:
        raise NotImplementedError

    def _default_output(self) -> str:
        raise NotImplementedError

    # -- building -----------------------------------------------------------------
    def _check_settings(self) -> None:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, int | np.integer):
            sizes = (sizes,)
        if not all(isinstance(s, int | np.integer) and s > 0 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}"
            )
        if self.optimizer not in _OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {_OPTIMIZERS}, got {self.optimizer!r}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        if self.alpha < 0:
            raise ValueError(f"alpha must be >= 0, got {self.alpha!r}")
        if not 0 < self.validation_fraction < 1:
            raise ValueError(
                f"validation_fraction must be in (0, 1), got {self.validation_fraction!r}"
            )
        self._hidden = [int(s) for s in sizes]

    def _batch(self, n: int) -> int:
        """``batch_size`` for ``n`` samples: "auto" is min(200, n), as in scikit-learn."""
        if self.batch_size == "auto":
            return min(200, n)
        if not isinstance(self.batch_size, int | np.integer) or self.batch_size < 1:
            raise ValueError(
                f"batch_size must be a positive integer or 'auto', got {self.batch_size!r}"
            )
        return min(int(self.batch_size), n)

    def _new_network(self, n_features: int, rng: np.random.RandomState) -> None:
        self.network_: Network = mlp(
            [n_features, *self._hidden, self._n_outputs()],
            hidden=self.activation,
            output=self.output or self._default_output(),
            init=self.init,
            seed=int(rng.randint(2**31 - 1)),
            dtype=self.dtype,
            task=self._task,
        )
        self._optimizer = self._new_optimizer()
        self._shuffle_rng = np.random.default_rng(int(rng.randint(2**31 - 1)))
        self.loss_curve_: list[float] = []
        self.validation_scores_: list[float] | None = None
        self.n_iter_ = 0

    def _new_optimizer(self) -> optimizers.Optimizer:
        if self.optimizer == "sgd":
            nesterov = self.nesterov and self.momentum > 0
            return optimizers.SGD(self.learning_rate, self.momentum, nesterov=nesterov)
        return {"adam": optimizers.Adam, "rmsprop": optimizers.RMSprop}[self.optimizer](
            self.learning_rate
        )

    def _l2(self, batch: int) -> float:
        """mlpkit's ``l2`` for scikit-learn's ``alpha``.

        scikit-learn adds ``alpha / (2 * batch) * sum(W**2)`` to each batch's
        mean loss; mlpkit adds ``l2 * sum(W**2)``, so ``l2 = alpha / (2 * batch)``.
        """
        return self.alpha / (2 * batch)

    # -- training -------------------------------------------------------------------
    def _train(self, X: np.ndarray, T: np.ndarray, epochs: int, early_stopping: bool) -> None:
        validation, callbacks = None, []
        if early_stopping:
            X, X_valid, T, T_valid = train_test_split(
                X,
                T,
                test_size=self.validation_fraction,
                random_state=int(self._shuffle_rng.integers(2**31 - 1)),
                stratify=T if self._task == "classification" else None,
            )
            validation = (X_valid, T_valid)
            callbacks = [EarlyStopping(self._score_key, patience=self.n_iter_no_change)]
        batch = self._batch(len(X))
        history = self.network_.fit(
            X,
            T,
            loss=self.loss,  # None: the output's natural loss
            optimizer=self._optimizer,
            epochs=self.n_iter_ + epochs,  # fit counts to this epoch from initial_epoch
            batch_size=batch,
            validation=validation,
            callbacks=callbacks,
            seed=self._shuffle_rng,
            l2=self._l2(batch),
            initial_epoch=self.n_iter_,
        )
        self.loss_curve_ += list(history["loss"])
        if early_stopping:
            self.validation_scores_ = (self.validation_scores_ or []) + list(
                history[self._score_key]
            )
        self.n_iter_ += len(history)

    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> _MLPEstimator:
        """Train a new network for ``epochs`` epochs (fewer with early stopping).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) (or (n_samples, n_outputs) for a regressor)

        Returns
        -------
        self
        """
        self._check_settings()
        X, y = self._validate(X, y, reset=True)
        T = self._encode(y, first=True)
        self._new_network(X.shape[1], check_random_state(self.random_state))
        self._train(X, T, self.epochs, self.early_stopping)
        return self

    def _partial_fit(
        self, X: npt.ArrayLike, y: npt.ArrayLike, classes: npt.ArrayLike | None = None
    ) -> _MLPEstimator:
        first = not hasattr(self, "network_")
        if first:
            self._check_settings()
        X, y = self._validate(X, y, reset=first)
        T = self._encode(y, first, classes)
        if first:
            self._new_network(X.shape[1], check_random_state(self.random_state))
        self._train(X, T, 1, early_stopping=False)
        return self

    def _validate(
        self, X: npt.ArrayLike, y: npt.ArrayLike, reset: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        return validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=self.dtype,
            multi_output=self._task == "regression",
            y_numeric=self._task == "regression",
        )

    def _inputs(self, X: npt.ArrayLike) -> np.ndarray:
        check_is_fitted(self, "network_")
        return validate_data(self, X, reset=False, dtype=self.dtype)


class MLPClassifier(ClassifierMixin, _MLPEstimator):
    """A multi-layer perceptron classifier trained by mlpkit.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int
        Widths of the hidden layers, e.g. ``(100,)`` or ``(256, 128)``.
    activation : str
        Hidden activation: "relu", "tanh", "sigmoid", "leaky_relu" or "linear".
    output : {'softmax', 'sigmoid'}, optional
        Output activation; softmax by default.
    loss : str, optional
        Defaults to cross-entropy after softmax, binary cross-entropy after
        sigmoid; "mse" is also accepted.
    optimizer : {'adam', 'sgd', 'rmsprop'}
    learning_rate : float
    momentum : float
        For ``optimizer="sgd"`` only.
    nesterov : bool
        Nesterov momentum (``optimizer="sgd"`` with ``momentum > 0``).
    batch_size : int or "auto"
        Samples per step; "auto" is ``min(200, n_samples)``.
    epochs : int
        Passes over the training data in ``fit``.
    alpha : float
        L2 penalty, scaled as in scikit-learn (see ``_l2``).
    early_stopping : bool
        Hold out ``validation_fraction`` of the data (stratified) and stop when
        its accuracy has not improved for ``n_iter_no_change`` epochs; the
        best epoch's weights are kept.
    validation_fraction : float
    n_iter_no_change : int
    init : str
        Weight initialiser: "glorot_uniform", "he_uniform", "glorot_normal", ...
    dtype : {'float64', 'float32'}
        Precision of the network; float32 is faster, float64 the default.
    random_state : int, RandomState or None
        Seeds the initial weights, the batch order and the validation split.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, in the order of ``predict_proba``'s columns.
    n_features_in_ : int
    network_ : mlpkit.Network
        The trained network (it works on class indices 0..n_classes-1).
    loss_curve_ : list of float
        Training loss per epoch (the running mean over the epoch's batches).
    validation_scores_ : list of float or None
        Validation accuracy per epoch with early stopping, else None.
    n_iter_ : int
        Epochs trained so far.
    """

    _task = "classification"
    _score_key = "val_accuracy"

    def _default_output(self) -> str:
        return "softmax"

    def _n_outputs(self) -> int:
        return len(self.classes_)

    def partial_fit(
        self, X: npt.ArrayLike, y: npt.ArrayLike, classes: npt.ArrayLike | None = None
    ) -> MLPClassifier:
        """One epoch over ``(X, y)``; the first call needs ``classes`` (all labels that exist)."""
        if not hasattr(self, "network_") and classes is None:
            raise ValueError(
                "classes must be given on the first call to partial_fit: the labels "
                "of every class, since one batch may not contain them all"
            )
        return self._partial_fit(X, y, classes)

    def _encode(
        self, y: np.ndarray, first: bool, classes: npt.ArrayLike | None = None
    ) -> np.ndarray:
        check_classification_targets(y)
        if first:
            found = np.unique(y if classes is None else np.asarray(classes))
            if len(found) < 2:
                raise ValueError(
                    f"MLPClassifier needs at least 2 classes in y, got {len(found)} class"
                    f" ({found.tolist()})"
                )
            self.classes_ = found
        index = np.minimum(np.searchsorted(self.classes_, y), len(self.classes_) - 1)
        unknown = self.classes_[index] != y
        if unknown.any():
            raise ValueError(
                f"y contains labels not in classes_ {self.classes_.tolist()}: "
                f"{sorted(set(y[unknown].tolist()))[:5]}"
            )
        return index

    def predict_proba(self, X: npt.ArrayLike) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        X = self._inputs(X)
        return self.network_.predict_proba(X)

    def predict(self, X: npt.ArrayLike) -> np.ndarray:
        """The most probable class of each sample, shape (n_samples,)."""
        X = self._inputs(X)  # before touching fitted attributes: raises NotFittedError
        return self.classes_[self.network_.predict(X)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


class MLPRegressor(RegressorMixin, _MLPEstimator):
    """A multi-layer perceptron regressor trained by mlpkit (MSE on a linear output).

    Takes the same parameters as :class:`MLPClassifier`, except that the
    output defaults to "linear" and the loss to "mse"; early stopping watches
    the validation R².

    Attributes
    ----------
    n_features_in_ : int
    n_outputs_ : int
        Columns of ``y`` (1 for a 1-D ``y``).
    network_ : mlpkit.Network
    loss_curve_ : list of float
        Training loss per epoch: mean over samples of the squared error summed
        over outputs.
    validation_scores_ : list of float or None
        Validation R² per epoch with early stopping, else None.
    n_iter_ : int
    """

    _task = "regression"
    _score_key = "val_r2"

    def _default_output(self) -> str:
        return "linear"

    def _n_outputs(self) -> int:
        return self.n_outputs_

    def _encode(
        self, y: np.ndarray, first: bool, classes: npt.ArrayLike | None = None
    ) -> np.ndarray:
        T = np.asarray(y, dtype=self.dtype).reshape(len(y), -1)
        if first:
            self.n_outputs_ = T.shape[1]
        elif T.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {T.shape[1]} outputs, but this regressor was fitted with {self.n_outputs_}"
            )
        return T

    def partial_fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> MLPRegressor:
        """One epoch over ``(X, y)``, continuing from the current weights."""
        return self._partial_fit(X, y)

    def predict(self, X: npt.ArrayLike) -> np.ndarray:
        """Predicted targets: shape (n_samples,) for a 1-D ``y``, else (n_samples, n_outputs)."""
        X = self._inputs(X)
        outputs = self.network_.predict(X)
        return outputs.reshape(len(outputs), -1) if self.n_outputs_ > 1 else outputs.ravel()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
