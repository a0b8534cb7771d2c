"""Network structure: building, parameters, summary, predictions."""

import doctest

import numpy as np
import pytest

import mlpkit as mk
import mlpkit.builders
import mlpkit.network


def test_mlp_builds_any_depth_with_dotted_keys():
    net = mk.mlp([3, 8, 7, 6, 5, 4], hidden="relu", output="softmax", seed=0)
    assert len(net.layers) == 10
    keys = [key for key, _, _ in net.parameters()]
    assert keys == [f"{i}.{p}" for i in range(0, 10, 2) for p in ("W", "b")]
    assert net.n_parameters == (3 * 8 + 8) + (8 * 7 + 7) + (7 * 6 + 6) + (6 * 5 + 5) + (5 * 4 + 4)
    for _, param, grad in net.parameters():
        assert param.shape == grad.shape and param.dtype == np.float32


def test_per_layer_activations_and_initialisers():
    net = mk.mlp(
        [2, 4, 4, 1],
        hidden=["tanh", mk.LeakyReLU(0.3)],
        output="sigmoid",
        init=["zeros", mk.initializers.uniform(0.1), "he_normal"],
        bias_init=mk.initializers.normal(0.01),
        seed=0,
    )
    assert [type(layer).__name__ for layer in net.layers[1::2]] == ["Tanh", "LeakyReLU", "Sigmoid"]
    assert net.layers[3].alpha == 0.3
    assert not net.layers[0].params["W"].any()
    assert np.abs(net.layers[2].params["W"]).max() <= 0.1
    assert net.layers[0].params["b"].any()  # biases drawn, not zero


def test_same_seed_same_initial_weights():
    a, b = mk.mlp([4, 5, 3], seed=7), mk.mlp([4, 5, 3], seed=7)
    for (_, pa, _), (_, pb, _) in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(pa, pb)


def test_summary_lists_layers_output_shapes_and_counts():
    lines = mk.mlp([64, 36, 10], hidden="tanh", output="tanh", seed=0).summary().splitlines()
    assert lines[0] == "input shape (None, 64), float32, classification"
    assert lines[1].split() == ["#", "layer", "output", "shape", "params", "mult-adds"]
    assert lines[2].split() == ["0", "Dense(units=36)", "(None,", "36)", "2,340", "2,304"]
    assert lines[3].split() == ["1", "Tanh()", "(None,", "36)", "0", "0"]
    assert lines[4].split() == ["2", "Dense(units=10)", "(None,", "10)", "370", "360"]
    assert lines[-4:] == [
        "Total params: 2,710",
        "Trainable params: 2,710",
        "Non-trainable params: 0",
        "Multiply-adds per sample (forward): 2,664",
    ]


def test_task_follows_the_output_unless_told():
    assert mk.mlp([2, 3, 2], output="tanh").task == "classification"
    assert mk.mlp([2, 3, 2], output="linear").task == "regression"
    assert mk.mlp([2, 3, 2], output="linear", task="classification").task == "classification"


def test_predict_proba_with_one_sigmoid_output_has_two_columns():
    X, _ = mk.datasets.make_xor()
    net = mk.mlp([2, 4, 1], hidden="tanh", output="sigmoid", seed=0)
    P = net.predict_proba(X)
    assert P.shape == (4, 2)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_array_equal(net.predict(X), (P[:, 1] > 0.5).astype(int))


def test_multi_output_regressor_predicts_a_matrix():
    net = mk.mlp([3, 4, 2], output="linear", seed=0)
    assert net.predict(np.zeros((5, 3))).shape == (5, 2)


