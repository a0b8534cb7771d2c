"""Hostile state on resume and load (issue 26): what a run folder or model may hold.

Before these checks an edited ``config.toml`` was picked up by ``--resume``
(weights differing from the uninterrupted run), a checkpoint with a NaN
weight trained to the end and replaced a good ``model.npz`` with one
``mlpkit.load`` refuses, another optimiser's checkpoint gave an internal
error, and a BatchNorm with a negative moving variance loaded and predicted
one class.
"""

import json

import numpy as np
import pytest

import mlpkit as mk
from mlpkit.layers import BatchNorm, Dense, ReLU, Softmax
from mlpkit.recipes import apply_overrides, load_recipe
from mlpkit.runs import resume, run


@pytest.fixture(scope="module")
def momentum_run(tmp_path_factory):
    """A finished two-epoch e4-moons run with momentum (so its optimiser keeps state)."""
    config = apply_overrides(
        load_recipe("e4-moons"), ["train.epochs=2", "train.momentum=0.9", "report.images=4"]
    )
    out = tmp_path_factory.mktemp("runs") / "run"
    run(config, out, quiet=True)
    return out


@pytest.fixture
def run_copy(momentum_run, tmp_path):
    import shutil

    return shutil.copytree(momentum_run, tmp_path / "run")


def _rewrite(path, change):
    """Rewrite the ``.npz`` at ``path`` with ``change(arrays)`` applied to its members."""
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    change(arrays)
    np.savez(path, **arrays)


def test_an_edited_config_is_refused_naming_the_key(run_copy):
    config = run_copy / "config.toml"
    text = config.read_text()
    assert "learning_rate = 0.1\n" in text
    config.write_text(text.replace("learning_rate = 0.1\n", "learning_rate = 0.5\n"))
    model_before = (run_copy / "model.npz").read_bytes()
    with pytest.raises(ValueError, match=r"train\.learning_rate = 0\.1 then, 0\.5 now") as caught:
        resume(run_copy, quiet=True)
    assert "put the values back, or start a new run" in str(caught.value)
    assert (run_copy / "model.npz").read_bytes() == model_before


def test_an_unedited_run_resumes_and_an_older_checkpoint_without_its_recipe_too(run_copy):
    assert resume(run_copy, quiet=True).status == "finished"

    def forget_recipe(arrays):
        meta = json.loads(str(arrays["__meta__"]))
        del meta["recipe"]
        arrays["__meta__"] = np.array(json.dumps(meta))

    _rewrite(run_copy / "checkpoint.npz", forget_recipe)
    assert resume(run_copy, quiet=True).status == "finished"


@pytest.mark.parametrize("member", ["weights:0.W", "optimizer:2.b:velocity"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_checkpoint_with_a_non_finite_array_is_damaged_and_the_model_kept(run_copy, member, bad):
    def spoil(arrays):
        arrays[member] = arrays[member].copy()
        arrays[member].flat[0] = bad

    _rewrite(run_copy / "checkpoint.npz", spoil)
    model_before = (run_copy / "model.npz").read_bytes()
    with pytest.raises(ValueError, match=f"its array '{member}' holds NaN or infinite values"):
        resume(run_copy, quiet=True)
    assert (run_copy / "model.npz").read_bytes() == model_before
    mk.load(run_copy / "model.npz")  # still a good model


def test_another_optimisers_checkpoint_is_named_as_such(run_copy):
    def as_adam(arrays):
        for key in [k for k in arrays if k.endswith(":velocity")]:
            arrays[key.replace(":velocity", ":m")] = arrays[key]
            arrays[key.replace(":velocity", ":v")] = np.abs(arrays.pop(key))

    _rewrite(run_copy / "checkpoint.npz", as_adam)
    with pytest.raises(ValueError, match="holds m, v, but SGD keeps velocity") as caught:
        resume(run_copy, quiet=True)
    assert "written by another optimiser" in str(caught.value)


def test_optimiser_state_of_the_wrong_shape_or_parameter_is_refused(run_copy):
    def reshape(arrays):
        arrays["optimizer:0.W:velocity"] = arrays["optimizer:0.W:velocity"][:1]

    _rewrite(run_copy / "checkpoint.npz", reshape)
    with pytest.raises(ValueError, match=r"optimiser state 0.W:velocity has shape \(1, 100\)"):
        resume(run_copy, quiet=True)

    def stray(arrays):
        arrays["optimizer:9.W:velocity"] = arrays.pop("optimizer:0.W:velocity")

    _rewrite(run_copy / "checkpoint.npz", stray)
    with pytest.raises(ValueError, match="'9.W', a parameter the network lacks"):
        resume(run_copy, quiet=True)


def _batchnorm_model(path):
    network = mk.Network(
        [Dense(8), BatchNorm(), ReLU(), Dense(2), Softmax()], input_shape=3, seed=0
    )
    mk.save(network, path)
    return network


@pytest.mark.parametrize("bad", [-0.5, -1e-9])
def test_a_negative_moving_variance_is_refused_on_load(tmp_path, bad):
    path = tmp_path / "model.npz"
    _batchnorm_model(path)

    def spoil(arrays):
        arrays["1.moving_variance"] = arrays["1.moving_variance"].copy()
        arrays["1.moving_variance"][3] = bad

    _rewrite(path, spoil)
    with pytest.raises(ValueError, match=r"layer 1 \(BatchNorm\): moving_variance must be >= 0"):
        mk.load(path)


def test_set_weights_checks_every_layer_before_copying_any(tmp_path):
    network = _batchnorm_model(tmp_path / "model.npz")
    before = network.get_weights()
    weights = {key: value + 1 for key, value in before.items()}
    weights["1.moving_variance"] = -weights["1.moving_variance"]
    with pytest.raises(ValueError, match="channel 0 holds -2.0 \\(8 of 8 bad\\)"):
        network.set_weights(weights)
    for key, value in network.get_weights().items():
        np.testing.assert_array_equal(value, before[key])  # nothing half-copied


def test_a_negative_moving_variance_is_exit_2_from_predict(tmp_path, capsys):
    from helpers import one_line_error

    path = tmp_path / "model.npz"
    _batchnorm_model(path)
    _rewrite(path, lambda arrays: arrays.update({"1.moving_variance": -np.ones(8, "float32")}))
    inputs = tmp_path / "in.csv"
    inputs.write_text("a,b,c\n1,2,3\n")
    message = one_line_error(["predict", str(path), str(inputs)], capsys)
    assert "moving_variance must be >= 0" in message
