"""Cleaning a file in pieces (killipose.cleaning.pieces) gives clean_table's table and report."""

import json

import numpy as np
import pandas as pd
import pytest

import killipose as kp
from killipose.cleaning.pieces import clean_file
from killipose.errors import InputError
from killipose.files import read_prepared, write_parquet
from killipose.io import pieces as io_pieces
from killipose.io import wide
from tests.helpers import make_pose_table


def _table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """A pose table with short and long gaps, single-frame jumps, +-inf and confidence
    scores strewn everywhere, so that many fall across the edges of any piece size."""
    rng = np.random.default_rng(seed)
    table = make_pose_table(n=n, keypoints=("head", "body", "tail", "fin"), seed=seed)
    table.insert(0, "frame_count", np.arange(n, dtype=float))
    xy = [c for c in table.columns if c[:2] in ("x_", "y_")]
    for start in rng.integers(0, n, 120):
        name = xy[rng.integers(len(xy))]
        table.loc[start : start + rng.integers(0, 9), name] = np.nan  # 1-9 frames
    for row in rng.integers(1, n - 1, 60):
        k = rng.integers(len(xy) // 2)
        table.loc[row, xy[2 * k : 2 * k + 2]] += 80.0
    table.loc[rng.integers(0, n, 5), "x_body"] = np.inf
    for k in ("head", "body", "tail", "fin"):
        table[f"confidence_{k}"] = rng.uniform(0.0, 1.0, n) ** 0.2
    return table


def _compare(path, tmp_path, piece_rows: int, **options) -> dict:
    """Clean ``path`` in pieces and whole; assert they agree; the pieces' report."""
    whole = kp.clean_table(kp.read_table(path), **options)
    report = clean_file(path, tmp_path / "clean", piece_rows=piece_rows, **options)
    frame, written = read_prepared(tmp_path / "clean")
    assert written == report
    expected = json.loads(json.dumps(whole.report)) | {"source": str(path)}
    stats = expected.pop("normalisation"), report.pop("normalisation")
    assert report == expected
    want, got = (pd.DataFrame(s).T[["mean", "std"]] for s in stats)
    assert list(got.index) == list(want.index)
    np.testing.assert_allclose(got.to_numpy(float), want.to_numpy(float), rtol=1e-12)
    assert list(frame.columns) == list(whole.frame.columns)
    features = whole.features
    pd.testing.assert_frame_equal(frame.drop(columns=features), whole.frame.drop(columns=features))
    np.testing.assert_allclose(frame[features], whole.frame[features], rtol=1e-9, atol=1e-12)
    return report


@pytest.mark.parametrize(
    "piece_rows, options",
    [
        (64, {}),
        (1000, {}),
        (5000, {}),  # one piece
        (64, {"max_gap": 4, "min_confidence": 0.5}),
        (64, {"frame": "egocentric", "origin": "body", "max_gap": 0}),
        (333, {"fps": 25.0, "max_jump": 60.0}),
    ],
)
def test_pieces_give_the_whole_tables_cleaning(tmp_path, piece_rows, options):
    path = tmp_path / "poses.parquet"
    write_parquet(_table(), path)
    report = _compare(path, tmp_path, piece_rows, **options)
    # The table has what the pieces must carry across their edges.
    assert report["gaps_filled"] > 50 or options.get("max_gap") == 0
    assert report["frames_excluded"]["jump_values_removed"] > 50


def test_pieces_shorter_than_the_rows_a_row_depends_on(tmp_path):
    path = tmp_path / "poses.parquet"
    write_parquet(_table(n=500, seed=1), path)
    report = _compare(path, tmp_path, 7, max_gap=8)  # 10 rows each side: two pieces
    assert report["gaps_filled"] > 10


def test_a_csv_in_pieces_of_text(tmp_path, monkeypatch):
    path = tmp_path / "poses.csv"
    _table().drop(columns="frame_count").to_csv(path, index=False)
    monkeypatch.setattr(wide, "PIECE_BYTES", 20_000)  # ~60 pieces
    assert len(list(io_pieces.read_pieces(path))) > 20
    report = _compare(path, tmp_path, 1000, min_confidence=0.3)
    assert report["read"]["delimiter"] == ","
    assert report["time_axis"] == "frame_timestamp"


def test_rows_out_of_order_are_cleaned_whole(tmp_path):
    table = _table(n=600)
    path = tmp_path / "poses.parquet"
    write_parquet(table.iloc[np.r_[0:300, 310:600, 300:310, 42]], path)
    report = _compare(path, tmp_path, 64)
    assert report["rows"]["rows_out_of_order"] == 2
    assert report["rows"]["exact_duplicates_dropped"] == 1


def test_a_backwards_clock_takes_frame_counts_in_pieces(tmp_path):
    table = _table(n=900)
    table.loc[500, "frame_timestamp"] -= 1.0
    path = tmp_path / "poses.parquet"
    write_parquet(table, path)
    report = _compare(path, tmp_path, 64)
    assert report["time_axis"] == "frame_count / fps (frame_timestamp goes backwards 1 times)"


def _no_val_or_test(table):
    table.loc[480:, ["x_head", "x_body", "x_tail", "x_fin"]] = np.nan
    return table


def _no_clock(table):
    return table.drop(columns=["frame_timestamp", "frame_count"])


def _far_value(table):
    table.loc[500:502, "y_tail"] = 1e300  # valid frames of the val block; three: not a jump
    return table


@pytest.mark.parametrize(
    "spoil, match",
    [
        (_no_val_or_test, "too few usable frames: 0 in the val split"),
        (_no_clock, "cannot tell the frame rate"),
        (_far_value, "value 1e\\+300 in data row 501 is too far"),
    ],
)
def test_an_error_is_the_whole_tables_names_the_file_and_leaves_nothing(tmp_path, spoil, match):
    table = spoil(_table(n=600))
    path = tmp_path / "poses.parquet"
    write_parquet(table, path)
    with pytest.raises(InputError, match=match) as whole:
        kp.clean_table(kp.read_table(path))
    with pytest.raises(InputError) as pieces:
        clean_file(path, tmp_path / "out" / "clean", piece_rows=64)
    assert str(pieces.value) == f"{path}: {whole.value}"
    assert [p.name for p in (tmp_path / "out").iterdir()] == []
