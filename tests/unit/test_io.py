import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from killipose import InputError, read_table
from killipose.files import atomic_path
from killipose.io import keypoint_names, keypoints_in
from tests.helpers import DATA


def test_reads_csv_and_parquet_the_same(tmp_path, pose_table):
    pose_table.to_csv(tmp_path / "t.csv", index=False)
    pose_table.to_parquet(tmp_path / "t.parquet")
    a = read_table(tmp_path / "t.csv")
    b = read_table(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
    assert keypoint_names(a.columns) == ["head", "body", "tail"]


def test_keeps_extra_columns_and_reads_empty_cells_as_nan(tmp_path):
    (tmp_path / "t.csv").write_text("frame_count,note,x_a,y_a\n,hi,1.5,2\n1,ok,,3\n")
    table = read_table(tmp_path / "t.csv")
    assert list(table.columns) == ["frame_count", "note", "x_a", "y_a"]
    assert np.isnan(table["x_a"].iloc[1])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a,b\n1,2\n", "no keypoint columns"),
        ("x_a,y_a,x_b\n1,2,3\n", "x_b has no matching"),
        ("x_a,y_a\n1,2\nfoo,3\n", "non-numeric value 'foo' in data row 2"),
    ],
)
def test_bad_tables_name_the_problem(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=message) as err:
        read_table(path)
    assert str(path) in str(err.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is a folder"):
        read_table(tmp_path)


def test_atomic_path_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert os.listdir(tmp_path) == []
    with atomic_path(target) as tmp:
        tmp.write_text("whole")
    assert target.read_text() == "whole"
    assert os.listdir(tmp_path) == ["out.txt"]


NO_KEYPOINTS = r"no keypoint columns \(expected x_<name> and y_<name> pairs\)"


@pytest.mark.parametrize(
    ("name", "write", "hint"),
    [
        ("one.csv", lambda p: p.write_text("a b\n1 2\n"), True),
        ("two.csv", lambda p: p.write_text("a,b\n1,2\n"), False),
        ("one.parquet", lambda p: pd.DataFrame({"a b": [1.0]}).to_parquet(p), False),
    ],
)
def test_a_header_of_one_name_asks_whether_the_text_file_is_a_table(tmp_path, name, write, hint):
    """One name in a text header is likely a line not split at its delimiter; two names,
    or one Parquet column, are a table without keypoints."""
    write(tmp_path / name)
    asked = "; is it a table\\? the header line has no ',', ';', tab or '\\|'" if hint else ""
    with pytest.raises(InputError, match=f"{NO_KEYPOINTS}{asked}$"):
        read_table(tmp_path / name)


def test_keypoints_in_a_wide_table_come_from_its_header_alone(tmp_path):
    """The workflow asks for keypoints before reading a table: a wide table's header is
    enough (its broken rows are not read), and it has one animal to choose."""
    path = tmp_path / "t.csv"
    path.write_text("frame_count,x_b,y_b,x_a,y_a\n0,1\nnot,a,row\n")
    assert keypoints_in(path) == ["b", "a"]
    with pytest.raises(InputError, match="do not have one field per column"):
        read_table(path)
    one_animal = r"t\.csv: a wide table \(x_<name>, y_<name> columns\) has one animal; leave"
    with pytest.raises(InputError, match=one_animal):
        keypoints_in(path, individual="a")
    path.write_text("x_b,y_b\n1,2\n")
    with pytest.raises(InputError, match=one_animal):
        read_table(path, individual="a")


def test_keypoints_in_a_trackers_file_check_the_individual():
    path = DATA / "deeplabcut" / "CollectedData_JohnDoe.csv"
    names = keypoints_in(path, individual="pup1")
    assert names[:5] == ["pup_snout", "pup_neck", "pup_body", "pup_tailbase", "nest"]
    assert len(names) == 12
    with pytest.raises(InputError, match=r"8 individuals, choose one with individual"):
        keypoints_in(path)
    with pytest.raises(InputError, match=r"no individual 'pup9'; it has pup1 \(76%\)"):
        keypoints_in(path, individual="pup9")


@pytest.mark.parametrize(("name", "said"), [("t.xlsx", "'.xlsx'"), ("table", "'(no suffix)'")])
def test_a_file_no_format_reads_names_its_ending_and_the_known_ones(tmp_path, name, said):
    (tmp_path / name).write_text("x_a,y_a\n1,2\n")
    with pytest.raises(
        InputError,
        match=rf"unknown table format {re.escape(said)}, expected one "
        r"of: DeepLabCut CSV or H5: \.csv, \.h5, \.hdf5, \.csv\.gz; ",
    ):
        read_table(tmp_path / name)


@pytest.mark.parametrize("name", ["t.csv", "t.csv.gz"])
@pytest.mark.parametrize("late_note", [False, True])
def test_a_csv_read_in_many_pieces_is_the_whole_table(
    tmp_path, pose_table, monkeypatch, name, late_note
):
    """Pieces are cut at line ends: no row is lost, split or read twice; a column empty in
    the first piece and text later is still read (the reader falls back to a whole read)."""
    from killipose.io import wide

    table = pose_table.assign(frame_count=np.arange(len(pose_table)))
    if late_note:
        table["note"] = ""
        table.loc[table.index[-3:], "note"] = "late"
    table.to_csv(tmp_path / name, index=False)
    whole = read_table(tmp_path / name)
    monkeypatch.setattr(wide, "PIECE_BYTES", 300)
    monkeypatch.setattr(wide, "LINE_BYTES", 200)
    parsed = []
    read_csv = wide.pa_csv.read_csv
    monkeypatch.setattr(
        wide.pa_csv, "read_csv", lambda *a, **k: parsed.append(a) or read_csv(*a, **k)
    )
    pd.testing.assert_frame_equal(read_table(tmp_path / name), whole)
    assert len(parsed) > 5
    assert list(whole["frame_count"]) == list(range(len(pose_table)))
    if late_note:
        assert whole["note"].iloc[-4:].fillna("").tolist() == ["", "late", "late", "late"]


def test_a_csv_in_pieces_still_repairs_a_truncated_last_line_and_refuses_a_bad_one(
    tmp_path, monkeypatch
):
    from killipose.io import wide

    monkeypatch.setattr(wide, "PIECE_BYTES", 64)
    monkeypatch.setattr(wide, "LINE_BYTES", 32)
    rows = "".join(f"{i},{i}.5,{i}.25\n" for i in range(40))
    (tmp_path / "cut.csv").write_text("frame_count,x_a,y_a\n" + rows + "40,1")
    table = read_table(tmp_path / "cut.csv")
    assert len(table) == 40 and table.attrs["read"]["truncated_last_line_dropped"]
    assert table["y_a"].iloc[-1] == 39.25
    (tmp_path / "bad.csv").write_text("frame_count,x_a,y_a\n" + "3,1\n" + rows)
    with pytest.raises(InputError, match=r"1 line.* do not have one field per column"):
        read_table(tmp_path / "bad.csv")


def test_a_csv_whose_pieces_end_at_line_ends_is_read_in_pieces_alone(tmp_path, monkeypatch):
    """A file whose size is a whole number of pieces, each ending at a line end, leaves
    nothing for a last read: no whole read follows (which would hold the file twice)."""
    from killipose.io import wide

    line = "1.5,2.5,3.5\n"  # 12 bytes, as the header: 5 lines fill a 60-byte piece exactly
    (tmp_path / "t.csv").write_text("x_a,y_a,z_b\n" + line * 59)  # 720 bytes: 12 pieces
    monkeypatch.setattr(wide, "PIECE_BYTES", 60)
    monkeypatch.setattr(wide, "LINE_BYTES", 30)
    whole = []
    read_csv = wide.pa_csv.read_csv
    monkeypatch.setattr(
        wide.pa_csv,
        "read_csv",
        lambda source, *a, **k: whole.append(isinstance(source, Path)) or read_csv(source, *a, **k),
    )
    table = read_table(tmp_path / "t.csv")
    assert len(table) == 59 and table["y_a"].eq(2.5).all()
    assert not any(whole)
