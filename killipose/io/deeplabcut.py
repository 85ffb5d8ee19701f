"""DeepLabCut and Lightning Pose files: a table with (scorer, bodyparts, coords) columns.

DeepLabCut writes predictions and labels as a pandas table whose columns have the levels
``scorer``, ``bodyparts`` and ``coords`` (``x``, ``y`` in pixels and, for predictions,
``likelihood``); multi-animal projects add ``individuals`` before ``bodyparts``. A CSV
holds the levels as header rows and the frame number (or, for labelled data, the image)
in its first column(s); an H5 file holds the table as PyTables under the key
``df_with_missing``. Lightning Pose writes the same CSV with the scorer
``<model_type>_tracker`` (``heatmap_tracker``, ``heatmap_mhcrnn_tracker``), and its
Ensemble Kalman smoother (``ensemble-kalman_tracker``) adds coords such as ``x_ens_var``.
Neither has time stamps: set ``fps``.
"""

from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path

import numpy as np
import pandas as pd

from killipose.errors import InputError
from killipose.io.poses import Poses, three_d_error
from killipose.io.registry import HDF5_SIGNATURE, Format, register

#: The header rows of a DeepLabCut table, in the order they come.
LEVELS = ("scorer", "individuals", "bodyparts", "coords")
#: DeepLabCut's default ``pcutoff``: points below it are hidden in its own plots and
#: videos; Lightning Pose writes the same kind of likelihood.
MIN_LIKELIHOOD = 0.6
#: The key DeepLabCut stores its H5 table under.
H5_KEY = "/df_with_missing"
#: Lightning Pose names its scorer ``<model_type>_tracker``; DeepLabCut ``DLC_<net>...``
#: for predictions and the labeller's name for labels.
_LIGHTNING_POSE_SCORER = re.compile(r"_tracker$")
#: A labelled-data image: DeepLabCut names it after its frame in the video (img0042.png).
_IMAGE = re.compile(r"^(?:(?P<folder>.*)/)?[^/]*?(?P<frame>\d+)?\.(png|jpe?g|bmp|tiff?)$", re.I)
_XY = ("x", "y")


def read_deeplabcut(path: Path) -> Poses:
    """Read a DeepLabCut CSV or H5 file (predictions or labelled data).

    Parameters
    ----------
    path
        ``.csv``/``.csv.gz`` with the header rows ``scorer``, (``individuals``),
        ``bodyparts``, ``coords``, or ``.h5`` as DeepLabCut writes it (needs PyTables).

    Returns
    -------
    Poses with pixels, ``likelihood`` as confidence (default threshold 0.6, DeepLabCut's
    ``pcutoff``) when the file has it, and the frame numbers of the first column. A
    single-animal file has one individual, ``animal``.

    Notes
    -----
    Multi-animal files keep their individuals. Their *unique bodyparts* (DeepLabCut's
    individual ``single``: objects such as a nest, tracked once per frame) become an
    individual ``single``; its columns for the animals' bodyparts are empty, and the
    animals' for the unique bodyparts, so cleaning drops those as all-NaN. Labelled data
    (``CollectedData_<name>``) is read when its images come from one video: the frame
    numbers are those in the image names (``img0042.png`` is frame 42).

    Raises
    ------
    InputError
        One line: missing header rows, 3-D coords (``z``), non-numeric values, no
        data rows, an H5 file without DeepLabCut's table, PyTables not installed.
    """
    path = Path(path)
    if _is_hdf5(path):
        return _to_poses(_read_h5(path), path, "deeplabcut", "DeepLabCut H5")
    kind = "DeepLabCut CSV"
    return _to_poses(_read_csv(path, kind), path, "deeplabcut", kind)


def read_lightning_pose(path: Path) -> Poses:
    """Read a Lightning Pose predictions CSV (DeepLabCut's CSV layout, one animal).

    Coords other than ``x``, ``y`` and ``likelihood`` (the smoother's ``x_ens_var``...)
    and the ``set`` column of predictions on labelled frames are left out, with a note.
    Otherwise as :func:`read_deeplabcut`.
    """
    path = Path(path)
    kind = "Lightning Pose CSV"
    return _to_poses(_read_csv(path, kind), path, "lightning-pose", kind)


def sniff_deeplabcut(path: Path, head: bytes) -> bool:
    """A CSV whose first row is ``scorer`` and not Lightning Pose's, or a pandas H5 table."""
    if head.startswith(HDF5_SIGNATURE):
        return _h5_holds_pose_table(path)
    scorer = _scorer(head)
    return scorer is not None and not _LIGHTNING_POSE_SCORER.search(scorer)


def sniff_lightning_pose(path: Path, head: bytes) -> bool:
    """A CSV whose first row is ``scorer`` and whose scorer ends with ``_tracker``."""
    scorer = _scorer(head)
    return scorer is not None and bool(_LIGHTNING_POSE_SCORER.search(scorer))


def _scorer(head: bytes) -> str | None:
    """The scorer named in the first row when that row is ``scorer,...``, else ``None``."""
    line = head.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", errors="replace")
    cells = _cells(line)
    if not cells or cells[0] != "scorer":
        return None
    return next((c for c in cells[1:] if c), "")


