"""save/load: round trips, atomic writes and clear errors for bad files."""

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

import mlpkit as mk
from helpers import MeanCentering
from mlpkit import io

DATA = Path(__file__).parent / "data"


@pytest.fixture
def trained():
    X, y = mk.datasets.make_spirals(n_samples=300, n_classes=3, seed=0)
    net = mk.mlp([2, 12, 12, 3], hidden=["relu", mk.LeakyReLU(0.1)], output="softmax", seed=0)
    net.fit(X, y, optimizer="adam", epochs=5, batch_size=32, seed=0)
    return net, X


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_gives_identical_predictions(tmp_path, dtype):
    X, y = mk.datasets.make_blobs(n_samples=100, centers=3, seed=0)
    net = mk.mlp([2, 6, 3], hidden="sigmoid", seed=0, dtype=dtype)
    net.fit(X, y, epochs=3)
    mk.save(net, tmp_path / "model.npz")
    loaded = mk.load(tmp_path / "model.npz")
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    assert loaded.dtype == net.dtype and loaded.task == net.task


def test_round_trip_keeps_layer_settings(tmp_path, trained):
    net, X = trained
    path = tmp_path / "spirals.npz"
    mk.save(net, path)
    loaded = mk.load(path)
    assert repr(loaded.layers) == repr(net.layers)  # LeakyReLU(alpha=0.1) included
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))
    assert loaded.summary() == net.summary()


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path, trained):
    net, _ = trained
    path = tmp_path / "model.npz"
    path.write_bytes(b"the previous model")

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    original = np.savez
    np.savez = broken_savez
    try:
        with pytest.raises(OSError, match="disk full"):
            mk.save(net, path)
    finally:
        np.savez = original
    assert path.read_bytes() == b"the previous model"  # nothing the user saved is lost
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_not_a_model(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("hello")
    with pytest.raises(ValueError, match="notes.npz is not a mlpkit model file"):
        mk.load(path)


def test_npz_without_config(tmp_path):
    path = tmp_path / "arrays.npz"
    np.savez(path, a=np.zeros(3))
    with pytest.raises(ValueError, match="not a mlpkit model file: it has no mlpkit configuration"):
        mk.load(path)


def test_truncated_file(tmp_path, trained):
    net, _ = trained
    path = tmp_path / "model.npz"
    mk.save(net, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a mlpkit model file: it is truncated or corrupt"):
        mk.load(path)


def rewrite_config(path, change):
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    config = json.loads(str(arrays["__config__"]))
    change(config)
    arrays["__config__"] = np.array(json.dumps(config))
    np.savez(path, **arrays)


def test_newer_format_version(tmp_path, trained):
    net, _ = trained
    path = tmp_path / "model.npz"
    mk.save(net, path)
    rewrite_config(path, lambda c: c.update(format_version=io.FORMAT_VERSION + 1))
    with pytest.raises(ValueError, match="model format version 3, newer than .*upgrade mlpkit"):
        mk.load(path)


@pytest.mark.parametrize("version", [0, -1, "2", None, True])
def test_a_format_version_that_is_not_one(tmp_path, trained, version):
    net, _ = trained
    path = tmp_path / "model.npz"
    mk.save(net, path)
    rewrite_config(path, lambda c: c.update(format_version=version))
    with pytest.raises(ValueError, match="not a mlpkit model file: its format version is"):
        mk.load(path)


def test_weights_that_do_not_fit_the_layers(tmp_path, trained):
    net, _ = trained
    path = tmp_path / "model.npz"
    mk.save(net, path)
    rewrite_config(path, lambda c: c["layers"][0].update(units=7))
    with pytest.raises(ValueError, match=r"array '0.W' is of shape \(2, 12\), but layer 0 needs"):
        mk.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file at"):
        mk.load(tmp_path / "absent.npz")


def test_the_file_holds_no_pickles(tmp_path, trained):
    net, _ = trained
    path = tmp_path / "model.npz"
    mk.save(net, path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert "__config__.npy" in names and "0.W.npy" in names
    with np.load(path, allow_pickle=False) as archive:
        assert all(archive[key].dtype != object for key in archive.files)


@pytest.mark.parametrize("kind", ["standardize", "rescale11", "zscore_rows", "none"])
def test_preprocessing_and_class_names_travel_with_the_model(tmp_path, kind):
    X, y = mk.datasets.make_blobs(n_samples=90, centers=3, seed=1)
    step = mk.datasets.Preprocessor(kind).fit(X)
    net = mk.mlp([2, 5, 3], seed=0)
    net.fit(step.transform(X), y, epochs=3)
    net.preprocessor, net.classes = step, ["a", "b", "c"]
    mk.save(net, tmp_path / "m.npz")
    loaded = mk.load(tmp_path / "m.npz")
    assert loaded.classes == ["a", "b", "c"] and loaded.preprocessor.kind == kind
    np.testing.assert_array_equal(loaded.preprocessor.transform(X), step.transform(X))


def test_a_version_1_file_of_the_previous_release_loads_and_predicts_identically():
    loaded = mk.load(DATA / "model_v1.npz")
    expected = np.load(DATA / "model_v1_expected.npz")
    inputs = loaded.preprocessor.transform(expected["X"])
    np.testing.assert_array_equal(loaded.predict_proba(inputs), expected["proba"])
    np.testing.assert_array_equal(loaded.predict(inputs), expected["predict"])
    assert loaded.classes == ["low", "mid", "high"] and loaded.input_shape == (4,)
    assert repr(loaded.layers) == (
        "[Dense(units=6), Tanh(), Dropout(rate=0.25), Dense(units=5), LeakyReLU(alpha=0.1), "
        "Dropout(rate=0.25), Dense(units=3), Softmax()]"
    )


def test_a_version_1_file_whose_layers_do_not_connect(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes((DATA / "model_v1.npz").read_bytes())
    rewrite_config(path, lambda c: c["layers"][3].update(n_in=7))
    with pytest.raises(ValueError, match=r"layer 3 \(Dense\) takes 7 inputs after 6 outputs"):
        mk.load(path)


def test_the_file_records_the_input_shape_and_layer_names(tmp_path):
    net = mk.Network([mk.Flatten(), mk.Dense(5), mk.Softmax()], input_shape=(2, 3, 1), seed=0)
    mk.save(net, tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        config = json.loads(str(archive["__config__"]))
    assert config["format_version"] == 2 and config["input_shape"] == [2, 3, 1]
    assert [layer["type"] for layer in config["layers"]] == ["flatten", "dense", "softmax"]
    loaded = mk.load(tmp_path / "m.npz")
    X = np.random.default_rng(0).normal(size=(4, 2, 3, 1))
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    assert loaded.input_shape == (2, 3, 1)


def test_buffers_are_saved_and_loaded(tmp_path):
    X, y = mk.datasets.make_blobs(n_samples=120, centers=3, seed=0)
    net = mk.Network(
        [MeanCentering(), mk.Dense(6), mk.Tanh(), mk.Dense(3), mk.Softmax()],
        input_shape=(2,),
        seed=0,
    )
    net.fit(X + 5, y, epochs=4, batch_size=16, seed=0)
    moving_mean = net.layers[0].buffers["moving_mean"]
    assert np.abs(moving_mean - 5).max() < 2  # it learned something
    mk.save(net, tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        np.testing.assert_array_equal(archive["0.moving_mean"], moving_mean)
    loaded = mk.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(loaded.layers[0].buffers["moving_mean"], moving_mean)
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    assert loaded.layers[0].momentum == net.layers[0].momentum


class Unnamed(mk.Tanh):
    """A subclass that keeps its parent's name: saving it would load a Tanh."""


def test_a_layer_without_its_own_name_is_not_saved(tmp_path):
    net = mk.Network([mk.Dense(3), Unnamed(), mk.Dense(2), mk.Softmax()], input_shape=(2,))
    with pytest.raises(ValueError, match=r"layer 1 \(Unnamed\) has no registry name of its own"):
        mk.save(net, tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()
