"""SLEAP's .slp, analysis HDF5 and analysis CSV: files written here with sleap-io and h5py
in SLEAP's conventions, and real files from talmolab/sleap (tests/data/sleap)."""

import json

import numpy as np
import pytest

pytest.importorskip("sleap_io")
h5py = pytest.importorskip("h5py")
import sleap_io as sio  # noqa: E402

from killipose import InputError  # noqa: E402
from killipose.io import FORMATS, detect, read_poses, read_table  # noqa: E402
from killipose.io.registry import read_head  # noqa: E402
from tests.helpers import DATA, assert_refused  # noqa: E402

SLEAP = DATA / "sleap"
NAN = np.nan


def _predicted(xy, scores, track=None, skeleton=None):
    return sio.PredictedInstance.from_numpy(
        np.array(xy, dtype=float),
        skeleton=skeleton,
        point_scores=np.array(scores, dtype=float),
        score=2.0,
        track=track,
    )


def _user(xy, track=None, skeleton=None):
    return sio.Instance.from_numpy(np.array(xy, dtype=float), skeleton=skeleton, track=track)


@pytest.fixture
def tracked_labels():
    """Two tracks, frames 3, 4 and 6 (none at 5); at frame 4 a user corrected ``left``.

    ``left`` has nose at (f, 1), tail at (2, 3); ``right`` nose at (100 + f, 10), its tail
    undetected. Point scores 0.5 and 1.2 (SLEAP's scores exceed 1), 0.7 for ``right``.
    """
    skeleton = sio.Skeleton(["nose", "tail"])
    video = sio.Video(filename="fish.mp4", open_backend=False)
    left, right = sio.Track("left"), sio.Track("right")
    frames = []
    for f in (3, 4, 6):
        instances = [
            _predicted([[f, 1], [2, 3]], [0.5, 1.2], left, skeleton),
            _predicted([[100 + f, 10], [NAN, NAN]], [0.7, NAN], right, skeleton),
        ]
        if f == 4:
            instances.append(_user([[50, 51], [60, 61]], left, skeleton))
        frames.append(sio.LabeledFrame(video=video, frame_idx=f, instances=instances))
    return sio.Labels(frames)


def _labels(instances_per_frame, videos=None):
    """Labels of untracked instances: ``{frame: [instance, ...]}`` on one skeleton."""
    skeleton = sio.Skeleton(["nose", "tail"])
    video = sio.Video(filename="fish.mp4", open_backend=False)
    return sio.Labels(
        [
            sio.LabeledFrame(
                video=video, frame_idx=f, instances=[make(skeleton) for make in instances]
            )
            for f, instances in instances_per_frame.items()
        ]
    )


# --- .slp -------------------------------------------------------------------------------


def test_slp_tracks_frames_and_scores_land_in_place(tmp_path, tracked_labels):
    path = tmp_path / "fish.slp"
    sio.save_slp(tracked_labels, path)
    poses = read_poses(path)
    assert detect(path).name == "sleap"
    assert poses.individuals == ["left", "right"]
    assert poses.keypoints == ["nose", "tail"]
    np.testing.assert_array_equal(poses.frame, [3, 4, 5, 6])  # frame 5: nothing found
    assert np.isnan(poses.position[2]).all()
    np.testing.assert_array_equal(poses.position[0, 0], [[3, 1], [2, 3]])
    np.testing.assert_array_equal(poses.position[3, 1, 0], [106, 10])
    assert np.isnan(poses.position[:, 1, 1]).all()  # right's tail never detected
    # frame 4: the user's correction, not the prediction, with no score
    np.testing.assert_array_equal(poses.position[1, 0], [[50, 51], [60, 61]])
    assert np.isnan(poses.confidence[1, 0]).all()
    np.testing.assert_allclose(poses.confidence[0, 0], [0.5, 1.2], rtol=1e-6)
    np.testing.assert_allclose(poses.confidence[3, 1, 0], 0.7, rtol=1e-6)
    assert (poses.confidence_kind, poses.min_confidence, poses.time_s) == ("score", None, None)
    assert poses.notes == [
        "1 predicted instances were replaced by the user-labelled instance of the same "
        "track and frame"
    ]


