"""Datasets by name: ``load("optdigits")``, ``load("mnist")``, ``load("moons", noise=0.2)``.

``load`` returns a :class:`Dataset`, which unpacks as
``X_train, y_train, X_test, y_test`` and carries a validation split where the
dataset defines one. Features come as float32 rows in the data's own units
(optdigits 0..16, MNIST pixels 0..255, digits20 0..1); scaling is the
caller's choice (see ``preprocessing``).
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit._validation import registry_key
from mlpkit.datasets import synthetic
from mlpkit.datasets.files import DataNotFoundError, RemoteFile, data_dir, fetch
from mlpkit.datasets.readers import read_ex4data1, read_idx, read_optdigits
from mlpkit.datasets.splits import train_test_split, train_valid_test_split

__all__ = ["REGISTRY", "Dataset", "DatasetInfo", "get_info", "load"]

_MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
_FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
_NOTMNIST_URL = (
    "https://raw.githubusercontent.com/davidflanagan/notMNIST-to-MNIST/"
    "17823f4d4a3acd8317c07866702d2eb2ac79c7a0/"
)
_IDX_NAMES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
_MNIST_SHA256 = (
    "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
)
_FASHION_SHA256 = (
    "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
)
_NOTMNIST_SHA256 = (
    "70ae9e06201f2827e5b0a3781a3169d735dd2efc69996b9eeaee7f10ed4044d7",
    "1fa03836e01c862542f8eb83463bb951bebec6fcb3efa28dad748c6b38a9021b",
)
_FASHION_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
_DIGITS = [str(d) for d in range(10)]

# Fixed seeds of the splits mlpkit defines, so that every user gets the same ones.
NOTMNIST_SPLIT = {"valid": 1000, "test": 1000, "seed": 421}
DIGITS20 = {"per_class": 500, "train": 1000, "seed": 20}


@dataclass
class Dataset:
    """Train/test (and optional validation) arrays of one dataset.

    Unpacks as ``X_train, y_train, X_test, y_test``. ``X_*`` have shape
    (n, n_features), float32; ``y_*`` shape (n,), int64 classes.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    X_valid: np.ndarray | None = None
    y_valid: np.ndarray | None = None
    classes: list[str] = field(default_factory=list)
    image_shape: tuple[int, int] | None = None
    #: The range the features' values come from, e.g. (0, 255) for pixels.
    value_range: tuple[float, float] | None = None

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.X_train, self.y_train, self.X_test, self.y_test))

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.classes)


@dataclass(frozen=True)
class DatasetInfo:
    """A registry entry: what a dataset is and how to load it."""

    name: str
    description: str
    sample_shape: tuple[int, ...]
    n_classes: int
    loader: Callable[..., Dataset]
    files: tuple[RemoteFile, ...] = ()
    #: "bundled" (inside the package), "files" (data directory) or "generated".
    source: str = "files"
    #: The data-directory folder holding ``files``, if not the dataset's name.
    files_folder: str | None = None

    @property
    def folder(self) -> Path:
        """Where ``files`` are looked for and downloaded to."""
        return data_dir() / (self.files_folder or self.name)

    def present(self) -> bool:
        """Whether ``load`` can run without downloading."""
        if self.source != "files":
            return True
        if self.name == "digits20" and _ex4data1_path().is_file():
            return True
        return all((self.folder / f.name).is_file() for f in self.files)


def _ex4data1_path() -> Path:
    return data_dir() / "digits20" / "ex4data1.mat"


