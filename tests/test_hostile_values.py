"""Hostile values (issue 26): sizes, counts and settings that trained to a wrong figure.

Each case here was accepted before its fix: ``data.test_size = 1.0`` was read as a
test set of one sample, ``report.images = -5`` drew ever more images, a shift as
large as the image and BatchNorm over a batch of one sample trained to chance.
"""

import numpy as np
import pytest

import mlpkit as mk
from helpers import one_line_error
from mlpkit import datasets, plots
from mlpkit.recipes import apply_overrides, load_recipe
from mlpkit.recipes.build import prepare_data
from mlpkit.recipes.ranges import RANGES, check_settings

X10, Y10 = np.zeros((10, 2)), np.arange(10) % 2


# --- test_size: a float is a fraction, an integer a count -----------------------------


@pytest.mark.parametrize("size", [1.0, 2.0, 10.0])
def test_a_whole_float_is_not_read_as_a_count(size):
    with pytest.raises(ValueError, match=rf"got {size}; for a count of {int(size)} write it"):
        datasets.train_test_split(X10, Y10, test_size=size)


@pytest.mark.parametrize(
    ("size", "fragment"),
    [
        (1, "gives 1 test and 9 training samples out of 10; each part needs at least 2"),
        (9, "gives 9 test and 1 training samples"),
        (0.05, "gives 0 test and 10 training samples"),
        (0, "as a count must be at least 1, got 0"),
        (-3, "as a count must be at least 1, got -3"),
        (-0.5, "must be a fraction in (0, 1) or an integer count, got -0.5"),
    ],
)
def test_a_split_that_leaves_a_class_out_of_a_part_is_refused(size, fragment):
    with pytest.raises(ValueError) as caught:
        datasets.train_test_split(X10, Y10, test_size=size)
    assert fragment in str(caught.value)


def test_without_stratifying_one_sample_a_part_is_enough():
    X_train, X_test, _, _ = datasets.train_test_split(X10, Y10, test_size=1, stratify=False)
    assert (len(X_train), len(X_test)) == (9, 1)


def test_a_recipe_keeps_an_integer_size_as_a_count_and_refuses_a_whole_float():
    config = apply_overrides(load_recipe("moons-mlp"), ["data.test_size=100"])
    assert config["data"]["test_size"] == 100 and isinstance(config["data"]["test_size"], int)
    assert prepare_data(config).X_test.shape[0] == 100
    config = apply_overrides(config, ["data.test_size=1.0"])
    with pytest.raises(ValueError, match=r"^data.test_size: test_size must be a fraction"):
        prepare_data(config)


@pytest.mark.parametrize(
    ("setting", "fragment"),
    [
        ("data.test_size=1.0", "data.test_size: test_size must be a fraction in (0, 1)"),
        ("data.test_size=1", "data.test_size: test_size gives 1 test and"),
        ("data.test_size=-3", "data.test_size must be above 0, got -3"),
        ("data.valid_size=1.0", "data.valid_size: valid_size must be a fraction in (0, 1)"),
        ("data.valid_size=-0.2", "data.valid_size must be at least 0, got -0.2"),
        ("data.train_subset=1", "data.train_subset must be 0 (all) or at least the number"),
    ],
)
def test_a_recipe_split_out_of_range_names_its_key(setting, fragment, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["run", "moons-mlp", "--set", setting, "--out", str(out)]
    assert fragment in one_line_error(argv, capsys)
    assert not out.exists()


# --- every numeric key has a range ----------------------------------------------------


# A value just outside each key's range (and a case at each open end).
OUTSIDE = {
    "report.images": [-5, 0, 401],
    "model.dropout": [-0.1, 1.0, 1.5],
    "model.init_param": [-1.0],
    "train.seed": [-3],
    "train.augment_rotate": [-1.0, 181.0],
    "train.epochs": [0],
    "train.checkpoint_every": [0],
}


@pytest.mark.parametrize(
    ("key", "value"), [(key, value) for key, values in OUTSIDE.items() for value in values]
)
def test_a_count_or_setting_out_of_range_is_refused_by_key(key, value, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["run", "optdigits-mlp", "--set", f"{key}={value}", "--out", str(out)]
    err = one_line_error(argv, capsys)
    assert f"{key} must be" in err and f"got {value}" in err
    assert not out.exists()


def test_every_numeric_key_has_a_range_and_the_defaults_lie_in_it():
    from mlpkit.recipes import DEFAULTS

    numeric = {
        f"{table}.{key}"
        for table, values in DEFAULTS.items()
        if isinstance(values, dict)
        for key, value in values.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }
    assert numeric == set(RANGES)
    check_settings(load_recipe("moons-mlp"))  # raises if a default is out of range


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_non_finite_setting_is_refused(value):
    config = apply_overrides(load_recipe("moons-mlp"), [f"model.dropout={value}"])
    with pytest.raises(ValueError, match="model.dropout must be a finite number"):
        check_settings(config)


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plots.image_grid(np.zeros((50, 4)), image_shape=(2, 2), n=-5),
        lambda: plots.first_layer_weights(mk.mlp([4, 3, 2]), image_shape=(2, 2), n_units=0),
        lambda: plots.misclassified(
            mk.mlp([4, 3, 2]),
            np.zeros((5, 4)),
            np.ones(5, int),
            images=np.zeros((5, 4)),
            image_shape=(2, 2),
            n=-1,
        ),
    ],
)
def test_a_plot_refuses_a_count_below_one(draw):
    with pytest.raises(ValueError, match=r"must be an integer >= 1, got -?\d"):
        draw()


