"""The wide table: one row per frame, ``x_<name>``/``y_<name>`` columns, CSV or Parquet.

The format killipose writes and the default run reads (the killifish table). Read block
by block, so a 17M-frame CSV costs about the table's own memory.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from killipose.errors import InputError
from killipose.io.poses import to_numbers
from killipose.io.registry import check_file, read_head, reader

_XY = re.compile(r"^([xy])_(.+)$")


#: Columns with a meaning of their own; keypoint tables may have either or neither.
FRAME_COUNT, TIMESTAMP = "frame_count", "frame_timestamp"
_DELIMITERS = (",", ";", "\t", "|")
#: How much of a CSV is parsed at once (its text, then its columns, are held).
PIECE_BYTES = 64 << 20
LINE_BYTES = 1 << 20
#: An empty field is missing, in text columns too (so a typo is what an error names).
_CONVERT = pa_csv.ConvertOptions(strings_can_be_null=True)


def _sniff(path: Path, head: bytes) -> bool:
    """Any CSV or Parquet file: the wide reader names what is wrong with one."""
    return True


@reader(
    "wide",
    "wide table (x_<name>, y_<name> columns)",
    (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz", ".parquet", ".pq"),
    _sniff,
    keypoints=lambda path: keypoint_names(table_columns(path)),
    generic=True,
)
def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a keypoint table from CSV or Parquet and check it has keypoints.

    Parameters
    ----------
    path
        A ``.csv`` (optionally ``.gz``), ``.tsv`` or ``.parquet``/``.pq`` file with
        ``x_<name>`` and ``y_<name>`` columns in pixels, one row per frame. Optional
        ``frame_count`` and ``frame_timestamp`` (seconds, or a date-time) columns; other
        columns are kept.

    Returns
    -------
    DataFrame with every column as read; keypoint columns, ``frame_count`` and
    ``frame_timestamp`` are float64 (a date-time becomes seconds since 1970).
    ``attrs["read"]`` says what reading repaired: the CSV delimiter, taken from the
    header line (``,``, ``;``, tab or ``|``), and whether a truncated last line (fewer
    fields than the header, as left by an interrupted export) was dropped.

    Raises
    ------
    InputError
        The file is missing, empty, unreadable, not a table, has no data rows, has a
        malformed line other than the last, a non-numeric value in a number column,
        duplicate column names, or no ``x_``/``y_`` pair (or an ``x_`` without its ``y_``).
    """
    path = Path(path)
    check_file(path, "a CSV or Parquet file")
    _check_header(path)
    arrow, read_info = _read_arrow(path)
    names = [str(c) for c in arrow.column_names]
    duplicated = sorted({c for c in names if names.count(c) > 1})
    if duplicated:
        raise InputError(f"{path}: column {duplicated[0]!r} appears more than once")
    try:
        pairs = keypoint_names(names)
    except InputError as err:
        raise InputError(f"{path}: {err}") from None
    if not pairs:
        raise _no_keypoints(path, names, text="delimiter" in read_info)
    if arrow.num_rows == 0:
        raise InputError(f"{path}: no data rows, only a header")
    # Each column's Arrow memory is freed as it is converted, so the table is not held
    # twice; Arrow's allocator keeps freed pages until asked to give them back.
    table = arrow.to_pandas(self_destruct=True, split_blocks=True)
    del arrow
    pa.default_memory_pool().release_unused()
    numeric = [FRAME_COUNT, TIMESTAMP] + [f"{a}_{k}" for k in pairs for a in "xy"]
    for column in numeric:
        if column in table.columns:
            table[column] = _as_float(table[column], path, column)
    table.attrs["read"] = read_info
    return table


def _read_arrow(path: Path) -> tuple[pa.Table, dict]:
    """The file as an Arrow table, and what reading it repaired (``attrs["read"]``).

    Raises
    ------
    InputError
        Not a ``.csv``/``.tsv``/``.txt`` (optionally ``.gz``) or Parquet file, Arrow
        cannot read it, or a line other than the last has the wrong number of fields.
    """
    suffixes = [s.lower() for s in path.suffixes]
    bad_lines: list[str] = []
    read_info: dict = {}
    try:
        if suffixes and suffixes[-1] in (".parquet", ".pq"):
            arrow = pq.read_table(path)
        elif ".csv" in suffixes or ".tsv" in suffixes or ".txt" in suffixes:
            delimiter = "\t" if ".tsv" in suffixes else _sniff_delimiter(path)
            read_info["delimiter"] = delimiter
            arrow, bad_lines = _read_csv(path, delimiter)
        else:
            raise InputError(f"{path}: unknown table format, expected .csv or .parquet")
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, UnicodeDecodeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        first = first.replace(f"Could not open Parquet input source '{path}': ", "")
        raise InputError(f"{path}: cannot read table ({first[:200]})") from None
    if bad_lines and (len(bad_lines) > 1 or bad_lines[0] != _last_line(path)):
        raise InputError(
            f"{path}: {len(bad_lines)} line(s) do not have one field per column, "
            f"the first: {bad_lines[0][:80]!r}"
        )
    read_info["truncated_last_line_dropped"] = bool(bad_lines)
    return arrow, read_info


