"""A run resumed from a checkpoint ends exactly where an uninterrupted one does."""

import numpy as np
import pytest

import mlpkit as mk
from helpers import MeanCentering
from mlpkit.runs.checkpoint import Checkpoint, load_checkpoint


@pytest.fixture(scope="module")
def data():
    X, y = mk.datasets.make_spirals(n_samples=600, n_classes=3, seed=0)
    return mk.datasets.train_test_split(X, y, test_size=0.3, seed=0)


class StopAfter(mk.Callback):
    """Stands in for a crash: training ends after ``n`` epochs."""

    def __init__(self, n):
        self.n = n

    def on_epoch_end(self, epoch, logs):
        return epoch + 1 == self.n


def mlp():
    return mk.mlp([2, 16, 16, 3], hidden="tanh", seed=0)


def with_buffer():
    """A network with non-trainable state: its moving mean must resume bit for bit too."""
    layers = [MeanCentering(), mk.Dense(16), mk.Tanh(), mk.Dense(3), mk.Softmax()]
    return mk.Network(layers, input_shape=(2,), seed=0)


@pytest.mark.parametrize("build", [mlp, with_buffer])
@pytest.mark.parametrize("every", [1, 2])
def test_resume_matches_an_uninterrupted_run(tmp_path, data, every, build):
    def parts():
        return build(), mk.Adam(0.01), mk.EarlyStopping("val_loss", patience=50)

    X_train, X_test, y_train, y_test = data
    kwargs = {"batch_size": 32, "validation": (X_test, y_test), "epochs": 9}

    net, optimizer, stopper = parts()
    rng = np.random.default_rng(5)
    full = net.fit(X_train, y_train, optimizer=optimizer, seed=rng, callbacks=[stopper], **kwargs)
    expected = net.get_weights()

    path = tmp_path / "checkpoint.npz"
    net, optimizer, stopper = parts()
    rng = np.random.default_rng(5)
    saver = Checkpoint(path, optimizer, rng, every=every, early_stopping=stopper)
    net.fit(
        X_train,
        y_train,
        optimizer=optimizer,
        seed=rng,
        callbacks=[stopper, StopAfter(5), saver],
        **kwargs,
    )

    state = load_checkpoint(path)
    assert state.epochs_done == (5 if every == 1 else 4)
    net, optimizer, stopper = parts()  # a fresh process would build these anew
    rng = state.restore(net, optimizer, stopper)
    saver = Checkpoint(path, optimizer, rng, early_stopping=stopper, history=state.history)
    net.fit(
        X_train,
        y_train,
        optimizer=optimizer,
        seed=rng,
        callbacks=[stopper, saver],
        initial_epoch=state.epochs_done,
        **kwargs,
    )

    assert net.get_weights().keys() == expected.keys()
    for key, value in net.get_weights().items():
        np.testing.assert_array_equal(value, expected[key])
    if build is with_buffer:
        assert "0.moving_mean" in expected and expected["0.moving_mean"].any()
    assert saver.history.epochs == full.epochs
    assert saver.history.val_loss == full.val_loss


def test_corrupt_checkpoint(tmp_path):
    path = tmp_path / "checkpoint.npz"
    path.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="is damaged or not an mlpkit checkpoint; move it away"):
        load_checkpoint(path)
