"""Run the classic and the better recipes over 3 seeds and write docs/RESULTS.md.

    MLPKIT_DATA=/path/to/datasets python scripts/results.py [--only PATTERN ...]
    python scripts/results.py --tables    # the CNN and better tables from the runs finished so far

Each run goes to runs/results/<recipe>-seed<N>/ (``mlpkit run RECIPE --seed N``);
a run whose metrics.json exists is not run again, so the script can be
stopped and started. The figures in docs/ are copied from the seed-0 runs'
plots, plus two drawn here from their histories: E1's momentum comparison and
E3's hidden-unit sweep.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import sys
from fnmatch import fnmatch
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "runs" / "results"
DOCS = ROOT / "docs"
# Each finished run's metrics.json and history.csv, kept in the repository (runs/ is
# not): long runs are done once, across sessions, and the tables are rebuilt from these.
RECORDS = DOCS / "results"
SEEDS = (0, 1, 2)

# (row label, recipe, classic test %, what differs from the classic's data)
CLASSIC = [
    ("E1 set 1 (2 blobs)", "e1-set1", 99.33, "mlpkit's own 2-D set"),
    ("E1 set 2 (2 classes, non-linear)", "e1-set2", 100.0, "mlpkit's own 2-D set (circles)"),
    ("E1 set 3 (3 classes)", "e1-set3", 99.67, "mlpkit's own 2-D set"),
    ("E1 set 4 (optdigits, 15% test)", "e1-optdigits", 98.58, "same data, our random split"),
    ("E1 set 4 with momentum", "e1-optdigits-momentum", None, "same data"),
    ("E2 25 hidden", "e2-hidden25", 83.0, "digits20 = cropped MNIST, not ex4data1"),
    ("E2 100 hidden", "e2-hidden100", 86.7, "digits20 = cropped MNIST, not ex4data1"),
    ("E2 100 hidden + L2 0.005", "e2-hidden100-l2", 88.5, "digits20 = cropped MNIST"),
    ("E3 1000 hidden", "e3-notmnist", 90.97, "10,000-image notMNIST sample, 8000/1000/1000"),
    ("E3 100 hidden", "e3-hidden100", 90.20, "notMNIST sample"),
    ("E3 500 hidden", "e3-hidden500", 90.86, "notMNIST sample"),
    ("E3 2000 hidden", "e3-hidden2000", 91.15, "notMNIST sample"),
    ("E3 stopped at epoch 80", "e3-stop80", 90.75, "notMNIST sample"),
    ("E3 stopped at epoch 160", "e3-stop160", 91.08, "notMNIST sample"),
    ("E4 moons", "e4-moons", 93.93, "same generator and sizes"),
    ("E5 MNIST", "e5-mnist", 94.54, "same data, our stratified split"),
]
# The Keras CNN that ends E3, and its L2 and dropout sweeps.
CNN = [
    ("E3 CNN", "e3-cnn", 92.77, "notMNIST sample 8000/1000/1000"),
    ("E3 CNN, L2 0.01 on the dense layers", "e3-cnn-l2-0.01", 92.69, "notMNIST sample"),
    ("E3 CNN, L2 0.1", "e3-cnn-l2-0.1", 92.03, "notMNIST sample"),
    ("E3 CNN, L2 0.5", "e3-cnn-l2-0.5", 89.43, "notMNIST sample"),
    ("E3 CNN, dropout 0.9 after the 784 layer", "e3-cnn-dropout-0.9", 93.69, "notMNIST sample"),
    ("E3 CNN, dropout 0.75", "e3-cnn-dropout-0.75", 93.25, "notMNIST sample"),
    ("E3 CNN, dropout 0.5", "e3-cnn-dropout-0.5", 93.06, "notMNIST sample"),
]
# (dataset, recipe, required test %, what it is compared with)
BETTER = [
    ("optdigits (official 3823/1797 split)", "better-optdigits", 98.0, "k-NN 97.4-98.0%"),
    ("digits20 (1000 train)", "better-digits20", 91.0, "E2 reproductions"),
    ("notMNIST sample (train + valid)", "better-notmnist", None, "E3 reproduction + 1.5 points"),
    ("moons (E4's data)", "better-moons", 99.8, "E4 reproduction"),
    ("MNIST (official 60000/10000)", "better-mnist", 98.3, "E5 reproduction"),
    ("optdigits, CNN on 8x8x1 images", "better-optdigits-cnn", 98.5, "better-optdigits (MLP)"),
    ("MNIST, CNN (official split)", "better-mnist-cnn", 99.4, "better-mnist (MLP)"),
    ("Fashion-MNIST, CNN (official split)", "better-fashion-cnn", 93.0, "-"),
    ("notMNIST sample, CNN", "better-notmnist-cnn", 94.0, "better-notmnist, E3 CNN"),
    ("digits20 (1000 train), CNN", "better-digits20-cnn", 97.0, "better-digits20 (MLP)"),
]
# E3's early-stopped rows equal the 200-epoch run's test curve at that epoch
# (same seed, same steps); they are read from it, and one run of each checks it.
PREFIX_OF = {"e3-stop80": ("e3-notmnist", 80), "e3-stop160": ("e3-notmnist", 160)}


def run_recipe(recipe: str, seed: int) -> dict:
    """Run ``recipe`` with ``seed`` unless already done; return its metrics."""
    from mlpkit import recipes, runs

    run_dir = RUNS / f"{recipe}-seed{seed}"
    recorded = record(recipe, seed)
    if recorded is not None:
        return recorded
    if (run_dir / "config.toml").is_file():  # stopped or killed: go on from its checkpoint
        print(f"resuming {recipe} seed {seed}", file=sys.stderr, flush=True)
        runs.resume(run_dir, quiet=True)
        return record(recipe, seed)
    if run_dir.exists():
        shutil.rmtree(run_dir)  # made but never started
    overrides = [f"train.seed={seed}"] + ([] if seed == 0 else ["report.plots=false"])
    config = recipes.apply_overrides(recipes.load_recipe(recipe), overrides)
    print(f"running {recipe} seed {seed}", file=sys.stderr, flush=True)
    runs.run(config, run_dir, quiet=True)
    return record(recipe, seed)


def record(recipe: str, seed: int) -> dict | None:
    """The metrics of a finished run, from docs/results/ or copied there from runs/."""
    kept = RECORDS / f"{recipe}-seed{seed}.json"
    if not kept.is_file():
        run_dir = RUNS / f"{recipe}-seed{seed}"
        if not (run_dir / "metrics.json").is_file():
            return None
        RECORDS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(run_dir / "metrics.json", kept)
        shutil.copyfile(run_dir / "history.csv", RECORDS / f"{recipe}-seed{seed}-history.csv")
    return json.loads(kept.read_text())


def history(recipe: str, seed: int = 0) -> dict[str, list[float]]:
    """A finished run's history, from docs/results/ (or runs/ for runs not recorded there)."""
    kept = RECORDS / f"{recipe}-seed{seed}-history.csv"
    path = kept if kept.is_file() else RUNS / f"{recipe}-seed{seed}" / "history.csv"
    with open(path) as handle:
        rows = list(csv.DictReader(handle))
    return {key: [float(row[key]) for row in rows] for key in rows[0]}


