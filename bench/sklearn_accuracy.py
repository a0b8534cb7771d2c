"""mlpkit.sklearn against scikit-learn on six small data sets, cross-validated.

The same pipeline (StandardScaler, then the MLP with scikit-learn's default
settings but the solver) for both libraries, on the same folds: 5-fold
cross-validation (stratified for the classifiers), repeated for seeds 0, 1
and 2 (the seed shuffles the folds and seeds the estimator), with Adam and with
L-BFGS. The libraries take turns fold by fold.

Classifiers: digits, breast cancer, iris, wine (accuracy). Regressors: a
synthetic regression (``make_regression``, 400 x 20, noise 10) and diabetes
(R²; the target standardised inside each training fold).

Prints each row's mean ± sd over the 15 fits and the median fit time.

    python bench/sklearn_accuracy.py              # about 10 minutes on 2 cores
    python bench/sklearn_accuracy.py --quick      # a smoke run
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
from _common import machine_header, markdown_table
from sklearn import datasets, neural_network
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlpkit.sklearn

SEEDS = (0, 1, 2)


def data_sets() -> list[tuple[str, str, np.ndarray, np.ndarray]]:
    """(name, task, X, y) of the six sets."""
    regression = datasets.make_regression(n_samples=400, n_features=20, noise=10.0, random_state=0)
    return [
        ("digits", "classify", *datasets.load_digits(return_X_y=True)),
        ("breast cancer", "classify", *datasets.load_breast_cancer(return_X_y=True)),
        ("iris", "classify", *datasets.load_iris(return_X_y=True)),
        ("wine", "classify", *datasets.load_wine(return_X_y=True)),
        ("regression", "regress", *regression),
        ("diabetes", "regress", *datasets.load_diabetes(return_X_y=True)),
    ]


def pipeline(library: str, task: str, solver: str, max_iter: int, seed: int):
    module = mlpkit.sklearn if library == "mlpkit" else neural_network
    if task == "classify":
        estimator = module.MLPClassifier(solver=solver, max_iter=max_iter, random_state=seed)
    else:
        regressor = module.MLPRegressor(solver=solver, max_iter=max_iter, random_state=seed)
        estimator = TransformedTargetRegressor(regressor, transformer=StandardScaler())
    return make_pipeline(StandardScaler(), estimator)


def cross_validate(task: str, X, y, solver: str, max_iter: int, folds: int) -> dict:
    """Scores and fit times of both libraries, fold by fold, for every seed."""
    results = {library: ([], []) for library in ("mlpkit", "scikit-learn")}
    for seed in SEEDS:
        splitter = (StratifiedKFold if task == "classify" else KFold)(
            folds, shuffle=True, random_state=seed
        )
        for train, test in splitter.split(X, y):
            for library, (scores, times) in results.items():
                model = clone(pipeline(library, task, solver, max_iter, seed))
                started = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model.fit(X[train], y[train])
                times.append(time.perf_counter() - started)
                scores.append(model.score(X[test], y[test]))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 folds, 5 iterations (a smoke run)")
    args = parser.parse_args(argv)
    folds, max_iter = (3, 5) if args.quick else (5, 200)
    print(machine_header())
    print(
        f"StandardScaler + MLP (hidden (100,), default settings, max_iter {max_iter});"
        f" {folds}-fold CV x seeds {SEEDS}: mean ± sd of the test scores, median fit time\n"
    )
    rows = []
    for name, task, X, y in data_sets():
        metric, scale = ("accuracy %", 100) if task == "classify" else ("R²", 1)
        for solver in ("adam", "lbfgs"):
            results = cross_validate(task, X, y, solver, max_iter, folds)
            cells = [name, f"{len(X)} x {X.shape[1]}", solver]
            for scores, times in results.values():
                mean, sd = scale * statistics.mean(scores), scale * statistics.stdev(scores)
                cells += [f"{mean:.2f} ± {sd:.2f}", f"{statistics.median(times):.3f}"]
            ratio = statistics.median(results["mlpkit"][1]) / statistics.median(
                results["scikit-learn"][1]
            )
            rows.append([*cells, metric, f"{ratio:.2f}"])
    header = ["data", "samples x features", "solver", "mlpkit score", "mlpkit fit s"]
    header += ["scikit-learn score", "scikit-learn fit s", "score", "time mlpkit/sklearn"]
    print(markdown_table(header, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
