import numpy as np
import pytest

from killipose import InputError, clean_table, load_clean


def test_drops_all_nan_and_mostly_nan_keypoints(pose_table):
    pose_table["x_ghost"] = np.nan
    pose_table["y_ghost"] = np.nan
    pose_table.loc[: int(0.98 * len(pose_table)), "y_tail"] = np.nan
    clean = clean_table(pose_table, max_nan_fraction=0.5)
    assert clean.keypoints == ["head", "body"]
    assert set(clean.report["dropped_columns"]) == {"x_ghost", "y_ghost", "x_tail", "y_tail"}
    assert clean.report["dropped_columns"]["x_ghost"] == "all NaN"
    assert clean.report["nan_fraction"]["y_tail"] == pytest.approx(0.98, abs=0.01)


def test_short_gaps_interpolated_long_gaps_excluded(pose_table):
    original = pose_table["x_head"].to_numpy().copy()
    pose_table.loc[100:104, "x_head"] = np.nan  # 5 frames: filled
    pose_table.loc[200:229, "x_head"] = np.nan  # 30 frames: excluded
    clean = clean_table(pose_table, max_gap=10)
    x = clean.to_pixels(clean.frame[clean.features].to_numpy())[:, 0]
    expected = np.interp(np.arange(100, 105), [99, 105], original[[99, 105]])
    np.testing.assert_allclose(x[100:105], expected, rtol=1e-9)
    assert not clean.frame["valid"].iloc[200:230].any()
    assert clean.frame["valid"].iloc[100:105].all()
    assert clean.report["gaps_filled"] == 1
    assert clean.report["values_filled"] == 5
    assert clean.report["frames"]["excluded"] == 30


def test_single_frame_jump_is_removed_and_repaired(pose_table):
    truth = pose_table.loc[150, "x_tail"]
    pose_table.loc[150, "x_tail"] += 200.0
    clean = clean_table(pose_table, max_jump=30)
    assert clean.report["frames_excluded"]["jump_values_removed"] == 2
    x_tail = clean.to_pixels(clean.frame[clean.features].to_numpy())[150, 4]
    assert abs(x_tail - truth) < 2.0


def test_non_finite_values_become_gaps(pose_table):
    pose_table.loc[50, "y_body"] = np.inf
    pose_table.loc[51, "y_body"] = -np.inf
    clean = clean_table(pose_table)
    assert clean.report["frames_excluded"]["non_finite_values_set_to_nan"] == 2
    assert clean.frame["valid"].iloc[50:52].all()  # a 2-frame gap, interpolated


