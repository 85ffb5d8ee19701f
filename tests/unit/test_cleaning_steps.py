"""Each cleaning step on its own, on arrays made here, pinned at its boundaries."""

import numpy as np
import pandas as pd
import pytest

from killipose import InputError, clean_table
from killipose.cleaning.points import (
    Points,
    drop_mostly_missing,
    mostly_missing,
    set_low_confidence_missing,
    set_non_finite_missing,
)
from killipose.cleaning.provenance import recorded
from killipose.cleaning.rows import order_rows, time_axis
from killipose.cleaning.steps import (
    exclude_missing,
    fill_gaps,
    remove_jumps,
    short_gaps,
    single_frame_jumps,
    to_body_frame,
    train_statistics,
    zscore,
)
from tests.helpers import make_pose_table

NAN = np.nan


def points(columns: dict, rows=None) -> Points:
    """The Points of a table with these columns (keypoints from its x_ columns)."""
    table = pd.DataFrame(columns)
    keypoints = tuple(c[2:] for c in table.columns if c.startswith("x_"))
    return Points(table, rows, keypoints)


# --- provenance -------------------------------------------------------------------------


@recorded("scale by {factor}")
def scale(x, *, factor, shift=(1, 2)):
    return x * factor, {"values_scaled": len(x)}


@recorded("refuse")
def refuse(x, *, why):
    raise ValueError(why)


def test_a_recorded_call_gives_step_operation_parameters_and_changes():
    steps = []
    result, changes = scale(np.array([1.0, 2.0]), factor=3, record=steps)
    np.testing.assert_array_equal(result, [3.0, 6.0])
    assert changes == {"values_scaled": 2}
    # Defaults are recorded too, and a tuple as the list JSON gives back.
    assert steps == [
        {
            "step": "scale by 3",
            "operation": "scale",
            "parameters": {"factor": 3, "shift": [1, 2]},
            "values_scaled": 2,
        }
    ]


def test_no_record_without_a_list_and_none_for_a_step_that_raises():
    result, _ = scale(np.array([1.0]), factor=2)
    assert result[0] == 2.0
    steps = []
    with pytest.raises(ValueError, match="no"):
        refuse(np.zeros(1), why="no", record=steps)
    assert steps == []


def test_the_report_records_each_step_with_the_parameters_it_ran_with():
    table = make_pose_table(n=200)
    table["confidence_head"] = 0.9
    table.attrs["confidence"] = {"kind": "likelihood", "default_min": 0.6}
    clean = clean_table(
        table, max_nan_fraction=0.3, max_gap=7, max_jump=12.5, fractions=(0.7, 0.2, 0.1)
    )
    steps = {s["operation"]: s["parameters"] for s in clean.report["steps"]}
    assert list(steps) == [
        "order_rows",
        "set_non_finite_missing",
        "set_low_confidence_missing",
        "drop_mostly_missing",
        "remove_jumps",
        "fill_gaps",
        "exclude_missing",
        "zscore",
    ]
    assert steps["set_low_confidence_missing"] == {"min_confidence": 0.6}
    assert steps["drop_mostly_missing"] == {"max_nan_fraction": 0.3}
    assert steps["remove_jumps"] == {"max_jump": 12.5}
    assert steps["fill_gaps"] == {"max_gap": 7}
    assert steps["zscore"] == {"fractions": [0.7, 0.2, 0.1]}
    titles = [s["step"] for s in clean.report["steps"]]
    assert "set points with confidence < 0.6 missing" in titles
    assert "interpolate gaps of <= 7 frames" in titles


# --- rows -------------------------------------------------------------------------------


def test_order_rows_sorts_and_drops_repeats_exact_or_conflicting():
    table = pd.DataFrame(
        {
            "frame_count": [0.0, 2.0, 1.0, 1.0, 3.0, 3.0, NAN],
            "x_a": [0.0, 2.0, 1.0, 1.0, 3.0, 9.0, 4.0],
            "y_a": [0.0, NAN, 1.0, 1.0, 3.0, 3.0, 4.0],
        }
    )
    rows, changes = order_rows(table, ["x_a", "y_a"])
    # The row without a count stays after the row before it (count 3, the conflict).
    assert rows.tolist() == [0, 2, 1, 4, 6]
    assert changes == {
        "order_key": "frame_count",
        "rows_out_of_order": 1,
        "exact_duplicates_dropped": 1,
        "conflicting_duplicates_dropped": 1,
    }
    # Nothing to repair: every row, as it is.
    assert order_rows(table.iloc[[0, 2, 1]], ["x_a"])[0] is None
    assert order_rows(table.drop(columns="frame_count"), ["x_a"])[0] is None


