"""Start-up times: ``import numpy``, ``import mlpkit``, ``mlpkit --version``, numba's share.

Each is a fresh interpreter, timed from outside (so the interpreter's own
start counts too), median of 15 runs; ``python -c pass`` is the floor. With
numba installed, two more rows time inside a fresh interpreter what the
kernel backend adds to a run's first step: ``import numba``, and the first
call of a kernel already in numba's on-disk cache (ReLU's, called once
before timing in another process so the cache is warm), which is numba
setting up its compiler's tables, not compiling.

    python bench/startup.py
    python bench/startup.py --runs 3     # a quick look
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import markdown_table

RUNS = 15  # the default of --runs


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def in_process_import(runs: int) -> float:
    """``import mlpkit`` timed inside a fresh interpreter (without its start-up)."""
    code = "import time; t = time.perf_counter(); import mlpkit; print(time.perf_counter() - t)"
    command = [sys.executable, "-c", code]
    outputs = [
        subprocess.run(command, check=True, capture_output=True, text=True) for _ in range(runs)
    ]
    return statistics.median(float(run.stdout) for run in outputs)


FIRST_KERNEL_CALL = """
import time
import numpy as np
import mlpkit
from mlpkit import kernels
start = time.perf_counter()
import numba
imported = time.perf_counter()
x = np.ones(8, np.float32)
kernels.load("activations").relu(x, np.empty_like(x))
print(imported - start, time.perf_counter() - imported)
"""


def numba_rows(runs: int) -> list[list]:
    """``import numba`` and the first cached kernel call, inside fresh interpreters."""
    command = [sys.executable, "-c", FIRST_KERNEL_CALL]
    subprocess.run(command, check=True, capture_output=True)  # fills numba's cache
    times = [
        subprocess.run(command, check=True, capture_output=True, text=True).stdout.split()
        for _ in range(runs)
    ]
    return [
        ["import numba, inside the interpreter", statistics.median(float(t[0]) for t in times)],
        ["first call of a cached kernel", statistics.median(float(t[1]) for t in times)],
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="fresh interpreters per row")
    runs = parser.parse_args(argv).runs
    if runs < 1:
        parser.error(f"--runs must be at least 1, got {runs}")
    script = shutil.which("mlpkit") or str(Path(sys.executable).parent / "mlpkit")
    python = [sys.executable, "-c"]
    rows = [
        ["python -c pass", median_seconds([*python, "pass"], runs)],
        ["python -c 'import numpy'", median_seconds([*python, "import numpy"], runs)],
        ["python -c 'import mlpkit'", median_seconds([*python, "import mlpkit"], runs)],
        ["import mlpkit, inside the interpreter", in_process_import(runs)],
        ["mlpkit --version", median_seconds([script, "--version"], runs)],
    ]
    if importlib.util.find_spec("numba") is not None:
        rows += numba_rows(runs)
    scipy = importlib.util.find_spec("scipy") is not None
    print(f"SciPy installed: {scipy} (numba imports scipy.linalg at its first call when it is)")
    print(f"Median of {runs} runs, seconds\n")
    print(markdown_table(["command", "seconds"], [[name, f"{t:.3f}"] for name, t in rows]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
