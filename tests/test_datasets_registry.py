"""Datasets by name: the bundled optdigits always, the real files when MLPKIT_DATA has them."""

import os
from pathlib import Path

import numpy as np
import pytest

from mlpkit import datasets

DATA = os.environ.get("MLPKIT_DATA")


def needs(name):
    present = DATA is not None and datasets.get_info(name).present()
    return pytest.mark.skipif(
        not present, reason=f"{name} files not found: set MLPKIT_DATA to a folder holding them"
    )


def test_optdigits_is_bundled_and_complete():
    data = datasets.load("optdigits", download=False)
    X_train, y_train, X_test, y_test = data
    assert X_train.shape == (3823, 64) and X_test.shape == (1797, 64)
    assert X_train.dtype == np.float32 and X_train.min() == 0 and X_train.max() == 16
    np.testing.assert_array_equal(
        np.bincount(y_train), [376, 389, 380, 389, 387, 376, 377, 387, 380, 382]
    )
    np.testing.assert_array_equal(
        np.bincount(y_test), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    )
    assert data.image_shape == (8, 8) and data.n_classes == 10


def test_synthetic_sets_by_name():
    data = datasets.load("moons", n_samples=400, noise=0.2, test_size=0.5, seed=3)
    assert data.X_train.shape == (200, 2) and data.X_test.shape == (200, 2)
    again = datasets.load("moons", n_samples=400, noise=0.2, test_size=0.5, seed=3)
    np.testing.assert_array_equal(data.X_train, again.X_train)


def test_unknown_dataset_and_options():
    with pytest.raises(ValueError, match="unknown dataset 'cifar'; known datasets are optdigits"):
        datasets.load("cifar")
    with pytest.raises(TypeError, match="dataset 'optdigits' takes no options"):
        datasets.load("optdigits", noise=0.1)


def test_missing_files_name_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPKIT_DATA", str(tmp_path))
    monkeypatch.setenv("MLPKIT_OFFLINE", "1")
    assert not datasets.get_info("mnist").present()
    with pytest.raises(datasets.DataNotFoundError, match=f"is not in {tmp_path / 'mnist'}"):
        datasets.load("mnist")
    with pytest.raises(datasets.DataNotFoundError, match="digits20 is cut from MNIST"):
        datasets.load("digits20")


def test_data_dir_default(monkeypatch):
    monkeypatch.delenv("MLPKIT_DATA", raising=False)
    assert datasets.data_dir() == Path.home() / ".cache" / "mlpkit"


@needs("mnist")
def test_mnist():
    X_train, y_train, X_test, y_test = datasets.load("mnist", download=False)
    assert X_train.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert X_train.max() == 255 and y_test[:5].tolist() == [7, 2, 1, 0, 4]
    assert np.bincount(y_train)[0] == 5923


@needs("fashion-mnist")
def test_fashion_mnist():
    data = datasets.load("fashion-mnist", download=False)
    assert data.X_train.shape == (60000, 784) and data.classes[9] == "Ankle boot"
    assert (np.bincount(data.y_test) == 1000).all()


@needs("notmnist")
def test_notmnist_split_is_fixed_and_stratified():
    data = datasets.load("notmnist", download=False)
    assert (len(data.y_train), len(data.y_valid), len(data.y_test)) == (8000, 1000, 1000)
    assert (np.bincount(data.y_valid) == 100).all() and (np.bincount(data.y_test) == 100).all()
    again = datasets.load("notmnist", download=False)
    np.testing.assert_array_equal(data.y_test, again.y_test)
    assert data.classes == list("ABCDEFGHIJ")


@needs("digits20")
def test_digits20_is_cropped_mnist():
    data = datasets.load("digits20", download=False)
    assert data.X_train.shape == (1000, 400) and data.X_test.shape == (4000, 400)
    assert (np.bincount(data.y_train) == 100).all() and (np.bincount(data.y_test) == 400).all()
    assert data.X_train.min() >= 0 and data.X_train.max() <= 1
    # The crop keeps the digits: on average most of each image's ink survives it.
    assert data.X_train.sum(axis=1).min() > 0


def test_digits20_reads_ex4data1_when_present(tmp_path, monkeypatch):
    """The original file stores images column by column with labels 1..10 (10 for 0)."""
    savemat = pytest.importorskip("scipy.io").savemat
    rng = np.random.default_rng(0)
    images = rng.random((5000, 20, 20))
    labels = np.repeat(np.arange(10), 500)
    columns_first = images.transpose(0, 2, 1).reshape(5000, 400)  # MATLAB's order
    (tmp_path / "digits20").mkdir()
    savemat(
        tmp_path / "digits20" / "ex4data1.mat",
        {"X": columns_first, "y": np.where(labels == 0, 10, labels)[:, None]},
    )
    monkeypatch.setenv("MLPKIT_DATA", str(tmp_path))
    data = datasets.load("digits20", download=False)
    assert data.X_train.shape == (1000, 400) and (np.bincount(data.y_test) == 400).all()
    # Each row is an image in row order again: find one and compare.
    row = data.X_train[0]
    match = np.flatnonzero(np.isclose(images.reshape(5000, 400), row).all(axis=1))
    assert len(match) == 1 and labels[match[0]] == data.y_train[0]
