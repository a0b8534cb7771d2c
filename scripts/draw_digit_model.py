"""The network of the "Draw a digit" page: trained from a recipe, exported to ONNX.

Trains the ``better-mnist`` recipe (784-800-10 ReLU, dropout, random shifts)
for a few epochs into a run folder and keeps its model as ``web/mnist.npz``
(about 2.5 MB); the site's build exports it to ``draw/mnist.onnx``, which the
page loads. The run's test accuracy is printed and written beside it in
``web/mnist.json``.

    MLPKIT_DATA=... python scripts/draw_digit_model.py [--epochs 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "web"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--recipe", default="better-mnist")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        run = Path(folder) / "run"
        mlpkit = [sys.executable, "-m", "mlpkit"]
        settings = [f"train.epochs={args.epochs}", "report.plots=false", "train.schedule=constant"]
        command = [*mlpkit, "run", args.recipe, "--out", str(run), "--quiet"]
        command += [part for setting in settings for part in ("--set", setting)]
        subprocess.run(command, check=True)
        shutil.copyfile(run / "model.npz", OUT / "mnist.npz")
        metrics = json.loads((run / "metrics.json").read_text())
    accuracy = metrics["test"]["accuracy"]
    summary = {"recipe": args.recipe, "epochs": args.epochs, "test_accuracy": accuracy}
    (OUT / "mnist.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"{args.recipe}, {args.epochs} epochs: test accuracy {accuracy:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
