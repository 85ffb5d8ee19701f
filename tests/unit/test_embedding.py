"""Latent codes and pixels of a cleaned table, in the world and the body frame."""

import numpy as np
import pandas as pd
import pytest

from killipose import (
    CleanTable,
    clean_table,
    latent_table,
    models,
    original_pixels,
    reconstruct_pixels,
)
from killipose.embedding import traversal_pixels
from killipose.plots.latents import traversal_figure
from tests.helpers import LinearStandIn, make_pose_table


def test_egocentric_reconstructions_are_postures_that_go_back_to_the_arena(pose_table):
    pose_table.loc[200:229, "x_head"] = np.nan  # not valid: NaN in every panel
    clean = clean_table(pose_table, frame="egocentric")
    model = models.make("pca", latent_dim=2).fit(clean.matrix("train"))
    rows = slice(190, 260)

    original = original_pixels(clean, rows)
    rebuilt = reconstruct_pixels(model, clean, rows)

    assert original.shape == rebuilt.shape == (70, 3, 2)
    lost = slice(10, 40)
    assert np.isnan(original[lost]).all() and np.isnan(rebuilt[lost]).all()
    # Body frame: centred on the centroid, the head (first keypoint) on +x.
    kept = np.r_[0:10, 40:70]
    np.testing.assert_allclose(original[kept].mean(axis=1), 0, atol=1e-9)
    assert (original[kept, 0, 1] == 0).all() and (original[kept, 0, 0] > 5).all()
    np.testing.assert_allclose(rebuilt[kept], original[kept], atol=0.5)
    # Back in the arena: the world-frame table's pixels.
    world = original_pixels(clean_table(pose_table), rows)
    np.testing.assert_allclose(clean.to_arena(original, rows)[kept], world[kept], atol=1e-6)
    assert np.isnan(clean.to_arena(rebuilt, rows)[lost]).all()

    latent = latent_table(model, clean)
    assert list(latent.columns) == [*clean.meta, "z1", "z2"]
    assert "heading" in latent  # position and heading travel with the code


#: Rows of :func:`tiny_table` that are not valid: the first, two in the middle, the last.
INVALID = [0, 5, 6, 11]
#: Its normalisation: per feature, pixels = normalised * std + mean.
MEAN, STD = [100.0, 200.0, 300.0, 400.0], [2.0, 3.0, 4.0, 5.0]
#: Its normalised features are t times these (one direction: a 1-D code holds them all).
DIRECTION = np.array([1.0, 2.0, -1.0, 0.5])  # length 2.5


def tiny_table(pose: dict | None = None) -> CleanTable:
    """12 frames of 2 keypoints (a, b) on a line: row i has t = i**2 / 10 (not symmetric
    about any row, so codes in the wrong order or reversed do not look right), features
    ``t * DIRECTION``, NaN on the rows in ``INVALID``. Frame numbers 7, 9, ... differ from
    the row numbers. ``pose``: egocentric columns (origin_x, origin_y, heading) to add."""
    rows = np.arange(12)
    valid = ~np.isin(rows, INVALID)
    t = rows**2 / 10
    X = np.where(valid[:, None], t[:, None] * DIRECTION, np.nan)
    frame = pd.DataFrame(
        {"frame": 7 + 2 * rows, "time_s": (7 + 2 * rows) / 20, "split": "train", "valid": valid}
    )
    frame = frame.assign(**(pose or {}))
    features = ["x_a", "y_a", "x_b", "y_b"]
    frame[features] = X
    stats = pd.DataFrame({"mean": MEAN, "std": STD}, index=features)
    return CleanTable(frame=frame, stats=stats)


class FirstFeature:
    """A stand-in model with known answers: the code is the first feature, and decoding
    copies the code into every feature."""

    latent_dim = 1

    def transform(self, X):
        return np.asarray(X, dtype=np.float32)[:, :1]

    def inverse_transform(self, Z):
        return np.repeat(np.asarray(Z, dtype=np.float32), 4, axis=1)


