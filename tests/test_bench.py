"""The benchmark scripts run (mlpkit alone, one small configuration): they must not rot.

Their timings are not checked here; they live in the bench output and
docs/PERFORMANCE.md.
"""

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
    out = run_bench("startup.py")
    assert "| python -c 'import mlpkit' |" in out and "| mlpkit --version |" in out


def test_sklearn_estimators_compares_both_libraries():
    pytest.importorskip("sklearn")
    out = run_bench("sklearn_estimators.py", "--quick", "--only", "optdigits", "--only", "diabetes")
    for library in ("mlpkit", "scikit-learn"):
        assert f"| optdigits | 64-100-10 | 4 | float64 | {library} | accuracy %" in out
        assert f"| diabetes | 10-32-1 | 10 | float64 | {library} | R² " in out
    assert out.count("| ratio mlpkit/sklearn |") == 2
