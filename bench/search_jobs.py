"""The README's search example with one worker and with two, timed.

Runs ``mlpkit search optdigits-mlp`` over the README's 3 x 3 grid (learning
rate x hidden width) with 2 seeds, once with ``--jobs 1`` and once with
``--jobs 2``, each into a fresh database, ``--repeats`` times taking turns,
and prints the median wall times and whether every search ranked the
settings identically:

    python bench/search_jobs.py                 # the README's figures
    python bench/search_jobs.py --epochs 2      # a quick look
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import machine_header, markdown_table

GRID = ["--grid", "train.learning_rate=0.01,0.1,0.3", "--grid", "model.hidden=16,36,64"]


def search(jobs: int, epochs: int, folder: Path) -> tuple[float, str]:
    """Wall seconds of one search and the ranked table it printed."""
    db = folder / f"jobs{jobs}.sqlite"
    command = [sys.executable, "-m", "mlpkit", "search", "optdigits-mlp", *GRID, "--seeds", "2"]
    command += ["--jobs", str(jobs), "--db", str(db), "--set", f"train.epochs={epochs}"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    table = [line for line in done.stdout.splitlines() if line.startswith("|")]
    return seconds, "\n".join(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=40, help="epochs per trial (40)")
    parser.add_argument("--repeats", type=int, default=3, help="searches per worker count (3)")
    args = parser.parse_args(argv)
    print(machine_header())
    print(f"mlpkit search optdigits-mlp, 3 x 3 grid, 2 seeds: 18 trials of {args.epochs} epochs")
    print(f"median of {args.repeats} searches each, taking turns\n")
    times: dict[int, list[float]] = {1: [], 2: []}
    tables = set()
    for _ in range(args.repeats):
        for jobs in times:
            with tempfile.TemporaryDirectory() as work:
                seconds, table = search(jobs, args.epochs, Path(work))
            times[jobs].append(seconds)
            tables.add(table)
    one = statistics.median(times[1])
    rows = []
    for jobs, runs in times.items():
        median = statistics.median(runs)
        shown = ", ".join(f"{s:.1f}" for s in runs)
        rows.append([f"--jobs {jobs}", f"{median:.1f}", shown, f"{median / one:.2f}"])
    print(markdown_table(["workers", "median wall s", "each run", "/ one worker"], rows))
    print(f"\nranked tables identical: {'yes' if len(tables) == 1 else 'no'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
