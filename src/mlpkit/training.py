"""The training loop ``fit``: epochs of shuffled mini-batches, validation, callbacks.

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
from mlpkit._memory import NotEnoughMemoryError, available_bytes, in_words
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
from mlpkit.layers.base import values_per_sample
from mlpkit.losses import Loss

__all__ = ["Callback", "History", "TrainableNetwork", "TrainingDivergedError", "fit"]


#: ``augment(X_batch, rng) -> X_batch``: a new batch drawn from the run's generator.
Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]


#: A batch loss this many times the first batch's (or above this, when the first was
#: below 1) is divergence, though finite: no training recovers from it.
DIVERGENCE_FACTOR = 1e6


#: Copies of each layer's batch-sized values that training holds at once, at
#: least: the output kept for backward, the gradient flowing down, a temporary.
TRAINING_COPIES = 3


def check_training_memory(
    network: TrainableNetwork, batch_size: int, optimizer: optimizers.Optimizer
) -> None:
    """Refuse, with the estimate, training that would not fit in the free memory.

    The estimate is a floor: the weights with their gradients and optimiser
    slots, and ``TRAINING_COPIES`` copies of every layer's values for one batch.

    Raises
    ------
    NotEnoughMemoryError
        A ``MemoryError`` and a ``ValueError``, naming the two parts.
    """
    free = available_bytes()
    if free is None:
        return
    itemsize = np.dtype(network.dtype).itemsize
    n_weights = sum(param.size for _, param, _ in network.parameters())
    weights = n_weights * itemsize * (2 + len(optimizer.slot_names()))
    per_sample = values_per_sample(network.layers, network.input_shape, network.shapes)
    batches = batch_size * per_sample * itemsize * TRAINING_COPIES
    if weights + batches > free:
        raise NotEnoughMemoryError(
            f"training needs at least {in_words(weights + batches)} ({in_words(weights)} for "
            f"the weights, their gradients and {type(optimizer).__name__}'s state; "
            f"{in_words(batches)} for batches of {batch_size} samples), more than the "
            f"{in_words(free)} of memory free: use smaller layers or batch_size"
        )


def _batches(n: int, batch_size: int, order: np.ndarray | None) -> Iterable[Any]:
    """Index arrays (shuffled) or slices (in order) covering ``range(n)``."""
    for start in range(0, n, batch_size):
        if order is None:
            yield slice(start, start + batch_size)
        else:
            yield order[start : start + batch_size]


def check_batch_statistics(network: TrainableNetwork, n: int, batch_size: int) -> None:
    """Refuse batches too small for a layer that learns from batch statistics.

    ``n`` samples in batches of ``batch_size`` end with a batch of
    ``n % batch_size``; a BatchNorm over flat features turns a batch of one
    sample into zeros (its own mean), so training would learn nothing from it.
    """
    last = n if batch_size >= n else (n % batch_size or batch_size)
    smallest = min(batch_size, last)
    for index, layer in enumerate(network.layers):
        needed = layer.smallest_training_batch(layer.input_shape)
        if smallest < needed:
            hint = "" if batch_size < needed else f" (the last of {n} samples)"
            raise ValueError(
                f"batch_size={batch_size} gives a batch of {smallest} sample{hint}, and layer "
                f"{index} ({type(layer).__name__} over {layer.input_shape}) normalises by the "
                f"batch's own statistics, which needs at least {needed} samples per batch: "
                f"a batch of one normalises every value to zero; choose another batch_size"
            )


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
    validation = _checked_validation(network, validation)
    rng = as_rng(seed)
    for layer in network.layers:  # dropout masks come from the run's generator
        if layer.stochastic:
            layer.rng = rng
    trainer = _Trainer(
        network, X, T, labels, loss, optimizer, batch_size, rng, shuffle, l2, l2_bias, augment
    )
    network.loss = loss
    callbacks = check_callbacks(callbacks)
    trainer.batch_callbacks = [c for c in callbacks if overrides(c, "on_batch_end")]
    initial_epoch = check_int(initial_epoch, "initial_epoch", minimum=0)
    return _run_epochs(trainer, range(initial_epoch, epochs), validation, callbacks)


def _checked_validation(
    network: TrainableNetwork, validation: tuple[npt.ArrayLike, npt.ArrayLike] | None
) -> tuple[np.ndarray, npt.ArrayLike] | None:
    """``(X_val, y_val)`` with ``X_val`` checked and shaped, or None."""
    if validation is None:
        return None
    if not isinstance(validation, tuple | list) or len(validation) != 2:
        raise TypeError("validation must be a pair (X_val, y_val)")
    X_val = network.check_inputs(validation[0], "X_val")
    network.check_targets(validation[1], n_samples=len(X_val), name="y_val")
    return X_val, validation[1]


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
            logs = trainer.run_epoch(epoch, history)
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
    """The validated training data and settings that every epoch uses."""

    network: TrainableNetwork
    X: np.ndarray  # (n, *input_shape), the network's dtype
    T: np.ndarray  # (n, n_outputs), encoded targets
    labels: np.ndarray | None  # (n,) classes for accuracy, None for regression
    loss: Loss
    optimizer: optimizers.Optimizer
    batch_size: int
    rng: np.random.Generator
    shuffle: bool
    l2: float
    l2_bias: bool
    augment: Augment | None = None
    batch_callbacks: list[Callback] = field(default_factory=list)
    first_loss: float | None = None  # the first batch's loss (with any penalty)

    def divergence_limit(self) -> float:
        """A finite loss above this has diverged: ``DIVERGENCE_FACTOR`` times the first
        batch's loss, or times 1 if that was smaller (a loss already near 0)."""
        return DIVERGENCE_FACTOR * max(abs(self.first_loss or 0.0), 1.0)

    def run_epoch(self, epoch: int, history: History) -> dict[str, float] | None:
        """One pass over the data; return the epoch's running loss and accuracy.

        Returns None when a batch callback asked to stop before the epoch's end.
        """
        started = time.perf_counter()
        network, loss, n = self.network, self.loss, len(self.X)
        self.optimizer.epoch = epoch
        # Kept so that a diverging epoch can be undone: one copy per epoch is cheap.
        start_weights = network.get_weights()
        order = self.rng.permutation(n) if self.shuffle and self.batch_size < n else None
        weighted_loss, correct, penalty = 0.0, 0, 0.0
        parameters = list(network.parameters())  # (key, param, grad), once per epoch
        penalize = network.has_l2(self.l2)  # fit's l2, or a layer's own
        with np.errstate(over="ignore", invalid="ignore"):
            for batch, index in enumerate(_batches(n, self.batch_size, order)):
                Xb, Tb = self.X[index], self.T[index]
                if self.augment is not None:
                    Xb = self.augment(Xb, self.rng)
                # the data loss alone: the penalties (fit's l2 and the layers' own) come next
                value, outputs = network.loss_and_gradients(Xb, Tb, loss, penalize=False)
                if penalize:
                    penalty = network.add_l2(self.l2, self.l2_bias)
                total = value + penalty
                if self.first_loss is None:
                    self.first_loss = total
                if not math.isfinite(total) or total > self.divergence_limit():
                    network.set_weights(start_weights)
                    what = (
                        f"became {total}"
                        if not math.isfinite(total)
                        else f"reached {total:.3g}, over {DIVERGENCE_FACTOR:g} times its first "
                        f"value ({self.first_loss:.3g}),"
                    )
                    raise TrainingDivergedError(
                        f"the loss {what} in epoch {epoch + 1}; the weights "
                        "were reset to the start of that epoch. Try a smaller learning rate "
                        f"(it is {self.optimizer.learning_rate:g})",
                        history,
                    )
                weighted_loss += value * loss.divisor(Tb.shape)
                if self.labels is not None:
                    predicted = network.labels_of(outputs)
                    correct += int(np.count_nonzero(predicted == self.labels[index]))
                self.optimizer.step(parameters)
                if self.batch_callbacks and self._batch_end(batch, value):
                    return None
        logs = {"loss": weighted_loss / loss.divisor(self.T.shape)}
        if self.labels is not None:
            logs["accuracy"] = correct / n
        if penalize:
            logs["l2_penalty"] = penalty  # at the epoch's last step
        logs["time"] = time.perf_counter() - started
        return logs

    def _batch_end(self, batch: int, value: float) -> bool:
        stop = False
        for callback in self.batch_callbacks:
            returned = callback.on_batch_end(batch, {"loss": value})
            stop = asks_to_stop(callback, "on_batch_end", returned) or stop
        return stop