def test_accuracies(recipe: str) -> list[float]:
    if recipe in PREFIX_OF:
        source, epoch = PREFIX_OF[recipe]
        return [100 * history(source, s)["test_accuracy"][epoch - 1] for s in SEEDS]
    return [100 * run_recipe(recipe, s)["test"]["accuracy"] for s in SEEDS]


def summary(values: list[float]) -> str:
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def mean_sd(values: list[float]) -> str:
    """``summary`` of two or more values; the value itself for one."""
    return summary(values) if len(values) > 1 else f"{values[0]:.2f}"


def wall_time(recipe: str) -> str:
    if recipe in PREFIX_OF:
        recipe = PREFIX_OF[recipe][0]
    return duration(statistics.mean(run_recipe(recipe, s)["wall_time_s"] for s in SEEDS))


def epochs_to(values: list[float], level: float) -> int | None:
    return next((i + 1 for i, v in enumerate(values) if v >= level), None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--only", nargs="*", default=None, help="recipes matching these shell patterns ('e3-cnn*')"
    )
    parser.add_argument(
        "--tables",
        action="store_true",
        help="rewrite the CNN and better tables from the runs finished so far (none is run)",
    )
    args = parser.parse_args(argv)
    if args.only is not None and not args.only:
        parser.error("--only needs at least one pattern (without --only, every recipe is run)")
    if args.tables:
        update_section(DOCS / "RESULTS.md", "cnn", cnn_section())
        update_section(DOCS / "RESULTS.md", "better", better_section())
        return
    chosen = args.only
    rows = [
        r for r in CLASSIC + CNN + BETTER if not chosen or any(fnmatch(r[1], p) for p in chosen)
    ]
    unmatched = [p for p in chosen or [] if not any(fnmatch(r[1], p) for r in rows)]
    if unmatched:
        known = sorted({r[1] for r in CLASSIC + CNN + BETTER})
        parser.error(f"--only {unmatched} matches no recipe; recipes: {', '.join(known)}")
    for seed in SEEDS:  # every recipe's seed 0 first: a long invocation fills the table early
        for row in rows:
            if row[1] not in PREFIX_OF:
                run_recipe(row[1], seed)
    for recipe in PREFIX_OF:
        if any(r[1] == recipe for r in rows):
            run_recipe(recipe, 0)
    if not args.only:
        write_figures()
        write_results()
    else:
        update_section(DOCS / "RESULTS.md", "cnn", cnn_section())
        update_section(DOCS / "RESULTS.md", "better", better_section())


