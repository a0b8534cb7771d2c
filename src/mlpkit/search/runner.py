"""Running a search: its trials in worker processes, each finished one stored as it lands."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlpkit.recipes import apply_overrides, load_recipe, to_toml
from mlpkit.recipes.ranges import check_settings
from mlpkit.search.results import SearchResult, ranked_table
from mlpkit.search.space import (
    points_from,
)
from mlpkit.search.store import TrialStore, trial_key

__all__ = [
    "Trial",
    "blas_threads_per_worker",
    "default_db",
    "make_trials",
    "run_search",
    "run_trial",
    "search",
    "search_config",
]


@dataclass
class Trial:
    """One training run of the search: the recipe with ``overrides``, seeded ``seed``."""

    overrides: list[str]
    seed: int


def make_trials(points: list[list[str]], seeds: int) -> list[Trial]:
    """One trial per point and seed, a point's seeds side by side (``seeds * len(points)``)."""
    return [Trial(list(point), seed) for point in points for seed in range(seeds)]


# -- one trial, in a worker --------------------------------------------------------
def run_trial(config: dict[str, Any], trial: Trial, blas_threads: int) -> dict[str, Any]:
    """Train ``config`` with the trial's overrides and seed; score it on validation data.

    Runs in a worker process. Never raises: a failure comes back as
    ``{"status": "failed", "error": ...}`` so that the search goes on.
    """
    started = time.perf_counter()
    try:
        from threadpoolctl import threadpool_info, threadpool_limits

        from mlpkit.recipes.build import prepare_data, shuffle_rng
        from mlpkit.runs import Parts

        with threadpool_limits(blas_threads, user_api="blas"):
            trial_config = apply_overrides(config, [*trial.overrides, f"train.seed={trial.seed}"])
            data = prepare_data(trial_config)
            parts = Parts.build(trial_config, data)
            callbacks = [parts.stopper] if parts.stopper else []
            history = parts.fit(trial_config, data, callbacks, shuffle_rng(trial_config))
            # search_config gave every trial a validation split
            assert data.X_valid is not None and data.y_valid is not None
            final = parts.network.evaluate(data.X_valid, data.y_valid)
            threads = max(
                (p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"), default=0
            )
    except Exception as error:  # any failure is reported in the store; the search goes on
        return {
            "status": "failed",
            "error": f"{type(error).__name__}: {error}",
            "wall_time": time.perf_counter() - started,
        }
    score = final["accuracy"] if "accuracy" in final else final["r2"]
    columns = {
        k: [float(v) for v in values] for k, values in history.as_dict().items() if k != "time"
    }
    return {
        "status": "done",
        "score": float(score),
        "metrics": {
            **{f"val_{k}": float(v) for k, v in final.items()},
            "epochs": len(history),
            "worker_pid": os.getpid(),
            "blas_threads": threads,
        },
        "history": columns,
        "wall_time": time.perf_counter() - started,
    }


# -- the search ------------------------------------------------------------------------
def search_config(config: dict[str, Any], valid_size: float) -> dict[str, Any]:
    """``config`` made fit for search: a validation split, no test evaluation, no merging.

    A recipe without a validation split gets one of ``valid_size`` carved from
    its training data.
    """
    from mlpkit.recipes.build import prepare_data

    fixed = apply_overrides(config, ["data.merge_valid=false", "train.evaluate_test_every=0"])
    if prepare_data(fixed).X_valid is None:
        if not 0 < valid_size < 1:
            raise ValueError(f"valid_size must be a fraction in (0, 1), got {valid_size!r}")
        fixed = apply_overrides(fixed, [f"data.valid_size={valid_size}"])
    return fixed


def blas_threads_per_worker(jobs: int) -> int:
    """BLAS threads for each of ``jobs`` workers so that workers x threads <= cores."""
    return max(1, (os.cpu_count() or 1) // jobs)


def default_db(config: dict[str, Any]) -> Path:
    """Where a search of ``config`` keeps its trials unless told: ``runs/<name>-search.sqlite``."""
    return Path("runs") / f"{config['name']}-search.sqlite"


def search(
    recipe: str | Path | dict[str, Any],
    *,
    grid: dict[str, Any] | list[str] | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    random: int = 0,
    ranges: dict[str, tuple[float, float]] | list[str] | None = None,
    log_ranges: dict[str, tuple[float, float]] | list[str] | None = None,
    search_seed: int = 0,
    db: str | Path | None = None,
    **options: Any,
) -> SearchResult:
    """Search over ``recipe`` (a name, a .toml path or a resolved config).

    ``grid`` maps keys to the values to try (or holds ``"key=v1,v2"``
    strings); ``random`` points are drawn from ``ranges`` (uniform) and
    ``log_ranges`` (log-uniform) and crossed with the grid. ``db`` defaults to
    ``runs/<recipe>-search.sqlite``; ``options`` go to ``run_search`` (seeds,
    jobs, scheduler, dask, valid_size, log).

    >>> result = search("optdigits-mlp", grid={"train.learning_rate": [0.05, 0.2]},
    ...                 overrides=["train.epochs=2"], db=tmp / "s.sqlite", log=None)
    >>> [row["overrides"] for row in result.table] in (
    ...     [["train.learning_rate=0.05"], ["train.learning_rate=0.2"]],
    ...     [["train.learning_rate=0.2"], ["train.learning_rate=0.05"]])
    True
    """
    config = recipe if isinstance(recipe, dict) else load_recipe(recipe)
    config = apply_overrides(config, list(overrides))
    points = points_from(grid, random, ranges, log_ranges, search_seed)
    db = default_db(config) if db is None else db
    return run_search(config, points, db=db, **options)


def run_search(
    config: dict[str, Any],
    points: list[list[str]],
    *,
    db: str | Path,
    seeds: int = 1,
    jobs: int = 1,
    scheduler: str | None = None,
    dask: bool = False,
    valid_size: float = 0.2,
    log: Any = print,
) -> SearchResult:
    """Run every trial of ``points x seeds`` that ``db`` does not hold finished.

    Parameters
    ----------
    config : dict
        A resolved recipe (``recipes.load_recipe`` plus overrides).
    points : list of list of str
        Override sets, e.g. ``grid_points(parse_grid(["model.hidden=16,64"]))``.
    db : path
        The SQLite file; created if missing, resumed if not.
    seeds : int
        Trials per point, seeds 0 .. seeds-1.
    jobs : int
        Worker processes (local), or Dask workers to start with ``dask=True``.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:port``): the trials
        run on its cluster through joblib's Dask backend.
    dask : bool
        Start a local Dask cluster of ``jobs`` worker processes and use it.
    valid_size : float
        The validation share carved from the training data when the recipe
        has no validation split.
    log : callable or None
        Receives one line per event (``print`` by default; None: silent).
    """
    from joblib import Parallel, delayed

    jobs = int(jobs)
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs!r}")
    if int(seeds) < 1:
        raise ValueError(f"seeds must be >= 1, got {seeds!r}")
    if scheduler and dask:
        raise ValueError(
            "--scheduler and --dask exclude each other: one names a running "
            "Dask cluster, the other starts one"
        )
    log = log or (lambda line: None)
    config = search_config(config, valid_size)
    _check_points(config, points)
    trials = make_trials(points, int(seeds))
    with TrialStore(db) as store:
        store.lock()
        store.check_base("recipe", to_toml(config))
        done = store.finished_keys()
        todo = [t for t in trials if trial_key(t.overrides, t.seed) not in done]
        log(f"{len(trials)} trials: {len(trials) - len(todo)} finished before, {len(todo)} to run")
        threads = 1 if (scheduler or dask) else blas_threads_per_worker(jobs)
        for trial in todo:
            store.mark_running(trial.overrides, trial.seed)
        failed = 0
        with _Backend(jobs, scheduler, dask) as (n_jobs, return_as):
            outcomes = Parallel(n_jobs=n_jobs, return_as=return_as)(
                delayed(_keyed_trial)(config, trial, threads) for trial in todo
            )
            for count, (trial, result) in enumerate(outcomes, 1):
                store.record(trial.overrides, trial.seed, result)
                failed += result["status"] != "done"
                shown = f"{result['score']:.4f}" if result["status"] == "done" else result["error"]
                log(
                    f"[{count}/{len(todo)}] {' '.join(trial.overrides) or '(recipe as is)'} "
                    f"seed {trial.seed}: {shown} ({result['wall_time']:.1f} s)"
                )
        table = ranked_table(store.trials("done"))
    return SearchResult(Path(db), table, len(todo), len(trials) - len(todo), failed)


def _check_points(config: dict[str, Any], points: list[list[str]]) -> None:
    """Refuse, before the first trial, a point whose settings or network cannot work.

    A bad value is an error now, not a failure in every trial: each point's
    settings are checked, and its network is built on the recipe's data (an
    input shape that does not fit it, a layer after the output, a model too
    large for the memory). Points that change ``data.*`` keys are built in
    their trials, where their own data is read.
    """
    from mlpkit.recipes.build import prepare_data
    from mlpkit.runs import Parts

    for point in points:
        check_settings(apply_overrides(config, point))
    buildable = [p for p in points if not any(item.startswith("data.") for item in p)]
    if not buildable:
        return
    data = prepare_data(config)
    for point in buildable:
        try:
            Parts.build(apply_overrides(config, point), data)
        except (ValueError, TypeError) as error:
            where = " ".join(point) or "(recipe as is)"
            raise type(error)(f"search point {where}: {error}") from error


def _keyed_trial(
    config: dict[str, Any], trial: Trial, threads: int
) -> tuple[Trial, dict[str, Any]]:
    return trial, run_trial(config, trial, threads)


class _Backend:
    """joblib's backend for the search: local processes, or Dask when asked."""

    def __init__(self, jobs: int, scheduler: str | None, dask: bool) -> None:
        self.jobs, self.scheduler, self.dask = jobs, scheduler, dask
        # Dask's client and cluster and joblib's configuration, while a Dask search runs
        self._client: Any = None
        self._cluster: Any = None
        self._config: Any = None

    def __enter__(self) -> tuple[int, str]:
        if not (self.scheduler or self.dask):
            return self.jobs, "generator_unordered"
        try:
            from distributed import Client, LocalCluster
        except ImportError as error:
            raise ImportError(
                "running a search on Dask needs the dask extra: pip install 'mlpkit[dask]'"
            ) from error
        import joblib

        if self.scheduler:
            self._client = Client(self.scheduler)
        else:
            self._cluster = LocalCluster(
                n_workers=self.jobs,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            self._client = Client(self._cluster)
        self._config = joblib.parallel_config(backend="dask")
        self._config.__enter__()
        return -1, "generator_unordered"

    def __exit__(self, *exc: object) -> None:
        if self._config is not None:
            self._config.__exit__(*exc)
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
