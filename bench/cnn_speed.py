"""Seconds per training epoch of two CNNs: mlpkit against PyTorch, side by side.

The two networks of the CNN speed issue, on the same MNIST images (channels
last for mlpkit, channels first for PyTorch, as each library expects):

- ``e3``: the Keras CNN that ends the notMNIST experiment: conv 32 3x3 'same'
  + ReLU, BatchNorm, max-pool 2, dense 6272-784 ReLU, dense 10;
- ``conv``: a conv-heavy MNIST network: conv 32 3x3, conv 64 3x3 (ReLU,
  'valid'), max-pool 2, dense 9216-128 ReLU, dense 10.

Both libraries train in float32 with PyTorch on 2 threads and NumPy's BLAS
on its own (2 threads on this machine), with SGD + momentum 0.9 or Adam, at
batch 32 and 128. After one warm-up epoch each they take turns epoch by
epoch, so that a change in the machine's load hits both alike; each figure is
the median of the timed epochs. Inference on 10,000 test images runs in a
fresh process per library and network, which reports its time and the rise
of its peak resident memory over what it held before predicting.

    python bench/cnn_speed.py                      # everything (~15 min on 2 cores)
    python bench/cnn_speed.py --only e3 --only b32 --only adam
    python bench/cnn_speed.py --libraries mlpkit --images 256 --epochs 1 --no-inference
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
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
    peak_rss_bytes,
    set_malloc,
    sgemm_peak,
    speed_table,
    torch_epoch,
)

import mlpkit as mk

NETWORKS = ("e3", "conv")
BATCHES = (32, 128)
OPTIMIZERS = ("momentum", "adam")
LEARNING_RATES = {"momentum": 0.01, "adam": 1e-4}


def mlpkit_layers(network: str) -> list[dict]:
    """The network as mlpkit layer tables (input 28x28x1, channels last)."""
    if network == "e3":
        return [
            {"type": "conv2d", "filters": 32, "kernel_size": 3, "padding": "same"},
            {"type": "relu"},
            {"type": "batch_norm"},
            {"type": "max_pool2d"},
            {"type": "flatten"},
            {"type": "dense", "units": 784},
            {"type": "relu"},
            {"type": "dense", "units": 10},
            {"type": "softmax"},
        ]
    return [
        {"type": "conv2d", "filters": 32, "kernel_size": 3},
        {"type": "relu"},
        {"type": "conv2d", "filters": 64, "kernel_size": 3},
        {"type": "relu"},
        {"type": "max_pool2d"},
        {"type": "flatten"},
        {"type": "dense", "units": 128},
        {"type": "relu"},
        {"type": "dense", "units": 10},
        {"type": "softmax"},
    ]


def torch_model(network: str):
    """The same network in PyTorch (channels first; softmax left to the loss)."""
    from torch import nn

    if network == "e3":
        return nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.ReLU(),
            nn.BatchNorm2d(32, eps=1e-3, momentum=0.01),  # Keras's 0.99 in PyTorch's terms
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(6272, 784),
            nn.ReLU(),
            nn.Linear(784, 10),
        )
    return nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(9216, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )


def forward_macs(network: str) -> int:
    """Multiply-adds per image in the forward pass (products only)."""
    if network == "e3":
        return 28 * 28 * 9 * 32 + 6272 * 784 + 784 * 10
    return 26 * 26 * 9 * 32 + 24 * 24 * 9 * 32 * 64 + 9216 * 128 + 128 * 10


@dataclass(frozen=True)
class Config:
    network: str
    batch: int
    optimizer: str

    @property
    def name(self) -> str:
        return f"{self.network} b{self.batch} {self.optimizer}"


class MlpkitTrainer:
    def __init__(self, config: Config, X: np.ndarray, y: np.ndarray) -> None:
        self.X, self.y, self.batch = X, y, config.batch
        self.net = mk.Network(
            [mk.layer_from_config(spec) for spec in mlpkit_layers(config.network)],
            input_shape=(28, 28, 1),
            seed=0,
            dtype="float32",
        )
        lr = LEARNING_RATES[config.optimizer]
        self.optimizer = mk.SGD(lr, momentum=0.9) if config.optimizer == "momentum" else mk.Adam(lr)
        self.rng = np.random.default_rng(0)

    def epoch(self) -> float:
        return mlpkit_epoch(self.net, self.X, self.y, self.optimizer, self.batch, self.rng)


class TorchTrainer:
    def __init__(self, config: Config, X: np.ndarray, y: np.ndarray) -> None:
        import torch

        torch.set_num_threads(2)
        torch.manual_seed(0)
        self.X = torch.from_numpy(X.reshape(-1, 1, 28, 28).copy())
        self.y = torch.from_numpy(y.astype(np.int64))
        self.batch = config.batch
        self.model = torch_model(config.network)
        lr = LEARNING_RATES[config.optimizer]
        parameters = self.model.parameters()
        if config.optimizer == "momentum":
            self.optimizer = torch.optim.SGD(parameters, lr=lr, momentum=0.9)
        else:
            self.optimizer = torch.optim.Adam(parameters, lr=lr)

    def epoch(self) -> float:
        return torch_epoch(self.model, self.optimizer, self.X, self.y, self.batch)


TRAINERS = {"mlpkit": MlpkitTrainer, "pytorch": TorchTrainer}


def measure(config: Config, X, y, libraries: list[str], epochs: int) -> dict[str, float]:
    """Median seconds per epoch of each library, taking turns epoch by epoch."""
    return median_epochs({name: TRAINERS[name](config, X, y) for name in libraries}, epochs)


def inference_child(library: str, network: str, images: str) -> dict[str, float]:
    """Predict the images in the ``.npy`` file ``images`` once (after a small warm-up).

    The images come from a file, not from loading MNIST, so that the peak
    memory before predicting is only the libraries, the model and the images.
    """
    X = np.load(images)
    if library == "mlpkit":
        net = MlpkitTrainer(Config(network, 128, "momentum"), X[:256], np.zeros(256, int)).net
        net.predict(X[:64])
        before = peak_rss_bytes()
        start = time.perf_counter()
        net.predict(X)
    else:
        import torch

        torch.set_num_threads(2)
        model = torch_model(network).eval()
        images = torch.from_numpy(X.reshape(-1, 1, 28, 28).copy())
        with torch.no_grad():
            model(images[:64]).argmax(1)
            before = peak_rss_bytes()
            start = time.perf_counter()
            # In chunks of 1000, as a careful user would; in one piece PyTorch holds
            # every layer's output for all 10,000 images at once.
            torch.cat([model(images[i : i + 1000]).argmax(1) for i in range(0, len(X), 1000)])
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_rise_mb": (peak_rss_bytes() - before) / 2**20}


def inference(libraries: list[str], images: np.ndarray) -> list[list[str]]:
    """Rows of the inference table, each measured in a fresh process."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/images.npy"
        np.save(path, images)
        for network in NETWORKS:
            row = [network]
            for library in libraries:
                command = [sys.executable, __file__, "--inference-child", library, network, path]
                done = subprocess.run(command, capture_output=True, text=True, check=True)
                result = json.loads(done.stdout.strip().splitlines()[-1])
                row += [f"{result['seconds']:.3f}", f"{result['peak_rise_mb']:.0f}"]
            rows.append(row)
    return rows


