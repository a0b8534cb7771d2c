"""Every plot renders to a PNG file (Agg); bad input gets a clear error."""

import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
import pytest

import mlpkit as mk
from mlpkit import plots


def saved(figure, path):
    """Save ``figure`` as PNG and return the pixel array read back."""
    figure.savefig(path)
    plt.close(figure)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert pixels[..., :3].std() > 0.01  # something was drawn, not a blank canvas
    return pixels


@pytest.fixture(scope="module")
def moons():
    X, y = mk.datasets.make_moons(n_samples=300, noise=0.15, seed=0)
    net = mk.mlp([2, 6, 2], hidden="tanh", seed=0)
    history = net.fit(
        X[:200],
        y[:200],
        optimizer=mk.SGD(0.1, momentum=0.9),
        epochs=20,
        batch_size=20,
        validation=(X[200:], y[200:]),
        callbacks=[mk.EvaluateSets({"test": (X[200:], y[200:])}, every=2)],
    )
    return net, history, X, y


@pytest.fixture(scope="module")
def digits():
    data = mk.datasets.load("optdigits")
    net = mk.mlp([64, 16, 10], seed=0)
    net.fit(data.X_train / 16, data.y_train, epochs=2, batch_size=64)
    return net, data


def test_learning_curves(tmp_path, moons):
    _, history, _, _ = moons
    saved(plots.learning_curves(history), tmp_path / "curves.png")


def test_confusion_matrix(tmp_path):
    ax = plots.confusion_matrix([[5, 1], [2, 7]], classes=["cat", "dog"])
    assert ax.get_title() == "confusion matrix (12 of 15 right)"
    saved(ax.figure, tmp_path / "cm.png")


@pytest.mark.parametrize("graded", [False, True])
def test_decision_regions(tmp_path, moons, graded):
    net, _, X, y = moons
    ax = plots.decision_regions(net, X[:200], y[:200], X[200:], y[200:], graded=graded)
    saved(ax.figure, tmp_path / "regions.png")


def test_decision_regions_on_given_axes_with_a_transform(tmp_path, moons):
    net, _, X, y = moons
    fig, axes = plt.subplots(1, 2)
    returned = plots.decision_regions(net, X * 10, y, ax=axes[1], transform=lambda p: p / 10)
    assert returned is axes[1]
    saved(fig, tmp_path / "pair.png")


def test_decision_regions_needs_two_inputs(digits):
    net, data = digits
    with pytest.raises(ValueError, match="needs 2-D points and a 2-input network"):
        plots.decision_regions(net, data.X_test, data.y_test)


def test_image_grid(tmp_path, digits):
    _, data = digits
    fig = plots.image_grid(data.X_train, data.y_train, image_shape=(8, 8), n=12)
    assert len([ax for ax in fig.axes if ax.images]) == 12
    saved(fig, tmp_path / "grid.png")


def test_first_layer_weights(tmp_path, digits):
    net, _ = digits
    fig = plots.first_layer_weights(net, image_shape=(8, 8))
    assert len([ax for ax in fig.axes if ax.images]) == 16
    saved(fig, tmp_path / "weights.png")
    with pytest.raises(
        ValueError, match=r"images of shape \(7, 7\); the first layer with weights is Dense"
    ):
        plots.first_layer_weights(net, image_shape=(7, 7))


def test_first_layer_weights_of_a_network_on_image_samples(tmp_path):
    net = mk.Network(
        [mk.Flatten(), mk.Dense(6), mk.ReLU(), mk.Dense(10), mk.Softmax()],
        input_shape=(8, 8, 1),
        seed=0,
    )
    fig = plots.first_layer_weights(net, image_shape=(8, 8))
    assert len([ax for ax in fig.axes if ax.images]) == 6
    saved(fig, tmp_path / "weights.png")


def test_misclassified(tmp_path, digits):
    net, data = digits
    X = data.X_test / 16
    wrong = int((net.predict(X) != data.y_test).sum())
    fig = plots.misclassified(
        net, X, data.y_test, images=data.X_test, image_shape=(8, 8), classes=data.classes, n=10
    )
    assert fig._suptitle.get_text().startswith(f"{wrong} of 1797 test images wrong")
    assert len([ax for ax in fig.axes if ax.images]) == min(10, wrong)
    saved(fig, tmp_path / "wrong.png")


def test_network_diagram(tmp_path, moons):
    net, _, _, _ = moons
    ax = plots.network_diagram(net)
    assert len(ax.lines) == 2 * 6 + 6 * 2  # one line per weight
    saved(ax.figure, tmp_path / "net.png")


def test_network_diagram_refuses_big_networks():
    with pytest.raises(ValueError, match=r"at most 8 units per hidden layer; .*\(9,\)"):
        plots.network_diagram(mk.mlp([2, 9, 2]))
    assert plots.diagram_widths(mk.mlp([2, 8, 3])) == [2, 8, 3]
    assert plots.diagram_widths(mk.mlp([3, 2, 2])) is None


def small_cnn():
    layers = [
        mk.Conv2D(4, 3, padding="same"),
        mk.ReLU(),
        mk.Conv2D(3, 3),
        mk.MaxPool2D(),
        mk.Flatten(),
        mk.Dense(10),
        mk.Softmax(),
    ]
    return mk.Network(layers, input_shape=(8, 8, 1), seed=0)


def test_conv_filters_and_feature_maps(tmp_path):
    net = small_cnn()
    fig = plots.conv_filters(net)
    assert len([ax for ax in fig.axes if ax.images]) == 4
    saved(fig, tmp_path / "filters.png")
    x = np.random.default_rng(0).random(64)
    fig = plots.feature_maps(net, x)
    drawn = [ax for ax in fig.axes if ax.images]
    assert len(drawn) == 1 + 4 + 3  # the input, then a row per conv layer
    assert drawn[0].get_title() == "input"
    np.testing.assert_array_equal(drawn[0].images[0].get_array(), x.reshape(8, 8))
    assert fig._suptitle.get_text().endswith("(every channel)")
    saved(fig, tmp_path / "maps.png")
    fig = plots.feature_maps(net, x, channels=2)
    assert fig._suptitle.get_text().endswith("(channels 0-1 of 3 or 4)")
    with pytest.raises(ValueError, match="conv_filters draws a Conv2D layer"):
        plots.conv_filters(mk.mlp([64, 5, 10]))


def test_epoch_axes_have_whole_number_ticks():
    """A three-epoch run's curves were ticked at 1.25, 1.5, ...: no such epoch."""
    from mlpkit.curves import learning_curves
    from mlpkit.training import History

    history = History()
    for epoch in range(3):
        history.append(epoch, {"loss": 1.0 / (epoch + 1), "accuracy": 0.5 + 0.1 * epoch})
    figure = learning_curves(history)
    for ax in figure.axes:
        figure.canvas.draw()
        low, high = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if low <= t <= high]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks
