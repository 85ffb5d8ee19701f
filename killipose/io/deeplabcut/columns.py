"""A DeepLabCut-layout table as :class:`~killipose.io.poses.Poses`.

The columns' levels (scorer, [individuals,] bodyparts, coords) say where each column's
values go; the index holds frame numbers (predictions) or image paths (labelled data).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from killipose.errors import InputError
from killipose.io.deeplabcut.files import LEVELS
from killipose.io.poses import Poses, three_d_error, to_numbers

#: DeepLabCut's default ``pcutoff``: points below it are hidden in its own plots and
#: videos; Lightning Pose writes the same kind of likelihood.
MIN_LIKELIHOOD = 0.6
#: A labelled-data image: DeepLabCut names it after its frame in the video (img0042.png).
_IMAGE = re.compile(r"^(?:(?P<folder>.*)/)?[^/]*?(?P<frame>\d+)?\.(png|jpe?g|bmp|tiff?)$", re.I)
_XY = ("x", "y")


def to_poses(table: pd.DataFrame, path: Path, source: str, kind: str) -> Poses:
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
        position,
        keypoints,
        individuals,
        source,
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
            values = to_numbers(values, path, "/".join(map(str, label)))
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