def test_a_repeat_with_another_timestamp_conflicts_and_no_count_means_no_order():
    table = pd.DataFrame(
        {"frame_count": [0.0, 1.0, 1.0], "frame_timestamp": [0.0, 0.1, 0.2], "x_a": [1.0] * 3}
    )
    rows, changes = order_rows(table, ["x_a"])
    assert rows.tolist() == [0, 1]
    assert (changes["exact_duplicates_dropped"], changes["conflicting_duplicates_dropped"]) == (
        0,
        1,
    )
    table["frame_count"] = NAN
    assert order_rows(table.drop(columns="frame_timestamp"), ["x_a"]) == (
        None,
        {
            "order_key": None,
            "rows_out_of_order": 0,
            "exact_duplicates_dropped": 0,
            "conflicting_duplicates_dropped": 0,
        },
    )


def test_time_axis_from_timestamps_counts_or_row_numbers():
    stamps = pd.DataFrame({"frame_timestamp": [10.0, 10.1, 10.2, 10.4]})
    time_s, fps, source = time_axis(stamps, None, None)
    np.testing.assert_allclose(time_s, [0.0, 0.1, 0.2, 0.4])
    assert fps == pytest.approx(10.0) and source == "frame_timestamp"  # median step 0.1 s
    back = pd.DataFrame({"frame_timestamp": [0.0, 0.2, 0.1], "frame_count": [0.0, 1.0, 3.0]})
    time_s, fps, source = time_axis(back, None, 10.0)
    np.testing.assert_allclose(time_s, [0.0, 0.1, 0.3])
    assert source == "frame_count / fps (frame_timestamp goes backwards 1 times)"
    holes = pd.DataFrame({"frame_timestamp": [0.0, NAN, 0.2]})
    time_s, _, source = time_axis(holes, np.array([1, 2]), 10.0)  # these rows only
    np.testing.assert_allclose(time_s, [0.0, 0.1])
    assert source == "row number / fps (frame_timestamp missing or infinite in 1 rows)"
    with pytest.raises(InputError, match="cannot tell the frame rate"):
        time_axis(pd.DataFrame({"x_a": [1.0, 2.0]}), None, None)


# --- missing points ---------------------------------------------------------------------


def test_non_finite_values_become_missing_and_are_counted():
    p = points({"x_a": [1.0, np.inf, NAN, -np.inf], "y_a": [1.0, 2.0, 3.0, 4.0]})
    assert np.isinf(p.raw("x_a")).sum() == 2  # before: as in the table
    p, changes = set_non_finite_missing(p)
    assert changes == {"values_changed": 2}  # NaN was missing already
    values, had_non_finite = p.matrix()
    np.testing.assert_array_equal(values[:, 0], [1.0, NAN, NAN, NAN])
    assert had_non_finite.tolist() == [False, True, False, True]
    assert np.isinf(p.table["x_a"]).sum() == 2  # the input is not changed


