"""Files killipose writes: whole or not at all, readable by whoever a plain open() allows."""

import json
import os
import stat

import numpy as np
import pandas as pd
import pytest
import torch

from killipose import InputError, models
from killipose.files import atomic_path, read_json, read_parquet, write_json, write_parquet
from killipose.models.training import save_checkpoint


@pytest.fixture(params=[0o022, 0o002, 0o077], ids=["umask022", "umask002", "umask077"])
def umask(request):
    """Run the test under this umask; the process's own is restored after it."""
    before = os.umask(request.param)
    yield request.param
    os.umask(before)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_written_files_get_the_mode_a_plain_open_would(tmp_path, umask):
    """mkstemp makes its file 0o600; results must not stay private to their owner."""
    plain = tmp_path / "plain.txt"
    plain.write_text("x")  # what open() gives under this umask
    expected = 0o666 & ~umask
    assert mode(plain) == expected  # 0o644 under 022, 0o664 under 002, 0o600 under 077

    write_json({"a": 1, "b": [1.5, None]}, tmp_path / "deep" / "report.json")
    write_parquet(pd.DataFrame({"frame": [0, 1], "z1": [0.5, -2.0]}), tmp_path / "t.parquet")
    with atomic_path(tmp_path / "raw.bin") as tmp:
        tmp.write_bytes(b"\x00\x01")
    model = models.make("pca", latent_dim=1).fit(np.array([[0, 0], [1, 2], [2, 4.1]]))
    model.save(tmp_path / "model.pt")
    save_checkpoint(tmp_path / "checkpoint.pt", {"epoch": 3, "w": torch.ones(2)})

    written = ["deep/report.json", "t.parquet", "raw.bin", "model.pt", "checkpoint.pt"]
    assert {name: mode(tmp_path / name) for name in written} == dict.fromkeys(written, expected)
    # What is in them, and nothing else beside them (no temporary file left).
    assert json.loads((tmp_path / "deep" / "report.json").read_text()) == {"a": 1, "b": [1.5, None]}
    assert read_json(tmp_path / "deep" / "report.json") == {"a": 1, "b": [1.5, None]}
    frame = pd.read_parquet(tmp_path / "t.parquet")
    assert frame.to_dict("list") == {"frame": [0, 1], "z1": [0.5, -2.0]}
    assert (tmp_path / "raw.bin").read_bytes() == b"\x00\x01"
    again = models.load(tmp_path / "model.pt")
    np.testing.assert_array_equal(again.components_, model.components_)
    saved = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert saved["epoch"] == 3 and torch.equal(saved["w"], torch.ones(2))
    assert sorted(os.listdir(tmp_path)) == sorted(["deep", "plain.txt", *written[1:]])
    assert os.listdir(tmp_path / "deep") == ["report.json"]


def test_a_rewrite_replaces_the_file_whole(tmp_path):
    target = tmp_path / "report.json"
    write_json({"run": 1}, target)
    write_json({"run": 2}, target)
    assert read_json(target) == {"run": 2}
    assert os.listdir(tmp_path) == ["report.json"]
    with pytest.raises(ValueError), atomic_path(target) as tmp:
        tmp.write_text("{half")
        raise ValueError("the step failed")
    assert read_json(target) == {"run": 2}  # the old file, untouched
    assert os.listdir(tmp_path) == ["report.json"]


def test_json_has_no_nan_and_bad_json_is_one_line(tmp_path):
    with pytest.raises(ValueError):
        write_json({"score": float("nan")}, tmp_path / "nan.json")  # not valid JSON
    assert os.listdir(tmp_path) == []
    (tmp_path / "bad.json").write_text('{"a": 1,\n')
    with pytest.raises(InputError, match=r"bad\.json: not valid JSON \(.* at line 2\)"):
        read_json(tmp_path / "bad.json")
    with pytest.raises(InputError, match=r"nope\.json: no such file"):
        read_json(tmp_path / "nope.json")


def test_parquet_read_a_few_columns_at_a_time_is_the_pandas_table(tmp_path, monkeypatch):
    from killipose import files

    frame = pd.DataFrame(
        {
            "frame": np.arange(50),
            "split": ["train"] * 40 + ["val"] * 10,
            "valid": np.arange(50) % 7 > 0,
            **{
                f"x_{k}": np.where(np.arange(50) % 9, np.arange(50) * 0.5 + k, np.nan)
                for k in range(5)
            },
        }
    )
    write_parquet(frame, tmp_path / "t.parquet")
    monkeypatch.setattr(files, "READ_CELLS", 120)  # two columns of 50 rows at a time
    read = []
    to_pandas = files.pq.ParquetFile.read
    monkeypatch.setattr(
        files.pq.ParquetFile, "read", lambda self, **k: read.append(k) or to_pandas(self, **k)
    )
    table = read_parquet(tmp_path / "t.parquet")
    assert [len(k["columns"]) for k in read] == [2, 2, 2, 2]
    pd.testing.assert_frame_equal(table, pd.read_parquet(tmp_path / "t.parquet"))
    pd.testing.assert_frame_equal(table, frame, check_dtype=False)


def test_parquet_stores_floats_plain_and_compresses_the_rest(tmp_path):
    """Measurements barely compress and every later step decodes them: plain is twice as
    fast both ways; labels and counts compress well."""
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x_snout": rng.normal(size=1000), "split": ["train"] * 1000})
    write_parquet(frame, tmp_path / "t.parquet")
    columns = pq.ParquetFile(tmp_path / "t.parquet").metadata.row_group(0)
    codecs = {columns.column(i).path_in_schema: columns.column(i).compression for i in range(2)}
    assert codecs == {"x_snout": "UNCOMPRESSED", "split": "ZSTD"}
    pd.testing.assert_frame_equal(read_parquet(tmp_path / "t.parquet"), frame)


def test_parquet_in_pieces_is_the_whole_table_and_no_piece_is_no_file(tmp_path):
    from killipose.files import read_parquet_pieces, write_parquet_parts

    frame = pd.DataFrame(
        {"frame": np.arange(1000), "split": pd.Categorical(["train"] * 800 + ["val"] * 200)}
    ).assign(x_snout=np.linspace(0, 1, 1000))
    parts = [frame.iloc[i : i + 300].reset_index(drop=True) for i in range(0, 1000, 300)]
    write_parquet_parts(iter(parts), tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(read_parquet(tmp_path / "t.parquet"), frame)
    pieces = list(read_parquet_pieces(tmp_path / "t.parquet", 256))
    assert len(pieces) >= 4 and max(len(p) for p in pieces) <= 256
    pd.testing.assert_frame_equal(pd.concat(pieces, ignore_index=True), frame)
    with pytest.raises(ValueError, match="no table to write"):
        write_parquet_parts([], tmp_path / "none.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.parquet"]
