"""The video's pure geometry, pinned at its boundaries with answers worked out by hand."""

import numpy as np
import pytest

from killipose.video.geometry import (
    FALLBACK_BODY_LENGTH_PX,
    MIN_ZOOM_HALF_PX,
    TRAIL_FRAMES,
    apply_affines,
    body_centres,
    body_length,
    clip_segments,
    round_up,
    scale_step,
    skeleton_polylines,
    trail_segments,
    view_limits,
    visible_heads,
    zoom_view,
)

NAN = np.nan


def line_fish(lengths, keypoints: int = 3) -> np.ndarray:
    """``(frames, keypoints, 2)``: a straight fish along x per frame, head at the origin."""
    return np.stack(
        [np.stack([np.linspace(0, -n, keypoints), np.zeros(keypoints)], axis=1) for n in lengths]
    )


# -- views ---------------------------------------------------------------------------------


def test_view_holds_every_finite_point_with_a_margin_and_skips_nan_rows():
    points = np.array([[[0.0, 0.0], [100.0, 40.0]], [[NAN, NAN], [1000.0, NAN]]])
    # Centre (50, 20); half side 0.54 * 100 + 8 = 62 from the wider span (x); y top-down.
    assert view_limits(points) == ((-12.0, 112.0), (82.0, -42.0))


def test_view_of_a_still_point_is_20_px_each_way_and_of_nothing_any_view():
    assert view_limits(np.array([[10.0, 20.0]])) == ((-10.0, 30.0), (40.0, 0.0))
    # 0.54 * 22 + 8 = 19.88: still the 20 px floor; a span of 40 gives 29.6.
    assert view_limits(np.array([[0.0, 0.0], [22.0, 0.0]]))[0] == (-9.0, 31.0)
    assert view_limits(np.array([[0.0, 0.0], [0.0, 40.0]]))[1] == pytest.approx((49.6, -9.6))
    assert view_limits(np.full((3, 2), NAN)) == ((-12.0, 112.0), (112.0, -12.0))


def test_centre_is_the_mean_of_finite_keypoints_and_holds_over_gaps():
    pose = np.array(
        [
            [[NAN, NAN], [NAN, NAN]],  # nothing yet: the first centre there is
            [[0.0, 0.0], [10.0, 4.0]],
            [[NAN, NAN], [NAN, NAN]],  # lost: the previous centre
            [[7.0, 1.0], [NAN, 3.0]],  # one finite keypoint: its position
            [[2.0, 2.0], [4.0, 6.0]],
        ]
    )
    np.testing.assert_array_equal(body_centres(pose), [[5, 2], [5, 2], [5, 2], [7, 1], [3, 4]])


def test_centre_without_any_keypoint_is_the_middle_of_the_fallback_view():
    np.testing.assert_array_equal(body_centres(np.full((2, 3, 2), NAN)), [[50, 50], [50, 50]])


def test_body_length_is_the_median_head_to_tail_distance_of_frames_that_have_one():
    # 80, 100, 100 count; a zero length (head on tail) and a lost tail do not.
    fish = line_fish([80, 0, 100, 100, 30])
    fish[4, -1] = NAN
    assert body_length(fish) == 100.0


def test_body_length_without_both_ends_is_the_median_bounding_box_diagonal():
    fish = np.array([[[0.0, 0.0], [6.0, 8.0], [NAN, NAN]], [[0.0, 0.0], [3.0, 4.0], [NAN, NAN]]])
    assert body_length(fish) == pytest.approx(7.5)  # median of the diagonals 10 and 5


@pytest.mark.parametrize(
    "pose",
    [
        np.full((4, 5, 2), NAN),
        np.array([[[3.0, 4.0], [NAN, NAN]], [[9.0, 1.0], [NAN, 2.0]]]),  # one keypoint a frame
        np.array([[[3.0, 4.0], [3.0, 4.0]]]),  # two keypoints on one spot
    ],
)
def test_fewer_than_two_distinct_keypoints_give_the_fallback_body_length(pose):
    assert body_length(pose) == FALLBACK_BODY_LENGTH_PX
    assert zoom_view(pose)[1] == 0.75 * FALLBACK_BODY_LENGTH_PX