def test_latent_table_puts_each_code_on_its_own_frame_and_nan_on_invalid_ones():
    clean = tiny_table()
    model = models.make("pca", latent_dim=1).fit(clean.matrix())
    latent = latent_table(model, clean)

    assert list(latent.columns) == ["frame", "time_s", "split", "valid", "z1"]
    assert len(latent) == 12
    np.testing.assert_array_equal(latent["frame"], 7 + 2 * np.arange(12))
    np.testing.assert_array_equal(latent["time_s"], (7 + 2 * np.arange(12)) / 20)
    np.testing.assert_array_equal(latent["valid"], ~np.isin(np.arange(12), INVALID))
    z = latent["z1"].to_numpy()
    assert np.flatnonzero(np.isnan(z)).tolist() == INVALID
    # PCA's code of points on a line: the distance along it from their mean, up to sign.
    rows = np.flatnonzero(latent["valid"])
    t = rows**2 / 10
    expected = 2.5 * (t - t.mean())  # -9.875 (row 1) ... 14.875 (row 10)
    np.testing.assert_allclose(z[rows] * np.sign(z[10]), expected, rtol=1e-5, atol=1e-5)


def test_latent_table_of_a_model_with_known_codes():
    latent = latent_table(FirstFeature(), tiny_table())
    rows = np.arange(12)
    expected = np.where(np.isin(rows, INVALID), np.nan, rows**2 / 10)
    np.testing.assert_allclose(latent["z1"], expected.astype(np.float32))
    assert latent["z1"].dtype == np.float32


def test_pixels_undo_the_normalisation_feature_by_feature():
    clean = tiny_table()
    original = original_pixels(clean, slice(3, 7))  # rows 3, 4 valid; 5, 6 not
    assert original.shape == (4, 2, 2)
    # Row 3: t = 0.9, normalised (0.9, 1.8, -0.9, 0.45): keypoint a then b, each (x, y).
    np.testing.assert_allclose(original[0], [[101.8, 205.4], [296.4, 402.25]])
    np.testing.assert_allclose(original[1], [[103.2, 209.6], [293.6, 404.0]])  # t = 1.6
    assert np.isnan(original[2:]).all()

    rebuilt = reconstruct_pixels(FirstFeature(), clean, slice(3, 7))
    assert rebuilt.shape == (4, 2, 2) and rebuilt.dtype == np.float64
    # The decoder copies x_a = t into every feature: t * std + mean.
    np.testing.assert_allclose(rebuilt[0], [[101.8, 202.7], [303.6, 404.5]], rtol=1e-6)
    np.testing.assert_allclose(rebuilt[1], [[103.2, 204.8], [306.4, 408.0]], rtol=1e-6)
    assert np.isnan(rebuilt[2:]).all()
    assert np.isnan(reconstruct_pixels(FirstFeature(), clean, slice(5, 7))).all()
    # A model that reconstructs points on a line exactly gives the original pixels.
    pca = models.make("pca", latent_dim=1).fit(clean.matrix())
    every = reconstruct_pixels(pca, clean, slice(None))
    np.testing.assert_allclose(every, original_pixels(clean, slice(None)), atol=1e-4)
    assert np.isnan(every[INVALID]).all() and not np.isnan(np.delete(every, INVALID, 0)).any()


