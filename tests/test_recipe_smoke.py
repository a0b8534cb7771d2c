"""Every built-in recipe runs a few epochs and its loss falls (full runs: docs/RESULTS.md).

Convolutional recipes train on a stratified sample of 512 rows (``data.train_subset``)
so that the whole set stays within CI's time.
"""

import pytest

from mlpkit import datasets, recipes, runs


@pytest.mark.parametrize("name", recipes.builtin_names())
def test_recipe_runs_and_loss_falls(tmp_path, name):
    config = recipes.load_recipe(name)
    info = datasets.get_info(config["data"]["name"])
    if not info.present():
        pytest.skip(f"{info.name} files not found: set MLPKIT_DATA to a folder holding them")
    overrides = ["train.epochs=2", "report.plots=false"]
    if any(layer.get("type") == "conv2d" for layer in config["model"]["layers"]):
        overrides.append("data.train_subset=512")
    config = recipes.apply_overrides(config, overrides)
    result = runs.run(config, tmp_path / "run", quiet=True)
    loss = result.history.loss
    assert result.status in ("finished", "stopped_early") and len(loss) >= 2
    assert loss[-1] < loss[0], loss
    assert (tmp_path / "run" / "model.npz").is_file()


def test_a_training_subset_is_stratified_and_sized(tmp_path):
    from mlpkit.recipes.build import prepare_data

    config = recipes.apply_overrides(
        recipes.load_recipe("optdigits-mlp"), ["data.train_subset=500"]
    )
    data = prepare_data(config)
    counts = sorted(int((data.y_train == k).sum()) for k in range(10))
    assert len(data.y_train) == 500 and counts[0] >= 49 and counts[-1] <= 51
    assert len(data.y_test) == 1797
