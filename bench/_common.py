"""What every benchmark shares: the data, the machine's description, the sgemm
peak, and timing helpers.

Run the scripts from the project root, e.g. ``python bench/epoch_speed.py``;
they need the ``bench`` extra (PyTorch CPU and scikit-learn).
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def mnist(dtype=np.float32) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """MNIST scaled to [0, 1] from ``MLPKIT_DATA``, or random data of its shape.

    Returns ``X_train (60000, 784), y_train (60000,), X_test (10000, 784), y_test``
    and a sentence saying which data it is.
    """
    from mlpkit import datasets

    try:
        data = datasets.load("mnist", download=False)
    except (FileNotFoundError, OSError, ValueError) as error:
        rng = np.random.default_rng(0)
        X = rng.random((70000, 784), dtype=np.float32)
        X[:, np.arange(784) % 28 < 2] = 0  # MNIST's always-blank border, which matters here
        y = rng.integers(0, 10, 70000)
        note = f"random data of MNIST's shape (real MNIST not found: {error})"
        return X[:60000].astype(dtype), y[:60000], X[60000:].astype(dtype), y[60000:], note
    scale = dtype(1 / 255)
    X_train = data.X_train.reshape(len(data.X_train), -1).astype(dtype) * scale
    X_test = data.X_test.reshape(len(data.X_test), -1).astype(dtype) * scale
    return X_train, data.y_train, X_test, data.y_test, "real MNIST from MLPKIT_DATA"


def cpu_model() -> str:
    """The CPU's model name, from /proc/cpuinfo where it exists."""
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_description() -> str:
    """NumPy's BLAS library, version, kernel and threads, as threadpoolctl reports them."""
    from threadpoolctl import threadpool_info

    parts = []
    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            parts.append(
                f"{pool.get('internal_api')} {pool.get('version')} "
                f"({pool.get('architecture')}, {pool.get('num_threads')} threads, "
                f"{os.path.basename(pool.get('filepath', ''))})"
            )
    return "; ".join(parts) or "unknown"


def sgemm_peak(threads: int = 2, size: int = 2048, repeats: int = 7) -> float:
    """Measured float32 matrix-product speed in GFLOP/s: the best of ``repeats``.

    The best, not the median: the peak is what the machine can do, and a
    higher peak makes every "% of peak" figure smaller, never flattering.
    """
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    A = rng.random((size, size), dtype=np.float32)
    B = rng.random((size, size), dtype=np.float32)
    C = np.empty_like(A)
    times = []
    with threadpool_limits(threads, user_api="blas"):
        np.matmul(A, B, out=C)  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            np.matmul(A, B, out=C)
            times.append(time.perf_counter() - start)
    return 2 * size**3 / min(times) / 1e9


def peak_rss_bytes() -> int:
    """This process's peak resident memory so far.

    Linux's ``VmHWM`` belongs to the process's own address space; ``ru_maxrss``
    would also count the parent's memory at the fork (it survives ``exec``).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def median_time(function: Callable[[], object], repeats: int) -> float:
    """The median wall time of ``repeats`` calls of ``function``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def median_ms(run: Callable[[], object], repeats: int) -> float:
    """Milliseconds: the median of ``repeats`` calls after one warm-up call."""
    run()
    return 1e3 * median_time(run, repeats)


def ratio_table(timings: dict[str, float], reference: str, header: list[str]) -> str:
    """A Markdown table of ``timings`` (ms): name, time, ratio to ``timings[reference]``."""
    base = timings[reference]
    rows = [[name, f"{ms:.1f}", f"{ms / base:.2f}"] for name, ms in timings.items()]
    return markdown_table(header, rows)


def machine_header() -> str:
    """Lines describing where the numbers were measured."""
    import numpy

    return "\n".join(
        [
            f"CPU: {cpu_model()} ({os.cpu_count()} logical cores)",
            f"Python {platform.python_version()}, NumPy {numpy.__version__}",
            f"NumPy's BLAS: {blas_description()}",
        ]
    )


def add_malloc_option(parser: Any) -> None:
    """``--default-malloc``: leave glibc's malloc as it starts, adaptive thresholds and all."""
    parser.add_argument(
        "--default-malloc",
        action="store_true",
        help="do not pin glibc's malloc thresholds (the mlpkit command pins them for itself)",
    )


def set_malloc(default: bool) -> str:
    """Pin glibc's malloc thresholds for this whole process unless ``default``; say which.

    Pinned is how the ``mlpkit`` command runs (``mlpkit.kernels.keep_freed_memory``).
    Every library timed in the process runs with the same allocator either way.
    """
    from mlpkit import kernels

    if default:
        return "malloc: glibc's defaults (adaptive thresholds), for every library"
    if kernels.keep_freed_memory():
        return "malloc: freed memory kept (mlpkit.kernels.keep_freed_memory()), for every library"
    return "malloc: the system's (not glibc: nothing to pin)"


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    """A Markdown table; floats are printed as given (format them first)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def median_epochs(trainers: dict[str, Any], epochs: int) -> dict[str, float]:
    """Median seconds per epoch of each trainer (``trainer.epoch() -> seconds``).

    One warm-up epoch each (first-touch memory, BLAS threads, reused buffers),
    then the trainers take turns epoch by epoch, so that a change in the
    machine's load hits all of them alike.
    """
    for trainer in trainers.values():
        trainer.epoch()
    times: dict[str, list[float]] = {name: [] for name in trainers}
    for _ in range(epochs):
        for name, trainer in trainers.items():
            times[name].append(trainer.epoch())
    return {name: statistics.median(values) for name, values in times.items()}


def speed_table(
    results: list[dict],
    libraries: list[str],
    peak: float,
    n_samples: int,
    unit: str = "samples",
    digits: int = 3,
) -> tuple[list[str], list[list[str]]]:
    """Header and rows: seconds per library, mlpkit's throughput and % of peak, the ratios.

    Each result holds ``config`` (its name), ``seconds`` (per library) and
    ``gflop`` (the work of one epoch).
    """
    header = ["configuration"] + [f"{name} s/epoch" for name in libraries]
    if "mlpkit" in libraries:
        header += [f"mlpkit {unit}/s", "mlpkit GFLOP/s (% of peak)"]
        header += [f"mlpkit / {name}" for name in libraries if name != "mlpkit"]
    rows = []
    for result in results:
        seconds = result["seconds"]
        row = [result["config"]] + [f"{seconds[name]:.{digits}f}" for name in libraries]
        mine = seconds.get("mlpkit")
        if mine is not None:
            speed = result["gflop"] / mine
            row += [f"{n_samples / mine:,.0f}", f"{speed:.0f} ({speed / peak:.0%})"]
            row += [f"{mine / seconds[name]:.2f}" for name in libraries if name != "mlpkit"]
        rows.append(row)
    return header, rows


def mlpkit_epoch(network: Any, X: np.ndarray, y: np.ndarray, optimizer: Any, batch, rng) -> float:
    """One epoch of ``network.fit``; the seconds its History records (no validation)."""
    history = network.fit(
        X, y, loss="cross_entropy", optimizer=optimizer, epochs=1, batch_size=batch, seed=rng
    )
    return history["time"][0]


def torch_epoch(model: Any, optimizer: Any, X: Any, y: Any, batch: int) -> float:
    """One epoch of a plain PyTorch loop over ``randperm`` batches, in seconds."""
    import torch

    model.train()
    start = time.perf_counter()
    order = torch.randperm(len(X))
    for i in range(0, len(X), batch):
        index = order[i : i + batch]
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X[index]), y[index])
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start
