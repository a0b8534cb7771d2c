"""Loss values and gradients against hand computations."""

import numpy as np
import pytest

import mlpkit as mk
from mlpkit.layers.activations import softmax

Y = np.array([[0.2, 0.7], [0.9, 0.4], [0.5, 0.5]])
D = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])


@pytest.mark.parametrize(("reduction", "divisor"), [("mean", 3), ("mean_all", 6), ("sum", 1)])
def test_mse_value_and_gradient(reduction, divisor):
    loss = mk.MSE(reduction=reduction)
    squared = 0.04 + 0.09 + 0.01 + 0.16 + 0.25 + 0.25
    assert loss.forward(Y, D) == pytest.approx(squared / divisor)
    np.testing.assert_allclose(loss.backward(), 2 * (Y - D) / divisor)


def test_mse_mean_is_the_classic_two_over_n_gradient():
    loss = mk.MSE()  # mean over samples of the per-sample sum
    loss.forward(Y, D)
    np.testing.assert_allclose(loss.backward(), 2 / len(Y) * (Y - D))


def test_cross_entropy_by_hand():
    P = np.array([[0.1, 0.9], [0.8, 0.2]])
    T = np.array([[0.0, 1.0], [1.0, 0.0]])
    expected = -(np.log(0.9) + np.log(0.8)) / 2
    assert mk.CrossEntropy().forward(P, T) == pytest.approx(expected)


def test_fused_cross_entropy_equals_unfused_and_gives_p_minus_d():
    Z = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
    T = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    fused, plain = mk.CrossEntropy(), mk.CrossEntropy()
    assert fused.forward_logits(Z, T) == pytest.approx(plain.forward(softmax(Z), T))
    np.testing.assert_allclose(fused.backward(), (softmax(Z) - T) / 2)


def test_fused_cross_entropy_is_stable_for_huge_logits():
    Z = np.array([[1000.0, -1000.0]], dtype=np.float32)
    T = np.array([[0.0, 1.0]], dtype=np.float32)
    value = mk.CrossEntropy().forward_logits(Z, T)
    assert value == pytest.approx(2000.0)


def test_binary_cross_entropy_fused_equals_unfused():
    Z = np.array([[0.3, -1.2], [2.0, 0.1]])
    T = np.array([[1.0, 0.0], [1.0, 1.0]])
    P = 1 / (1 + np.exp(-Z))
    fused, plain = mk.BinaryCrossEntropy(), mk.BinaryCrossEntropy()
    by_hand = -(T * np.log(P) + (1 - T) * np.log(1 - P)).sum() / 2
    assert fused.forward_logits(Z, T) == pytest.approx(by_hand)
    assert plain.forward(P, T) == pytest.approx(by_hand)
    np.testing.assert_allclose(fused.backward(), (P - T) / 2)


def test_binary_cross_entropy_mean_all_is_the_keras_convention():
    Z = np.array([[0.3, -1.2, 0.0]])
    T = np.array([[1.0, 0.0, 1.0]])
    summed = mk.BinaryCrossEntropy(reduction="sum").forward_logits(Z, T)
    assert mk.BinaryCrossEntropy("mean_all").forward_logits(Z, T) == pytest.approx(summed / 3)


def test_bad_reduction_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown reduction 'avg'.*'mean', 'mean_all', 'sum'"):
        mk.MSE(reduction="avg")


def test_shape_mismatch():
    with pytest.raises(ValueError, match=r"outputs have shape \(3, 2\) but targets .*\(3, 1\)"):
        mk.MSE().forward(Y, D[:, :1])


def test_names():
    assert isinstance(mk.losses.get("mse"), mk.MSE)
    assert isinstance(mk.losses.get("cross_entropy"), mk.CrossEntropy)
    assert isinstance(mk.losses.get("binary_cross_entropy"), mk.BinaryCrossEntropy)
    with pytest.raises(ValueError, match="unknown loss 'hinge'; valid names are .*'mse'"):
        mk.losses.get("hinge")


