"""Synthetic data, splits and preprocessing."""

import numpy as np
import pytest

from mlpkit import datasets

GENERATORS = {
    "moons": (datasets.make_moons, 2),
    "circles": (datasets.make_circles, 2),
    "blobs": (datasets.make_blobs, 3),
    "spirals": (datasets.make_spirals, 3),
    "xor": (datasets.make_xor, 2),
}


@pytest.mark.parametrize("name", GENERATORS)
def test_generators_are_seeded_balanced_and_shaped(name):
    make, n_classes = GENERATORS[name]
    X, y = make(n_samples=301, seed=3)
    assert X.shape == (301, 2) and y.shape == (301,)
    assert np.issubdtype(y.dtype, np.integer)
    counts = np.bincount(y)
    assert len(counts) == n_classes and counts.max() - counts.min() <= 1
    X2, y2 = make(n_samples=301, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(make(n_samples=301, seed=4)[0], X)


def test_moons_without_noise_lie_on_their_arcs():
    X, y = datasets.make_moons(n_samples=200, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert (upper[:, 1] >= -1e-12).all() and (lower[:, 1] <= 0.5 + 1e-12).all()


def test_circles_radii():
    X, y = datasets.make_circles(n_samples=100, noise=0.0, factor=0.3, seed=0)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*X[y == 1].T), 0.3)


def test_xor_default_is_the_truth_table():
    X, y = datasets.make_xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])


def test_spirals_with_k_classes():
    X, y = datasets.make_spirals(n_samples=500, n_classes=5, seed=0)
    assert set(y) == set(range(5))
    assert np.hypot(*X.T).max() <= 1.0 + 1e-12


def test_blobs_with_given_centres():
    centres = np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 10.0]])
    X, y = datasets.make_blobs(n_samples=400, centers=centres, std=0.5, seed=0)
    assert X.shape == (400, 3)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), 10.0, atol=0.15)


def test_stratified_split_keeps_class_shares():
    y = np.repeat([0, 1, 2], [500, 300, 200])
    X = np.arange(1000)[:, None]
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.2, seed=0)
    np.testing.assert_array_equal(np.bincount(y_test), [100, 60, 40])
    np.testing.assert_array_equal(np.bincount(y_train), [400, 240, 160])
    together = np.sort(np.concatenate([X_train[:, 0], X_test[:, 0]]))
    np.testing.assert_array_equal(together, np.arange(1000))  # disjoint and complete
    np.testing.assert_array_equal(y[X_test[:, 0]], y_test)  # rows stay with their labels


def test_split_is_seeded_and_takes_a_count():
    X, y = datasets.make_moons(n_samples=101, seed=0)
    first = datasets.train_test_split(X, y, test_size=30, seed=5)
    second = datasets.train_test_split(X, y, test_size=30, seed=5)
    assert len(first[1]) == 30 and len(first[0]) == 71
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_split_errors():
    X, y = np.zeros((10, 2)), np.arange(10) % 2
    with pytest.raises(ValueError, match=r"test_size must be a fraction in \(0, 1\) or an integer"):
        datasets.train_test_split(X, y, test_size=1.5)
    with pytest.raises(ValueError, match="gives 10 test and 0 training samples out of 10"):
        datasets.train_test_split(X, y, test_size=10)
    with pytest.raises(ValueError, match="X and y have different lengths"):
        datasets.train_test_split(X, y[:5])
    with pytest.raises(ValueError, match="stratify=True needs 1-D class labels"):
        datasets.train_test_split(X, np.zeros((10, 2)))


def test_standardizer_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    train = rng.normal(5.0, 2.0, size=(1000, 3))
    train[:, 2] = 7.0  # a constant feature: centred, not divided by zero
    test = rng.normal(5.0, 2.0, size=(10, 3))
    scaler = datasets.Standardizer().fit(train)
    Z = scaler.transform(train)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z[:, :2].std(axis=0), 1.0)
    np.testing.assert_allclose(Z[:, 2], 0.0)
    np.testing.assert_allclose(scaler.transform(test), (test - train.mean(0)) / scaler.scale_)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(test)), test)
    assert scaler.transform(test.astype(np.float32)).dtype == np.float32


def test_standardizer_errors():
    with pytest.raises(RuntimeError, match="not fitted yet"):
        datasets.Standardizer().transform(np.zeros((2, 2)))
    scaler = datasets.Standardizer().fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="X has 3 features but the Standardizer expects 2"):
        scaler.transform(np.zeros((3, 3)))


