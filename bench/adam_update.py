"""One Adam step on the E3 CNN's dense kernel: NumPy's floor against PyTorch's.

The E3 CNN's 6272 x 784 float32 kernel (4.9 million weights) is the largest
cost of its training step at batch 32. This times one Adam update of it
alone, median of ``--repeats`` after a warm-up, in one process:

- mlpkit's ``Adam`` (NumPy, chunked so that each pass stays in cache), with
  ``MLPKIT_NUM_THREADS`` 1 and 2;
- ``torch.optim.Adam`` on 2 threads: its default on the CPU (one tensor at
  a time) and ``fused=True``;
- if numba is installed (it is not a dependency of mlpkit or of this bench),
  the same update as one compiled loop on 1 and 2 threads: the floor of any
  fused implementation on this machine, one pass over weights, gradient and
  both moments.

    python bench/adam_update.py
    python bench/adam_update.py --repeats 5 --rows 1024
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

import numpy as np
from _common import machine_header, median_ms, ratio_table

import mlpkit as mk


def mlpkit_step(weights: np.ndarray, grad: np.ndarray, threads: int) -> Callable[[], None]:
    optimizer = mk.Adam(1e-4)
    param = weights.copy()

    def step() -> None:
        os.environ["MLPKIT_NUM_THREADS"] = str(threads)  # read at each update
        optimizer.step([("W", param, grad)])

    return step


def torch_step(weights: np.ndarray, grad: np.ndarray, fused: bool) -> Callable[[], None]:
    import torch

    torch.set_num_threads(2)
    param = torch.nn.Parameter(torch.from_numpy(weights.copy()))
    param.grad = torch.from_numpy(grad.copy())
    optimizer = torch.optim.Adam([param], lr=1e-4, fused=fused or None)
    return optimizer.step


def numba_steps(weights: np.ndarray, grad: np.ndarray) -> dict[str, Callable[[], None]]:
    """The update as one compiled loop, or nothing when numba is missing."""
    try:
        import numba
    except ImportError:
        return {}

    @numba.njit(parallel=True)
    def adam(p, g, m, v, beta1, beta2, lr_t, eps_t):
        for i in numba.prange(p.size):
            m[i] = beta1 * m[i] + (1 - beta1) * g[i]
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
            p[i] -= lr_t * m[i] / (np.sqrt(v[i]) + eps_t)

    flat = [weights.copy().reshape(-1), grad.reshape(-1)]
    flat += [np.zeros_like(flat[0]), np.zeros_like(flat[0])]
    f32 = np.float32

    def on(threads: int) -> Callable[[], None]:
        def step() -> None:
            numba.set_num_threads(threads)
            adam(*flat, f32(0.9), f32(0.999), f32(1e-4), f32(1e-8))

        return step

    return {f"numba, one fused loop, {t} thread(s)": on(t) for t in (1, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=6272, help="kernel rows (6272)")
    parser.add_argument("--columns", type=int, default=784, help="kernel columns (784)")
    parser.add_argument("--repeats", type=int, default=15, help="timed steps each (15)")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    shape = (args.rows, args.columns)
    weights = rng.standard_normal(shape, dtype=np.float32) * np.float32(0.02)
    grad = rng.standard_normal(shape, dtype=np.float32) * np.float32(1e-3)
    steps = {
        "mlpkit Adam, 1 thread": mlpkit_step(weights, grad, 1),
        "mlpkit Adam, MLPKIT_NUM_THREADS=2": mlpkit_step(weights, grad, 2),
        "torch.optim.Adam, 2 threads (default)": torch_step(weights, grad, fused=False),
        "torch.optim.Adam, 2 threads, fused=True": torch_step(weights, grad, fused=True),
    }
    print(machine_header())
    print(f"One Adam step on a {shape[0]} x {shape[1]} float32 parameter, median of {args.repeats}")
    timings = {name: median_ms(step, args.repeats) for name, step in steps.items()}
    # numba last: its import and its thread pool stay out of the other rows' way.
    compiled = numba_steps(weights, grad)
    if not compiled:
        print("(numba is not installed: no compiled row)")
    timings |= {name: median_ms(step, args.repeats) for name, step in compiled.items()}
    reference = "torch.optim.Adam, 2 threads (default)"
    print(ratio_table(timings, reference, ["update", "ms per step", "/ PyTorch default"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