def _as_rows(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype(np.float32)


def _fetch_all(info: DatasetInfo, download: bool) -> list[Path]:
    return [fetch(info.folder, remote, download=download) for remote in info.files]


def _load_optdigits(info: DatasetInfo, download: bool) -> Dataset:
    package = importlib.resources.files("mlpkit.datasets") / "data"
    with importlib.resources.as_file(package / "optdigits.tra.gz") as train_path:
        X_train, y_train = read_optdigits(train_path)
    with importlib.resources.as_file(package / "optdigits.tes.gz") as test_path:
        X_test, y_test = read_optdigits(test_path)
    return Dataset(
        "optdigits",
        X_train.astype(np.float32),
        y_train,
        X_test.astype(np.float32),
        y_test,
        classes=_DIGITS,
        image_shape=(8, 8),
        value_range=(0, 16),
    )


def _read_idx_pair(images: Path, labels: Path) -> tuple[np.ndarray, np.ndarray]:
    X, y = read_idx(images), read_idx(labels)
    if len(X) != len(y):
        raise ValueError(f"{images} has {len(X)} images but {labels} has {len(y)} labels")
    return X, y.astype(np.int64)


def _load_idx_set(info: DatasetInfo, download: bool, classes: list[str]) -> Dataset:
    paths = _fetch_all(info, download)
    X_train, y_train = _read_idx_pair(paths[0], paths[1])
    X_test, y_test = _read_idx_pair(paths[2], paths[3])
    return Dataset(
        info.name,
        _as_rows(X_train),
        y_train,
        _as_rows(X_test),
        y_test,
        classes=classes,
        image_shape=X_train.shape[1:],
        value_range=(0, 255),
    )


def _load_notmnist(info: DatasetInfo, download: bool) -> Dataset:
    images, labels = _fetch_all(info, download)
    X, y = _read_idx_pair(images, labels)
    split = NOTMNIST_SPLIT
    X_train, X_valid, X_test, y_train, y_valid, y_test = train_valid_test_split(
        _as_rows(X), y, split["valid"], split["test"], seed=split["seed"]
    )
    return Dataset(
        "notmnist",
        X_train,
        y_train,
        X_test,
        y_test,
        X_valid,
        y_valid,
        classes=list("ABCDEFGHIJ"),
        image_shape=(28, 28),
        value_range=(0, 255),
    )


def _load_digits20(info: DatasetInfo, download: bool) -> Dataset:
    """5000 20x20 digits: the original ex4data1.mat if present, else cropped MNIST."""
    if _ex4data1_path().is_file():
        X, y = read_ex4data1(_ex4data1_path())
    else:
        images, labels = _fetch_all(info, download)  # MNIST's training files
        all_images, all_labels = _read_idx_pair(images, labels)
        rng = np.random.default_rng(DIGITS20["seed"])
        chosen = np.concatenate(
            [
                rng.choice(
                    np.flatnonzero(all_labels == digit), DIGITS20["per_class"], replace=False
                )
                for digit in range(10)
            ]
        )
        # MNIST centres each digit's 20x20 size-normalised box in the 28x28 frame.
        X = _as_rows(all_images[chosen, 4:24, 4:24]) / np.float32(255)
        y = all_labels[chosen]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, len(y) - DIGITS20["train"], seed=DIGITS20["seed"]
    )
    return Dataset(
        "digits20",
        X_train,
        y_train,
        X_test,
        y_test,
        classes=_DIGITS,
        image_shape=(20, 20),
        value_range=(0, 1),
    )


def _load_synthetic(
    make: Callable[..., tuple[np.ndarray, np.ndarray]], name: str, defaults: dict[str, Any]
) -> Callable[..., Dataset]:
    def loader(
        info: DatasetInfo,
        download: bool,
        *,
        test_size: float | int = 0.25,
        seed: int = 0,
        **options: Any,
    ) -> Dataset:
        X, y = make(seed=seed, **{"n_samples": 1000, **defaults, **options})
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size, seed=seed)
        classes = [str(c) for c in range(int(y.max()) + 1)]
        return Dataset(
            name,
            X_train.astype(np.float32),
            y_train,
            X_test.astype(np.float32),
            y_test,
            classes=classes,
        )

    return loader


def _idx_files(
    base: str, hashes: tuple[str, ...], names: tuple[str, ...] = _IDX_NAMES
) -> tuple[RemoteFile, ...]:
    return tuple(RemoteFile(n, h, base + n) for n, h in zip(names, hashes, strict=True))