# --- settings that train to chance without a word -------------------------------------


@pytest.mark.parametrize("shift", [4, 8, 100])
def test_a_shift_of_half_the_image_or_more_is_refused_by_key(shift, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["run", "optdigits-mlp", "--set", f"train.augment_shift={shift}", "--out", str(out)]
    err = one_line_error(argv, capsys)
    assert "train.augment_shift must be below 4, half the smaller side of 8x8" in err
    assert not out.exists()


def test_the_augmenters_refuse_a_shift_that_moves_the_image_out_of_view():
    with pytest.raises(ValueError, match="max_shift must be below 14, half the smaller side"):
        datasets.random_shifts((28, 28), 14)
    with pytest.raises(ValueError, match="max_shift must be below 3"):
        datasets.random_affine((6, 9), max_shift=3.0)
    datasets.random_shifts((28, 28), 13)  # below half: allowed


def batch_norm_network():
    layers = [mk.layers.Dense(8), mk.layers.BatchNorm(), mk.layers.ReLU(), mk.layers.Dense(2)]
    return mk.Network([*layers, mk.layers.Softmax()], input_shape=(2,), seed=0)


@pytest.mark.parametrize(
    ("n", "batch_size", "fragment"),
    [
        (20, 1, "batch_size=1 gives a batch of 1 sample, and layer 1 (BatchNorm over (8,))"),
        (21, 4, "batch_size=4 gives a batch of 1 sample (the last of 21 samples)"),
        (1, None, "batch_size=1 gives a batch of 1 sample"),
    ],
)
def test_batch_norm_over_a_batch_of_one_sample_is_refused(n, batch_size, fragment):
    X, y = datasets.make_moons(n_samples=40, seed=0)
    with pytest.raises(ValueError) as caught:
        batch_norm_network().fit(X[:n], y[:n], epochs=1, batch_size=batch_size)
    assert fragment in str(caught.value)


def test_batch_norm_over_feature_maps_takes_a_batch_of_one():
    """Each sample gives height x width values per channel: statistics exist (as in PyTorch)."""
    layers = [mk.layers.BatchNorm(), mk.layers.Flatten(), mk.layers.Dense(2), mk.layers.Softmax()]
    network = mk.Network(layers, input_shape=(3, 3, 2), seed=0)
    rng = np.random.default_rng(0)
    network.fit(rng.normal(size=(3, 3, 3, 2)), [0, 1, 0], epochs=1, batch_size=1)


def test_a_recipe_with_batch_norm_and_a_batch_of_one_names_the_key(tmp_path, capsys):
    recipe = tmp_path / "bn.toml"
    recipe.write_text(
        "[data]\nname = 'moons'\n[model]\nlayers = [{type = 'dense', units = 8}, "
        "{type = 'batchnorm'}, {type = 'relu'}, {type = 'dense', units = 2}, "
        "{type = 'softmax'}]\n[train]\nepochs = 1\nbatch_size = 7\n"
    )
    out = tmp_path / "out"
    err = one_line_error(["run", str(recipe), "--out", str(out)], capsys)
    assert "train.batch_size=7 gives a batch of 1 sample (the last of 750 samples)" in err
    assert not out.exists()
