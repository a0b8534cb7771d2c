"""class_weight="balanced" on an imbalanced set: the rare class's recall, with and without.

scikit-learn's digits (1797 8x8 images) with one class kept at 10% of its
samples (seeded), standardised inside each training fold; mlpkit.sklearn's
MLPClassifier with default settings (Adam, 200 iterations) fitted without
class weights and with ``class_weight="balanced"`` on the same folds:
stratified 5-fold cross-validation for seeds 0, 1 and 2 (the seed draws the
kept samples, shuffles the folds and seeds the estimator). Prints the rare
class's recall and the balanced accuracy, mean ± sd over the 15 folds.

    python bench/class_weight.py                  # digit 9 kept at 10%
    python bench/class_weight.py --rare 3 --keep 0.05
"""

from __future__ import annotations

import argparse
import statistics
import warnings

import numpy as np
from _common import machine_header, markdown_table
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlpkit.sklearn import MLPClassifier

SEEDS = (0, 1, 2)


def imbalanced(rare: int, keep: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Digits with ``keep`` of class ``rare``'s samples (drawn with ``seed``)."""
    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    rare_rows = np.flatnonzero(y == rare)
    kept = rng.choice(rare_rows, size=max(5, round(keep * len(rare_rows))), replace=False)
    rows = np.sort(np.concatenate([np.flatnonzero(y != rare), kept]))
    return X[rows], y[rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rare", type=int, default=9, help="the digit made rare (9)")
    parser.add_argument("--keep", type=float, default=0.1, help="fraction of it kept (0.1)")
    parser.add_argument("--max-iter", type=int, default=200, help="iterations (200)")
    args = parser.parse_args(argv)
    results: dict[str, dict[str, list[float]]] = {
        name: {"recall": [], "balanced": []} for name in ("unweighted", "balanced")
    }
    for seed in SEEDS:
        X, y = imbalanced(args.rare, args.keep, seed)
        folds = StratifiedKFold(5, shuffle=True, random_state=seed)
        for train, test in folds.split(X, y):
            for name, weights in (("unweighted", None), ("balanced", "balanced")):
                model = make_pipeline(
                    StandardScaler(),
                    MLPClassifier(class_weight=weights, max_iter=args.max_iter, random_state=seed),
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model.fit(X[train], y[train])
                predicted = model.predict(X[test])
                recall = recall_score(y[test], predicted, labels=[args.rare], average="macro")
                results[name]["recall"].append(100 * recall)
                results[name]["balanced"].append(100 * balanced_accuracy_score(y[test], predicted))
    print(machine_header())
    print(
        f"digits with class {args.rare} kept at {args.keep:.0%} ({len(y)} samples, "
        f"{np.sum(y == args.rare)} of them {args.rare}s); 5-fold CV x seeds {SEEDS}\n"
    )
    rows = []
    for name, figures in results.items():
        cells = [name]
        for key in ("recall", "balanced"):
            values = figures[key]
            cells.append(f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}")
        rows.append(cells)
    header = ["class_weight", f"recall of class {args.rare} %", "balanced accuracy %"]
    print(markdown_table(header, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
