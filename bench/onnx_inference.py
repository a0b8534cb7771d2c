"""Inference: mlpkit's ``predict`` against onnxruntime on the same exported networks.

Two networks, built from their recipes with the weights a seed draws (the
time of a forward pass does not depend on the values): ``e3-cnn`` (the Keras
CNN of the notMNIST experiment: conv 32 3x3 'same', BatchNorm, max-pool 2,
dense 6272-784, dense 10) and ``better-mnist`` (784-800-10 ReLU with dropout),
each with the recipe's preprocessing (pixels 0..255 to [0, 1]) saved with it.
Each is exported with ``mlpkit.export_onnx`` and run by onnxruntime's CPU
provider on 2 threads; mlpkit applies its preprocessing and predicts in the
same process. Both take the same raw MNIST test images (or random pixels of
their shape when MNIST is absent).

- ``10000 rows``: seconds to label the 10,000 test images, the median of
  ``--repeats`` alternated runs;
- ``1 row``: milliseconds per single-image call, the median of 200;
- ``--chunk N`` hands onnxruntime the rows N at a time (mlpkit's ``predict``
  chunks by itself, to bound its memory); by default it gets them in one call;
- onnxruntime's threads do not spin between calls (its default does, which
  on 2 cores slows the other library's turn);
- ``peak MB``: the rise of the peak resident memory over what the process held
  before the 10,000-image call, each library and network in a fresh process.

    python bench/onnx_inference.py            # ~1 min on 2 cores
    python bench/onnx_inference.py --repeats 1 --only better-mnist
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import machine_header, markdown_table, peak_rss_bytes

NETWORKS = ("e3-cnn", "better-mnist")
LIBRARIES = ("mlpkit", "onnxruntime")


def network_of(recipe: str):
    """The recipe's network on 28x28 images, its preprocessing fitted to pixels 0..255."""
    from mlpkit import datasets, recipes
    from mlpkit.recipes.build import build_network

    config = recipes.load_recipe(recipe)
    network = build_network(config, 784, 10)
    network.preprocessor = datasets.Preprocessor("rescale01", (0.0, 255.0))
    return network


def raw_images(n: int) -> tuple[np.ndarray, str]:
    """``n`` MNIST test images as raw float32 rows of 784 pixels, and what they are."""
    from mlpkit import datasets

    try:
        X = datasets.load("mnist", download=False).X_test[:n]
        return X.reshape(len(X), -1).astype(np.float32), "MNIST test images"
    except (FileNotFoundError, OSError, ValueError):
        rng = np.random.default_rng(0)
        return rng.integers(0, 256, (n, 784)).astype(np.float32), "random pixels"


CHUNK = 0  # rows per onnxruntime call; 0: all at once (--chunk)


def predictor(library: str, recipe: str, folder: str):
    """A function from raw rows to labels, for ``library``."""
    network = network_of(recipe)
    if library == "mlpkit":
        return lambda X: network.predict(network.preprocessor.transform(X))
    import onnxruntime as ort

    from mlpkit import export_onnx

    path = export_onnx(network, Path(folder) / f"{recipe}.onnx")
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 2, 1
    # onnxruntime's threads otherwise spin for a while after each call, and on 2 cores
    # they take the cores from whatever runs next: with spinning, e3-cnn's single-row
    # times were 1.59 ms (mlpkit) and 1.45 ms (onnxruntime), without 0.82 and 0.91 ms
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(X: np.ndarray) -> np.ndarray:
        step = CHUNK or len(X)
        parts = [
            session.run(["label"], {"input": X[i : i + step]})[0] for i in range(0, len(X), step)
        ]
        return np.concatenate(parts)

    return run


def timings(recipe: str, X: np.ndarray, repeats: int) -> dict[str, tuple[float, float]]:
    """Per library: (seconds for all rows, median ms per single row), alternated."""
    with tempfile.TemporaryDirectory() as folder:
        runs = {library: predictor(library, recipe, folder) for library in LIBRARIES}
        labels = {library: run(X[:500]) for library, run in runs.items()}  # warm-up
        agree = float(np.mean(labels["mlpkit"] == labels["onnxruntime"]))
        whole: dict[str, list[float]] = {library: [] for library in LIBRARIES}
        single: dict[str, list[float]] = {library: [] for library in LIBRARIES}
        for _ in range(repeats):
            for library, run in runs.items():
                start = time.perf_counter()
                run(X)
                whole[library].append(time.perf_counter() - start)
        for i in range(200):
            for library, run in runs.items():
                start = time.perf_counter()
                run(X[i : i + 1])
                single[library].append(1e3 * (time.perf_counter() - start))
    if agree < 1.0:
        print(f"warning: {recipe}: the libraries' labels agree on {agree:.1%} of 500 rows")
    return {
        library: (statistics.median(whole[library]), statistics.median(single[library]))
        for library in LIBRARIES
    }


def memory_child(library: str, recipe: str, images: str, chunk: str) -> float:
    """MB the peak resident memory rises while ``library`` labels the images."""
    global CHUNK
    CHUNK = int(chunk)
    X = np.load(images)
    with tempfile.TemporaryDirectory() as folder:
        run = predictor(library, recipe, folder)
        run(X[:64])
        before = peak_rss_bytes()
        run(X)
        return (peak_rss_bytes() - before) / 2**20


def peak_memory(library: str, recipe: str, images: str) -> float:
    command = [sys.executable, __file__, "--memory-child", library, recipe, images, str(CHUNK)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return float(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=NETWORKS, help="one network")
    parser.add_argument("--rows", type=int, default=10000, help="rows labelled (10000)")
    parser.add_argument("--repeats", type=int, default=5, help="alternated runs (5)")
    parser.add_argument("--chunk", type=int, default=0, help="onnxruntime's rows per call")
    parser.add_argument("--memory-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    global CHUNK
    CHUNK = args.chunk
    if args.memory_child:
        print(json.dumps(memory_child(*args.memory_child)))
        return 0
    import onnxruntime

    X, what = raw_images(args.rows)
    print(machine_header())
    calls = f"{CHUNK} rows per call" if CHUNK else "all rows in one call"
    runtime = f"onnxruntime {onnxruntime.__version__} (CPU provider, 2 threads, {calls})"
    print(f"{runtime}; {len(X)} {what}\n")
    header = ["network"] + [
        f"{library} {column}"
        for column in (f"{len(X)} rows (s)", "1 row (ms)", "peak MB")
        for library in LIBRARIES
    ]
    header.insert(3, "ratio")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        images = f"{folder}/images.npy"
        np.save(images, X)
        for recipe in args.only or NETWORKS:
            times = timings(recipe, X, args.repeats)
            memory = {library: peak_memory(library, recipe, images) for library in LIBRARIES}
            (m_all, m_one), (o_all, o_one) = times["mlpkit"], times["onnxruntime"]
            rows.append(
                [recipe, f"{m_all:.3f}", f"{o_all:.3f}", f"{m_all / o_all:.2f}x"]
                + [f"{m_one:.2f}", f"{o_one:.2f}"]
                + [f"{memory[library]:.0f}" for library in LIBRARIES]
            )
    print(markdown_table(header, rows))
    print(
        f"\nratio: mlpkit's time over onnxruntime's, {len(X)} rows (above 1: onnxruntime is faster)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
