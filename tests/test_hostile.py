"""Hostile input and faults (issue 13): each case asserts the exact outcome.

A growing corpus: bad arguments, damaged or foreign files, and faults. Every
case checks what the user sees (the error and its message) and that nothing
the user had was changed.
"""

import hashlib
import os
import sqlite3
import subprocess
import sys

import pytest

from helpers import one_line_error, peak_bytes_of
from mlpkit.search.store import TrialStore


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def foreign_database(path):
    """An unrelated SQLite database in rollback-journal mode, as a user might own."""
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE people (name TEXT)")
        connection.execute("INSERT INTO people VALUES ('ada')")
    connection.close()
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "is not an mlpkit search database"),
        (b"not a database at all, just text\n" * 40, "is not a search database"),
        (b"", "is not an mlpkit search database"),
    ],
)
def test_search_refuses_a_file_that_is_not_its_database_and_leaves_it_alone(
    tmp_path, content, message
):
    path = tmp_path / "mine.sqlite"
    if content is None:
        foreign_database(path)
    else:
        path.write_bytes(content)
    before = digest(path)
    with pytest.raises(ValueError, match=message):
        TrialStore(path)
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.sqlite"]  # no -wal, no -shm
    if content is None:
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_search_cli_refuses_a_foreign_database_in_one_line(tmp_path):
    path = foreign_database(tmp_path / "mine.sqlite")
    before = digest(path)
    result = subprocess.run(
        [sys.executable, "-m", "mlpkit", "search", "optdigits-mlp", "--db", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "is not an mlpkit search database" in result.stderr
    assert digest(path) == before


def test_a_new_search_database_is_complete_the_moment_it_appears(tmp_path):
    """Made aside and linked into place: a reader finds the schema or no file at all."""
    path = tmp_path / "sub" / "new.sqlite"
    with TrialStore(path) as store:
        assert store.trials() == []
    assert sorted(
        p.name for p in path.parent.iterdir() if not p.name.endswith(("-wal", "-shm"))
    ) == ["new.sqlite"]
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("SELECT count(*) FROM trials").fetchone()[0] == 0


def test_a_database_made_meanwhile_by_another_search_is_kept(tmp_path, monkeypatch):
    import mlpkit.search.store as searchdb

    path = tmp_path / "race.sqlite"
    with TrialStore(tmp_path / "other.sqlite") as other:  # made before the patch
        other.check_base("recipe", "theirs")
    real_link = searchdb.os.link

    def other_search_first(source, target):
        (tmp_path / "other.sqlite").rename(target)  # the other search wins the race
        return real_link(source, target)

    monkeypatch.setattr(searchdb.os, "link", other_search_first)
    with TrialStore(path) as store:
        assert store.meta("recipe") == "theirs"
    assert not list(tmp_path.glob(".*.new"))


# -- evaluate: the model's own classes and targets, not the file's ---------------------


def run_cli(*args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "mlpkit", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def sign_classifier(path, classes):
    """A saved 2-input model that says classes[1] when x0 > 0, else classes[0]."""
    import numpy as np

    import mlpkit as mk

    network = mk.mlp([2, 2], output="softmax", seed=0, dtype="float64")
    network.set_weights({"0.W": np.array([[-5.0, 5.0], [0.0, 0.0]]), "0.b": np.zeros(2)})
    network.classes = list(classes)
    mk.save(network, path)
    return path


@pytest.mark.parametrize(
    ("classes", "rows"),
    [
        (["cat", "dog"], "1,0,dog\n2,1,dog\n0.5,3,dog\n"),  # one class only in the file
        (["3", "7"], "1,0,7.0\n-2,1,3\n"),  # numbers matched by value
    ],
)
def test_evaluate_numbers_labels_as_the_model_did(tmp_path, classes, rows):
    model = sign_classifier(tmp_path / "m.npz", classes)
    data = tmp_path / "d.csv"
    data.write_text("x0,x1,label\n" + rows)
    result = run_cli("evaluate", model, "--data", data, "--target", "label")
    assert result.returncode == 0, result.stderr
    assert "accuracy 1.000000" in result.stdout


def test_evaluate_refuses_labels_the_model_does_not_know(tmp_path):
    model = sign_classifier(tmp_path / "m.npz", ["cat", "dog"])
    data = tmp_path / "d.csv"
    data.write_text("x0,x1,label\n1,0,dog\n-1,0,cow\n")
    result = run_cli("evaluate", model, "--data", data, "--target", "label")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "labels ['cow'] are not among the model's classes ['cat', 'dog']" in result.stderr


def test_evaluate_a_regression_model_keeps_real_targets(tmp_path):
    import numpy as np

    import mlpkit as mk

    network = mk.mlp([1, 1], output="linear", seed=0, dtype="float64")
    network.set_weights({"0.W": np.array([[2.0]]), "0.b": np.array([1.0])})
    mk.save(network, tmp_path / "r.npz")
    x = np.linspace(-1, 1, 20)
    y = 2 * x + 1 + 0.01 * np.cos(7 * x)
    rows = "\n".join(f"{a:.17g},{b:.17g}" for a, b in zip(x, y, strict=True))
    (tmp_path / "r.csv").write_text("x,y\n" + rows + "\n")
    result = run_cli("evaluate", tmp_path / "r.npz", "--data", tmp_path / "r.csv", "--target", "y")
    assert result.returncode == 0, result.stderr
    r2 = float(
        next(line for line in result.stdout.splitlines() if line.startswith("r2")).split()[1]
    )
    residual = 0.01 * np.cos(7 * x)
    expected = 1 - np.sum(residual**2) / np.sum((y - y.mean()) ** 2)
    assert r2 == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([0.5, 1.25, 2.0, 3.75], "holds numbers with fractions (0.5, 4 distinct values)"),
        (["a", "a", "a", "a"], "the labels hold 1 class; a classifier needs at least 2"),
        ([4, 4, 4, 4], "the labels hold 1 class; a classifier needs at least 2"),
    ],
)
def test_a_recipe_refuses_labels_that_are_not_classes(tmp_path, labels, message):
    from mlpkit import datasets

    rows = "\n".join(f"{i},{i % 2},{label}" for i, label in enumerate(labels))
    (tmp_path / "d.csv").write_text("a,b,label\n" + rows + "\n")
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        datasets.read_table(tmp_path / "d.csv", "label")


# -- run folders ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["folder with a model", "file"])
def test_run_out_never_writes_into_a_folder_holding_other_files(tmp_path, kind):
    out = tmp_path / "out"
    if kind == "file":
        out.write_text("my notes\n")
        before = {out: digest(out)}
    else:
        out.mkdir()
        (out / "model.npz").write_bytes(b"the user's own model")
        before = {p: digest(p) for p in out.iterdir()}
    result = run_cli("run", "e4-moons", "--set", "train.epochs=1", "--out", out)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "give a new or empty folder (nothing was written)" in result.stderr
    if kind == "file":
        assert digest(out) == before[out]
    else:
        assert {p: digest(p) for p in out.iterdir()} == before


def test_run_out_accepts_an_empty_folder(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    result = run_cli("run", "e4-moons", "--set", "train.epochs=1", "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    assert (out / "model.npz").is_file()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("train.epochs=0", "train.epochs must be at least 1, got 0"),
        ("train.epochs=-3", "train.epochs must be at least 1, got -3"),
        ("train.learning_rate=0", "train.learning_rate must be above 0, got 0.0"),
        ("train.learning_rate=nan", "train.learning_rate must be a finite number, got nan"),
        ("train.momentum=1", "train.momentum must be at least 0 and below 1, got 1.0"),
        ("train.decay_every=0", "train.decay_every must be at least 1, got 0"),
        ("train.batch_size=-1", "train.batch_size must be at least 0, got -1"),
        ("train.l2=-0.1", "train.l2 must be at least 0, got -0.1"),
        ("train.checkpoint_every=0", "train.checkpoint_every must be at least 1, got 0"),
        ("train.augment_scale=1", "train.augment_scale must be at least 0 and below 1, got 1.0"),
    ],
)
def test_run_refuses_training_values_out_of_range_before_making_the_folder(
    tmp_path, override, message
):
    out = tmp_path / "out"
    result = run_cli("run", "e4-moons", "--set", override, "--out", out)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert not out.exists()


# -- training that diverges ----------------------------------------------------------


def test_a_finite_but_absurd_loss_is_divergence_and_the_weights_are_reset():
    import numpy as np

    import mlpkit as mk
    from mlpkit.training import TrainingDivergedError

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int)
    network = mk.mlp([4, 8, 2], seed=0, dtype="float64")
    start = network.get_weights()
    with pytest.raises(TrainingDivergedError, match=r"over 1e\+06 times its first value") as info:
        network.fit(X, y, optimizer=mk.optimizers.SGD(1e30), epochs=5, batch_size=10, seed=0)
    assert all(np.isfinite(w).all() for w in network.get_weights().values())
    if len(info.value.history) == 0:  # diverged in the first epoch: back to the start
        for key, value in start.items():
            np.testing.assert_array_equal(network.get_weights()[key], value)


