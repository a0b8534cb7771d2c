"""The layers' numba kernels against their NumPy references, layer by layer.

Each case builds one layer, runs ``forward(training=True)`` and ``backward``
on the same drawn inputs once per backend, and compares the output, the input
gradient and the parameter gradients. Inputs are drawn in float32 and float64,
as contiguous, strided (every other value of a wider array) and read-only
arrays, with batches from one sample up.

Tolerances: the kernels sum in another order than the references (BatchNorm
and the bias gradients in float64, the convolution chunk by chunk, col2im
window by window), so they agree to rounding: ``rtol = atol = 1e-4`` in
float32 and ``1e-11`` in float64 on values of order one. Max pooling's output
and choices are exact (a maximum does not round), as is ReLU.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mlpkit as mk

pytest.importorskip("numba", reason="the kernels need numba (the 'fast' extra)")

TOLERANCE = {np.float32: 1e-4, np.float64: 1e-11}
LAYOUTS = ["contiguous", "strided", "read-only"]


def drawn(rng, shape, dtype, layout):
    """Standard normal values of ``shape`` in the given memory layout."""
    values = rng.normal(size=(*shape, 2)).astype(dtype)[..., 0]  # strided
    if layout != "strided":
        values = np.ascontiguousarray(values)
    values.flags.writeable = layout != "read-only"
    return values


def passes(layer_factory, input_shape, X, dY, backend, monkeypatch):
    """``(Y, dX, grads, choices)`` of a freshly built layer on ``backend``."""
    monkeypatch.setenv("MLPKIT_KERNELS", backend)
    layer = layer_factory()
    layer.build(input_shape, np.random.default_rng(0), X.dtype.type)
    Y = np.array(layer.forward(X, training=True), copy=True)
    choices = layer.choices()
    choices = None if choices is None else np.array(choices, copy=True)
    dX = layer.backward(dY)
    grads = {key: value.copy() for key, value in layer.grads.items()}
    return Y, np.array(dX, copy=True), grads, choices


def check_layer(layer_factory, input_shape, n, dtype, layout, seed, exact=False):
    rng = np.random.default_rng(seed)
    probe = layer_factory()
    output_shape = probe.output_shape(input_shape)
    X = drawn(rng, (n, *input_shape), dtype, layout)
    dY = drawn(rng, (n, *output_shape), dtype, layout)
    with pytest.MonkeyPatch.context() as monkeypatch:
        reference = passes(layer_factory, input_shape, X, dY, "numpy", monkeypatch)
        kernel = passes(layer_factory, input_shape, X, dY, "numba", monkeypatch)
    tol = TOLERANCE[dtype]
    for found, expected in [(kernel[0], reference[0]), (kernel[1], reference[1])] + [
        (kernel[2][key], reference[2][key]) for key in reference[2]
    ]:
        assert found.dtype == expected.dtype == dtype
        assert found.shape == expected.shape
        if exact:
            np.testing.assert_array_equal(found, expected)
        else:
            np.testing.assert_allclose(found, expected, rtol=tol, atol=tol)
    if reference[3] is not None:
        np.testing.assert_array_equal(kernel[3], reference[3])


images = st.tuples(st.integers(1, 9), st.integers(1, 9), st.integers(1, 5))
common = {
    "dtype": st.sampled_from([np.float32, np.float64]),
    "layout": st.sampled_from(LAYOUTS),
    "n": st.integers(1, 4),
    "seed": st.integers(0, 2**16),
}


@settings(max_examples=60, deadline=None)
@given(
    image=images,
    filters=st.integers(1, 6),
    window=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    strides=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.sampled_from(["valid", "same"]),
    use_bias=st.booleans(),
    **common,
)
def test_conv2d_kernels_equal_the_reference(
    image, filters, window, strides, padding, use_bias, dtype, layout, n, seed
):
    if padding == "valid" and (window[0] > image[0] or window[1] > image[1]):
        window = (min(window[0], image[0]), min(window[1], image[1]))

    def factory():
        return mk.Conv2D(filters, window, strides=strides, padding=padding, use_bias=use_bias)

    check_layer(factory, image, n, dtype, layout, seed)


def test_conv2d_streams_a_batch_in_chunks_with_the_reference_result(monkeypatch):
    # A chunk of one sample at a time: the chunk loop and its row slices.
    monkeypatch.setattr("mlpkit.layers.conv.CHUNK_BYTES", 1)
    factory = lambda: mk.Conv2D(3, 3, padding="same")  # noqa: E731
    check_layer(factory, (5, 6, 2), 4, np.float64, "contiguous", seed=1)


@settings(max_examples=60, deadline=None)
@given(
    image=images,
    pool=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    strides=st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))),
    padding=st.sampled_from(["valid", "same"]),
    kind=st.sampled_from(["max", "avg"]),
    **common,
)
def test_pooling_kernels_equal_the_reference(
    image, pool, strides, padding, kind, dtype, layout, n, seed
):
    if padding == "valid":
        pool = (min(pool[0], image[0]), min(pool[1], image[1]))
    cls = mk.MaxPool2D if kind == "max" else mk.AvgPool2D

    def factory():
        return cls(pool, strides=strides, padding=padding)

    check_layer(factory, image, n, dtype, layout, seed)


def test_max_pool_kernel_sends_a_tie_to_the_first_maximum(monkeypatch):
    X = np.zeros((1, 4, 4, 1))
    X[0, 0, 1, 0] = X[0, 1, 0, 0] = 2.0  # a tie in the first window
    monkeypatch.setenv("MLPKIT_KERNELS", "numba")
    layer = mk.MaxPool2D(2)
    layer.build((4, 4, 1), np.random.default_rng(0), np.float64)
    layer.forward(X, training=True)
    dX = layer.backward(np.ones((1, 2, 2, 1)))
    assert dX[0, 0, 1, 0] == 1 and dX[0, 1, 0, 0] == 0


def test_max_pool_kernel_propagates_nan_as_the_reference(monkeypatch):
    X = np.arange(16.0).reshape(1, 4, 4, 1)
    X[0, 0, 0, 0] = np.nan
    found = {}
    for backend in ("numpy", "numba"):
        monkeypatch.setenv("MLPKIT_KERNELS", backend)
        layer = mk.MaxPool2D(2)
        layer.build((4, 4, 1), np.random.default_rng(0), np.float64)
        found[backend] = layer.forward(X, training=True), layer.choices()
    np.testing.assert_array_equal(found["numba"][0], found["numpy"][0])
    np.testing.assert_array_equal(found["numba"][1], found["numpy"][1])


@settings(max_examples=40, deadline=None)
@given(image=images, **common)
def test_global_avg_pool_kernel_equals_the_reference(image, dtype, layout, n, seed):
    check_layer(mk.GlobalAvgPool2D, image, n, dtype, layout, seed)


@settings(max_examples=60, deadline=None)
@given(
    shape=st.one_of(st.tuples(st.integers(1, 7)), images),
    momentum=st.sampled_from([0.0, 0.9, 0.99]),
    **common,
)
def test_batch_norm_kernels_equal_the_reference(shape, momentum, dtype, layout, n, seed):
    if len(shape) == 1:
        n = max(n, 2)  # one sample has no statistics over flat features
    check_layer(lambda: mk.BatchNorm(momentum=momentum), shape, n, dtype, layout, seed)


def test_batch_norm_kernel_updates_the_moving_statistics_as_the_reference(monkeypatch):
    rng = np.random.default_rng(3)
    X = rng.normal(2.0, 3.0, size=(5, 4, 4, 3))
    moving = {}
    for backend in ("numpy", "numba"):
        monkeypatch.setenv("MLPKIT_KERNELS", backend)
        layer = mk.BatchNorm(momentum=0.9)
        layer.build((4, 4, 3), np.random.default_rng(0), np.float64)
        layer.forward(X, training=True)
        moving[backend] = {key: value.copy() for key, value in layer.buffers.items()}
    for key, value in moving["numpy"].items():
        np.testing.assert_allclose(moving["numba"][key], value, rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(shape=st.one_of(st.tuples(st.integers(1, 7)), images), **common)
def test_relu_kernel_equals_the_reference(shape, dtype, layout, n, seed):
    check_layer(mk.ReLU, shape, n, dtype, layout, seed, exact=True)


def test_a_network_trains_the_same_on_both_backends_to_float_tolerance(monkeypatch):
    """The E3 CNN's layers, a few epochs of momentum in float64: the weights agree.

    (Not Adam: where a gradient is near zero, Adam's step is +-lr whatever its
    size, so a rounding difference in its sign moves a weight by the whole step.)
    """
    rng = np.random.default_rng(0)
    X = rng.random((16, 10, 10, 1))
    y = rng.integers(0, 3, 16)
    weights = {}
    for backend in ("numpy", "numba"):
        monkeypatch.setenv("MLPKIT_KERNELS", backend)
        net = mk.Network(
            [
                mk.Conv2D(4, 3, padding="same"),
                mk.ReLU(),
                mk.BatchNorm(),
                mk.MaxPool2D(2),
                mk.Flatten(),
                mk.Dense(3),
                mk.Softmax(),
            ],
            input_shape=(10, 10, 1),
            seed=0,
            dtype="float64",
        )
        optimizer = mk.SGD(0.1, momentum=0.9)
        net.fit(X, y, loss="cross_entropy", optimizer=optimizer, epochs=3, batch_size=8, seed=0)
        weights[backend] = [value.copy() for _, value, _ in net.parameters()]
    for found, expected in zip(weights["numba"], weights["numpy"], strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-9, atol=1e-9)