@pytest.mark.parametrize(
    ("length", "half"),
    [(80.0, 60.0), (40.0 / 3 + 0.3, 10.225), (12.0, MIN_ZOOM_HALF_PX), (1e-3, MIN_ZOOM_HALF_PX)],
)
def test_zoom_spans_one_and_a_half_body_lengths_but_at_least_the_floor(length, half):
    centres, zoom_half = zoom_view(line_fish([length] * 3))
    assert zoom_half == pytest.approx(half)
    np.testing.assert_allclose(centres, [[-length / 2, 0.0]] * 3)


@pytest.mark.parametrize(
    ("side", "step"),
    [
        (4.0, 1.0),  # a quarter exactly 1: 1
        (3.99, 0.5),  # just under: the next choice down
        (8.0, 2.0),
        (7.99, 1.0),
        (20.0, 5.0),
        (19.99, 2.0),
        (40.0, 10.0),  # the next power of ten
        (75.0, 10.0),  # the fallback zoom: 18.75 px a quarter
        (0.4, 0.1),
        (0.399, 0.05),
    ],
)
def test_scale_step_is_the_largest_1_2_5_length_within_a_quarter(side, step):
    assert scale_step(side) == step


@pytest.mark.parametrize(
    ("pixels", "size"),
    [(320, 320), (320.4, 320), (320.6, 336), (321, 336), (336, 336), (0.6, 16), (671.9999, 672)],
)
def test_round_up_to_the_macro_block(pixels, size):
    assert round_up(pixels, 16) == size


# -- what is drawn -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "clipped"),
    [
        ((-20, 0), (20, 0), ((-10, 0), (10, 0))),  # through, both edges
        ((0, 0), (20, 10), ((0, 0), (10, 5))),  # leaving through the right edge
        ((0, 0), (-20, -10), ((0, 0), (-10, -5))),  # leaving through the left edge
        ((0, 15), (0, -30), ((0, 10), (0, -10))),  # entering at the bottom, leaving the top
        ((-3, 4), (5, -6), ((-3, 4), (5, -6))),  # inside: unchanged
        ((10, 0), (20, 0), ((10, 0), (10, 0))),  # from the edge outwards: a point
        ((5, 15), (15, 5), ((10, 10), (10, 10))),  # touching the corner: a point
        ((5, 16), (16, 5), ((NAN, NAN), (NAN, NAN))),  # missing the corner
        ((-20, 15), (20, 15), ((NAN, NAN), (NAN, NAN))),  # parallel, beyond the edge
        ((15, -20), (20, 20), ((NAN, NAN), (NAN, NAN))),  # beyond the edge, not parallel
    ],
)
def test_clip_cuts_segments_to_the_box(start, end, clipped):
    starts, ends = clip_segments(np.array([start], float), np.array([end], float), 10.0)
    np.testing.assert_allclose(np.stack([starts[0], ends[0]]), clipped)


def test_clip_of_a_segment_with_a_missing_end_draws_nothing():
    # Matplotlib breaks a line at a vertex with any NaN coordinate.
    starts, ends = clip_segments(
        np.array([[0.0, 0.0], [NAN, 1.0]]), np.array([[NAN, 5], [3, 4]]), 10
    )
    assert np.isnan(starts).any(axis=1).all()
    assert np.isnan(ends).any(axis=1).all()


