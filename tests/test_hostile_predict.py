"""Hostile inputs to ``mlpkit predict`` (issue 26): files not shaped as the model expects.

Before these checks a CSV of samples without a header row lost its first
sample as "column names" (one prediction short, exit 0), a label column left
in was reported only as "not a number", and a run folder given as MODEL was
"no model file".
"""

import numpy as np
import pytest

from helpers import one_line_error
from mlpkit import cli
from mlpkit.datasets import read_features
from mlpkit.recipes import apply_overrides, load_recipe
from mlpkit.runs import run

SAMPLES = np.array([[0.637, 0.27], [-0.041, 0.017], [1.813, 0.913], [0.606, 0.729]])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    config = apply_overrides(load_recipe("e4-moons"), ["train.epochs=2", "report.images=4"])
    out = tmp_path_factory.mktemp("runs") / "run"
    run(config, out, quiet=True)
    return out


def _csv(path, header, rows, extra=None):
    lines = [header] if header is not None else []
    for row in rows:
        cells = [f"{v:g}" for v in row] + ([extra] if extra is not None else [])
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _predictions(argv, capsys):
    assert cli.main(argv) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "prediction"
    return lines[1:]


def test_a_file_without_a_header_is_refused_not_one_sample_short(run_dir, tmp_path, capsys):
    path = _csv(tmp_path / "samples.csv", None, SAMPLES)
    message = one_line_error(["predict", str(run_dir / "model.npz"), path], capsys)
    assert "first row holds only numbers (0.637, 0.27)" in message
    assert "--no-header" in message
    named = _csv(tmp_path / "named.csv", "x,y", SAMPLES)
    expected = _predictions(["predict", str(run_dir / "model.npz"), named], capsys)
    assert len(expected) == len(SAMPLES)
    assert _predictions(["predict", str(run_dir), path, "--no-header"], capsys) == expected


@pytest.mark.parametrize("header", ["0,1", "1,2"])
def test_column_indices_are_taken_as_a_header(run_dir, tmp_path, capsys, header):
    path = _csv(tmp_path / "samples.csv", header, SAMPLES)
    assert len(_predictions(["predict", str(run_dir), path], capsys)) == len(SAMPLES)


def test_a_label_column_is_named_and_can_be_dropped(run_dir, tmp_path, capsys):
    words = _csv(tmp_path / "words.csv", "x,y,label", SAMPLES, extra="cat")
    message = one_line_error(["predict", str(run_dir), words], capsys)
    assert "column 'label': 'cat' is not a number" in message
    assert "predict reads feature columns only" in message and "--drop COLUMN" in message
    numbers = _csv(tmp_path / "numbers.csv", "x,y,label", SAMPLES, extra="1")
    message = one_line_error(["predict", str(run_dir), numbers], capsys)
    assert "has 3 values per sample, but the model" in message and "--drop COLUMN" in message
    dropped = _predictions(["predict", str(run_dir), words, "--drop", "label"], capsys)
    assert len(dropped) == len(SAMPLES)
    message = one_line_error(["predict", str(run_dir), words, "--drop", "lable"], capsys)
    assert "has no column 'lable' to drop; its columns are ['x', 'y', 'label']" in message


def test_a_folder_without_a_model_is_named(tmp_path, capsys):
    path = _csv(tmp_path / "samples.csv", "x,y", SAMPLES)
    message = one_line_error(["predict", str(tmp_path), path], capsys)
    assert "is a folder without a model.npz" in message


def test_read_features_without_a_header(tmp_path):
    path = _csv(tmp_path / "samples.csv", None, SAMPLES)
    X, names = read_features(path, header=False)
    np.testing.assert_array_equal(X, SAMPLES)
    assert names == ["0", "1"]
    with pytest.raises(ValueError, match="looks like a sample, not a header"):
        read_features(path)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("1,2\n3\n")
    with pytest.raises(ValueError, match="line 2 has 1 cells, line 1 has 2"):
        read_features(ragged, header=False)


def test_a_table_without_its_label_column_named_says_how_in_each_face(run_dir, tmp_path, capsys):
    table = _csv(tmp_path / "table.csv", "x,y,label", SAMPLES, extra="1")
    message = one_line_error(["evaluate", str(run_dir), "--data", table], capsys)
    assert message.endswith("table.csv: name its label column with --target COLUMN")
    assert "data.target" not in message  # no recipe was written
    argv = ["run", "moons-mlp", "--set", "data.name=file", "--set", f"data.path={table}"]
    message = one_line_error([*argv, "--out", str(tmp_path / "run")], capsys)
    assert "is a table: name its label column with data.target" in message
