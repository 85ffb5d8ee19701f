"""MNIST figures: each image is the digits it says, tiled in reading order."""

import numpy as np
import pandas as pd

from killipose.plots.digits import (
    decoder_grids_figure,
    encoder_maps_figure,
    example_digits,
    interpolation_figure,
    reconstructions_figure,
    tile,
)
from tests.helpers import LinearStandIn


def digits(n: int, seed: int = 0) -> np.ndarray:
    """``n`` random 784-pixel digits, some pixels outside [0, 1] to show the clipping."""
    return np.random.default_rng(seed).uniform(-0.5, 1.5, (n, 784))


def shown(ax) -> np.ndarray:
    (image,) = ax.images
    return np.asarray(image.get_array())


def test_tile_lays_images_out_in_reading_order():
    images = np.arange(4 * 784).reshape(4, 784)
    picture = tile(images, 2, 2)
    assert picture.shape == (56, 56)
    for k, (r, c) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        block = picture[28 * r : 28 * (r + 1), 28 * c : 28 * (c + 1)]
        np.testing.assert_array_equal(block, images[k].reshape(28, 28))


def test_example_digits_are_the_first_of_each_digit():
    labels = np.array([3, 0, 1, 0, 2, 3, 4, 5, 6, 7, 8, 9, 9])
    np.testing.assert_array_equal(example_digits(labels), [1, 2, 4, 0, 6, 7, 8, 9, 10, 11])


def test_reconstructions_show_the_originals_then_a_row_per_model_and_dimension():
    originals = digits(3)
    rebuilt = {("pca", 2): digits(3, seed=1), ("vae", 8): digits(3, seed=2)}
    fig = reconstructions_figure(originals, rebuilt, "recon")
    assert len(fig.axes) == 3
    rows = [originals, *rebuilt.values()]
    for ax, images in zip(fig.axes, rows, strict=True):
        np.testing.assert_array_equal(shown(ax), tile(np.clip(images, 0, 1), 1, 3))
        assert not ax.get_xticks().size and not ax.spines["left"].get_visible()
    assert [ax.get_ylabel() for ax in fig.axes] == ["original", "PCA, 2-D", "VAE, 8-D"]
    assert fig.get_suptitle() == "recon"


def digit_latents(seed: int = 0) -> pd.DataFrame:
    """20 test codes (digits 0-9 twice), then 5 training codes far away."""
    rng = np.random.default_rng(seed)
    label = np.r_[np.arange(20) % 10, np.zeros(5, int)]
    return pd.DataFrame(
        {
            "z1": np.r_[label[:20] + rng.uniform(0, 0.1, 20), [100.0] * 5],
            "z2": np.r_[-label[:20] + rng.uniform(0, 0.1, 20), [100.0] * 5],
            "label": label,
            "split": ["test"] * 20 + ["train"] * 5,
        }
    )


def test_encoder_maps_show_the_test_codes_coloured_by_digit():
    latents = {"pca": digit_latents(0), "nonlinear": digit_latents(1)}
    fig = encoder_maps_figure(latents, "maps")
    *panels, colorbar = fig.axes
    for ax, frame in zip(panels, latents.values(), strict=True):
        test = frame.iloc[:20]
        (points,) = ax.collections
        np.testing.assert_array_equal(points.get_offsets(), test[["z1", "z2"]])
        np.testing.assert_array_equal(points.get_array(), test["label"])
        # Each digit's name at the median of its codes.
        assert [t.get_text() for t in ax.texts] == [str(d) for d in range(10)]
        for digit, text in enumerate(ax.texts):
            group = test[test["label"] == digit]
            assert text.get_position() == (group["z1"].median(), group["z2"].median())
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("z1", "z2")
    assert [ax.get_title() for ax in panels] == ["PCA", "nonlinear AE"]
    np.testing.assert_array_equal(colorbar.get_yticks(), np.arange(10))


def test_decoder_grids_decode_the_test_codes_range_top_row_highest():
    model = LinearStandIn(2)
    frame = digit_latents()
    fig = decoder_grids_figure({"pca": model}, {"pca": frame}, "grids", steps=3)
    (ax,) = fig.axes
    (codes,) = model.decoded
    lo, hi = np.percentile(frame.iloc[:20][["z1", "z2"]], [1, 99], axis=0)  # not the training
    np.testing.assert_allclose(
        codes[[0, 2, 6, 8]],
        [[lo[0], hi[1]], [hi[0], hi[1]], [lo[0], lo[1]], [hi[0], lo[1]]],
        rtol=1e-6,
    )
    np.testing.assert_allclose(codes[4], (lo + hi) / 2, rtol=1e-5)
    np.testing.assert_array_equal(
        shown(ax), tile(np.clip(model.inverse_transform(codes), 0, 1), 3, 3)
    )
    np.testing.assert_allclose(ax.images[0].get_extent(), [lo[0], hi[0], lo[1], hi[1]])
    assert ax.get_title() == "PCA" and fig.get_suptitle() == "grids"


def test_interpolation_rows_run_from_one_digit_to_the_other():
    start, end = digits(2, seed=3).clip(0, 1)
    models = {"linear": LinearStandIn(3, seed=1), "nonlinear": LinearStandIn(5, seed=2)}
    fig = interpolation_figure(models, start, end, "interp", steps=4)
    assert len(fig.axes) == 2
    for ax, model in zip(fig.axes, models.values(), strict=True):
        strip = shown(ax)
        assert strip.shape == (28, 28 * (4 + 4))  # A, a gap, 4 decoded, a gap, B
        cells = [strip[:, 28 * i : 28 * (i + 1)].ravel() for i in range(8)]
        np.testing.assert_array_equal(cells[0], start)
        np.testing.assert_array_equal(cells[-1], end)
        assert not cells[1].any() and not cells[-2].any()
        za, zb = model.transform(np.stack([start, end]))
        for cell, t in zip(cells[2:6], [0, 1 / 3, 2 / 3, 1], strict=True):
            expected = np.clip(model.inverse_transform(((1 - t) * za + t * zb)[None]), 0, 1)
            np.testing.assert_allclose(cell, expected[0], atol=1e-6)
    assert [ax.get_ylabel() for ax in fig.axes] == ["linear AE", "nonlinear AE"]
    assert fig.axes[-1].get_xlabel().startswith("original A | decoded")
