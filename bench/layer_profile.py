"""Where a CNN's training step spends its time: each layer's forward and backward.

Times every layer of one of ``cnn_speed.py``'s networks on one batch of
random MNIST-shaped images (float32), forward with ``training=True`` and
backward, and the optimiser's step over all parameters; each figure is the
median of ``--repeats`` passes after two warm-up passes (which also compile
the kernels). Run it on both backends to see what each kernel saves:

    python bench/layer_profile.py --network e3 --batch 32 --optimizer adam
    MLPKIT_KERNELS=numpy python bench/layer_profile.py --network conv --batch 128
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import add_malloc_option, machine_header, set_malloc
from cnn_speed import LEARNING_RATES, mlpkit_layers

import mlpkit as mk
from mlpkit import kernels


def profile(network: str, batch: int, optimizer_name: str, repeats: int) -> list[list[str]]:
    """Rows ``[layer, forward ms, backward ms]`` and a last row for the optimiser step."""
    layers = [mk.layer_from_config(spec) for spec in mlpkit_layers(network)]
    mk.Network(layers, input_shape=(28, 28, 1), seed=0, dtype="float32")  # builds the layers
    lr = LEARNING_RATES[optimizer_name]
    optimizer = mk.SGD(lr, momentum=0.9) if optimizer_name == "momentum" else mk.Adam(lr)
    rng = np.random.default_rng(0)
    X = rng.random((batch, 28, 28, 1), dtype=np.float32)
    targets = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)]
    forward = np.zeros((repeats + 2, len(layers)))
    backward = np.zeros_like(forward)
    step = np.zeros(repeats + 2)
    params = [
        (f"{k}.{key}", layer.params[key], layer.grads[key])
        for k, layer in enumerate(layers)
        for key in layer.params
    ]
    for r in range(repeats + 2):
        A = X
        for k, layer in enumerate(layers):
            start = time.perf_counter()
            A = layer.forward(A, training=True)
            forward[r, k] = time.perf_counter() - start
        dY = (A - targets) / batch  # softmax with cross-entropy at the output
        for k in range(len(layers) - 1, -1, -1):
            if k == len(layers) - 1:
                continue  # the softmax's delta is folded into the loss
            start = time.perf_counter()
            dY = layers[k].backward(dY, need_input_grad=k > 0)
            backward[r, k] = time.perf_counter() - start
        start = time.perf_counter()
        optimizer.step(params)
        step[r] = time.perf_counter() - start
    forward, backward, step = forward[2:], backward[2:], step[2:]
    rows = [
        [
            f"{k} {layer.name}",
            f"{np.median(forward[:, k]) * 1e3:.2f}",
            f"{np.median(backward[:, k]) * 1e3:.2f}",
        ]
        for k, layer in enumerate(layers)
    ]
    rows.append([f"{optimizer_name} step", "", f"{np.median(step) * 1e3:.2f}"])
    total = np.median(forward.sum(1) + backward.sum(1) + step)
    rows.append(["total (median of sums)", "", f"{total * 1e3:.2f}"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", choices=("e3", "conv"), default="e3")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--optimizer", choices=("momentum", "adam"), default="adam")
    parser.add_argument("--repeats", type=int, default=20)
    add_malloc_option(parser)
    args = parser.parse_args()
    print(machine_header())
    print(set_malloc(args.default_malloc))
    print(f"Kernels: {kernels.describe()}")
    print(f"{args.network} b{args.batch} {args.optimizer}, median of {args.repeats} passes\n")
    print("| layer | forward ms | backward ms |\n|---|---|---|")
    for row in profile(args.network, args.batch, args.optimizer, args.repeats):
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
