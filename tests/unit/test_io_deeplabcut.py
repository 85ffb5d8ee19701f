"""DeepLabCut and Lightning Pose readers: files written here the way the tools write them,
and real files the tools wrote (tests/data/deeplabcut, tests/data/lightning-pose)."""

import csv
import sys

import h5py
import numpy as np
import pandas as pd
import pytest

from killipose import InputError
from killipose.io import detect, read_poses, read_table
from killipose.io.deeplabcut import sniff_deeplabcut, sniff_lightning_pose
from killipose.io.registry import read_head
from tests.helpers import DATA, assert_refused

DLC_SCORER = "DLC_resnet50_fishJan1shuffle1_1000"


def dlc_table(
    scorer=DLC_SCORER, bodyparts=("snout", "tail"), coords=("x", "y", "likelihood"), frames=4
):
    """A DeepLabCut single-animal table: frame numbers from 10, values that name their cell.

    Each value is ``100 * frame + 10 * bodypart + coord`` (coord 1 x, 2 y), and the
    likelihood ``0.5 + 0.1 * bodypart``, so a value read back says where it came from.
    """
    columns = pd.MultiIndex.from_product(
        [[scorer], bodyparts, coords], names=["scorer", "bodyparts", "coords"]
    )
    values = np.empty((frames, len(columns)))
    for j, (_, k, c) in enumerate(columns):
        b = bodyparts.index(k)
        for i in range(frames):
            values[i, j] = (
                0.5 + 0.1 * b if c == "likelihood" else 100 * i + 10 * b + 1 + "xyz".index(c)
            )
    return pd.DataFrame(values, columns=columns, index=pd.RangeIndex(10, 10 + frames))


def multi_animal_table(frames=3):
    """Two mice (snout, tail) and DeepLabCut's unique bodypart ``nest`` (individual single)."""
    tuples = [
        (DLC_SCORER, who, part, c)
        for who, parts in (("mouse1", ("snout", "tail")), ("mouse2", ("snout", "tail")))
        for part in parts
        for c in ("x", "y", "likelihood")
    ] + [(DLC_SCORER, "single", "nest", c) for c in ("x", "y", "likelihood")]
    columns = pd.MultiIndex.from_tuples(
        tuples, names=["scorer", "individuals", "bodyparts", "coords"]
    )
    values = np.arange(frames * len(columns), dtype=float).reshape(frames, -1)
    values[:, 2::3] = 0.9
    return pd.DataFrame(values, columns=columns)


def write_dlc(table, path):
    """Save as DeepLabCut does: CSV by ``to_csv``, H5 under ``df_with_missing`` as a table."""
    if path.suffix == ".h5":
        table.to_hdf(path, key="df_with_missing", format="table", mode="w")
    else:
        table.to_csv(path)
    return path


# -- DeepLabCut files written here -------------------------------------------------------


@pytest.mark.parametrize("name", ["pred.csv", "pred.csv.gz", "pred.h5"])
def test_single_animal_values_land_in_their_cells(tmp_path, name):
    path = write_dlc(dlc_table(), tmp_path / name)
    assert detect(path).name == "deeplabcut"
    poses = read_poses(path)
    assert poses.source == "deeplabcut"
    assert poses.individuals == ["animal"]
    assert poses.keypoints == ["snout", "tail"]
    assert poses.position.shape == (4, 1, 2, 2)
    assert poses.position[2, 0, 1].tolist() == [211, 212]  # frame 2, tail, (x, y)
    np.testing.assert_allclose(poses.confidence[:, 0], [[0.5, 0.6]] * 4)
    assert poses.frame.tolist() == [10, 11, 12, 13]
    assert poses.time_s is None
    assert (poses.confidence_kind, poses.min_confidence) == ("likelihood", 0.6)


def test_h5_written_fixed_reads_the_same(tmp_path):
    table = dlc_table()
    table.to_hdf(tmp_path / "fixed.h5", key="df_with_missing", format="fixed")
    fixed = read_poses(tmp_path / "fixed.h5")
    csv_ = read_poses(write_dlc(table, tmp_path / "p.csv"))
    np.testing.assert_array_equal(fixed.position, csv_.position)
    np.testing.assert_array_equal(fixed.frame, csv_.frame)


