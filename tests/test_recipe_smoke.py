"""Every built-in recipe runs a few epochs and its loss falls (full runs: docs/RESULTS.md)."""

import pytest

from mlpkit import datasets, recipes, runs


@pytest.mark.parametrize("name", recipes.builtin_names())
def test_recipe_runs_and_loss_falls(tmp_path, name):
    config = recipes.load_recipe(name)
    info = datasets.get_info(config["data"]["name"])
    if not info.present():
        pytest.skip(f"{info.name} files not found: set MLPKIT_DATA to a folder holding them")
    config = recipes.apply_overrides(config, ["train.epochs=2", "report.plots=false"])
    result = runs.run(config, tmp_path / "run", quiet=True)
    loss = result.history.loss
    assert result.status in ("finished", "stopped_early") and len(loss) >= 2
    assert loss[-1] < loss[0], loss
    assert (tmp_path / "run" / "model.npz").is_file()
