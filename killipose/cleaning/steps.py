"""Cleaning steps on the matrix of kept keypoints: jumps, gaps, body frame, z-score.

Each step works on ``values``, float64 ``(frames, 2 * keypoints)`` pixels, column-major
(from :meth:`killipose.cleaning.points.Points.matrix`), and changes it in place one
column at a time: a copy per step would hold the matrix twice (1.4 GB more at 17M
frames; ``benchmarks/clean_memory.py``). What a step computes on a column is a pure
function of that column (:func:`single_frame_jumps`, :func:`short_gaps`,
:func:`train_statistics`), tested on its own.
"""

from __future__ import annotations

import numpy as np

from killipose.cleaning.provenance import recorded
from killipose.cleaning.table import POSE_COLUMNS
from killipose.errors import InputError
from killipose.posture import body_axis, egocentric
from killipose.split import SPLITS, block_split

#: The fewest usable frames each of train, val and test must have.
MIN_FRAMES_PER_SPLIT = 10
#: Every row (the default of the steps' ``counted``).
ALL = slice(None)


def single_frame_jumps(x: np.ndarray, y: np.ndarray, max_jump: float) -> np.ndarray:
    """Per frame: point ``(x, y)`` is more than ``max_jump`` pixels from both neighbours.

    A tracker that jumps to a wrong spot for one frame and comes back leaves exactly
    that. Exactly ``max_jump`` away is not a jump; the first and last frames, and a
    frame next to a missing one, have no two neighbours to compare and never are.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # inf for absurd values: far
        step = np.hypot(np.diff(x), np.diff(y))  # pixels; NaN next to a missing value
    far = step > max_jump  # NaN is not far
    jumps = np.zeros(len(x), dtype=bool)
    jumps[1:-1] = far[:-1] & far[1:]
    return jumps


@recorded("remove single-frame jumps")
def remove_jumps(
    values: np.ndarray, keypoints: list[str], counted: slice = ALL, *, max_jump: float
) -> tuple[np.ndarray, dict]:
    """Set each keypoint's single-frame jumps (:func:`single_frame_jumps`) missing, in place.

    Returns, per frame, whether a keypoint jumped there; ``values_removed`` (x and y of
    each jump) and the jumps ``per_keypoint``, in the rows ``counted`` (all; a piece of
    a table counts its own rows, not the neighbours it was given to see jumps at its
    edges).
    """
    had_jump = np.zeros(len(values), dtype=bool)
    per_keypoint = {}
    for i, k in enumerate(keypoints):
        x, y = values[:, 2 * i], values[:, 2 * i + 1]
        jumps = single_frame_jumps(x, y, max_jump)
        x[jumps] = np.nan
        y[jumps] = np.nan
        per_keypoint[k] = int(jumps[counted].sum())
        had_jump |= jumps
    changes = {"values_removed": 2 * sum(per_keypoint.values()), "per_keypoint": per_keypoint}
    return had_jump, changes


def short_gaps(column: np.ndarray, max_gap: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Linear interpolation over the NaN runs of at most ``max_gap`` rows.

    A run is filled only with a value on both sides: a run at the first or the last row
    stays missing (nothing to interpolate towards). ``max_gap`` 0 fills nothing.

    Returns
    -------
    The rows to fill, their values, and the number of runs they make.
    """
    nothing = np.empty(0, dtype=np.intp), np.empty(0), 0
    nan = np.isnan(column)
    if not nan.any() or max_gap == 0:
        return nothing
    edges = np.diff(np.concatenate([[0], nan.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    fill = (starts > 0) & (ends < len(column)) & (ends - starts <= max_gap)
    if not fill.any():
        return nothing
    marks = np.zeros(len(column) + 1, dtype=np.int32)
    np.add.at(marks, starts[fill], 1)
    np.add.at(marks, ends[fill], -1)
    todo = np.flatnonzero(np.cumsum(marks[:-1]) > 0)
    known = np.flatnonzero(~nan)
    return todo, np.interp(todo, known, column[known]), int(fill.sum())


@recorded("interpolate gaps of <= {max_gap} frames")
def fill_gaps(values: np.ndarray, counted: slice = ALL, *, max_gap: int) -> tuple[np.ndarray, dict]:
    """Fill each column's :func:`short_gaps`, in place; returns ``values``.

    Gaps are counted in rows: a frame the camera dropped is not a row, so not a gap.
    ``gaps_filled`` counts the gaps that start in the rows ``counted``, and
    ``values_filled`` the values filled there (all rows; see :func:`remove_jumps`).
    """
    gaps_filled = values_filled = 0
    start, stop, _ = counted.indices(len(values))
    for j in range(values.shape[1]):
        rows, filled, gaps = short_gaps(values[:, j], max_gap)
        values[rows, j] = filled
        if (start, stop) != (0, len(values)):
            # A gap is a run of consecutive rows; it starts where the row before is known.
            firsts = rows[np.diff(rows, prepend=-2) != 1]
            gaps = int(((firsts >= start) & (firsts < stop)).sum())
            rows = rows[(rows >= start) & (rows < stop)]
        gaps_filled += gaps
        values_filled += len(rows)
    return values, {"gaps_filled": gaps_filled, "values_filled": values_filled}


@recorded("rotate each frame to the body frame (egocentric)")
def to_body_frame(
    values: np.ndarray, keypoints: list[str], *, origin: str, axis: tuple[str, str] | None
) -> tuple[dict[str, np.ndarray], dict]:
    """Move each frame's ``origin`` to (0, 0) and turn ``axis`` to +x, in place.

    See :func:`killipose.posture.egocentric`. Returns the :data:`POSE_COLUMNS` (the
    origin in arena pixels and the heading in radians, NaN where a reference point is
    missing); the ``origin`` and resolved ``axis`` used, and the
    ``frames_without_body_frame``.
    """
    n = len(values)
    # A (frames, keypoints, 2) view of the column-major matrix, turned in place.
    xy = values.T.reshape(len(keypoints), 2, n).transpose(2, 0, 1)
    _, position, heading = egocentric(xy, keypoints, origin, axis, out=xy)
    changes = {
        "origin": origin,
        "axis": list(body_axis(keypoints, origin, axis)),
        "frames_without_body_frame": int(np.isnan(heading).sum()),
    }
    return dict(zip(POSE_COLUMNS, (*position.T, heading), strict=True)), changes


@recorded("exclude frames still missing a keypoint")
def exclude_missing(values: np.ndarray) -> tuple[np.ndarray, dict]:
    """Per frame, whether every value is there (usable for fitting); ``frames_excluded``."""
    valid = np.ones(len(values), dtype=bool)
    for j in range(values.shape[1]):
        valid &= ~np.isnan(values[:, j])
    return valid, {"frames_excluded": int((~valid).sum())}


def split_frames(valid: np.ndarray, fractions: tuple[float, float, float]) -> np.ndarray:
    """Contiguous train/val/test blocks of the rows (:func:`killipose.block_split`).

    Stops with an InputError when a split has fewer than ``MIN_FRAMES_PER_SPLIT`` usable
    (``valid``) frames.
    """
    split = block_split(len(valid), fractions)
    check_split_sizes({s: int((valid & (split == s)).sum()) for s in SPLITS}, len(valid))
    return split


def normalise(
    values: np.ndarray,
    mean: np.ndarray,
    std: np.ndarray,
    valid: np.ndarray,
    columns: list[str],
    frame: np.ndarray,
) -> None:
    """Z-score each column of ``values`` with ``mean`` and ``std``, in place; rows not
    ``valid`` become NaN. ``frame`` is each row's input row (from 0).

    Models train in float32, where a value no pose could have would silently become inf:
    stops with an InputError naming the first row and column of one.
    """
    too_far = []  # (row, column, pixels) of the first such value in each column
    for j in range(values.shape[1]):
        column = values[:, j]
        normalised = (column - mean[j]) / std[j]
        normalised[~valid] = np.nan
        huge = np.abs(normalised) > np.finfo(np.float32).max / 1e3
        if huge.any():
            row = int(huge.argmax())
            too_far.append((row, j, column[row]))
        column[:] = normalised
    if too_far:
        row, j, pixels = min(too_far)
        raise InputError(
            f"column {columns[j]}: value {pixels:.3g} in data row {1 + frame[row]} is too "
            "far from the rest to be a position; check the table"
        )


def check_split_sizes(usable: dict[str, int], rows: int) -> None:
    """Stop with an InputError when a split has fewer than ``MIN_FRAMES_PER_SPLIT``
    ``usable`` frames (per split, of ``rows`` in all)."""
    for s in SPLITS:
        if usable[s] < MIN_FRAMES_PER_SPLIT:
            raise InputError(
                f"too few usable frames: {usable[s]} in the {s} split "
                f"(need {MIN_FRAMES_PER_SPLIT}; {sum(usable.values())} of {rows} frames "
                "are usable)"
            )


def train_statistics(
    values: np.ndarray, train: np.ndarray, columns: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Per column, the mean and standard deviation (pixels) of the ``train`` rows.

    A constant column gets standard deviation 1, so that it z-scores to 0, not NaN.
    Stops with an InputError naming the column when the values overflow.
    """
    mean, std = np.empty(len(columns)), np.empty(len(columns))
    for j in range(values.shape[1]):
        in_train = values[train, j]
        with np.errstate(over="ignore", invalid="ignore"):
            mean[j], std[j] = in_train.mean(), in_train.std()
        if not (np.isfinite(mean[j]) and np.isfinite(std[j])):
            raise overflow_error(columns[j], np.abs(in_train).max())
    std[std == 0] = 1.0
    return mean, std


def overflow_error(column: str, largest: float) -> InputError:
    """The error for a column whose training statistics overflow; ``largest``: its
    largest magnitude."""
    return InputError(
        f"column {column}: values too large to normalise (largest {largest:.3g}); check the table"
    )


@recorded("z-score with train statistics")
def zscore(
    values: np.ndarray,
    valid: np.ndarray,
    columns: list[str],
    frame: np.ndarray,
    *,
    fractions: tuple[float, float, float],
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], dict]:
    """Z-score each column with the :func:`train_statistics` of the valid training rows.

    In place; rows not ``valid`` become NaN. The rows are split by :func:`split_frames`
    with ``fractions``; ``frame`` (each row's input row, from 0) names the row of a value
    no pose could have. Returns the split of each row, the mean and standard deviation
    (pixels) of each column, and the usable ``frames`` per split.
    """
    split = split_frames(valid, fractions)
    mean, std = train_statistics(values, valid & (split == "train"), columns)
    normalise(values, mean, std, valid, columns, frame)
    frames = {s: int((valid & (split == s)).sum()) for s in SPLITS}
    return (split, mean, std), {"frames": frames}
