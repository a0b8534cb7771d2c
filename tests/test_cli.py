"""The mlpkit command end to end, run as a user would: in a subprocess."""

import base64
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import mlpkit as mk
from mlpkit.runs.checkpoint import load_checkpoint


def mlpkit(*args, cwd=None, env=None, timeout=300):
    full_env = {**os.environ, "MPLBACKEND": "Agg", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "mlpkit", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=timeout,
    )


def assert_one_line_error(result, pattern):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mlpkit: error: "), result.stderr
    assert re.search(pattern, lines[0]), lines[0]


def test_version():
    result = mlpkit("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"mlpkit {mk.__version__}"


def test_no_command_prints_help_and_exits_2():
    result = mlpkit()
    assert result.returncode == 2 and "COMMAND" in result.stderr


def test_default_run_trains_optdigits_to_97_percent_and_writes_a_report(tmp_path):
    result = mlpkit("run", "--quiet", "--out", tmp_path / "run")
    assert result.returncode == 0, result.stderr
    run = tmp_path / "run"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["recipe"] == "optdigits-mlp" and metrics["status"] == "finished"
    # 97.11% on SkylakeX kernels, 97.27-97.38% on Haswell's: a margin for other machines.
    assert metrics["test"]["accuracy"] >= 0.965
    assert np.array(metrics["confusion_matrix"]).sum() == 1797
    assert f"test   loss {metrics['test']['loss']:.4f}" in result.stdout
    for name in ("config.toml", "model.npz", "history.csv", "checkpoint.npz", "report.html"):
        assert (run / name).is_file(), name
    pngs = sorted(p.stem for p in (run / "plots").glob("*.png"))
    assert pngs == ["confusion_matrix", "learning_curves", "misclassified", "samples", "weights"]
    history = (run / "history.csv").read_text().splitlines()
    assert history[0].startswith("epoch,loss,accuracy") and len(history) == 41
    check_self_contained(run / "report.html", len(pngs))
    # 64*256 + 256*256 + 256*10 multiply-adds per digit, in the report's summary
    assert "Multiply-adds per sample (forward): 84,480" in (run / "report.html").read_text()
    # The saved model carries its preprocessing: evaluate takes the raw test set.
    evaluated = mlpkit("evaluate", run / "model.npz", "--dataset", "optdigits")
    assert evaluated.returncode == 0
    assert f"accuracy {metrics['test']['accuracy']:.6f}" in evaluated.stdout


def check_self_contained(path, n_images):
    page = path.read_text()
    assert not re.search(r"(src|href)=\"(?!data:)", page)  # nothing fetched from elsewhere
    assert "http://" not in page and "https://" not in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == n_images
    assert all(base64.b64decode(data)[:4] == b"\x89PNG" for data in images)


def test_moons_run_draws_regions_and_the_network(tmp_path):
    result = mlpkit(
        "run",
        "moons-mlp",
        "--quiet",
        "--set",
        "train.epochs=5",
        "--seed",
        "3",
        "--out",
        tmp_path / "run",
    )
    assert result.returncode == 0, result.stderr
    pngs = {p.stem for p in (tmp_path / "run" / "plots").glob("*.png")}
    assert {"decision_regions", "network_output", "network", "learning_curves"} <= pngs
    config = (tmp_path / "run" / "config.toml").read_text()
    assert "epochs = 5" in config and "seed = 3" in config


def test_progress_lines_when_not_a_terminal(tmp_path):
    result = mlpkit(
        "run",
        "moons-mlp",
        "--set",
        "train.epochs=3",
        "--set",
        "report.plots=false",
        "--out",
        tmp_path / "run",
    )
    assert result.returncode == 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("epoch ")]
    assert [line.split()[1] for line in lines] == ["1/3", "2/3", "3/3"]
    assert "loss" in lines[0] and "acc" in lines[0]


