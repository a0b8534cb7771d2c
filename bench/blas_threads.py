"""Does one BLAS thread beat two for the matrix products of small batches?

Times every product of a training step (forward ``X @ W``, weight gradient
``X.T @ dY``, input gradient ``dY @ W.T``) of 784-100-10 and 784-256-256-10
at batch 32 and 128, float32, with NumPy's BLAS limited to 1 and to 2
threads (threadpoolctl), then a whole mlpkit epoch each way. mlpkit keeps
NumPy's default (all cores) unless this shows a gain.

    python bench/blas_threads.py
"""

from __future__ import annotations

import numpy as np
from _common import machine_header, markdown_table, median_time, mnist
from threadpoolctl import threadpool_limits

import mlpkit as mk

LAYERS = [(784, 100), (100, 10), (784, 256), (256, 256), (256, 10)]


def product_times(batch: int, n_in: int, n_out: int) -> list[float]:
    """Microseconds of forward, weight-gradient and input-gradient products."""
    rng = np.random.default_rng(0)
    X = rng.random((batch, n_in), dtype=np.float32)
    W = rng.random((n_in, n_out), dtype=np.float32)
    dY = rng.random((batch, n_out), dtype=np.float32)
    G = np.empty_like(W)

    def repeat(function):
        return lambda: [function() for _ in range(100)]

    products = [lambda: X @ W, lambda: np.matmul(X.T, dY, out=G), lambda: dY @ W.T]
    return [median_time(repeat(f), 7) / 100 * 1e6 for f in products]


def epoch_time(X, y, sizes, batch) -> float:
    net = mk.mlp(sizes, hidden="relu", output="softmax", seed=0)
    optimizer, rng = mk.SGD(0.05), np.random.default_rng(0)
    times = [
        net.fit(X, y, optimizer=optimizer, epochs=1, batch_size=batch, seed=rng)["time"][0]
        for _ in range(4)
    ]
    return float(np.median(times[1:]))


def main() -> int:
    print(machine_header(), "\n")
    rows = []
    for batch in (32, 128):
        for n_in, n_out in LAYERS:
            cells = []
            for threads in (1, 2):
                with threadpool_limits(threads, user_api="blas"):
                    cells.append(product_times(batch, n_in, n_out))
            row = [f"{batch}", f"{n_in}x{n_out}"]
            row += [f"{one:.0f} / {two:.0f}" for one, two in zip(*cells, strict=True)]
            rows.append(row)
    header = ["batch", "W", "X @ W (us, 1 / 2 threads)", "X.T @ dY", "dY @ W.T"]
    print(markdown_table(header, rows), "\n")

    X, y, _, _, note = mnist()
    rows = []
    for sizes in ([784, 100, 10], [784, 256, 256, 10]):
        for batch in (32, 128):
            times = []
            for threads in (1, 2):
                with threadpool_limits(threads, user_api="blas"):
                    times.append(epoch_time(X, y, sizes, batch))
            rows.append(["-".join(map(str, sizes)), batch, f"{times[0]:.3f}", f"{times[1]:.3f}"])
    print(f"mlpkit epochs, SGD, {note}, median of 3 after a warm-up\n")
    print(markdown_table(["network", "batch", "1 thread (s)", "2 threads (s)"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
