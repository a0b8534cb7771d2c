"""A layer's own L2 (``Dense(l2=...)``, ``l2 = 0.01`` on a recipe's layer table).

Keras's ``kernel_regularizer=l2(c)`` adds ``c * sum(W**2)`` to the loss, so
its gradient is ``2 c W``, added once per step. Training once added the
layers' own penalty twice (in ``loss_and_gradients`` and again in the
training loop), doubling it: these tests check the step itself, against
hand arithmetic, against ``fit``'s global ``l2`` and against PyTorch.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlpkit as mk

RNG = np.random.default_rng(0)
X = RNG.normal(size=(12, 5))
y = RNG.integers(0, 3, 12)
T = np.eye(3)[y]


def network(l2: float) -> mk.Network:
    layers = [mk.Dense(4, l2=l2), mk.ReLU(), mk.Dense(3, l2=l2), mk.Softmax()]
    return mk.Network(layers, input_shape=(5,), seed=0, dtype="float64")


def kernels(net: mk.Network) -> list[np.ndarray]:
    return [net.layers[i].params["W"].copy() for i in (0, 2)]


@pytest.mark.parametrize("l2", [0.01, 0.5])
def test_one_sgd_step_adds_twice_the_layer_l2_times_the_kernel(l2):
    plain = network(0.0)
    plain.loss_and_gradients(X, T, mk.CrossEntropy())
    data_grads = [plain.layers[i].grads["W"].copy() for i in (0, 2)]
    net = network(l2)
    before = kernels(net)
    net.fit(X, y, loss="cross_entropy", optimizer=mk.SGD(0.1), epochs=1, batch_size=12)
    for W0, W1, G in zip(before, kernels(net), data_grads, strict=True):
        np.testing.assert_allclose(W1, W0 - 0.1 * (G + 2 * l2 * W0), rtol=1e-12, atol=1e-14)


def test_the_layers_own_l2_trains_as_fits_global_l2_on_every_kernel():
    own, shared = network(0.05), network(0.0)
    settings = dict(loss="cross_entropy", epochs=4, batch_size=4, seed=1)
    own_history = own.fit(X, y, optimizer=mk.Adam(0.01), **settings)
    shared_history = shared.fit(X, y, optimizer=mk.Adam(0.01), l2=0.05, **settings)
    for a, b in zip(kernels(own), kernels(shared), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(own_history["loss"], shared_history["loss"], rtol=1e-12)
    np.testing.assert_allclose(own_history["l2_penalty"], shared_history["l2_penalty"])


def test_the_history_loss_is_the_data_loss_with_the_layers_own_l2():
    start = network(0.5)  # one full batch: both figures are those of the initial weights
    data_loss = start.loss_and_gradients(X, T, mk.CrossEntropy())[0]
    penalty = 0.5 * sum(np.sum(W * W) for W in kernels(start))
    history = network(0.5).fit(
        X, y, loss="cross_entropy", optimizer=mk.SGD(0.1), epochs=1, batch_size=12
    )
    assert history["loss"][0] == pytest.approx(data_loss, rel=1e-12)
    assert history["l2_penalty"][0] == pytest.approx(penalty, rel=1e-12)


def test_adam_with_the_layers_own_l2_follows_pytorch_with_keras_penalty():
    torch = pytest.importorskip("torch", reason="PyTorch (CPU) is the oracle: pip install torch")
    l2, rate, steps = 0.1, 0.01, 5
    net = network(l2)
    Ws = [torch.tensor(W, requires_grad=True) for W in kernels(net)]
    bs = [torch.tensor(net.layers[i].params["b"].copy(), requires_grad=True) for i in (0, 2)]
    optimizer = torch.optim.Adam([*Ws, *bs], lr=rate, eps=1e-8)
    Xt, labels = torch.tensor(X), torch.tensor(y)
    for _ in range(steps):
        optimizer.zero_grad()
        logits = torch.relu(Xt @ Ws[0] + bs[0]) @ Ws[1] + bs[1]
        # Keras's kernel_regularizer l2(c): c * sum(W**2) per kernel, added to the mean loss
        penalty = sum(l2 * torch.sum(W * W) for W in Ws)
        (torch.nn.functional.cross_entropy(logits, labels) + penalty).backward()
        optimizer.step()
    net.fit(X, y, loss="cross_entropy", optimizer=mk.Adam(rate), epochs=steps, batch_size=12)
    for ours, theirs in zip(kernels(net), Ws, strict=True):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-9, atol=1e-12)
