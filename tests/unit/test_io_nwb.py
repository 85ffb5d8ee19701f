"""The NWB (ndx-pose) reader, on files written here with pynwb + ndx-pose and on real files."""

import datetime
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pynwb")
pytest.importorskip("ndx_pose")

import h5py
from ndx_pose import (
    MultiCameraPoseEstimation,
    PoseEstimation,
    PoseEstimationSeries,
    Skeleton,
    Skeletons,
)
from pynwb import NWBHDF5IO, NWBFile, TimeSeries
from pynwb.behavior import Position
from pynwb.file import Subject

from killipose import InputError
from killipose.io import detect, read_poses, read_table
from tests.helpers import DATA, assert_refused

REAL = DATA / "nwb"
DLC2NWB = REAL / "m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.nwb"
NODES = ["snout", "tail", "fin"]  # not alphabetical: pynwb lists series alphabetically


def _nwbfile(subject: Subject | None = None) -> NWBFile:
    nwbfile = NWBFile(
        session_description="killifish swimming",
        identifier="test",
        session_start_time=datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC),
    )
    if subject is not None:
        nwbfile.subject = subject
    return nwbfile


def _xy(frames: int, k: int, j: int = 0) -> np.ndarray:
    """Known positions: x = 100 j + 10 k + frame, y = 1000 + x (x and y never equal)."""
    x = 100.0 * j + 10.0 * k + np.arange(frames)
    return np.column_stack([x, 1000.0 + x])


def _series(name: str, data: np.ndarray, time: dict, confidence=None, **extra):
    return PoseEstimationSeries(
        name=name,
        description=f"Estimated position of the {name}.",
        data=data,
        unit=extra.pop("unit", "pixels"),
        reference_frame="(0,0) is the top left corner of the video.",
        confidence=confidence,
        confidence_definition="Softmax output of the deep neural network.",
        **time,
        **extra,
    )


def _pose_estimation(
    name: str = "PoseEstimation",
    frames: int = 4,
    time: dict | None = None,
    software: str = "DeepLabCut",
    skeleton: Skeleton | None = None,
    j: int = 0,
    nodes=NODES,
) -> PoseEstimation:
    time = time or {"timestamps": 0.04 * np.arange(frames)}
    series = [
        _series(node, _xy(frames, k, j), time, confidence=np.linspace(0.1, 0.9, frames) + j / 100)
        for k, node in enumerate(nodes)
    ]
    return PoseEstimation(
        name=name,
        pose_estimation_series=series,
        description="Estimated positions of a killifish.",
        scorer="DLC_resnet50_killifishMay1shuffle1_1000",
        source_software=software,
        skeleton=skeleton,
    )


def _write(path: Path, *objects, subject: Subject | None = None, module: str = "behavior") -> Path:
    nwbfile = _nwbfile(subject)
    behavior = nwbfile.create_processing_module(name=module, description="processed behavior")
    for obj in objects:
        behavior.add(obj)
    with NWBHDF5IO(path, "w") as io:
        io.write(nwbfile)
    return path


def test_timestamps_values_and_skeleton_order(tmp_path):
    subject = Subject(subject_id="fish7", species="Nothobranchius furzeri")
    skeleton = Skeleton(
        name="fish7_skeleton",
        nodes=NODES,
        edges=np.array([[0, 1], [1, 2]], "uint8"),
        subject=subject,
    )
    times = np.array([10.0, 10.04, 10.1, 10.2])  # seconds, not evenly spaced
    path = _write(
        tmp_path / "fish.nwb",
        Skeletons(skeletons=[skeleton]),
        _pose_estimation(time={"timestamps": times}, skeleton=skeleton),
        subject=subject,
    )
    assert detect(path).name == "nwb"
    poses = read_poses(path)
    assert poses.source == "nwb"
    assert poses.keypoints == NODES
    assert poses.individuals == ["fish7"]
    assert poses.position.shape == (4, 1, 3, 2)
    for k in range(3):
        np.testing.assert_array_equal(poses.position[:, 0, k], _xy(4, k))
    np.testing.assert_allclose(poses.confidence[:, 0, 2], np.linspace(0.1, 0.9, 4))
    np.testing.assert_array_equal(poses.time_s, times)
    assert poses.frame is None
    assert (poses.confidence_kind, poses.min_confidence) == ("likelihood", 0.6)
    assert poses.notes == []
    table = read_table(path)
    assert table["x_fin"].tolist() == [20.0, 21.0, 22.0, 23.0]
    assert table["y_snout"].tolist() == [1000.0, 1001.0, 1002.0, 1003.0]
    assert table["frame_timestamp"].tolist() == times.tolist()


