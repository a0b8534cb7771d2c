"""The floor of im2col convolutions in NumPy: their products alone against PyTorch's whole layer.

The second convolution of ``bench/cnn_speed.py``'s conv-heavy network (3x3,
32 -> 64 channels, 'valid', on 26 x 26 images) dominates that network's
training step. Written as im2col, its forward and backward passes need
three matrix products at batch ``--batch``:

- forward ``P @ W``: (n * 24 * 24, 288) @ (288, 64);
- weight gradient ``P.T @ dY``: (288, n * 576) @ (n * 576, 64);
- input gradient ``dY @ W.T``: (n * 576, 64) @ (64, 288), before col2im.

This times those three products alone (NumPy's BLAS, 2 threads, float32, on
random data of the layer's shapes), with no im2col copy, no col2im, no bias,
against PyTorch's complete convolution, forward and backward (``conv2d``
with a gradient for the input and the weights, 2 threads), median of
``--repeats`` after a warm-up, in this one process. If the products alone
take longer than PyTorch's whole layer, no arrangement of the copies around
them lets an im2col convolution on this BLAS match PyTorch.

    python bench/conv_floor.py
    python bench/conv_floor.py --batch 32
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from _common import machine_header, median_ms, ratio_table


def numpy_products(n: int, rng: np.random.Generator) -> dict[str, Callable[[], object]]:
    rows, k, filters = n * 24 * 24, 3 * 3 * 32, 64
    P = rng.standard_normal((rows, k), dtype=np.float32)
    W = rng.standard_normal((k, filters), dtype=np.float32)
    dY = rng.standard_normal((rows, filters), dtype=np.float32)
    Y, dW, dP = np.empty_like(dY), np.empty_like(W), np.empty_like(P)
    return {
        "NumPy forward P @ W": lambda: np.matmul(P, W, out=Y),
        "NumPy weight gradient P.T @ dY": lambda: np.matmul(P.T, dY, out=dW),
        "NumPy input gradient dY @ W.T": lambda: np.matmul(dY, W.T, out=dP),
    }


def torch_layer(n: int) -> dict[str, Callable[[], object]]:
    import torch

    torch.set_num_threads(2)
    torch.manual_seed(0)
    X = torch.randn(n, 32, 26, 26, requires_grad=True)
    W = torch.randn(64, 32, 3, 3, requires_grad=True)
    b = torch.randn(64, requires_grad=True)
    dY = torch.randn(n, 64, 24, 24)

    def forward() -> object:
        with torch.no_grad():
            return torch.nn.functional.conv2d(X, W, b)

    def forward_backward() -> object:
        X.grad = W.grad = b.grad = None
        torch.nn.functional.conv2d(X, W, b).backward(dY)
        return X.grad

    return {
        "PyTorch conv2d forward": forward,
        "PyTorch conv2d forward + backward": forward_backward,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=128, help="images (128)")
    parser.add_argument("--repeats", type=int, default=9, help="timed runs each (9)")
    args = parser.parse_args(argv)

    runs = numpy_products(args.batch, np.random.default_rng(0)) | torch_layer(args.batch)
    print(machine_header())
    print(f"Conv 3x3, 32 -> 64 channels, 26 x 26 -> 24 x 24, batch {args.batch}, float32")
    print(f"median of {args.repeats}\n")
    timings = {name: median_ms(run, args.repeats) for name, run in runs.items()}
    products = sum(ms for name, ms in timings.items() if name.startswith("NumPy"))
    timings["NumPy: the three products together"] = products
    whole = "PyTorch conv2d forward + backward"
    print(ratio_table(timings, whole, ["work", "ms", "/ PyTorch forward + backward"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
