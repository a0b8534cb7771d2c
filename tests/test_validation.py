"""Bad input meets a clear error naming the argument, the expectation and the value."""

import numpy as np
import pytest

import mlpkit as mk

X = np.random.default_rng(0).normal(size=(10, 4))
y = np.arange(10) % 3


@pytest.fixture
def net():
    return mk.mlp([4, 5, 3], hidden="tanh", output="softmax", seed=0)


@pytest.mark.parametrize(
    ("X_bad", "error", "message"),
    [
        (np.where(np.eye(10, 4) > 0, np.nan, X), ValueError, r"X contains NaN or infinity"),
        (np.full((10, 4), np.inf), ValueError, r"X contains NaN or infinity .*index \(0, 0\)"),
        (X[:, 0], ValueError, r"X must be a 2-D array .*got 1-D with shape \(10,\)"),
        (X[:, :, None], ValueError, r"X must be a 2-D array .*got 3-D"),
        (X[:, :3], ValueError, "X has 3 features but the network expects 4"),
        (np.empty((0, 4)), ValueError, "X is empty: it has 0 samples"),
        (np.full((10, 4), "a"), TypeError, "X must hold numbers, got an array of dtype <U1"),
        ("data.csv", TypeError, "X must be a numeric array, got a string"),
        ([[1, 2], [3]], TypeError, "X must be a numeric array"),
    ],
    ids=["nan", "inf", "1d", "3d", "features", "empty", "text", "string", "ragged"],
)
def test_bad_X(net, X_bad, error, message):
    with pytest.raises(error, match=message):
        net.fit(X_bad, y[: len(X_bad)] if len(X_bad) else y[:0], epochs=1)


@pytest.mark.parametrize(
    ("y_bad", "error", "message"),
    [
        (y[:7], ValueError, "X and y have different lengths: X has 10 samples, y has 7"),
        (np.arange(10), ValueError, "y has labels from 0 to 9, but the network has 3 classes"),
        (y - 1, ValueError, "y has labels from -1 to 1"),
        (y + 0.5, ValueError, "y must hold integer class labels 0..2; it has non-integer"),
        (np.eye(10, 2), ValueError, "y has 2 columns but the network has 3 outputs"),
        (np.array(["a"] * 10), TypeError, "y must hold integer class labels 0..2, got dtype <U1"),
        (np.zeros((10, 3, 1)), ValueError, r"y must be 1-D labels or a 2-D target matrix"),
        (np.full((10, 3), np.nan), ValueError, "y contains NaN or infinity"),
    ],
    ids=["length", "too-many-classes", "negative", "fractional", "columns", "text", "3d", "nan"],
)
def test_bad_y(net, y_bad, error, message):
    with pytest.raises(error, match=message):
        net.fit(X, y_bad, epochs=1)


def test_bad_validation_set(net):
    with pytest.raises(ValueError, match="X_val has 2 features but the network expects 4"):
        net.fit(X, y, validation=(X[:, :2], y))
    with pytest.raises(TypeError, match=r"validation must be a pair \(X_val, y_val\)"):
        net.fit(X, y, validation=X)
    with pytest.raises(ValueError, match="X_val and y_val have different lengths"):
        net.fit(X, y, validation=(X, y[:4]))
    sets = mk.EvaluateSets({"test": (X, np.full(10, 7))})
    with pytest.raises(ValueError, match="y_test has labels from 7 to 7"):
        net.fit(X, y, callbacks=[sets])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"epochs": 0}, ValueError, "epochs must be an integer >= 1, got 0"),
        ({"epochs": 2.5}, TypeError, "epochs must be an integer, got float"),
        ({"batch_size": 0}, ValueError, "batch_size must be an integer >= 1, got 0"),
        ({"l2": -1.0}, ValueError, "l2 must be a finite non-negative number, got -1.0"),
        ({"optimizer": mk.SGD}, TypeError, "optimizer must be a name .* got type"),
        ({"loss": "hinge"}, ValueError, "unknown loss 'hinge'; valid names are"),
        ({"seed": -3}, ValueError, "seed must be a non-negative integer, got -3"),
        ({"seed": "abc"}, TypeError, "seed must be an int, a numpy Generator or None, got str"),
    ],
)
def test_bad_training_settings(net, kwargs, error, message):
    with pytest.raises(error, match=message):
        net.fit(X, y, **kwargs)


