"""Bad tables: each is repaired (and the report counts it) or stopped with one line.

Every case runs ``killipose clean`` on a file and checks the contract of tests/README.md:
exit 0 with a report that counts the repair, or exit 2 with one line
``killipose: error: <file>: <problem>``; never a traceback, never a partial output,
never a change to the input file.
"""

import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from killipose import clean_table, cli
from tests.helpers import make_pose_table

N = 400


def good_table(n=N) -> pd.DataFrame:
    table = make_pose_table(n)
    table.insert(0, "frame_count", np.arange(n, dtype=float))
    return table


def csv_text(table: pd.DataFrame) -> str:
    return table.to_csv(index=False)


def write(path: Path, content) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def lines(n=N) -> list[str]:
    return csv_text(good_table(n)).splitlines(keepends=True)


def with_cell(column: str, row: int, value: str, *more) -> str:
    """The good table as CSV with ``value`` written into one cell (and more triples)."""
    table = good_table().astype(object)
    for column_, row_, value_ in [(column, row, value), *zip(*[iter(more)] * 3, strict=True)]:
        table.loc[row_, column_] = value_
    return csv_text(table)


def wrong_schema_parquet(path: Path) -> Path:
    arrays = {"frame_count": pa.array(range(N))}
    arrays["x_head"] = pa.array([[1.0, 2.0]] * N)
    arrays["y_head"] = pa.array([[1.0, 2.0]] * N)
    pq.write_table(pa.table(arrays), path)
    return path


def timestamps_as_datetimes(path: Path) -> Path:
    table = good_table()
    table["frame_timestamp"] = pd.to_datetime(table["frame_timestamp"], unit="s")
    table.to_parquet(path)
    return path


# name: (file name, how to make it, what must come out)
# outcome: a regular expression the one error line must match, or a check of report.json.
CASES = {
    "empty file": ("t.csv", "", "the file is empty"),
    "header only": ("t.csv", lines()[0], "no data rows, only a header"),
    "binary garbage": ("t.csv", random.Random(0).randbytes(3000), "binary data, not a UTF-8 text"),
    "binary garbage parquet": ("t.parquet", random.Random(1).randbytes(3000), "cannot read"),
    "csv saved as parquet": ("t.parquet", csv_text(good_table()), "cannot read table"),
    "semicolon delimiter": (
        "t.csv",
        good_table().to_csv(index=False, sep=";"),
        lambda r: r["read"]["delimiter"] == ";" and r["input_frames"] == N,
    ),
    "truncated last line": (
        "t.csv",
        "".join(lines())[:-25],
        lambda r: r["read"]["truncated_last_line_dropped"] and r["input_frames"] == N - 1,
    ),
    "short line in the middle": (
        "t.csv",
        "".join([*lines()[:50], "1,2,3\n", *lines()[50:]]),
        "1 line.* do not have one field per column, the first: '1,2,3'",
    ),
    "text in a keypoint column": (
        "t.csv",
        with_cell("x_body", 3, "", "x_body", 10, "oops"),
        "column x_body has non-numeric value 'oops' in data row 11",
    ),
    "text in frame_timestamp": (
        "t.csv",
        with_cell("frame_timestamp", 3, "12:00:01"),
        "column frame_timestamp has non-numeric value '12:00:01' in data row 4",
    ),
    "inf and -inf": (
        "t.csv",
        with_cell("x_head", 5, "inf", "y_tail", 9, "-inf"),
        lambda r: r["frames_excluded"]["non_finite_values_set_to_nan"] == 2,
    ),
    "a number no pose could have": (
        "t.csv",
        with_cell("x_body", N - 1, "6e38"),
        r"column x_body: value 6e\+38 in data row 400 is too far from the rest",
    ),
    "a number too large to average": (
        "t.csv",
        with_cell("y_head", 0, "1e308"),
        "column y_head: values too large to normalise",
    ),
    "duplicated rows": (
        "t.csv",
        "".join(lines() + lines()[100:110]),
        lambda r: r["rows"]["exact_duplicates_dropped"] == 10 and r["frames"]["valid"] == N,
    ),
    "duplicated frame_count, other values": (
        "t.csv",
        "".join([*lines()[:101], lines()[100].replace(",1", ",2", 1), *lines()[101:]]),
        lambda r: r["rows"]["conflicting_duplicates_dropped"] == 1,
    ),
    "frames out of order": (
        "t.csv",
        "".join(lines()[:1] + random.Random(2).sample(lines()[1:], N)),
        lambda r: r["rows"]["rows_out_of_order"] > 100 and r["time_axis"] == "frame_timestamp",
    ),
    "timestamps go backwards": (
        "t.csv",
        with_cell("frame_timestamp", 200, "0.5"),
        lambda r: r["time_axis"].startswith("frame_count / fps (frame_timestamp goes backwards"),
    ),
    "no x_/y_ pairs": ("t.csv", "frame_count,a,b\n1,2,3\n2,3,4\n", "no keypoint columns"),
    "x_ without y_": (
        "t.csv",
        good_table().assign(x_fin=1.0).to_csv(index=False),
        "column x_fin has no matching x_/y_ partner",
    ),
    "duplicate column names": (
        "t.csv",
        "".join(lines()).replace("x_tail", "x_head", 1),
        "column 'x_head' appears more than once",
    ),
    "every keypoint NaN": (
        "t.csv",
        good_table().assign(**{c: np.nan for c in good_table().columns[2:]}).to_csv(index=False),
        "every keypoint is missing",
    ),
    "too few frames": ("t.csv", "".join(lines(40)), "too few usable frames: 4 in the val split"),
    "a folder": ("folder.csv", None, "is a folder"),
    "parquet, list columns": ("t.parquet", wrong_schema_parquet, "column x_head"),
    "parquet, no keypoints": (
        "t.parquet",
        lambda p: pq.write_table(pa.table({"frame": [1, 2]}), p) or p,
        "no keypoint columns",
    ),
    "parquet, date-time timestamps": (
        "t.parquet",
        timestamps_as_datetimes,
        lambda r: r["time_axis"] == "frame_timestamp" and abs(r["fps"] - 30) < 1e-6,
    ),
}


