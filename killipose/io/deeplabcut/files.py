"""DeepLabCut-layout files as a pandas table: the CSV's header rows, the H5's PyTables table.

Both give a table whose columns have the levels ``scorer``, (``individuals``),
``bodyparts``, ``coords``, and whose index holds the frames or labelled images; turning
it into :class:`~killipose.io.poses.Poses` is :mod:`killipose.io.deeplabcut.columns`.
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pandas as pd

from killipose.errors import InputError
from killipose.io.registry import HDF5_SIGNATURE, hdf5_text

#: The header rows of a DeepLabCut table, in the order they come.
LEVELS = ("scorer", "individuals", "bodyparts", "coords")
#: The key DeepLabCut stores its H5 table under.
H5_KEY = "/df_with_missing"


# --- CSV ---------------------------------------------------------------------------------


def _header_rows(path: Path, kind: str) -> tuple[list[str], int]:
    """The names of the header rows and the number of index columns of a CSV.

    A prediction file has one index column (the frame); DeepLabCut's newer labelled data
    three (``labeled-data``, video, image), left empty in the header rows.
    """
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    names: list[str] = []
    index_columns = 1
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as f:
            for _ in LEVELS:
                row = cells(f.readline().rstrip("\r\n"))
                if not row or row[0] not in LEVELS:
                    break
                if not names:
                    empty = next((i for i, c in enumerate(row[1:]) if c), len(row) - 1)
                    index_columns = 1 + empty
                names.append(row[0])
    except (OSError, EOFError) as err:
        raise InputError(f"{path}: cannot read the {kind} header ({err})") from None
    for needed in ("scorer", "bodyparts", "coords"):
        if needed not in names:
            raise InputError(
                f"{path}: looks like a {kind} but has no `{needed}` header row "
                f"(its header rows: {', '.join(names) or 'none'})"
            )
    if names != [level for level in LEVELS if level in names]:
        raise InputError(
            f"{path}: {kind} header rows in the order {', '.join(names)}, "
            f"expected {', '.join(level for level in LEVELS if level in names)}"
        )
    return names, index_columns


def read_csv(path: Path, kind: str) -> pd.DataFrame:
    """The table of a DeepLabCut-layout CSV, column levels named after its header rows."""
    names, index_columns = _header_rows(path, kind)
    try:
        table = pd.read_csv(
            path,
            header=list(range(len(names))),
            index_col=list(range(index_columns)) if index_columns > 1 else 0,
            low_memory=False,
        )
    except (ValueError, IndexError, OSError, EOFError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot read as a {kind} ({_first_line(err)})") from None
    table.columns = table.columns.set_names(names)
    return table


def cells(line: str) -> list[str]:
    """The fields of one CSV line, stripped (and without a byte-order mark)."""
    return [c.strip() for c in next(csv.reader([line.lstrip("\ufeff")]), [])]


# --- H5 ----------------------------------------------------------------------------------


def read_h5(path: Path) -> pd.DataFrame:
    """DeepLabCut's table from an H5 file (key ``df_with_missing``, or the only table)."""
    try:
        import tables
    except ImportError:
        raise InputError(
            f"{path}: reading DeepLabCut H5 files needs tables: pip install 'killipose[h5]'"
        ) from None
    errors = (OSError, ValueError, KeyError, TypeError, RuntimeError, AttributeError)
    try:
        with pd.HDFStore(path, mode="r") as store:
            keys = store.keys()
            if H5_KEY not in keys and len(keys) != 1:
                found = f"tables {', '.join(keys)}" if keys else "no pandas table"
                raise InputError(
                    f"{path}: has {found}; a DeepLabCut H5 file has one, "
                    f"under the key {H5_KEY.lstrip('/')}"
                )
            table = store.get(H5_KEY if H5_KEY in keys else keys[0])
    except (*errors, tables.exceptions.HDF5ExtError) as err:
        raise InputError(f"{path}: cannot read as a DeepLabCut H5 ({_first_line(err)})") from None
    if not isinstance(table, pd.DataFrame) or not isinstance(table.columns, pd.MultiIndex):
        raise InputError(
            f"{path}: the H5 table has no (scorer, bodyparts, coords) columns, "
            "so it is not a DeepLabCut file"
        )
    return table


def is_hdf5(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE
    except OSError:
        return False


def h5_holds_pose_table(path: Path) -> bool:
    """Whether an HDF5 file has a pandas-written frame with a ``coords`` column level.

    Looks at group attributes only (cheap). Without h5py, says yes: the reader then names
    the extra to install, which is also what a SLEAP analysis file would need.
    """
    try:
        import h5py
    except ImportError:
        return True
    try:
        with h5py.File(path, "r") as f:
            return any(
                isinstance(group, h5py.Group) and _pandas_frame_with_coords(group)
                for group in f.values()
            )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _pandas_frame_with_coords(group) -> bool:
    """A group pandas wrote with ``to_hdf`` (table or fixed) whose columns name ``coords``."""
    kind = hdf5_text(group.attrs.get("pandas_type"))
    if kind == "frame_table":  # the level names are in the pickled ``info``
        return b"coords" in bytes(group.attrs.get("info", b""))
    if kind == "frame":
        return any(
            hdf5_text(group[name].attrs.get("name")) == "coords"
            for name in group
            if name.startswith("axis0_level")
        )
    return False


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:200] if text else type(err).__name__