def test_one_hot():
    np.testing.assert_array_equal(datasets.one_hot([2, 0, 1]), np.eye(3)[[2, 0, 1]])
    assert datasets.one_hot([0, 1], n_classes=4).shape == (2, 4)
    with pytest.raises(
        ValueError, match=r"labels has labels from 0 to 3, but n_classes is 3 \(labels 0..2\)"
    ):
        datasets.one_hot([0, 3], n_classes=3)


def test_train_valid_test_split_is_stratified_and_complete():
    y = np.repeat([0, 1], [600, 400])
    X = np.arange(1000)[:, None]
    X_train, X_valid, X_test, y_train, y_valid, y_test = datasets.train_valid_test_split(
        X, y, valid_size=100, test_size=0.2, seed=0
    )
    assert (len(y_train), len(y_valid), len(y_test)) == (700, 100, 200)
    np.testing.assert_array_equal(np.bincount(y_test), [120, 80])
    np.testing.assert_array_equal(np.bincount(y_valid), [60, 40])
    together = np.sort(np.concatenate([X_train, X_valid, X_test]).ravel())
    np.testing.assert_array_equal(together, np.arange(1000))
    with pytest.raises(ValueError, match="leave no training data"):
        datasets.train_valid_test_split(X, y, valid_size=0.5, test_size=0.5)


def test_rescale_maps_fixed_ranges():
    pixels = np.array([[0, 51, 255]], dtype=np.uint8)
    np.testing.assert_allclose(datasets.rescale(pixels, (0, 255)), [[0, 0.2, 1]], rtol=1e-6)
    np.testing.assert_allclose(
        datasets.rescale(pixels, (0, 255), (-1, 1)), [[-1, -0.6, 1]], rtol=1e-6
    )
    assert datasets.rescale(pixels, (0, 255)).dtype == np.float32
    with pytest.raises(ValueError, match="ranges must be .low, high. with low < high"):
        datasets.rescale(pixels, (255, 0))


def test_zscore_rows_standardises_each_sample():
    X = np.array([[1.0, 2.0, 3.0, 6.0], [4.0, 4.0, 4.0, 4.0]])
    Z = datasets.zscore_rows(X)
    np.testing.assert_allclose(Z[0].mean(), 0, atol=1e-12)
    np.testing.assert_allclose(Z[0].std(), 1)
    np.testing.assert_array_equal(Z[1], 0)  # a blank image stays blank


def test_flatten_images():
    images = np.zeros((5, 20, 20))
    assert datasets.flatten_images(images).shape == (5, 400)
    with pytest.raises(ValueError, match=r"images must have shape \(n, height, width\)"):
        datasets.flatten_images(np.zeros(3))


@pytest.mark.parametrize("kind", ["standardize", "rescale01", "rescale11", "zscore_rows", "none"])
def test_preprocessor_fits_on_training_data_only(kind):
    rng = np.random.default_rng(0)
    train, test = rng.uniform(0, 10, (100, 3)), rng.uniform(0, 20, (10, 3))
    step = datasets.Preprocessor(kind).fit(train)
    again = datasets.Preprocessor(kind).fit(train)
    np.testing.assert_array_equal(step.transform(test), again.transform(test))
    if kind == "rescale01":
        assert step.value_range == (train.min(), train.max())
        assert step.transform(test).max() > 1  # the test data is not refitted
    if kind == "standardize":
        np.testing.assert_allclose(step.transform(train).mean(axis=0), 0, atol=1e-5)
    with pytest.raises(ValueError, match="unknown preprocessing 'pca'; valid kinds are"):
        datasets.Preprocessor("pca")


def test_random_shifts_move_whole_images():
    shift = datasets.random_shifts((4, 4), max_shift=1)
    image = np.zeros((1, 16))
    image[0, 5] = 1.0  # pixel (1, 1)
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(200):
        moved = shift(image, rng).reshape(4, 4)
        assert moved.sum() == 1
        seen.add(tuple(np.argwhere(moved)[0]))
    assert seen == {(r, c) for r in range(3) for c in range(3)}  # every shift of up to 1
    with pytest.raises(ValueError, match="max_shift must be a non-negative integer"):
        datasets.random_shifts((4, 4), -1)


def test_random_shifts_keep_the_shape_of_image_batches():
    shift = datasets.random_shifts((4, 4), max_shift=1)
    images = np.random.default_rng(1).random((5, 4, 4, 1))
    flat = images.reshape(5, 16)
    moved = shift(images, np.random.default_rng(2))
    assert moved.shape == (5, 4, 4, 1)
    np.testing.assert_array_equal(moved.reshape(5, 16), shift(flat, np.random.default_rng(2)))
