"""Wall time to 98% MNIST test accuracy: mlpkit's better-mnist recipe against
the same training written as a plain PyTorch loop.

Both use the recipe's settings: pixels in [0, 1], the same 55,000 training
digits, 784-800-10 with ReLU, dropout 0.3 and He-uniform weights, batches of
128 shifted by up to one pixel (mlpkit's ``random_shifts``, the same NumPy
code for both), Nesterov momentum 0.9 from 0.05 decayed by 0.3 every 10
epochs, and L2 1e-5 on the weights (PyTorch's weight decay 2e-5 on the
weights only: mlpkit's penalty l2 * sum(W**2) has gradient 2 * l2 * W).
After each epoch the test accuracy is measured outside the clock; the
figure is the training time summed until it first reaches 98%.

    python bench/time_to_accuracy.py             # both, up to 30 epochs
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
from _common import machine_header, markdown_table

from mlpkit import EvaluateSets
from mlpkit.recipes import apply_overrides, load_recipe
from mlpkit.recipes.build import (
    build_augment,
    build_loss,
    build_network,
    build_optimizer,
    prepare_data,
    shuffle_rng,
)

TARGET = 0.98


class StopAtTarget(EvaluateSets):
    """Evaluate the test set after each epoch; stop at the target accuracy."""

    def on_epoch_end(self, epoch, logs):
        super().on_epoch_end(epoch, logs)
        return logs["test_accuracy"] >= TARGET


def run_mlpkit(config, data) -> tuple[float, int, float]:
    train = config["train"]
    network = build_network(config, data.X_train.shape[1], len(data.classes))
    stopper = StopAtTarget({"test": (data.X_test, data.y_test)})
    history = network.fit(
        data.X_train,
        data.y_train,
        loss=build_loss(config),
        optimizer=build_optimizer(config),
        epochs=train["epochs"],
        batch_size=train["batch_size"],
        seed=shuffle_rng(config),
        l2=train["l2"],
        augment=build_augment(config, data),
        callbacks=[stopper],
    )
    return float(np.sum(history["time"])), len(history), history["test_accuracy"][-1]


def run_torch(config, data, threads: int) -> tuple[float, int, float]:
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(config["train"]["seed"])
    model_config, train = config["model"], config["train"]
    sizes = [data.X_train.shape[1], *model_config["hidden"], len(data.classes)]
    layers: list = []
    for n_in, n_out in itertools.pairwise(sizes):
        linear = torch.nn.Linear(n_in, n_out)
        torch.nn.init.kaiming_uniform_(linear.weight, nonlinearity="relu")  # He uniform
        torch.nn.init.zeros_(linear.bias)
        layers += [linear, torch.nn.ReLU(), torch.nn.Dropout(model_config["dropout"])]
    model = torch.nn.Sequential(*layers[:-2])
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    optimizer = torch.optim.SGD(
        [{"params": weights, "weight_decay": 2 * train["l2"]}, {"params": biases}],
        lr=train["learning_rate"],
        momentum=train["momentum"],
        nesterov=train["nesterov"],
    )
    schedule = torch.optim.lr_scheduler.StepLR(optimizer, train["decay_every"], train["decay"])
    augment, rng = build_augment(config, data), np.random.default_rng(train["seed"])
    X_test, y_test = torch.from_numpy(data.X_test), torch.from_numpy(data.y_test)
    y_train = torch.from_numpy(data.y_train.astype(np.int64))
    total, n, batch = 0.0, len(data.X_train), train["batch_size"]
    for epoch in range(train["epochs"]):
        start = time.perf_counter()
        model.train()
        order = rng.permutation(n)
        for i in range(0, n, batch):
            index = order[i : i + batch]
            inputs = torch.from_numpy(augment(data.X_train[index], rng))
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(inputs), y_train[index])
            loss.backward()
            optimizer.step()
        schedule.step()
        total += time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            accuracy = float((model(X_test).argmax(1) == y_test).float().mean())
        if accuracy >= TARGET:
            return total, epoch + 1, accuracy
    return total, train["epochs"], accuracy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's threads")
    parser.add_argument("--epochs", type=int, default=30, help="give up after this many")
    args = parser.parse_args(argv)
    config = apply_overrides(load_recipe("better-mnist"), [f"train.epochs={args.epochs}"])
    data = prepare_data(config)
    print(machine_header())
    print(f"Recipe better-mnist, {len(data.X_train)} training digits, target {TARGET:.0%} test\n")
    rows = []
    for name, run in (("mlpkit", run_mlpkit), ("pytorch", run_torch)):
        args_ = (config, data) if name == "mlpkit" else (config, data, args.threads)
        seconds, epochs, accuracy = run(*args_)
        rows.append([name, f"{seconds:.1f}", epochs, f"{accuracy:.2%}"])
        print(" | ".join(map(str, rows[-1])), flush=True)
    print()
    print(markdown_table(["library", "training seconds", "epochs", "test accuracy"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
