"""Running a recipe into a run folder, and resuming one.

A run folder holds ``config.toml`` (the resolved recipe), ``checkpoint.npz``
(rewritten atomically every ``train.checkpoint_every`` epochs), and at the
end ``model.npz``, ``history.csv``, ``metrics.json``, the plots and
``report.html``. A run stopped by a request (Ctrl-C) still writes all of
these for the epochs done; a killed run keeps its last checkpoint, and
:func:`resume` finishes it with the same final weights an uninterrupted run
would have.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit import losses
from mlpkit import metrics as metric_fns
from mlpkit._provenance import provenance
from mlpkit.callbacks import EarlyStopping, EvaluateSets
from mlpkit.checkpoint import Checkpoint, load_checkpoint
from mlpkit.io import atomic_write, save
from mlpkit.network import Network
from mlpkit.progress import make_progress
from mlpkit.recipes import load_recipe, to_toml
from mlpkit.recipes.build import (
    RunData,
    build_augment,
    build_loss,
    build_network,
    build_optimizer,
    prepare_data,
    shuffle_rng,
)
from mlpkit.recipes.ranges import check_settings
from mlpkit.training import Callback, History, check_batch_statistics, check_callbacks

__all__ = [
    "Parts",
    "RunResult",
    "StopRequest",
    "data_digest",
    "history_csv",
    "new_run_dir",
    "resume",
    "run",
    "write_text",
]


class StopRequest(Callback):
    """Stops training after the current batch once :meth:`request` is called (e.g. on Ctrl-C)."""

    def __init__(self) -> None:
        self.requested = False

    def request(self) -> None:
        """Ask training to stop after the current batch."""
        self.requested = True

    def on_batch_end(self, batch: int, logs: dict[str, float]) -> bool:
        return self.requested


@dataclass
class RunResult:
    """Where a run went and how it ended ("finished", "stopped_early" or "interrupted")."""

    run_dir: Path
    status: str
    metrics: dict[str, Any]
    history: History


def new_run_dir(root: str | Path, name: str) -> Path:
    """A new, empty folder ``root/<name>-<YYYYmmdd-HHMMSS>`` (with a suffix if taken), made here.

    The folder is made, not only named, so that two runs started in the same
    second cannot pick the same one: ``mkdir`` succeeds for one of them only.
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{Path(name).stem}-{stamp}"
    Path(root).mkdir(parents=True, exist_ok=True)
    candidate, n = base, 1
    while True:
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            n += 1
            candidate = base.with_name(f"{base.name}-{n}")


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))


def run(
    config: dict[str, Any],
    run_dir: str | Path,
    *,
    quiet: bool = False,
    stop: StopRequest | None = None,
    callbacks: Sequence[Callback] = (),
) -> RunResult:
    """Run ``config`` (a resolved recipe) into ``run_dir``, which must not hold a run yet.

    ``callbacks`` watch the training besides the run's own (a notebook's
    ``LivePlot``); they see each epoch's complete logs and must not change
    the training, so that the run stays the one ``mlpkit run`` makes.
    """
    started = time.perf_counter()
    run_dir = Path(run_dir)
    _check_new_run_folder(run_dir)
    if config["data"]["path"]:  # absolute, so that --resume works from any folder
        config = {
            **config,
            "data": {**config["data"], "path": str(Path(config["data"]["path"]).resolve())},
        }
    # Everything is built before the folder is made: a bad recipe leaves nothing behind.
    check_settings(config)  # before the data is read, which may take a while
    data = prepare_data(config)
    parts = Parts.build(config, data)
    made = [p for p in (run_dir, *run_dir.parents) if not p.exists()]
    run_dir.mkdir(parents=True, exist_ok=True)
    with _only_process_in(run_dir):
        _check_new_run_folder(run_dir)  # again: another run may have begun meanwhile
        try:
            write_text(run_dir / DATA_DIGEST, data_digest(data) + "\n")
            write_text(run_dir / "config.toml", to_toml(config))
            return _train(config, run_dir, data, parts, None, quiet, stop, started, callbacks)
        except Exception as error:
            kept = _clear_unless_resumable(run_dir, made)
            if not isinstance(error, OSError):  # its own message says what went wrong
                raise
            if kept:
                message = (
                    f"the run in {run_dir} keeps its last checkpoint: make room, then "
                    f"continue it with --resume {run_dir}"
                )
            else:
                message = f"nothing of the run was left in {run_dir}"
            raise _os_error(error, f"{error.strerror or error}; {message}") from error