def test_slp_one_individual_as_the_wide_table(tmp_path, tracked_labels):
    path = tmp_path / "fish.slp"
    sio.save_slp(tracked_labels, path)
    table = read_table(path, individual="right")
    assert list(table.columns) == [
        "frame_count",
        "x_nose",
        "y_nose",
        "x_tail",
        "y_tail",
        "confidence_nose",
        "confidence_tail",
    ]
    np.testing.assert_array_equal(table["x_nose"], [103, 104, NAN, 106])
    assert table.attrs["confidence"] == {"kind": "score", "default_min": None}
    with pytest.raises(InputError, match=r"2 individuals, choose one .*left \(75%\)"):
        read_table(path)


def test_slp_untracked_single_animal_is_animal(tmp_path):
    path = tmp_path / "one.slp"
    labels = _labels(
        {
            0: [lambda s: _predicted([[1, 2], [3, 4]], [0.9, 0.8], skeleton=s)],
            2: [
                lambda s: _predicted([[5, 6], [7, 8]], [0.9, 0.8], skeleton=s),
                lambda s: _user([[9, 9], [9, 9]], skeleton=s),  # preferred, as SLEAP does
            ],
        }
    )
    sio.save_slp(labels, path)
    poses = read_poses(path)
    assert poses.individuals == ["animal"]
    np.testing.assert_array_equal(poses.frame, [0, 1, 2])
    np.testing.assert_array_equal(poses.position[:, 0, 0, 0], [1, NAN, 9])
    np.testing.assert_allclose(poses.confidence[0, 0], [0.9, 0.8], rtol=1e-6)


def test_slp_untracked_several_animals_is_an_error(tmp_path):
    path = tmp_path / "two.slp"
    two = [lambda s: _predicted([[1, 2], [3, 4]], [1, 1], skeleton=s)] * 2
    sio.save_slp(_labels({7: two}), path)
    assert_refused(
        path, match=r"two\.slp: frame 7 has several instances and the file has no tracks"
    )


def test_slp_untracked_instances_of_a_tracked_file_are_left_out(tmp_path, tracked_labels):
    skeleton = tracked_labels.skeletons[0]
    tracked_labels[0].instances.append(_predicted([[0, 0], [0, 0]], [1, 1], None, skeleton))
    path = tmp_path / "fish.slp"
    sio.save_slp(tracked_labels, path)
    poses = read_poses(path)
    assert poses.individuals == ["left", "right"]
    assert "1 instances without a track were left out (the file has tracks)" in poses.notes


def test_slp_user_labels_only_have_no_confidence(tmp_path):
    path = tmp_path / "user.slp"
    sio.save_slp(_labels({0: [lambda s: _user([[1, 2], [3, 4]], skeleton=s)]}), path)
    poses = read_poses(path)
    assert poses.confidence is None
    np.testing.assert_array_equal(poses.position[0, 0], [[1, 2], [3, 4]])


def test_slp_of_several_videos_is_an_error_naming_them(tmp_path):
    skeleton = sio.Skeleton(["nose", "tail"])
    frames = [
        sio.LabeledFrame(
            video=sio.Video(filename=f"/data/{name}.mp4", open_backend=False),
            frame_idx=0,
            instances=[_user([[1, 2], [3, 4]], skeleton=skeleton)],
        )
        for name in ("day1", "day2")
    ]
    path = tmp_path / "two_videos.slp"
    sio.save_slp(sio.Labels(frames), path)
    assert_refused(
        path, match=r"two_videos\.slp: has labelled frames of 2 videos \(day1\.mp4, day2\.mp4"
    )


def test_slp_with_3d_points_is_refused(tmp_path):
    from sleap_io.model.camera import (
        Camera,
        CameraGroup,
        FrameGroup,
        InstanceGroup,
        RecordingSession,
    )

    skeleton = sio.Skeleton(["nose", "tail"])
    video = sio.Video(filename="cam0.mp4", open_backend=False)
    camera = Camera(name="cam0", rvec=np.zeros(3), tvec=np.zeros(3))
    instance = _user([[1, 2], [3, 4]], skeleton=skeleton)
    frame = sio.LabeledFrame(video=video, frame_idx=0, instances=[instance])
    session = RecordingSession(camera_group=CameraGroup(cameras=[camera]))
    session.add_video(video, camera)
    group = InstanceGroup(instance_by_camera={camera: instance})
    group.points = np.array([[1.0, 2, 3], [4, 5, 6]])
    session.frame_groups[0] = FrameGroup(
        frame_idx=0, instance_groups=[group], labeled_frame_by_camera={camera: frame}
    )
    path = tmp_path / "3d.slp"
    sio.save_slp(sio.Labels([frame], sessions=[session]), path)
    assert_refused(path, match=r"3d\.slp: has 3-D keypoints \(3-D points of a multi")