def make_input(tmp_path: Path, name: str, content) -> Path:
    path = tmp_path / "in" / name
    path.parent.mkdir()
    if content is None:
        path.mkdir()
    elif callable(content):
        content(path)
    else:
        write(path, content)
    return path


def checksum(path: Path) -> str:
    if path.is_dir():
        return "folder"
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("case", list(CASES))
def test_bad_table(tmp_path, capsys, case):
    name, content, outcome = CASES[case]
    path = make_input(tmp_path, name, content)
    before = checksum(path)
    outdir = tmp_path / "out"
    status = cli.main(["clean", str(path), str(outdir)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert checksum(path) == before, "the input file changed"
    if isinstance(outcome, str):
        assert status == 2
        (line,) = [x for x in err.splitlines() if x.startswith("killipose: error:")]
        assert line.startswith(f"killipose: error: {path}")
        assert re.search(outcome, line), line
        assert not outdir.exists() or not any(outdir.iterdir()), "partial output"
    else:
        assert status == 0, err
        assert sorted(p.name for p in outdir.iterdir()) == ["report.json", "table.parquet"]
        report = json.loads((outdir / "report.json").read_text())
        assert outcome(report), json.dumps({k: report[k] for k in ("read", "rows", "steps")})


def test_out_of_order_and_duplicated_rows_clean_like_the_ordered_table():
    ordered = good_table()
    mixed = pd.concat([ordered, ordered.iloc[50:60]]).sample(frac=1, random_state=0)
    a, b = clean_table(ordered), clean_table(mixed.reset_index(drop=True))
    features = a.features
    np.testing.assert_array_equal(a.frame[features].to_numpy(), b.frame[features].to_numpy())
    np.testing.assert_array_equal(a.frame["time_s"].to_numpy(), b.frame["time_s"].to_numpy())
    # ``frame`` points back at each row of the input table.
    back = mixed.reset_index(drop=True).iloc[b.frame["frame"]]["frame_count"].to_numpy()
    np.testing.assert_array_equal(back, ordered["frame_count"].to_numpy())


def test_missing_counts_stay_in_place():
    table = good_table()
    table.loc[[0, 1, 200], "frame_count"] = np.nan  # as in real exports
    clean = clean_table(table)
    assert clean.report["rows"]["rows_out_of_order"] == 0
    np.testing.assert_array_equal(clean.frame["frame"], np.arange(N))


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv to drop root")
def test_file_without_read_permission():
    # Root reads any file, so the command runs as an unprivileged user when we are root.
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o777)
        path = Path(tmp) / "secret.csv"
        path.write_text(csv_text(good_table()))
        path.chmod(0o000)
        command = [sys.executable, "-m", "killipose.cli", "clean", str(path), f"{tmp}/out"]
        if os.geteuid() == 0:
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        env = os.environ | {"MPLCONFIGDIR": tmp, "HOME": tmp}
        result = subprocess.run(command, capture_output=True, text=True, cwd=tmp, env=env)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"killipose: error: {path}: no permission to read"
        ]
        assert not (Path(tmp) / "out").exists()