def finished_seeds(recipe: str) -> list[dict]:
    """The metrics of the seeds of ``recipe`` that have finished (without running any)."""
    return [m for m in (record(recipe, s) for s in SEEDS) if m is not None]


def cnn_section() -> list[str]:
    """The E3 CNN table: the Keras figures beside mlpkit's, with the seeds done so far."""
    lines = [
        "<!-- cnn:start -->",
        "## The E3 CNN (Keras in the classic, mlpkit here)",
        "",
        "Test accuracy in percent: mean ± standard deviation over the seeds that have",
        "finished (of 0, 1, 2); `python scripts/results.py --only 'e3-cnn*'` runs the",
        "missing ones and rewrites this section. The classic trained on 10000 letters",
        "and tested on 2724; mlpkit's sample has 8000 training and 1000 test letters.",
        "Training times add up the epochs' times, over every process of a resumed run;",
        "they were measured while other jobs shared the 2 cores (and include the",
        "pauses, with SIGSTOP, that gave benchmarks an idle machine).",
        "On an idle machine, `e3-cnn`'s whole training",
        "(50 epochs, validation after each; `python bench/e3_training.py`) took 783 s",
        "in mlpkit against 401 s for the same training in PyTorch 2.13 on 2 threads",
        "(1.95x; test 93.40% and 93.20%; docs/bench/e3-training.txt).",
        "`e3-cnn` seed 1 and `e3-cnn-dropout-0.75` seed 0 were",
        "paused for about 40 minutes and ran at low priority for about an hour while",
        "test suites had the cores, so their times say nothing of speed.",
        "",
        "| network | Keras (classic) | mlpkit test | seeds | recipe | training time |",
        "|---|---|---|---|---|---|",
    ]
    lines.extend(cnn_table_rows())
    lines.extend(KERNELS_NOTE)
    lines.extend(L2_NOTE)
    lines.extend(cnn_figures())
    return [*lines, "<!-- cnn:end -->"]