@pytest.mark.parametrize(
    ("subject", "individual"),
    [(None, "animal"), (Subject(subject_id="fish2", species="Danio rerio"), "fish2")],
)
def test_rate_time_and_score_confidence(tmp_path, subject, individual):
    path = _write(
        tmp_path / "rate.nwb",
        _pose_estimation(frames=5, time={"starting_time": 2.0, "rate": 25.0}, software="SLEAP"),
        subject=subject,
    )
    poses = read_poses(path)
    np.testing.assert_allclose(poses.time_s, 2.0 + np.arange(5) / 25.0)
    assert poses.individuals == [individual]
    assert sorted(poses.keypoints) == sorted(NODES)
    k = poses.keypoints.index("tail")
    np.testing.assert_array_equal(poses.position[:, 0, k], _xy(5, 1))
    assert (poses.confidence_kind, poses.min_confidence) == ("score", None)


def test_two_pose_estimations_are_two_individuals(tmp_path):
    path = _write(
        tmp_path / "two.nwb",
        _pose_estimation(name="fish_a", j=0, software="Lightning Pose"),
        _pose_estimation(name="fish_b", j=1, software="Lightning Pose"),
    )
    poses = read_poses(path)
    assert poses.individuals == ["fish_a", "fish_b"]
    k = poses.keypoints.index("snout")
    np.testing.assert_array_equal(poses.position[:, 1, k], _xy(4, 0, j=1))
    np.testing.assert_allclose(poses.confidence[:, 1, k], np.linspace(0.1, 0.9, 4) + 0.01)
    assert poses.confidence_kind == "likelihood"
    with pytest.raises(InputError, match=r"2 individuals, choose one .*fish_a \(100%\)"):
        read_table(path)
    assert read_table(path, individual="fish_b")["x_snout"].tolist() == [100.0, 101.0, 102.0, 103.0]


def test_series_of_different_lengths_are_aligned_by_time(tmp_path):
    full = {"timestamps": np.array([0.0, 0.5, 1.0])}
    pe = PoseEstimation(
        name="PoseEstimation",
        pose_estimation_series=[
            _series("snout", _xy(3, 0), full),
            _series("tail", _xy(2, 1), {"timestamps": np.array([0.5, 1.0])}),
        ],
        source_software="SLEAP",
    )
    poses = read_poses(_write(tmp_path / "gaps.nwb", pe))
    np.testing.assert_array_equal(poses.time_s, [0.0, 0.5, 1.0])
    tail = poses.keypoints.index("tail")
    assert np.isnan(poses.position[0, 0, tail]).all()
    np.testing.assert_array_equal(poses.position[1:, 0, tail], _xy(2, 1))
    assert poses.confidence is None
    assert any("2 to 3 samples over 3 distinct times" in note for note in poses.notes)


def test_sleap_io_export_tracks_gaps_and_frame_numbers(tmp_path):
    sio = pytest.importorskip("sleap_io")
    skeleton = sio.Skeleton(["head", "tail"], name="fish")
    video = sio.Video(filename="tank.mp4")
    tracks = [sio.Track("male"), sio.Track("female")]
    frames = []
    for f in range(4):
        instances = []
        for t, track in enumerate(tracks):
            points = np.array([[10.0 * f + t, 100.0 + f], [20.0 * f + t, 200.0 + f]])
            if (f, t) == (2, 0):
                points[1] = np.nan  # sleap-io drops this frame from the male's tail series
            instances.append(
                sio.PredictedInstance.from_numpy(
                    np.column_stack([points, [0.9, 0.8]]), skeleton=skeleton, track=track, score=1
                )
            )
        frames.append(sio.LabeledFrame(video=video, frame_idx=f, instances=instances))
    path = tmp_path / "sleap.nwb"
    with warnings.catch_warnings():  # sleap-io writes with ndx-pose arguments now deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        sio.save_nwb(sio.Labels(frames), path)
    poses = read_poses(path)
    assert sorted(poses.individuals) == ["female", "male"]
    assert poses.keypoints == ["head", "tail"]
    np.testing.assert_array_equal(poses.frame, [0, 1, 2, 3])
    assert poses.time_s is None
    male = poses.individuals.index("male")
    np.testing.assert_array_equal(poses.position[:, male, 1, 0], [0.0, 20.0, np.nan, 60.0])
    np.testing.assert_array_equal(poses.position[:, male, 0, 1], [100.0, 101.0, 102.0, 103.0])
    assert (poses.confidence_kind, poses.min_confidence) == ("score", None)
    assert any("timestamps are frame numbers" in note for note in poses.notes)


