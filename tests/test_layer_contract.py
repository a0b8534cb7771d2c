"""The layer contract: registry, shapes, build, buffers, declared L2 and in-place work."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mlpkit as mk
from helpers import MeanCentering, input_gradient
from mlpkit.layers import REGISTRY, Layer, layer_from_config
from mlpkit.layers.stack import plan_inplace
from mlpkit.objective import add_l2


def image_net(**kwargs):
    layers = [mk.Flatten(), mk.Dense(16), mk.ReLU(), mk.Dense(10), mk.Softmax()]
    return mk.Network(layers, input_shape=(8, 8, 1), seed=0, **kwargs)


# -- the registry -------------------------------------------------------------------
def test_every_built_in_layer_is_registered_by_name():
    names = {cls.name for cls in REGISTRY.values()}
    assert {"dense", "dropout", "flatten", "reshape", "relu", "softmax", "leaky_relu"} <= names
    assert REGISTRY["logistic"] is mk.Sigmoid and REGISTRY["identity"] is mk.Linear


@pytest.mark.parametrize(
    "layer",
    [
        mk.Dense(7, init="he_uniform"),
        mk.Dropout(0.3),
        mk.Flatten(),
        mk.Reshape((4, -1)),
        mk.LeakyReLU(0.2),
        mk.Tanh(),
        mk.Softmax(),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_get_config_rebuilds_the_layer(layer):
    rebuilt = layer_from_config({"type": layer.name, **layer.get_config()})
    assert type(rebuilt) is type(layer) and repr(rebuilt) == repr(layer)


@pytest.mark.parametrize(
    ("layer", "input_shape"),
    [
        (mk.Dense(7), (5,)),
        (mk.Conv2D(4, 3, strides=2, padding="same"), (9, 8, 3)),
        (mk.Conv2D(4, (2, 3), use_bias=False), (6, 6, 2)),
        (mk.BatchNorm(), (5, 5, 3)),
        (mk.BatchNorm(), (6,)),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, tuple) else str(value),
)
def test_declared_weight_shapes_are_the_built_ones(layer, input_shape):
    """``load`` trusts ``weight_shapes`` to vet a file before building: it must not lie."""
    declared = layer.weight_shapes(input_shape)
    layer.build(input_shape, np.random.default_rng(0), np.float32)
    built = {key: value.shape for key, value in {**layer.params, **layer.buffers}.items()}
    assert declared == built


def test_an_unknown_layer_type_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown layer type 'dens'; valid types are .*dense"):
        layer_from_config({"type": "dens", "units": 3})


def test_an_unknown_argument_lists_the_valid_ones():
    with pytest.raises(
        ValueError,
        match=r"unknown argument 'filters' for layer type 'dense'; valid arguments are "
        r"units, init, bias_init",
    ):
        layer_from_config({"type": "dense", "units": 3, "filters": 8})
    with pytest.raises(ValueError, match="a layer must be a table with a 'type' key"):
        layer_from_config({"units": 3})
    with pytest.raises(ValueError, match="layer type 'conv2d' needs filters, kernel_size"):
        layer_from_config({"type": "conv2d", "padding": "same"})


def test_a_layer_name_cannot_be_taken_twice():
    with pytest.raises(ValueError, match="layer name 'dense' of .* is taken by .*Dense"):

        class MyDense(Layer):
            name = "dense"


# -- shapes and building --------------------------------------------------------------
def test_dense_learns_its_input_size_from_the_layer_below():
    net = image_net()
    assert net.layers[1].params["W"].shape == (64, 16)
    assert net.shapes == [(64,), (16,), (16,), (10,), (10,)]
    assert net.n_parameters == 1210 and "Total params: 1,210" in net.summary()


def test_flat_rows_are_reshaped_to_the_input_shape():
    net = image_net()
    X = np.random.default_rng(0).random((5, 8, 8, 1)).astype(np.float32)
    np.testing.assert_array_equal(net.forward(X.reshape(5, 64)), net.forward(X))


@pytest.mark.parametrize("shape", [(5, 63), (5, 8, 8), (5, 8, 8, 2), (5,)])
def test_any_other_input_shape_is_an_error_naming_both(shape):
    with pytest.raises(
        ValueError, match=r"X has shape .* the network takes samples of shape \(8, 8, 1\)"
    ):
        image_net().predict(np.zeros(shape))


def test_flatten_keeps_channels_last_order_as_a_loop_says():
    X = np.random.default_rng(0).normal(size=(3, 4, 5, 2))
    layer = mk.Flatten()
    layer.build((4, 5, 2), np.random.default_rng(0), np.float64)
    Y = layer.forward(X)
    expected = np.zeros((3, 40))
    for n in range(3):
        for i in range(4):
            for j in range(5):
                for c in range(2):
                    expected[n, (i * 5 + j) * 2 + c] = X[n, i, j, c]
    np.testing.assert_array_equal(Y, expected)
    np.testing.assert_array_equal(layer.backward(expected), X)


def test_reshape_infers_one_axis_and_refuses_a_misfit():
    assert mk.Reshape((4, -1)).output_shape((2, 6)) == (4, 3)
    assert mk.Reshape((3, 4)).output_shape((12,)) == (3, 4)
    with pytest.raises(ValueError, match=r"cannot turn samples of shape \(10,\)"):
        mk.Reshape((4, -1)).output_shape((10,))
    with pytest.raises(ValueError, match="one -1"):
        mk.Reshape((-1, -1))
    with pytest.raises(ValueError, match="positive ints"):
        mk.Reshape((0, 3))


@given(
    h=st.integers(1, 4),
    w=st.integers(1, 4),
    c=st.integers(1, 3),
    n=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_reshape_and_flatten_pass_gradients_through(h, w, c, n, seed):
    """Parameter gradients by gradcheck; the input gradient by central differences."""
    rng = np.random.default_rng(seed)
    layers = [mk.Reshape((h, w, c)), mk.Tanh(), mk.Flatten(), mk.Dense(3), mk.Softmax()]
    net = mk.Network(layers, input_shape=(h * w * c,), seed=seed, dtype="float64")
    X, y = rng.normal(size=(n, h * w * c)), rng.integers(0, 3, n)
    assert max(mk.gradcheck(net, X, y).values()) < 1e-6
    loss = mk.CrossEntropy()
    dX, numeric = input_gradient(net, X, loss, np.eye(3)[y])
    assert dX.shape == X.shape
    np.testing.assert_allclose(dX, numeric, rtol=1e-5, atol=1e-9)


# -- backward stops at the lowest layer with params -----------------------------------
class Spy(Layer):
    """An identity layer that records how backward was called."""

    name = "test_spy"
    memory = "passes"

    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, X, *, training=False):
        return X

    def backward(self, dY, *, need_input_grad=True):
        self.calls.append(need_input_grad)
        return dY


class DenseSpy(mk.Dense):
    def backward(self, dY, *, need_input_grad=True):
        self.calls = [*getattr(self, "calls", []), need_input_grad]
        return super().backward(dY, need_input_grad=need_input_grad)


def test_training_asks_for_no_gradient_below_the_lowest_layer_with_params():
    spy, dense = Spy(), DenseSpy(4)
    net = mk.Network(
        [spy, mk.Flatten(), dense, mk.Tanh(), mk.Dense(2), mk.Softmax()], input_shape=(3, 2), seed=0
    )
    X = np.ones((5, 3, 2), np.float32)
    net.loss_and_gradients(X, np.eye(2, dtype=np.float32)[[0, 1, 0, 1, 0]], mk.CrossEntropy())
    assert spy.calls == [] and dense.calls == [False]
    net.forward(X, training=True)
    dX = net.backward(np.ones((5, 2), np.float32))
    assert spy.calls == [True] and dense.calls == [False, True] and dX.shape == X.shape


# -- buffers ---------------------------------------------------------------------------
def buffered_net(**kwargs):
    layers = [MeanCentering(), mk.Dense(6), mk.Tanh(), mk.Dense(3), mk.Softmax()]
    return mk.Network(layers, input_shape=(2,), seed=0, **kwargs)


def test_buffers_are_weights_but_not_parameters():
    net = buffered_net()
    assert [key for key, _, _ in net.parameters()] == ["1.W", "1.b", "3.W", "3.b"]
    assert [key for key, _ in net.buffers()] == ["0.moving_mean"]
    assert set(net.get_weights()) == {"0.moving_mean", "1.W", "1.b", "3.W", "3.b"}
    weights = net.get_weights()
    net.layers[0].buffers["moving_mean"] += 3
    net.set_weights(weights)
    np.testing.assert_array_equal(net.layers[0].buffers["moving_mean"], 0)
    assert net.summary().splitlines()[-3:-1] == ["Trainable params: 39", "Non-trainable params: 2"]


def test_the_optimiser_and_l2_never_touch_buffers():
    X, y = mk.datasets.make_blobs(n_samples=60, centers=3, seed=0)
    net = buffered_net()
    optimizer = mk.Adam(0.01)
    net.fit(X + 4, y, optimizer=optimizer, epochs=3, batch_size=10, l2=0.5, seed=0)
    assert set(optimizer.state) == {"1.W", "1.b", "3.W", "3.b"}
    moving = net.layers[0].buffers["moving_mean"].copy()
    net.loss_and_gradients(X, np.eye(3)[y].astype(np.float32), mk.CrossEntropy(), training=False)
    penalty = add_l2(net, 0.5)
    W1, W3 = net.layers[1].params["W"], net.layers[3].params["W"]
    assert penalty == pytest.approx(0.5 * (np.sum(W1 * W1) + np.sum(W3 * W3)), rel=1e-5)
    np.testing.assert_array_equal(net.layers[0].buffers["moving_mean"], moving)


def test_early_stopping_restores_the_buffers_of_the_best_epoch():
    X, y = mk.datasets.make_blobs(n_samples=120, centers=3, seed=0)
    net = buffered_net()
    stopper = mk.EarlyStopping("val_loss", patience=100)
    snapshots = []

    class Record(mk.Callback):
        def on_epoch_end(self, epoch, logs):
            snapshots.append(net.layers[0].buffers["moving_mean"].copy())

    history = net.fit(
        X + 4,
        y,
        epochs=8,
        batch_size=16,
        seed=0,
        validation=(X[:30] + 4, (y[:30] + 1) % 3),  # wrong labels: the best epoch comes early
        callbacks=[stopper, Record()],
        optimizer=mk.SGD(0.5),
    )
    best = int(np.argmin(history.val_loss))
    assert best < 7 and not np.array_equal(snapshots[best], snapshots[-1])
    np.testing.assert_array_equal(net.layers[0].buffers["moving_mean"], snapshots[best])


def test_gradcheck_of_a_layer_with_a_buffer_leaves_the_buffer_alone():
    net = buffered_net(dtype="float64")
    net.layers[0].buffers["moving_mean"][:] = [1.0, -2.0]
    X = np.random.default_rng(0).normal(size=(6, 2))
    assert max(mk.gradcheck(net, X, [0, 1, 2, 0, 1, 2]).values()) < 1e-6
    np.testing.assert_array_equal(net.layers[0].buffers["moving_mean"], [1.0, -2.0])


# -- declared L2 keys and in-place work -----------------------------------------------
class Scale(Layer):
    """``Y = X * gamma``: a param that L2 leaves alone (not in ``regularized``)."""

    name = "test_scale"

    def build(self, input_shape, rng, dtype):
        super().build(input_shape, rng, dtype)
        self.params["gamma"] = np.full(input_shape, 2.0, dtype)
        self.grads["gamma"] = np.zeros(input_shape, dtype)

    def forward(self, X, *, training=False):
        self._X = X
        return X * self.params["gamma"]

    def backward(self, dY, *, need_input_grad=True):
        self.grads["gamma"][...] = (dY * self._X).sum(axis=0)
        return dY * self.params["gamma"]


def test_l2_applies_to_the_keys_each_layer_declares():
    net = mk.Network([Scale(), mk.Dense(2), mk.Softmax()], input_shape=(3,), seed=0)
    W, b = net.layers[1].params["W"], net.layers[1].params["b"]
    b += 1
    for _, _, grad in net.parameters():
        grad[...] = 0
    penalty = add_l2(net, 0.1)
    assert penalty == pytest.approx(0.1 * np.sum(W * W))
    assert not net.layers[0].grads["gamma"].any() and not net.layers[1].grads["b"].any()
    np.testing.assert_allclose(net.layers[1].grads["W"], 0.2 * W)
    with_bias = add_l2(net, 0.1, l2_bias=True)
    assert with_bias == pytest.approx(0.1 * (np.sum(W * W) + np.sum(b * b)))
    assert not net.layers[0].grads["gamma"].any()


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        (
            [
                mk.Dense(4),
                mk.ReLU(),
                mk.Dropout(0.5),
                mk.Dense(2),
                mk.ReLU(),
                mk.Flatten(),
                mk.Dense(2),
                mk.Softmax(),
            ],
            [False, True, False, False, True, False, False, False],
        ),
        ([mk.ReLU(), mk.Dense(2)], [False, False]),  # the user's input is not fresh
        ([mk.Dense(2), mk.ReLU()], [False, False]),  # the loss's gradient is not fresh
        ([mk.Dense(2), mk.Tanh(), mk.ReLU(), mk.Dense(2)], [False] * 4),  # Tanh keeps its output
    ],
)
def test_in_place_work_follows_what_layers_declare(layers, expected):
    plan_inplace(layers)
    assert [layer.inplace for layer in layers] == expected


# -- a network on image samples, end to end -------------------------------------------
def test_a_network_on_optdigits_images_trains():
    data = mk.datasets.load("optdigits")
    net = image_net()
    X_train = data.X_train.reshape(-1, 8, 8, 1) / 16
    net.fit(X_train, data.y_train, optimizer=mk.Adam(0.01), epochs=15, batch_size=32, seed=0)
    assert net.evaluate(data.X_test / 16, data.y_test)["accuracy"] > 0.9  # flat rows work too


# -- every built-in layer through the new contract ------------------------------------
# How to put each built-in layer between two dense layers of 6 units; a new layer
# type must be added here (the next test fails until it is).
BETWEEN_DENSE = {
    "dense": lambda: [mk.Dense(5, bias_init="standard_normal")],
    "dropout": lambda: [mk.Dropout(0.4)],
    "flatten": lambda: [mk.Reshape((2, 3)), mk.Flatten()],
    "reshape": lambda: [mk.Reshape((3, -1)), mk.Tanh(), mk.Reshape((6,))],
    "sigmoid": lambda: [mk.Sigmoid()],
    "tanh": lambda: [mk.Tanh()],
    "relu": lambda: [mk.ReLU()],
    "leaky_relu": lambda: [mk.LeakyReLU(0.2)],
    "linear": lambda: [mk.Linear()],
    "exp": lambda: [mk.Exp()],
    "softmax": lambda: [mk.Softmax()],
    "conv2d": lambda: [mk.Reshape((2, 3, 1)), mk.Conv2D(2, 2, padding="same"), mk.Flatten()],
    "max_pool2d": lambda: [mk.Reshape((2, 3, 1)), mk.MaxPool2D(2, 1, "same"), mk.Flatten()],
    "avg_pool2d": lambda: [mk.Reshape((2, 3, 1)), mk.AvgPool2D(2, 1, "same"), mk.Flatten()],
    "global_avg_pool2d": lambda: [mk.Reshape((1, 2, 3)), mk.GlobalAvgPool2D()],
    "batch_norm": lambda: [mk.Tanh(), mk.BatchNorm()],  # a bias right before it does nothing
}


def test_every_built_in_layer_has_a_gradient_check():
    built_in = {cls.name for cls in REGISTRY.values() if cls.__module__.startswith("mlpkit.")}
    assert built_in == set(BETWEEN_DENSE)


@pytest.mark.parametrize("name", sorted(BETWEEN_DENSE))
def test_gradients_of_every_layer_in_a_network(name):
    rng = np.random.default_rng(1)
    layers = [mk.Dense(6), *BETWEEN_DENSE[name](), mk.Dense(3), mk.Softmax()]
    net = mk.Network(layers, input_shape=(4,), seed=1, dtype="float64")
    X, y = rng.normal(size=(7, 4)), rng.integers(0, 3, 7)
    errors = mk.gradcheck(net, X, y, l2=0.01)
    assert max(errors.values()) < 1e-6, errors
    dX, numeric = input_gradient(net, X, mk.CrossEntropy(), np.eye(3)[y], training=True)
    np.testing.assert_allclose(dX, numeric, rtol=1e-5, atol=1e-8)
