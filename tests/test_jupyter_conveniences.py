"""What a notebook user meets: figures shown once, History.plot, LivePlot, the HTML summary."""

import subprocess
import sys

import numpy as np
import pytest

import mlpkit as mk
from mlpkit import plots

plt = pytest.importorskip("matplotlib.pyplot")

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def trained():
    X, y = mk.datasets.make_moons(n_samples=200, noise=0.15, seed=0)
    net = mk.mlp([2, 6, 2], hidden="tanh", seed=0)
    history = net.fit(X[:150], y[:150], epochs=4, batch_size=25, validation=(X[150:], y[150:]))
    return net, history, X, y


def test_plots_stay_out_of_pyplot_and_show_themselves_as_png(trained):
    net, history, X, y = trained
    before = plt.get_fignums()
    figures = [
        plots.learning_curves(history),
        plots.decision_regions(net, X, y, resolution=40).figure,
        plots.confusion_matrix([[3, 1], [0, 4]]).figure,
    ]
    assert plt.get_fignums() == before  # nothing for the inline backend to show a second time
    for figure in figures:
        assert figure._repr_png_()[:8] == PNG


def test_history_plot_draws_loss_and_accuracy(trained):
    _, history, _, _ = trained
    figure = history.plot()
    loss_ax, accuracy_ax = figure.axes
    assert [line.get_label() for line in loss_ax.lines] == ["train", "valid"]
    x, y = loss_ax.lines[0].get_data()
    assert list(x) == [1, 2, 3, 4] and np.allclose(y, history.loss)
    assert np.allclose(accuracy_ax.lines[1].get_ydata(), history.val_accuracy)


class FakeDisplay:
    """``IPython.display.display`` as LivePlot calls it: a handle whose updates are counted."""

    def __init__(self):
        self.shown, self.updates = [], []

    def __call__(self, figure, display_id=False):
        assert display_id is True
        self.shown.append(figure)
        return self

    def update(self, figure):
        self.updates.append(figure)


@pytest.mark.parametrize(("epochs", "every", "updates"), [(4, 1, 3), (5, 2, 2), (1, 3, 0)])
def test_live_plot_draws_once_then_updates_in_place(epochs, every, updates):
    X, y = mk.datasets.make_moons(n_samples=60, seed=0)
    display = FakeDisplay()
    live = mk.LivePlot(every=every, display=display)
    net = mk.mlp([2, 4, 2], seed=0)
    net.fit(X, y, epochs=epochs, batch_size=30, validation=(X, y), callbacks=[live])
    assert len(display.shown) == 1 and len(display.updates) == updates
    last = (display.updates or display.shown)[-1]
    assert len(last.axes[0].lines[0].get_xdata()) == epochs  # the final figure has every epoch
    assert live.history.epochs == list(range(epochs))


def test_live_plot_outside_a_notebook_draws_nothing_and_imports_nothing():
    code = (
        "import sys, mlpkit as mk\n"
        "X, y = mk.datasets.make_moons(n_samples=40, seed=0)\n"
        "live = mk.LivePlot()\n"
        "mk.mlp([2, 3, 2], seed=0).fit(X, y, epochs=2, callbacks=[live])\n"
        "assert live.history.epochs == [0, 1]\n"
        "assert 'IPython' not in sys.modules and 'matplotlib' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_live_plot_rejects_a_bad_every():
    with pytest.raises(ValueError, match="every"):
        mk.LivePlot(every=0)


def test_network_html_summary_is_the_text_summary_as_a_table():
    net = mk.Network(
        [mk.Conv2D(4, 3), mk.ReLU(), mk.BatchNorm(), mk.Flatten(), mk.Dense(3), mk.Softmax()],
        input_shape=(6, 6, 1),
        seed=0,
    )
    page = net._repr_html_()
    text = net.summary()
    assert page.startswith("<table>") and page.count("<tr>") == 1 + len(net.layers)
    for layer in net.layers:
        assert f"<td>{repr(layer).replace('<', '&lt;').replace('>', '&gt;')}</td>" in page
    for line in text.splitlines()[-3:]:  # Total / Trainable / Non-trainable params
        assert line in page
    assert "(None, 4, 4, 4)" in page and "(None, 4, 4, 4)" in text


def test_weight_images_say_when_they_show_a_subset():
    net = mk.mlp([64, 50, 10], seed=0)
    some = plots.first_layer_weights(net, image_shape=(8, 8), n_units=36)
    every = plots.first_layer_weights(net, image_shape=(8, 8), n_units=50)
    assert some._suptitle.get_text() == "first-layer weights of first 36 of 50 hidden units"
    assert every._suptitle.get_text() == "first-layer weights of 50 hidden units"
