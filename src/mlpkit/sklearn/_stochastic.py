"""The stochastic solvers of :mod:`mlpkit.sklearn` (sgd, adam, rmsprop), on an mlpkit ``Network``.

scikit-learn's MLPs train with a stochastic loop (``sgd`` or ``adam``, here
also ``rmsprop``) or with L-BFGS (``mlpkit.sklearn._lbfgs``). This module gives
the loop scikit-learn's meaning (what one iteration is, when ``tol`` and
``n_iter_no_change`` stop, how ``adaptive`` and ``invscaling`` change the
step, how ``alpha`` scales, what early stopping keeps) while the forward pass,
the backward pass and the updates are mlpkit's.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from mlpkit.hooks import Callback, TrainableNetwork, asks_to_stop, call_hook, check_callbacks
from mlpkit.sklearn._network import network_of, objective_of
from mlpkit.sklearn._state import EstimatorState, StochasticSolver
from mlpkit.training import train

__all__ = ["fit_stochastic"]


def _validation_split(
    estimator: EstimatorState,
    X: Any,
    T: np.ndarray,
    sample_weight: np.ndarray | None,
    stratify: np.ndarray | None,
) -> tuple[list[Any], list[Any]]:
    """Training and validation parts, as scikit-learn splits them for early stopping."""
    arrays = [X, T] if sample_weight is None else [X, T, sample_weight]
    parts = train_test_split(
        *arrays,
        random_state=estimator._random_state,
        test_size=estimator.validation_fraction,
        stratify=stratify,
    )
    train, valid = parts[0::2], parts[1::2]
    if valid[0].shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' "
            "or the size of your dataset."
        )
    if sample_weight is None:
        train.append(None)
        valid.append(None)
    return train, valid


def _progress_bar(estimator: EstimatorState, iterations: int, batches: int) -> Any:
    """The command line's progress bar (on stderr) when ``verbose >= 2`` and tqdm is here.

    ``verbose=True`` prints scikit-learn's "Iteration N, loss = ..." lines only.
    """
    if estimator.verbose < 2:
        return None
    try:
        from mlpkit.progress import ProgressBar

        return ProgressBar(iterations, batches)
    except ImportError:  # tqdm is optional (the plot extra)
        return None


def _batch_size(estimator: EstimatorState, n_samples: int) -> int:
    if estimator.batch_size == "auto":
        return min(200, n_samples)
    assert isinstance(estimator.batch_size, int)  # scikit-learn's constraints: 'auto' or an int
    if not 1 <= estimator.batch_size <= n_samples:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped",
            stacklevel=4,
        )
    return int(np.clip(estimator.batch_size, 1, n_samples))


def fit_stochastic(
    estimator: EstimatorState,
    X: Any,
    T: np.ndarray,
    sample_weight: np.ndarray | None,
    incremental: bool,
) -> None:
    """scikit-learn's stochastic loop on ``mlpkit.training.train``: ``max_iter`` iterations
    (epochs), or one when ``incremental``, stopping early on ``tol`` and ``n_iter_no_change``."""
    if not incremental or not hasattr(estimator, "_optimizer"):
        estimator._optimizer = StochasticSolver(estimator)
    if estimator.early_stopping and incremental:
        raise ValueError("partial_fit does not support early_stopping=True")
    network = network_of(estimator)
    generator = np.random.default_rng(estimator._random_state.randint(2**31 - 1))
    validation = None
    if estimator.early_stopping:
        single = estimator._is_classifier and T.shape[1] == 1
        stratify = T.astype(bool) if single else None
        (X, T, sample_weight), validation = _validation_split(
            estimator, X, T, sample_weight, stratify
        )
    n_samples = X.shape[0]
    batch = _batch_size(estimator, n_samples)
    iterations = _Iterations(estimator, n_samples, batch, validation, incremental)
    estimator.n_iter_ = 0
    try:
        train(
            network,
            X,
            T,
            objective_of(estimator),
            estimator._optimizer.optimizer,
            epochs=range(1 if incremental else estimator.max_iter),
            batch_size=batch,
            rng=generator,
            shuffle=estimator._random_state.permutation if estimator.shuffle else False,
            sample_weight=sample_weight,
            callbacks=[iterations],
            divergence_factor=None,  # scikit-learn trains on; its check comes after
        )
    except KeyboardInterrupt:
        warnings.warn("Training interrupted by user.", stacklevel=3)
    if estimator.early_stopping:  # the best validated weights, into the network's own arrays
        for array, best in zip(
            estimator.coefs_ + estimator.intercepts_, estimator._best_weights, strict=True
        ):
            np.copyto(array, best)


class _Iterations(Callback):
    """A callback of ``train`` that gives each epoch scikit-learn's meaning.

    It keeps ``loss_`` (the mean of the batches' objectives) and ``loss_curve_``,
    validates for early stopping, counts the iterations without improvement,
    steps the ``invscaling`` and ``adaptive`` schedules and asks to stop; the
    progress bar and the user's ``callbacks`` are called from here, with
    scikit-learn's logs, in the order scikit-learn's loop would.
    """

    def __init__(
        self,
        estimator: EstimatorState,
        n_samples: int,
        batch: int,
        validation: list[Any] | None,
        incremental: bool,
    ) -> None:
        self.estimator = estimator
        self.n_samples, self.batch = n_samples, batch
        self.validation = validation
        self.incremental = incremental
        iterations = 1 if incremental else estimator.max_iter
        self.bar = _progress_bar(estimator, iterations, -(-n_samples // batch))
        self.callbacks = check_callbacks(estimator.callbacks)
        self.accumulated = 0.0

    def on_train_begin(self, network: TrainableNetwork) -> None:
        for callback in self.callbacks:
            call_hook(callback, "on_train_begin", network)

    def on_batch_end(self, batch: int, logs: dict[str, float]) -> bool:
        value = logs["loss"] + logs.get("l2_penalty", 0.0)  # scikit-learn's loss has alpha's
        rows = min(self.batch, self.n_samples - batch * self.batch)
        self.accumulated += value * rows
        if self.bar is not None:
            self.bar.on_batch_end(batch, {"loss": value})
        return False

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool:
        estimator, solver = self.estimator, self.estimator._optimizer
        estimator.n_iter_ += 1
        estimator.loss_ = self.accumulated / self.n_samples
        self.accumulated = 0.0
        estimator.t_ += self.n_samples
        estimator.loss_curve_.append(estimator.loss_)
        if estimator.verbose:
            print(f"Iteration {estimator.n_iter_}, loss = {estimator.loss_:.8f}")
        _count_no_improvement(estimator, self.validation)
        logs = self._logs()
        if self.bar is not None:
            self.bar.on_epoch_end(estimator.n_iter_ - 1, logs)
        returned = [(c, c.on_epoch_end(estimator.n_iter_ - 1, dict(logs))) for c in self.callbacks]
        stop = any([asks_to_stop(c, "on_epoch_end", value) for c, value in returned])
        solver.iteration_ends(estimator.t_)
        if stop:  # a callback asked to stop, after every callback saw the epoch
            return True
        if estimator._no_improvement_count > estimator.n_iter_no_change:
            if solver.trigger_stopping(self._stall_message(), estimator.verbose):
                return True
            estimator._no_improvement_count = 0
        if not self.incremental and estimator.n_iter_ == estimator.max_iter:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({estimator.max_iter}) reached"
                " and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return False

    def on_train_end(self, network: TrainableNetwork) -> None:
        if self.bar is not None:
            self.bar.on_train_end(network)
        for callback in self.callbacks:
            call_hook(callback, "on_train_end", network)

    def _logs(self) -> dict[str, float]:
        """What the callbacks and the progress bar see after an iteration."""
        estimator = self.estimator
        logs = {"loss": estimator.loss_}
        if self.validation is not None:
            assert estimator.validation_loss_curve_ is not None  # lists with early stopping
            assert estimator.validation_scores_ is not None
            logs["val_loss"] = estimator.validation_loss_curve_[-1]
            logs["val_score"] = estimator.validation_scores_[-1]
            if estimator._is_classifier and estimator.early_stopping_metric == "score":
                logs["val_accuracy"] = logs["val_score"]
        return logs

    def _stall_message(self) -> str:
        estimator = self.estimator
        watched = "Validation score" if self.validation is not None else "Training loss"
        return (
            f"{watched} did not improve more than tol={estimator.tol:f}"
            f" for {estimator.n_iter_no_change} consecutive epochs."
        )


def _count_no_improvement(estimator: EstimatorState, validation: list[Any] | None) -> None:
    """scikit-learn's ``_no_improvement_count``: iterations without a gain of ``tol``."""
    if validation is not None:
        X_valid, T_valid, weights = validation
        loss, score = estimator._validate_epoch(X_valid, T_valid, weights)
        curve, scores = estimator.validation_loss_curve_, estimator.validation_scores_
        best = estimator.best_validation_score_
        assert curve is not None and scores is not None and best is not None  # early stopping
        curve.append(loss)
        scores.append(score)
        if estimator.verbose:
            print(f"Validation score: {score:f}")
        if score < best + estimator.tol:
            estimator._no_improvement_count += 1
        else:
            estimator._no_improvement_count = 0
        if score > best:
            estimator.best_validation_score_ = score
            estimator._best_weights = [a.copy() for a in estimator.coefs_ + estimator.intercepts_]
        return
    best_loss = estimator.best_loss_
    assert best_loss is not None  # a number without early stopping
    if estimator.loss_curve_[-1] > best_loss - estimator.tol:
        estimator._no_improvement_count += 1
    else:
        estimator._no_improvement_count = 0
    estimator.best_loss_ = min(best_loss, estimator.loss_curve_[-1])