def test_egocentric_pixels_go_back_to_the_arena_by_each_frames_pose():
    heading = np.tile([0, np.pi / 2, np.pi, -np.pi / 2], 3)
    origin_x, origin_y = 10.0 * np.arange(12), np.full(12, -5.0)
    for column in (origin_x, origin_y, heading):
        column[4] = np.nan  # a frame without a body frame
    pose = {"origin_x": origin_x, "origin_y": origin_y, "heading": heading}
    clean = tiny_table(pose)
    assert clean.is_egocentric
    rows = slice(1, 5)
    posture = original_pixels(clean, rows)  # rows 1-4: t = 0.1, 0.4, 0.9, 1.6
    arena = clean.to_arena(posture, rows)
    # Row 1: heading 90 degrees, origin (10, -5): (x, y) -> (10 - y, -5 + x).
    x, y = posture[0, :, 0], posture[0, :, 1]
    np.testing.assert_allclose(arena[0], np.stack([10 - y, -5 + x], axis=1), atol=1e-9)
    x, y = posture[1, :, 0], posture[1, :, 1]  # heading 180: (20 - x, -5 - y)
    np.testing.assert_allclose(arena[1], np.stack([20 - x, -5 - y], axis=1), atol=1e-9)
    x, y = posture[2, :, 0], posture[2, :, 1]  # heading -90: (30 + y, -5 - x)
    np.testing.assert_allclose(arena[2], np.stack([30 + y, -5 - x], axis=1), atol=1e-9)
    assert np.isnan(arena[3]).all()
    # The same rows named by a mask or by positions, and the (frames, features) layout.
    mask = np.isin(np.arange(12), [1, 2, 3, 4])
    np.testing.assert_array_equal(clean.to_arena(posture, mask), arena)
    np.testing.assert_array_equal(clean.to_arena(posture, [1, 2, 3, 4]), arena)
    flat = clean.to_arena(posture.reshape(4, 4), rows)
    np.testing.assert_array_equal(flat, arena.reshape(4, 4))
    with pytest.raises(ValueError, match="3 frames of pixels for 4 rows"):
        clean.to_arena(posture[:3], rows)
    # In the world frame, pixels are arena pixels already.
    world = tiny_table()
    np.testing.assert_array_equal(world.to_arena(posture, rows), posture)


def test_traversal_moves_one_code_dimension_at_a_time_from_the_mean_code(pose_table):
    clean = clean_table(pose_table)
    X = clean.matrix("train")
    model = LinearStandIn(2, seed=3, features=X.shape[1])
    poses, offsets = traversal_pixels(model, clean, steps=5, spread=2.0)
    assert poses.shape == (2, 5, len(clean.keypoints), 2)
    np.testing.assert_allclose(offsets, [-2, -1, 0, 1, 2])
    Z = X @ model.W  # the stand-in's code of the training frames
    mean, sd = Z.mean(axis=0), Z.std(axis=0)
    for i in range(2):
        for j, offset in enumerate(offsets):
            code = mean.copy()
            code[i] += offset * sd[i]  # this dimension only
            expected = clean.to_pixels(code @ model.W.T).reshape(-1, 2)
            np.testing.assert_allclose(poses[i, j], expected, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(poses[0, 2], poses[1, 2], atol=1e-4)  # both start at the mean


def test_traversal_figure_draws_every_pose_of_every_dimension(pose_table):
    clean = clean_table(pose_table)
    model = LinearStandIn(3, features=len(clean.features))
    poses, offsets = traversal_pixels(model, clean, steps=5)
    fig = traversal_figure(poses, offsets, clean.keypoints, "fish")
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["z1", "z2", "z3"]
    for i, ax in enumerate(panels):
        skeletons = [line for line in ax.lines if len(line.get_xdata()) > 1]
        assert len(skeletons) == 5
        np.testing.assert_allclose(skeletons[4].get_xydata(), poses[i, 4])
        assert skeletons[2].get_color() == "black"  # the mean code's
    assert panels[0].get_ylim()[0] > panels[0].get_ylim()[1]  # y down, as in the video


def test_arena_outline_holds_where_the_animal_went_but_not_a_stray_point():
    from matplotlib.path import Path as Polygon

    from killipose.embedding import arena_outline

    pose_table = make_pose_table(n=20_000)
    clean = clean_table(pose_table)
    points = original_pixels(clean, slice(None)).reshape(-1, 2)
    points = points[np.isfinite(points).all(axis=1)]
    outline = arena_outline(clean)
    inside = Polygon(outline).contains_points(points, radius=1e-6)
    assert inside.mean() > 0.99  # every point, bar those of sparse cells at the edge
    # A keypoint far off in a frame (one the cleaning let through) does not stretch it.
    far = clean_table(pose_table)
    far.frame.loc[100, far.features[0]] = 50.0  # 50 standard deviations
    assert np.abs(arena_outline(far)).max() < 1_000
    # In the body frame, the outline is still the arena's.
    ego = arena_outline(clean_table(pose_table, frame="egocentric"))
    np.testing.assert_allclose(
        [ego.min(axis=0), ego.max(axis=0)], [outline.min(axis=0), outline.max(axis=0)], atol=2.0
    )
