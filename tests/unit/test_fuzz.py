"""Property-based: a valid table corrupted at random either cleans or raises InputError.

Hypothesis corrupts the CSV of a small valid table: cells (text, non-finite and huge
numbers, empty), rows (deleted, duplicated, swapped, cut short) and raw bytes (changed,
deleted, inserted, the file truncated). Whatever it makes, reading and cleaning must
either succeed with a usable result or raise :class:`killipose.InputError`; anything else
is a bug. The input file is never changed.
"""

import hashlib
import string

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from killipose import InputError, clean_table, read_table
from tests.helpers import make_pose_table

N = 120  # 12 frames in each of val and test: a few lost rows already stop the run


def base_lines() -> list[bytes]:
    table = make_pose_table(N)
    table.insert(0, "frame_count", np.arange(N, dtype=float))
    return table.to_csv(index=False).encode().splitlines(keepends=True)


BASE = base_lines()
WIDTH = BASE[0].count(b",") + 1

cell_values = st.one_of(
    st.sampled_from(
        [b"", b"nan", b"NA", b"inf", b"-inf", b"1e308", b"-1e308", b"0", b"abc", b"1,5", b'"']
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: repr(f).encode()),
    st.text(max_size=8).map(lambda s: s.encode("utf-8", "surrogatepass")),
)

set_cell = st.tuples(st.just("cell"), st.integers(0, N), st.integers(0, WIDTH - 1), cell_values)
row_op = st.tuples(
    st.sampled_from(["delete row", "duplicate row", "swap rows", "cut row"]),
    st.integers(1, N),
    st.integers(1, N),
)
byte_op = st.tuples(
    st.sampled_from(["change byte", "delete bytes", "insert bytes", "truncate"]),
    st.integers(0, 10**6),
    st.one_of(
        st.text(string.printable, min_size=1, max_size=6).map(str.encode),
        st.binary(min_size=1, max_size=6),
    ),
)


def corrupt(ops) -> bytes:
    lines = list(BASE)
    byte_ops = []
    for op in ops:
        kind = op[0]
        if kind == "cell":
            _, row, col, value = op
            row = min(row, len(lines) - 1)
            fields = lines[row].rstrip(b"\n").split(b",")
            if col < len(fields):
                fields[col] = value
            lines[row] = b",".join(fields) + b"\n"
        elif kind in ("delete row", "duplicate row", "swap rows", "cut row"):
            _, i, j = op
            i, j = min(i, len(lines) - 1), min(j, len(lines) - 1)
            if kind == "delete row" and len(lines) > 1:
                del lines[i]
            elif kind == "duplicate row":
                lines.insert(j, lines[i])
            elif kind == "swap rows":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines[i] = lines[i][: j % max(len(lines[i]), 1)] + b"\n"
        else:
            byte_ops.append(op)
    data = b"".join(lines)
    for kind, at, payload in byte_ops:
        at %= len(data) + 1
        if kind == "change byte":
            data = data[:at] + payload[:1] + data[at + 1 :]
        elif kind == "delete bytes":
            data = data[:at] + data[at + len(payload) * 10 :]
        elif kind == "insert bytes":
            data = data[:at] + payload + data[at:]
        else:
            data = data[:at]
    return data


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,  # the same examples on every CI run; a found bug stays found
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=st.lists(st.one_of(set_cell, row_op, byte_op), min_size=1, max_size=5))
def test_corrupted_table_cleans_or_raises_input_error(tmp_path, ops):
    path = tmp_path / "fuzzed.csv"
    data = corrupt(ops)
    path.write_bytes(data)
    try:
        clean = clean_table(read_table(path))
    except InputError as err:
        message = str(err)
        assert message and "\n" not in message, message
        event(f"InputError: {message.split(': ', 1)[-1][:30]}")
    else:
        event("cleaned")
        X = clean.matrix()
        assert len(X) >= 30 and np.isfinite(X).all()
        assert np.isfinite(clean.frame["time_s"]).all()
        assert (np.diff(clean.frame["time_s"]) >= 0).all()
        assert np.isfinite(clean.stats.to_numpy()).all()
    assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(data).digest()
