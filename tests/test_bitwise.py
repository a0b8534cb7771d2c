"""No numerical change: three recipes train bit for bit the weights recorded before a refactor.

Bitwise results depend on the BLAS kernels NumPy runs and on their thread
count, so the check skips on a machine whose NumPy version, OpenBLAS core or
BLAS thread count differs from the recorded one (``scripts/weights_digest.py``
says which).
"""

import json
import os
import sys
from pathlib import Path

import pytest

import mlpkit as mk

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import weights_digest  # noqa: E402

RECORDED = json.loads(weights_digest.DIGEST_FILE.read_text())


def _same_machine():
    if RECORDED["machine"] != weights_digest.machine():
        pytest.skip(
            f"weights recorded on {RECORDED['machine']}, this machine is "
            f"{weights_digest.machine()}: bitwise results need the same BLAS kernels"
            " and thread count"
        )


@pytest.mark.parametrize("recipe", ["e4-moons", "optdigits-mlp"])
def test_recipes_train_the_recorded_weights(recipe, tmp_path):
    _same_machine()
    found = weights_digest.trained_digest(recipe, weights_digest.RUNS[recipe], tmp_path / "run")
    assert found == RECORDED["runs"][recipe]


MNIST_PRESENT = bool(os.environ.get("MLPKIT_DATA")) and mk.datasets.get_info("mnist").present()


@pytest.mark.data
@pytest.mark.skipif(not MNIST_PRESENT, reason="MNIST not found: set MLPKIT_DATA to hold mnist/")
def test_e5_mnist_trains_the_recorded_weights(tmp_path):
    _same_machine()
    found = weights_digest.trained_digest("e5-mnist", weights_digest.RUNS["e5-mnist"], tmp_path)
    assert found == RECORDED["runs"]["e5-mnist"]