def configurations(only: list[str]) -> list[Config]:
    found = [Config(n, b, o) for n in NETWORKS for b in BATCHES for o in OPTIMIZERS]
    return [c for c in found if all(word in c.name.split() for word in only)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], help="e3, conv, b32, adam, ...")
    parser.add_argument("--images", type=int, default=4000, help="training images (4000)")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per library (3)")
    parser.add_argument("--libraries", default="mlpkit,pytorch")
    parser.add_argument("--no-inference", action="store_true", help="skip the inference table")
    parser.add_argument("--inference-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the results to this JSON file")
    add_malloc_option(parser)
    args = parser.parse_args(argv)

    if args.inference_child:
        print(json.dumps(inference_child(*args.inference_child)))
        return 0
    libraries = args.libraries.split(",")
    X_train, y_train, X_test, _, data_note = mnist()
    X, y = X_train[: args.images], y_train[: args.images]
    peak = sgemm_peak(threads=2)
    print(machine_header())
    print(set_malloc(args.default_malloc))
    print(f"Data: {data_note}, {len(X)} training images, float32")
    print(f"Median of {args.epochs} epochs after one warm-up epoch, libraries alternating")

    results = []
    for config in configurations(args.only):
        seconds = measure(config, X, y, libraries, args.epochs)
        gflop = 3 * 2 * forward_macs(config.network) * len(X) / 1e9  # forward + 2 backward
        results.append({"config": config.name, "seconds": seconds, "gflop": gflop})
        print(config.name, seconds, flush=True, file=sys.stderr)
    peak = max(peak, sgemm_peak(threads=2))  # the higher of the start and the end
    print("Measured sgemm peak (float32, 2 threads, 2048x2048, best of 7 at the start")
    print(f"and at the end, the higher): {peak:.0f} GFLOP/s\n")
    print(markdown_table(*speed_table(results, libraries, peak, len(X), "images", 2)))
    if not args.no_inference:
        n_test = len(X_test)
        header = ["network"]
        for name in libraries:
            header += [f"{name} s / {n_test} images", f"{name} peak memory rise (MB)"]
        print(f"\nInference on {n_test} test images, each in a fresh process\n")
        print(markdown_table(header, inference(libraries, X_test)))
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"peak_gflops": peak, "data": data_note, "results": results}, file, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
