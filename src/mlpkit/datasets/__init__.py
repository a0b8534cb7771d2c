"""Data: datasets by name, synthetic problems, file readers, splits and preprocessing."""

from mlpkit.datasets.augment import random_affine, random_flips, random_shifts
from mlpkit.datasets.files import ChecksumError, DataNotFoundError, data_dir
from mlpkit.datasets.preprocessing import (
    Preprocessor,
    Standardizer,
    flatten_images,
    one_hot,
    rescale,
    zscore_rows,
)
from mlpkit.datasets.readers import read_ex4data1, read_idx, read_optdigits
from mlpkit.datasets.registry import REGISTRY, Dataset, get_info, load
from mlpkit.datasets.splits import train_test_split, train_valid_test_split
from mlpkit.datasets.synthetic import (
    make_blobs,
    make_circles,
    make_moons,
    make_spirals,
    make_xor,
)
from mlpkit.datasets.tables import read_features, read_table

__all__ = [
    "REGISTRY",
    "ChecksumError",
    "DataNotFoundError",
    "Dataset",
    "Preprocessor",
    "Standardizer",
    "data_dir",
    "flatten_images",
    "get_info",
    "load",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_spirals",
    "make_xor",
    "one_hot",
    "random_affine",
    "random_flips",
    "random_shifts",
    "read_ex4data1",
    "read_features",
    "read_idx",
    "read_optdigits",
    "read_table",
    "rescale",
    "train_test_split",
    "train_valid_test_split",
    "zscore_rows",
]