def _cells(line: str) -> list[str]:
    """The fields of one CSV line, stripped (and without a byte-order mark)."""
    return [c.strip() for c in next(csv.reader([line.lstrip("\ufeff")]), [])]


def _is_hdf5(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE
    except OSError:
        return False


def _h5_holds_pose_table(path: Path) -> bool:
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
    kind = _text(group.attrs.get("pandas_type"))
    if kind == "frame_table":  # the level names are in the pickled ``info``
        return b"coords" in bytes(group.attrs.get("info", b""))
    if kind == "frame":
        return any(
            _text(group[name].attrs.get("name")) == "coords"
            for name in group
            if name.startswith("axis0_level")
        )
    return False


def _text(value) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


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
                cells = _cells(f.readline().rstrip("\r\n"))
                if not cells or cells[0] not in LEVELS:
                    break
                if not names:
                    empty = next((i for i, c in enumerate(cells[1:]) if c), len(cells) - 1)
                    index_columns = 1 + empty
                names.append(cells[0])
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


def _read_csv(path: Path, kind: str) -> pd.DataFrame:
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


def _read_h5(path: Path) -> pd.DataFrame:
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


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:200] if text else type(err).__name__


def _to_poses(table: pd.DataFrame, path: Path, source: str, kind: str) -> Poses:
    """Poses from a table with (scorer, [individuals,] bodyparts, coords) columns."""
    columns = _named_levels(table.columns, path, kind)
    coords = columns.get_level_values("coords").astype(str)
    if (coords == "z").any():
        raise three_d_error(path, "`z` in the coords row")
    used = np.asarray(coords.isin([*_XY, "likelihood"]))
    notes = _ignored_columns_note(columns[~used])
    columns, table = columns[used], table.loc[:, used]
    scorers = list(dict.fromkeys(columns.get_level_values("scorer").astype(str)))
    if len(scorers) > 1:
        raise InputError(f"{path}: columns of several scorers ({', '.join(scorers)}), expected one")
    if not (coords[used] == "x").any():
        raise InputError(f"{path}: no x and y columns in the {kind}'s coords row")
    if table.empty:
        raise InputError(f"{path}: has the {kind} header rows but no data rows")
    has_individuals = "individuals" in columns.names
    individual_of = (
        columns.get_level_values("individuals").astype(str)
        if has_individuals
        else pd.Index(["animal"] * len(columns))
    )
    bodypart_of = columns.get_level_values("bodyparts").astype(str)
    individuals = list(dict.fromkeys(individual_of))
    keypoints = list(dict.fromkeys(bodypart_of))
    position, confidence = _arrays(
        _numbers(table, path), individual_of, bodypart_of, coords[used], path, has_individuals
    )
    has_likelihood = confidence is not None
    frame, index_notes = _frames(table.index, path)
    notes += index_notes + _unique_bodyparts_note(individual_of, bodypart_of, has_individuals)
    if not has_likelihood:
        notes.append("no likelihood columns (labelled data?): every point is kept")
    return Poses(
        position=position,
        keypoints=keypoints,
        individuals=individuals,
        source=source,
        confidence=confidence,
        frame=frame,
        confidence_kind="likelihood" if has_likelihood else None,
        min_confidence=MIN_LIKELIHOOD if has_likelihood else None,
        notes=notes,
    )