def test_confidence_exactly_at_min_confidence_is_kept():
    p = points(
        {
            "x_a": [1.0, 2.0, 3.0, 4.0, 5.0],
            "y_a": [1.0, 2.0, 3.0, 4.0, 5.0],
            "confidence_a": [0.6, 0.5999, NAN, 0.61, 0.0],
            "x_b": [1.0, 2.0, 3.0, 4.0, 5.0],
            "y_b": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    p, changes = set_low_confidence_missing(p, min_confidence=0.6)
    # Below only: 0.5999 and 0.0; exactly 0.6 kept; no score (NaN) is not a low score.
    assert changes == {"points_masked": 2, "per_keypoint": {"a": 2, "b": 0}}
    values, _ = p.matrix()
    assert np.isnan(values[:, 0]).tolist() == [False, True, False, False, True]
    assert not np.isnan(values[:, 2:]).any()  # b has no confidence column


def test_a_keypoint_missing_in_exactly_max_nan_fraction_of_frames_is_kept():
    p = points(
        {
            "x_half": [1.0, NAN, 3.0, NAN],  # 2 of 4: exactly 0.5
            "y_half": [1.0, 2.0, 3.0, 4.0],
            "x_more": [1.0, 2.0, 3.0, 4.0],
            "y_more": [NAN, NAN, NAN, 4.0],  # 3 of 4 in y: the worse of x and y counts
            "x_none": [NAN] * 4,
            "y_none": [NAN] * 4,
        }
    )
    (kept, nan_fraction, dropped), changes = drop_mostly_missing(p, max_nan_fraction=0.5)
    assert kept.keypoints == ("half",)
    assert dropped == {
        "more": "NaN in 75.0% of frames > max_nan_fraction 0.5",
        "none": "all NaN",
    }
    assert changes == {"dropped": ["more", "none"]}
    assert nan_fraction == {
        "x_half": 0.5,
        "y_half": 0.0,
        "x_more": 0.0,
        "y_more": 0.75,
        "x_none": 1.0,
        "y_none": 1.0,
    }


def test_mostly_missing_at_and_just_over_the_limit():
    assert mostly_missing({"a": 0.5}, 0.5) == {}
    assert mostly_missing({"a": 0.5 + 1e-9}, 0.5) == {
        "a": "NaN in 50.0% of frames > max_nan_fraction 0.5"
    }
    # All-NaN goes even when any fraction is allowed; 0 allows none.
    assert mostly_missing({"a": 1.0, "b": 0.99}, 1.0) == {"a": "all NaN"}
    assert mostly_missing({"a": 0.0, "b": 0.01}, 0.0) == {
        "b": "NaN in 1.0% of frames > max_nan_fraction 0.0"
    }


def test_missing_fraction_counts_low_confidence_points():
    p = points({"x_a": [1.0, 2.0, 3.0, 4.0], "y_a": [1.0] * 4, "confidence_a": [0.1, 1, 1, 1]})
    p, _ = set_low_confidence_missing(p, min_confidence=0.5)
    (_, nan_fraction, _), _ = drop_mostly_missing(p, max_nan_fraction=0.5)
    assert nan_fraction == {"x_a": 0.25, "y_a": 0.25}


def test_nothing_left_to_fit():
    p = points({"x_a": [NAN, NAN, 1.0], "y_a": [1.0, 2.0, 3.0]})
    with pytest.raises(InputError, match="every keypoint is missing"):
        drop_mostly_missing(p, max_nan_fraction=0.5)


# --- jumps ------------------------------------------------------------------------------


def test_a_point_exactly_max_jump_from_both_neighbours_is_not_a_jump():
    # (18, 24) is exactly 30 px from (0, 0): a distance, not its square (900).
    x, y = np.array([0.0, 0.0, 18.0, 0.0, 0.0]), np.array([0.0, 0.0, 24.0, 0.0, 0.0])
    assert not single_frame_jumps(x, y, 30.0).any()
    y[2] = 24.01
    # Just over: the far point is the error, not its neighbours (each near its other one).
    assert single_frame_jumps(x, y, 30.0).tolist() == [False, False, True, False, False]
    assert single_frame_jumps(x, y, 30.1).tolist() == [False] * 5


def test_no_jump_at_the_ends_next_to_a_gap_or_in_a_two_frame_excursion():
    far = 100.0
    ends = np.array([far, 0.0, 0.0, 0.0, far])
    assert not single_frame_jumps(ends, np.zeros(5), 30.0).any()
    beside_gap = np.array([0.0, NAN, far, 0.0, 0.0])
    assert not single_frame_jumps(beside_gap, np.zeros(5), 30.0).any()
    two_frames = np.array([0.0, far, far, 0.0])
    assert not single_frame_jumps(two_frames, np.zeros(4), 30.0).any()


def test_remove_jumps_sets_x_and_y_missing_in_place():
    values = np.zeros((5, 4), order="F")
    values[2, 0] = 50.0  # keypoint a jumps in x at frame 2
    values[3, 3] = -50.0  # keypoint b jumps in y at frame 3
    had_jump, changes = remove_jumps(values, ["a", "b"], max_jump=30.0)
    assert np.isnan(values[2, :2]).all() and np.isnan(values[3, 2:]).all()
    assert np.isnan(values).sum() == 4
    assert had_jump.tolist() == [False, False, True, True, False]
    assert changes == {"values_removed": 4, "per_keypoint": {"a": 1, "b": 1}}


# --- gaps -------------------------------------------------------------------------------


def test_a_gap_of_exactly_max_gap_is_filled_and_one_longer_is_not():
    column = np.array([0.0, NAN, NAN, NAN, 8.0, 9.0, NAN, NAN, NAN, NAN, 4.0])
    rows, values, gaps = short_gaps(column, max_gap=3)
    assert rows.tolist() == [1, 2, 3]
    np.testing.assert_array_equal(values, [2.0, 4.0, 6.0])
    assert gaps == 1
    rows, _, gaps = short_gaps(column, max_gap=4)
    assert rows.tolist() == [1, 2, 3, 6, 7, 8, 9] and gaps == 2
    assert short_gaps(column, max_gap=2)[2] == 0


def test_gaps_at_the_first_and_last_rows_stay_missing():
    # Nothing on one side to interpolate towards: those frames stay missing, and so
    # are excluded from fitting, however short the gap.
    column = np.array([NAN, 1.0, 2.0, NAN, 4.0, NAN])
    rows, values, gaps = short_gaps(column, max_gap=10)
    assert rows.tolist() == [3] and values.tolist() == [3.0] and gaps == 1
    assert short_gaps(column, max_gap=0)[0].size == 0
    assert short_gaps(np.array([1.0, 2.0]), max_gap=3)[0].size == 0


def test_fill_gaps_fills_every_column_in_place_and_counts():
    values = np.array([[0.0, 0.0], [NAN, NAN], [2.0, NAN], [3.0, 3.0]], order="F")
    same, changes = fill_gaps(values, max_gap=2)
    assert same is values
    np.testing.assert_array_equal(values, [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    assert changes == {"gaps_filled": 2, "values_filled": 3}


# --- body frame, exclusion, z-score -------------------------------------------------------


def test_body_frame_turns_each_frame_and_keeps_the_pose():
    # Frames: head at (10, 0) from the body point (origin), head straight up (+y), body missing.
    values = np.array(
        [[110.0, 50.0, 100.0, 50.0], [100.0, 60.0, 100.0, 50.0], [1.0, 1.0, NAN, NAN]],
        order="F",
    )
    pose, changes = to_body_frame(values, ["head", "body"], origin="body", axis=None)
    np.testing.assert_allclose(values[:2], [[10.0, 0.0, 0.0, 0.0], [10.0, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(pose["origin_x"][:2], [100.0, 100.0])
    np.testing.assert_allclose(pose["heading"][:2], [0.0, np.pi / 2])
    assert changes == {"origin": "body", "axis": ["body", "head"], "frames_without_body_frame": 1}


def test_exclude_frames_with_any_missing_value():
    values = np.array([[0.0, 1.0], [NAN, 1.0], [1.0, NAN], [1.0, 1.0]], order="F")
    valid, changes = exclude_missing(values)
    assert valid.tolist() == [True, False, False, True]
    assert changes == {"frames_excluded": 2}


def test_zscore_uses_only_the_valid_training_frames():
    n = 100  # train rows 0..79, val 80..89, test 90..99
    x = np.tile([10.0, 20.0], n // 2)
    x[5] = 1e6  # a training frame, not valid: left out of the statistics
    x[80:] = 1000.0  # val and test: left out too
    values = np.stack([x, np.full(n, 7.0)], axis=1).copy(order="F")
    valid = np.ones(n, dtype=bool)
    valid[5] = False
    (split, mean, std), changes = zscore(
        values, valid, ["x_a", "y_a"], np.arange(n), fractions=(0.8, 0.1, 0.1)
    )
    train = np.delete(np.tile([10.0, 20.0], 40), 5)  # the 79 valid training values
    assert mean[0] == pytest.approx(train.mean()) and std[0] == pytest.approx(train.std())
    # A constant column: standard deviation 1, so it z-scores to 0, not NaN.
    assert (mean[1], std[1]) == (7.0, 1.0)
    assert np.isnan(values[5]).all()
    assert values[0, 0] == pytest.approx((10.0 - train.mean()) / train.std())
    assert (values[valid, 1] == 0).all()
    assert split[79] == "train" and split[80] == "val" and split[90] == "test"
    assert changes == {"frames": {"train": 79, "val": 10, "test": 10}}


def test_zscore_stops_on_too_few_frames_or_values_no_pose_could_have():
    values = np.ones((100, 1), order="F")
    valid = np.ones(100, dtype=bool)
    valid[85] = False  # 9 usable validation frames, one short
    with pytest.raises(InputError, match="9 in the val split"):
        zscore(values, valid, ["x_a"], np.arange(100), fractions=(0.8, 0.1, 0.1))
    values[95, 0] = 1e300  # a test frame far beyond float32
    with pytest.raises(InputError, match="x_a: value 1e\\+300 in data row 96 is too far"):
        zscore(values, np.ones(100, bool), ["x_a"], np.arange(100), fractions=(0.8, 0.1, 0.1))


def test_train_statistics_refuse_values_that_overflow():
    values = np.array([[1e308], [1e308], [-1e308]], order="F")
    with pytest.raises(InputError, match="x_a: values too large to normalise"):
        train_statistics(values, np.ones(3, dtype=bool), ["x_a"])
