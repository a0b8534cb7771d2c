"""Data: seeded synthetic problems, splits and preprocessing.

The real datasets (optdigits, MNIST, ...) arrive with the data issue; this
package holds what the core and its tests need.
"""

from mlpkit.datasets.preprocessing import Standardizer, one_hot, train_test_split
from mlpkit.datasets.synthetic import (
    make_blobs,
    make_circles,
    make_moons,
    make_spirals,
    make_xor,
)

__all__ = [
    "Standardizer",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_spirals",
    "make_xor",
    "one_hot",
    "train_test_split",
]