def _arrays(
    values: np.ndarray, individual_of, bodypart_of, coords, path: Path, has_individuals: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """``(frames, individuals, keypoints, 2)`` pixels and the likelihoods (or ``None``).

    Each column of ``values`` goes to the cell its labels name; a pair the file has no
    columns for (an animal's unique bodypart) stays NaN. Every pair must have x and y, and
    likelihood too when any does.
    """
    individuals = list(dict.fromkeys(individual_of))
    keypoints = list(dict.fromkeys(bodypart_of))
    position = np.full((len(values), len(individuals), len(keypoints), 2), np.nan)
    confidence = np.full(position.shape[:-1], np.nan)
    seen: dict[tuple[str, str], set[str]] = {}
    for i, (who, part, coord) in enumerate(zip(individual_of, bodypart_of, coords, strict=True)):
        got = seen.setdefault((who, part), set())
        if coord in got:
            raise InputError(
                f"{path}: two `{coord}` columns for {_name(who, part, has_individuals)}"
            )
        got.add(coord)
        j, k = individuals.index(who), keypoints.index(part)
        if coord == "likelihood":
            confidence[:, j, k] = values[:, i]
        else:
            position[:, j, k, _XY.index(coord)] = values[:, i]
    has_likelihood = any("likelihood" in got for got in seen.values())
    wanted = {*_XY, "likelihood"} if has_likelihood else set(_XY)
    for (who, part), got in seen.items():
        if got != wanted:
            raise InputError(
                f"{path}: {_name(who, part, has_individuals)} has {', '.join(sorted(got))} "
                f"but no {', '.join(sorted(wanted - got))} column"
            )
    return position, confidence if has_likelihood else None


def _named_levels(columns: pd.Index, path: Path, kind: str) -> pd.MultiIndex:
    """The columns with levels named as DeepLabCut names them.

    Tables written without level names (by other tools) get them from their number:
    three levels are (scorer, bodyparts, coords), four add individuals.
    """
    if not isinstance(columns, pd.MultiIndex):
        raise InputError(f"{path}: the {kind} has no (scorer, bodyparts, coords) column levels")
    names = [None if n is None else str(n) for n in columns.names]
    if all(n is None for n in names) and columns.nlevels in (3, 4):
        return columns.set_names(
            LEVELS if columns.nlevels == 4 else ("scorer", "bodyparts", "coords")
        )
    missing = [level for level in ("scorer", "bodyparts", "coords") if level not in names]
    if missing:
        raise InputError(
            f"{path}: the {kind}'s column levels are ({', '.join(map(str, names))}), "
            f"without {', '.join(missing)}"
        )
    return columns


def _numbers(table: pd.DataFrame, path: Path) -> np.ndarray:
    """The table's values as float64 ``(rows, columns)``; names a non-number if there is one."""
    out = np.empty(table.shape, dtype=np.float64)
    for i, (label, values) in enumerate(table.items()):
        if not pd.api.types.is_numeric_dtype(values.dtype):
            converted = pd.to_numeric(values, errors="coerce")
            bad = np.asarray(converted.isna() & values.notna())
            if bad.any():
                row = int(bad.nonzero()[0][0])
                raise InputError(
                    f"{path}: column {'/'.join(map(str, label))} has non-numeric value "
                    f"{str(values.iloc[row])[:40]!r} in data row {row + 1}"
                )
            values = converted
        out[:, i] = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def _frames(index: pd.Index, path: Path) -> tuple[np.ndarray | None, list[str]]:
    """Frame numbers from the index column(s), and notes on how they were found.

    Predictions are indexed by frame number. Labelled data is indexed by image path
    (``labeled-data/<video>/img0042.png``, one column or three): its frames are the
    numbers in the image names, when the images come from one video.
    """
    if isinstance(index, pd.MultiIndex):
        labels = ["/".join(str(part) for part in row) for row in index]
    elif pd.api.types.is_integer_dtype(index.dtype):
        return index.to_numpy(np.int64), []
    else:
        labels = [str(value) for value in index]
    matches = [_IMAGE.match(label) for label in labels]
    if not all(matches):
        first = next(label for label, m in zip(labels, matches, strict=True) if not m)
        return None, [
            f"the first column holds {first[:40]!r}, not frame numbers: rows are taken as "
            "consecutive frames"
        ]
    folders = list(dict.fromkeys(m["folder"] or "." for m in matches))
    if len(folders) > 1:
        raise InputError(
            f"{path}: labelled images of {len(folders)} videos ({', '.join(folders[:3])}"
            f"{', ...' if len(folders) > 3 else ''}); killipose reads one recording at a "
            "time: use the CollectedData file of one video"
        )
    if any(m["frame"] is None for m in matches):
        return None, [
            f"rows are the {len(labels)} labelled images of {folders[0]}; their names have "
            "no frame numbers, so rows are taken as consecutive frames"
        ]
    return np.array([int(m["frame"]) for m in matches]), [
        f"rows are the {len(labels)} labelled images of {folders[0]}, frame numbers taken "
        f"from their names ({labels[0].rsplit('/', 1)[-1]} is frame {int(matches[0]['frame'])})"
    ]


def _unique_bodyparts_note(individual_of, bodypart_of, has_individuals: bool) -> list[str]:
    if not has_individuals or "single" not in set(individual_of):
        return []
    pairs = zip(individual_of, bodypart_of, strict=True)
    unique = list(dict.fromkeys(part for who, part in pairs if who == "single"))
    return [
        f"DeepLabCut's unique bodyparts ({', '.join(unique)}) are the individual `single`; "
        "the animals have no data for them"
    ]


def _ignored_columns_note(columns: pd.MultiIndex) -> list[str]:
    """A note naming the columns whose coords are not x, y or likelihood, if any."""
    if not len(columns):
        return []
    names = [
        "/".join(str(v) for v in column[1:] if str(v) and not str(v).startswith("Unnamed:"))
        or str(column[0])
        for column in columns
    ]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return [f"left out {len(names)} column(s) that are not x, y or likelihood: {shown}"]


def _name(individual: str, bodypart: str, has_individuals: bool) -> str:
    return f"bodypart {bodypart} of {individual}" if has_individuals else f"bodypart {bodypart}"


register(
    Format(
        name="deeplabcut",
        label="DeepLabCut CSV or H5",
        suffixes=(".csv", ".h5", ".hdf5", ".csv.gz"),
        sniff=sniff_deeplabcut,
        read=read_deeplabcut,
        # H5 files need PyTables, checked when one is read: the CSV files this format
        # also reads need nothing, and ``needs`` would be asked of every CSV.
        extra="h5",
    )
)
register(
    Format(
        name="lightning-pose",
        label="Lightning Pose predictions CSV",
        suffixes=(".csv",),
        sniff=sniff_lightning_pose,
        read=read_lightning_pose,
    )
)
