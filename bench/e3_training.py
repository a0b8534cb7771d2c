"""The E3 CNN's whole training, mlpkit against PyTorch: wall time and test accuracy.

The ``e3-cnn`` recipe (conv 32 3x3 'same' + ReLU, BatchNorm, max-pool,
dense 6272-784 ReLU, dense 10; Adam 1e-4, batch 32, 50 epochs) on the
notMNIST sample, trained once by mlpkit (the recipe's own network, data and
preprocessing) and once by a plain PyTorch loop on the same arrays (channels
first, Keras's initialisers and BatchNorm settings), one after the other in
this process. Both evaluate the validation letters after every epoch, as
``mlpkit run`` does. Threads: NumPy's BLAS as configured, PyTorch on
``--threads`` (2).

    python bench/e3_training.py                 # 50 epochs each: about half an hour
    python bench/e3_training.py --epochs 2      # a quick look
    python bench/e3_training.py --epochs 1 --letters 64    # does it run?
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import add_malloc_option, machine_header, set_malloc

from mlpkit.optimizers import Adam
from mlpkit.recipes import apply_overrides, load_recipe
from mlpkit.recipes.build import build_network, prepare_data


def train_mlpkit(config: dict, data, epochs: int) -> tuple[float, float]:
    """Seconds of ``network.fit`` and the test accuracy after it."""
    network = build_network(config, data.X_train.shape[1], len(data.classes))
    started = time.perf_counter()
    network.fit(
        data.X_train,
        data.y_train,
        loss="cross_entropy",
        optimizer=Adam(1e-4),
        epochs=epochs,
        batch_size=32,
        validation=(data.X_valid, data.y_valid),
        seed=0,
    )
    seconds = time.perf_counter() - started
    return seconds, network.evaluate(data.X_test, data.y_test)["accuracy"]


def torch_e3():
    """The E3 CNN in PyTorch with Keras's initialisers and BatchNorm settings."""
    from torch import nn

    conv = nn.Conv2d(1, 32, 3, padding=1)
    dense = nn.Linear(6272, 784)
    output = nn.Linear(784, 10)
    nn.init.xavier_normal_(conv.weight)  # Keras: glorot_normal (truncated; close enough here)
    for layer in (dense, output):
        nn.init.xavier_uniform_(layer.weight)  # Keras's default for Dense
    for layer in (conv, dense, output):
        nn.init.zeros_(layer.bias)
    return nn.Sequential(
        conv,
        nn.ReLU(),
        nn.BatchNorm2d(32, eps=1e-3, momentum=0.01),  # Keras's momentum 0.99
        nn.MaxPool2d(2),
        nn.Flatten(),  # channels first: a different order of the same 6272 values
        dense,
        nn.ReLU(),
        output,
    )


def torch_accuracy(model, X, y) -> float:
    import torch

    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(X[i : i + 1000]).argmax(1) for i in range(0, len(X), 1000)])
    model.train()
    return float((predicted == y).float().mean())


def train_torch(data, epochs: int, threads: int) -> tuple[float, float]:
    """Seconds of the PyTorch loop (validation after each epoch) and its test accuracy."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)

    def tensors(X, y):
        channels_first = X.reshape(-1, 28, 28, 1).transpose(0, 3, 1, 2)
        images = torch.from_numpy(np.ascontiguousarray(channels_first, dtype=np.float32))
        return images, torch.from_numpy(y.astype(np.int64))

    X, y = tensors(data.X_train, data.y_train)
    X_valid, y_valid = tensors(data.X_valid, data.y_valid)
    X_test, y_test = tensors(data.X_test, data.y_test)
    model = torch_e3()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    started = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(X))
        for i in range(0, len(X), 32):
            index = order[i : i + 32]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(X[index]), y[index])
            loss.backward()
            optimizer.step()
        torch_accuracy(model, X_valid, y_valid)
    seconds = time.perf_counter() - started
    return seconds, torch_accuracy(model, X_test, y_test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's threads (2)")
    parser.add_argument("--letters", type=int, help="train on the first N letters only")
    add_malloc_option(parser)
    args = parser.parse_args()
    config = apply_overrides(load_recipe("e3-cnn"), [f"train.epochs={args.epochs}"])
    data = prepare_data(config)
    if args.letters:
        data.X_train, data.y_train = data.X_train[: args.letters], data.y_train[: args.letters]
    print(machine_header())
    print(set_malloc(args.default_malloc))
    print(
        f"E3 CNN, {args.epochs} epochs on {len(data.X_train)} notMNIST letters "
        f"(validation after each epoch on {len(data.X_valid)})"
    )
    results = {
        "mlpkit": train_mlpkit(config, data, args.epochs),
        "pytorch": train_torch(data, args.epochs, args.threads),
    }
    for library, (seconds, accuracy) in results.items():
        print(f"{library:8s} {seconds:8.1f} s   test accuracy {100 * accuracy:.2f}%")
    print(f"mlpkit / pytorch time: {results['mlpkit'][0] / results['pytorch'][0]:.2f}")


if __name__ == "__main__":
    main()