# Which backend made the CNN records (each metrics.json says it: versions.kernels).
KERNELS_NOTE = [
    "",
    "Each record's `metrics.json` names the backend that made it (`versions.kernels`).",
    "`e3-cnn` seed 0 and `better-optdigits-cnn` seed 0 were run again on the numba",
    "kernels (issue 27, commit 8b4dcbc): 93.20% (92.70% on the NumPy backend before)",
    "and 98.89% (98.94%); the other CNN records are the NumPy backend's. The kernels",
    "add in another order than NumPy, so a run's weights part from the old run's",
    "after the first steps: `e3-cnn` moved by 0.5 points, more than its three NumPy",
    "seeds spread (sd 0.12) and about what the variants' seeds spread (sd 0.23-0.50).",
    "The MLP reproductions above were all run again on the kernels too (3 seeds",
    "each): every test figure came out the same as on NumPy.",
]


# The defect the L2 rows' first runs had (their records: docs/results/doubled-l2/).
L2_NOTE = [
    "",
    "The L2 rows were first trained with a defect: the training loop added each",
    "layer's own L2 gradient twice (a step of 4cW where Keras's `l2(c)` gives 2cW), so",
    "they ran with twice the stated penalty and scored 92.97 ± 0.25, 90.30 ± 0.70 and",
    "87.10 ± 0.62 for 0.01 / 0.1 / 0.5, the two strong rows 1.7 and 2.3 points under",
    "Keras's. Looking into that gap, which grew with the penalty, found the defect;",
    "`tests/test_layer_l2.py` now checks the step against hand arithmetic, against",
    "`fit`'s global `l2` and against PyTorch with Keras's penalty. The rows above",
    "are the runs after the fix; the first runs' records are kept in",
    "`docs/results/doubled-l2/`.",
]


def cnn_table_rows() -> list[str]:
    lines = []
    for label, recipe, classic, _ in CNN:
        done = finished_seeds(recipe)
        if not done:
            lines.append(f"| {label} | {classic:.2f} | not run yet | 0 | `{recipe}` | - |")
            continue
        values = [100 * m["test"]["accuracy"] for m in done]
        training = statistics.mean(m["train_time_s"] for m in done)
        lines.append(
            f"| {label} | {classic:.2f} | {mean_sd(values)} | {len(done)} | `mlpkit run {recipe}` "
            f"| {training / 60:.0f} min |"
        )
    return lines