@pytest.fixture
def blobs_csv(tmp_path):
    X, y = mk.datasets.make_blobs(n_samples=150, centers=3, seed=0)
    names = np.array(["red", "green", "blue"])[y]
    rows = ["x1,x2,colour"] + [f"{a:.4f},{b:.4f},{c}" for (a, b), c in zip(X, names, strict=True)]
    path = tmp_path / "blobs.csv"
    path.write_text("\n".join(rows) + "\n")
    inputs = tmp_path / "inputs.csv"
    inputs.write_text("\n".join(["x1,x2"] + [f"{a:.4f},{b:.4f}" for a, b in X[:10]]) + "\n")
    return path, inputs, names


def test_users_csv_then_predict_and_evaluate(tmp_path, blobs_csv):
    path, inputs, names = blobs_csv
    run = tmp_path / "run"
    result = mlpkit(
        "run",
        "--data",
        path,
        "--target",
        "colour",
        "--quiet",
        "--out",
        run,
        "--set",
        "model.hidden=[8]",
        "--set",
        "train.epochs=30",
    )
    assert result.returncode == 0, result.stderr
    predicted = mlpkit("predict", run / "model.npz", inputs)
    assert predicted.returncode == 0, predicted.stderr
    lines = predicted.stdout.splitlines()
    assert lines[0] == "prediction" and lines[1:] == list(names[:10])
    proba = mlpkit("predict", run / "model.npz", inputs, "--proba")
    header, *rows = proba.stdout.splitlines()
    assert header == "blue,green,red"
    np.testing.assert_allclose([sum(map(float, r.split(","))) for r in rows], 1, rtol=1e-5)
    evaluated = mlpkit("evaluate", run / "model.npz", "--data", path, "--target", "colour")
    assert re.search(r"accuracy 1\.0+", evaluated.stdout)


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["run", "nosuchrecipe"], "unknown recipe 'nosuchrecipe'; built-in recipes are"),
        (["run", "--set", "train.lr=1"], "unknown key 'train.lr'; valid keys are"),
        (["run", "--set", "train.optimizer=adagrad"], "unknown train.optimizer 'adagrad'"),
        (["run", "--set", "model.activation=swish"], "unknown activation 'swish'"),
        (["run", "--target", "y"], "--target goes with --data"),
        (["run", "--resume", "."], "is not a run folder: it has no config.toml"),
        (["evaluate", "nothing.npz", "--dataset", "optdigits"], "no model file at nothing.npz"),
        (["datasets", "--bogus"], None),
    ],
)
def test_bad_usage_is_one_line(tmp_path, args, pattern):
    result = mlpkit(*args, cwd=tmp_path)
    if pattern is None:  # argparse's own usage error
        assert result.returncode == 2 and "unrecognized arguments" in result.stderr
        return
    assert_one_line_error(result, pattern)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ("x1,x2\n1,2\n", r"has no column 'colour'"),
        ("x1,colour\nabc,red\n", r"line 2, column 'x1': 'abc' is not a number"),
        ("x1,colour\nnan,red\n", r"line 2, column 'x1' is empty or NaN"),
    ],
)
def test_bad_user_data_is_one_line(tmp_path, content, pattern):
    path = tmp_path / "data.csv"
    path.write_text(content)
    result = mlpkit("run", "--data", path, "--target", "colour", "--quiet", cwd=tmp_path)
    assert_one_line_error(result, pattern)


def test_corrupt_files_are_one_line(tmp_path, blobs_csv):
    _, inputs, _ = blobs_csv
    model = tmp_path / "model.npz"
    model.write_bytes(b"PK\x03\x04 truncated zip")
    assert_one_line_error(mlpkit("predict", model, inputs), "is not a mlpkit model file")
    data = tmp_path / "data" / "mnist"
    data.mkdir(parents=True)
    images = np.zeros((10, 28, 28), np.uint8)
    header = bytes([0, 0, 8, 3]) + np.array(images.shape, ">u4").tobytes()
    (data / "train-images-idx3-ubyte.gz").write_bytes((header + images.tobytes())[:-50])
    for name in (
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ):
        (data / name).write_bytes(b"junk")
    result = mlpkit(
        "run", "mnist-mlp", "--quiet", cwd=tmp_path, env={"MLPKIT_DATA": str(tmp_path / "data")}
    )
    # Damaged files are caught by their pinned SHA-256 before they are parsed.
    assert_one_line_error(
        result, r"train-images-idx3-ubyte.gz has SHA-256 .* it was changed or damaged"
    )


