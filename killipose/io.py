"""Reading keypoint tables and writing results safely.

Every file a stage writes goes through :func:`atomic_path`: the data is written to a
temporary name beside the target and renamed only when complete, so an interrupted or
failed step never leaves a file that looks finished.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from killipose.errors import InputError

_XY = re.compile(r"^([xy])_(.+)$")


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a keypoint table from CSV or Parquet and check it has keypoints.

    Parameters
    ----------
    path
        A ``.csv`` (optionally ``.gz``) or ``.parquet``/``.pq`` file with ``x_<name>`` and
        ``y_<name>`` columns in pixels, one row per frame. Other columns are kept.

    Returns
    -------
    DataFrame with every column as read; keypoint columns are float64.

    Raises
    ------
    InputError
        The file is missing, unreadable, not a table, or has no ``x_``/``y_`` pair.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected a CSV or Parquet file")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: no permission to read")
    suffixes = [s.lower() for s in path.suffixes]
    try:
        if suffixes and suffixes[-1] in (".parquet", ".pq"):
            arrow = pq.read_table(path)
        elif ".csv" in suffixes or ".tsv" in suffixes or ".txt" in suffixes:
            delimiter = "\t" if ".tsv" in suffixes else ","
            arrow = pa_csv.read_csv(path, parse_options=pa_csv.ParseOptions(delimiter=delimiter))
        else:
            raise InputError(f"{path}: unknown table format, expected .csv or .parquet")
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, UnicodeDecodeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"{path}: cannot read table ({first})") from None
    table = arrow.to_pandas()
    try:
        pairs = keypoint_names(table.columns)
    except InputError as err:
        raise InputError(f"{path}: {err}") from None
    if not pairs:
        raise InputError(f"{path}: no keypoint columns (expected x_<name> and y_<name> pairs)")
    for name in pairs:
        for axis in "xy":
            column = f"{axis}_{name}"
            converted = pd.to_numeric(table[column], errors="coerce")
            bad = converted.isna() & table[column].notna()
            if bad.any():
                row = int(bad.to_numpy().nonzero()[0][0])
                raise InputError(
                    f"{path}: column {column} has non-numeric value {table[column].iloc[row]!r} "
                    f"in data row {row + 1}"
                )
            table[column] = converted.astype("float64")
    return table


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


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    On any error the temporary file is removed and ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        # mkstemp makes the file private (0600); results are for the whole lab to read.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(data: dict, path: str | os.PathLike) -> None:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n")


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``frame`` as Parquet (zstd), atomically."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, compression="zstd")


def read_json(path: str | os.PathLike) -> dict:
    """Read a JSON file written by killipose."""
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None