def test_neuroconv_series_names_are_cleaned(tmp_path):
    pe = _pose_estimation(nodes=["PoseEstimationSeriesnose", "PoseEstimationSeriestail"])
    poses = read_poses(_write(tmp_path / "lp.nwb", pe))
    assert poses.keypoints == ["nose", "tail"]


def test_conversion_and_other_units(tmp_path):
    pe = PoseEstimation(
        name="PoseEstimation",
        pose_estimation_series=[
            _series("snout", _xy(2, 0), {"rate": 10.0}, unit="cm", conversion=0.5)
        ],
        source_software="DeepLabCut",
    )
    poses = read_poses(_write(tmp_path / "cm.nwb", pe))
    np.testing.assert_array_equal(poses.position[:, 0, 0], 0.5 * _xy(2, 0))
    assert "positions are in cm, not pixels" in poses.notes


def test_3d_series_is_an_error(tmp_path):
    pe = PoseEstimation(
        name="PoseEstimation",
        pose_estimation_series=[
            _series("snout", np.zeros((3, 3)), {"rate": 30.0}),
            _series("tail", np.zeros((3, 2)), {"rate": 30.0}),
        ],
        source_software="DeepLabCut",
    )
    path = _write(tmp_path / "z.nwb", pe)
    assert_refused(
        path,
        match=r"z\.nwb: has 3-D keypoints \(PoseEstimationSeries behavior/PoseEstimation/snout "
        r"has \(x, y, z\) data\)",
    )


def test_multi_camera_pose_estimation_is_3d(tmp_path):
    mcpe = MultiCameraPoseEstimation(
        name="MultiCameraPoseEstimation",
        pose_estimation_series=[_series("snout", np.zeros((3, 3)), {"rate": 30.0}, unit="mm")],
        source_software="Anipose",
    )
    assert_refused(
        _write(tmp_path / "mc.nwb", mcpe),
        match=r"3-D keypoints \(MultiCameraPoseEstimation behavior/",
    )


def test_no_pose_estimation_lists_what_is_there(tmp_path):
    nwbfile = _nwbfile()
    behavior = nwbfile.create_processing_module(name="behavior", description="processed")
    position = Position(name="Position")
    position.create_spatial_series(
        name="centre", data=np.zeros((3, 2)), rate=30.0, reference_frame="tank corner"
    )
    behavior.add(position)
    nwbfile.add_acquisition(TimeSeries(name="speed", data=np.zeros(3), unit="m/s", rate=30.0))
    path = tmp_path / "nopose.nwb"
    with NWBHDF5IO(path, "w") as io:
        io.write(nwbfile)
    assert_refused(
        path,
        match=r"^\S+nopose\.nwb: NWB file has no ndx-pose PoseEstimation "
        r"\(found: behavior/Position, acquisition/speed\)$",
    )


def test_pose_estimation_without_series(tmp_path):
    pe = PoseEstimation(name="PoseEstimation", pose_estimation_series=[], source_software="SLEAP")
    assert_refused(
        _write(tmp_path / "empty.nwb", pe),
        match=r"NWB PoseEstimation behavior/PoseEstimation has no PoseEstimationSeries",
    )