def _read_csv(path: Path, delimiter: str) -> tuple[pa.Table, list[str]]:
    """A CSV as an Arrow table, skipping the lines that do not have one field per column,
    and the text of those lines (a truncated last line is repaired, others are errors)."""
    bad_lines: list[str] = []

    def skip_and_remember(row) -> str:
        bad_lines.append(row.text)
        return "skip"

    parse_options = pa_csv.ParseOptions(delimiter=delimiter, invalid_row_handler=skip_and_remember)
    with _unraisable_kept_quiet():
        arrow = _read_csv_in_pieces(path, parse_options)
        if arrow is None:
            bad_lines.clear()
            arrow = pa_csv.read_csv(path, parse_options=parse_options, convert_options=_CONVERT)
    return arrow, bad_lines


def _no_keypoints(path: Path, names: list[str], text: bool) -> InputError:
    """The error for a table without ``x_``/``y_`` pairs; a text file whose header is one
    name is likely not split at its delimiter, which the message asks."""
    hint = ""
    if len(names) == 1 and text:
        hint = "; is it a table? the header line has no ',', ';', tab or '|'"
    return InputError(f"{path}: no keypoint columns (expected x_<name> and y_<name> pairs){hint}")


def _check_header(path: Path) -> None:
    """Refuse a table whose header has no keypoint columns before reading its rows.

    Cheap on any size, and no reader thread is started for a file that will be refused.
    A header that cannot be read, or has repeated names, is left to the full read, which
    names the problem.
    """
    try:
        names = table_columns(path)
    except InputError:
        return
    if len(set(names)) < len(names) or any(_XY.match(n) for n in names):
        return
    raise _no_keypoints(path, names, text=not path.name.lower().endswith((".parquet", ".pq")))


def _read_csv_in_pieces(path: Path, parse_options: pa_csv.ParseOptions) -> pa.Table | None:
    """Read a CSV in 64 MiB pieces cut at line ends, keypoint columns as float64; ``None``
    if it cannot be read so.

    ``pa_csv.read_csv`` holds the whole text of the file and the parsed table at once
    (~2x the CSV's size: 7 GB for a 17M-frame table), and its streaming reader parses on
    one thread (3x slower). Each piece is parsed by ``read_csv`` on all threads, so the
    peak is the table and a piece or two. The other columns' types come from the first
    piece, so a file whose later pieces disagree (a column empty at first, a non-number in
    a keypoint column) gives ``None``: read it whole, which also reports its errors as
    before.
    """
    try:
        pieces = list(_csv_pieces(path, parse_options))
    except NotInPieces:
        return None
    return pa.concat_tables(pieces) if pieces else None


class NotInPieces(Exception):
    """A table that :func:`killipose.io.pieces.read_pieces` cannot read piece by piece:
    read it whole."""


def _csv_pieces(path: Path, parse_options: pa_csv.ParseOptions) -> Iterator[pa.Table]:
    """The pieces of :func:`_read_csv_in_pieces`, one at a time; raises
    :class:`NotInPieces` where that gives ``None``."""
    packed = path.suffix.lower() == ".gz"
    opener = gzip.open if packed else open
    types = {c: pa.float64() for c in table_columns(path) if _XY.match(c)}
    read_options = pa_csv.ReadOptions(block_size=4 << 20)
    # One buffer, read into and parsed in place: copying the text costs as much as
    # parsing it on a slow memory bus. A small file gets a buffer of its size.
    size = PIECE_BYTES if packed else min(PIECE_BYTES, path.stat().st_size + 1)
    text = memoryview(bytearray(size))
    try:
        with opener(path, "rb") as f:
            kept = 0
            while True:
                filled = kept
                while filled < len(text) and (got := f.readinto(text[filled:])):
                    filled += got
                end = filled < len(text)
                start = max(0, filled - LINE_BYTES)
                cut = filled if end else start + bytes(text[start:filled]).rfind(b"\n") + 1
                if not end and cut == start:
                    raise NotInPieces  # a line longer than LINE_BYTES
                if cut:
                    convert = pa_csv.ConvertOptions(column_types=types, strings_can_be_null=True)
                    source = pa.py_buffer(text[:cut])
                    piece = pa_csv.read_csv(source, read_options, parse_options, convert)
                    del source
                    if not read_options.column_names:
                        # later pieces have no header: the first one's names and types
                        types = {field.name: field.type for field in piece.schema}
                        read_options.column_names = piece.column_names
                    yield piece
                    del piece
                if end:
                    break
                kept = filled - cut
                text[:kept] = bytes(text[cut:filled])
    except (pa.ArrowInvalid, InputError):
        raise NotInPieces from None


