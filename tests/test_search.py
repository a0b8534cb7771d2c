"""Hyper-parameter search: trials, the SQLite store, resuming, parallel and Dask runs."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
import tomllib

import pytest

pytest.importorskip("joblib", reason="the search extra is not installed")

from mlpkit import search
from mlpkit.recipes import RecipeError, apply_overrides, load_recipe
from mlpkit.search.store import TrialStore

GRID = ["train.learning_rate=0.01,0.1,0.3", "model.hidden=16,36,64"]


def small_recipe(epochs=3):
    return apply_overrides(load_recipe("optdigits-mlp"), [f"train.epochs={epochs}"])


def ranked(result):
    """The table as (overrides, mean score) pairs, in rank order."""
    return [(row["overrides"], row["mean"]) for row in result.table]


def quiet(_line):
    pass


def test_parse_grid_and_values():
    axes = search.parse_grid(["train.learning_rate=0.01, 0.1", "model.hidden=16,[32, 32]"])
    assert axes == [
        ["train.learning_rate=0.01", "train.learning_rate=0.1"],
        ["model.hidden=[16]", "model.hidden=[32, 32]"],
    ]
    points = search.grid_points(axes)
    assert len(points) == 4 and points[0] == ["train.learning_rate=0.01", "model.hidden=[16]"]
    assert search.grid_points([]) == [[]]  # no axes: the recipe as it is
    for bad, message in [
        (["train.speed=1,2"], "unknown key 'train.speed'"),
        (["train.learning_rate"], "--grid takes key=v1,v2"),
    ]:
        with pytest.raises(RecipeError, match=message):
            search.parse_grid(bad)


def test_random_points_are_reproducible_and_inside_their_ranges():
    ranges = [search.parse_range("train.momentum=0.5:0.99"), search.parse_range("train.epochs=2:9")]
    log_ranges = [search.parse_range("train.learning_rate=0.001:0.3")]
    first = search.random_points(20, ranges, log_ranges, seed=1)
    assert first == search.random_points(20, ranges, log_ranges, seed=1)
    assert first != search.random_points(20, ranges, log_ranges, seed=2)
    for point in first:
        values = dict(item.split("=") for item in point)
        assert 0.5 <= float(values["train.momentum"]) <= 0.99
        assert values["train.epochs"].isdigit() and 2 <= int(values["train.epochs"]) <= 9
        assert 0.001 <= float(values["train.learning_rate"]) <= 0.3
        apply_overrides(small_recipe(), point)  # every point is a valid recipe
    rates = [float(dict(i.split("=") for i in p)["train.learning_rate"]) for p in first]
    assert sum(r < 0.02 for r in rates) >= 5  # log-uniform: about half below the geometric mean
    with pytest.raises(RecipeError, match="low < high"):
        search.parse_range("train.momentum=0.9:0.5")


def test_jobs_2_gives_the_same_table_as_jobs_1(tmp_path):
    points = search.grid_points(search.parse_grid(GRID))
    one = search.run_search(small_recipe(), points, db=tmp_path / "one.sqlite", jobs=1, log=quiet)
    two = search.run_search(small_recipe(), points, db=tmp_path / "two.sqlite", jobs=2, log=quiet)
    assert one.ran == two.ran == 9 and one.failed == two.failed == 0
    assert ranked(one) == ranked(two)
    assert len({score for _, score in ranked(one)}) > 3  # the settings really differ
    trials = TrialStore(tmp_path / "two.sqlite").trials()
    assert os.getpid() not in {t["metrics"]["worker_pid"] for t in trials}
    # Two workers share the cores: each ran its BLAS on at most half of them.
    cap = max(1, os.cpu_count() // 2)
    assert {t["metrics"]["blas_threads"] for t in trials} <= set(range(1, cap + 1))
    from mlpkit.search.runner import blas_threads_per_worker

    assert blas_threads_per_worker(1) == os.cpu_count()
    assert blas_threads_per_worker(4 * os.cpu_count()) == 1
    # The command line's --jobs 2 gives the same table too.
    command = cli(
        "search",
        "optdigits-mlp",
        "--grid",
        GRID[0],
        "--grid",
        GRID[1],
        "--set",
        "train.epochs=3",
        "--jobs",
        "2",
        "--db",
        str(tmp_path / "cli.sqlite"),
        "--no-plots",
    )
    assert command.returncode == 0, command.stderr
    with TrialStore(tmp_path / "cli.sqlite") as store:
        table = search.ranked_table(store.trials("done"))
    assert [(row["overrides"], row["mean"]) for row in table] == ranked(one)


def test_trials_are_scored_on_validation_data_with_history(tmp_path):
    result = search.run_search(
        small_recipe(), [["model.hidden=[16]"]], db=tmp_path / "s.sqlite", seeds=2, log=quiet
    )
    (row,) = result.table
    assert row["seeds"] == [0, 1] and 0.5 < row["mean"] <= 1
    with TrialStore(tmp_path / "s.sqlite") as store:
        trials = store.trials("done")
    for trial in trials:
        assert trial["score"] == trial["metrics"]["val_accuracy"]
        assert len(trial["history"]["val_accuracy"]) == 3 == trial["metrics"]["epochs"]
        assert not any(key.startswith("test_") for key in trial["history"])
        assert trial["wall_time"] > 0
    # optdigits has no validation split of its own: the search carved 20% of training.
    assert "valid_size = 0.2" in store_meta(tmp_path / "s.sqlite")


def store_meta(path):
    with TrialStore(path) as store:
        return store.meta("recipe")


def test_a_failed_trial_is_recorded_and_run_again(tmp_path):
    points = [["train.learning_rate=0.1"], ["train.learning_rate=1e12"]]
    db = tmp_path / "f.sqlite"
    first = search.run_search(small_recipe(), points, db=db, log=quiet)
    assert (first.ran, first.failed, len(first.table)) == (2, 1, 1)
    (failed,) = TrialStore(db).trials("failed")
    assert "TrainingDivergedError" in failed["error"]
    again = search.run_search(small_recipe(), points, db=db, log=quiet)
    assert (again.ran, again.skipped) == (1, 1)


def test_a_database_of_another_recipe_is_refused_untouched(tmp_path):
    db = tmp_path / "s.sqlite"
    search.run_search(small_recipe(), [[]], db=db, log=quiet)
    before = (store_meta(db), TrialStore(db).trials())
    with pytest.raises(ValueError, match="holds a search with a different recipe"):
        search.run_search(small_recipe(epochs=4), [[]], db=db, log=quiet)
    assert (store_meta(db), TrialStore(db).trials()) == before
    assert "epochs = 3" in before[0]


def test_best_configuration_is_written_as_a_recipe(tmp_path):
    points = search.grid_points(search.parse_grid(["model.hidden=4,64"]))
    result = search.run_search(small_recipe(), points, db=tmp_path / "s.sqlite", log=quiet)
    search.write_outputs(result, small_recipe(), plots=True)
    best = load_recipe(result.files["best"])
    assert f"model.hidden={best['model']['hidden']}".replace(" ", "") in [
        o.replace(" ", "") for o in result.table[0]["overrides"]
    ]
    assert tomllib.loads(result.files["best"].read_text())["train"]["epochs"] == 3
    assert result.files["scores"].stat().st_size > 0 and result.files["curves"].is_file()
    # Two swept keys: the scores picture is a heat map.
    points = search.grid_points(search.parse_grid(["model.hidden=4,64", "train.momentum=0,0.9"]))
    two = search.run_search(small_recipe(), points, db=tmp_path / "two.sqlite", log=quiet)
    search.write_outputs(two, small_recipe(), plots=True)
    assert two.files["scores"].stat().st_size > 0


def cli(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "mlpkit", *args],
        capture_output=True,
        text=True,
        timeout=600,
        **kwargs,
    )


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["kill", "ctrl-c"])
def test_a_stopped_search_resumes_with_only_the_missing_trials(tmp_path, stop):
    db = tmp_path / "stopped.sqlite"
    command = [
        sys.executable,
        "-m",
        "mlpkit",
        "search",
        "optdigits-mlp",
        "--grid",
        GRID[0],
        "--grid",
        GRID[1],
        "--set",
        "train.epochs=60",
        "--jobs",
        "2",
        "--db",
        str(db),
        "--no-plots",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, text=True
    )
    deadline = time.monotonic() + 300
    done = 0
    while done < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
        if db.exists():
            with sqlite3.connect(db) as connection:
                done = connection.execute(
                    "SELECT count(*) FROM trials WHERE status = 'done'"
                ).fetchone()[0]
    assert process.poll() is None, "the search ended before it could be stopped"
    # SIGKILL: the search and its workers die mid-trial. SIGINT: what Ctrl-C in a terminal
    # sends to the whole foreground process group, workers included.
    os.killpg(process.pid, stop)
    _, err = process.communicate(timeout=120)
    if stop == signal.SIGINT:
        assert process.returncode == 130
        assert err.strip() == (
            f"mlpkit: interrupted; finished trials are kept in {db}: the same command runs "
            "only the rest"
        )
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with TrialStore(db) as store:
        finished = {(tuple(t["overrides"]), t["updated"]) for t in store.trials("done")}
    assert 3 <= len(finished) < 9
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert f"9 trials: {len(finished)} finished before, {9 - len(finished)} to run" in rerun.stdout
    with TrialStore(db) as store:
        after = store.trials("done")
    assert len(after) == 9
    # The trials finished before the stop were kept as they were, not run again.
    assert finished <= {(tuple(t["overrides"]), t["updated"]) for t in after}
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.slow
def test_dask_cluster_gives_the_same_table(tmp_path):
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    points = search.grid_points(search.parse_grid(GRID))
    local = search.run_search(small_recipe(), points, db=tmp_path / "local.sqlite", log=quiet)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        args = [
            "search",
            "optdigits-mlp",
            "--grid",
            GRID[0],
            "--grid",
            GRID[1],
            "--set",
            "train.epochs=3",
            "--scheduler",
            cluster.scheduler_address,
            "--db",
            str(tmp_path / "dask.sqlite"),
            "--no-plots",
        ]
        result = cli(*args)
        assert result.returncode == 0, result.stderr
        with distributed.Client(cluster) as client:
            worker_pids = set(client.run(os.getpid).values())
    with TrialStore(tmp_path / "dask.sqlite") as store:
        trials = store.trials("done")
        table = search.ranked_table(trials)
    assert [(row["overrides"], row["mean"]) for row in table] == ranked(local)
    assert {t["metrics"]["worker_pid"] for t in trials} <= worker_pids
    shown = cli("search", "--show", str(tmp_path / "dask.sqlite"))
    assert shown.returncode == 0 and "9 trials finished, 0 failed, 0 unfinished" in shown.stdout
    # dask=True (--dask) starts its own local cluster for the search.
    own = search.run_search(
        small_recipe(), points[:3], db=tmp_path / "own.sqlite", dask=True, jobs=2, log=quiet
    )
    expected = {tuple(row["overrides"]): row["mean"] for row in local.table}
    assert {tuple(row["overrides"]): row["mean"] for row in own.table} == {
        tuple(point): expected[tuple(point)] for point in points[:3]
    }


def test_cli_usage_errors_name_the_option(tmp_path):
    for args, message in [
        (["--random", "3"], "--random N needs at least one --range or --log-range"),
        (["--range", "train.momentum=0.1:0.9"], "--range and --log-range go with --random N"),
        (["--dask", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler and --dask exclude"),
        (["--jobs", "0"], "argument --jobs: must be an integer of at least 1, got '0'"),
    ]:
        result = cli("search", "optdigits-mlp", "--db", str(tmp_path / "e.sqlite"), *args)
        assert result.returncode == 2 and message in result.stderr, result.stderr
    shown = cli("search", "--show", str(tmp_path / "missing.sqlite"))
    assert shown.returncode == 2 and "no search database at" in shown.stderr
    (tmp_path / "notes.txt").write_text("not a database, and it stays as it was\n" * 100)
    shown = cli("search", "--show", str(tmp_path / "notes.txt"))
    assert shown.returncode == 2 and "is not a search database" in shown.stderr
    assert (tmp_path / "notes.txt").read_text() == "not a database, and it stays as it was\n" * 100


def test_searchspace_examples_run():
    import doctest

    import mlpkit.search.space

    outcome = doctest.testmod(mlpkit.search.space)
    assert outcome.attempted >= 2 and outcome.failed == 0


def test_python_search_example_runs(tmp_path):
    import doctest

    import mlpkit.search.runner

    outcome = doctest.testmod(mlpkit.search.runner, extraglobs={"tmp": tmp_path})
    assert outcome.attempted >= 2 and outcome.failed == 0


def test_python_search_takes_a_dict_grid_and_ranges(tmp_path):
    grid = {"model.hidden": [16, [8, 8]], "train.nesterov": [True]}
    result = search.search(
        "optdigits-mlp",
        grid=grid,
        overrides=["train.epochs=2", "train.momentum=0.9"],
        random=2,
        log_ranges={"train.learning_rate": (0.01, 0.3)},
        db=tmp_path / "d.sqlite",
        log=None,
    )
    assert result.ran == 4 and result.failed == 0
    hidden = sorted({o for row in result.table for o in row["overrides"] if "hidden" in o})
    assert hidden == ["model.hidden=[16]", "model.hidden=[8, 8]"]
    assert all("train.nesterov=true" in row["overrides"] for row in result.table)


def test_a_bad_grid_value_is_an_error_before_any_trial(tmp_path):
    db = tmp_path / "bad.sqlite"
    with pytest.raises(RecipeError, match="train.learning_rate must be float"):
        search.search("optdigits-mlp", grid=["train.learning_rate=0.1,fast"], db=db, log=None)
    assert not db.exists()


def test_synthetic_options_can_be_swept(tmp_path):
    grid = ["data.options.noise=0.1,0.3"]
    result = search.search(
        "moons-mlp", grid=grid, overrides=["train.epochs=2"], db=tmp_path / "m.sqlite", log=None
    )
    assert sorted(o for row in result.table for o in row["overrides"]) == [
        "data.options.noise=0.1",
        "data.options.noise=0.3",
    ]
