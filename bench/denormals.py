"""What subnormal floats cost, and what flushing them saves.

Trains 784-256-256-10 on MNIST with momentum 0.9 (and Adam) at batch 32,
float32, on the numba kernels (which do the flushing; the NumPy references
never flush), twice in turns: with the kernels' flushing of tiny optimiser
state and weights (the default) and with it switched off. Prints seconds per epoch (median of 3
after a warm-up epoch) and the share of first-layer velocities that are
subnormal at the end.

    python bench/denormals.py
"""

from __future__ import annotations

import os
import statistics

import numpy as np
from _common import machine_header, markdown_table, mnist

import mlpkit as mk
from mlpkit.optimizers import Optimizer

EPOCHS = 4  # the first is a warm-up


def subnormal_share(values: np.ndarray) -> float:
    tiny = np.finfo(values.dtype).tiny
    return float(np.mean((values != 0) & (np.abs(values) < tiny)))


class NoFlush:
    """Switch the kernels' flushing off for one optimiser (the instance, not the class)."""

    def __init__(self, optimizer: Optimizer) -> None:
        flags = optimizer.flush_flags
        optimizer.flush_flags = lambda: dict.fromkeys(flags(), False)


def main() -> int:
    os.environ["MLPKIT_KERNELS"] = "numba"
    X, y, _, _, note = mnist()
    print(machine_header())
    print(f"Data: {note}; 784-256-256-10, batch 32, float32\n")
    rows = []
    for name, make in (
        ("momentum 0.9", lambda: mk.SGD(0.01, momentum=0.9)),
        ("adam", lambda: mk.Adam(0.001)),
    ):
        runs = {}
        for flush in (True, False):
            optimizer = make()
            if not flush:
                NoFlush(optimizer)
            network = mk.mlp([784, 256, 256, 10], hidden="relu", output="softmax", seed=0)
            runs[flush] = (network, optimizer, np.random.default_rng(0), [])
        for _ in range(EPOCHS):
            for network, optimizer, rng, times in runs.values():
                history = network.fit(X, y, optimizer=optimizer, epochs=1, batch_size=32, seed=rng)
                times.append(history["time"][0])
        for flush, (_, optimizer, _, times) in runs.items():
            slot = next(iter(optimizer.state["0.W"].values()))
            rows.append(
                [
                    name,
                    "on" if flush else "off",
                    f"{statistics.median(times[1:]):.3f}",
                    f"{subnormal_share(slot):.1%}",
                ]
            )
    print(markdown_table(["optimiser", "flushing", "s/epoch", "subnormal first-layer state"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