def test_missing_data_offline_names_the_folder(tmp_path):
    env = {"MLPKIT_DATA": str(tmp_path / "empty"), "MLPKIT_OFFLINE": "1"}
    result = mlpkit("run", "mnist-mlp", "--quiet", cwd=tmp_path, env=env)
    assert_one_line_error(result, r"train-images-idx3-ubyte.gz is not in .*empty/mnist; put it")


def test_recipes_and_datasets_and_download():
    listed = mlpkit("recipes")
    assert listed.returncode == 0 and re.search(
        r"^optdigits-mlp +UCI optdigits", listed.stdout, re.M
    )
    datasets = mlpkit("datasets")
    assert re.search(r"^optdigits +64 +10 +yes +inside the package", datasets.stdout, re.M)
    assert re.search(r"^mnist +784 +10 +(yes|no) ", datasets.stdout, re.M)
    download = mlpkit("download", "optdigits")
    assert download.returncode == 0 and "needs no download: it is bundled" in download.stdout


def test_gradcheck_command():
    result = mlpkit("gradcheck", "moons-mlp", "--entries", "10")
    assert result.returncode == 0, result.stderr
    assert re.search(r"^passed: largest relative error \d\.\d\de-\d\d", result.stdout, re.M)
    assert "0.W" in result.stdout and "4.b" in result.stdout


LONG_RUN = [
    "run",
    "optdigits-mlp",
    "--quiet",
    "--set",
    "train.epochs=14",
    "--set",
    "report.plots=false",
    "--set",
    "train.batch_size=16",
]


