"""Recipes: built-ins load, overrides apply, bad keys and values are named."""

import json
import tomllib

import numpy as np
import pytest

import mlpkit as mk
from mlpkit import recipes
from mlpkit.recipes import RecipeError, apply_overrides, load_recipe, to_toml


@pytest.mark.parametrize("name", recipes.builtin_names())
def test_every_builtin_recipe_loads_with_a_description(name):
    config = load_recipe(name)
    assert config["name"] == name
    assert config["description"]
    assert set(config) == set(recipes.DEFAULTS) | {"name"}


def test_defaults_fill_what_a_recipe_leaves_out(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text("[train]\nepochs = 3\n")
    config = load_recipe(path)
    assert config["name"] == "mine" and config["train"]["epochs"] == 3
    assert config["model"] == recipes.DEFAULTS["model"]


def test_overrides():
    config = apply_overrides(
        load_recipe("moons-mlp"),
        [
            "train.learning_rate=0.3",
            "train.optimizer=adam",
            "model.hidden=[4, 4]",
            "data.options.noise=0.3",
            "train.nesterov=true",
        ],
    )
    assert config["train"]["learning_rate"] == 0.3
    assert config["train"]["optimizer"] == "adam"  # a bare word is read as text
    assert config["model"]["hidden"] == [4, 4]
    assert config["data"]["options"] == {"n_samples": 2000, "noise": 0.3}
    assert config["train"]["nesterov"] is True


def test_an_int_is_accepted_for_a_float():
    config = apply_overrides(load_recipe("moons-mlp"), ["train.learning_rate=1"])
    assert config["train"]["learning_rate"] == 1.0


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("train.learnig_rate=0.1", r"unknown key 'train.learnig_rate'; valid keys are train.loss"),
        ("model.hidden=3", r"model.hidden must be list, got 3"),
        ("train.epochs=2.5", r"train.epochs must be int, got 2.5"),
        ("traine.epochs=1", r"unknown key 'traine'; valid keys are description, data"),
        ("epochs", r"--set takes key=value, got 'epochs'"),
    ],
)
def test_bad_overrides(override, message):
    with pytest.raises(RecipeError, match=message):
        apply_overrides(load_recipe("moons-mlp"), [override])


def test_unknown_recipe_lists_the_builtins():
    with pytest.raises(
        RecipeError,
        match="unknown recipe .mnist.; built-in recipes are better-digits20, .*mnist-mlp",
    ):
        load_recipe("mnist")