def cnn_figures() -> list[str]:
    """Draw the E3 CNN curves (seed 0 of each finished recipe) and copy e3-cnn's pictures.

    Returns the Markdown lines that show them.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = ["", "### Test accuracy per epoch (seed 0), Keras's final figure as a dot", ""]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    groups = (("L2 on the dense layers", "e3-cnn-l2"), ("dropout after the 784 layer", "e3-cnn-d"))
    for ax, (title, prefix) in zip(axes, groups, strict=True):
        for label, recipe, classic, _ in CNN:
            if (recipe != "e3-cnn" and not recipe.startswith(prefix)) or not record(recipe, 0):
                continue
            h = history(recipe)
            short = label.removeprefix("E3 CNN, ").removeprefix("E3 CNN") or "no regularisation"
            (line,) = ax.plot([e + 1 for e in h["epoch"]], 100 * np.array(h["test_accuracy"]))
            line.set_label(short)
            ax.plot([len(h["epoch"])], [classic], "o", color=line.get_color())
        ax.set(title=title, xlabel="epoch", ylim=(85, 96))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("test accuracy (%)")
    fig.tight_layout()
    fig.savefig(DOCS / "e3-cnn-curves.png", dpi=80)
    plt.close(fig)
    lines += ["![E3 CNN test accuracy per epoch](e3-cnn-curves.png)", ""]
    for stem, title in (
        ("filters", "First-layer filters of `e3-cnn` (seed 0)"),
        ("feature_maps", "Feature maps of one test letter after the conv layer"),
    ):
        source = RUNS / "e3-cnn-seed0" / "plots" / f"{stem}.png"
        if source.is_file():
            shutil.copy(source, DOCS / f"e3-cnn-{stem}.png")
        if (DOCS / f"e3-cnn-{stem}.png").is_file():
            lines += [f"### {title}", "", f"![{title}](e3-cnn-{stem}.png)", ""]
    return lines[:-1]


def better_section() -> list[str]:
    """The better recipes' table, from the seeds finished so far."""
    lines = [
        "<!-- better:start -->",
        "## Better recipes",
        "",
        "Settings chosen on validation data only (each recipe's comments say how);",
        "test accuracy in percent over the seeds finished so far (of 0, 1, 2).",
        "",
        "| dataset | required | mlpkit test | seeds | recipe | compared with | training time |",
        "|---|---|---|---|---|---|---|",
    ]
    written = _written_rows(DOCS / "RESULTS.md", "better")
    for label, recipe, needed, against in BETTER:
        required = "-" if needed is None else f">= {needed:.1f}"
        done = finished_seeds(recipe)
        if not done and recipe in written:  # measured before records were kept
            lines.append(written[recipe])
            continue
        if not done:
            lines.append(f"| {label} | {required} | not run yet | 0 | `{recipe}` | {against} | - |")
            continue
        values = [100 * m["test"]["accuracy"] for m in done]
        lines.append(
            f"| {label} | {required} | {mean_sd(values)} | {len(done)} | `mlpkit run {recipe}` "
            f"| {against} | {duration(statistics.mean(m['train_time_s'] for m in done))} |"
        )
    return [*lines, "<!-- better:end -->"]


def _written_rows(path: Path, section: str) -> dict[str, str]:
    """The rows of a section as the file has them, by recipe, in the 7-column form.

    The MLP rows of the better table were measured (3 seeds) before runs were
    recorded in docs/results/; they are kept as written until a full run of
    this script records them. Rows of the older 6-column form gain the seed count.
    """
    text = path.read_text()
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    if start not in text:
        return {}
    rows = {}
    for line in text.split(start, 1)[1].split(end, 1)[0].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        command = next((c for c in cells if c.startswith("`mlpkit run ")), None)
        if command is None:
            continue
        if len(cells) == 6:
            cells.insert(3, "3")
        rows[command.removeprefix("`mlpkit run ").rstrip("`")] = "| " + " | ".join(cells) + " |"
    return rows


def duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 600 else f"{seconds / 60:.0f} min"


def update_section(path: Path, name: str, lines: list[str]) -> None:
    """Replace the ``name`` section of ``path`` (between its markers), or add it before
    the better recipes."""
    text = path.read_text()
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = "\n".join(lines)
    if start in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.replace("## Better recipes", block + "\n\n## Better recipes", 1)
    path.write_text(text)


def write_figures() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    copies = {
        "e1-set1": ["decision_regions"],
        "e1-set2": ["decision_regions"],
        "e1-set3": ["decision_regions"],
        "e1-optdigits": ["confusion_matrix", "samples"],
        "e2-hidden100": ["weights", "samples"],
        "e2-hidden100-l2": ["weights"],
        "e3-notmnist": ["learning_curves"],
        "e4-moons": ["decision_regions"],
        "e5-mnist": ["learning_curves"],
    }
    for recipe, stems in copies.items():
        for stem in stems:
            shutil.copy(
                RUNS / f"{recipe}-seed0" / "plots" / f"{stem}.png", DOCS / f"{recipe}-{stem}.png"
            )
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for recipe, label in (
        ("e1-optdigits", "no momentum"),
        ("e1-optdigits-momentum", "momentum 0.9"),
    ):
        h = history(recipe)
        axes[0].plot(h["epoch"], h["loss"], label=label)
        axes[1].plot(h["epoch"], h["accuracy"], label=label)
    axes[0].set(title="E1 optdigits: training loss", xlabel="epoch", yscale="log")
    axes[1].set(title="training accuracy", xlabel="epoch", ylim=(0.8, 1.0))
    for ax in axes:
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(DOCS / "e1-momentum.png", dpi=90)
    fig, ax = plt.subplots(figsize=(6, 4))
    sizes = [100, 500, 1000, 2000]
    names = ["e3-hidden100", "e3-hidden500", "e3-notmnist", "e3-hidden2000"]
    means = [statistics.mean(test_accuracies(n)) for n in names]
    spreads = [statistics.stdev(test_accuracies(n)) for n in names]
    ax.errorbar(sizes, means, yerr=spreads, marker="o", capsize=4, label="mlpkit (3 seeds)")
    ax.plot(sizes[:1] + sizes[1:], [90.20, 90.86, 90.97, 91.15], "s--", label="classic")
    ax.set(
        xscale="log",
        xlabel="hidden units",
        ylabel="test accuracy (%)",
        title="E3: hidden-unit sweep",
    )
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(DOCS / "e3-sweep.png", dpi=90)


