"""Every figure the README states is measured here or matches the output of the
script that measured it (``docs/bench/*.txt``), so an edit to one shows."""

import json
import re
from pathlib import Path

import pytest

from helpers import load_script
from mlpkit.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()

# Three of optdigits' 1797 test digits (0.17 points): the default run's figures are
# exact on the BLAS kernels they were measured on, and this covers a printed rounding.
TOLERANCE = 3 / 1797 * 100


def default_run_accuracy(seed: int, tmp_path: Path) -> float:
    out = tmp_path / f"seed{seed}"
    args = ["run", "--seed", str(seed), "--quiet", "--out", str(out), "--set", "report.plots=false"]
    status = main(args)
    assert status == 0
    return 100 * json.loads((out / "metrics.json").read_text())["test"]["accuracy"]


@pytest.mark.slow
def test_default_run_figures_are_measured(tmp_path):
    """Exact (to a rounding) on the stated kernels; within the README's stated margin elsewhere."""
    stated = re.search(
        r"reaches (\d+\.\d+)% test accuracy \((\d+\.\d+)% and (\d+\.\d+)% with\s+"
        r"`--seed 1` and `--seed 2`\)",
        README,
    )
    assert stated, "the README no longer states the default run's figures in the usual words"
    kernels = re.search(
        r"measured with\s+OpenBLAS's (\w+) kernels \(one or two BLAS threads", README
    )
    margin = re.search(
        r"The tests allow (\d+\.\d+) points \(\d+ test\s+digits\) either side", README
    )
    assert kernels and margin, "the README no longer states the machine and the margin"
    machine = load_script(
        "scripts/weights_digest.py"
    ).machine()  # {"blas": "openblas SkylakeX", ...}
    core, threads = machine["blas"].split()[-1], machine["blas_threads"]
    on_stated_kernels = core == kernels.group(1) and threads in {"1", "2"}
    tolerance = TOLERANCE if on_stated_kernels else float(margin.group(1))
    for seed, figure in enumerate(stated.groups()):
        measured = default_run_accuracy(seed, tmp_path)
        assert abs(measured - float(figure)) <= tolerance, (seed, figure, measured, core, threads)


def test_layer_by_layer_example_prints_the_stated_accuracy(tmp_path, monkeypatch, capsys):
    block = next(b for b in re.findall(r"```python\n(.*?)```", README, re.S) if "Flatten()" in b)
    stated = re.search(r"# accuracy (0\.\d+) with this seed", block)
    assert stated
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    printed = re.findall(r"'accuracy': (0\.\d+)", capsys.readouterr().out)
    assert printed
    assert abs(float(printed[-1]) - float(stated.group(1))) <= TOLERANCE / 100


def section(start: str, end: str) -> str:
    """The README's text from ``start`` up to ``end``."""
    begin = README.index(start)
    return README[begin : README.index(end, begin)]


def numbers(text: str) -> list[str]:
    return re.findall(r"(?<![\w.])\d+\.\d+(?![\w.])", text)


def appears_rounded(figure: str, output: str) -> bool:
    """Whether ``output`` holds a number that rounds to ``figure``."""
    decimals = len(figure.split(".")[1])
    return any(
        round(float(value), decimals) == float(figure) for value in re.findall(r"\d+\.\d+", output)
    )


BENCH_SECTIONS = [
    # (README text from, up to, the recorded output of the bench it quotes)
    ("Against scikit-learn's own", "The table is in", "sklearn_estimators.txt"),
    ("On six small data sets", "The table is in", "sklearn_accuracy.txt"),
    ("On digits with the 9s kept at 10%", "`docs/bench/class-weight.txt`", "class-weight.txt"),
    ("one epoch of 784-256-256-10", "The whole table", "epoch-speed-float32.txt"),
    ("The 3 x 3 grid above", "`docs/bench/search-jobs.txt`", "search-jobs.txt"),
]


@pytest.mark.parametrize(("start", "end", "output"), BENCH_SECTIONS, ids=lambda v: str(v)[:12])
def test_benchmark_figures_match_the_recorded_outputs(start, end, output):
    text = section(start, end)
    recorded = (ROOT / "docs" / "bench" / output).read_text()
    figures = numbers(text)
    assert figures, "no figures found: the README's wording changed"
    missing = [figure for figure in figures if not appears_rounded(figure, recorded)]
    assert missing == [], f"README figures not in docs/bench/{output}: {missing}"


def test_the_summary_shown_is_the_one_printed():
    import mlpkit as mk

    shown = re.search(r"```text\n(input shape \(None, 8, 8, 1\).*?)\n```", README, re.S)
    assert shown
    net = mk.Network(
        [mk.Flatten(), mk.Dense(16), mk.ReLU(), mk.Dense(10), mk.Softmax()],
        input_shape=(8, 8, 1),
        seed=0,
    )
    assert net.summary() == shown.group(1)