def test_bad_toml(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[train\nepochs = 3")
    with pytest.raises(RecipeError, match="broken.toml is not valid TOML"):
        load_recipe(path)


@pytest.mark.parametrize("name", recipes.builtin_names())
def test_to_toml_round_trips(tmp_path, name):
    config = load_recipe(name)
    text = to_toml(config)
    tomllib.loads(text)  # valid TOML
    path = tmp_path / "again.toml"
    path.write_text(text)
    assert load_recipe(path) == config


def test_merge_valid_trains_on_train_and_valid():
    from mlpkit.recipes.build import prepare_data

    split = apply_overrides(
        load_recipe("optdigits-mlp"), ["data.valid_size=500", "data.preprocess=standardize"]
    )
    merged = apply_overrides(split, ["data.merge_valid=true"])
    apart, together = prepare_data(split), prepare_data(merged)
    assert together.X_valid is None and together.y_valid is None
    assert len(together.X_train) == len(apart.X_train) + len(apart.X_valid) == 3823
    # The same digits, validation ones appended, and preprocessing fitted on all of them.
    assert sorted(together.y_train) == sorted([*apart.y_train, *apart.y_valid])
    assert abs(together.X_train.mean(axis=0)).max() < 1e-4
    assert (together.X_test.shape, together.y_test.tolist()) == (
        apart.X_test.shape,
        apart.y_test.tolist(),
    )


def test_merge_valid_without_a_validation_split_is_an_error():
    from mlpkit.recipes.build import prepare_data

    config = apply_overrides(load_recipe("optdigits-mlp"), ["data.merge_valid=true"])
    with pytest.raises(ValueError, match="merge_valid = true needs a validation split"):
        prepare_data(config)


LAYERS_RECIPE = """
[model]
input_shape = [8, 8, 1]
[[model.layers]]
type = "flatten"
[[model.layers]]
type = "dense"
units = 16
[[model.layers]]
type = "relu"
[[model.layers]]
type = "dense"
units = 10
[[model.layers]]
type = "softmax"
"""


def layers_config(tmp_path, text=LAYERS_RECIPE, overrides=()):
    path = tmp_path / "layers.toml"
    path.write_text(text)
    return apply_overrides(load_recipe(path), list(overrides))


def test_model_layers_build_the_network_they_list(tmp_path):
    from mlpkit.recipes.build import build_network

    config = layers_config(tmp_path, overrides=["model.init=he_uniform"])
    assert config["model"]["layers"][1] == {"type": "dense", "units": 16}
    net = build_network(config, n_features=64, n_classes=10)
    assert net.input_shape == (8, 8, 1) and net.n_parameters == 1210
    assert [type(layer).__name__ for layer in net.layers] == [
        "Flatten",
        "Dense",
        "ReLU",
        "Dense",
        "Softmax",
    ]
    assert repr(net.layers[1].init) == repr(mk.initializers.he_uniform())  # model.init
    again = build_network(config, n_features=64, n_classes=10)
    np.testing.assert_array_equal(again.layers[1].params["W"], net.layers[1].params["W"])


def test_a_recipe_with_layers_survives_its_toml_round_trip(tmp_path):
    config = layers_config(tmp_path)
    assert tomllib.loads(to_toml(config))["model"] == config["model"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ['model.layers=[{type = "dens", units = 3}]'],
            r"model\.layers\[0\]: unknown layer type 'dens'; valid types are .*dense",
        ),
        (
            ['model.layers=[{type = "dense", units = 10, rate = 0.5}]'],
            r"model\.layers\[0\]: unknown argument 'rate' for layer type 'dense'; valid arguments "
            r"are units, init, bias_init",
        ),
        (["model.layers=[{units = 10}]"], r"model\.layers\[0\]: a layer must be a table"),
        (["model.hidden=[32]"], r"model\.layers lists every layer, so model\.hidden does not"),
        (["model.input_shape=[7, 7, 1]"], r"model\.input_shape \[7, 7, 1\] does not fit .* 64"),
        (
            ['model.layers=[{type = "flatten"}, {type = "dense", units = 12}]'],
            r"model\.layers end with 12 outputs, but the data has 10 classes.*units = 10",
        ),
        (
            ['model.layers=[{type = "dense", units = 10}]'],
            r"model\.layers: layer 0 \(Dense\) cannot take samples of shape \(8, 8, 1\).*Flatten",
        ),
        (
            ['model.layers=[{type = "dense", units = "ten"}]'],
            r"model\.layers\[0\]: units must be an integer, got str",
        ),
    ],
)
def test_bad_model_layers_are_named(tmp_path, change, message):
    from mlpkit.recipes.build import build_network

    config = layers_config(tmp_path, overrides=change)
    with pytest.raises((ValueError, TypeError), match=message):
        build_network(config, n_features=64, n_classes=10)


def test_input_shape_needs_model_layers():
    from mlpkit.recipes.build import build_network

    config = apply_overrides(load_recipe("optdigits-mlp"), ["model.input_shape=[8, 8, 1]"])
    with pytest.raises(ValueError, match=r"model\.input_shape \[8, 8, 1\] needs \[\[model.layers"):
        build_network(config, n_features=64, n_classes=10)


def test_layer_tables_are_written_one_per_line_and_read_back():
    import tomllib

    from mlpkit.recipes import to_toml

    config = load_recipe("better-optdigits-cnn")
    text = to_toml(config)
    assert '\n  {type = "conv2d", filters = 32, kernel_size = 3, padding = "same"},\n' in text
    assert tomllib.loads(text) == json.loads(json.dumps(config))


def test_the_report_leaves_out_shorthand_keys_that_do_not_apply():
    from mlpkit.runs.report import _applying

    layered = load_recipe("better-optdigits-cnn")
    shown = _applying(layered)["model"]
    assert "layers" in shown and "init" in shown  # init is the dense layers' default
    assert not {"hidden", "activation", "output", "dropout"} & set(shown)
    assert "hidden" in layered["model"]  # the run's config.toml keeps every key
    plain = load_recipe("moons-mlp")
    assert _applying(plain) is plain


def test_a_search_begun_with_the_older_layout_of_a_recipe_goes_on(tmp_path):
    from mlpkit.recipes import to_toml
    from mlpkit.search.store import TrialStore

    config = load_recipe("better-optdigits-cnn")
    one_line = to_toml(config).replace("[\n  {", "[{").replace("},\n  {", "}, {")
    one_line = one_line.replace("},\n]", "}]")
    assert one_line != to_toml(config)
    with TrialStore(tmp_path / "s.sqlite") as store:
        store.check_base("recipe", one_line)
        store.check_base("recipe", to_toml(config))  # same recipe, another layout
        with pytest.raises(ValueError, match="holds a search with a different recipe"):
            store.check_base("recipe", to_toml({**config, "name": "other"}))