def test_z_scored_with_training_statistics(pose_table):
    clean = clean_table(pose_table)
    train = clean.matrix("train")
    np.testing.assert_allclose(train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(train.std(axis=0), 1, atol=1e-5)
    # val/test are scaled with the training numbers, not their own
    assert not np.allclose(clean.matrix("test").mean(axis=0), 0, atol=1e-2)
    px = clean.to_pixels(clean.matrix())
    np.testing.assert_allclose(px[:, 0], pose_table["x_head"], rtol=1e-5)
    assert list(clean.frame["split"].iloc[[0, 330, 399]]) == ["train", "val", "test"]
    assert clean.report["fps"] == pytest.approx(30.0)


def test_save_and_load_round_trip(tmp_path, pose_table):
    clean = clean_table(pose_table)
    clean.save(tmp_path / "clean")
    again = load_clean(tmp_path / "clean")
    np.testing.assert_array_equal(again.matrix("val"), clean.matrix("val"))
    np.testing.assert_allclose(again.stats.to_numpy(), clean.stats.to_numpy())
    assert again.keypoints == clean.keypoints


def test_too_few_frames(pose_table):
    with pytest.raises(InputError, match="too few usable frames"):
        clean_table(pose_table.iloc[:50])


def test_every_keypoint_missing(pose_table):
    pose_table.loc[:, [c for c in pose_table if c.startswith(("x_", "y_"))]] = np.nan
    with pytest.raises(InputError, match="every keypoint"):
        clean_table(pose_table)


def test_keypoint_selection_and_unknown_name(pose_table):
    assert clean_table(pose_table, keypoints=["tail", "head"]).features == [
        "x_tail",
        "y_tail",
        "x_head",
        "y_head",
    ]
    with pytest.raises(InputError, match="'fin' is not in the table"):
        clean_table(pose_table, keypoints=["fin"])


def test_the_input_is_not_modified(pose_table):
    pose_table.loc[10, "x_head"] = np.nan
    before = pose_table.copy()
    clean_table(pose_table)
    assert before.equals(pose_table)


def test_report_says_why_frames_were_excluded(pose_table):
    pose_table.loc[100:119, "x_head"] = np.inf  # 20 frames: too long to interpolate
    pose_table.loc[300:329, "y_tail"] = np.nan  # 30 frames of plain NaN
    report = clean_table(pose_table, max_gap=10).report["frames_excluded"]
    assert report["total"] == 50
    assert report["with_a_non_finite_value"] == 20
    assert report["non_finite_values_set_to_nan"] == 20
    assert report["with_a_jump"] == 0


def test_egocentric_round_trip_gives_the_world_pixels(pose_table):
    """clean (egocentric) -> pixels -> to_arena is the world-frame cleaned table."""
    pose_table.loc[100:104, "x_tail"] = np.nan  # a filled gap: the body frame uses it
    pose_table.loc[200:229, "y_head"] = np.nan  # a long one: not valid in either frame
    world = clean_table(pose_table)
    ego = clean_table(pose_table, frame="egocentric")
    valid = ego.frame["valid"].to_numpy()
    np.testing.assert_array_equal(valid, world.frame["valid"].to_numpy())
    expected = world.to_pixels(world.frame.loc[valid, world.features].to_numpy())
    posture = ego.to_pixels(ego.frame.loc[valid, ego.features].to_numpy())
    np.testing.assert_allclose(ego.to_arena(posture, valid), expected, rtol=0, atol=1e-6)
    # From the float32 matrix the models see: float32's resolution at ~100 px, no worse.
    arena = ego.to_arena(ego.to_pixels(ego.matrix()), valid)
    np.testing.assert_allclose(arena, world.to_pixels(world.matrix()), rtol=0, atol=1e-4)
    # (frames, keypoints, 2) and integer rows too; the world frame is left as it is.
    rows = np.flatnonzero(valid)[:50]
    np.testing.assert_allclose(
        ego.to_arena(posture[:50].reshape(50, 3, 2), rows), expected[:50].reshape(50, 3, 2)
    )
    np.testing.assert_array_equal(world.to_arena(expected, valid), expected)


def test_egocentric_table_columns_and_report(pose_table):
    clean = clean_table(pose_table, frame="egocentric", origin="body", axis=("body", "head"))
    assert clean.is_egocentric
    assert clean.features == ["x_head", "y_head", "x_body", "y_body", "x_tail", "y_tail"]
    assert clean.meta == ["frame", "time_s", "split", "valid", "origin_x", "origin_y", "heading"]
    np.testing.assert_allclose(clean.frame["origin_x"], pose_table["x_body"])
    # The head is 10 px along +x from the body point; the body point is (0, 0): constant
    # columns, z-scored to exactly 0, not to amplified rounding noise.
    px = clean.to_pixels(clean.matrix())
    np.testing.assert_allclose(px[:, 0], 10.0, atol=1.0)
    for column in ("y_head", "x_body", "y_body"):
        assert (clean.frame[column] == 0).all()
    parameters = clean.report["parameters"]
    assert [parameters[k] for k in ("frame", "origin", "axis")] == [
        "egocentric",
        "body",
        ["body", "head"],
    ]
    step = next(s for s in clean.report["steps"] if "egocentric" in s["step"])
    assert step == {
        "step": "rotate each frame to the body frame (egocentric)",
        "operation": "to_body_frame",
        "parameters": {"origin": "body", "axis": ["body", "head"]},
        "origin": "body",
        "axis": ["body", "head"],
        "frames_without_body_frame": 0,
    }
    steps = [s["step"] for s in clean.report["steps"]]
    assert steps.index(step["step"]) == steps.index("interpolate gaps of <= 10 frames") + 1
    world = clean_table(pose_table)
    assert not world.is_egocentric and "heading" not in world.frame
    parameters = world.report["parameters"]
    assert [parameters[k] for k in ("frame", "origin", "axis")] == ["world", None, None]


def test_egocentric_save_and_load(tmp_path, pose_table):
    clean = clean_table(pose_table, frame="egocentric")
    clean.save(tmp_path / "clean")
    again = load_clean(tmp_path / "clean")
    assert again.is_egocentric and again.features == clean.features
    X = again.to_pixels(again.matrix("test"))
    rows = (again.frame["valid"] & (again.frame["split"] == "test")).to_numpy()
    np.testing.assert_allclose(again.to_arena(X, rows), clean.to_arena(X, rows))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"frame": "allocentric"},
            "clean.frame must be one of world, egocentric, got 'allocentric'",
        ),
        ({"origin": "nose"}, "clean.origin: 'nose' is not a keypoint (keypoints: head, body, tail"),
        ({"axis": ("body", "fin")}, "clean.axis: 'fin' is not a keypoint"),
        ({"origin": "tail"}, "clean.origin: keypoint 'tail' was dropped (NaN in 98.0% of frames"),
        ({"axis": ("tail", "head")}, "clean.axis: keypoint 'tail' was dropped"),
    ],
)
def test_egocentric_bad_reference_points(pose_table, kwargs, message):
    pose_table.loc[: int(0.98 * len(pose_table)) - 1, "y_tail"] = np.nan
    with pytest.raises(InputError) as error:
        clean_table(pose_table, **({"frame": "egocentric"} | kwargs))
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)
    # The default axis takes the first kept keypoint; a dropped one elsewhere is fine.
    assert clean_table(pose_table, frame="egocentric").keypoints == ["head", "body"]
