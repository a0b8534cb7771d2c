"""Optimiser updates on one thread against several, inside the training loop.

``mlpkit.optimizers`` splits the update of a very large parameter (the E3
CNN's 6272 x 784 dense kernel) over ``MLPKIT_NUM_THREADS`` threads. In isolation
two threads halve the update; inside the loop, BLAS's worker threads may
still be spinning on the other core after each product, so only epochs tell.
Two copies of the E3 network train side by side on the same MNIST images,
one with its updates limited to one thread, the other with ``--threads``;
they take turns epoch by epoch (median of ``--epochs`` after a warm-up).

    python bench/update_threads.py                      # Adam, batch 32, 4000 images
    python bench/update_threads.py --optimizer momentum --batch 128
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from _common import machine_header, median_epochs, mlpkit_epoch, mnist
from cnn_speed import mlpkit_layers

import mlpkit as mk


class Trainer:
    """The E3 CNN trained one epoch at a time with its updates on ``threads`` threads."""

    def __init__(self, X, y, batch: int, optimizer: str, threads: int) -> None:
        self.X, self.y, self.batch, self.threads = X, y, batch, threads
        layers = [mk.layer_from_config(spec) for spec in mlpkit_layers("e3")]
        self.net = mk.Network(layers, input_shape=(28, 28, 1), seed=0, dtype="float32")
        self.optimizer = mk.Adam(1e-4) if optimizer == "adam" else mk.SGD(0.01, momentum=0.9)
        self.rng = np.random.default_rng(0)

    def epoch(self) -> float:
        os.environ["MLPKIT_NUM_THREADS"] = str(self.threads)  # read at every update
        return mlpkit_epoch(self.net, self.X, self.y, self.optimizer, self.batch, self.rng)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--optimizer", choices=["adam", "momentum"], default="adam")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--images", type=int, default=4000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    X_train, y_train, _, _, note = mnist()
    X = X_train[: args.images].reshape(-1, 28, 28, 1)
    y = y_train[: args.images]
    print(machine_header())
    print(f"data: {note}; E3 CNN, {args.optimizer}, batch {args.batch}, {len(X)} images")
    trainers = {
        threads: Trainer(X, y, args.batch, args.optimizer, threads) for threads in (1, args.threads)
    }
    seconds = median_epochs(trainers, args.epochs)
    for threads, value in seconds.items():
        print(f"updates on {threads} thread(s): {value:.2f} s per epoch")
    print(f"ratio {args.threads} / 1: {seconds[args.threads] / seconds[1]:.2f}")


if __name__ == "__main__":
    main()
