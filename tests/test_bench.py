"""The benchmark scripts run (mlpkit alone, one small configuration): they must not rot.

Their timings are not checked here; they live in the bench output and
docs/PERFORMANCE.md.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"

pytest.importorskip("threadpoolctl")


def run_bench(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(BENCH / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
def test_epoch_speed_prints_a_table_for_mlpkit_alone():
    out = run_bench(
        "epoch_speed.py",
        "--libraries",
        "mlpkit",
        "--only",
        "784-100-10 full sgd",
        "--only",
        "float32",
        "--epochs",
        "1",
    )
    assert "Measured sgemm peak" in out
    rows = [line for line in out.splitlines() if line.startswith("| 784-100-10 full sgd float32")]
    assert len(rows) == 1
    seconds = float(rows[0].split("|")[2])
    assert seconds > 0


def test_startup_prints_the_import_times():
    out = run_bench("startup.py", "--runs", "2")
    assert "| python -c 'import mlpkit' |" in out and "| mlpkit --version |" in out
    assert "Median of 2 runs" in out
    if importlib.util.find_spec("numba") is not None:  # numba's own share of a run's start
        assert "| import numba, inside the interpreter |" in out
        assert "| first call of a cached kernel |" in out


def test_sklearn_estimators_compares_both_libraries():
    pytest.importorskip("sklearn")
    out = run_bench("sklearn_estimators.py", "--quick", "--only", "optdigits", "--only", "diabetes")
    for library in ("mlpkit", "scikit-learn"):
        for solver in ("adam", "lbfgs"):
            assert (
                f"| optdigits | 64-100-10 | {solver} | 4 | float64 | {library} | accuracy %" in out
            )
        assert f"| diabetes | 10-32-1 | adam | 10 | float64 | {library} | R² " in out
    assert out.count("| ratio mlpkit/sklearn |") == 3


@pytest.mark.slow
def test_cnn_speed_prints_training_and_inference_tables():
    pytest.importorskip("torch", reason="the CNN benchmark compares with PyTorch")
    out = run_bench(
        "cnn_speed.py", "--images", "64", "--epochs", "1", "--only", "e3", "--only", "b128"
    )
    assert "Measured sgemm peak" in out
    for optimizer in ("momentum", "adam"):
        rows = [line for line in out.splitlines() if line.startswith(f"| e3 b128 {optimizer} |")]
        assert len(rows) == 1
        mlpkit_seconds, torch_seconds = (float(cell) for cell in rows[0].split("|")[2:4])
        assert mlpkit_seconds > 0 and torch_seconds > 0
    inference = [line for line in out.splitlines() if line.startswith(("| e3 |", "| conv |"))]
    assert len(inference) == 2
    assert all(float(line.split("|")[3]) > 0 for line in inference)  # mlpkit's memory rise


@pytest.mark.slow
def test_e3_training_compares_whole_trainings(monkeypatch):
    pytest.importorskip("torch", reason="the benchmark compares with PyTorch")
    from mlpkit.datasets import get_info

    if not get_info("notmnist").present():
        pytest.skip("the notMNIST sample is not here: set MLPKIT_DATA")
    out = run_bench("e3_training.py", "--epochs", "1", "--letters", "64", "--threads", "1")
    rows = {line.split()[0]: line.split() for line in out.splitlines()[-3:-1]}
    assert rows.keys() == {"mlpkit", "pytorch"}
    for cells in rows.values():
        assert float(cells[1]) > 0 and 0 <= float(cells[5].rstrip("%")) <= 100
    assert out.splitlines()[-1].startswith("mlpkit / pytorch time: ")


@pytest.mark.slow
def test_kernels_sets_each_kernel_against_its_reference_and_pytorch():
    pytest.importorskip("torch")
    pytest.importorskip("numba")
    out = run_bench("kernels.py", "--rows", "64", "--columns", "32", "--repeats", "2")
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ") for line in out.splitlines()}
    for name in ("sgd", "momentum", "nesterov", "adam", "rmsprop"):
        assert name in rows, out
        reference, kernel, torch, _, *ratios = (cell.strip(" |") for cell in rows[name][1:])
        assert min(float(reference), float(kernel), float(torch)) >= 0, rows[name]
        assert all(float(ratio) > 0 for ratio in ratios), rows[name]


@pytest.mark.slow
def test_conv_floor_sets_numpy_products_against_the_pytorch_layer():
    pytest.importorskip("torch")
    out = run_bench("conv_floor.py", "--batch", "2", "--repeats", "1")
    rows = {line.split(" | ")[0].lstrip("| "): line for line in out.splitlines()}
    assert "NumPy: the three products together" in rows, out
    assert rows["PyTorch conv2d forward + backward"].rstrip(" |").endswith("1.00")


@pytest.mark.slow
def test_search_jobs_times_one_worker_against_two():
    out = run_bench("search_jobs.py", "--epochs", "1", "--repeats", "1")
    rows = {line.split(" | ")[0].lstrip("| "): line for line in out.splitlines()}
    assert "--jobs 1" in rows and "--jobs 2" in rows, out
    assert rows["--jobs 1"].rstrip(" |").endswith("1.00")
    assert out.splitlines()[-1] == "ranked tables identical: yes"


@pytest.mark.slow
def test_class_weight_compares_unweighted_and_balanced():
    pytest.importorskip("sklearn")
    out = run_bench("class_weight.py", "--max-iter", "2")
    rows = [
        line
        for line in out.splitlines()
        if line.startswith("| unweighted") or line.startswith("| balanced")
    ]
    assert len(rows) == 2 and all(row.count("±") == 2 for row in rows), out


@pytest.mark.slow
def test_sklearn_accuracy_prints_every_data_set_and_solver():
    pytest.importorskip("sklearn")
    out = run_bench("sklearn_accuracy.py", "--quick")
    for name in ("digits", "breast cancer", "iris", "wine", "regression", "diabetes"):
        for solver in ("adam", "lbfgs"):
            assert f"| {name} |" in out and f"| {solver} |" in out, (name, solver)
    assert out.count("| accuracy % |") == 8 and out.count("| R² |") == 4


@pytest.mark.slow
def test_onnx_inference_prints_both_libraries_side_by_side():
    pytest.importorskip("onnxruntime", reason="the ONNX benchmark runs onnxruntime")
    out = run_bench("onnx_inference.py", "--rows", "300", "--repeats", "1")
    assert "| network | mlpkit 300 rows (s) | onnxruntime 300 rows (s) | ratio |" in out
    for network in ("e3-cnn", "better-mnist"):
        (row,) = [line for line in out.splitlines() if line.startswith(f"| {network} |")]
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert float(cells[1]) > 0 and float(cells[2]) > 0 and cells[3].endswith("x")
    assert "agree on" not in out  # the two libraries label the rows alike
