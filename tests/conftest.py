"""Shared test settings."""

import os

import pytest
from hypothesis import HealthCheck, settings

# Plots render to files in tests: never open a window (tests and the CLI alike).
os.environ.setdefault("MPLBACKEND", "Agg")

# Gradient checks are slow-ish per example; no per-example deadline on a shared machine.
settings.register_profile(
    "default", deadline=None, max_examples=30, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture(params=["numpy", "numba"])
def kernels_backend(request, monkeypatch):
    """Run a test once on the NumPy references and once on the numba kernels.

    The numba run skips, with the reason, where numba is not installed.
    """
    if request.param == "numba":
        pytest.importorskip("numba", reason="the numba backend needs numba (the 'fast' extra)")
    monkeypatch.setenv("MLPKIT_KERNELS", request.param)
    return request.param


@pytest.fixture
def numba_backend(monkeypatch):
    """The numba kernels only (skips without numba)."""
    pytest.importorskip("numba", reason="the numba backend needs numba (the 'fast' extra)")
    monkeypatch.setenv("MLPKIT_KERNELS", "numba")
    return "numba"
