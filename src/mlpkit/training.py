"""The training loop: epochs of shuffled mini-batches, validation, callbacks.

``train`` is the loop, on checked data; ``fit`` checks its arguments (with
:mod:`mlpkit.preflight`) and calls it.

An epoch visits every training sample once, in shuffled mini-batches
(``batch_size=None`` is full-batch gradient descent: one step per epoch).
The epoch's ``loss`` and ``accuracy`` are running figures: the mean over the
epoch's batches of the values measured during the forward pass, before each
update. Validation figures are measured after the epoch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from mlpkit import optimizers
from mlpkit._validation import as_rng, check_int, check_positive
from mlpkit.history import History, TrainingDivergedError
from mlpkit.hooks import (
    Callback,
    TrainableNetwork,
    asks_to_stop,
    call_hook,
    check_callbacks,
    overrides,
)
from mlpkit.losses import Loss
from mlpkit.objective import Objective
from mlpkit.preflight import check_batch_statistics, check_training_memory, check_validation

__all__ = [
    "Callback",
    "History",
    "Objective",
    "TrainableNetwork",
    "TrainingDivergedError",
    "fit",
    "train",
]


#: ``augment(X_batch, rng) -> X_batch``: a new batch drawn from the run's generator.
Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]

#: ``order(n) -> permutation``: an epoch's order of the ``n`` samples.
Order = Callable[[int], np.ndarray]


#: A batch loss this many times the first batch's (or above this, when the first was
#: below 1) is divergence, though finite: no training recovers from it.
DIVERGENCE_FACTOR = 1e6


def _batches(n: int, batch_size: int, order: np.ndarray | None) -> Iterable[Any]:
    """Index arrays (shuffled) or slices (in order) covering ``range(n)``."""
    for start in range(0, n, batch_size):
        if order is None:
            yield slice(start, start + batch_size)
        else:
            yield order[start : start + batch_size]


def fit(
    network: TrainableNetwork,
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    loss: str | Loss | None = None,
    optimizer: str | optimizers.Optimizer = "sgd",
    epochs: int = 10,
    batch_size: int | None = None,
    validation: tuple[npt.ArrayLike, npt.ArrayLike] | None = None,
    callbacks: Sequence[Callback] = (),
    seed: int | np.random.Generator | None = None,
    shuffle: bool = True,
    l2: float = 0.0,
    l2_bias: bool = False,
    initial_epoch: int = 0,
    augment: Augment | None = None,
) -> History:
    """Train ``network`` on ``(X, y)`` by backpropagation.

    Parameters
    ----------
    X : array-like of shape (n, *input_shape)
        Flat rows of ``prod(input_shape)`` values are reshaped.
    y : array-like of shape (n,) or (n, n_outputs)
        Integer class labels, one-hot rows, or real-valued targets.
    loss : str or Loss, optional
        Defaults to cross-entropy after softmax, binary cross-entropy after
        sigmoid, MSE otherwise.
    optimizer : str or Optimizer
        An instance carries its settings and state across calls to ``fit``.
    epochs : int
    batch_size : int or None
        Samples per step; ``None`` is full-batch gradient descent.
    validation : (X_val, y_val), optional
        Evaluated after each epoch as ``val_loss`` and ``val_accuracy``.
    callbacks : sequence of Callback
        Objects with ``on_epoch_end(epoch, logs)``, called in order; each
        returns True to stop training, False or None to go on (anything else
        is a TypeError).
    seed : int or Generator, optional
        Drives the shuffling; the same seed gives the same weights bit for bit.
    shuffle : bool
        Reshuffle the samples every epoch.
    l2 : float
        L2 penalty ``l2 * sum(W**2)`` added to the loss (gradient ``2 l2 W``).
    l2_bias : bool
        Penalise biases too.
    initial_epoch : int
        The first epoch to run, when resuming a run: epochs ``initial_epoch``
        to ``epochs - 1`` are run (pass the saved generator as ``seed``).
    augment : callable, optional
        ``augment(X_batch, rng) -> X_batch``, applied to every training batch
        (e.g. ``datasets.random_shifts``), drawing from the run's generator.

    Returns
    -------
    History
        ``loss`` is the data loss; with ``l2 > 0``, ``l2_penalty`` is recorded too.

    Raises
    ------
    TrainingDivergedError
        When the loss becomes NaN or infinite; the weights are restored to
        those at the start of that epoch.
    """
    X = network.check_inputs(X)
    T, labels = network.check_targets(y, n_samples=len(X))
    loss = network.resolve_loss(loss)
    optimizer = optimizers.get(optimizer)
    epochs = check_int(epochs, "epochs")
    batch_size = len(X) if batch_size is None else check_int(batch_size, "batch_size")
    check_batch_statistics(network, len(X), batch_size)
    check_training_memory(network, batch_size, optimizer)
    l2 = check_positive(l2, "l2", allow_zero=True)
    validation = check_validation(network, validation)
    initial_epoch = check_int(initial_epoch, "initial_epoch", minimum=0)
    network.loss = loss
    return train(
        network,
        X,
        T,
        Objective(loss, l2, l2_bias),
        optimizer,
        epochs=range(initial_epoch, epochs),
        batch_size=batch_size,
        rng=as_rng(seed),
        shuffle=shuffle,
        labels=labels,
        validation=validation,
        callbacks=check_callbacks(callbacks),
        augment=augment,
    )


def train(
    network: TrainableNetwork,
    X: Any,
    T: np.ndarray,
    objective: Objective,
    optimizer: optimizers.Optimizer,
    *,
    epochs: range,
    batch_size: int,
    rng: np.random.Generator,
    shuffle: bool | Order = True,
    labels: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
    validation: tuple[np.ndarray, npt.ArrayLike] | None = None,
    callbacks: Sequence[Callback] = (),
    augment: Augment | None = None,
    divergence_factor: float | None = DIVERGENCE_FACTOR,
) -> History:
    """The training loop on checked data: ``fit`` calls it after validating its arguments.

    The scikit-learn face calls it too, with its own checks, its objective
    (``alpha``) and a callback that gives an epoch scikit-learn's meaning.

    Parameters
    ----------
    X : ndarray of shape (n, *input_shape), or a SciPy sparse matrix (n, features)
        In the network's dtype.
    T : ndarray of shape (n, n_outputs)
        Encoded targets.
    objective : Objective
    optimizer : Optimizer
    epochs : range
        The epochs to run, by number (``range(initial_epoch, epochs)``).
    batch_size : int
    rng : Generator
        Shuffles, draws dropout masks and augments.
    shuffle : bool or callable
        True draws each epoch's order from ``rng`` (none for one full batch,
        whose order changes nothing but rounding); False keeps the data's
        order; ``shuffle(n)`` returns each epoch's order itself.
    labels : ndarray of shape (n,), optional
        Classes, to report the running ``accuracy``.
    sample_weight : ndarray of shape (n,), optional
    validation : (X_val, y_val), optional
    callbacks : sequence of Callback
        Already checked (``hooks.check_callbacks``).
    augment : callable, optional
    divergence_factor : float or None
        A batch loss NaN, infinite or over this many times the first raises
        ``TrainingDivergedError``; None trains on (scikit-learn does).
    """
    for layer in network.layers:  # dropout masks come from the run's generator
        if layer.stochastic:
            layer.rng = rng
    trainer = _Trainer(
        network,
        X,
        T,
        labels,
        objective,
        optimizer,
        batch_size,
        rng,
        shuffle,
        sample_weight,
        augment,
        divergence_factor,
        batch_callbacks=[c for c in callbacks if overrides(c, "on_batch_end")],
    )
    return _run_epochs(trainer, epochs, validation, list(callbacks))


def _run_epochs(
    trainer: _Trainer,
    epochs: range,
    validation: tuple[np.ndarray, npt.ArrayLike] | None,
    callbacks: list[Callback],
) -> History:
    """The epochs of ``fit``: train, evaluate, call back, until done or told to stop."""
    network, history = trainer.network, History()
    for callback in callbacks:
        call_hook(callback, "on_train_begin", network)
    try:
        for epoch in epochs:
            try:
                logs = trainer.run_epoch(epoch)
            except TrainingDivergedError as error:
                error.history = history
                raise
            if logs is None:  # a batch callback stopped training mid-epoch
                history.interrupted = True
                break
            if validation is not None:
                logs.update({f"val_{k}": v for k, v in network.evaluate(*validation).items()})
            stop = False
            for callback in callbacks:
                returned = callback.on_epoch_end(epoch, logs)
                stop = asks_to_stop(callback, "on_epoch_end", returned) or stop
            history.append(epoch, logs)
            if stop:
                break
    finally:
        for callback in callbacks:
            call_hook(callback, "on_train_end", network)
    return history


@dataclass
class _Trainer:
    """The checked training data and settings that every epoch uses."""

    network: TrainableNetwork
    X: Any  # (n, *input_shape) in the network's dtype, or a SciPy sparse matrix
    T: np.ndarray  # (n, n_outputs), encoded targets
    labels: np.ndarray | None  # (n,) classes for accuracy, None for regression
    objective: Objective
    optimizer: optimizers.Optimizer
    batch_size: int
    rng: np.random.Generator
    shuffle: bool | Order
    sample_weight: np.ndarray | None = None  # (n,)
    augment: Augment | None = None
    divergence_factor: float | None = DIVERGENCE_FACTOR
    batch_callbacks: list[Callback] = field(default_factory=list)
    first_loss: float | None = None  # the first batch's loss (with any penalty)

    def divergence_limit(self) -> float:
        """A finite loss above this has diverged: ``divergence_factor`` times the first
        batch's loss, or times 1 if that was smaller (a loss already near 0)."""
        assert self.divergence_factor is not None
        return self.divergence_factor * max(abs(self.first_loss or 0.0), 1.0)

    def order(self, n: int) -> np.ndarray | None:
        """This epoch's order of the samples, or None for the data's own."""
        if callable(self.shuffle):
            return self.shuffle(n)
        return self.rng.permutation(n) if self.shuffle and self.batch_size < n else None

    def run_epoch(self, epoch: int) -> dict[str, float] | None:
        """One pass over the data; return the epoch's running loss and accuracy.

        Returns None when a batch callback asked to stop before the epoch's end.
        """
        started = time.perf_counter()
        network, loss, n = self.network, self.objective.loss, self.T.shape[0]
        self.optimizer.epoch = epoch
        guarded = self.divergence_factor is not None
        # Kept so that a diverging epoch can be undone: one copy per epoch is cheap.
        start_weights = network.get_weights() if guarded else {}
        order = self.order(n)
        weighted_loss, correct, penalty = 0.0, 0, 0.0
        parameters = list(network.parameters())  # (key, param, grad), once per epoch
        penalize = self.objective.penalizes(network)
        with np.errstate(over="ignore", invalid="ignore"):
            for batch, index in enumerate(_batches(n, self.batch_size, order)):
                Xb, Tb = self.X[index], self.T[index]
                wb = None if self.sample_weight is None else self.sample_weight[index]
                if self.augment is not None:
                    Xb = self.augment(Xb, self.rng)
                value, penalty, outputs = self.objective.gradients(network, Xb, Tb, wb)
                if self.first_loss is None:
                    self.first_loss = value + penalty
                if guarded and self._diverged(value + penalty):
                    network.set_weights(start_weights)
                    raise self._divergence(value + penalty, epoch)
                weighted_loss += value * loss.divisor(Tb.shape, wb)
                if self.labels is not None:
                    predicted = network.labels_of(outputs)
                    correct += int(np.count_nonzero(predicted == self.labels[index]))
                self.optimizer.step(parameters)
                if self.batch_callbacks and self._batch_end(batch, value, penalty, penalize):
                    return None
        logs = {"loss": weighted_loss / loss.divisor(self.T.shape, self.sample_weight)}
        if self.labels is not None:
            logs["accuracy"] = correct / n
        if penalize:
            logs["l2_penalty"] = penalty  # at the epoch's last step
        logs["time"] = time.perf_counter() - started
        return logs

    def _diverged(self, total: float) -> bool:
        return not math.isfinite(total) or total > self.divergence_limit()

    def _divergence(self, total: float, epoch: int) -> TrainingDivergedError:
        what = (
            f"became {total}"
            if not math.isfinite(total)
            else f"reached {total:.3g}, over {self.divergence_factor:g} times its first "
            f"value ({self.first_loss:.3g}),"
        )
        return TrainingDivergedError(
            f"the loss {what} in epoch {epoch + 1}; the weights "
            "were reset to the start of that epoch. Try a smaller learning rate "
            f"(it is {self.optimizer.learning_rate:g})",
            History(),
        )

    def _batch_end(self, batch: int, value: float, penalty: float, penalize: bool) -> bool:
        logs = {"loss": value, "l2_penalty": penalty} if penalize else {"loss": value}
        stop = False
        for callback in self.batch_callbacks:
            returned = callback.on_batch_end(batch, dict(logs))
            stop = asks_to_stop(callback, "on_batch_end", returned) or stop
        return stop
