"""Progress output: log lines and the tqdm bar, driven as fit drives them."""

import io

import mlpkit as mk
from mlpkit import progress


def test_log_lines():
    stream = io.StringIO()
    lines = progress.LogLines(epochs=2, stream=stream)
    lines.on_epoch_end(0, {"loss": 0.5, "accuracy": 0.75, "val_accuracy": 0.7, "time": 0.1})
    assert stream.getvalue() == "epoch 1/2  loss 0.5000  acc 0.7500  val_acc 0.7000  0.10s\n"


def test_progress_bar_counts_epochs_and_batches(capsys):
    X, y = mk.datasets.make_moons(n_samples=2000, seed=0)
    bar = progress.ProgressBar(epochs=3, batches_per_epoch=250)
    mk.mlp([2, 4, 2]).fit(X, y, epochs=3, batch_size=8, callbacks=[bar])
    assert bar.bar.n == 3 and bar.batch_bar is None  # closed at the end of each epoch
    err = capsys.readouterr().err
    assert "epochs" in err and "batches" in err and "3/3" in err


def test_make_progress_chooses_by_terminal(monkeypatch):
    assert progress.make_progress(5, 10, quiet=True) is None
    monkeypatch.setattr("sys.stderr.isatty", lambda: False, raising=False)
    assert isinstance(progress.make_progress(5, 10), progress.LogLines)