def test_clip_takes_one_box_per_segment_and_inf_cuts_nothing():
    starts = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    ends = np.array([[40.0, 0.0], [40.0, 0.0], [1e9, -1e9]])
    new_starts, new_ends = clip_segments(starts, ends, np.array([10.0, 30.0, np.inf]))
    np.testing.assert_array_equal(new_starts, starts)
    np.testing.assert_array_equal(new_ends, [[10.0, 0.0], [30.0, 0.0], [1e9, -1e9]])


def test_polylines_put_keypoints_every_third_vertex_and_cut_at_the_box():
    poses = np.array([[[0.0, 0.0], [20.0, 0.0], [5.0, 5.0]], [[1.0, 1.0], [NAN, NAN], [2, 2]]])
    lines = skeleton_polylines(poses, np.array([10.0, np.inf]))
    assert lines.shape == (2, 9, 2)
    np.testing.assert_allclose(
        lines[0],
        [
            [0, 0],  # keypoint 0
            [0, 0],  # segment 0-1, cut where it leaves the box
            [10, 0],
            [NAN, NAN],  # keypoint 1, outside
            [10, 0 + 5 * 2 / 3],  # segment 1-2, from where it enters
            [5, 5],
            [5, 5],  # keypoint 2
            [NAN, NAN],  # no segment after the last keypoint: the next pose is not joined
            [NAN, NAN],
        ],
    )
    # A missing keypoint breaks the line on both sides of it; the others stay.
    np.testing.assert_array_equal(np.isnan(lines[1]).all(axis=1), [0, 1, 1, 1, 1, 1, 0, 1, 1])
    np.testing.assert_array_equal(lines[1, [0, 6]], [[1, 1], [2, 2]])


def test_a_keypoint_on_the_edge_of_its_box_is_drawn():
    lines = skeleton_polylines(np.array([[[10.0, -10.0], [0.0, 0.0], [-10.0, 10.01]]]), np.r_[10.0])
    np.testing.assert_array_equal(lines[0, [0, 3]], [[10, -10], [0, 0]])
    assert np.isnan(lines[0, 6]).all()  # 0.01 px beyond


def test_trail_fills_its_newest_slots_and_is_cut_to_the_box():
    heads = np.array([[[0.0, 0.0], [4.0, 0.0], [16.0, 0.0]], [[0.0, 0.0], [0.0, 1.0], [0, 2]]])
    segments = trail_segments(heads, np.array([10.0, np.inf]))
    assert segments.shape == (2, TRAIL_FRAMES, 2, 2)
    assert np.isnan(segments[:, : TRAIL_FRAMES - 2]).all()  # not that many frames yet
    np.testing.assert_array_equal(segments[0, -2:], [[[0, 0], [4, 0]], [[4, 0], [10, 0]]])
    np.testing.assert_array_equal(segments[1, -2:], [[[0, 0], [0, 1]], [[0, 1], [0, 2]]])

    full = trail_segments(np.arange(TRAIL_FRAMES + 1.0)[None, :, None] * [1.0, 0.0], np.r_[99.0])
    np.testing.assert_array_equal(full[0, :, 0, 0], np.arange(TRAIL_FRAMES))  # oldest first


def test_a_head_is_shown_only_inside_its_box_edge_included():
    poses = np.array([[[10.0, -10.0], [0, 0]], [[10.01, 0.0], [0, 0]], [[1e6, 0.0], [0, 0]]])
    heads = visible_heads(poses, np.array([10.0, 10.0, np.inf]))
    np.testing.assert_array_equal(heads, [[10.0, -10.0], [NAN, NAN], [1e6, 0.0]])


def test_affines_map_each_entry_through_its_own_matrix():
    shear = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 4.0], [0.0, 0.0, 1.0]])  # x + 2y + 3, y + 4
    points = np.array([[[1.0, 1.0], [2.0, 0.0]], [[1.0, 1.0], [2.0, 0.0]]])
    out = apply_affines(points, np.stack([shear, np.eye(3)]))
    np.testing.assert_array_equal(out, [[[6, 5], [5, 4]], [[1, 1], [2, 0]]])
