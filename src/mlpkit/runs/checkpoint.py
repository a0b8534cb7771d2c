"""Checkpoints: everything a run needs to continue as if it had never stopped.

A checkpoint holds the weights (params and buffers), the optimiser's state (velocities, moments,
step count), the shuffling generator's state, the early-stopping state and
the history so far. Resuming from it with the same data and settings ends
with exactly the weights an uninterrupted run would have, bit for bit.
It is one ``.npz`` (arrays plus a JSON document, no pickle), written
atomically, so a run killed while writing keeps the previous checkpoint.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit._npz import member_headers, parse_description
from mlpkit.callbacks import EarlyStopping
from mlpkit.history import History
from mlpkit.hooks import Callback, TrainableNetwork
from mlpkit.io import atomic_write
from mlpkit.network import Network
from mlpkit.optimizers import Optimizer

__all__ = ["Checkpoint", "CheckpointState", "load_checkpoint", "save_checkpoint"]

FORMAT_NAME = "mlpkit-checkpoint"
FORMAT_VERSION = 1
_META = "__meta__"


@dataclass
class CheckpointState:
    """The contents of a checkpoint file."""

    epochs_done: int
    weights: dict[str, np.ndarray]
    optimizer_state: dict[str, dict[str, np.ndarray]]
    optimizer_iterations: int
    rng_state: dict[str, Any]
    history: History
    early_stopping: dict[str, Any] | None = None
    early_stopping_weights: dict[str, np.ndarray] = field(default_factory=dict)
    recipe: dict[str, Any] | None = None  # the recipe as the run began (None in older files)

    def restore(
        self,
        network: Network,
        optimizer: Optimizer,
        early_stopping: EarlyStopping | None = None,
    ) -> np.random.Generator:
        """Put the state back; return the generator to pass to ``fit`` as ``seed``.

        Raises ValueError, before changing anything, when the weights do not
        fit ``network`` or the optimiser state is another optimiser's.
        """
        shapes = {key: param.shape for key, param, _ in network.parameters()}
        optimizer.check_state(self.optimizer_state, shapes)
        network.set_weights(self.weights)
        optimizer.state = {k: dict(v) for k, v in self.optimizer_state.items()}
        optimizer.iterations = self.optimizer_iterations
        if early_stopping is not None and self.early_stopping is not None:
            early_stopping.restore(self.early_stopping, self.early_stopping_weights)
        rng = np.random.default_rng()
        rng.bit_generator.state = self.rng_state
        return rng


def save_checkpoint(
    path: str | os.PathLike[str],
    network: Network,
    optimizer: Optimizer,
    rng: np.random.Generator,
    epochs_done: int,
    history: History,
    early_stopping: EarlyStopping | None = None,
    recipe: dict[str, Any] | None = None,
) -> None:
    """Write a checkpoint atomically (see the module docstring).

    ``recipe``, the run's configuration, is kept so that a resume can tell
    whether the run folder's ``config.toml`` was edited since.
    """
    arrays = {f"weights:{k}": w for k, w in network.get_weights().items()}
    for key, slots in optimizer.state.items():
        arrays.update({f"optimizer:{key}:{slot}": value for slot, value in slots.items()})
    meta = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "epochs_done": epochs_done,
        "optimizer_iterations": optimizer.iterations,
        "rng_state": rng.bit_generator.state,
        "history": history.as_dict(),
        "early_stopping": None,
        "recipe": recipe,
    }
    if early_stopping is not None:
        scalars, best = early_stopping.get_state()
        meta["early_stopping"] = scalars
        arrays.update({f"early_stopping:{k}": v for k, v in best.items()})
    arrays[_META] = np.array(json.dumps(meta))
    # NumPy's stub reads **arrays as its allow_pickle flag
    atomic_write(path, lambda handle: np.savez(handle, **arrays))  # type: ignore[arg-type]


_META_KEYS = (
    "epochs_done",
    "optimizer_iterations",
    "rng_state",
    "history",
    "early_stopping",
)


def load_checkpoint(path: str | os.PathLike[str]) -> CheckpointState:
    """Read a checkpoint written by :func:`save_checkpoint`."""
    path = Path(path)
    damaged = (
        f"{path} is damaged or not an mlpkit checkpoint; move it away to restart the run "
        "from its first epoch"
    )
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{damaged} (it is not an .npz archive)")
    try:
        member_headers(path, ValueError)  # sizes first: the except below names the file
        with np.load(path, allow_pickle=False) as archive:
            meta = parse_description(str(archive[_META]), ValueError)
            arrays = {k: archive[k] for k in archive.files if k != _META}
    except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile, zlib.error) as error:
        raise ValueError(f"{damaged} ({error})") from error
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise ValueError(f"{damaged} (its description names another format)")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"{damaged} (its format version is {version!r})")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{path} uses checkpoint format version {version}, newer than this mlpkit reads "
            f"(up to {FORMAT_VERSION}); upgrade mlpkit to resume the run"
        )
    missing = [key for key in _META_KEYS if key not in meta]
    if missing:
        raise ValueError(f"{damaged} (its description lacks {', '.join(missing)})")
    optimizer_state: dict[str, dict[str, np.ndarray]] = {}
    weights, best = {}, {}
    for name, value in arrays.items():
        kind, _, rest = name.partition(":")
        if kind == "weights":
            weights[rest] = value
        elif kind == "early_stopping":
            best[rest] = value
        elif kind == "optimizer":
            key, _, slot = rest.rpartition(":")
            optimizer_state.setdefault(key, {})[slot] = value
    for name, value in arrays.items():
        # a NaN weight would train on to the end and then be refused by mlpkit.load
        if value.dtype.kind in "fc" and not np.isfinite(value).all():
            raise ValueError(f"{damaged} (its array {name!r} holds NaN or infinite values)")
    return CheckpointState(
        epochs_done=meta["epochs_done"],
        weights=weights,
        optimizer_state=optimizer_state,
        optimizer_iterations=meta["optimizer_iterations"],
        rng_state=meta["rng_state"],
        history=History.from_dict(meta["history"]),
        early_stopping=meta["early_stopping"],
        early_stopping_weights=best,
        recipe=meta.get("recipe"),
    )


class Checkpoint(Callback):
    """Save a checkpoint every ``every`` epochs (and keep the history it saves).

    Put it last among the callbacks so that the logs it records are complete,
    and pass the same generator to ``fit(seed=rng)``.

    Parameters
    ----------
    path : path-like
        The checkpoint file, rewritten atomically each time.
    optimizer : Optimizer
        The optimiser ``fit`` uses.
    rng : Generator
        The generator ``fit`` shuffles with.
    every : int
        Epochs between checkpoints.
    early_stopping : EarlyStopping, optional
        Saved too, so that a resumed run stops where the original would.
    history : History, optional
        Epochs already done (when resuming); new epochs are appended.
    recipe : dict, optional
        The run's configuration, saved with each checkpoint.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        optimizer: Optimizer,
        rng: np.random.Generator,
        every: int = 1,
        early_stopping: EarlyStopping | None = None,
        history: History | None = None,
        recipe: dict[str, Any] | None = None,
    ) -> None:
        self.path = Path(path)
        self.recipe = recipe
        self.optimizer, self.rng, self.every = optimizer, rng, every
        self.early_stopping = early_stopping
        self.history = history if history is not None else History()

    def on_train_begin(self, network: TrainableNetwork) -> None:
        assert isinstance(network, Network)  # runs train mlpkit networks
        self.network = network

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool:
        self.history.append(epoch, logs)
        if (epoch + 1) % self.every == 0:
            self.save(epoch + 1)
        return False

    def save(self, epochs_done: int) -> None:
        """Write the checkpoint now."""
        save_checkpoint(
            self.path,
            self.network,
            self.optimizer,
            self.rng,
            epochs_done,
            self.history,
            self.early_stopping,
            self.recipe,
        )
