"""What a run trains: the network, loss, optimiser and callbacks, checked against the data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlpkit import losses
from mlpkit.callbacks import EarlyStopping
from mlpkit.datasets.augment import Augment
from mlpkit.history import History
from mlpkit.hooks import Callback
from mlpkit.network import Network
from mlpkit.optimizers import Optimizer
from mlpkit.preflight import check_batch_statistics
from mlpkit.recipes.build import (
    RunData,
    build_augment,
    build_loss,
    build_network,
    build_optimizer,
)
from mlpkit.recipes.ranges import check_settings

__all__ = ["Parts"]


@dataclass
class Parts:
    """What a recipe trains with, built from its config (runs and search trials share it)."""

    network: Network
    optimizer: Optimizer
    loss: losses.Loss
    stopper: EarlyStopping | None
    augment: Augment | None = None  # built with the rest: a bad setting fails before any file

    @classmethod
    def build(cls, config: dict[str, Any], data: RunData) -> Parts:
        """Network, optimiser, loss and settings of ``config``, for ``data``."""
        train = config["train"]
        check_settings(config)
        network = build_network(config, data.X_train.shape[1], len(data.classes))
        network.classes, network.preprocessor = list(data.classes), data.preprocessor
        n_train = len(data.X_train)
        try:
            check_batch_statistics(network, n_train, train["batch_size"] or n_train)
        except ValueError as error:
            raise ValueError(f"train.{error}") from error
        stopper = None
        if train["early_stopping"] > 0:
            _check_monitor(train["monitor"], data)
            stopper = EarlyStopping(train["monitor"], patience=train["early_stopping"])
        augment = build_augment(config, data)
        loss = build_loss(config)
        _check_output_layer(config, network, loss)
        return cls(network, build_optimizer(config), loss, stopper, augment)

    def fit(
        self,
        config: dict[str, Any],
        data: RunData,
        callbacks: Sequence[Callback],
        rng: np.random.Generator,
        initial_epoch: int = 0,
    ) -> History:
        """Train on the training split as the recipe says, watching the validation split if any."""
        train = config["train"]
        return self.network.fit(
            data.X_train,
            data.y_train,
            loss=self.loss,
            optimizer=self.optimizer,
            epochs=train["epochs"],
            batch_size=train["batch_size"] or None,
            validation=data.validation,
            callbacks=callbacks,
            seed=rng,
            l2=train["l2"],
            l2_bias=train["l2_bias"],
            initial_epoch=initial_epoch,
            augment=self.augment,
        )


def _check_output_layer(config: dict[str, Any], network: Network, loss: losses.Loss) -> None:
    """Refuse, by recipe key, a loss that the network's last layer cannot feed."""
    try:
        losses.check_output(loss, network.layers[-1], network.targets)
    except ValueError as error:
        message = str(error)
        if config["model"]["layers"]:  # a layer table: say how to end it
            message = message.replace(
                "use output='softmax' (or 'sigmoid')",
                "end model.layers with {type = 'softmax'} (or 'sigmoid'), no layer after it",
            )
        raise ValueError(f"train.loss = {config['train']['loss']!r}: {message}") from error


def _check_monitor(monitor: str, data: RunData) -> None:
    """Refuse an early-stopping key the run will not measure, before anything is made."""
    measured = ["loss", "accuracy"]
    if data.X_valid is not None:
        measured += ["val_loss", "val_accuracy"]
    if monitor not in measured:
        hint = "" if data.X_valid is not None else " (no validation split: set data.valid_size)"
        raise ValueError(
            f"train.monitor {monitor!r} is not measured in this run{hint}; "
            f"early stopping can watch {', '.join(measured)}"
        )