def test_bad_slp_files(tmp_path):
    text = tmp_path / "text.slp"
    text.write_text("not a labels file\n")
    assert_refused(text, match=r"text\.slp: not recognised as SLEAP \.slp")
    assert_refused(text, format="sleap", match=r"text\.slp: cannot read as a SLEAP \.slp file \(")
    other = tmp_path / "other.slp"
    with h5py.File(other, "w") as f:
        f["x"] = [1, 2]
    assert_refused(other, match=r"other\.slp: cannot read as a SLEAP \.slp file \(")


# --- analysis HDF5 ----------------------------------------------------------------------


@pytest.fixture
def analysis_labels():
    """2 tracks, 3 nodes, 5 frames (every size distinct), track b missing at frame 1.

    Node k of track j at frame f is at x = 100 j + 10 k + f, y = 1000 + x; score 1 + x/1000.
    """
    skeleton = sio.Skeleton(["head", "mid", "tail"])
    video = sio.Video(filename="fish.mp4", open_backend=False)
    tracks = [sio.Track("a"), sio.Track("b")]
    frames = []
    for f in range(5):
        instances = []
        for j, track in enumerate(tracks):
            if (j, f) == (1, 1):
                continue
            x = 100 * j + 10 * np.arange(3) + f
            instances.append(_predicted(np.c_[x, 1000 + x], 1 + x / 1000, track, skeleton))
        frames.append(sio.LabeledFrame(video=video, frame_idx=f, instances=instances))
    return sio.Labels(frames)


def _check_analysis(poses):
    assert poses.individuals == ["a", "b"]
    assert poses.keypoints == ["head", "mid", "tail"]
    np.testing.assert_array_equal(poses.frame, np.arange(5))
    x = 100 * np.arange(2)[None, :, None] + 10 * np.arange(3)[None, None, :]
    x = x + np.arange(5)[:, None, None]
    x[1, 1] = -1
    expected = np.where(x[..., None] < 0, NAN, np.stack([x, 1000 + x], -1))
    np.testing.assert_array_equal(poses.position, expected)
    np.testing.assert_allclose(poses.confidence, np.where(x < 0, NAN, 1 + x / 1000), rtol=1e-6)
    assert (poses.confidence_kind, poses.min_confidence, poses.time_s) == ("score", None, None)


def _strip_dims(path):
    """The file as SLEAP itself writes it: no ``dims`` or file attributes."""
    with h5py.File(path, "r+") as f:
        for name in f:
            f[name].attrs.pop("dims", None)
        for name in list(f.attrs):
            del f.attrs[name]


def _rewrite(path, order):
    """Rewrite ``tracks`` and ``point_scores`` of a SLEAP-order file in another order."""
    with h5py.File(path, "r+") as f:
        tracks = f["tracks"][()]  # (track, xy, node, frame)
        scores = f["point_scores"][()]  # (track, node, frame)
        del f["tracks"], f["point_scores"]
        if order == "untransposed":  # SLEAP's arrays before its MATLAB transpose
            f["tracks"] = tracks.transpose(3, 2, 1, 0)  # (frame, node, xy, track)
            f["point_scores"] = scores.transpose(2, 1, 0)  # (frame, node, track)


@pytest.mark.parametrize("variant", ["matlab", "standard", "standard_no_dims"])
def test_analysis_h5_written_by_sleap_io_in_each_order(tmp_path, analysis_labels, variant):
    path = tmp_path / "fish.analysis.h5"
    sio.save_analysis_h5(analysis_labels, path, preset=variant.removesuffix("_no_dims"))
    if variant.endswith("no_dims"):
        _strip_dims(path)
    assert detect(path).name == "sleap-analysis"
    _check_analysis(read_poses(path))


def test_analysis_h5_untransposed_is_not_misread(tmp_path, analysis_labels):
    """(frames, nodes, 2, tracks): its last two axes are not (nodes, xy)."""
    path = tmp_path / "fish.analysis.h5"
    sio.save_analysis_h5(analysis_labels, path, preset="matlab")
    _strip_dims(path)
    _rewrite(path, "untransposed")
    with h5py.File(path) as f:
        assert f["tracks"].shape == (5, 3, 2, 2)
    poses = read_poses(path)
    _check_analysis(poses)
    assert poses.notes == []


