"""Each compiled kernel against its NumPy reference and the PyTorch operation.

Same inputs, same process, median of ``--repeats`` after a warm-up call (so
the numba rows are timed after their compiling first call). Two tables:

The optimiser updates: one step of each optimiser on a ``--rows`` x
``--columns`` float32 parameter, by default the E3 CNN's 6272 x 784 dense
kernel (4.9 million weights, the largest cost of its training step at batch 32):

- mlpkit's reference (``MLPKIT_KERNELS=numpy``): NumPy, one pass per operation;
- mlpkit's kernel (``MLPKIT_KERNELS=numba``): one compiled loop;
- ``torch.optim`` on the same data: its default (one tensor at a time, the
  ratios' base) and, for Adam, ``fused=True``.

The layers: one training pass (``forward(training=True)`` and ``backward``)
of each layer with a kernel, float32, on the shapes it has in
``bench/cnn_speed.py``'s networks, against the PyTorch module's forward and
``backward`` on the same values (channels first, as PyTorch expects).

    python bench/kernels.py
    python bench/kernels.py --rows 1024 --repeats 5
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

import numpy as np
from _common import machine_header, markdown_table, median_ms

import mlpkit as mk

OPTIMIZERS: dict[str, tuple[Callable[[], mk.Optimizer], Callable]] = {
    "sgd": (lambda: mk.SGD(0.01), lambda torch, p: torch.optim.SGD(p, lr=0.01)),
    "momentum": (
        lambda: mk.SGD(0.01, momentum=0.9),
        lambda torch, p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
    ),
    "nesterov": (
        lambda: mk.SGD(0.01, momentum=0.9, nesterov=True),
        lambda torch, p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True),
    ),
    "adam": (lambda: mk.Adam(1e-4), lambda torch, p: torch.optim.Adam(p, lr=1e-4)),
    "rmsprop": (
        lambda: mk.RMSprop(1e-4),
        lambda torch, p: torch.optim.RMSprop(p, lr=1e-4, alpha=0.9, eps=1e-8),
    ),
}


def mlpkit_step(make, weights, grad, backend: str) -> Callable[[], None]:
    optimizer, param = make(), weights.copy()

    def step() -> None:
        os.environ["MLPKIT_KERNELS"] = backend  # read at each step
        optimizer.step([("W", param, grad)])

    return step


def torch_step(make, weights, grad, **options) -> Callable[[], None]:
    import torch

    param = torch.nn.Parameter(torch.from_numpy(weights.copy()))
    param.grad = torch.from_numpy(grad.copy())
    optimizer = make(torch, [param])
    if options:
        optimizer = torch.optim.Adam([param], lr=1e-4, **options)
    return optimizer.step


# (name, mlpkit layer, PyTorch module, input shape (n, h, w, c) or (n, features))
LAYERS = [
    ("conv 3x3 1-32 same, b32", lambda: mk.Conv2D(32, 3, padding="same"), "conv1", (32, 28, 28, 1)),
    ("conv 3x3 32-64 valid, b128", lambda: mk.Conv2D(64, 3), "conv2", (128, 26, 26, 32)),
    ("batch norm 32, b32", lambda: mk.BatchNorm(), "bn", (32, 28, 28, 32)),
    ("max pool 2, b32", lambda: mk.MaxPool2D(2), "max", (32, 28, 28, 32)),
    ("max pool 2, b128", lambda: mk.MaxPool2D(2), "max", (128, 24, 24, 64)),
    ("avg pool 2, b128", lambda: mk.AvgPool2D(2), "avg", (128, 24, 24, 64)),
    ("global avg pool, b128", mk.GlobalAvgPool2D, "global", (128, 24, 24, 64)),
    ("relu, b128", mk.ReLU, "relu", (128, 24, 24, 64)),
]


def torch_module(torch, kind: str):
    from torch import nn

    return {
        "conv1": lambda: nn.Conv2d(1, 32, 3, padding=1),
        "conv2": lambda: nn.Conv2d(32, 64, 3),
        "bn": lambda: nn.BatchNorm2d(32, eps=1e-3, momentum=0.01),
        "max": lambda: nn.MaxPool2d(2),
        "avg": lambda: nn.AvgPool2d(2),
        "global": lambda: nn.AdaptiveAvgPool2d(1),
        "relu": lambda: nn.ReLU(),
    }[kind]()


def mlpkit_pass(make, X: np.ndarray, dY: np.ndarray, backend: str) -> Callable[[], None]:
    os.environ["MLPKIT_KERNELS"] = backend
    layer = make()
    layer.build(X.shape[1:], np.random.default_rng(0), np.float32)

    def run() -> None:
        os.environ["MLPKIT_KERNELS"] = backend
        layer.forward(X.copy() if layer.inplace else X, training=True)
        layer.backward(dY)

    return run


def torch_pass(kind: str, X: np.ndarray, dY: np.ndarray) -> Callable[[], None]:
    import torch

    module = torch_module(torch, kind).train()
    first = (0, 3, 1, 2) if X.ndim == 4 else (0, 1)
    Xt = torch.from_numpy(X.transpose(first).copy()).requires_grad_()
    grad = torch.from_numpy(dY.transpose(first if dY.ndim == 4 else (0, 1)).copy())
    if kind == "global":
        grad = grad.reshape(len(X), -1, 1, 1)

    def run() -> None:
        Xt.grad = None
        module.zero_grad()
        module(Xt).backward(grad)

    return run


def layer_rows(repeats: int) -> list[list[str]]:
    rng = np.random.default_rng(0)
    rows = []
    for name, make, kind, shape in LAYERS:
        X = rng.standard_normal(shape, dtype=np.float32)
        probe = make()
        dY = rng.standard_normal((shape[0], *probe.output_shape(shape[1:])), dtype=np.float32)
        ms = {
            "reference": median_ms(mlpkit_pass(make, X, dY, "numpy"), repeats),
            "kernel": median_ms(mlpkit_pass(make, X, dY, "numba"), repeats),
            "torch": median_ms(torch_pass(kind, X, dY), repeats),
        }
        rows.append(
            [name]
            + [f"{ms[key]:.2f}" for key in ("reference", "kernel", "torch")]
            + [ratio(ms["kernel"], ms["reference"]), ratio(ms["kernel"], ms["torch"])]
        )
    return rows


def ratio(numerator: float, denominator: float) -> str:
    """``numerator / denominator`` to two decimals, or two significant digits below 0.01
    (a tiny kernel against a slow PyTorch call on a busy machine is not a ratio of 0)."""
    value = numerator / denominator
    return f"{value:.2f}" if value >= 0.01 else f"{value:.2g}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=6272, help="parameter rows (6272)")
    parser.add_argument("--columns", type=int, default=784, help="parameter columns (784)")
    parser.add_argument("--repeats", type=int, default=15, help="timed steps each (15)")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    shape = (args.rows, args.columns)
    weights = rng.standard_normal(shape, dtype=np.float32) * np.float32(0.02)
    grad = rng.standard_normal(shape, dtype=np.float32) * np.float32(1e-3)
    print(machine_header())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"One optimiser step on a {shape[0]} x {shape[1]} float32 parameter,")
    print(f"milliseconds, median of {args.repeats} after a warm-up step\n")
    rows = []
    for name, (make, make_torch) in OPTIMIZERS.items():
        ms = {
            "reference": median_ms(mlpkit_step(make, weights, grad, "numpy"), args.repeats),
            "kernel": median_ms(mlpkit_step(make, weights, grad, "numba"), args.repeats),
            "torch": median_ms(torch_step(make_torch, weights, grad), args.repeats),
        }
        fused = "-"
        if name == "adam":
            fused = (
                f"{median_ms(torch_step(make_torch, weights, grad, fused=True), args.repeats):.2f}"
            )
        rows.append(
            [
                name,
                f"{ms['reference']:.2f}",
                f"{ms['kernel']:.2f}",
                f"{ms['torch']:.2f}",
                fused,
                ratio(ms["kernel"], ms["reference"]),
                ratio(ms["kernel"], ms["torch"]),
            ]
        )
    header = ["optimiser", "reference", "kernel", "torch", "torch fused"]
    header += ["kernel / reference", "kernel / torch"]
    print(markdown_table(header, rows))
    print("\nOne training pass (forward and backward) of a layer, float32, milliseconds,")
    print(f"median of {args.repeats} after a warm-up pass\n")
    header = ["layer", "reference", "kernel", "torch", "kernel / reference", "kernel / torch"]
    print(markdown_table(header, layer_rows(args.repeats)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