def test_negative_learning_rate():
    with pytest.raises(ValueError, match="learning_rate must be a finite positive number, got -1"):
        mk.SGD(learning_rate=-1)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"hidden": "sigmod"},
            ValueError,
            "unknown activation 'sigmod'; valid names are .*'sigmoid'",
        ),
        ({"output": 3}, TypeError, "activation must be a name .* got int"),
        ({"init": "glorot"}, ValueError, "unknown initializer 'glorot'; valid names"),
        ({"dtype": "float16"}, ValueError, "dtype must be 'float32' or 'float64', got 'float16'"),
        ({"hidden": ["tanh"] * 3}, ValueError, "hidden has 3 entries but there are 1 layers"),
        ({"task": "ranking"}, ValueError, "task must be 'classification' or 'regression'"),
    ],
)
def test_bad_builder_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        mk.mlp([4, 5, 3], **kwargs)


def test_softmax_needs_more_than_one_output():
    with pytest.raises(
        ValueError, match="a softmax over 1 output is always 1; use output='sigmoid'"
    ):
        mk.mlp([4, 5, 1], output="softmax")


def test_bad_sizes():
    with pytest.raises(ValueError, match=r"sizes needs at least an input and an output width"):
        mk.mlp([4])
    with pytest.raises(ValueError, match=r"sizes\[1\] must be an integer >= 1, got 0"):
        mk.mlp([4, 0, 3])
    with pytest.raises(TypeError, match="sizes must be a list of layer widths, got int"):
        mk.mlp(4)


def test_cross_entropy_needs_a_probability_output():
    net = mk.mlp([4, 5, 3], output="linear", task="classification")
    with pytest.raises(ValueError, match="cross_entropy needs outputs in .*use output='softmax'"):
        net.fit(X, y, loss="cross_entropy")


def test_predict_proba_needs_a_probability_output():
    net = mk.mlp([4, 5, 3], output="tanh")
    with pytest.raises(TypeError, match="predict_proba needs a softmax or sigmoid output"):
        net.predict_proba(X)


def test_predict_checks_features(net):
    with pytest.raises(ValueError, match="X has 5 features but the network expects 4"):
        net.predict(np.zeros((2, 5)))


def test_layers_must_connect():
    with pytest.raises(ValueError, match="Network needs input_shape, the shape of one sample"):
        mk.Network([mk.Dense(4), mk.Tanh(), mk.Dense(2)])
    with pytest.raises(
        ValueError, match=r"layer 1 \(Dense\) cannot take samples of shape \(8, 8\).*Flatten"
    ):
        mk.Network([mk.Tanh(), mk.Dense(2)], input_shape=(8, 8))
    with pytest.raises(ValueError, match=r"outputs must be flat \(k,\)"):
        mk.Network([mk.Tanh()], input_shape=(8, 8))
    dense = mk.Dense(3)
    mk.Network([dense], input_shape=(4,))
    with pytest.raises(ValueError, match=r"built for inputs of shape \(4,\)"):
        mk.Network([dense], input_shape=(5,))
    with pytest.raises(ValueError, match="layer 0 .Dense. holds float32 arrays but the network is"):
        mk.Network([dense], input_shape=(4,), dtype="float64")


def test_every_registry_reads_names_the_same_way():
    """One normaliser (``_validation.registry_key``): case, spaces and ``-``/``_`` alike."""
    from mlpkit._validation import registry_key

    assert registry_key(" Glorot-Uniform ") == registry_key("glorot uniform") == "glorot_uniform"
    assert type(mk.optimizers.get("  ADAM")).__name__ == "Adam"
    assert mk.layer_from_config({"type": "Leaky-ReLU"}).name == "leaky_relu"
    assert mk.datasets.get_info("Fashion MNIST").name == "fashion-mnist"
    assert mk.datasets.get_info("fashion_mnist").name == "fashion-mnist"
