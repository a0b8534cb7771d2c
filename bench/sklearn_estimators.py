"""mlpkit.sklearn's estimators against scikit-learn's own, side by side.

The same constructor call for both (mlpkit.sklearn takes scikit-learn's
parameters): architecture, solver (Adam, learning rate 1e-3, or L-BFGS),
batch size, L2 (alpha) and number of iterations, on the same split and the
same scaled inputs; the two libraries take turns seed by seed. The
convergence test is switched off (``tol=0``, ``n_iter_no_change=epochs``) so
that both train for exactly ``epochs`` epochs (L-BFGS: at most that many
iterations).

- optdigits (bundled; official 3823/1797 split), 64-100-10, 200 epochs of
  Adam, and 200 iterations of L-BFGS;
- MNIST (from ``MLPKIT_DATA``, or random data of its shape), 784-100-10,
  20 epochs, float32 for both;
- scikit-learn's diabetes data (442 patients, 25% test), 10-32-1 regressor,
  inputs and target standardised with the training statistics, 500 epochs.

Prints test accuracy or R² (mean over seeds 0, 1, 2) and fit time (median).

    python bench/sklearn_estimators.py [--quick] [--only optdigits|mnist|diabetes]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
from _common import machine_header, markdown_table, mnist
from sklearn import neural_network
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlpkit.sklearn

SEEDS = (0, 1, 2)


def optdigits(dtype):
    from mlpkit import datasets

    data = datasets.load("optdigits")
    X_train, X_test = data.X_train.astype(dtype), data.X_test.astype(dtype)
    return X_train, data.y_train, X_test, data.y_test


def mnist_data(dtype):
    X_train, y_train, X_test, y_test, note = mnist(dtype)
    print(f"MNIST: {note}")
    return X_train, y_train, X_test, y_test


def diabetes(dtype):
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    return X_train.astype(dtype), y_train, X_test.astype(dtype), y_test


def model(library: str, task: str, hidden: tuple[int, ...], epochs: int, solver: str, seed: int):
    """The estimator of ``library`` with the shared settings, inputs standardised."""
    module = mlpkit.sklearn if library == "mlpkit" else neural_network
    cls = module.MLPClassifier if task == "classify" else module.MLPRegressor
    estimator = cls(
        hidden_layer_sizes=hidden,
        solver=solver,
        batch_size=200,
        alpha=1e-4,
        learning_rate_init=1e-3,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs,
        random_state=seed,
    )
    if task == "regress":
        estimator = TransformedTargetRegressor(estimator, transformer=StandardScaler())
    return make_pipeline(StandardScaler(), estimator)


def compare(name, load, task, hidden, epochs, dtype, solver) -> list[list[object]]:
    X_train, y_train, X_test, y_test = load(dtype)
    results = {library: ([], []) for library in ("mlpkit", "scikit-learn")}
    for seed in SEEDS:
        for library, (scores, times) in results.items():
            estimator = model(library, task, hidden, epochs, solver, seed)
            started = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                estimator.fit(X_train, y_train)
            times.append(time.perf_counter() - started)
            scores.append(estimator.score(X_test, y_test))
    metric = "accuracy %" if task == "classify" else "R²"
    scale = 100 if task == "classify" else 1
    shape = "-".join(map(str, [X_train.shape[1], *hidden, 1 if task == "regress" else 10]))
    rows = []
    for library, (scores, times) in results.items():
        rows.append(
            [
                name,
                shape,
                solver,
                epochs,
                np.dtype(dtype).name,
                library,
                f"{metric} {scale * statistics.mean(scores):.2f} ± "
                f"{scale * statistics.stdev(scores):.2f}",
                f"{statistics.median(times):.2f}",
            ]
        )
    ratio = statistics.median(results["mlpkit"][1]) / statistics.median(results["scikit-learn"][1])
    rows.append(
        [
            name,
            shape,
            solver,
            epochs,
            np.dtype(dtype).name,
            "ratio mlpkit/sklearn",
            "",
            f"{ratio:.2f}",
        ]
    )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few epochs each (a smoke run)")
    parser.add_argument("--only", choices=["optdigits", "mnist", "diabetes"], action="append")
    args = parser.parse_args()
    quick = 0.02 if args.quick else 1
    cases = [
        ("optdigits", optdigits, "classify", (100,), 200, np.float64, "adam"),
        ("optdigits", optdigits, "classify", (100,), 200, np.float64, "lbfgs"),
        ("MNIST", mnist_data, "classify", (100,), 20, np.float32, "adam"),
        ("diabetes", diabetes, "regress", (32,), 500, np.float64, "adam"),
    ]
    print(machine_header())
    print(
        f"Adam lr 1e-3 or L-BFGS, batch 200, alpha 1e-4; scores on the test split, mean ± sd over "
        f"seeds {SEEDS}; fit time median, seconds\n"
    )
    rows = []
    for name, load, task, hidden, epochs, dtype, solver in cases:
        if args.only and name.lower() not in args.only:
            continue
        rows += compare(name, load, task, hidden, max(1, int(epochs * quick)), dtype, solver)
    header = ["data", "network", "solver", "epochs", "dtype", "library", "test score", "fit s"]
    print(markdown_table(header, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
