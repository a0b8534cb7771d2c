"""Shared test settings."""

import os

from hypothesis import HealthCheck, settings

# Plots render to files in tests: never open a window (tests and the CLI alike).
os.environ.setdefault("MPLBACKEND", "Agg")

# Gradient checks are slow-ish per example; no per-example deadline on a shared machine.
settings.register_profile(
    "default", deadline=None, max_examples=30, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")