def _clear_unless_resumable(run_dir: Path, made: list[Path]) -> bool:
    """After a failed run: keep a folder with a checkpoint (True), else remove what it wrote.

    A run with a checkpoint can go on (``--resume``) once the cause is fixed;
    one without has nothing worth keeping, and a half-made folder would make the
    next run there fail as "already holds a run". The folders the run made go
    too; a folder the user gave (checked empty before) is emptied.
    """
    if (run_dir / "checkpoint.npz").is_file():
        return True
    if made:
        shutil.rmtree(made[-1], ignore_errors=True)
        return False
    for entry in run_dir.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    return False


def _os_error(cause: OSError, message: str) -> OSError:
    """An ``OSError`` saying ``message`` alone, with ``cause``'s errno for callers to test."""
    error = OSError(message)
    error.errno = cause.errno
    return error


_LOCK = ".lock"


def _check_new_run_folder(run_dir: Path) -> None:
    if (run_dir / "config.toml").exists():
        raise ValueError(f"{run_dir} already holds a run; resume it with --resume {run_dir}")
    if run_dir.exists() and (
        not run_dir.is_dir() or any(p.name != _LOCK for p in run_dir.iterdir())
    ):
        what = "is a file" if not run_dir.is_dir() else "holds other files"
        raise ValueError(
            f"the run folder {run_dir} {what}; give a new or empty folder (nothing was written)"
        )