def test_read_table_gives_the_wide_table_with_likelihood(tmp_path):
    table = read_table(write_dlc(dlc_table(frames=2), tmp_path / "p.csv"))
    assert list(table.columns) == [
        "frame_count",
        *["x_snout", "y_snout", "x_tail", "y_tail"],
        *["confidence_snout", "confidence_tail"],
    ]
    assert table["y_tail"].tolist() == [12, 112]
    assert table.attrs["confidence"] == {"kind": "likelihood", "default_min": 0.6}
    assert table.attrs["read"]["format"] == "deeplabcut"


def test_missing_points_stay_nan(tmp_path):
    table = dlc_table()
    table.iloc[1, 0:2] = np.nan  # DeepLabCut leaves undetected points empty in labels
    poses = read_poses(write_dlc(table, tmp_path / "p.csv"))
    assert np.isnan(poses.position[1, 0, 0]).all()
    assert np.isfinite(poses.position[1, 0, 1]).all()


@pytest.mark.parametrize("name", ["multi.csv", "multi.h5"])
def test_multi_animal_keeps_individuals_and_unique_bodyparts(tmp_path, name):
    poses = read_poses(write_dlc(multi_animal_table(), tmp_path / name))
    assert poses.individuals == ["mouse1", "mouse2", "single"]
    assert poses.keypoints == ["snout", "tail", "nest"]
    # row 1 holds 15..29: mouse2's tail is columns 9, 10 of 15; the nest 12, 13
    assert poses.position[1, 1, 1].tolist() == [24, 25]
    assert poses.position[1, 2, 2].tolist() == [27, 28]
    assert np.isnan(poses.position[:, 0, 2]).all()  # mouse1 has no nest
    assert np.isnan(poses.position[:, 2, :2]).all()  # single has no snout or tail
    assert any("unique bodyparts (nest)" in n and "`single`" in n for n in poses.notes)
    with pytest.raises(InputError, match=r"3 individuals, choose one .*mouse1 \(100%\)"):
        read_table(tmp_path / name)
    table = read_table(tmp_path / name, individual="mouse2")
    assert table["x_tail"].tolist() == [9, 24, 39]
    assert table["x_nest"].isna().all()


def test_labelled_data_with_three_index_columns(tmp_path):
    table = dlc_table(coords=("x", "y"), frames=3)
    table.index = pd.MultiIndex.from_tuples(
        [("labeled-data", "fish1", f"img{n:04d}.png") for n in (7, 30, 2)]
    )
    poses = read_poses(write_dlc(table, tmp_path / "CollectedData_Ann.csv"))
    assert poses.frame.tolist() == [7, 30, 2]
    assert poses.position[1, 0, 0].tolist() == [101, 102]
    assert poses.confidence is None and poses.min_confidence is None
    assert any("labelled images of labeled-data/fish1" in n for n in poses.notes)


def test_labelled_data_of_two_videos_is_refused(tmp_path):
    table = dlc_table(coords=("x", "y"), frames=2)
    table.index = ["labeled-data/fish1/img0001.png", "labeled-data/fish2/img0001.png"]
    path = write_dlc(table, tmp_path / "CollectedData_Ann.csv")
    assert_refused(path, match=r"labelled images of 2 videos .*one recording")


# -- Lightning Pose ----------------------------------------------------------------------


def test_lightning_pose_csv_with_extra_columns(tmp_path):
    """Predictions on labelled frames add a ``set`` column; the smoother adds coords."""
    table = dlc_table(scorer="heatmap_tracker")
    table[("heatmap_tracker", "snout", "x_ens_var")] = 1.0
    table[("set", "", "")] = "train"
    path = write_dlc(table, tmp_path / "predictions.csv")
    assert detect(path).name == "lightning-pose"
    poses = read_poses(path)
    assert poses.source == "lightning-pose"
    assert poses.keypoints == ["snout", "tail"]
    assert poses.position[3, 0, 0].tolist() == [301, 302]
    assert (poses.confidence_kind, poses.min_confidence) == ("likelihood", 0.6)
    assert any("left out 2 column(s)" in n and "snout/x_ens_var, set" in n for n in poses.notes)