def test_forward_and_predict_agree_in_chunks():
    """Large inputs are predicted in chunks; the result must not depend on it."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20000, 3))
    net = mk.mlp([3, 4, 3], seed=0, dtype="float64")
    np.testing.assert_array_equal(net.predict(X), np.argmax(net.forward(X), axis=1))


def test_get_and_set_weights():
    net = mk.mlp([2, 3, 2], seed=0)
    saved = net.get_weights()
    for _, param, _ in net.parameters():
        param += 1
    net.set_weights(saved)
    for key, param, _ in net.parameters():
        np.testing.assert_array_equal(param, saved[key])
    with pytest.raises(ValueError, match=r"weight '0.W' has shape \(3, 2\), expected \(2, 3\)"):
        net.set_weights({**saved, "0.W": np.zeros((3, 2))})


def test_evaluate_defaults_to_the_fitted_loss():
    X, y = mk.datasets.make_blobs(n_samples=60, centers=3, seed=0)
    net = mk.mlp([2, 4, 3], output="softmax", seed=0)
    before = net.evaluate(X, y)  # no fit yet: cross-entropy after softmax
    assert before["loss"] == pytest.approx(net.evaluate(X, y, loss="cross_entropy")["loss"])
    net.fit(X, y, loss="mse", epochs=1)
    assert net.evaluate(X, y)["loss"] == pytest.approx(net.evaluate(X, y, loss="mse")["loss"])


def test_docstring_examples():
    assert doctest.testmod(mlpkit.network).failed == 0
    assert doctest.testmod(mlpkit.builders).failed == 0
    assert doctest.testmod(mlpkit).failed == 0


def test_signed_targets_for_tanh_outputs():
    X, y = mk.datasets.make_xor()
    net = mk.mlp([2, 4, 1], hidden="tanh", output="tanh", targets="signed", seed=0)
    T, _ = net.check_targets(y, n_samples=4)
    np.testing.assert_array_equal(T.ravel(), [-1, 1, 1, -1])
    net.fit(X, y, loss="mse", optimizer=mk.SGD(0.2, momentum=0.9), epochs=300)
    outputs = net.forward(X).ravel()
    np.testing.assert_array_equal(net.predict(X), (outputs > 0).astype(int))  # midpoint of -1, 1
    np.testing.assert_array_equal(net.predict(X), y)
    wide = mk.mlp([2, 3, 3], output="tanh", targets="signed", seed=0)
    T, _ = wide.check_targets([2, 0], n_samples=2)
    np.testing.assert_array_equal(T, [[-1, -1, 1], [1, -1, -1]])


def test_signed_targets_do_not_go_with_cross_entropy():
    net = mk.mlp([2, 3, 2], output="softmax", targets="signed")
    with pytest.raises(ValueError, match="cross_entropy needs 0/1 targets"):
        net.fit(np.zeros((2, 2)), [0, 1], loss="cross_entropy")
    with pytest.raises(ValueError, match="targets must be 'one_hot' or 'signed', got 'pm1'"):
        mk.mlp([2, 3, 2], targets="pm1")


def test_network_fit_is_training_fit():
    """One function trains, documented once: Network.fit is training.fit as a method."""
    from mlpkit import training

    assert mk.Network.fit is training.fit


def test_half_mse_halves_the_value_and_every_gradient_of_mse():
    net = mk.mlp([3, 4, 2], hidden="tanh", output="linear", seed=0)
    X = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    T = np.random.default_rng(1).normal(size=(5, 2)).astype(np.float32)
    value, _ = net.loss_and_gradients(X, T, mk.MSE())
    grads = {key: grad.copy() for key, _, grad in net.parameters()}
    half_value, _ = net.loss_and_gradients(X, T, mk.HalfMSE())
    assert half_value == 0.5 * value
    for key, _, grad in net.parameters():
        np.testing.assert_array_equal(grad, 0.5 * grads[key])


def test_the_objective_adds_l2_once_to_the_data_loss_and_its_gradient():
    net = mk.mlp([3, 4, 2], hidden="tanh", output="softmax", seed=0, dtype="float64")
    X = np.random.default_rng(0).normal(size=(5, 3))
    T = np.eye(2)[[0, 1, 1, 0, 1]]
    value, _ = net.loss_and_gradients(X, T, mk.CrossEntropy())
    data_grads = {key: grad.copy() for key, _, grad in net.parameters()}
    same, penalty, _ = mk.Objective(mk.CrossEntropy(), l2=0.1).gradients(net, X, T)
    kernels = [net.layers[i].params["W"] for i in (0, 2)]
    assert same == value
    np.testing.assert_allclose(penalty, 0.1 * sum(np.sum(W * W) for W in kernels))
    for key, _, grad in net.parameters():
        added = 0.2 * net.layers[int(key[0])].params["W"] if key.endswith("W") else 0.0
        np.testing.assert_allclose(grad, data_grads[key] + added, rtol=1e-12)
    assert mk.objective.l2_penalty(net, 0.1) == penalty


def test_evaluate_reports_r2_for_a_regressor():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=200)
    net = mk.mlp([3, 16, 1], hidden="tanh", output="linear", seed=0, dtype="float64")
    before = net.evaluate(X, y[:, None])
    net.fit(X, y[:, None], optimizer=mk.Adam(0.01), epochs=200, batch_size=32, seed=0)
    after = net.evaluate(X, y[:, None])
    assert "accuracy" not in after
    assert before["r2"] < 0.5 < 0.95 < after["r2"] <= 1.0
    predicted = net.predict(X)
    assert after["r2"] == pytest.approx(mk.metrics.r2(y, predicted.reshape(y.shape)))


def test_multiply_adds_of_each_layer_against_hand_counts():
    cases = [
        # (layer, per-sample input shape, multiply-adds worked out by hand)
        (mk.Dense(3), (4,), 4 * 3),
        # 5x5x3, 2x2 kernel, stride 1, valid: 4x4 outputs of 2 filters, each 2*2*3 products
        (mk.Conv2D(2, 2), (5, 5, 3), 4 * 4 * 2 * (2 * 2 * 3)),
        # 3x3 kernel, stride 2, same: ceil(5/2) = 3, so 3x3 outputs of 2 filters, 3*3*3 each
        (mk.Conv2D(2, 3, strides=2, padding="same"), (5, 5, 3), 3 * 3 * 2 * (3 * 3 * 3)),
        # 2x2 max pooling of 4x4x2: 2x2x2 outputs, 4 comparisons each
        (mk.MaxPool2D(2), (4, 4, 2), 2 * 2 * 2 * 4),
        # 2x2 average pooling, stride 1, same, on 3x3x1: 3x3 windows of 4 values (padding too)
        (mk.AvgPool2D(2, 1, "same"), (3, 3, 1), 3 * 3 * 4),
        (mk.GlobalAvgPool2D(), (4, 3, 2), 4 * 3 * 2),
        (mk.BatchNorm(), (4, 3, 2), 4 * 3 * 2),
        (mk.ReLU(), (7,), 0),
        (mk.Flatten(), (4, 3, 2), 0),
    ]
    for layer, shape, expected in cases:
        assert layer.multiply_adds(shape) == expected, repr(layer)


def test_summary_of_the_e3_cnn_shows_its_multiply_adds():
    from mlpkit.recipes import load_recipe
    from mlpkit.recipes.build import build_network

    config = load_recipe("e3-cnn")
    net = build_network(config, 784, 10)
    conv = 28 * 28 * 32 * (3 * 3 * 1)  # "same": 28x28 outputs of 32 filters
    batch_norm = 28 * 28 * 32
    pool = 14 * 14 * 32 * 4
    dense = 14 * 14 * 32 * 784 + 784 * 10
    lines = net.summary().splitlines()
    assert lines[-1] == f"Multiply-adds per sample (forward): {conv + batch_norm + pool + dense:,}"
    costs = [int(line.split()[-1].replace(",", "")) for line in lines[2 : 2 + len(net.layers)]]
    assert sorted(costs, reverse=True)[:3] == [14 * 14 * 32 * 784, conv, batch_norm]
    html = net._repr_html_()
    assert "mult-adds" in html and f"{conv + batch_norm + pool + dense:,}" in html