def write_results() -> None:
    lines = [
        "# Results: the classic experiments, reproduced and beaten",
        "",
        "Every figure is the test accuracy in percent, mean ± standard deviation over",
        "training seeds 0, 1, 2 (weights and batch order; the data split is fixed).",
        "Regenerate everything with",
        "`MLPKIT_DATA=/path/to/datasets python scripts/results.py`; one row with",
        "`mlpkit run RECIPE --seed N`. Wall time is per run on this 2-core machine,",
        "from loading the data to the metrics (plots excluded).",
        "",
        "## Reproductions",
        "",
        "| experiment | classic test | mlpkit test | recipe | data | wall time |",
        "|---|---|---|---|---|---|",
    ]
    lines += classic_table_rows()
    lines += ["", *cnn_section()]
    lines += ["", *better_section()]
    lines += notes()
    plain, fast = history("e1-optdigits"), history("e1-optdigits-momentum")
    lines += [
        "",
        "## E1: momentum",
        "",
        f"Epochs to 95% training accuracy on optdigits (seed 0): "
        f"{epochs_to(plain['accuracy'], 0.95)} without momentum, "
        f"{epochs_to(fast['accuracy'], 0.95)} with momentum 0.9.",
        "",
        "![E1 momentum](e1-momentum.png)",
        "",
    ]
    lines += ["## Plots (seed 0 runs)", ""]
    for title, stem in PLOTS:
        lines += [f"### {title}", "", f"![{title}]({stem}.png)", ""]
    (DOCS / "RESULTS.md").write_text("\n".join(lines) + "\n")


def classic_table_rows() -> list[str]:
    """The reproductions' rows (running any seed not yet recorded)."""
    lines = []
    for label, recipe, classic, data in CLASSIC:
        values = test_accuracies(recipe)
        shown = "-" if classic is None else f"{classic:.2f}"
        lines.append(
            f"| {label} | {shown} | {summary(values)} | `mlpkit run {recipe}` "
            f"| {data} | {wall_time(recipe)} |"
        )
    return lines


