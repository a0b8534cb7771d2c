"""``mlpkit recipes``, ``datasets``, ``download`` and ``gradcheck``."""

from __future__ import annotations

import argparse

from mlpkit.cli.errors import EXIT_FAILED, EXIT_OK

__all__ = ["command_datasets", "command_download", "command_gradcheck", "command_recipes"]


def command_recipes(args: argparse.Namespace) -> int:
    """``mlpkit recipes``: each built-in recipe with its description."""
    from mlpkit.recipes import list_recipes

    recipes = list_recipes()
    width = max(len(name) for name, _ in recipes)
    for name, description in recipes:
        print(f"{name:{width}s}  {description}")
    return EXIT_OK


def command_datasets(args: argparse.Namespace) -> int:
    """``mlpkit datasets``: each dataset, its shape and whether its files are here."""
    from mlpkit.datasets import REGISTRY

    rows = [("name", "features", "classes", "present", "where")]
    for info in REGISTRY.values():
        where = {"bundled": "inside the package", "generated": "generated from a seed"}
        rows.append(
            (
                info.name,
                "x".join(map(str, info.sample_shape)),
                str(info.n_classes),
                "yes" if info.present() else "no",
                where.get(info.source, str(info.folder)),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[4]
        )
    return EXIT_OK


def command_download(args: argparse.Namespace) -> int:
    """``mlpkit download``: fetch a dataset's files into the data folder."""
    from mlpkit.datasets import get_info
    from mlpkit.datasets.files import fetch

    info = get_info(args.name)
    if info.source != "files":
        print(f"{info.name} needs no download: it is {info.source}")
        return EXIT_OK
    for remote in info.files:
        print(fetch(info.folder, remote))
    return EXIT_OK


def command_gradcheck(args: argparse.Namespace) -> int:
    """``mlpkit gradcheck``: a recipe's gradients against finite differences."""
    import numpy as np

    from mlpkit.gradcheck import gradcheck
    from mlpkit.recipes import apply_overrides, load_recipe
    from mlpkit.recipes.build import build_loss, build_network, prepare_data

    config = apply_overrides(load_recipe(args.recipe), ["model.dtype='float64'"])
    data = prepare_data(config)
    network = build_network(config, data.X_train.shape[1], len(data.classes))
    # Biases drawn off zero, so that units seeing only blank pixels do not sit
    # exactly on a ReLU's kink, where no finite difference measures a slope.
    rng = np.random.default_rng(0)
    for layer in network.layers:
        for key in layer.biases:
            layer.params[key][...] = rng.normal(0, 0.1, layer.params[key].shape)
    rows = slice(0, args.samples)
    report: dict[str, dict[str, int]] = {}
    errors = gradcheck(
        network,
        data.X_train[rows].astype("float64"),
        data.y_train[rows],
        build_loss(config),
        l2=config["train"]["l2"],
        l2_bias=config["train"]["l2_bias"],
        max_entries=args.entries,
        report=report,
    )
    for key, error in errors.items():
        skipped = report["skipped"][key]
        note = f", {skipped} skipped at kinks" if skipped else ""
        print(f"{key:8s} relative error {error:.2e}  ({report['checked'][key]} entries{note})")
    worst = max(errors.values())
    unchecked = [key for key, count in report["checked"].items() if count == 0]
    if unchecked:
        print(f"FAILED: no entry of {', '.join(unchecked)} could be checked (all at kinks)")
        return EXIT_FAILED
    verdict = "passed" if worst < 1e-6 else "FAILED"
    print(f"{verdict}: largest relative error {worst:.2e} (threshold 1e-6)")
    return EXIT_OK if worst < 1e-6 else EXIT_FAILED
