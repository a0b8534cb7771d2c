"""Image augmentation: ``random_affine`` against SciPy's affine transform, and recipes."""

import math

import numpy as np
import pytest

from mlpkit import datasets
from mlpkit.datasets.augment import affine

ndimage = pytest.importorskip("scipy.ndimage", reason="SciPy is the oracle for affine images")


def scipy_affine(image, angle, scale, shift):
    """The same map through ``scipy.ndimage.affine_transform`` (bilinear, background outside)."""
    centre = (np.array(image.shape) - 1) / 2
    cos, sin = math.cos(angle) / scale, math.sin(angle) / scale
    inverse = np.array([[cos, -sin], [sin, cos]])  # output position -> source position
    offset = centre - inverse @ (centre + shift)
    return ndimage.affine_transform(
        image, inverse, offset=offset, order=1, mode="grid-constant", cval=image.min()
    )


@pytest.mark.parametrize("shape", [(7, 9), (20, 20), (28, 28)])
def test_affine_matches_scipy(shape):
    rng = np.random.default_rng(3)
    images = rng.random((4, *shape))
    images[:, :3] = 0.1  # a background row band, so the fill value matters
    angle = np.array([0.3, -0.5, 1.0, math.pi / 2])
    scale = np.array([1.1, 0.8, 1.0, 1.3])
    shift = np.array([[0.5, -1.2], [2.0, 0.0], [0.0, 0.0], [-3.3, 1.7]])
    moved = affine(images, angle, scale, shift)
    for i in range(len(images)):
        expected = scipy_affine(images[i], angle[i], scale[i], shift[i])
        np.testing.assert_allclose(moved[i], expected, rtol=0, atol=1e-12)


def test_quarter_turn_moves_a_pixel_clockwise_as_shown():
    image = np.zeros((1, 5, 5))
    image[0, 2, 0] = 1.0  # left of the centre
    turned = affine(image, np.array([math.pi / 2]), np.ones(1), np.zeros((1, 2)))
    np.testing.assert_allclose(turned[0, 0, 2], 1.0, atol=1e-12)  # now above it
    np.testing.assert_allclose(turned.sum(), 1.0, atol=1e-12)


def test_random_affine_without_change_is_the_identity_and_keeps_shape_and_dtype():
    rng = np.random.default_rng(0)
    still = datasets.random_affine((4, 6), max_rotation=0, max_scale=0, max_shift=0)
    flat = rng.random((3, 24)).astype(np.float32)
    np.testing.assert_array_equal(still(flat, rng), flat)
    images = flat.reshape(3, 4, 6, 1)
    moved = datasets.random_affine((4, 6), max_shift=1.0)(images, rng)
    assert moved.shape == (3, 4, 6, 1) and moved.dtype == np.float32


def test_random_affine_draws_within_its_bounds():
    """A shift of at most 1 pixel keeps a centred dot's ink within one pixel of the centre."""
    distort = datasets.random_affine((9, 9), max_rotation=0, max_scale=0, max_shift=1.0)
    image = np.zeros((200, 81))
    image[:, 40] = 1.0  # the centre pixel (4, 4)
    moved = distort(image, np.random.default_rng(1)).reshape(200, 9, 9)
    np.testing.assert_allclose(moved.sum(axis=(1, 2)), 1.0, atol=1e-12)  # bilinear keeps ink
    assert moved[:, 3:6, 3:6].sum(axis=(1, 2)) == pytest.approx(np.ones(200))
    assert (moved[:, 4, 4] < 1 - 1e-6).mean() > 0.9  # fractional shifts, not whole ones


def test_random_affine_is_reproducible_from_the_generator():
    distort = datasets.random_affine((8, 8), max_rotation=15, max_scale=0.2, max_shift=1.5)
    X = np.random.default_rng(0).random((5, 64))
    a = distort(X, np.random.default_rng(7))
    b = distort(X, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, distort(X, np.random.default_rng(8)))


@pytest.mark.parametrize(
    ("argument", "value", "message"),
    [
        ("max_rotation", -1, "max_rotation must be a non-negative number, got -1"),
        ("max_scale", 1.0, "max_scale must be below 1.0, got 1.0"),
        ("max_shift", "2", "max_shift must be a non-negative number, got '2'"),
        ("max_shift", float("nan"), "max_shift must be a non-negative number, got nan"),
    ],
)
def test_random_affine_rejects_bad_arguments(argument, value, message):
    with pytest.raises(ValueError, match=message):
        datasets.random_affine((8, 8), **{argument: value})


def test_recipe_rotation_needs_images(tmp_path):
    from mlpkit import recipes
    from mlpkit.recipes.build import build_augment, prepare_data

    config = recipes.apply_overrides(recipes.load_recipe("e4-moons"), ["train.augment_rotate=10"])
    data = prepare_data(config)
    with pytest.raises(ValueError, match=r"train\.augment_rotate needs an image dataset"):
        build_augment(config, data)


def test_random_flips_mirror_about_half_of_the_images_and_nothing_else():
    flip = datasets.random_flips((3, 4))
    X = np.random.default_rng(0).random((400, 12))
    out = flip(X, np.random.default_rng(1)).reshape(400, 3, 4)
    images = X.reshape(400, 3, 4)
    same = np.all(out == images, axis=(1, 2))
    mirrored = np.all(out == images[:, :, ::-1], axis=(1, 2))
    assert np.all(same | mirrored)
    assert 150 < mirrored.sum() < 250


def test_recipe_augmentations_chain_flips_before_the_affine_map():
    from mlpkit import recipes
    from mlpkit.recipes.build import build_augment

    config = recipes.apply_overrides(
        recipes.load_recipe("better-optdigits-cnn"),
        ["train.augment_flip=true", "train.augment_rotate=5"],
    )

    class Data:
        image_shape = (8, 8)

    augment = build_augment(config, Data())
    X = np.random.default_rng(2).random((6, 64))
    expected_rng, rng = np.random.default_rng(3), np.random.default_rng(3)
    flipped = datasets.random_flips((8, 8))(X, expected_rng)
    expected = datasets.random_affine((8, 8), max_rotation=5, max_scale=0, max_shift=0)(
        flipped, expected_rng
    )
    np.testing.assert_array_equal(augment(X, rng), expected)
