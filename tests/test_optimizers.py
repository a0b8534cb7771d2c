"""Each optimiser's first three steps against values worked out by hand.

One weight starts at 1.0 and receives the gradients 1.0, 0.5, -1.0.
"""

import numpy as np
import pytest

import mlpkit as mk

GRADIENTS = [1.0, 0.5, -1.0]


def three_steps(optimizer):
    w = np.array([1.0])
    seen = []
    for g in GRADIENTS:
        optimizer.step([("0.W", w, np.array([g]))])
        seen.append(float(w[0]))
    return seen


@pytest.mark.parametrize(
    ("optimizer", "expected"),
    [
        # w -= 0.1 g
        (lambda: mk.SGD(0.1), [0.9, 0.85, 0.95]),
        # G = 0.9 G + 0.1 g: G = 0.1, 0.14, 0.026; w -= G
        (lambda: mk.SGD(0.1, momentum=0.9), [0.9, 0.76, 0.734]),
        # w -= 0.9 G + 0.1 g: steps 0.19, 0.176, -0.0766
        (lambda: mk.SGD(0.1, momentum=0.9, nesterov=True), [0.81, 0.634, 0.7106]),
        # m = 0.1, 0.14, 0.026; v = 0.001, 0.001249, 0.002247751; bias-corrected
        (lambda: mk.Adam(0.1), [0.9000000009999999, 0.8067820382981609, 0.7957037312938715]),
        # s = 0.1, 0.115, 0.2035; w -= 0.01 g / sqrt(s)
        (lambda: mk.RMSprop(0.01), [0.9683772243983162, 0.9536330292176091, 0.9758005836522822]),
    ],
    ids=["sgd", "momentum", "nesterov", "adam", "rmsprop"],
)
def test_first_three_steps(optimizer, expected, kernels_backend):
    assert three_steps(optimizer()) == pytest.approx(expected, rel=1e-12)


def test_state_is_kept_per_parameter_key(kernels_backend):
    optimizer = mk.SGD(0.1, momentum=0.9)
    a, b = np.array([0.0]), np.array([0.0])
    optimizer.step([("0.W", a, np.array([1.0])), ("2.W", b, np.array([-1.0]))])
    optimizer.step([("0.W", a, np.array([1.0])), ("2.W", b, np.array([-1.0]))])
    assert a[0] == pytest.approx(-0.29) and b[0] == pytest.approx(0.29)
    assert set(optimizer.state) == {"0.W", "2.W"}


@pytest.mark.parametrize(
    ("schedule", "rates"),
    [
        (mk.StepDecay(0.1, factor=0.5, every=2), [0.1, 0.1, 0.05, 0.05, 0.025]),
        (mk.ExponentialDecay(0.1, rate=0.5), [0.1, 0.05, 0.025, 0.0125, 0.00625]),
        (mk.InverseTimeDecay(0.1, decay=1.0), [0.1, 0.05, 0.1 / 3, 0.025, 0.02]),
    ],
)
def test_schedules_by_epoch(schedule, rates):
    assert [schedule(epoch) for epoch in range(5)] == pytest.approx(rates)