def test_sniffers_tell_lightning_pose_from_deeplabcut(tmp_path):
    def sniffs(scorer):
        path = write_dlc(dlc_table(scorer=scorer), tmp_path / f"{scorer}.csv")
        head = read_head(path)
        return sniff_deeplabcut(path, head), sniff_lightning_pose(path, head)

    assert sniffs(DLC_SCORER) == (True, False)
    assert sniffs("heatmap_mhcrnn_tracker") == (False, True)
    assert sniffs("ensemble-kalman_tracker") == (False, True)
    assert sniffs("Pranav") == (True, False)  # a labeller: DeepLabCut's labelled data
    plain = tmp_path / "wide.csv"
    plain.write_text("x_a,y_a\n1,2\n")
    assert not sniff_deeplabcut(plain, read_head(plain))
    assert not sniff_lightning_pose(plain, read_head(plain))


def test_h5_sniffer_wants_a_pandas_table_with_coords(tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["tracks"] = np.zeros((1, 2, 3))
    assert not sniff_deeplabcut(other, read_head(other))
    no_coords = tmp_path / "no_coords.h5"
    pd.DataFrame({"a": [1.0]}).to_hdf(no_coords, key="df", format="table")
    assert not sniff_deeplabcut(no_coords, read_head(no_coords))
    dlc = write_dlc(dlc_table(), tmp_path / "dlc.h5")
    assert sniff_deeplabcut(dlc, read_head(dlc))


# -- errors ------------------------------------------------------------------------------


def test_3d_file_is_refused(tmp_path):
    path = write_dlc(dlc_table(coords=("x", "y", "z")), tmp_path / "DLC_3D.csv")
    assert_refused(path, match=r"DLC_3D\.csv: has 3-D keypoints \(`z` in the coords")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "scorer,me,me\nbodyparts,a,a\n0,1,2\n",
            r"looks like a DeepLabCut CSV but has no `coords` header row",
        ),
        ("scorer,me,me\ncoords,x,y\n0,1,2\n", r"has no `bodyparts` header row"),
        (
            "scorer,me,me\nbodyparts,a,a\ncoords,x,y\n",
            r"has the DeepLabCut CSV header rows but no data",
        ),
        (
            "scorer,me,me\nbodyparts,a,a\ncoords,x,y\n0,1,2\n1,oops,3\n",
            r"column me/a/x has non-numeric value 'oops' in data row 2",
        ),
        ("scorer,me,me\nbodyparts,a,b\ncoords,x,y\n0,1,2\n", r"bodypart a has x but no y column"),
        ("scorer,me,me\nbodyparts,a,a\ncoords,u,v\n0,1,2\n", r"no x and y columns"),
        (
            "scorer,me,me\nbodyparts,a,a\ncoords,x,y\nindividuals,b,b\n0,1,2\n",
            r"header rows in the order scorer, bodyparts, coords, individuals",
        ),
        (
            "scorer,heatmap_tracker,heatmap_tracker\nbodyparts,a,a\n0,1,2\n",
            r"looks like a Lightning Pose CSV but has no `coords` header row",
        ),
    ],
)
def test_bad_csv_names_the_problem(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as err:
        read_poses(path)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


def test_bad_h5_names_the_problem(tmp_path):
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(write_dlc(dlc_table(), tmp_path / "ok.h5").read_bytes()[:3000])
    assert_refused(
        truncated, format="deeplabcut", match=r"truncated\.h5: cannot read as a DeepLabCut H5"
    )
    two = tmp_path / "two.h5"
    dlc_table().to_hdf(two, key="a", format="table")
    dlc_table().to_hdf(two, key="b", format="table")
    assert_refused(two, match=r"two\.h5: has tables /a, /b; .* key df_with_missing")


def test_h5_without_pytables_names_the_extra_and_csv_still_reads(tmp_path, monkeypatch):
    path = write_dlc(dlc_table(), tmp_path / "p.h5")
    monkeypatch.setitem(sys.modules, "tables", None)  # import tables -> ImportError
    assert_refused(path, match=r"needs tables: pip install 'killipose\[h5\]'")
    assert read_poses(write_dlc(dlc_table(), tmp_path / "p.csv")).frames == 4


# -- real files --------------------------------------------------------------------------


def test_real_deeplabcut_predictions_h5():
    """DLC2NWB's example: DeepLabCut's openfield predictions, read beside pandas by h5py."""
    path = DATA / "deeplabcut" / "m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.h5"
    assert detect(path).name == "deeplabcut"
    poses = read_poses(path)
    assert poses.position.shape == (2330, 1, 4, 2)
    assert poses.keypoints == ["snout", "leftear", "rightear", "tailbase"]
    assert poses.frame[[0, -1]].tolist() == [0, 2329]
    with h5py.File(path) as f:  # the PyTables rows: (index, 12 values x, y, likelihood)
        row = f["df_with_missing/table"][100]
    assert row["index"] == 100
    values = row["values_block_0"].reshape(4, 3)
    np.testing.assert_array_equal(poses.position[100, 0], values[:, :2])
    np.testing.assert_array_equal(poses.confidence[100, 0], values[:, 2])


def test_real_deeplabcut_labels_csv_and_h5_agree():
    """DeepLabCut's openfield example labels, the CSV checked by the csv module."""
    folder = DATA / "deeplabcut"
    from_csv = read_poses(folder / "CollectedData_Pranav.csv")
    from_h5 = read_poses(folder / "CollectedData_Pranav.h5")
    assert from_csv.position.shape == (116, 1, 4, 2)
    np.testing.assert_array_equal(from_csv.position, from_h5.position)
    np.testing.assert_array_equal(from_csv.frame, from_h5.frame)
    with open(folder / "CollectedData_Pranav.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[3][0] == "labeled-data/m4s1/img0000.png"
    assert from_csv.position[0, 0, 3].tolist() == [float(rows[3][7]), float(rows[3][8])]
    assert from_csv.frame[:3].tolist() == [0, 1, 2]


def test_real_multi_animal_labels():
    """sleap-io's DeepLabCut test project: 7 pups and unique bodyparts, 3 index columns."""
    poses = read_poses(DATA / "deeplabcut" / "CollectedData_JohnDoe.csv")
    assert poses.source == "deeplabcut"
    assert poses.individuals == [f"pup{i}" for i in range(1, 8)] + ["single"]
    assert poses.keypoints[:5] == ["pup_snout", "pup_neck", "pup_body", "pup_tailbase", "nest"]
    assert len(poses.keypoints) == 12
    assert poses.frames == 38
    assert poses.frame[[0, 1, -1]].tolist() == [144, 838, 42889]
    assert poses.position[1, 0, 0].tolist() == [148.48, 155.2606635]  # pup1 snout, img00838
    assert poses.position[0, 7, 4].tolist() == [892.5866667, 385.5924171]  # nest, img00144
    assert np.isnan(poses.position[0, 0]).all()  # no pup labelled in img00144


def test_real_lightning_pose_predictions():
    """Lightning Pose (heatmap_mhcrnn) predictions of IBL paws, from the EKS examples."""
    path = DATA / "lightning-pose" / "3f859b5c-e73a-4044-b49e-34bb81e96715.left.rng=0.csv"
    assert detect(path).name == "lightning-pose"
    poses = read_poses(path)
    assert poses.position.shape == (1000, 1, 2, 2)
    assert poses.keypoints == ["paw_l", "paw_r"]
    assert poses.frame[[0, -1]].tolist() == [0, 999]
    assert poses.position[0, 0, 0].tolist() == [37.33696746826172, 71.90367889404297]
    assert poses.confidence[0, 0, 1] == 0.9992430806159972
    assert poses.notes == []


def test_real_lightning_pose_labels_are_deeplabcut_layout():
    """Lightning Pose's own labels (scorer ``rick``) are DeepLabCut labelled data."""
    path = DATA / "lightning-pose" / "CollectedData.csv"
    assert detect(path).name == "deeplabcut"
    poses = read_poses(path)
    assert poses.position.shape == (90, 1, 17, 2)
    assert poses.keypoints[0] == "paw1LH_top"
    assert poses.position[0, 0, 0].tolist() == [77.25, 36.25]
    assert poses.frame[0] == 1  # labeled-data/img01.png
    assert read_poses(path, format="lightning-pose").source == "lightning-pose"
