"""The checks ``fit`` makes before training: memory, batch statistics, validation data.

Each raises before any weight changes, with a message that names the
argument to change; the run folder's checks (``mlpkit.runs``) call them too,
before the first epoch of a long run.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from mlpkit import optimizers
from mlpkit._memory import NotEnoughMemoryError, available_bytes, in_words
from mlpkit.hooks import TrainableNetwork
from mlpkit.layers.stack import values_per_sample

__all__ = ["check_batch_statistics", "check_training_memory", "check_validation"]


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


def check_batch_statistics(network: TrainableNetwork, n: int, batch_size: int) -> None:
    """Refuse batches too small for a layer that learns from batch statistics.

    ``n`` samples in batches of ``batch_size`` end with a batch of
    ``n % batch_size``; a BatchNorm over flat features turns a batch of one
    sample into zeros (its own mean), so training would learn nothing from it.
    """
    last = n if batch_size >= n else (n % batch_size or batch_size)
    smallest = min(batch_size, last)
    for index, layer in enumerate(network.layers):
        assert layer.input_shape is not None  # a network's layers are built
        needed = layer.smallest_training_batch(layer.input_shape)
        if smallest < needed:
            hint = "" if batch_size < needed else f" (the last of {n} samples)"
            raise ValueError(
                f"batch_size={batch_size} gives a batch of {smallest} sample{hint}, and layer "
                f"{index} ({type(layer).__name__} over {layer.input_shape}) normalises by the "
                f"batch's own statistics, which needs at least {needed} samples per batch: "
                f"a batch of one normalises every value to zero; choose another batch_size"
            )


def check_validation(
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