def _ambiguous_file(path, transpose=None):
    """2 nodes, 3 tracks, 3 frames: (tracks, 2, nodes, frames) and (frames, nodes, 2,
    tracks) have the same shape. Written untransposed: x = 10 track + node, y = frame."""
    frame, node, track = np.meshgrid(np.arange(3), np.arange(2), np.arange(3), indexing="ij")
    tracks = np.stack([10.0 * track + node, 1.0 * frame], axis=2)  # (frame, node, xy, track)
    with h5py.File(path, "w") as f:
        f["tracks"] = tracks
        f["node_names"] = [b"head", b"tail"]
        f["track_names"] = [b"t0", b"t1", b"t2"]
        if transpose is not None:
            f.attrs["transpose"] = transpose


def test_analysis_h5_ambiguous_shape_follows_the_transpose_attribute(tmp_path):
    path = tmp_path / "ambiguous.h5"
    _ambiguous_file(path, transpose=False)
    poses = read_poses(path)
    np.testing.assert_array_equal(poses.position[2, 1, 1], [11, 2])  # frame 2, t1, tail
    assert poses.confidence is None
    assert "from the file's attributes" in poses.notes[0]


def test_analysis_h5_ambiguous_shape_defaults_to_sleaps_order_with_a_note(tmp_path):
    path = tmp_path / "ambiguous.h5"
    _ambiguous_file(path)
    poses = read_poses(path)
    assert poses.notes[0].startswith("'tracks' (3, 2, 2, 3) fits several axis orders")
    assert "from SLEAP's default" in poses.notes[0]


def test_analysis_h5_unnamed_single_track_is_animal(tmp_path):
    path = tmp_path / "one.h5"
    with h5py.File(path, "w") as f:
        f["tracks"] = np.arange(2 * 3 * 4, dtype=float).reshape(1, 2, 3, 4)
        f["node_names"] = [b"head", b"mid", b"tail"]
        f["track_names"] = np.zeros(0)  # as SLEAP writes it for an untracked file
    poses = read_poses(path)
    assert poses.individuals == ["animal"]
    np.testing.assert_array_equal(poses.position[3, 0, 1], [7, 19])  # x: 0 + 4 + 3, y: 12 + 7
    assert poses.notes == []


def test_analysis_h5_3d_is_refused(tmp_path):
    path = tmp_path / "3d.h5"
    with h5py.File(path, "w") as f:
        f["tracks"] = np.zeros((2, 3, 4, 10))
        f["node_names"] = [b"a", b"b", b"c", b"d"]
        f["track_names"] = [b"t0", b"t1"]
    assert_refused(path, match=r"3d\.h5: has 3-D keypoints \('tracks' has an axis")


def test_bad_analysis_files(tmp_path):
    no_tracks = tmp_path / "no_tracks.h5"
    with h5py.File(no_tracks, "w") as f:
        f["node_names"] = [b"a"]
    assert_refused(no_tracks, match=r"no_tracks\.h5: not recognised as .*SLEAP analysis")
    assert_refused(
        no_tracks,
        format="sleap-analysis",
        match=r"no_tracks\.h5: has no 'tracks' dataset, not a SLEAP",
    )
    wrong = tmp_path / "wrong.h5"
    with h5py.File(wrong, "w") as f:
        f["tracks"] = np.zeros((2, 2, 5, 10))
        f["node_names"] = [b"a", b"b", b"c"]
    assert_refused(
        wrong,
        match=r"wrong\.h5: 'tracks' has shape \(2, 2, 5, 10\), which fits no SLEAP analysis "
        r"layout for 3 node_names",
    )
    scores = tmp_path / "scores.h5"
    with h5py.File(scores, "w") as f:
        f["tracks"] = np.zeros((2, 2, 3, 10))
        f["point_scores"] = np.zeros((2, 3, 9))
        f["node_names"] = [b"a", b"b", b"c"]
    assert_refused(
        scores, match=r"scores\.h5: 'point_scores' has shape \(2, 3, 9\), expected \(2, 3, 10"
    )
    text = tmp_path / "text.h5"
    text.write_text("hello")
    assert_refused(
        text, format="sleap-analysis", match=r"text\.h5: cannot read as a SLEAP analysis HDF5 file"
    )


# --- analysis CSV -----------------------------------------------------------------------


