"""End-to-end training: accuracy reached, determinism, callbacks, divergence."""

import hashlib
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mlpkit as mk


@pytest.fixture(scope="module")
def moons():
    """E4-style moons: 1000 training and 1000 test points, noise 0.1, z-scored."""
    X, y = mk.datasets.make_moons(n_samples=2000, noise=0.1, seed=1)
    X_train, X_test, y_train, y_test = mk.datasets.train_test_split(X, y, test_size=1000, seed=1)
    scaler = mk.datasets.Standardizer().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@pytest.mark.parametrize("seed", range(5))
def test_xor_2_4_1_sigmoid_mse_full_batch(seed):
    X, y = mk.datasets.make_xor()
    net = mk.mlp([2, 4, 1], hidden="tanh", output="sigmoid", seed=seed)
    history = net.fit(X, y, loss="mse", optimizer=mk.SGD(0.5, momentum=0.9), epochs=500)
    assert net.evaluate(X, y)["accuracy"] == 1.0
    np.testing.assert_array_equal(net.predict(X), [0, 1, 1, 0])
    assert history.loss[-1] < 0.1 * history.loss[0]


@pytest.mark.parametrize("seed", range(5))
def test_xor_2_8_2_softmax_cross_entropy(seed):
    X, y = mk.datasets.make_xor()
    net = mk.mlp([2, 8, 2], hidden="tanh", output="softmax", seed=seed)
    net.fit(X, y, loss="cross_entropy", optimizer=mk.Adam(0.05), epochs=300)
    np.testing.assert_array_equal(net.predict(X), [0, 1, 1, 0])
    np.testing.assert_allclose(net.predict_proba(X).sum(axis=1), 1.0, rtol=1e-6)


def test_moons_2_16_16_2_reaches_99_percent(moons):
    X_train, X_test, y_train, y_test = moons
    net = mk.mlp([2, 16, 16, 2], hidden="tanh", output="softmax", seed=0)
    history = net.fit(
        X_train,
        y_train,
        optimizer=mk.SGD(0.05, momentum=0.9),
        epochs=60,
        batch_size=32,
        validation=(X_test, y_test),
        seed=0,
    )
    assert net.evaluate(X_test, y_test)["accuracy"] >= 0.99
    assert len(history) == 60 and len(history.val_accuracy) == 60
    assert all(t > 0 for t in history.time)


def test_mini_batch_counts_steps(moons):
    X_train, _, y_train, _ = moons
    optimizer = mk.SGD(0.01)
    mk.mlp([2, 4, 2], seed=0).fit(
        X_train, y_train, optimizer=optimizer, epochs=2, batch_size=300, seed=0
    )
    assert optimizer.iterations == 2 * math.ceil(1000 / 300)


def train_weights(seed=0):
    X, y = mk.datasets.make_moons(n_samples=300, noise=0.2, seed=seed)
    net = mk.mlp([2, 8, 8, 2], hidden="relu", output="softmax", seed=seed)
    net.fit(X, y, optimizer=mk.Adam(0.01), epochs=5, batch_size=16, seed=seed)
    digest = hashlib.sha256()
    for key, param, _ in net.parameters():
        digest.update(key.encode() + param.tobytes())
    return digest.hexdigest()


def test_same_seed_same_weights_bit_for_bit():
    assert train_weights(0) == train_weights(0)
    assert train_weights(0) != train_weights(1)