# -- crafted and damaged model files -------------------------------------------------


def saved_model(path):
    import numpy as np

    import mlpkit as mk

    network = mk.mlp([4, 3, 2], seed=0)
    network.fit(np.eye(4), [0, 1, 0, 1], epochs=1)
    mk.save(network, path)
    return path


def rewrite(path, change, compressed=False):
    """Rewrite a saved model's arrays (a dict, config as parsed JSON) through ``change``."""
    import json

    import numpy as np

    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    config = json.loads(str(arrays.pop("__config__")))
    change(arrays, config)
    arrays["__config__"] = np.array(json.dumps(config))
    (np.savez_compressed if compressed else np.savez)(path, **arrays)


def test_a_config_asking_for_a_huge_layer_is_refused_before_allocating(tmp_path):
    import mlpkit as mk

    path = saved_model(tmp_path / "m.npz")
    rewrite(path, lambda arrays, config: config["layers"][0].update(units=50_000_000))
    message, peak = peak_bytes_of(lambda: mk.load(path))
    assert "array '0.W' is of shape (4, 3), but layer 0 needs (4, 50000000)" in message
    assert peak < 20 * 2**20


def test_a_zip_bomb_posing_as_weights_is_refused_before_reading_it(tmp_path):
    import numpy as np

    import mlpkit as mk

    path = saved_model(tmp_path / "m.npz")

    def huge(arrays, config):  # a consistent but 400 MB model of zeros, stored in ~400 kB
        config["layers"][0]["units"] = 25_000_000
        arrays["0.W"] = np.zeros((4, 25_000_000), np.float32)
        arrays["0.b"] = np.zeros(25_000_000, np.float32)
        arrays["2.W"] = np.zeros((25_000_000, 2), np.float32)

    rewrite(path, huge, compressed=True)
    assert path.stat().st_size < 3 * 2**20
    message, peak = peak_bytes_of(lambda: mk.load(path))
    assert "would inflate from" in message
    assert peak < 20 * 2**20


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_a_model_with_non_finite_weights_is_refused(tmp_path, bad):
    import mlpkit as mk

    path = saved_model(tmp_path / "m.npz")
    rewrite(path, lambda arrays, config: arrays["2.W"].__setitem__((0, 0), bad))
    with pytest.raises(ValueError, match=r"its array '2.W' holds NaN or infinite values"):
        mk.load(path)


def test_an_array_whose_bytes_do_not_match_its_header_is_refused(tmp_path):
    import zipfile

    import mlpkit as mk

    path = saved_model(tmp_path / "m.npz")
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["0.W.npy"] = entries["0.W.npy"][:-8]  # four values short
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match=r"its entry '0.W' is not the size its header says"):
        mk.load(path)


