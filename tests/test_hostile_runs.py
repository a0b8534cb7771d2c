"""Hostile conditions for run folders (issue 26): what a failed run leaves behind.

A run on a full disk left a half-made folder (lock, data digest, config) that the
next run refused as "already holds a run" and whose resume hint repeated the error.
"""

import errno
import os
import re

import pytest

from mlpkit import io as mlpkit_io
from mlpkit.recipes import apply_overrides, load_recipe
from mlpkit.runs import run


def _disk_full_after(monkeypatch, writes):
    """Make every file write after the first ``writes`` fail as on a full disk."""
    done = []
    real_fsync = os.fsync

    def fsync(descriptor):
        if len(done) >= writes:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        done.append(descriptor)
        return real_fsync(descriptor)

    monkeypatch.setattr(mlpkit_io.os, "fsync", fsync)


def _config():
    return apply_overrides(load_recipe("e4-moons"), ["train.epochs=2", "report.images=4"])


@pytest.mark.parametrize("writes", [0, 1, 2])
def test_a_run_that_cannot_write_before_its_first_checkpoint_leaves_nothing(
    writes, tmp_path, monkeypatch
):
    _disk_full_after(monkeypatch, writes)  # the digest, the config, the first checkpoint
    out = tmp_path / "made" / "run"
    with pytest.raises(OSError, match=r"No space left on device; nothing of the run was left"):
        run(_config(), out, quiet=True)
    assert list(tmp_path.iterdir()) == []  # the folders it made went too
    monkeypatch.undo()
    assert run(_config(), out, quiet=True).status == "finished"  # the folder is free for a run


def test_a_given_empty_folder_is_emptied_not_removed(tmp_path, monkeypatch):
    out = tmp_path / "run"
    out.mkdir()
    _disk_full_after(monkeypatch, 1)
    with pytest.raises(OSError, match="cannot write .*config.toml: No space left on device"):
        run(_config(), out, quiet=True)
    assert out.is_dir() and list(out.iterdir()) == []


def test_a_run_with_a_checkpoint_keeps_it_and_says_how_to_go_on(tmp_path, monkeypatch):
    from mlpkit.runs import resume

    _disk_full_after(monkeypatch, 4)  # digest, config, two checkpoints; then the outputs
    out = tmp_path / "run"
    with pytest.raises(OSError) as caught:
        run(_config(), out, quiet=True)
    assert f"keeps its last checkpoint: make room, then continue it with --resume {out}" in str(
        caught.value
    )
    assert caught.value.errno == errno.ENOSPC
    assert not [p for p in out.rglob(".*.tmp")]  # no temporary file left beside the outputs
    monkeypatch.undo()
    assert resume(out, quiet=True).status == "finished"
    assert (out / "report.html").is_file()


@pytest.mark.parametrize(
    "after_softmax", ["{type = 'dropout', rate = 0.5}", "{type = 'batchnorm'}"]
)
def test_a_layer_after_the_output_is_refused_by_key_before_the_folder(
    after_softmax, tmp_path, capsys
):
    from helpers import one_line_error

    recipe = tmp_path / "r.toml"
    recipe.write_text(
        "[data]\nname = 'moons'\n[model]\nlayers = [{type = 'dense', units = 8}, "
        f"{{type = 'relu'}}, {{type = 'dense', units = 2}}, {{type = 'softmax'}}, {after_softmax}]"
        "\n[train]\nepochs = 1\n"
    )
    out = tmp_path / "out"
    err = one_line_error(["run", str(recipe), "--out", str(out)], capsys)
    assert err.startswith("mlpkit: error: train.loss = 'cross_entropy': cross_entropy needs")
    assert "end model.layers with {type = 'softmax'}" in err and "--resume" not in err
    assert not out.exists()


def test_any_failure_before_the_first_checkpoint_leaves_nothing(tmp_path):
    from mlpkit.training import Callback

    class Fails(Callback):
        def on_epoch_end(self, epoch, logs):
            raise ValueError("a watcher failed")

    out = tmp_path / "run"
    with pytest.raises(ValueError, match="a watcher failed"):
        run(_config(), out, quiet=True, callbacks=[Fails()])
    assert not out.exists()


# --- two runs, one second: the default folders differ -----------------------------------


def test_default_folders_named_in_the_same_second_differ(tmp_path, monkeypatch):
    from datetime import datetime

    from mlpkit import runs
    from mlpkit.runs import folder

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 12, 6, 12, 0, 0)

    monkeypatch.setattr(folder, "datetime", Frozen)
    first = runs.new_run_dir(tmp_path / "runs", "e4-moons")
    second = runs.new_run_dir(tmp_path / "runs", "e4-moons")  # before the first writes a file
    assert first.name == "e4-moons-20261206-120000" and second.name == first.name + "-2"
    assert first.is_dir() and second.is_dir()  # claimed at once, not only named


def test_a_failed_run_into_a_default_folder_leaves_no_folder(tmp_path, monkeypatch, capsys):
    from helpers import one_line_error

    monkeypatch.chdir(tmp_path)
    one_line_error(["run", "e4-moons", "--set", "train.momentum=1.5"], capsys)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ("[-8,8,1]", r"must list positive whole sizes .*got \[-8, 8, 1\]"),
        ("[8,8,0]", "must list positive whole sizes"),
        ("[4,4,1]", r"\[4, 4, 1\] does not fit the data's 64 features"),
    ],
)
def test_an_input_shape_that_cannot_be_is_named(shape, message, tmp_path, capsys):
    from helpers import one_line_error

    argv = ["run", "better-optdigits-cnn", "--set", f"model.input_shape={shape}"]
    line = one_line_error([*argv, "--out", str(tmp_path / "run"), "--quiet"], capsys)
    assert re.search(message, line), line
    assert not (tmp_path / "run").exists()


def test_a_search_point_whose_network_cannot_be_built_is_refused_before_any_trial(tmp_path, capsys):
    from helpers import one_line_error

    db = tmp_path / "search.sqlite"
    grid = "model.input_shape=[8,8,1],[4,16,1],[3,3,3]"
    argv = ["search", "better-optdigits-cnn", "--set", "train.epochs=1", "--grid", grid]
    line = one_line_error([*argv, "--db", str(db)], capsys)
    assert "search point model.input_shape=[3,3,3]:" in line
    assert "does not fit the data's 64 features" in line
    assert not db.exists()  # no trial ran, nothing was stored