@contextlib.contextmanager
def _only_process_in(run_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the run folder: a second run or resume there fails at once.

    ``flock`` on ``run_dir/.lock``, released when the process ends in any way.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    with open(run_dir / _LOCK, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ValueError(
                f"another mlpkit process is training in {run_dir}; wait for it to finish"
            ) from None
        yield


#: The file in a run folder that holds the SHA-256 of the data the run trains on.
DATA_DIGEST = "data.sha256"


def data_digest(data: RunData) -> str:
    """SHA-256 of the prepared arrays (train, validation, test): what the run learns from."""
    digest = hashlib.sha256()
    for array in (data.X_train, data.y_train, data.X_valid, data.y_valid, data.X_test, data.y_test):
        if array is not None:
            digest.update(str((array.shape, array.dtype.str)).encode())
            digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()


def resume(
    run_dir: str | Path, *, quiet: bool = False, stop: StopRequest | None = None
) -> RunResult:
    """Continue the run in ``run_dir`` from its last checkpoint (or from the start)."""
    started = time.perf_counter()
    run_dir = Path(run_dir)
    if not run_dir.exists():
        raise FileNotFoundError(f"no run folder at {run_dir}")
    if not (run_dir / "config.toml").is_file():
        raise ValueError(f"{run_dir} is not a run folder: it has no config.toml")
    config = load_recipe(run_dir / "config.toml")
    data = prepare_data(config)
    recorded = run_dir / DATA_DIGEST
    if recorded.is_file() and recorded.read_text().strip() != data_digest(data):
        raise ValueError(
            f"the data of the run in {run_dir} changed since it started (its SHA-256 differs "
            f"from the one in {recorded}); resuming would mix two data sets: start a new run"
        )
    with _only_process_in(run_dir):
        checkpoint = run_dir / "checkpoint.npz"
        state = load_checkpoint(checkpoint) if checkpoint.is_file() else None
        if state is not None and state.recipe is not None:
            _check_config_unchanged(run_dir, config, state.recipe)
        parts = Parts.build(config, data)
        return _train(config, run_dir, data, parts, state, quiet, stop, started)


def _check_config_unchanged(run_dir: Path, config: dict[str, Any], began: dict[str, Any]) -> None:
    """Refuse a resume whose ``config.toml`` differs from the recipe the run began with.

    Resuming promises the weights of an uninterrupted run; an edited key (a new
    learning rate, more epochs) would quietly give another run's.
    """
    now, then = _flat(json.loads(json.dumps(config))), _flat(began)
    changed = sorted(key for key in now.keys() | then.keys() if now.get(key) != then.get(key))
    if changed:
        shown = "; ".join(f"{k} = {then.get(k)!r} then, {now.get(k)!r} now" for k in changed)
        raise ValueError(
            f"{run_dir / 'config.toml'} differs from the recipe its checkpoint was written "
            f"with ({shown}): the file was edited since the run began, or the checkpoint was "
            "copied from another run; resuming would not give the run it began: put the "
            "values back, or start a new run"
        )


def _flat(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"train": {"lr": 0.1}}`` as ``{"train.lr": 0.1}``."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


@dataclass
class Parts:
    """What a recipe trains with, built from its config (runs and search trials share it)."""

    network: Network
    optimizer: Any
    loss: Any
    stopper: EarlyStopping | None
    augment: Any = None  # built with the rest, so that a bad setting fails before any file

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
        callbacks: list[Any],
        rng: Any,
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
            validation=None if data.X_valid is None else (data.X_valid, data.y_valid),
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


def _train(
    config, run_dir: Path, data: RunData, parts: Parts, state, quiet, stop, started, watchers=()
):
    train = config["train"]
    network, optimizer, stopper = parts.network, parts.optimizer, parts.stopper
    rng, history, initial_epoch = shuffle_rng(config), History(), 0
    if state is not None:
        try:
            rng = state.restore(network, optimizer, stopper)
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(
                f"{run_dir / 'checkpoint.npz'} does not fit this run ({error}); "
                "was it copied from another run?"
            ) from error
        history, initial_epoch = state.history, state.epochs_done
    callbacks: list[Any] = []
    if train["evaluate_test_every"] > 0:
        callbacks.append(
            EvaluateSets({"test": (data.X_test, data.y_test)}, train["evaluate_test_every"])
        )
    if stopper is not None:
        callbacks.append(stopper)
    batch_size = train["batch_size"] or None
    n_batches = -(-len(data.X_train) // (batch_size or len(data.X_train)))
    progress = make_progress(train["epochs"], n_batches, initial_epoch, quiet)
    callbacks += [c for c in (progress, stop) if c is not None]
    callbacks += check_callbacks(watchers, "callbacks")
    saver = Checkpoint(
        run_dir / "checkpoint.npz",
        optimizer,
        rng,
        train["checkpoint_every"],
        stopper,
        history,
        recipe=config,
    )
    callbacks.append(saver)  # last: it records the complete logs
    already_stopped = stopper is not None and state is not None and stopper.wait >= stopper.patience
    if initial_epoch < train["epochs"] and not already_stopped:
        result = parts.fit(config, data, callbacks, rng, initial_epoch)
        interrupted = result.interrupted
    else:
        network.loss = parts.loss
        if stopper is not None:
            stopper.on_train_end(network)
        interrupted = False
    status = _status(interrupted, stopper, saver.history, train["epochs"])
    metrics = _final_metrics(config, network, data, saver.history, status, stopper)
    metrics["wall_time_s"] = round(time.perf_counter() - started, 3)
    _write_outputs(run_dir, config, network, data, saver.history, metrics)
    return RunResult(run_dir, status, metrics, saver.history)


def _status(interrupted: bool, stopper, history: History, epochs: int) -> str:
    if interrupted:
        return "interrupted"
    if stopper is not None and len(history) < epochs:
        return "stopped_early"
    return "finished"


def _final_metrics(config, network: Network, data: RunData, history: History, status, stopper):
    """Loss and accuracy on every split, the test confusion matrix, and the circumstances."""
    figures = {name: network.evaluate(X, y) for name, (X, y) in data.splits().items()}
    predicted = network.predict(data.X_test)
    k = len(data.classes)
    per_class = metric_fns.precision_recall_f1(data.y_test, predicted, k)
    return {
        "recipe": config.get("name", ""),
        "status": status,
        "epochs_run": len(history),
        "seed": config["train"]["seed"],
        **figures,
        "best_epoch": None
        if stopper is None or stopper.best_epoch is None
        else stopper.best_epoch + 1,
        "classes": list(data.classes),
        "confusion_matrix": metric_fns.confusion_matrix(data.y_test, predicted, k).tolist(),
        "test_per_class": {key: np.round(v, 4).tolist() for key, v in per_class.items()},
        "train_time_s": round(float(np.nansum(history["time"])), 3),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": provenance(),
    }


def history_csv(history: History) -> str:
    """The history as CSV text: one row per epoch."""
    columns = history.as_dict()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*columns.values(), strict=True))
    return buffer.getvalue()


def _write_outputs(run_dir: Path, config, network, data, history, metrics) -> None:
    save(network, run_dir / "model.npz")
    write_text(run_dir / "history.csv", history_csv(history))
    write_text(run_dir / "metrics.json", json.dumps(metrics, indent=2, allow_nan=False) + "\n")
    from mlpkit.report import write_report

    write_report(run_dir, config, metrics, history, network, data)