def notes() -> list[str]:
    """What the tables mean, where mlpkit falls short, and why figures differ."""
    e3 = statistics.mean(test_accuracies("e3-notmnist"))
    better = statistics.mean(test_accuracies("better-notmnist"))
    optdigits = statistics.mean(test_accuracies("better-optdigits"))
    l2_train = statistics.mean(
        100 * run_recipe("e2-hidden100-l2", s)["train"]["accuracy"] for s in SEEDS
    )
    l2_test = statistics.mean(test_accuracies("e2-hidden100-l2"))
    plain_test = statistics.mean(test_accuracies("e2-hidden100"))
    return [
        "",
        "## Notes",
        "",
        f"- **Short of the targets.** better-optdigits reaches {optdigits:.2f}%, not the 98.0%"
        " asked: its settings were chosen on a validation split of the training digits, where"
        " it scores 98.9%, but the test digits come from 13 other writers and no setting"
        " tried (deeper or wider nets, dropout, 1-pixel shifts, which lower validation"
        " accuracy) separated itself on validation data. Five-fold cross-validation over"
        " contiguous blocks of the training file (nearby rows tend to share a writer: the"
        " recipe scores 98.6% there against 99.0% on a random split) did not separate them"
        " either: no dropout, dropout 0.5, L2 1e-3, 1-pixel shifts, one layer of 256, Adam"
        " and 160 epochs all scored 97.9-98.7%, within the folds' spread."
        f" better-notmnist gains {better - e3:.2f} points over the E3 reproduction"
        f" ({better:.2f}% against {e3:.2f}%), not the 1.5 asked; 2000 units, two layers of"
        " 1000 and 100 epochs scored no better on the validation split. Its final network"
        " learns from the training and validation letters together (9000, `data.merge_valid`),"
        " a choice made before seeing its test figure; trained on the 8000 training letters"
        " alone it scored 92.27 ± 0.21, a difference within the noise of 1000 test letters"
        " and three seeds. Neither recipe was tuned on the test set. Both targets fall to"
        " convolutional networks on the same data (the CNN rows of the table):"
        " better-optdigits-cnn on the 8x8 digits as images, better-notmnist-cnn on the letters.",
        "- **E1** uses -1/+1 targets for its tanh outputs: with 0/1 targets the optdigits run"
        " ends at 97.6% train accuracy after 1500 epochs, far from the classic 99.90%, while"
        " -1/+1 reaches 99.7%. The 2-D sets are mlpkit's stand-ins for the course's"
        " unpublished sets (see each recipe).",
        "- **E2** runs on digits20, 5000 MNIST digits cut to 20x20, not on the course's"
        " ex4data1.mat: these digits are easier (every model scores higher) and the"
        " networks fit the 1000 training digits completely (100% train). L2 0.005 lowers"
        f" train accuracy to {l2_train:.1f}% as in the classic, but here it does not raise"
        f" test accuracy ({l2_test:.2f}% against {plain_test:.2f}% without).",
        "- **E3** runs on a 10,000-image sample of notMNIST (8000 train); its learning rate"
        " 1e-5 and momentum 0.9 are not given by the classic and were chosen to match its"
        " training accuracy (see the recipe). The early-stopped rows are read from the"
        " 200-epoch runs' test curves at epochs 80 and 160, which is what running"
        " e3-stop80 / e3-stop160 gives with the same seed (checked for seed 0).",
        "- **E4** varies much with the seed (standard-normal weights, 50 steps).",
        "- Wall times were measured while other jobs shared the 2 cores, so some are high;"
        " docs/PERFORMANCE.md (a later issue) is the place for speed.",
    ]


PLOTS = [
    ("E1 set 1: decision regions", "e1-set1-decision_regions"),
    ("E1 set 2: decision regions", "e1-set2-decision_regions"),
    ("E1 set 3: decision regions", "e1-set3-decision_regions"),
    ("E1 set 4: optdigits test confusion matrix", "e1-optdigits-confusion_matrix"),
    ("E1 set 4: example digits", "e1-optdigits-samples"),
    ("E2: digits20 samples", "e2-hidden100-samples"),
    ("E2: first-layer weights, 100 hidden, no L2 (first 25 units)", "e2-hidden100-weights"),
    ("E2: first-layer weights, 100 hidden, L2 0.005 (first 25 units)", "e2-hidden100-l2-weights"),
    ("E3: hidden-unit sweep", "e3-sweep"),
    ("E3: train/valid/test curves, 1000 hidden", "e3-notmnist-learning_curves"),
    ("E4: decision regions after 50 steps", "e4-moons-decision_regions"),
    ("E5: loss and accuracy per epoch", "e5-mnist-learning_curves"),
]


if __name__ == "__main__":
    main()