def test_csv_written_by_sleap_io(tmp_path, tracked_labels):
    path = tmp_path / "fish.csv"
    sio.save_csv(tracked_labels, path)  # nodes in alphabetical order, user and predicted rows
    assert FORMATS["sleap-csv"].sniff(path, read_head(path))
    poses = read_poses(path, format="sleap-csv")
    assert poses.individuals == ["left", "right"]
    assert poses.keypoints == ["nose", "tail"]
    np.testing.assert_array_equal(poses.frame, [3, 4, 5, 6])
    np.testing.assert_array_equal(poses.position[1, 0], [[50, 51], [60, 61]])  # the user's
    assert np.isnan(poses.confidence[1, 0]).all()
    np.testing.assert_allclose(poses.confidence[0, 0], [0.5, 1.2])
    np.testing.assert_array_equal(poses.position[3, 1, 0], [106, 10])
    assert np.isnan(poses.position[:, 1, 1]).all() and np.isnan(poses.position[2]).all()
    assert poses.confidence_kind == "score" and poses.min_confidence is None
    assert poses.notes[0].startswith("1 predicted instances were replaced")


def test_csv_is_detected_before_the_wide_table(tmp_path, tracked_labels):
    path = tmp_path / "fish.csv"
    sio.save_csv(tracked_labels, path)
    assert detect(path).name == "sleap-csv"


SLEAP_HEADER = "track,frame_idx,instance.score,snout.x,snout.y,snout.score,fin.x,fin.y,fin.score"


