"""Backpropagated gradients agree with central differences, in float64."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import mlpkit as mk
from helpers import input_gradient
from mlpkit import activations, losses

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax"]
# Each loss with the outputs it is defined for; the first pair of CE and BCE is
# the fused path, the second the unfused one.
LOSS_OUTPUTS = [
    ("mse", "linear"),
    ("mse", "tanh"),
    ("mse", "sigmoid"),
    ("cross_entropy", "softmax"),
    ("cross_entropy", "sigmoid"),
    ("binary_cross_entropy", "sigmoid"),
    ("binary_cross_entropy", "softmax"),
]
TOLERANCE = 1e-6


def make_problem(loss, n_samples=6, n_out=3, seed=0):
    """Inputs and targets suited to ``loss``: real targets for MSE, labels otherwise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 4))
    if loss == "mse":
        return X, rng.normal(size=(n_samples, n_out))
    if loss == "binary_cross_entropy":  # multi-label targets: several ones per row
        return X, (rng.random((n_samples, n_out)) < 0.5).astype(float)
    return X, rng.integers(0, n_out, n_samples)


def build(depth, hidden, output, loss, seed=0):
    sizes = [4] + [5] * depth + [3]
    task = "regression" if loss == "mse" else "classification"
    # Random biases so that no unit sits exactly at a kink or a symmetric point.
    return mk.mlp(
        sizes,
        hidden=hidden,
        output=output,
        bias_init="standard_normal",
        seed=seed,
        dtype="float64",
        task=task,
    )


@pytest.mark.parametrize("l2", [0.0, 0.05])
@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize(("loss", "output"), LOSS_OUTPUTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_every_activation_loss_and_depth(hidden, loss, output, depth, l2):
    net = build(depth, hidden, output, loss)
    X, y = make_problem(loss)
    errors = mk.gradcheck(net, X, y, loss, l2=l2)
    assert set(errors) == {key for key, _, _ in net.parameters()}
    assert max(errors.values()) < TOLERANCE, errors


@pytest.mark.parametrize("reduction", losses.REDUCTIONS)
@pytest.mark.parametrize(("loss", "output"), LOSS_OUTPUTS)
def test_every_reduction(loss, output, reduction):
    net = build(2, "tanh", output, loss)
    X, y = make_problem(loss)
    errors = mk.gradcheck(net, X, y, losses.get(loss).__class__(reduction=reduction))
    assert max(errors.values()) < TOLERANCE, errors


def test_l2_on_biases_too():
    net = build(2, "tanh", "softmax", "cross_entropy")
    X, y = make_problem("cross_entropy")
    errors = mk.gradcheck(net, X, y, "cross_entropy", l2=0.3, l2_bias=True)
    assert max(errors.values()) < TOLERANCE, errors


@given(
    n_samples=st.integers(1, 8),
    n_in=st.integers(1, 5),
    widths=st.lists(st.integers(1, 6), min_size=1, max_size=4),
    n_out=st.integers(2, 5),
    hidden=st.sampled_from(HIDDEN),
    loss_output=st.sampled_from(LOSS_OUTPUTS),
    l2=st.sampled_from([0.0, 0.01]),
    seed=st.integers(0, 2**16),
)
def test_random_shapes(n_samples, n_in, widths, n_out, hidden, loss_output, l2, seed):
    loss, output = loss_output
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_in))
    y = rng.normal(size=(n_samples, n_out)) if loss == "mse" else rng.integers(0, n_out, n_samples)
    net = mk.mlp(
        [n_in, *widths, n_out],
        hidden=hidden,
        output=output,
        bias_init="standard_normal",
        seed=seed,
        dtype="float64",
        task="regression" if loss == "mse" else "classification",
    )
    # Finite differences are meaningless across a ReLU kink: a step of a few 1e-4
    # that crosses z = 0 measures an average of two slopes. Keep clear of kinks.
    assume(distance_to_kinks(net, X) > 1e-2)
    errors = mk.gradcheck(net, X, y, loss, l2=l2)
    # A gradient under ~1e-4 (several leaky slopes of 0.01 in a row) is as small as the
    # rounding noise of a difference quotient with h = 1e-4 allows: nothing to test there.
    assume(min(np.linalg.norm(grad) for _, _, grad in net.parameters()) > 1e-4)
    assert max(errors.values()) < TOLERANCE, errors


def distance_to_kinks(net, X):
    """The smallest |input| of any ReLU or LeakyReLU unit over the batch."""
    smallest, out = np.inf, X
    for layer in net.layers:
        if isinstance(layer, mk.ReLU | mk.LeakyReLU):
            smallest = min(smallest, float(np.abs(out).min()))
        out = layer.forward(out)
    return smallest


class WrongTanh(activations.Tanh):
    """A deliberately wrong derivative: forgets to square."""

    def backward(self, dY, *, need_input_grad=True):
        return dY * (1 - self._Y)


def test_gradcheck_catches_a_wrong_backward_pass():
    net = mk.Network(
        [mk.Dense(5, bias_init="standard_normal"), WrongTanh(), mk.Dense(3), mk.Softmax()],
        input_shape=(4,),
        seed=0,
        dtype="float64",
    )
    X, y = make_problem("cross_entropy")
    errors = mk.gradcheck(net, X, y, "cross_entropy")
    assert errors["0.W"] > 1e-2
    assert errors["2.W"] < TOLERANCE  # the layer above the mistake is still right


def test_gradcheck_refuses_float32():
    net = mk.mlp([4, 3, 3], seed=0)
    X, y = make_problem("cross_entropy")
    with pytest.raises(ValueError, match="float64 network"):
        mk.gradcheck(net, X, y)


def test_input_gradient_of_network_backward():
    """Network.backward returns dL/dX; check it by central differences too."""
    rng = np.random.default_rng(3)
    net = mk.mlp([4, 6, 3], hidden="tanh", output="linear", seed=3, dtype="float64")
    X = rng.normal(size=(5, 4))
    D = rng.normal(size=(5, 3))
    loss = losses.MSE()

    dX, numeric = input_gradient(net, X, loss, D)
    np.testing.assert_allclose(dX, numeric, rtol=1e-6, atol=1e-9)


def test_entries_whose_steps_cross_a_kink_are_skipped_and_counted():
    """Blank inputs put every unit of a zero-bias ReLU layer exactly on its kink."""
    net = mk.mlp([6, 50, 3], hidden="relu", seed=0, dtype="float64")
    net.layers[0].params["b"][:25] = 0.5  # half the units away from it
    X = np.zeros((4, 6))
    X[:2] = np.random.default_rng(0).normal(size=(2, 6))
    report = {}
    errors = mk.gradcheck(net, X, [0, 1, 2, 0], report=report)
    assert report["skipped"]["0.b"] == 25 and report["checked"]["0.b"] == 25
    assert sum(report["checked"].values()) + sum(report["skipped"].values()) == sum(
        p.size for _, p, _ in net.parameters()
    )
    assert max(errors.values()) < TOLERANCE, errors