def start(run_dir):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.Popen(
        [sys.executable, "-m", "mlpkit", *LONG_RUN, "--out", str(run_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for_checkpoint(run_dir, epochs, process):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        path = run_dir / "checkpoint.npz"
        if path.is_file() and load_checkpoint(path).epochs_done >= epochs:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("no checkpoint appeared")


def weights(path):
    return mk.load(path).get_weights()


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("full") / "run"
    result = mlpkit(*LONG_RUN, "--out", run_dir)
    assert result.returncode == 0, result.stderr
    return run_dir


def test_sigkill_then_resume_gives_the_uninterrupted_weights(tmp_path, uninterrupted):
    run_dir = tmp_path / "run"
    process = start(run_dir)
    wait_for_checkpoint(run_dir, 3, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (run_dir / "model.npz").exists()  # killed: only the checkpoint is there
    done = load_checkpoint(run_dir / "checkpoint.npz").epochs_done
    assert 3 <= done < 14
    result = mlpkit("run", "--resume", run_dir, "--quiet")
    assert result.returncode == 0, result.stderr
    expected = weights(uninterrupted / "model.npz")
    for key, value in weights(run_dir / "model.npz").items():
        np.testing.assert_array_equal(value, expected[key])
    resumed = json.loads((run_dir / "metrics.json").read_text())
    assert resumed["epochs_run"] == 14 and resumed["status"] == "finished"
    assert (run_dir / "history.csv").read_text().count("\n") == 15


def test_ctrl_c_stops_writes_everything_and_resumes(tmp_path, uninterrupted):
    run_dir = tmp_path / "run"
    process = start(run_dir)
    wait_for_checkpoint(run_dir, 2, process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert f"mlpkit run --resume {run_dir}" in stderr
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["status"] == "interrupted" and metrics["epochs_run"] >= 2
    assert (run_dir / "model.npz").is_file() and (run_dir / "report.html").is_file()
    result = mlpkit("run", "--resume", run_dir, "--quiet")
    assert result.returncode == 0, result.stderr
    expected = weights(uninterrupted / "model.npz")
    for key, value in weights(run_dir / "model.npz").items():
        np.testing.assert_array_equal(value, expected[key])


MNIST_PRESENT = os.environ.get("MLPKIT_DATA") and mk.datasets.get_info("mnist").present()


@pytest.mark.skipif(not MNIST_PRESENT, reason="MNIST not found: set MLPKIT_DATA to hold mnist/")
def test_mnist_two_epochs_end_to_end(tmp_path):
    result = mlpkit(
        "run", "mnist-mlp", "--set", "train.epochs=2", "--quiet", "--out", tmp_path / "run"
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["epochs_run"] == 2 and metrics["test"]["accuracy"] > 0.95
    assert metrics["valid"]["accuracy"] > 0.95
    check_self_contained(tmp_path / "run" / "report.html", 5)


def test_python_m_mlpkit_cli_reaches_every_command(tmp_path):
    """`python -m mlpkit.cli` runs main() after every command function is defined."""
    result = subprocess.run(
        [sys.executable, "-m", "mlpkit.cli", "search", "--show", str(tmp_path / "none.sqlite")],
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
        timeout=120,
    )
    assert_one_line_error(result, r"--show: no search database at .*none\.sqlite")


def test_a_recipe_of_layer_tables_runs(tmp_path):
    result = mlpkit(
        "run", "optdigits-layers", "--set", "train.epochs=5", "--out", tmp_path / "run", "--quiet"
    )
    assert result.returncode == 0, result.stderr
    network = mk.load(tmp_path / "run" / "model.npz")
    assert network.input_shape == (8, 8, 1) and network.n_parameters == 1210
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] > 0.85
    resumed = mlpkit("run", "--resume", tmp_path / "run", "--quiet")  # config.toml reads back
    assert resumed.returncode == 0, resumed.stderr


def test_a_bad_layer_table_is_one_line(tmp_path):
    result = mlpkit(
        "run",
        "optdigits-layers",
        "--set",
        "model.layers=[{type = 'conv3d'}]",
        "--out",
        tmp_path / "run",
    )
    assert_one_line_error(result, r"model\.layers\[0\]: unknown layer type 'conv3d'; valid types")
    assert not (tmp_path / "run").exists()


SMALL_CNN_RECIPE = """
description = "a small CNN on optdigits images"
[data]
name = "optdigits"
preprocess = "rescale01"
[model]
input_shape = [8, 8, 1]
layers = [{type = "conv2d", filters = 4, kernel_size = 3, padding = "same"}, {type = "relu"},
          {type = "batch_norm"}, {type = "max_pool2d"}, {type = "flatten"},
          {type = "dense", units = 10}, {type = "softmax"}]
[train]
optimizer = "adam"
learning_rate = 0.01
epochs = 3
"""


def test_gradcheck_of_a_convolutional_recipe(tmp_path):
    path = tmp_path / "cnn.toml"
    path.write_text(SMALL_CNN_RECIPE)
    result = mlpkit("gradcheck", path, "--samples", "4", "--entries", "8")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0.W " in result.stdout and "2.gamma" in result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith("passed")
    assert_one_line_error(mlpkit("gradcheck", path, "--entries", "0"), "at least 1")


NUMBA_PRESENT = importlib.util.find_spec("numba") is not None
BACKENDS = [
    "numpy",
    pytest.param(
        "numba", marks=pytest.mark.skipif(not NUMBA_PRESENT, reason="numba is not installed")
    ),
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_killed_cnn_run_resumes_to_the_uninterrupted_weights_and_moving_statistics(
    tmp_path, backend
):
    """Bitwise the same weights after SIGKILL and --resume, on each backend (conv, ReLU,
    BatchNorm, max pooling and Adam all run their kernels on numba's)."""
    recipe = tmp_path / "cnn.toml"
    recipe.write_text(SMALL_CNN_RECIPE.replace("epochs = 3", "epochs = 8\nbatch_size = 16"))
    args = [recipe, "--quiet", "--set", "report.plots=false"]
    env = {"MLPKIT_KERNELS": backend}
    full = mlpkit("run", *args, "--out", tmp_path / "full", env=env)
    assert full.returncode == 0, full.stderr
    metrics = json.loads((tmp_path / "full" / "metrics.json").read_text())
    assert metrics["versions"]["kernels"] == backend
    run_dir = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-m", "mlpkit", "run", *map(str, args), "--out", str(run_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg", **env},
    )
    wait_for_checkpoint(run_dir, 2, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 2 <= load_checkpoint(run_dir / "checkpoint.npz").epochs_done < 8
    resumed = mlpkit("run", "--resume", run_dir, "--quiet", env=env)
    assert resumed.returncode == 0, resumed.stderr
    expected = weights(tmp_path / "full" / "model.npz")
    found = weights(run_dir / "model.npz")
    assert "2.moving_mean" in found and "2.moving_variance" in found
    assert found.keys() == expected.keys()
    for key, value in found.items():
        np.testing.assert_array_equal(value, expected[key])
    # A saved CNN predicts from a CSV of raw pixels (its preprocessing travels with it).
    data = mk.datasets.load("optdigits")
    csv_path = tmp_path / "digits.csv"
    header = ",".join(f"p{i}" for i in range(64))
    np.savetxt(csv_path, data.X_test[:20], delimiter=",", header=header, comments="", fmt="%g")
    predicted = mlpkit("predict", run_dir / "model.npz", csv_path)
    assert predicted.returncode == 0, predicted.stderr
    network = mk.load(run_dir / "model.npz")
    expected_labels = network.predict(network.preprocessor.transform(data.X_test[:20]))
    assert predicted.stdout.split()[1:] == [network.classes[k] for k in expected_labels]


def test_the_final_figures_say_they_are_evaluated_unlike_the_epoch_lines(tmp_path, capsys):
    """A CNN's last epoch line (96.7%, training mode) and its summary (90.4%) disagreed
    without a word of why."""
    from mlpkit import cli

    out = tmp_path / "run"
    assert cli.main(["run", "e4-moons", "--set", "train.epochs=2", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    note = next(i for i, line in enumerate(lines) if line.startswith("the final weights"))
    assert "evaluated (dropout off, batch norm on its moving statistics)" in lines[note]
    assert "epoch lines' loss and acc are means over each epoch's batches" in lines[note]
    assert lines[note + 1].startswith("train  loss")
    report = (out / "report.html").read_text()
    assert "<caption>The final weights, evaluated" in report


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_run_names_its_kernel_backend_first_and_records_it(backend, tmp_path):
    if backend == "numba":
        pytest.importorskip("numba", reason="the numba backend needs numba")
    out = tmp_path / "run"
    result = mlpkit(
        "run", "e4-moons", "--set", "train.epochs=2", "--set", "report.plots=false",
        "--out", out, env={"MLPKIT_KERNELS": backend},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith(f"kernels: {backend} (")
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["versions"]["kernels"] == backend
    if (Path(__file__).parents[1] / ".git").exists() and shutil.which("git"):
        # a checkout: the record names the commit that made it
        assert re.fullmatch(r"[0-9a-f]{7,}(\+dirty)?", metrics["versions"]["commit"])
    assert f"kernels {backend}" in (out / "report.html").read_text()


def test_an_unknown_kernel_backend_is_a_one_line_error_before_any_work(tmp_path):
    result = mlpkit("run", "--out", tmp_path / "run", env={"MLPKIT_KERNELS": "gpu"})
    assert_one_line_error(result, r"MLPKIT_KERNELS must be 'numba' or 'numpy'.*'gpu'")
    assert not (tmp_path / "run").exists()