_ENTRIES = [
    DatasetInfo(
        "optdigits",
        "UCI optical digits, 8x8 counts 0..16 (bundled)",
        (64,),
        10,
        _load_optdigits,
        source="bundled",
    ),
    DatasetInfo(
        "mnist",
        "MNIST handwritten digits, 28x28 pixels",
        (784,),
        10,
        lambda info, download: _load_idx_set(info, download, _DIGITS),
        _idx_files(_MNIST_URL, _MNIST_SHA256),
    ),
    DatasetInfo(
        "fashion-mnist",
        "Zalando Fashion-MNIST, 28x28 pixels",
        (784,),
        10,
        lambda info, download: _load_idx_set(info, download, _FASHION_CLASSES),
        _idx_files(_FASHION_URL, _FASHION_SHA256),
    ),
    DatasetInfo(
        "notmnist",
        "notMNIST letters A-J, 10,000-image sample, 28x28",
        (784,),
        10,
        _load_notmnist,
        _idx_files(_NOTMNIST_URL, _NOTMNIST_SHA256, _IDX_NAMES[2:]),
    ),
    DatasetInfo(
        "digits20",
        "5,000 MNIST digits cropped to 20x20 (or ex4data1.mat)",
        (400,),
        10,
        _load_digits20,
        _idx_files(_MNIST_URL, _MNIST_SHA256[:2], _IDX_NAMES[:2]),
        files_folder="mnist",
    ),
]
# Synthetic sets: 1000 points unless told otherwise; XOR as noisy clouds round the corners.
_SYNTHETIC: list[tuple[str, Callable[..., tuple[np.ndarray, np.ndarray]], int, dict[str, Any]]] = [
    ("moons", synthetic.make_moons, 2, {}),
    ("circles", synthetic.make_circles, 2, {}),
    ("blobs", synthetic.make_blobs, 3, {}),
    ("spirals", synthetic.make_spirals, 3, {}),
    ("xor", synthetic.make_xor, 2, {"noise": 0.15}),
]
for _name, _make, _k, _defaults in _SYNTHETIC:
    _ENTRIES.append(
        DatasetInfo(
            _name,
            f"synthetic 2-D {_name} (generated from a seed)",
            (2,),
            _k,
            _load_synthetic(_make, _name, _defaults),
            source="generated",
        )
    )

REGISTRY: dict[str, DatasetInfo] = {entry.name: entry for entry in _ENTRIES}
"""Every data set ``load`` knows, by name."""


def get_info(name: str) -> DatasetInfo:
    """The registry entry of ``name``; an unknown name lists the known ones."""
    key = registry_key(name).replace("_", "-")  # dataset names join words with "-"
    if key not in REGISTRY:
        raise ValueError(f"unknown dataset {name!r}; known datasets are {', '.join(REGISTRY)}")
    return REGISTRY[key]


def load(name: str, *, download: bool = True, **options: Any) -> Dataset:
    """Load a dataset by name.

    Parameters
    ----------
    name : str
        One of ``REGISTRY``: optdigits, mnist, fashion-mnist, notmnist,
        digits20, moons, circles, blobs, spirals, xor.
    download : bool
        Fetch missing files into the data directory (checked by SHA-256).
    **options
        For the synthetic sets: ``n_samples``, ``noise``, ``test_size``,
        ``seed`` and the generator's own arguments.

    Raises
    ------
    DataNotFoundError
        A file is missing and could not be downloaded.
    """
    info = get_info(name)
    if options and info.source != "generated":
        raise TypeError(f"dataset {info.name!r} takes no options, got {sorted(options)}")
    digits20_needs_mnist = info.name == "digits20" and not _ex4data1_path().is_file()
    try:
        return info.loader(info, download, **options)
    except DataNotFoundError as error:
        if digits20_needs_mnist:
            raise DataNotFoundError(
                f"digits20 is cut from MNIST's training files: {error}"
            ) from error
        raise
