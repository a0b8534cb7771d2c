"""Initialisers draw from the documented distributions."""

import math

import numpy as np
import pytest

from mlpkit import initializers as init

RNG_SEED = 0


def draw(initializer, fan_in=400, fan_out=300):
    rng = np.random.default_rng(RNG_SEED)
    return initializer((fan_in, fan_out), fan_in, fan_out, rng, np.float64)


def test_glorot_uniform_limit_and_variance():
    W = draw(init.glorot_uniform())
    limit = math.sqrt(6 / 700)
    assert np.abs(W).max() <= limit
    assert np.abs(W).max() > 0.99 * limit
    assert W.var() == pytest.approx(2 / 700, rel=0.02)


@pytest.mark.parametrize(
    ("factory", "variance"),
    [
        (init.glorot_normal, 2 / 700),
        (init.he_normal, 2 / 400),
        (init.he_uniform, 2 / 400),
    ],
)
def test_variance_scaling(factory, variance):
    assert draw(factory()).var() == pytest.approx(variance, rel=0.02)


def test_uniform_limit():
    W = draw(init.uniform(0.3))
    assert -0.3 <= W.min() < -0.29 and 0.29 < W.max() <= 0.3


def test_uniform_fan_in_is_two_over_root_n_in():
    W = draw(init.uniform_fan_in(), fan_in=400)
    assert np.abs(W).max() <= 2 / 20
    assert np.abs(W).max() > 0.099


@pytest.mark.parametrize("std", [0.1, 1.0])
def test_normal_std(std):
    W = draw(init.normal(std))
    assert W.std() == pytest.approx(std, rel=0.02)
    assert abs(W.mean()) < 0.01 * std


def test_zeros_and_names():
    assert not draw(init.get("zeros")).any()
    assert draw(init.get("standard_normal")).std() == pytest.approx(1.0, rel=0.02)
    with pytest.raises(ValueError, match="unknown initializer 'orthogonal'; valid names"):
        init.get("orthogonal")


def test_bad_parameters():
    with pytest.raises(ValueError, match="limit must be a finite positive number, got -1"):
        init.uniform(-1)
    with pytest.raises(ValueError, match="std must be a finite positive number, got 0"):
        init.normal(0)