def test_confidence_or_timestamps_of_another_length(tmp_path):
    pe = PoseEstimation(
        name="PoseEstimation",
        pose_estimation_series=[
            _series("snout", _xy(3, 0), {"rate": 30.0}, confidence=np.ones(2)),
        ],
        source_software="SLEAP",
    )
    assert_refused(
        _write(tmp_path / "conf.nwb", pe),
        match=r"snout has 3 positions but confidence of shape \(2,\)",
    )
    path = _write(tmp_path / "times.nwb", _pose_estimation(frames=3))
    with h5py.File(path, "r+") as f:  # pynwb refuses to write this, other writers may not
        del f["processing/behavior/PoseEstimation/tail/timestamps"]
        f["processing/behavior/PoseEstimation/tail/timestamps"] = [0.0, 0.1]
    with (
        pytest.warns(UserWarning, match="Length of data does not match length of timestamps"),
        pytest.raises(InputError, match=r"tail has 3 positions but 2 timestamps"),
    ):
        read_poses(path)


def test_repeated_timestamps(tmp_path):
    pe = PoseEstimation(
        name="PoseEstimation",
        pose_estimation_series=[_series("snout", _xy(3, 0), {"timestamps": [0.0, 0.1, 0.1]})],
        source_software="SLEAP",
    )
    assert_refused(_write(tmp_path / "repeat.nwb", pe), match=r"snout has repeated timestamps")


def test_files_that_are_not_nwb(tmp_path):
    hdf5 = tmp_path / "plain.nwb"
    with h5py.File(hdf5, "w") as f:
        f["numbers"] = np.arange(3)
    assert_refused(hdf5, match=r"^\S+plain\.nwb: cannot read as NWB \(\w+")
    text = tmp_path / "notes.nwb"
    text.write_text("not an HDF5 file\n")
    assert_refused(text, match=r"notes\.nwb: not recognised as NWB file with ndx-pose")


def test_dlc2nwb_file():
    """DLC2NWB's example: one DeepLabCut animal, frame numbers written as timestamps."""
    poses = read_poses(DLC2NWB)
    assert poses.individuals == ["ind1"]
    assert poses.keypoints == ["snout", "leftear", "rightear", "tailbase"]
    assert poses.frames == 2330
    np.testing.assert_array_equal(poses.frame, np.arange(2330))
    assert poses.time_s is None
    assert (poses.confidence_kind, poses.min_confidence) == ("likelihood", 0.6)
    # The values DeepLabCut's own H5 beside it in DLC2NWB has for frame 100.
    np.testing.assert_array_equal(
        poses.position[100, 0, 0], [405.46063232421875, 65.44876098632812]
    )
    assert poses.confidence[100, 0, 0] == 0.9848349094390869
    with h5py.File(DLC2NWB) as f:
        group = f["processing/behavior/PoseEstimation"]
        for k, name in enumerate(poses.keypoints):
            np.testing.assert_array_equal(poses.position[:, 0, k], group[f"ind1_{name}/data"][:])
            np.testing.assert_array_equal(
                poses.confidence[:, 0, k], group[f"ind1_{name}/confidence"][:]
            )


def test_ndx_pose_0_3_file_values():
    """ndx-pose's own back-compat file: the values its generator script draws from seed 0."""
    rng = np.random.default_rng(0)
    left, left_conf = rng.random((10, 2)), rng.random(10)
    right, right_conf = rng.random((10, 2)), rng.random(10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the cached 0.3.0 schema's warning is kept quiet
        poses = read_poses(REAL / "0.3.0_poseestimation_one_camera.nwb")
    assert poses.keypoints == ["front_left_paw", "front_right_paw"]
    assert poses.individuals == ["animal"]
    np.testing.assert_array_equal(poses.position[:, 0, 0], left)
    np.testing.assert_array_equal(poses.position[:, 0, 1], right)
    np.testing.assert_array_equal(poses.confidence[:, 0], np.column_stack([left_conf, right_conf]))
    np.testing.assert_array_equal(poses.time_s, np.linspace(0, 10, num=10))


def test_ndx_pose_0_1_file_with_a_3d_series():
    assert_refused(
        REAL / "0.1.1_poseestimation_nodes_edges.nwb",
        match=r"has 3-D keypoints \(PoseEstimationSeries behavior/PoseEstimation/front_left_paw",
    )


def test_ndx_pose_0_3_two_cameras_file_that_ndx_pose_0_4_refuses():
    with pytest.raises(
        InputError, match=r"cannot read as NWB \(ValueError: .*links 2 Device"
    ) as err:
        read_poses(REAL / "0.3.0_poseestimation_two_cameras.nwb")
    assert "\n" not in str(err.value)
