"""Each compiled kernel against its NumPy reference and the PyTorch operation.

Same inputs, same process, median of ``--repeats`` after a warm-up call (so
the numba rows are timed after their compiling first call). For now the
optimiser updates: one step of each optimiser on a ``--rows`` x ``--columns``
float32 parameter, by default the E3 CNN's 6272 x 784 dense kernel (4.9
million weights, the largest cost of its training step at batch 32):

- mlpkit's reference (``MLPKIT_KERNELS=numpy``): NumPy, one pass per operation;
- mlpkit's kernel (``MLPKIT_KERNELS=numba``): one compiled loop;
- ``torch.optim`` on the same data: its default (one tensor at a time, the
  ratios' base) and, for Adam, ``fused=True``.

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
                f"{ms['kernel'] / ms['reference']:.2f}",
                f"{ms['kernel'] / ms['torch']:.2f}",
            ]
        )
    header = ["optimiser", "reference", "kernel", "torch", "torch fused"]
    header += ["kernel / reference", "kernel / torch"]
    print(markdown_table(header, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
