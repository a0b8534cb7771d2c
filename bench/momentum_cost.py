"""What momentum 0.9 costs over plain SGD in mlpkit, and the share of the
sgemm peak that 784-256-256-10 reaches at batch 128.

The configurations being compared take turns epoch by epoch (and the sgemm
peak is measured between epochs), so that the shared machine's load drifts
alike over both; figures are medians of 5 epochs after a warm-up.

    python bench/momentum_cost.py
"""

from __future__ import annotations

import itertools
import statistics

import numpy as np
from _common import machine_header, markdown_table, mnist, sgemm_peak

import mlpkit as mk

EPOCHS = 5


def trainer(sizes: list[int], momentum: float, X: np.ndarray, y: np.ndarray, batch: int):
    network = mk.mlp(sizes, hidden="relu", output="softmax", init="he_uniform", seed=0)
    optimizer = mk.SGD(0.01, momentum=momentum) if momentum else mk.SGD(0.05)
    rng = np.random.default_rng(0)

    def epoch() -> float:
        history = network.fit(X, y, optimizer=optimizer, epochs=1, batch_size=batch, seed=rng)
        return history["time"][0]

    return epoch


def main() -> int:
    X, y, _, _, note = mnist()
    print(machine_header())
    print(f"Data: {note}; float32; median of {EPOCHS} epochs after a warm-up\n")
    rows = []
    for sizes in ([784, 100, 10], [784, 256, 256, 10]):
        for batch in (32, 128):
            runs = {m: (trainer(sizes, m, X, y, batch), []) for m in (0.0, 0.9)}
            for run, _ in runs.values():
                run()
            for _ in range(EPOCHS):
                for run, times in runs.values():
                    times.append(run())
            plain, heavy = (statistics.median(runs[m][1]) for m in (0.0, 0.9))
            name = "-".join(map(str, sizes))
            rows.append([name, batch, f"{plain:.3f}", f"{heavy:.3f}", f"{heavy / plain - 1:+.0%}"])
    print(markdown_table(["network", "batch", "SGD s/epoch", "momentum s/epoch", "cost"], rows))

    sizes, batch = [784, 256, 256, 10], 128
    epoch, times, peaks = trainer(sizes, 0.0, X, y, batch), [], []
    epoch()
    for _ in range(EPOCHS):
        peaks.append(sgemm_peak(threads=2))
        times.append(epoch())
    peaks.append(sgemm_peak(threads=2))
    n_weights = sum(a * b + b for a, b in itertools.pairwise(sizes))
    seconds, peak = statistics.median(times), max(peaks)
    speed = 6 * n_weights * len(X) / seconds / 1e9
    print(f"\n784-256-256-10, batch 128, SGD: {seconds:.3f} s/epoch, {speed:.0f} GFLOP/s")
    print(f"= {speed / peak:.0%} of the best sgemm peak measured between its epochs")
    print(f"({peak:.0f} GFLOP/s; median {statistics.median(peaks):.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
