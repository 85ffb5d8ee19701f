"""Egocentric posture: known answers, the exact inverse, missing points, bad names."""

import numpy as np
import pytest

from killipose import InputError
from killipose.posture import body_axis, egocentric, to_arena

KEYPOINTS = ["head", "body", "tail"]
#: A straight 20 px body along +x, head first, centred on the body point.
STRAIGHT = np.array([[10.0, 0.0], [0.0, 0.0], [-10.0, 0.0]])


def rotate(points: np.ndarray, angle: float) -> np.ndarray:
    """``points`` (..., 2) turned by ``angle`` from +x towards +y."""
    c, s = np.cos(angle), np.sin(angle)
    return points @ np.array([[c, s], [-s, c]])


@pytest.mark.parametrize("angle", [0.0, 0.3, np.pi / 2, -2.0, np.pi - 1e-9, 3 * np.pi / 4])
def test_a_turned_and_moved_straight_body_comes_back_along_x(angle):
    shift = np.array([120.0, -35.5])
    xy = (rotate(STRAIGHT, angle) + shift)[None]

    posture, position, heading = egocentric(xy, KEYPOINTS)

    np.testing.assert_allclose(posture[0], STRAIGHT, atol=1e-12)
    np.testing.assert_allclose(position[0], shift, atol=1e-12)
    assert heading[0] == pytest.approx(angle, abs=1e-12)


def test_heading_is_from_plus_x_towards_plus_y():
    """Image convention: a body whose head points down the image (+y) has heading +pi/2."""
    down = np.array([[[0.0, 10.0], [0.0, 0.0], [0.0, -10.0]]])
    posture, _, heading = egocentric(down, KEYPOINTS)
    assert heading[0] == pytest.approx(np.pi / 2)
    np.testing.assert_allclose(posture[0], STRAIGHT, atol=1e-12)


def test_origin_keypoint_and_axis_pair():
    bent = np.array([[[5.0, 5.0], [0.0, 0.0], [-10.0, 0.0]]]) + 50.0
    posture, position, heading = egocentric(bent, KEYPOINTS, origin="tail", axis=("tail", "body"))
    np.testing.assert_array_equal(position[0], [40.0, 50.0])
    assert heading[0] == pytest.approx(0.0)
    np.testing.assert_allclose(posture[0], [[15.0, 5.0], [10.0, 0.0], [0.0, 0.0]], atol=1e-12)
    # The default axis runs from the origin to the first keypoint (the head).
    _, _, heading = egocentric(bent, KEYPOINTS, origin="tail")
    assert heading[0] == pytest.approx(np.arctan2(5.0, 15.0))


def test_origin_at_the_first_keypoint_takes_the_axis_from_the_centroid():
    assert body_axis(KEYPOINTS, origin="head") == ("centroid", "head")
    assert body_axis(KEYPOINTS) == ("centroid", "head")
    assert body_axis(KEYPOINTS, origin="body") == ("body", "head")
    xy = (rotate(STRAIGHT, 1.0) + 7.0)[None]
    posture, _, heading = egocentric(xy, KEYPOINTS, origin="head")
    assert heading[0] == pytest.approx(1.0)
    np.testing.assert_allclose(posture[0], STRAIGHT - [10.0, 0.0], atol=1e-12)


def test_round_trip_on_random_poses_is_exact():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 500, (1000, 5, 2))
    names = ["a", "b", "c", "d", "e"]
    for origin, axis in (
        ("centroid", None),
        ("c", None),
        ("e", ("b", "d")),
        ("a", ("centroid", "a")),
    ):
        posture, position, heading = egocentric(xy, names, origin, axis)
        np.testing.assert_allclose(to_arena(posture, position, heading), xy, rtol=0, atol=1e-9)
        # In place, on the input itself: the same numbers.
        again = xy.copy()
        out, *_ = egocentric(again, names, origin, axis, out=again)
        assert out is again
        np.testing.assert_array_equal(again, posture)


def test_the_axis_end_lies_exactly_on_x():
    """Not 1e-15 px of rounding, which z-scoring would turn into a column of noise."""
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 500, (200, 3, 2))
    posture, *_ = egocentric(xy, KEYPOINTS)
    assert (posture[:, 0, 1] == 0).all()  # default axis: centroid -> head
    posture, *_ = egocentric(xy, KEYPOINTS, origin="body", axis=("body", "tail"))
    assert (posture[:, 1] == 0).all() and (posture[:, 2, 1] == 0).all()


def test_missing_reference_points_make_the_frame_missing():
    rng = np.random.default_rng(2)
    xy = rng.uniform(0, 100, (4, 3, 2))
    xy[1, 2, 0] = np.nan  # the tail: a reference point of the centroid, not of head/body
    posture, position, heading = egocentric(xy, KEYPOINTS)
    assert np.isnan(posture[1]).all() and np.isnan(position[1]).all() and np.isnan(heading[1])
    assert np.isfinite(posture[[0, 2, 3]]).all()

    posture, position, heading = egocentric(xy, KEYPOINTS, origin="body", axis=("body", "head"))
    assert np.isnan(posture[1, 2]).all()  # only the missing keypoint itself
    assert np.isfinite(posture[1, :2]).all() and np.isfinite(heading[1])
    xy[3, 0, 1] = np.nan  # the head: the axis' end
    posture, position, heading = egocentric(xy, KEYPOINTS, origin="body", axis=("body", "head"))
    assert np.isnan(posture[3]).all() and np.isnan(heading[3])

    # A zero-length axis has no direction.
    xy[2, 0] = xy[2, 1]
    posture, _, heading = egocentric(xy, KEYPOINTS, origin="body", axis=("body", "head"))
    assert np.isnan(posture[2]).all() and np.isnan(heading[2])
    assert np.isnan(
        to_arena(posture, *egocentric(xy, KEYPOINTS, "body", ("body", "head"))[1:])[2]
    ).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"origin": "nose"}, "clean.origin: 'nose' is not a keypoint (keypoints: head, body, tail"),
        ({"axis": ("body", "fin")}, "clean.axis: 'fin' is not a keypoint (keypoints: head, body"),
        ({"axis": ("fin", "head")}, "clean.axis: 'fin' is not a keypoint"),
        ({"axis": "head"}, "clean.axis must be two different keypoint names"),
        ({"axis": ("head",)}, "clean.axis must be two different keypoint names"),
        ({"axis": ("head", "head")}, "clean.axis must be two different keypoint names"),
    ],
)
def test_unknown_names_stop_with_one_line_naming_the_key(kwargs, message):
    xy = np.zeros((2, 3, 2))
    for call in (
        lambda: egocentric(xy, KEYPOINTS, **kwargs),
        lambda: body_axis(KEYPOINTS, **kwargs),
    ):
        with pytest.raises(InputError) as error:
            call()
        assert str(error.value).startswith(message)
        assert "\n" not in str(error.value)
        assert "'centroid'" in str(error.value)