def test_saving_onto_a_folder_is_refused_and_the_folder_left_alone(tmp_path):
    import mlpkit as mk

    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "kept.npz").write_bytes(b"the user's file")
    with pytest.raises(IsADirectoryError, match=r"models: it is a folder; give a file name"):
        mk.save(mk.mlp([2, 3, 2], seed=0), folder)
    assert [p.name for p in tmp_path.iterdir()] == ["models"]  # no temporary file left
    assert (folder / "kept.npz").read_bytes() == b"the user's file"


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_saved_files_get_the_mode_the_umask_gives(tmp_path, umask):
    import os
    import stat

    import mlpkit as mk

    old = os.umask(umask)
    try:
        path = saved_model(tmp_path / "m.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    mk.load(path)


# -- recipes -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../escape", "/tmp/abs", "a/b", "..", "", " x", "x" * 101])
def test_a_recipe_name_that_could_leave_runs_is_refused(tmp_path, name):
    from mlpkit import recipes

    path = tmp_path / "r.toml"
    path.write_text(f'name = "{name}"\n[data]\nname = "moons"\n')
    with pytest.raises(recipes.RecipeError, match="name must be a plain name"):
        recipes.load_recipe(path)
    with pytest.raises(recipes.RecipeError, match="name must be a plain name"):
        recipes.apply_overrides(recipes.load_recipe("e4-moons"), [f"name={name!r}"])


def test_search_with_an_escaping_name_writes_nothing(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text('name = "../../outside"\n[data]\nname = "moons"\n')
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "mlpkit", "search", str(path), "--grid", "train.epochs=1"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=work,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["r.toml", "work"]


# -- dataset files on disk -----------------------------------------------------------


def test_a_data_file_on_disk_is_checked_against_its_pin_and_rechecked_when_changed(tmp_path):
    import hashlib
    import os

    from mlpkit.datasets.files import ChecksumError, RemoteFile, fetch

    path = tmp_path / "labels.gz"
    path.write_bytes(b"the original labels")
    pinned = hashlib.sha256(b"the original labels").hexdigest()
    remote = RemoteFile("labels.gz", pinned, "https://example.invalid/labels.gz")
    assert fetch(tmp_path, remote, download=False) == path
    path.write_bytes(b"swapped labels!!!!!")  # same size, another content
    os.utime(path, ns=(1, 1))
    with pytest.raises(ChecksumError, match=r"labels.gz has SHA-256 .* not the pinned"):
        fetch(tmp_path, remote, download=False)
    assert path.read_bytes() == b"swapped labels!!!!!"  # reported, not deleted


@pytest.mark.parametrize("command", [["datasets"], ["download", "mnist"], ["run", "better-mnist"]])
def test_mlpkit_data_naming_a_file_is_one_line(command, tmp_path, monkeypatch, capsys):
    from mlpkit import cli

    notes = tmp_path / "notes.txt"
    notes.write_text("not a folder")
    monkeypatch.setenv("MLPKIT_DATA", str(notes))
    code = cli.main([*command, *(["--out", str(tmp_path / "out")] if command[0] == "run" else [])])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err == (
        f"mlpkit: error: MLPKIT_DATA={notes} is a file; set it to the folder that holds the "
        "data sets"
    )
    assert notes.read_text() == "not a folder" and not (tmp_path / "out").exists()


def test_a_swapped_dataset_file_is_refused_by_the_loader(tmp_path, monkeypatch):
    import shutil

    from mlpkit import datasets
    from mlpkit.datasets.files import ChecksumError

    shared = datasets.data_dir() / "mnist"
    if not (shared / "t10k-labels-idx1-ubyte.gz").is_file():
        pytest.skip("MNIST files not found: set MLPKIT_DATA to a folder holding them")
    shutil.copytree(shared, tmp_path / "mnist")
    # The test labels in place of the training labels: a valid IDX file, wrong data.
    shutil.copy(
        shared / "t10k-labels-idx1-ubyte.gz", tmp_path / "mnist" / "train-labels-idx1-ubyte.gz"
    )
    monkeypatch.setenv("MLPKIT_DATA", str(tmp_path))
    with pytest.raises(ChecksumError, match="train-labels-idx1-ubyte.gz has SHA-256"):
        datasets.load("mnist")


# -- resuming ------------------------------------------------------------------------


def csv_of_two_blobs(path, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(-1, 0.5, (40, 2)), rng.normal(1, 0.5, (40, 2))])
    labels = ["left"] * 40 + ["right"] * 40
    rows = "\n".join(f"{a:.6f},{b:.6f},{c}" for (a, b), c in zip(X, labels, strict=True))
    path.write_text("a,b,side\n" + rows + "\n")
    return path


def test_resume_works_from_another_folder_and_refuses_changed_data(tmp_path):
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    csv_of_two_blobs(work / "d.csv")
    recipe = work / "r.toml"
    recipe.write_text(
        '[data]\nname = "file"\npath = "d.csv"\ntarget = "side"\n'
        "[train]\nepochs = 2\nbatch_size = 16\n"
    )
    common = {"capture_output": True, "text": True, "timeout": 120}
    run = [sys.executable, "-m", "mlpkit", "run", "r.toml", "--out", "run", "--quiet"]
    assert subprocess.run(run, cwd=work, **common).returncode == 0
    resume = [sys.executable, "-m", "mlpkit", "run", "--resume", str(work / "run"), "--quiet"]
    again = subprocess.run(resume, cwd=elsewhere, **common)
    assert again.returncode == 0, again.stderr
    csv_of_two_blobs(work / "d.csv", seed=1)  # the data file changes under the run
    changed = subprocess.run(resume, cwd=elsewhere, **common)
    assert changed.returncode == 2
    assert "Traceback" not in changed.stderr
    assert "changed since it started" in changed.stderr


def test_a_second_search_on_a_database_in_use_stops_at_once(tmp_path):
    db = tmp_path / "s.sqlite"
    with TrialStore(db) as first:
        first.lock()
        before = first.trials()
        args = ["search", "optdigits-mlp", "--grid", "train.epochs=1", "--db", db, "--no-plots"]
        result = run_cli(*args)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert "another mlpkit search is running on" in result.stderr
        assert first.trials() == before
    with TrialStore(db) as later:  # the lock went with the first search
        later.lock()


# -- downloads -----------------------------------------------------------------------


def test_a_download_that_trickles_is_abandoned_at_its_deadline(tmp_path, monkeypatch):
    import http.server
    import threading

    from mlpkit.datasets.files import DataNotFoundError, RemoteFile, fetch

    finished = threading.Event()

    class Trickle(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # one byte every 50 ms, never reaching the announced length
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            try:
                while not finished.wait(0.05):
                    self.wfile.write(b"x")
                    self.wfile.flush()
            except OSError:
                pass  # the client hung up

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.delenv("MLPKIT_OFFLINE", raising=False)
    url = f"http://127.0.0.1:{server.server_address[1]}/slow.gz"
    try:
        with pytest.raises(DataNotFoundError, match=r"not finished after 0.5 s"):
            fetch(tmp_path, RemoteFile("slow.gz", "0" * 64, url), timeout=5, deadline=0.5)
    finally:
        finished.set()
        server.shutdown()
    assert list(tmp_path.iterdir()) == []  # the partial file is gone


# -- damaged checkpoints -------------------------------------------------------------


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished two-epoch run folder of e4-moons, made once for the checkpoint cases."""
    out = tmp_path_factory.mktemp("runs") / "run"
    result = run_cli("run", "e4-moons", "--set", "train.epochs=2", "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    return out


def copy_of(run, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    return copy


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: data[: len(data) // 2], "is damaged or not an mlpkit checkpoint"),
        (lambda data: b"\x00" * 3000, "(it is not an .npz archive)"),
        (lambda data: b"\x93NUMPY random bytes that are not a checkpoint", "not an .npz archive"),
        (lambda data: b"", "(it is not an .npz archive)"),
    ],
    ids=["truncated", "zeros", "npy-magic", "empty"],
)
def test_a_damaged_checkpoint_is_one_line_that_names_it(finished_run, tmp_path, damage, message):
    run = copy_of(finished_run, tmp_path)
    checkpoint = run / "checkpoint.npz"
    checkpoint.write_bytes(damage(checkpoint.read_bytes()))
    before = digest(checkpoint)
    result = run_cli("run", "--resume", run, "--quiet")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "pickle" not in result.stderr
    assert str(checkpoint) in result.stderr and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert digest(checkpoint) == before


def test_a_checkpoint_from_another_run_is_named_as_such(finished_run, tmp_path):
    import shutil

    other = tmp_path / "other"
    result = run_cli(
        "run", "e4-moons", "--set", "train.epochs=1", "--set", "model.hidden=[7]", "--out", other
    )
    assert result.returncode == 0, result.stderr
    run = copy_of(finished_run, tmp_path)
    shutil.copy(other / "checkpoint.npz", run / "checkpoint.npz")
    resumed = run_cli("run", "--resume", run, "--quiet")
    assert resumed.returncode == 2 and "Traceback" not in resumed.stderr
    assert "model.hidden = [7] then, [100, 100] now" in resumed.stderr
    assert "the checkpoint was copied from another run" in resumed.stderr


# -- predict -------------------------------------------------------------------------


def test_predict_with_a_regression_model_writes_its_values(tmp_path):
    import numpy as np

    import mlpkit as mk

    network = mk.mlp([1, 1], output="linear", seed=0, dtype="float64")
    network.set_weights({"0.W": np.array([[2.0]]), "0.b": np.array([1.0])})
    mk.save(network, tmp_path / "r.npz")
    (tmp_path / "x.csv").write_text("x\n0\n1.5\n-2\n")
    result = run_cli("predict", tmp_path / "r.npz", tmp_path / "x.csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["prediction", "1", "4", "-3"]
    proba = run_cli("predict", tmp_path / "r.npz", tmp_path / "x.csv", "--proba")
    assert proba.returncode == 2 and proba.stdout == ""
    assert "--proba needs a classifier; this model is a regressor" in proba.stderr


def test_an_augmentation_on_data_without_images_fails_before_the_folder_is_made(tmp_path):
    out = tmp_path / "out"
    result = run_cli("run", "e4-moons", "--set", "train.augment_shift=2", "--out", out)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "train.augment_shift needs an image dataset" in result.stderr
    assert not out.exists()


# -- the CLI's last line of defence --------------------------------------------------


def test_an_internal_error_is_one_line_with_its_place_and_exit_1(monkeypatch, capsys):
    from mlpkit import cli

    def broken(args):
        return 1 // 0

    monkeypatch.setitem(cli.COMMANDS, "recipes", broken)
    assert cli.main(["recipes"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("mlpkit: internal error (ZeroDivisionError at test_hostile.py:")
    assert "rerun with --debug for the traceback" in err
    with pytest.raises(ZeroDivisionError):
        cli.main(["--debug", "recipes"])


def test_a_failing_search_database_is_one_line(monkeypatch, capsys, tmp_path):
    from mlpkit import cli
    from mlpkit.search.store import TrialStore

    def full(self, *args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(TrialStore, "mark_running", full)
    code = cli.main(
        ["search", "e4-moons", "--grid", "train.epochs=1", "--db", str(tmp_path / "s.sqlite")]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err == (
        f"mlpkit: error: the search database {tmp_path / 's.sqlite'} failed: database or disk "
        "is full (is the disk full, or the folder read-only?)"
    )


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ("train.learning_rate=0.1,-1", "train.learning_rate must be above 0, got -1.0"),
        ("train.epochs=2,zero", "train.epochs must be int, got 'zero'"),
    ],
)
def test_search_refuses_a_bad_grid_value_before_any_trial(tmp_path, grid, message):
    db = tmp_path / "s.sqlite"
    result = run_cli("search", "e4-moons", "--grid", grid, "--db", db)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert message in result.stderr
    assert not db.exists()


# -- data the user gives -------------------------------------------------------------


def test_a_latin_1_csv_is_named_with_its_byte(tmp_path):
    from mlpkit import datasets

    path = tmp_path / "d.csv"
    path.write_bytes("a,b,label\n1,2,café\n3,4,thé\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"d.csv is not UTF-8 text \(byte 0xe9 at offset 17\)"):
        datasets.read_table(path, "label")


def test_a_finite_value_beyond_float32_is_not_called_nan(tmp_path):
    import numpy as np

    import mlpkit as mk

    network = mk.mlp([2, 2], seed=0)
    X = np.array([[1.0, 2.0], [3.0, 1e39]])
    with pytest.raises(
        ValueError, match=r"X holds 1e\+39 at index \(1, 1\), too large for float32"
    ):
        network.predict(X)
    with pytest.raises(ValueError, match=r"X contains NaN or infinity \(first at index \(0, 0\)\)"):
        network.predict(np.array([[np.nan, 1.0]]))


# -- command-line arguments: every one answered in one line, exit 2 -------------------

MISSING = "/nonexistent/nowhere"

CLI_CASES = [
    # (argv, fragment of the one-line message)
    (["bogus"], "invalid choice: 'bogus'"),
    (["run", "--sett", "x"], "unrecognized arguments: --sett"),
    (["run", "no-such-recipe"], "unknown recipe 'no-such-recipe'; built-in recipes are"),
    (["run", f"{MISSING}/r.toml"], "no recipe file at"),
    (["run", "e4-moons", "--set", "train.epochs"], "--set takes key=value, got 'train.epochs'"),
    (["run", "e4-moons", "--set", "train.nope=1"], "unknown key 'train.nope'"),
    (["run", "e4-moons", "--set", "train.epochs=many"], "train.epochs must be int"),
    (["run", "e4-moons", "--set", "train.optimizer='lbfgs'"], "unknown train.optimizer 'lbfgs'"),
    (["run", "e4-moons", "--set", "train.schedule='cosine'"], "unknown train.schedule 'cosine'"),
    (["run", "e4-moons", "--set", "model.hidden=[0]"], "model.hidden must list positive widths"),
    (
        ["run", "e4-moons", "--seed", "x"],
        "argument --seed: must be an integer of at least 0, got 'x'",
    ),
    (
        ["run", "e4-moons", "--seed", "-1"],
        "argument --seed: must be an integer of at least 0, got '-1'",
    ),
    (["run", "--data", f"{MISSING}.csv", "--target", "y"], "no data file at"),
    (["run", "--target", "y"], "--target goes with --data"),
    (["run", "--resume", MISSING], "no run folder at"),
    (["run", "--resume", MISSING, "e4-moons"], "--resume takes only the run folder"),
    (["evaluate", f"{MISSING}.npz", "--dataset", "mnist"], "no model file at"),
    (["evaluate", "m.npz"], "one of the arguments --dataset --data is required"),
    (["predict", f"{MISSING}.npz", f"{MISSING}.csv"], "no model file at"),
    (["predict"], "the following arguments are required: model, input"),
    (["search", "e4-moons", "--jobs", "0"], "argument --jobs: must be an integer of at least 1"),
    (["search", "e4-moons", "--seeds", "0"], "argument --seeds: must be an integer of at least 1"),
    (
        ["search", "e4-moons", "--random", "-1"],
        "argument --random: must be an integer of at least 0",
    ),
    (["search", "e4-moons", "--top", "0"], "argument --top: must be an integer of at least 1"),
    (["search", "e4-moons", "--search-seed", "1.5"], "argument --search-seed: must be an integer"),
    (["search", "e4-moons", "--grid", "train.epochs"], "--grid takes key=v1,v2,..., got"),
    (["search", "e4-moons", "--grid", "nokey=1,2"], "--grid: unknown key 'nokey'"),
    (["search", "e4-moons", "--random", "3"], "--random N needs at least one --range"),
    (["search", "e4-moons", "--random", "2", "--range", "train.l2=1"], "key=low:high"),
    (["search", "e4-moons", "--random", "2", "--log-range", "train.l2=0:1"], "needs low > 0"),
    (["search", "--show", f"{MISSING}.sqlite"], "--show: no search database at"),
    (["search", "e4-moons", "--scheduler", "tcp://h:1", "--dask"], "exclude each other"),
    (["download", "no-such-set"], "unknown dataset 'no-such-set'; known datasets are"),
    (
        ["gradcheck", "e4-moons", "--samples", "0"],
        "argument --samples: must be an integer of at least 1",
    ),
    (
        ["gradcheck", "e4-moons", "--entries", "-2"],
        "argument --entries: must be an integer of at least 1",
    ),
    (["gradcheck", "no-such-recipe"], "unknown recipe 'no-such-recipe'"),
]


@pytest.mark.parametrize(("argv", "fragment"), CLI_CASES, ids=lambda v: " ".join(v)[:40])
def test_bad_command_lines_are_one_line_and_exit_2(argv, fragment, capsys, tmp_path, monkeypatch):
    from mlpkit import cli

    monkeypatch.chdir(tmp_path)  # nothing may be written into the test's folder
    code = cli.main(argv)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, captured.err
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    assert lines[0].startswith("mlpkit: error: ")
    assert fragment in lines[0]
    assert list(tmp_path.iterdir()) == []


# -- files the user gives: recipes, CSV, NPZ -----------------------------------------


RECIPE_FILES = [
    ("[data\nname='moons'", "is not valid TOML"),
    ("[nosection]\nx = 1\n", "unknown key 'nosection'"),
    ("[train]\nepochs = '3'\n", "train.epochs must be int, got '3'"),
    ("[train]\nlearning_rate = true\n", "train.learning_rate must be float, got True"),
    ("[model]\nlayers = [{type = 'dens', units = 3}]\n", "unknown layer type 'dens'"),
    ("[model]\nlayers = [{type = 'dense', unit = 3}]\n", "unit"),
    ("[model]\nlayers = [{units = 3}]\n", "type"),
    ("[model]\nlayers = 'dense'\n", "layers"),
    ("[data]\nname = 'file'\n", "data.name = 'file' needs data.path"),
    ("[data]\nname = 'moons'\nsplit = 'sideways'\n", "data.split must be 'official' or 'random'"),
    ("[data]\nname = 'mnist'\noptions = {noise = 0.1}\n", "data.options only apply to synthetic"),
    (b"\xff\xfe[train]\n", "r.toml is not a UTF-8 text file (TOML must be): byte 0xff at offset 0"),
    (b"\x00\x01\x02binary", "r.toml is not valid TOML"),
    ("[train]\nepochs = 3\nepochs = 4\n", "is not valid TOML: Cannot overwrite a value"),
    ("[train]\nlearning_rate = inf\n", "train.learning_rate must be a finite number, got inf"),
    ("[train]\nlearning_rate = nan\n", "train.learning_rate must be a finite number, got nan"),
    ("[train]\nmomentum = -inf\n", "train.momentum must be a finite number, got -inf"),
    ("[train]\nepochs = -" + "9" * 30 + "\n", "train.epochs must be at least 1"),
    ("[train]\nepochs = 3.0\n", "train.epochs must be int, got 3.0"),
    ("[[train]]\nepochs = 3\n", "'train' must be a table"),
    ("train = 5\n", "'train' must be a table"),
    ("[model]\nlayers = [{type = 'dense', units = 0}]\n", "units must be an integer >= 1, got 0"),
    ("[model]\nlayers = [{type = 'dropout', rate = 1.0}]\n", "rate must be a fraction in [0, 1)"),
    ("[model]\nlayers = [{type = 'dense', units = 3, activation = 'swish'}]\n", "'activation'"),
    ("[model]\nlayers = [{type = 'conv2d', filters = 3, kernel_size = 3}]\n", "shape (height, wid"),
    (
        "[data]\nname = 'moons'\noptions = {n_samples = -5}\n",
        "data.options.n_samples: n_samples must be an integer >= 2, got -5",
    ),
    ("[data]\nname = 'moons'\noptions = {n_samples = 'many'}\n", "data.options.n_samples"),
    ("[data]\nname = 'moons'\ntest_size = 1.5\n", "data.test_size: test_size must be a fraction"),
]


@pytest.mark.parametrize(("text", "fragment"), RECIPE_FILES, ids=lambda v: str(v)[:30])
def test_a_bad_recipe_file_is_one_line(text, fragment, tmp_path, capsys):

    recipe = tmp_path / "r.toml"
    recipe.write_bytes(text if isinstance(text, bytes) else text.encode())
    out = tmp_path / "out"
    assert fragment in one_line_error(["run", str(recipe), "--out", str(out)], capsys)
    assert not out.exists()


CSV_FILES = [
    ("a,b,label\n", "has no data rows under its header"),
    ("a,b,label\n1,2,x\n3,4\n", "line 3 has 2 cells, the header has 3"),
    ("a,b,label\n1,two,x\n3,4,y\n", "line 2, column 'b': 'two' is not a number"),
    ("a,b,label\n1,,x\n3,4,y\n", "line 2, column 'b' is empty or NaN"),
    ("a,b,label\n1,inf,x\n3,4,y\n", "column 'b'"),
    ("a,b,label\n1,2,\n3,4,y\n", "the label column has empty cells"),
    ("a,b,kind\n1,2,x\n3,4,y\n", "has no column 'label'"),
    ("a,b,label\n1,2,0.5\n3,4,1.5\n", "holds numbers with fractions"),
    ("a,b,label\n1,2,x\n3,4,x\n", "the labels hold 1 class"),
]


@pytest.mark.parametrize(("text", "fragment"), CSV_FILES, ids=lambda v: str(v)[:30])
def test_a_bad_csv_is_one_line_naming_the_file(text, fragment, tmp_path, capsys):

    data = tmp_path / "d.csv"
    data.write_text(text)
    out = tmp_path / "out"
    err = one_line_error(
        ["run", "--data", str(data), "--target", "label", "--out", str(out)], capsys
    )
    assert str(data) in err and fragment in err
    assert not out.exists()


def npz_cases():
    import numpy as np

    good_X, good_y = np.arange(20.0).reshape(10, 2), np.arange(10) % 2
    return [
        ({"X": good_X}, "must hold arrays 'X' and 'y'"),
        ({"X": good_X[:, 0], "y": good_y}, "X must be (n, n_features) and y (n,)"),
        ({"X": good_X, "y": good_y[:5]}, "X must be (n, n_features) and y (n,)"),
        ({"X": np.where(good_X > 5, np.nan, good_X), "y": good_y}, "X must hold finite numbers"),
        ({"X": good_X.astype(str), "y": good_y}, "X must hold finite numbers"),
        ({"X": np.array([object()] * 10, dtype=object), "y": good_y}, "which mlpkit never loads"),
    ]


def test_random_bytes_named_npz_are_not_called_pickled_data(tmp_path, capsys):
    from mlpkit import cli

    data = tmp_path / "d.npz"
    data.write_bytes(b"\x93NUMPY\x01\x00 not really" * 10)
    assert cli.main(["run", "--data", str(data), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("d.npz is not an .npz archive (damaged, or another kind of file)")


@pytest.mark.parametrize("case", range(6))
def test_a_bad_npz_is_one_line_naming_the_file(case, tmp_path, capsys):
    import numpy as np

    from mlpkit import cli

    arrays, fragment = npz_cases()[case]
    data = tmp_path / "d.npz"
    np.savez(data, **arrays)  # object arrays are pickled: they must never be unpickled
    code = cli.main(["run", "--data", str(data), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert str(data) in err and fragment in err


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        (["train.monitor='bogus'"], "train.monitor 'bogus' is not measured in this run"),
        ([], "(no validation split: set data.valid_size)"),
        (["train.monitor='test_loss'"], "early stopping can watch loss, accuracy"),
    ],
)
def test_early_stopping_on_a_key_never_measured_fails_before_the_folder(
    overrides, fragment, tmp_path, capsys
):
    from mlpkit import cli

    out = tmp_path / "out"
    argv = ["run", "e4-moons", "--set", "train.early_stopping=3", "--out", str(out)]
    for override in overrides:
        argv += ["--set", override]
    assert cli.main(argv) == 2
    assert fragment in capsys.readouterr().err
    assert not out.exists()


def model_cases():
    """(change to a saved model's arrays and config, fragment of the error)."""

    def config_text(arrays, config):
        config.clear()
        config["format"] = "mlpkit-model"  # and nothing else

    return [
        (lambda a, c: c.update(format="keras"), "its configuration names another format"),
        (lambda a, c: c.update(format_version=99), "newer than this mlpkit reads"),
        (lambda a, c: c["layers"][0].update(type="conv9d"), "unknown layer type 'conv9d'"),
        (lambda a, c: c["layers"][0].update(unitz=3), "unitz"),
        (lambda a, c: c.update(layers="dense"), "could not be read"),
        (lambda a, c: c.update(input_shape=[5]), "array '0.W' is of shape (4, 3)"),
        (lambda a, c: a.pop("2.b"), "array '2.b' is missing"),
        (lambda a, c: a.update({"2.W": a["2.W"].astype(complex)}), "'2.W' has dtype complex128"),
        (config_text, "its format version is None"),
    ]


@pytest.mark.parametrize("case", range(9))
def test_a_crafted_model_is_one_line_and_never_half_loaded(case, tmp_path, capsys):
    from mlpkit import cli

    change, fragment = model_cases()[case]
    model = saved_model(tmp_path / "m.npz")
    rewrite(model, change)
    inputs = tmp_path / "x.csv"
    inputs.write_text("a,b,c,d\n1,0,0,0\n")
    assert cli.main(["predict", str(model), str(inputs)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert str(model) in captured.err and fragment in captured.err, captured.err


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a,b,c\n1,2,3\n", "x.csv has 3 values per sample, but the model"),
        ("a\n1\n", "x.csv has 1 value per sample, but the model"),
        ("a,b,c,d\n", "has no data rows under its header"),
        ("a,b,c,d\n1,2,x,4\n", "'x' is not a number"),
    ],
)
def test_predict_refuses_inputs_that_do_not_fit(text, fragment, tmp_path, capsys):
    from mlpkit import cli

    model = saved_model(tmp_path / "m.npz")
    inputs = tmp_path / "x.csv"
    inputs.write_text(text)
    assert cli.main(["predict", str(model), str(inputs)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and fragment in captured.err, captured.err


def test_a_cnn_model_names_its_image_shape_when_the_data_does_not_fit(tmp_path, capsys):
    import numpy as np

    import mlpkit as mk
    from mlpkit import cli

    layers = [mk.Conv2D(2, 3), mk.ReLU(), mk.Flatten(), mk.Dense(2), mk.Softmax()]
    network = mk.Network(layers, input_shape=(5, 5, 1), seed=0)
    model = tmp_path / "cnn.npz"
    mk.save(network, model)
    inputs = tmp_path / "x.csv"
    np.savetxt(inputs, np.ones((3, 24)), delimiter=",", header=",".join("p" * 24), comments="")
    assert cli.main(["predict", str(model), str(inputs)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == (
        f"mlpkit: error: {inputs} has 24 values per sample, but the model {model} takes 25 "
        "(5x5x1 images)"
    )


def test_evaluate_on_a_dataset_of_another_width_names_it(tmp_path, capsys):
    from mlpkit import cli

    model = saved_model(tmp_path / "m.npz")
    assert cli.main(["evaluate", str(model), "--dataset", "moons"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"mlpkit: error: --dataset moons (its test split) has 2 values per sample, but the "
        f"model {model} takes 4"
    )


# -- faults: a full disk, a read-only folder -------------------------------------------

FULL_DISK = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
{body}
"""


def run_with_file_limit(body, limit, cwd):
    code = FULL_DISK.format(limit=limit, body=body)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_saving_over_a_model_on_a_full_disk_keeps_the_old_one(tmp_path):
    path = saved_model(tmp_path / "m.npz")
    before = digest(path)
    body = (
        "import numpy as np, mlpkit as mk\n"
        "net = mk.mlp([4, 3000, 2], seed=1)\n"  # 48 kB of weights: over the limit
        f"mk.save(net, {str(path)!r})\n"
    )
    result = run_with_file_limit(body, 20_000, tmp_path)
    assert result.returncode != 0 and "File too large" in result.stderr
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]  # no temporary file left


def test_a_run_on_a_full_disk_is_one_line(tmp_path):
    body = (
        "from mlpkit import cli\n"
        "argv = ['run', 'e4-moons', '--set', 'train.epochs=1', '--out', 'out', '--quiet']\n"
        "sys.exit(cli.main(argv))\n"
    )
    result = run_with_file_limit(body, 3_000, tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "File too large" in lines[0]


SEARCH_ARGV = (
    "['search', 'e4-moons', '--grid', 'train.learning_rate=0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8', "
    "'--set', 'train.epochs=2', '--db', 's.sqlite', '--no-plots', '--jobs', '1']"
)


@pytest.mark.parametrize("limit", [5_000, 40_000])
def test_a_search_on_a_full_disk_is_one_line_and_its_database_stays_sound(tmp_path, limit):
    body = f"from mlpkit import cli\nsys.exit(cli.main({SEARCH_ARGV}))\n"
    result = run_with_file_limit(body, limit, tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        "mlpkit: error: the search database s.sqlite failed: disk I/O error "
        "(is the disk full, or the folder read-only?)"
    )
    db = tmp_path / "s.sqlite"
    assert db.exists() == (limit > 20_000)  # 5 kB is too little for the schema; 40 kB is not
    # Too full for the schema: nothing left behind, not even a temporary file.
    assert [p.name for p in tmp_path.iterdir()] == (["s.sqlite"] if db.exists() else [])
    if db.exists():  # full later: the trials written so far are sound, the rest run again
        with sqlite3.connect(db) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        connection.close()
        again = f"import sys\nfrom mlpkit import cli\nsys.exit(cli.main({SEARCH_ARGV}))\n"
        rerun = subprocess.run(
            [sys.executable, "-c", again], capture_output=True, text=True, cwd=tmp_path
        )
        assert rerun.returncode == 0, rerun.stderr
        assert "8 trials: " in rerun.stdout
        with TrialStore(db) as store:
            assert len(store.trials("done")) == 8


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root writes into read-only folders: the case needs an ordinary user",
)
def test_a_read_only_output_folder_is_one_line(tmp_path, capsys):
    from mlpkit import cli

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert cli.main(["run", "e4-moons", "--out", str(locked / "run"), "--quiet"]) == 2
        assert "Permission denied" in capsys.readouterr().err
    finally:
        locked.chmod(0o755)


# -- the Python API: every bad argument named, with what was expected and received ----


def api_cases():
    import numpy as np

    import mlpkit as mk

    def net():
        return mk.mlp([4, 2], seed=0)

    X2, X5 = np.zeros((2, 4)), np.zeros((5, 4))
    return {
        "Dense(units=0)": (lambda: mk.Dense(0), "units must be an integer >= 1, got 0"),
        "Dense(units=2.5)": (lambda: mk.Dense(2.5), "units must be an integer, got float"),
        "Dense(init)": (lambda: mk.Dense(3, init="bogus"), "unknown initializer 'bogus'"),
        "Dense(l2=-1)": (lambda: mk.Dense(3, l2=-1), "l2 must be a finite non-negative"),
        "Conv2D(filters=0)": (lambda: mk.Conv2D(0, 3), "filters must be an integer >= 1"),
        "Conv2D(kernel_size=0)": (lambda: mk.Conv2D(4, 0), "kernel_size must be a positive"),
        "Conv2D(padding)": (lambda: mk.Conv2D(4, 3, padding="full"), "got 'full'"),
        "Conv2D(strides)": (lambda: mk.Conv2D(4, 3, strides=(1,)), "strides must be a positive"),
        "Conv2D(use_bias)": (lambda: mk.Conv2D(4, 3, use_bias="yes"), "use_bias must be True"),
        "MaxPool2D(pool_size)": (lambda: mk.MaxPool2D((2,)), "pool_size must be a positive"),
        "AvgPool2D(padding)": (lambda: mk.AvgPool2D(2, padding="x"), "padding must be 'valid'"),
        "Dropout(rate=1)": (lambda: mk.Dropout(1.0), "rate must be a fraction in [0, 1), got 1.0"),
        "BatchNorm(momentum)": (lambda: mk.BatchNorm(momentum=1.5), "momentum must be in [0, 1)"),
        "BatchNorm(epsilon)": (lambda: mk.BatchNorm(epsilon=0), "epsilon must be a finite posit"),
        "SGD(momentum=1)": (lambda: mk.optimizers.SGD(0.1, momentum=1.0), "momentum must be in"),
        "SGD(lr=-1)": (lambda: mk.optimizers.SGD(-1), "learning_rate must be a finite positive"),
        "Adam(beta1=1)": (lambda: mk.optimizers.Adam(beta1=1), "beta1 must be in [0, 1)"),
        "StepDecay(every=0)": (lambda: mk.optimizers.StepDecay(0.1, every=0), "every must be"),
        "mlp([4])": (lambda: mk.mlp([4]), "sizes needs at least an input and an output width"),
        "mlp(hidden)": (lambda: mk.mlp([4, 3, 2], hidden="bogus"), "unknown activation 'bogus'"),
        "Network([])": (lambda: mk.Network([], input_shape=(4,)), "layers must be a non-empty"),
        "fit(lengths)": (lambda: net().fit(X5, [0, 1]), "X has 5 samples, y has 2"),
        "fit(labels)": (lambda: net().fit(X2, [0, 3]), "y has labels from 0 to 3"),
        "fit(features)": (lambda: net().fit(np.zeros((2, 3)), [0, 1]), "X has 3 features"),
        "fit(epochs=0)": (lambda: net().fit(X2, [0, 1], epochs=0), "epochs must be an integer"),
        "fit(batch=0)": (lambda: net().fit(X2, [0, 1], batch_size=0), "batch_size must be"),
        "fit(optimizer)": (lambda: net().fit(X2, [0, 1], optimizer="x"), "unknown optimizer 'x'"),
        "fit(loss)": (lambda: net().fit(X2, [0, 1], loss="x"), "unknown loss 'x'"),
        "predict(text)": (lambda: net().predict([["a", "b", "c", "d"]]), "X must hold numbers"),
        "save(no folder)": (
            lambda: mk.save(net(), "/nonexistent/dir/m.npz"),
            "cannot write /nonexistent/dir/m.npz: the folder /nonexistent/dir does not exist",
        ),
    }


@pytest.mark.parametrize("case", sorted(api_cases()))
def test_a_bad_api_argument_is_named(case):
    call, fragment = api_cases()[case]
    with pytest.raises((ValueError, TypeError, FileNotFoundError)) as info:
        call()
    assert fragment in str(info.value)


# -- concurrency ---------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="the run-folder lock is POSIX flock")
def test_a_second_process_in_a_run_folder_stops_at_once(finished_run, tmp_path, capsys):
    import fcntl

    run = copy_of(finished_run, tmp_path)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    for folder in (run, fresh):  # another process is training there
        handle = open(folder / ".lock", "a")  # noqa: SIM115 - held until the end of the test
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        before = {p.name: digest(p) for p in folder.iterdir() if p.is_file()}
        argv = ["run", "--resume", str(run)] if folder == run else ["run", "e4-moons"]
        argv += [] if folder == run else ["--out", str(fresh)]
        err = one_line_error([*argv, "--quiet"], capsys)
        assert f"another mlpkit process is training in {folder}" in err
        assert {p.name: digest(p) for p in folder.iterdir() if p.is_file()} == before
        handle.close()


def idx_cases():
    """Crafted IDX files (the MNIST format) and the fragment each error must contain."""
    import gzip
    import struct

    images = b"\x00\x00\x08\x03" + struct.pack(">III", 2, 2, 2) + bytes(range(8))
    return [
        (b"", "bad magic number"),
        (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00", "bad magic number"),
        (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00", "bad magic number"),
        (b"\x00\x00\x08\x03\x00\x00", "header is incomplete"),
        (b"\x00\x00\x08\x00\x07", "declares 0 dimensions"),
        (images[:-1], "promises 8 bytes of data for shape (2, 2, 2), but it holds 7"),
        (images + b"\x00", "promises 8 bytes of data for shape (2, 2, 2), but it holds 9"),
        # 2**31 * 2**31 * 4 overflows int64 to 0, which would "match" an empty body.
        (b"\x00\x00\x08\x03" + struct.pack(">III", 2**31, 2**31, 4), "promises 1844674407"),
        (gzip.compress(images)[:-9], "gzip stream ends early"),
        (b"\x1f\x8b\x08\x00 not gzip at all", "truncated or corrupt"),
        (gzip.compress(images) + b"trailing junk", "truncated or corrupt"),
        (gzip.compress(b"\x00\x00\x08\x01" + struct.pack(">I", 10**7) + bytes(10**7)), "inflates"),
    ]


@pytest.mark.parametrize("case", range(12))
def test_a_crafted_idx_file_is_one_error_naming_the_file(case, tmp_path):
    from mlpkit.datasets import read_idx

    content, fragment = idx_cases()[case]
    path = tmp_path / "images-idx3-ubyte.gz"
    path.write_bytes(content)
    with pytest.raises(ValueError) as error:
        read_idx(path)
    message = str(error.value)
    assert str(path) in message and fragment in message and "\n" not in message
    assert path.read_bytes() == content


def test_an_idx_file_in_several_gzip_members_reads_whole(tmp_path):
    import gzip
    import struct

    from mlpkit.datasets import read_idx

    path = tmp_path / "labels.gz"
    body = b"\x00\x00\x08\x01" + struct.pack(">I", 6) + bytes([1, 2, 3, 4, 5, 6])
    path.write_bytes(gzip.compress(body[:7]) + gzip.compress(body[7:]))
    assert read_idx(path).tolist() == [1, 2, 3, 4, 5, 6]