@pytest.mark.parametrize("reduction", ["mean", "mean_all", "sum"])
@pytest.mark.parametrize("name", ["mse", "cross_entropy", "binary_cross_entropy", "poisson"])
@pytest.mark.parametrize("fused", [False, True])
def test_integer_sample_weights_equal_repeated_rows(name, reduction, fused):
    from mlpkit import losses

    loss = losses.LOSSES[name](reduction=reduction)
    if fused and loss.fused_with is None:
        pytest.skip("MSE has no fused form")
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((5, 3))
    D = np.eye(3)[[0, 2, 1, 1, 0]] if name == "cross_entropy" else rng.uniform(size=(5, 3))
    if name == "poisson":
        D = rng.poisson(2.0, size=(5, 3)).astype(float)
    weights = np.array([1, 0, 3, 2, 1])
    repeated = np.repeat(np.arange(5), weights)
    if fused:
        value = loss.forward_logits(Z, D, weights)
        grad = loss.backward()
        expected_value = loss.forward_logits(Z[repeated], D[repeated])
    else:
        Y = loss.fused_with().forward(Z) if loss.fused_with else Z
        value = loss.forward(Y, D, weights)
        grad = loss.backward()
        expected_value = loss.forward(Y[repeated], D[repeated])
    expected_grad = np.zeros_like(grad)
    np.add.at(expected_grad, repeated, loss.backward())
    assert value == pytest.approx(expected_value, rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-12)


def test_sample_weights_of_the_wrong_length_are_an_error():
    from mlpkit.losses import MSE

    with pytest.raises(ValueError, match=r"weights must have shape \(2,\)"):
        MSE().forward(np.zeros((2, 1)), np.ones((2, 1)), np.ones(3))


def test_poisson_loss_against_pytorch_and_finite_differences():
    """Half the Poisson deviance: PyTorch's PoissonNLLLoss (log input) plus D log D - D."""
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle")
    from mlpkit.losses import Poisson

    rng = np.random.default_rng(1)
    Z = rng.normal(size=(6, 2))
    D = rng.poisson(1.5, size=(6, 2)).astype(float)
    D[0, 0] = 0.0  # 0 log 0 counts as 0
    loss = Poisson()
    value = loss.forward_logits(Z, D)
    grad = loss.backward()
    Zt = torch.tensor(Z, requires_grad=True)
    nll = torch.nn.PoissonNLLLoss(log_input=True, full=False, reduction="sum")(Zt, torch.tensor(D))
    (nll / len(Z)).backward()
    constant = np.sum(np.where(D > 0, D * np.log(np.where(D > 0, D, 1)), 0) - D) / len(Z)
    assert value == pytest.approx(nll.item() / len(Z) + constant, rel=1e-12)
    np.testing.assert_allclose(grad, Zt.grad.numpy(), rtol=1e-12)
    # unfused, on the rates: the same value, and the chain rule through exp gives the same
    rates = np.exp(Z)
    assert loss.forward(rates, D) == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(loss.backward() * rates, grad, rtol=1e-10)
    # finite differences of the fused value
    eps = 1e-6
    numeric = np.zeros_like(Z)
    for index in np.ndindex(Z.shape):
        step = np.zeros_like(Z)
        step[index] = eps
        numeric[index] = (loss.forward_logits(Z + step, D) - loss.forward_logits(Z - step, D)) / (
            2 * eps
        )
    np.testing.assert_allclose(numeric, grad, rtol=1e-6, atol=1e-9)
    assert Poisson().forward_logits(np.log(np.maximum(D, 1e-300)), D) == pytest.approx(0, abs=1e-9)


def test_exp_output_trains_a_poisson_regression_by_default():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(400, 1))
    y = rng.poisson(np.exp(1 + X[:, 0])).astype(float)
    net = mk.Network([mk.Dense(1), mk.Exp()], input_shape=(1,), seed=0, dtype="float64")
    assert net.task == "regression"
    net.fit(X, y, optimizer=mk.Adam(0.05), epochs=300, batch_size=400, seed=0)
    assert isinstance(net.loss, mk.Poisson)
    W, b = net.layers[0].params["W"], net.layers[0].params["b"]
    np.testing.assert_allclose([W[0, 0], b[0]], [1.0, 1.0], atol=0.25)
