"""Reading a wide table a piece of rows at a time, for cleaning a table larger than
memory (:mod:`killipose.cleaning.pieces`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from killipose.errors import InputError
from killipose.io.wide import (
    FRAME_COUNT,
    TIMESTAMP,
    NotInPieces,
    _as_float,
    _csv_pieces,
    _sniff_delimiter,
    _unraisable_kept_quiet,
    keypoint_names,
    table_columns,
)

__all__ = ["NotInPieces", "read_pieces"]


def read_pieces(path: str | os.PathLike, rows: int = 1 << 18) -> Iterator[pd.DataFrame]:
    """A CSV or Parquet table as :func:`read_table` reads it, a piece of rows at a time.

    Each piece (indexed from 0) has every column, converted as :func:`read_table` does,
    and its ``attrs``. A Parquet file comes ``rows`` rows at a time, a CSV in pieces of
    64 MiB of text. Raises :class:`NotInPieces`, before or while it reads, for a table
    that needs what only a whole read does: naming an error in the file (a missing or
    malformed file, a header without keypoints, a non-number in a keypoint column, no
    rows), or dropping a truncated last line. The pieces read so far are then as they
    would be, and :func:`read_table` reads it whole.
    """
    path = Path(path)
    suffixes = [s.lower() for s in path.suffixes]
    try:
        names = table_columns(path)
    except InputError:
        raise NotInPieces from None
    if len(set(names)) < len(names) or not names or not path.is_file():
        raise NotInPieces
    try:
        pairs = keypoint_names(names)
    except InputError:
        raise NotInPieces from None
    if not pairs:
        raise NotInPieces
    read_info: dict = {}
    bad_lines: list[str] = []
    if suffixes and suffixes[-1] in (".parquet", ".pq"):
        try:
            source = pq.ParquetFile(path, pre_buffer=False)  # see files.read_parquet_pieces
        except (pa.ArrowInvalid, OSError):
            raise NotInPieces from None
        batches = (pa.Table.from_batches([b]) for b in source.iter_batches(batch_size=rows))
    elif ".csv" in suffixes or ".tsv" in suffixes or ".txt" in suffixes:
        delimiter = "\t" if ".tsv" in suffixes else _sniff_delimiter(path)
        read_info["delimiter"] = delimiter

        def skip_and_remember(row) -> str:
            bad_lines.append(row.text)
            return "skip"

        options = pa_csv.ParseOptions(delimiter=delimiter, invalid_row_handler=skip_and_remember)
        batches = _csv_pieces(path, options)
    else:
        raise NotInPieces
    read_info["truncated_last_line_dropped"] = False
    read_info["format"] = "wide"
    numeric = [FRAME_COUNT, TIMESTAMP] + [f"{a}_{k}" for k in pairs for a in "xy"]
    rows_read = 0
    with _unraisable_kept_quiet():
        for arrow in batches:
            if bad_lines:
                raise NotInPieces
            if not arrow.num_rows:
                continue
            piece = arrow.to_pandas(split_blocks=True)
            del arrow
            for column in numeric:
                if column in piece.columns:
                    piece[column] = _as_float(piece[column], path, column)
            piece.attrs["read"] = dict(read_info)
            rows_read += len(piece)
            yield piece
    if bad_lines or not rows_read:
        raise NotInPieces
