"""Dense and activation layers: values, shapes and the overwrite contract."""

import numpy as np
import pytest

import mlpkit as mk

Z = np.array([[-2.0, 0.0, 3.0], [1.0, -0.5, 0.25]])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sigmoid", 1 / (1 + np.exp(-Z))),
        ("tanh", np.tanh(Z)),
        ("relu", np.maximum(Z, 0)),
        ("leaky_relu", np.where(Z > 0, Z, 0.01 * Z)),
        ("linear", Z),
        ("softmax", np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)),
    ],
)
def test_activation_values(name, expected):
    np.testing.assert_allclose(mk.activations.get(name).forward(Z), expected, rtol=1e-12)


def test_sigmoid_and_softmax_do_not_overflow():
    big = np.array([[-1000.0, 1000.0]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise"):
        np.testing.assert_allclose(mk.Sigmoid().forward(big), [[0.0, 1.0]])
        np.testing.assert_allclose(mk.Softmax().forward(big), [[0.0, 1.0]])


def test_leaky_relu_slope_is_configurable():
    layer = mk.LeakyReLU(alpha=0.2)
    np.testing.assert_allclose(layer.forward(Z)[0, 0], -0.4)
    np.testing.assert_allclose(layer.backward(np.ones_like(Z))[0], [0.2, 0.2, 1.0])


def built_dense(n_in, units, dtype="float64", **kwargs):
    layer = mk.Dense(units, **kwargs)
    layer.build((n_in,), np.random.default_rng(0), np.dtype(dtype).type)
    return layer


def test_dense_forward_is_x_w_plus_b():
    layer = built_dense(3, 2, bias_init="standard_normal")
    W, b = layer.params["W"], layer.params["b"]
    assert W.shape == (3, 2) and b.shape == (2,)
    np.testing.assert_allclose(layer.forward(Z), Z @ W + b)


def test_dense_backward_is_the_delta_rule_and_overwrites():
    layer = built_dense(3, 2)
    delta = np.array([[1.0, -1.0], [0.5, 2.0]])
    layer.forward(Z)
    dX = layer.backward(delta)
    np.testing.assert_allclose(layer.grads["W"], Z.T @ delta)
    np.testing.assert_allclose(layer.grads["b"], delta.sum(axis=0))
    np.testing.assert_allclose(dX, delta @ layer.params["W"].T)
    layer.backward(delta)  # a second call overwrites, it does not accumulate
    np.testing.assert_allclose(layer.grads["W"], Z.T @ delta)


def test_dense_keeps_its_dtype():
    assert built_dense(3, 2, "float32").params["W"].dtype == np.float32
    assert built_dense(3, 2, "float64").params["b"].dtype == np.float64


def test_unknown_activation_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown activation 'swish'; valid names are .*'tanh'"):
        mk.activations.get("swish")


def test_dropout_scales_in_training_and_passes_at_inference():
    layer = mk.Dropout(0.25)
    layer.rng = np.random.default_rng(0)
    X = np.ones((2000, 50))
    Y = layer.forward(X, training=True)
    assert set(np.unique(Y)) == {0.0, 1 / 0.75}
    assert abs((Y == 0).mean() - 0.25) < 0.01
    assert abs(Y.mean() - 1) < 0.02  # inverted dropout keeps the expected value
    np.testing.assert_array_equal(layer.backward(np.ones_like(X)), Y)  # same mask
    np.testing.assert_array_equal(layer.forward(X), X)  # inference: identity
    with pytest.raises(ValueError, match=r"rate must be a fraction in \[0, 1\), got 1"):
        mk.Dropout(1)


def test_dropout_gradients_and_saving(tmp_path):
    net = mk.mlp(
        [4, 6, 6, 3],
        hidden="tanh",
        dropout=0.5,
        dtype="float64",
        seed=0,
        bias_init="standard_normal",
    )
    X = np.random.default_rng(0).normal(size=(5, 4))
    assert max(mk.gradcheck(net, X, [0, 1, 2, 0, 1]).values()) < 1e-6
    history = net.fit(X, [0, 1, 2, 0, 1], epochs=3, seed=0)
    assert len(history) == 3
    mk.save(net, tmp_path / "m.npz")
    loaded = mk.load(tmp_path / "m.npz")
    assert [type(layer).__name__ for layer in loaded.layers].count("Dropout") == 2
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))


def test_a_lone_relu_leaves_its_input_alone():
    X = np.array([[-1.0, 2.0]], np.float32)
    dY = np.array([[5.0, 5.0]], np.float32)
    relu = mk.ReLU()
    relu.forward(X)
    relu.backward(dY)
    assert X.tolist() == [[-1.0, 2.0]] and dY.tolist() == [[5.0, 5.0]]


def test_hidden_relus_of_a_network_work_in_place_with_the_same_results():
    net = mk.mlp([3, 5, 4, 2], hidden="relu", output="softmax", seed=0)
    assert [layer.inplace for layer in net.layers] == [False, True, False, True, False, False]
    X = np.random.default_rng(1).normal(size=(6, 3)).astype(np.float32)
    T = np.eye(2, dtype=np.float32)[[0, 1, 1, 0, 1, 0]]
    value, outputs = net.loss_and_gradients(X, T, mk.CrossEntropy())
    grads = {key: grad.copy() for key, _, grad in net.parameters()}
    for layer in net.layers:
        if isinstance(layer, mk.ReLU):
            layer.inplace = False
    value_copying, outputs_copying = net.loss_and_gradients(X, T, mk.CrossEntropy())
    assert value == value_copying
    np.testing.assert_array_equal(outputs, outputs_copying)
    for key, _, grad in net.parameters():
        np.testing.assert_array_equal(grad, grads[key])
