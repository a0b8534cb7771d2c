"""``mlpkit export`` on a run folder, and the file used where mlpkit is not installed.

The consumer is a separate Python process that sees onnxruntime and NumPy (and
what they need) but not mlpkit: it starts without site-packages (``-S``), and its
path is a folder linking every installed package but mlpkit's own entries.
"""

import csv
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import mlpkit as mk
from mlpkit import datasets, recipes, runs

pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")

CONSUMER = """
import csv, json, sys
import importlib.util
assert importlib.util.find_spec("mlpkit") is None, "mlpkit is importable here"
import numpy as np
import onnxruntime as ort

session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
meta = session.get_modelmeta().custom_metadata_map
with open(sys.argv[2], newline="") as file:
    rows = list(csv.reader(file))[1:]
X = np.array(rows, dtype=np.float32)
label, probabilities = session.run(["label", "probabilities"], {"input": X})
names = json.loads(meta["classes"]) if "classes" in meta else None
print(json.dumps({
    "labels": [names[i] if names else str(i) for i in label.tolist()],
    "rows_sum_to_one": bool(np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)),
    "recipe": meta.get("recipe"),
}))
"""


def mlpkit(*args):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    command = [sys.executable, "-m", "mlpkit", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


def site_without_mlpkit(folder: Path) -> Path:
    """A folder linking every entry of site-packages except mlpkit's own."""
    folder.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        lowered = entry.name.lower()
        if "mlpkit" in lowered or entry.suffix == ".pth":
            continue
        (folder / entry.name).symlink_to(entry)
    return folder


@pytest.mark.parametrize("name", ["better-optdigits-cnn", "optdigits-mlp"])
def test_exported_run_gives_predicts_labels_without_mlpkit(tmp_path, name):
    config = recipes.apply_overrides(
        recipes.load_recipe(name),
        ["train.epochs=1", "report.plots=false", "data.train_subset=300"],
    )
    run_dir = tmp_path / "run"
    runs.run(config, run_dir, quiet=True)
    X = datasets.load(config["data"]["name"]).X_test[:400].reshape(400, -1)
    inputs = tmp_path / "inputs.csv"
    with inputs.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([f"x{i}" for i in range(X.shape[1])])
        writer.writerows(X.tolist())

    exported = mlpkit("export", run_dir, tmp_path / "model.onnx")
    assert exported.returncode == 0, exported.stderr
    assert "wrote" in exported.stdout and (tmp_path / "model.onnx").stat().st_size > 1000
    predicted = mlpkit("predict", run_dir, inputs)
    assert predicted.returncode == 0, predicted.stderr
    expected = predicted.stdout.split()[1:]  # after the header "prediction"

    site = site_without_mlpkit(tmp_path / "site")
    script = tmp_path / "consumer.py"
    script.write_text(CONSUMER)
    env = {"PYTHONPATH": str(site), "PATH": os.environ.get("PATH", "")}
    consumer = subprocess.run(
        [sys.executable, "-S", str(script), str(tmp_path / "model.onnx"), str(inputs)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert consumer.returncode == 0, consumer.stderr
    result = json.loads(consumer.stdout)
    assert result["labels"] == expected and len(expected) == 400
    assert result["rows_sum_to_one"] and result["recipe"] == name


def test_export_errors_are_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    result = mlpkit("export", tmp_path / "empty", tmp_path / "out.onnx")
    assert result.returncode == 2 and "without a model.npz" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out.onnx").exists()
    result = mlpkit("export", tmp_path / "missing.npz", tmp_path / "out.onnx")
    assert result.returncode == 2 and "missing.npz" in result.stderr
    model = tmp_path / "m.npz"
    mk.save(mk.mlp([3, 2], output="softmax", seed=0), model)
    result = mlpkit("export", model, tmp_path / "out.onnx", "--opset", "5")
    assert result.returncode == 2 and "opset must be an int from 13" in result.stderr, result
    assert not (tmp_path / "out.onnx").exists()