def test_same_weights_in_a_fresh_process():
    code = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, {tests!r})
        from test_training import train_weights
        print(train_weights(0))
        """
    ).format(tests=str(__import__("pathlib").Path(__file__).parent))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == train_weights(0)


def test_one_hot_targets_give_the_same_training_as_labels(moons):
    X_train, _, y_train, _ = moons
    histories = []
    for targets in (y_train, mk.datasets.one_hot(y_train, 2)):
        net = mk.mlp([2, 8, 2], seed=0)
        histories.append(net.fit(X_train, targets, epochs=3, batch_size=50, seed=0))
    assert histories[0].loss == histories[1].loss
    assert histories[0].accuracy == histories[1].accuracy


def test_regression_with_a_linear_output():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(400, 2))
    y = 3 * X[:, 0] - 2 * X[:, 1] + 0.5
    net = mk.mlp([2, 1], output="linear", seed=0)  # a regressor: linear output
    history = net.fit(X, y, optimizer=mk.SGD(0.1), epochs=200)
    assert net.task == "regression"
    assert "accuracy" not in history
    assert net.predict(X).shape == (400,)
    np.testing.assert_allclose(net.predict(X), y, atol=1e-3)
    W = net.layers[0].params["W"].ravel()
    np.testing.assert_allclose(W, [3, -2], atol=1e-3)


def test_l2_shrinks_the_weights(moons):
    X_train, _, y_train, _ = moons
    norms = []
    for l2 in (0.0, 0.01):
        net = mk.mlp([2, 16, 2], seed=0)
        history = net.fit(
            X_train, y_train, optimizer=mk.SGD(0.1), epochs=30, batch_size=20, l2=l2, seed=0
        )
        norms.append(sum(float((p**2).sum()) for k, p, _ in net.parameters() if k.endswith("W")))
    assert norms[1] < 0.5 * norms[0]
    assert history.l2_penalty[-1] == pytest.approx(0.01 * norms[1], rel=0.05)


def test_early_stopping_stops_and_restores_the_best_weights(moons):
    X_train, X_test, y_train, y_test = moons
    net = mk.mlp([2, 32, 32, 2], hidden="relu", seed=0)
    stopper = mk.EarlyStopping("val_loss", patience=3)
    # A large learning rate makes val_loss bounce, so patience runs out early.
    history = net.fit(
        X_train[:100],
        y_train[:100],
        optimizer=mk.SGD(0.5, momentum=0.9),
        epochs=300,
        batch_size=10,
        validation=(X_test, y_test),
        callbacks=[stopper],
        seed=0,
    )
    assert len(history) < 300
    assert stopper.stopped_epoch == len(history) - 1
    best = int(np.argmin(history.val_loss))
    assert stopper.best_epoch == best
    assert net.evaluate(X_test, y_test)["loss"] == pytest.approx(history.val_loss[best], rel=1e-5)


def test_early_stopping_restores_the_best_when_epochs_run_out(moons):
    X_train, X_test, y_train, y_test = moons
    net = mk.mlp([2, 16, 2], seed=0)
    stopper = mk.EarlyStopping("val_accuracy", patience=1000)
    history = net.fit(
        X_train,
        y_train,
        optimizer=mk.SGD(1.0, momentum=0.9),
        epochs=15,
        batch_size=20,
        validation=(X_test, y_test),
        callbacks=[stopper],
        seed=0,
    )
    assert len(history) == 15 and stopper.stopped_epoch is None
    best = stopper.best_epoch
    assert history.val_accuracy[best] == max(history.val_accuracy)
    assert net.evaluate(X_test, y_test)["accuracy"] == history.val_accuracy[best]


def test_early_stopping_needs_its_key(moons):
    X_train, _, y_train, _ = moons
    with pytest.raises(ValueError, match="EarlyStopping monitors 'val_loss'.*pass validation"):
        mk.mlp([2, 4, 2]).fit(X_train, y_train, callbacks=[mk.EarlyStopping()])


def test_evaluate_sets_every_k_epochs(moons):
    X_train, X_test, y_train, y_test = moons
    net = mk.mlp([2, 8, 2], seed=0)
    history = net.fit(
        X_train,
        y_train,
        epochs=6,
        callbacks=[mk.EvaluateSets({"test": (X_test, y_test)}, every=3)],
    )
    assert [math.isnan(v) for v in history.test_accuracy] == [True, True, False] * 2
    assert history.test_loss[-1] == pytest.approx(net.evaluate(X_test, y_test)["loss"])


def test_a_callback_can_stop_training(moons):
    X_train, _, y_train, _ = moons

    class StopAtTwo(mk.Callback):
        def on_epoch_end(self, epoch, logs):
            return epoch == 1

    history = mk.mlp([2, 4, 2]).fit(X_train, y_train, epochs=10, callbacks=[StopAtTwo()])
    assert history.epochs == [0, 1]


def test_divergence_stops_names_the_epoch_and_keeps_finite_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)) * 10
    y = X @ [1.0, 2.0, 3.0]
    net = mk.mlp([3, 8, 1], hidden="relu", output="linear", seed=0)
    with pytest.raises(
        mk.TrainingDivergedError, match=r"in epoch \d+.*smaller learning rate"
    ) as info:
        net.fit(X, y, optimizer=mk.SGD(0.5), epochs=100)
    assert all(np.isfinite(p).all() for _, p, _ in net.parameters())
    assert all(math.isfinite(v) for v in info.value.history.loss)


def test_history_reads_like_a_dict_and_attributes(moons):
    X_train, _, y_train, _ = moons
    history = mk.mlp([2, 4, 2]).fit(X_train, y_train, epochs=2)
    assert history["loss"] == history.loss and len(history.loss) == 2
    assert history.val_loss == []  # no validation set given
    assert set(history.as_dict()) == {"epoch", "loss", "accuracy", "time"}
    with pytest.raises(AttributeError, match="no record 'val_f1'"):
        _ = history.val_f1


def test_a_batch_callback_can_stop_mid_epoch(moons):
    X_train, _, y_train, _ = moons

    class StopAfterFiveBatches(mk.Callback):
        def __init__(self):
            self.seen = []

        def on_batch_end(self, batch, logs):
            self.seen.append((batch, logs["loss"]))
            return len(self.seen) == 5

    stopper = StopAfterFiveBatches()
    history = mk.mlp([2, 4, 2]).fit(X_train, y_train, epochs=3, batch_size=100, callbacks=[stopper])
    assert [b for b, _ in stopper.seen] == [0, 1, 2, 3, 4]
    assert history.interrupted and len(history) == 0  # the partial epoch is not recorded