def test_fit_advances_the_schedule_each_epoch():
    optimizer = mk.SGD(mk.StepDecay(0.1, factor=0.5, every=1))
    X, y = mk.datasets.make_xor()
    mk.mlp([2, 3, 2], seed=0).fit(X, y, optimizer=optimizer, epochs=3, seed=0)
    assert optimizer.iterations == 3  # full batch: one step per epoch
    assert optimizer.learning_rate == pytest.approx(0.025)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: mk.SGD(-0.1), "learning_rate must be a finite positive number, got -0.1"),
        (lambda: mk.SGD(0.1, momentum=1.5), r"momentum must be in \[0, 1\), got 1.5"),
        (lambda: mk.SGD(0.1, nesterov=True), "nesterov=True needs a momentum > 0"),
        (lambda: mk.Adam(beta2=-0.1), "beta2 must be a finite non-negative number"),
        (lambda: mk.RMSprop(eps=0), "eps must be a finite positive number, got 0"),
        (lambda: mk.optimizers.get("adagrad"), "unknown optimizer 'adagrad'; valid names"),
    ],
)
def test_bad_hyper_parameters(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_learning_rate_must_be_a_number():
    with pytest.raises(TypeError, match="learning_rate must be a number, got str"):
        mk.SGD("fast")


def textbook_steps(name, w, gradients, lr=0.01, momentum=0.9):
    """The update rules written out naively, one allocation per operation."""
    G = m = v = s = np.zeros_like(w)
    for t, g in enumerate(gradients, start=1):
        if name == "sgd":
            w = w - lr * g
        elif name == "momentum":
            G = momentum * G + lr * g
            w = w - G
        elif name == "nesterov":
            G = momentum * G + lr * g
            w = w - (momentum * G + lr * g)
        elif name == "adam":
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            w = w - lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        elif name == "rmsprop":
            s = 0.9 * s + 0.1 * g * g
            w = w - lr * g / (np.sqrt(s) + 1e-8)
    return w


@pytest.mark.parametrize(
    ("name", "optimizer"),
    [
        ("sgd", lambda: mk.SGD(0.01)),
        ("momentum", lambda: mk.SGD(0.01, momentum=0.9)),
        ("nesterov", lambda: mk.SGD(0.01, momentum=0.9, nesterov=True)),
        ("adam", lambda: mk.Adam(0.01)),
        ("rmsprop", lambda: mk.RMSprop(0.01)),
    ],
)
def test_in_place_updates_match_the_textbook_rules(name, optimizer, kernels_backend):
    rng = np.random.default_rng(0)
    gradients = list(rng.normal(size=(200, 5, 3)))
    w0 = rng.normal(size=(5, 3))
    w, opt = w0.copy(), optimizer()
    for g in gradients:
        opt.step([("0.W", w, g)])
    np.testing.assert_allclose(w, textbook_steps(name, w0, gradients), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "optimizer",
    [lambda: mk.SGD(0.1, momentum=0.9), lambda: mk.Adam(0.001), lambda: mk.RMSprop(0.001)],
    ids=["momentum", "adam", "rmsprop"],
)
def test_the_kernels_keep_state_from_turning_subnormal(optimizer, dtype, numba_backend):
    # One gradient, then zeros: the state decays geometrically towards zero, as
    # for MNIST's border pixels; without flushing it would pass through the
    # subnormal range (slow on x86) long before reaching zero.
    opt = optimizer()
    w, g = np.ones(4, dtype), np.array([1.0, 1e-3, 1e-10, 0.0], dtype)
    tiny = np.finfo(dtype).tiny
    for step in range(20000):
        opt.step([("0.W", w, g if step == 0 else np.zeros_like(g))])
        for values in opt.state["0.W"].values():
            assert not np.any((values != 0) & (np.abs(values) < tiny)), step
    fast = next(iter(opt.state["0.W"].values()))  # velocity, m or s: decay 0.9 per step
    assert not np.any(fast)  # flushed to zero on the way (Adam's v, at 0.999, is slower)


def test_flushing_leaves_state_that_can_still_move_weights_alone(numba_backend):
    opt = mk.SGD(0.1, momentum=0.9)
    w = np.zeros(3, np.float32)
    opt.step([("0.W", w, np.array([1e-30, 1.0, 0.0], np.float32))])
    for _ in range(200):  # several flushes; the velocities stay far above the guard
        opt.step([("0.W", w, np.array([1e-30, 1.0, 0.0], np.float32))])
    velocity = opt.state["0.W"]["velocity"]
    assert velocity[0] == pytest.approx(1e-30, rel=1e-3) and velocity[1] == pytest.approx(1.0)
    assert velocity[2] == 0


@pytest.mark.parametrize("optimizer", [lambda: mk.SGD(0.1, momentum=0.9), lambda: mk.Adam(0.001)])
def test_the_kernels_flush_weights_that_decay_to_nearly_zero(optimizer, numba_backend):
    opt = optimizer()
    tiny = np.finfo(np.float32).tiny
    w = np.array([1e-36, -5e-33, 1e-20, 0.5], np.float32)  # a subnormal, two tiny, one normal
    kept = w[2:].copy()
    for _ in range(64):
        opt.step([("0.W", w, np.zeros(4, np.float32))])
    assert w[0] == 0 and w[1] == 0  # below 2**20 * tiny: flushed
    np.testing.assert_array_equal(w[2:], kept)  # far above it: untouched
    assert not np.any((w != 0) & (np.abs(w) < tiny))
