"""Conv2D, pooling and BatchNorm against independent oracles: PyTorch's layers and naive loops.

PyTorch is channels first, so arrays are moved (NHWC <-> NCHW) on the way;
everything runs in float64. Keras's 'same' padding puts an odd extra pixel
after (bottom, right), which PyTorch's symmetric padding cannot express: the
input is padded by hand before PyTorch sees it. Without torch (it comes with
the dev extra) these tests skip.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mlpkit as mk
from helpers import input_gradient
from mlpkit.layers._im2col import output_size

torch = pytest.importorskip("torch", reason="PyTorch (CPU) is the oracle: pip install torch")
F = torch.nn.functional


def built(layer, input_shape, seed=0):
    layer.build(input_shape, np.random.default_rng(seed), np.float64)
    return layer


def nchw(X):
    return torch.tensor(np.ascontiguousarray(X.transpose(0, 3, 1, 2)), requires_grad=True)


def nhwc(T):
    return T.detach().numpy().transpose(0, 2, 3, 1)


def torch_pad(X, geometry, value=0.0):
    """Pad an NCHW tensor as Keras would (the extra pixel after)."""
    (top, bottom), (left, right) = geometry
    return F.pad(X, (left, right, top, bottom), value=value)


def geometry(shape, window, stride, padding):
    rows = output_size(shape[0], window[0], stride, padding)[1:]
    cols = output_size(shape[1], window[1], stride, padding)[1:]
    return rows, cols


def forward_backward(layer, X, seed=1):
    """Our output, input gradient and weight gradients for a random upstream gradient."""
    Y = layer.forward(X, training=True)
    G = np.random.default_rng(seed).normal(size=Y.shape)
    dX = layer.backward(G)
    return Y, G, dX, {key: grad.copy() for key, grad in layer.grads.items()}


CONV_CASES = [
    # (n, h, w, c_in, filters, kernel, stride, padding)
    (2, 5, 5, 1, 3, 3, 1, "valid"),
    (2, 5, 5, 1, 3, 3, 1, "same"),
    (3, 6, 7, 2, 4, 3, 2, "same"),
    (2, 7, 6, 3, 2, 3, 2, "valid"),
    (1, 8, 8, 4, 5, (2, 3), 1, "same"),
    (2, 6, 6, 2, 3, 2, 2, "same"),
    (2, 4, 5, 3, 2, (3, 2), 2, "valid"),
]


@pytest.mark.parametrize(("n", "h", "w", "c", "filters", "kernel", "stride", "padding"), CONV_CASES)
def test_conv2d_matches_pytorch(n, h, w, c, filters, kernel, stride, padding):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, h, w, c))
    layer = built(
        mk.Conv2D(filters, kernel, strides=stride, padding=padding, bias_init="standard_normal"),
        (h, w, c),
    )
    Y, G, dX, grads = forward_backward(layer, X)
    W, b = layer.params["W"], layer.params["b"]
    Xt = nchw(X)
    Wt = torch.tensor(W.transpose(3, 2, 0, 1).copy(), requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    pads = geometry((h, w), layer.kernel_size, stride, padding)
    Yt = F.conv2d(torch_pad(Xt, pads), Wt, bt, stride=stride)
    Yt.backward(torch.tensor(G.transpose(0, 3, 1, 2).copy()))
    np.testing.assert_allclose(Y, nhwc(Yt), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dX, Xt.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["W"], Wt.grad.numpy().transpose(2, 3, 1, 0), rtol=1e-10)
    np.testing.assert_allclose(grads["b"], bt.grad.numpy(), rtol=1e-10)


def naive_conv(X, W, b, stride, padding):
    """Convolution by loops over samples, output positions and filters."""
    n, h, w, _ = X.shape
    kh, kw, _, filters = W.shape
    (out_h, top, bottom), (out_w, left, right) = (
        output_size(h, kh, stride, padding),
        output_size(w, kw, stride, padding),
    )
    padded = np.pad(X, ((0, 0), (top, bottom), (left, right), (0, 0)))
    Y = np.zeros((n, out_h, out_w, filters))
    for s in range(n):
        for i in range(out_h):
            for j in range(out_w):
                window = padded[s, i * stride : i * stride + kh, j * stride : j * stride + kw, :]
                for f in range(filters):
                    Y[s, i, j, f] = np.sum(window * W[:, :, :, f]) + b[f]
    return Y


@pytest.mark.parametrize(("n", "h", "w", "c", "filters", "kernel", "stride", "padding"), CONV_CASES)
def test_conv2d_matches_loops_over_positions(n, h, w, c, filters, kernel, stride, padding):
    X = np.random.default_rng(2).normal(size=(n, h, w, c))
    layer = built(mk.Conv2D(filters, kernel, strides=stride, padding=padding), (h, w, c))
    layer.params["b"][:] = np.arange(filters)
    expected = naive_conv(X, layer.params["W"], layer.params["b"], stride, padding)
    np.testing.assert_allclose(layer.forward(X), expected, rtol=1e-10, atol=1e-12)


def test_conv2d_fans_count_the_receptive_field():
    layer = built(mk.Conv2D(32, 3, init="glorot_uniform"), (28, 28, 1), seed=0)
    limit = math.sqrt(6 / (9 * 1 + 9 * 32))  # Keras: fan_in = 3*3*1, fan_out = 3*3*32
    W = layer.params["W"]
    assert W.shape == (3, 3, 1, 32) and np.abs(W).max() <= limit and np.abs(W).max() > 0.9 * limit


POOL_CASES = [
    # (n, h, w, c, pool, stride, padding)
    (2, 4, 4, 3, 2, None, "valid"),
    (2, 5, 5, 2, 2, None, "valid"),
    (2, 5, 7, 2, 2, None, "same"),
    (1, 6, 6, 3, 3, 2, "valid"),
    (2, 7, 5, 1, 3, 2, "same"),
    (2, 6, 6, 2, (2, 3), 1, "valid"),
]


@pytest.mark.parametrize(("n", "h", "w", "c", "pool", "stride", "padding"), POOL_CASES)
def test_max_pool_matches_pytorch(n, h, w, c, pool, stride, padding):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, h, w, c))
    X[0, :2, :2, 0] = 1.5  # a tie: the gradient goes to the first maximum only
    layer = built(mk.MaxPool2D(pool, strides=stride, padding=padding), (h, w, c))
    Y, G, dX, _ = forward_backward(layer, X)
    Xt = nchw(X)
    pads = geometry((h, w), layer.pool_size, layer.strides[0], padding)
    Yt = F.max_pool2d(torch_pad(Xt, pads, -math.inf), layer.pool_size, stride=layer.strides)
    Yt.backward(torch.tensor(G.transpose(0, 3, 1, 2).copy()))
    np.testing.assert_array_equal(Y, nhwc(Yt))
    np.testing.assert_allclose(dX, Xt.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-12)


def test_max_pool_keeps_its_training_pass_across_other_batch_sizes():
    """The reused buffers: an inference pass on a larger batch, then a smaller training
    batch, then backward, give the gradient of that training batch alone."""
    rng = np.random.default_rng(6)
    X_big, X_small = rng.normal(size=(9, 6, 6, 2)), rng.normal(size=(3, 6, 6, 2))
    G = rng.normal(size=(3, 3, 3, 2))
    fresh = built(mk.MaxPool2D(2), (6, 6, 2))
    fresh.forward(X_small, training=True)
    expected = fresh.backward(G)
    layer = built(mk.MaxPool2D(2), (6, 6, 2))
    layer.forward(X_big, training=True)
    layer.forward(X_small, training=True)
    layer.forward(X_big)  # inference must not disturb the training pass's masks
    np.testing.assert_array_equal(layer.backward(G), expected)


def naive_pool(X, pool, stride, padding, reduce):
    """Pooling by loops over positions; padding is left out of every window."""
    n, h, w, c = X.shape
    (out_h, top, _), (out_w, left, _) = (
        output_size(h, pool[0], stride[0], padding),
        output_size(w, pool[1], stride[1], padding),
    )
    Y = np.zeros((n, out_h, out_w, c))
    for i in range(out_h):
        for j in range(out_w):
            r0, c0 = i * stride[0] - top, j * stride[1] - left
            rows = slice(max(r0, 0), min(r0 + pool[0], h))
            cols = slice(max(c0, 0), min(c0 + pool[1], w))
            Y[:, i, j, :] = reduce(X[:, rows, cols, :], axis=(1, 2))
    return Y


@pytest.mark.parametrize(("n", "h", "w", "c", "pool", "stride", "padding"), POOL_CASES)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_matches_loops_over_positions(n, h, w, c, pool, stride, padding, kind):
    X = np.random.default_rng(3).normal(size=(n, h, w, c))
    cls, reduce = (mk.MaxPool2D, np.max) if kind == "max" else (mk.AvgPool2D, np.mean)
    layer = built(cls(pool, strides=stride, padding=padding), (h, w, c))
    expected = naive_pool(X, layer.pool_size, layer.strides, padding, reduce)
    np.testing.assert_allclose(layer.forward(X), expected, rtol=1e-12)


@pytest.mark.parametrize(("pool", "stride"), [(2, None), (3, 2), ((2, 3), 1)])
def test_avg_pool_matches_pytorch(pool, stride):
    X = np.random.default_rng(4).normal(size=(2, 7, 6, 3))
    layer = built(mk.AvgPool2D(pool, strides=stride), (7, 6, 3))
    Y, G, dX, _ = forward_backward(layer, X)
    Xt = nchw(X)
    Yt = F.avg_pool2d(Xt, layer.pool_size, stride=layer.strides)
    Yt.backward(torch.tensor(G.transpose(0, 3, 1, 2).copy()))
    np.testing.assert_allclose(Y, nhwc(Yt), rtol=1e-12)
    np.testing.assert_allclose(dX, Xt.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-12)


def test_global_avg_pool_matches_pytorch():
    X = np.random.default_rng(5).normal(size=(3, 4, 5, 6))
    layer = built(mk.GlobalAvgPool2D(), (4, 5, 6))
    Y, G, dX, _ = forward_backward(layer, X)
    Xt = nchw(X)
    Yt = Xt.mean(dim=(2, 3))
    Yt.backward(torch.tensor(G))
    np.testing.assert_allclose(Y, Yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(dX, Xt.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-12)


@pytest.mark.parametrize("shape", [(16, 5), (4, 3, 5, 6)], ids=["dense", "image"])
def test_batch_norm_matches_pytorch(shape):
    rng = np.random.default_rng(6)
    X = rng.normal(loc=2.0, scale=3.0, size=shape)
    layer = built(mk.BatchNorm(), shape[1:])
    layer.params["gamma"][:] = rng.normal(size=shape[-1])
    layer.params["beta"][:] = rng.normal(size=shape[-1])
    Y, G, dX, grads = forward_backward(layer, X)
    image = len(shape) == 4
    Xt = nchw(X) if image else torch.tensor(X, requires_grad=True)
    gamma = torch.tensor(layer.params["gamma"], requires_grad=True)
    beta = torch.tensor(layer.params["beta"], requires_grad=True)
    running_mean, running_var = (
        torch.zeros(shape[-1], dtype=torch.float64),
        torch.ones(shape[-1], dtype=torch.float64),
    )
    Yt = F.batch_norm(
        Xt, running_mean, running_var, gamma, beta, training=True, momentum=0.01, eps=1e-3
    )
    Yt.backward(torch.tensor(G.transpose(0, 3, 1, 2).copy() if image else G))
    to_ours = nhwc if image else (lambda T: T.detach().numpy())
    np.testing.assert_allclose(Y, to_ours(Yt), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dX, to_ours(Xt.grad), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(grads["gamma"], gamma.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(grads["beta"], beta.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.buffers["moving_mean"], running_mean.numpy(), rtol=1e-12)
    # PyTorch keeps the unbiased variance, Keras (and mlpkit) the biased one.
    m = X.size // shape[-1]
    batch_unbiased = (running_var.numpy() - 0.99) / 0.01
    expected = 0.99 + 0.01 * batch_unbiased * (m - 1) / m
    np.testing.assert_allclose(layer.buffers["moving_variance"], expected, rtol=1e-10)


def test_batch_norm_uses_the_moving_statistics_at_inference():
    layer = built(mk.BatchNorm(momentum=0.5, epsilon=1e-3), (3,))
    X = np.random.default_rng(7).normal(size=(10, 3)) * 2 + 1
    layer.forward(X, training=True)
    mean, variance = X.mean(0), X.var(0)
    np.testing.assert_allclose(layer.buffers["moving_mean"], 0.5 * mean)
    np.testing.assert_allclose(layer.buffers["moving_variance"], 0.5 + 0.5 * variance)
    Z = layer.forward(X)
    np.testing.assert_allclose(Z, (X - 0.5 * mean) / np.sqrt(0.5 + 0.5 * variance + 1e-3))


# -- gradient checks with drawn shapes --------------------------------------------------
@given(
    h=st.integers(2, 6),
    w=st.integers(2, 6),
    c=st.integers(1, 3),
    filters=st.integers(1, 3),
    kernel=st.integers(1, 3),
    stride=st.integers(1, 2),
    padding=st.sampled_from(["valid", "same"]),
    pool=st.sampled_from(["max", "avg", "global", "none"]),
    norm=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_gradients_of_convolutional_networks(
    h, w, c, filters, kernel, stride, padding, pool, norm, seed
):
    if padding == "valid" and (kernel > h or kernel > w):
        return
    layers = [
        mk.Conv2D(filters, kernel, strides=stride, padding=padding, bias_init="standard_normal"),
        mk.Tanh(),
    ]
    if norm:
        layers.append(mk.BatchNorm())
    layers += {
        "max": [mk.MaxPool2D(2, strides=1, padding="same"), mk.Flatten()],
        "avg": [mk.AvgPool2D(2, strides=1, padding="same"), mk.Flatten()],
        "global": [mk.GlobalAvgPool2D()],
        "none": [mk.Flatten()],
    }[pool]
    net = mk.Network(
        [*layers, mk.Dense(3), mk.Softmax()], input_shape=(h, w, c), seed=seed, dtype="float64"
    )
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(3, h, w, c)), rng.integers(0, 3, 3)
    errors = mk.gradcheck(net, X, y, l2=0.01)
    assert max(errors.values()) < 1e-6, errors
    dX, numeric = input_gradient(net, X, mk.CrossEntropy(), np.eye(3)[y], training=True)
    np.testing.assert_allclose(dX, numeric, rtol=1e-5, atol=1e-8)