def _as_float(values: pd.Series, path: Path, column: str) -> pd.Series:
    """``values`` as float64: numbers as they are, date-times as epoch seconds."""
    if pd.api.types.is_float_dtype(values.dtype):
        return values.astype("float64")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = values.dt.tz_convert("UTC") if values.dt.tz is not None else values
        seconds = stamps.astype("datetime64[ns]").astype("int64").astype("float64") / 1e9
        return seconds.where(values.notna())
    if pd.api.types.is_bool_dtype(values.dtype) or not (
        pd.api.types.is_numeric_dtype(values.dtype)
        or pd.api.types.is_string_dtype(values.dtype)
        or values.dtype == object
    ):
        raise InputError(f"{path}: column {column} holds {values.dtype} values, expected numbers")
    try:
        converted = to_numbers(values, path, column)
    except InputError:
        raise
    except (TypeError, ValueError):
        raise InputError(f"{path}: column {column} does not hold numbers") from None
    return converted.astype("float64")


@contextlib.contextmanager
def _unraisable_kept_quiet() -> Iterator[None]:
    """Keep Python from printing errors raised inside pyarrow's callbacks.

    A line that is not UTF-8 makes pyarrow fail to decode it for ``invalid_row_handler``;
    Python would print that traceback, while the read itself fails with a clear error.
    """
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        yield
    finally:
        sys.unraisablehook = hook


def _sniff_delimiter(path: Path) -> str:
    """The most frequent of ``,``, ``;``, tab and ``|`` in the header line (``,`` if none).

    Raises
    ------
    InputError
        The start of the file is binary (a NUL byte) or not UTF-8 text.
    """
    head = read_head(path)  # empty if unreadable: the CSV reader names the problem
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        head = b"\0"
    if b"\0" in head:
        raise InputError(f"{path}: binary data, not a UTF-8 text table")
    header = head.split(b"\n", 1)[0]
    counts = {d: header.count(d.encode()) for d in _DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _last_line(path: Path) -> str:
    """The last non-empty line of a text file (read from its end)."""
    if path.suffix.lower() == ".gz":
        with gzip.open(path, "rb") as f:
            tail = b""
            while chunk := f.read(1 << 20):
                tail = (tail + chunk)[-65536:]
    else:
        with open(path, "rb") as f:
            f.seek(max(0, path.stat().st_size - 65536))
            tail = f.read()
    lines = tail.replace(b"\r\n", b"\n").rstrip(b"\n").split(b"\n")
    return lines[-1].decode("utf-8", errors="replace")


def table_columns(path: str | os.PathLike) -> list[str]:
    """Column names of a CSV or Parquet table, from its header alone (cheap on any size).

    Raises
    ------
    InputError
        The header cannot be read.
    """
    path = Path(path)
    suffixes = [s.lower() for s in path.suffixes]
    try:
        if suffixes and suffixes[-1] in (".parquet", ".pq"):
            return list(pq.read_schema(path).names)
        delimiter = "\t" if ".tsv" in suffixes else _sniff_delimiter(path)
        opener = gzip.open if suffixes and suffixes[-1] == ".gz" else open
        with opener(path, "rt", encoding="utf-8", newline="") as f:
            header = f.readline()
    except (pa.ArrowInvalid, OSError, EOFError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot read the header ({type(err).__name__})") from None
    return next(csv.reader([header], delimiter=delimiter), [])


def keypoint_names(columns) -> list[str]:
    """Names with both an ``x_<name>`` and a ``y_<name>`` column, in column order.

    Raises
    ------
    InputError
        An ``x_`` column has no ``y_`` partner or the other way round.
    """
    found: dict[str, set[str]] = {}
    for column in columns:
        match = _XY.match(str(column))
        if match:
            found.setdefault(match.group(2), set()).add(match.group(1))
    single = [f"{next(iter(axes))}_{name}" for name, axes in found.items() if len(axes) == 1]
    if single:
        raise InputError(f"column {single[0]} has no matching x_/y_ partner")
    return list(found)
