"""Seconds per training epoch on MNIST: mlpkit against PyTorch and scikit-learn.

The three libraries train the same architecture (ReLU hidden layers, softmax
output, cross-entropy) with the same optimiser, batch size and dtype on the
same data, in this one process. After one warm-up epoch each, they take turns
epoch by epoch (mlpkit, PyTorch, scikit-learn, mlpkit, ...) so that a change
in the machine's load hits all three alike; each figure is the median of the
timed epochs.

    python bench/epoch_speed.py                 # every configuration (~20 min)
    python bench/epoch_speed.py --quick         # float32 only
    python bench/epoch_speed.py --only 256 --only b32

What is timed: mlpkit, the epoch as its training loop records it (History
``time``: shuffling, batches, updates and the running accuracy); PyTorch, a
plain loop over ``randperm`` batches (zero_grad, forward, cross_entropy,
backward, step); scikit-learn, one ``partial_fit`` call (one epoch, including
its input check).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass

import numpy as np
from _common import (
    add_malloc_option,
    machine_header,
    markdown_table,
    median_epochs,
    mlpkit_epoch,
    mnist,
    set_malloc,
    sgemm_peak,
    speed_table,
    torch_epoch,
)

import mlpkit as mk

ARCHITECTURES = [(784, 100, 10), (784, 256, 256, 10)]
BATCHES = [32, 128, None]  # None: the whole training set, one step per epoch
OPTIMIZERS = ["sgd", "momentum", "adam"]
LEARNING_RATES = {"sgd": 0.05, "momentum": 0.01, "adam": 0.001}


@dataclass(frozen=True)
class Config:
    sizes: tuple[int, ...]
    batch: int | None
    optimizer: str
    dtype: str

    @property
    def name(self) -> str:
        arch = "-".join(map(str, self.sizes))
        batch = "full" if self.batch is None else f"b{self.batch}"
        return f"{arch} {batch} {self.optimizer} {self.dtype}"

    @property
    def n_weights(self) -> int:
        return sum(a * b + b for a, b in zip(self.sizes[:-1], self.sizes[1:], strict=False))


class MlpkitTrainer:
    def __init__(self, config: Config, X: np.ndarray, y: np.ndarray, threads: int) -> None:
        self.X, self.y, self.batch = X, y, config.batch
        self.net = mk.mlp(
            list(config.sizes),
            hidden="relu",
            output="softmax",
            init="he_uniform",
            seed=0,
            dtype=config.dtype,
        )
        lr = LEARNING_RATES[config.optimizer]
        self.optimizer = {
            "sgd": lambda: mk.SGD(lr),
            "momentum": lambda: mk.SGD(lr, momentum=0.9),
            "adam": lambda: mk.Adam(lr),
        }[config.optimizer]()
        self.rng = np.random.default_rng(0)

    def epoch(self) -> float:
        return mlpkit_epoch(self.net, self.X, self.y, self.optimizer, self.batch, self.rng)


class TorchTrainer:
    def __init__(self, config: Config, X: np.ndarray, y: np.ndarray, threads: int) -> None:
        import torch

        torch.set_num_threads(threads)
        torch.manual_seed(0)
        dtype = getattr(torch, config.dtype)
        self.X = torch.from_numpy(X)
        self.y = torch.from_numpy(y.astype(np.int64))
        self.batch = config.batch or len(X)
        layers: list = []
        for n_in, n_out in zip(config.sizes[:-1], config.sizes[1:], strict=False):
            layers += [torch.nn.Linear(n_in, n_out, dtype=dtype), torch.nn.ReLU()]
        self.model = torch.nn.Sequential(*layers[:-1])  # logits: softmax is in the loss
        lr = LEARNING_RATES[config.optimizer]
        parameters = self.model.parameters()
        self.optimizer = {
            "sgd": lambda: torch.optim.SGD(parameters, lr=lr),
            "momentum": lambda: torch.optim.SGD(parameters, lr=lr, momentum=0.9),
            "adam": lambda: torch.optim.Adam(parameters, lr=lr),
        }[config.optimizer]()

    def epoch(self) -> float:
        return torch_epoch(self.model, self.optimizer, self.X, self.y, self.batch)


class SklearnTrainer:
    def __init__(self, config: Config, X: np.ndarray, y: np.ndarray, threads: int) -> None:
        from sklearn.neural_network import MLPClassifier

        self.X, self.y = X, y
        solver = "adam" if config.optimizer == "adam" else "sgd"
        self.model = MLPClassifier(
            hidden_layer_sizes=config.sizes[1:-1],
            activation="relu",
            solver=solver,
            learning_rate_init=LEARNING_RATES[config.optimizer],
            alpha=0.0,
            batch_size=config.batch or len(X),
            shuffle=True,
            random_state=0,
            momentum=0.9 if config.optimizer == "momentum" else 0.0,
            nesterovs_momentum=False,
        )
        self.classes = np.arange(10)

    def epoch(self) -> float:
        start = time.perf_counter()
        self.model.partial_fit(self.X, self.y, classes=self.classes)
        return time.perf_counter() - start


LIBRARIES = {"mlpkit": MlpkitTrainer, "pytorch": TorchTrainer, "sklearn": SklearnTrainer}


def measure(config: Config, X, y, libraries: list[str], epochs: int, threads: int):
    """Median seconds per epoch of each library, taking turns epoch by epoch."""
    return median_epochs(
        {name: LIBRARIES[name](config, X, y, threads) for name in libraries}, epochs
    )


def configurations(quick: bool, only: list[str]) -> list[Config]:
    dtypes = ["float32"] if quick else ["float32", "float64"]
    found = [
        Config(sizes, batch, optimizer, dtype)
        for dtype in dtypes
        for sizes in ARCHITECTURES
        for batch in BATCHES
        for optimizer in OPTIMIZERS
    ]
    return [c for c in found if all(word in c.name for word in only)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="float32 only")
    parser.add_argument(
        "--only", action="append", default=[], help="configurations whose name has this"
    )
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per library")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's threads")
    parser.add_argument("--libraries", default="mlpkit,pytorch,sklearn")
    parser.add_argument("--json", help="also write the results to this JSON file")
    add_malloc_option(parser)
    args = parser.parse_args(argv)

    libraries = args.libraries.split(",")
    X, y, _, _, data_note = mnist()
    peak = sgemm_peak(threads=2)
    print(machine_header())
    print(set_malloc(args.default_malloc))
    print(f"Data: {data_note}, {X.shape[0]} samples")
    print(f"Median of {args.epochs} epochs after one warm-up epoch, libraries alternating")

    results = []
    for config in configurations(args.quick, args.only):
        data = X if config.dtype == "float32" else X.astype(config.dtype)
        seconds = measure(config, data, y, libraries, args.epochs, args.threads)
        results.append(
            {
                "config": config.name,
                "seconds": seconds,
                "gflop": 6 * config.n_weights * len(X) / 1e9,
            }
        )
        print(config.name, seconds, flush=True, file=sys.stderr)
    # The peak again at the end, and the higher one counts: the machine is shared.
    peak = max(peak, sgemm_peak(threads=2))
    print("Measured sgemm peak (float32, 2 threads, 2048x2048, best of 7 at the start")
    print(f"and at the end, the higher): {peak:.0f} GFLOP/s\n")
    print(markdown_table(*speed_table(results, libraries, peak, len(X))))
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"peak_gflops": peak, "data": data_note, "results": results}, file, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
