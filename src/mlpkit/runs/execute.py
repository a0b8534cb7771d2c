"""Running a recipe into a run folder and resuming one: the training and the files it writes."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit import metrics as metric_fns
from mlpkit._provenance import provenance
from mlpkit.callbacks import EarlyStopping, EvaluateSets
from mlpkit.history import History
from mlpkit.hooks import Callback, check_callbacks
from mlpkit.io import save
from mlpkit.network import Network
from mlpkit.progress import make_progress
from mlpkit.recipes import load_recipe, to_toml
from mlpkit.recipes.build import (
    RunData,
    prepare_data,
    shuffle_rng,
)
from mlpkit.recipes.ranges import check_settings
from mlpkit.runs.checkpoint import Checkpoint, CheckpointState, load_checkpoint
from mlpkit.runs.folder import (
    DATA_DIGEST,
    check_new_run_folder,
    clear_unless_resumable,
    data_digest,
    only_process_in,
    os_error,
    write_text,
)
from mlpkit.runs.parts import Parts

__all__ = ["RunResult", "StopRequest", "history_csv", "resume", "run"]


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
    check_new_run_folder(run_dir)
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
    with only_process_in(run_dir):
        check_new_run_folder(run_dir)  # again: another run may have begun meanwhile
        try:
            write_text(run_dir / DATA_DIGEST, data_digest(data) + "\n")
            write_text(run_dir / "config.toml", to_toml(config))
            return _train(config, run_dir, data, parts, None, quiet, stop, started, callbacks)
        except Exception as error:
            kept = clear_unless_resumable(run_dir, made)
            if not isinstance(error, OSError):  # its own message says what went wrong
                raise
            if kept:
                message = (
                    f"the run in {run_dir} keeps its last checkpoint: make room, then "
                    f"continue it with --resume {run_dir}"
                )
            else:
                message = f"nothing of the run was left in {run_dir}"
            raise os_error(error, f"{error.strerror or error}; {message}") from error


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
    with only_process_in(run_dir):
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


def _train(
    config: dict[str, Any],
    run_dir: Path,
    data: RunData,
    parts: Parts,
    state: CheckpointState | None,
    quiet: bool,
    stop: StopRequest | None,
    started: float,
    watchers: Sequence[Callback] = (),
) -> RunResult:
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
    callbacks: list[Callback] = []
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


def _status(interrupted: bool, stopper: EarlyStopping | None, history: History, epochs: int) -> str:
    if interrupted:
        return "interrupted"
    if stopper is not None and len(history) < epochs:
        return "stopped_early"
    return "finished"


def _final_metrics(
    config: dict[str, Any],
    network: Network,
    data: RunData,
    history: History,
    status: str,
    stopper: EarlyStopping | None,
) -> dict[str, Any]:
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


def _write_outputs(
    run_dir: Path,
    config: dict[str, Any],
    network: Network,
    data: RunData,
    history: History,
    metrics: dict[str, Any],
) -> None:
    save(network, run_dir / "model.npz")
    write_text(run_dir / "history.csv", history_csv(history))
    write_text(run_dir / "metrics.json", json.dumps(metrics, indent=2, allow_nan=False) + "\n")
    from mlpkit.runs.report import write_report

    write_report(run_dir, config, metrics, history, network, data)
