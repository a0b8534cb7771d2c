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
        (mk.SGD(0.1), [0.9, 0.85, 0.95]),
        # G = 0.9 G + 0.1 g: G = 0.1, 0.14, 0.026; w -= G
        (mk.SGD(0.1, momentum=0.9), [0.9, 0.76, 0.734]),
        # w -= 0.9 G + 0.1 g: steps 0.19, 0.176, -0.0766
        (mk.SGD(0.1, momentum=0.9, nesterov=True), [0.81, 0.634, 0.7106]),
        # m = 0.1, 0.14, 0.026; v = 0.001, 0.001249, 0.002247751; bias-corrected
        (mk.Adam(0.1), [0.9000000009999999, 0.8067820382981609, 0.7957037312938715]),
        # s = 0.1, 0.115, 0.2035; w -= 0.01 g / sqrt(s)
        (mk.RMSprop(0.01), [0.9683772243983162, 0.9536330292176091, 0.9758005836522822]),
    ],
    ids=["sgd", "momentum", "nesterov", "adam", "rmsprop"],
)
def test_first_three_steps(optimizer, expected):
    assert three_steps(optimizer) == pytest.approx(expected, rel=1e-12)


def test_state_is_kept_per_parameter_key():
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