def test_csv_in_sleaps_own_layout_keeps_node_order(tmp_path):
    """SLEAP's export: nodes in skeleton order, an empty track when untracked."""
    path = tmp_path / "export.csv"
    path.write_text(f"{SLEAP_HEADER}\n,10,0.9,1.5,2.5,0.8,3,4,1.1\n,12,0.9,5,6,0.7,,,\n")
    poses = read_poses(path, format="sleap-csv")
    assert poses.keypoints == ["snout", "fin"] and poses.individuals == ["animal"]
    np.testing.assert_array_equal(poses.frame, [10, 11, 12])
    np.testing.assert_array_equal(poses.position[0, 0], [[1.5, 2.5], [3, 4]])
    assert np.isnan(poses.position[2, 0, 1]).all()
    np.testing.assert_allclose(poses.confidence[:, 0, 0], [0.8, NAN, 0.7])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("track,frame_idx,a.x,a.y,a.z\nt,0,1,2,3\n", r"has 3-D keypoints \(1 <node>\.z columns"),
        ("track,frame_idx,a.x,b.y\nt,0,1,2\n", r"looks like a SLEAP CSV but has no 'a\.y' column"),
        ("track,frame_idx,a.x,a.y\nt,0,1,oops\n", r"column 'a\.y' has non-numeric value 'oops'"),
        ("track,frame_idx,a.x,a.y\nt,0.5,1,2\n", r"'frame_idx' has a missing or fractional"),
        ("track,frame_idx,a.x,a.y\n", r"a SLEAP CSV with a header and no instances"),
        (",frame_idx,a.x,a.y\n,3,1,2\n,3,5,6\n", r"frame 3 has several instances"),
    ],
)
def test_bad_sleap_csv(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    assert_refused(path, format="sleap-csv", match=rf"bad\.csv: .*{message}")


def test_csv_sniffer_leaves_other_tables_alone(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("frame_count,x_a,y_a\n0,1,2\n")
    assert not FORMATS["sleap-csv"].sniff(path, read_head(path))


# --- real files from talmolab/sleap -----------------------------------------------------


def test_real_slp_with_27_tracks_for_2_flies_reports_fragments():
    poses = read_poses(SLEAP / "centered_pair_predictions.slp")
    assert poses.position.shape == (1100, 27, 24, 2)
    assert poses.keypoints[:3] == ["head", "neck", "thorax"]
    assert poses.individuals[:3] == ["1", "2", "3"]
    np.testing.assert_array_equal(poses.frame[[0, -1]], [0, 1099])
    # frame 0, track "1", head: read with sleap-io
    np.testing.assert_array_equal(poses.position[0, 0, 0], [201, 186])
    np.testing.assert_allclose(poses.confidence[0, 0, 0], 0.8258838, rtol=1e-6)
    assert 1 < np.nanmax(poses.confidence) < 1.5  # peaks of confidence maps
    fractions = poses.tracked_fraction()
    assert fractions["1"] == fractions["2"] == 1.0
    assert poses.notes == [
        "27 tracks but at most 5 tracked in any frame: the tracks look fragmented (one "
        "animal split across several tracks)",
        "25 of 27 tracks are each tracked in under 5% of frames (3, 4, 5, 6, 7 and 20 "
        "more): fragments or false detections",
    ]


def test_real_untracked_slp_prefers_the_users_labels():
    poses = read_poses(SLEAP / "dance.mp4.labels.slp")
    assert poses.individuals == ["animal"]
    assert poses.position.shape == (450, 1, 17, 2)
    assert poses.keypoints[:3] == ["nose", "left_eye", "right_eye"]
    # frames 0-2 were labelled by a user over the predictions
    np.testing.assert_allclose(poses.position[0, 0, 0], [193.83285522, 230.05151367])
    assert np.isnan(poses.confidence[:3]).all() and np.isfinite(poses.confidence[3]).any()
    assert poses.notes == [
        "3 predicted instances were replaced by the user-labelled instance of the same "
        "track and frame"
    ]


def test_real_untracked_slp_with_two_animals_is_refused():
    assert_refused(
        SLEAP / "minimal_instance.slp",
        match=r"minimal_instance\.slp: frame 0 has several instances",
    )


def test_real_analysis_h5_in_sleaps_order_and_transposed(tmp_path):
    path = SLEAP / "predictions.analysis.h5"
    poses = read_poses(path)
    assert detect(path).name == "sleap-analysis"
    assert poses.position.shape == (3000, 2, 13, 2)
    assert poses.individuals == ["track_0", "track_1"]
    assert poses.keypoints[:2] == ["head", "thorax"]
    assert poses.confidence is None  # this export has no point_scores
    # frame 0, head of each track, as SLEAP's predictions.slp (same notebook) has them
    np.testing.assert_allclose(
        poses.position[0, :, 0], [[756.8067627, 240.48591614], [589.0065918, 884.5513916]]
    )
    assert np.isnan(poses.position).mean() == pytest.approx(0.019564, abs=1e-6)
    standard = tmp_path / "standard.h5"
    with h5py.File(path) as f, h5py.File(standard, "w") as g:
        g["tracks"] = f["tracks"][()].transpose(3, 2, 1, 0)  # (frames, nodes, 2, tracks)
        for name in ("node_names", "track_names"):
            g[name] = f[name][()]
    again = read_poses(standard)
    np.testing.assert_array_equal(again.position, poses.position)
    assert again.notes == []


def test_real_analysis_h5_without_tracks_and_with_user_frames():
    """3 frames, 3 nodes (shape (1, 2, 3, 3)), frames 0 and 2 labelled by a user."""
    poses = read_poses(SLEAP / "small_robot.000_small_robot_3_frame.analysis.h5")
    assert poses.individuals == ["animal"]
    assert poses.keypoints == ["top", "front", "rear"]
    top = [[322.87600977, 60.30785504], [320.97375488, 59.24647141], [322.87600977, 60.30785504]]
    np.testing.assert_allclose(poses.position[:, 0, 0], top)
    np.testing.assert_allclose(poses.confidence[1, 0], [0.74868906, 1.01263773, 1.03897202])
    assert np.isnan(poses.confidence[[0, 2]]).all()


def test_real_sleap_csv():
    path = SLEAP / "minimal_instance.000_centered_pair_low_quality.analysis.csv"
    assert FORMATS["sleap-csv"].sniff(path, read_head(path))
    poses = read_poses(path, format="sleap-csv")
    assert poses.individuals == ["animal"] and poses.keypoints == ["A", "B"]
    np.testing.assert_array_equal(poses.frame, [0])
    np.testing.assert_allclose(
        poses.position[0, 0],
        [[205.9300539013689, 187.88964024221963], [278.63521449272383, 203.3658657346604]],
    )
    assert poses.confidence is None  # a user's labels: no scores


def test_dims_attribute_decides_over_shapes(tmp_path, analysis_labels):
    path = tmp_path / "custom.h5"
    sio.save_analysis_h5(analysis_labels, path, frame_dim=2, track_dim=0, node_dim=3, xy_dim=1)
    with h5py.File(path) as f:
        assert json.loads(f["tracks"].attrs["dims"]) == ["track", "xy", "frame", "node"]
    _check_analysis(read_poses(path))
