"""Start-up times: ``import numpy``, ``import mlpkit``, ``mlpkit --version``.

Each is a fresh interpreter, timed from outside (so the interpreter's own
start counts too), median of 15 runs; ``python -c pass`` is the floor.

    python bench/startup.py
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import markdown_table

RUNS = 15


def median_seconds(command: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def in_process_import() -> float:
    """``import mlpkit`` timed inside a fresh interpreter (without its start-up)."""
    code = "import time; t = time.perf_counter(); import mlpkit; print(time.perf_counter() - t)"
    command = [sys.executable, "-c", code]
    runs = [
        subprocess.run(command, check=True, capture_output=True, text=True) for _ in range(RUNS)
    ]
    return statistics.median(float(run.stdout) for run in runs)


def main() -> int:
    script = shutil.which("mlpkit") or str(Path(sys.executable).parent / "mlpkit")
    rows = [
        ["python -c pass", median_seconds([sys.executable, "-c", "pass"])],
        ["python -c 'import numpy'", median_seconds([sys.executable, "-c", "import numpy"])],
        ["python -c 'import mlpkit'", median_seconds([sys.executable, "-c", "import mlpkit"])],
        ["import mlpkit, inside the interpreter", in_process_import()],
        ["mlpkit --version", median_seconds([script, "--version"])],
    ]
    print(f"Median of {RUNS} runs, seconds\n")
    print(markdown_table(["command", "seconds"], [[name, f"{t:.3f}"] for name, t in rows]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
