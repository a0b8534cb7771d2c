"""Record or check the exact trained weights of three recipes (no numerical change).

    MLPKIT_DATA=/path/to/datasets python scripts/weights_digest.py          # check
    MLPKIT_DATA=/path/to/datasets python scripts/weights_digest.py --record # rewrite

Runs ``mlpkit run e4-moons --seed 0``, ``mlpkit run optdigits-mlp --seed 0``
and ``mlpkit run e5-mnist --set train.epochs=2 --seed 0`` in a temporary
folder and compares a SHA-256 of every trained weight array (dtype, shape
and bytes) with ``tests/data/weights_digest.json``. A refactoring of the
core must leave these bit for bit as they were. Bitwise results depend on
the BLAS kernels, so the file also records the machine's NumPy and OpenBLAS
core and thread count; ``tests/test_bitwise.py`` runs the same check when those match.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DIGEST_FILE = ROOT / "tests" / "data" / "weights_digest.json"
RUNS = {
    "e4-moons": ["train.seed=0"],
    "optdigits-mlp": ["train.seed=0"],
    "e5-mnist": ["train.epochs=2", "train.seed=0"],
}


def digest(weights: dict[str, np.ndarray]) -> dict[str, str]:
    """SHA-256 of each array's dtype, shape and bytes, by key."""
    result = {}
    for key in sorted(weights):
        array = np.ascontiguousarray(weights[key])
        hasher = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
        hasher.update(array.tobytes())
        result[key] = hasher.hexdigest()
    return result


def machine() -> dict[str, str]:
    """What bitwise results depend on: NumPy's version, the BLAS core it runs and its threads.

    The thread count matters as much as the core: OpenBLAS splits a product's
    sums among its threads, so one thread adds in another order than two.
    """
    info = {"numpy": np.__version__, "blas": "unknown", "blas_threads": "unknown"}
    try:
        from threadpoolctl import threadpool_info

        blas = [lib for lib in threadpool_info() if lib.get("user_api") == "blas"]
        if blas:
            info["blas"] = f"{blas[0].get('internal_api')} {blas[0].get('architecture')}"
            info["blas_threads"] = str(blas[0].get("num_threads"))
    except ImportError:
        pass
    return info


def trained_digest(recipe: str, overrides: list[str], folder: Path) -> dict[str, str]:
    """Run ``recipe`` into ``folder`` and return the digest of its saved weights."""
    from mlpkit import load, runs
    from mlpkit.recipes import apply_overrides, load_recipe

    config = apply_overrides(load_recipe(recipe), [*overrides, "report.plots=false"])
    runs.run(config, folder, quiet=True)
    network = load(folder / "model.npz")
    return digest(network.get_weights())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="rewrite the digest file")
    parser.add_argument("--only", nargs="*", default=list(RUNS), help="recipes to run")
    args = parser.parse_args(argv)
    if not args.only:
        parser.error("--only needs at least one recipe (without --only, all are run)")
    unknown = [recipe for recipe in args.only if recipe not in RUNS]
    if unknown:
        parser.error(f"--only names {unknown}, which have no recorded run; known: {list(RUNS)}")
    recorded = json.loads(DIGEST_FILE.read_text()) if DIGEST_FILE.is_file() else {}
    if not args.record and recorded.get("machine") != machine():
        print(f"note: recorded on {recorded.get('machine')}, this is {machine()}")
    found, failed = {}, False
    with tempfile.TemporaryDirectory() as tmp:
        for recipe in args.only:
            found[recipe] = trained_digest(recipe, RUNS[recipe], Path(tmp) / recipe)
            if not args.record:
                same = found[recipe] == recorded.get("runs", {}).get(recipe)
                failed |= not same
                print(f"{recipe}: {'same weights' if same else 'DIFFERENT weights'}")
    if args.record:
        recorded = {"machine": machine(), "runs": {**recorded.get("runs", {}), **found}}
        DIGEST_FILE.parent.mkdir(parents=True, exist_ok=True)
        DIGEST_FILE.write_text(json.dumps(recorded, indent=2) + "\n")
        print(f"wrote {DIGEST_FILE}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
