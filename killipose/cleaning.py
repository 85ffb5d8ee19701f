"""Cleaning a keypoint table: drop untracked keypoints, repair short gaps, normalise.

Each step is a small pure function on arrays; :func:`clean_table` runs them in order and
records, like a provenance log, what each step was given and what it changed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from killipose.errors import InputError
from killipose.files import read_json, write_json, write_parquet
from killipose.io import CONFIDENCE, FRAME_COUNT, TIMESTAMP, keypoint_names
from killipose.posture import CENTROID, body_axis, egocentric, to_arena
from killipose.split import SPLITS, block_split

#: Where an egocentric table keeps what :func:`killipose.posture.egocentric` took out of
#: each frame: the origin in arena pixels and the heading in radians.
POSE_COLUMNS = ("origin_x", "origin_y", "heading")
#: Columns of a cleaned table that are not features (the :data:`POSE_COLUMNS` only in the
#: egocentric frame).
META_COLUMNS = ("frame", "time_s", "split", "valid", *POSE_COLUMNS)
#: The coordinate frames :func:`clean_table` can put the keypoints in.
FRAMES = ("world", "egocentric")
MIN_FRAMES_PER_SPLIT = 10


@dataclass
class CleanTable:
    """A cleaned, normalised keypoint table.

    Attributes
    ----------
    frame
        One row per frame, in frame order: ``frame`` (the row's number in the input
        table, from 0), ``time_s`` (seconds since the first frame), ``split``
        (train/val/test), ``valid`` (usable for fitting), in the egocentric frame
        ``origin_x``, ``origin_y`` (arena pixels) and ``heading`` (radians) of the body
        frame, then the feature columns ``x_<kp>``/``y_<kp>`` in normalised units
        (z-scores; NaN where the frame is not valid).
    stats
        Per-feature ``mean`` and ``std`` in pixels, from the valid training frames.
    report
        What each cleaning step did (JSON-ready).
    """

    frame: pd.DataFrame
    stats: pd.DataFrame
    report: dict = field(default_factory=dict)

    def __post_init__(self):
        self.report.setdefault("kind", "pose")  # see killipose.datasets

    @property
    def features(self) -> list[str]:
        """Feature column names, in body order."""
        return [c for c in self.frame.columns if c not in META_COLUMNS]

    @property
    def meta(self) -> list[str]:
        """The non-feature columns present (frame, time_s, split, valid, pose)."""
        return [c for c in META_COLUMNS if c in self.frame.columns]

    @property
    def is_egocentric(self) -> bool:
        """Whether the features are postures in the body frame (see :func:`clean_table`)."""
        return POSE_COLUMNS[-1] in self.frame.columns

    @property
    def keypoints(self) -> list[str]:
        """Keypoint names, in body order."""
        return [c[2:] for c in self.features[::2]]

    @property
    def fps(self) -> float:
        """Frames per second, as estimated from the timestamps."""
        return float(self.report["fps"])

    def matrix(self, split: str | None = None) -> np.ndarray:
        """Valid frames of one split (or all) as float32 ``(frames, features)``, normalised."""
        rows = self.frame["valid"].to_numpy()
        if split is not None:
            rows = rows & (self.frame["split"].to_numpy() == split)
        return self.frame.loc[rows, self.features].to_numpy(np.float32)

    def to_pixels(self, X: np.ndarray) -> np.ndarray:
        """Undo the normalisation: normalised units -> pixels (posture pixels if egocentric)."""
        return X * self.stats["std"].to_numpy() + self.stats["mean"].to_numpy()

    def to_arena(self, pixels: np.ndarray, rows) -> np.ndarray:
        """Pixels of the frames ``rows`` (from :meth:`to_pixels`) back in the arena.

        Parameters
        ----------
        pixels
            ``(frames, features)`` or ``(frames, keypoints, 2)`` pixels, one frame per row
            of ``rows``: the table's own frames or a model's reconstruction of them.
        rows
            Which rows of :attr:`frame` the pixels belong to, by position: a boolean mask
            over all rows (such as ``frame["valid"]``, the rows of :meth:`matrix`), integer
            positions, or a slice.

        Returns
        -------
        float64 arena pixels, the shape of ``pixels``. In the world frame, ``pixels`` as
        they are; in the egocentric frame, rotated by each frame's ``heading`` and moved
        to its ``origin_x``, ``origin_y`` (NaN where the frame had no body frame).
        """
        pixels = np.asarray(pixels, dtype=np.float64)
        if not self.is_egocentric:
            return pixels
        pose = self.frame[list(POSE_COLUMNS)].to_numpy(np.float64)[rows]
        if len(pose) != len(pixels):
            raise ValueError(f"{len(pixels)} frames of pixels for {len(pose)} rows")
        arena = to_arena(pixels.reshape(len(pixels), -1, 2), pose[:, :2], pose[:, 2])
        return arena.reshape(pixels.shape)

    def save(self, outdir: str | os.PathLike) -> None:
        """Write ``outdir/table.parquet`` and ``outdir/report.json``."""
        write_parquet(self.frame, Path(outdir) / "table.parquet")
        write_json(self.report, Path(outdir) / "report.json")


def load_clean(outdir: str | os.PathLike) -> CleanTable:
    """Read a cleaned table written by :meth:`CleanTable.save`."""
    outdir = Path(outdir)
    report = read_json(outdir / "report.json")
    try:
        frame = pd.read_parquet(outdir / "table.parquet")
    except FileNotFoundError:
        raise InputError(f"{outdir / 'table.parquet'}: no such file") from None
    stats = pd.DataFrame(report["normalisation"]).T[["mean", "std"]].astype(float)
    return CleanTable(
        frame=frame, stats=stats.loc[[c for c in frame.columns if c in stats.index]], report=report
    )


def clean_table(
    table: pd.DataFrame,
    max_nan_fraction: float = 0.5,
    max_gap: int = 10,
    max_jump: float = 30.0,
    keypoints: list[str] | None = None,
    fps: float | None = None,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    min_confidence: float | None = None,
    frame: str = "world",
    origin: str = CENTROID,
    axis: tuple[str, str] | None = None,
) -> CleanTable:
    """Clean a keypoint table read by :func:`killipose.read_table`.

    Steps, in order: (0) put rows in frame order and drop duplicated frames (see Notes);
    (1) set non-finite values to NaN, and points whose ``confidence_<kp>`` is below
    ``min_confidence`` too; (2) drop keypoints whose ``x`` or
    ``y`` column is NaN in more than ``max_nan_fraction`` of frames (all-NaN ones always);
    (3) remove single-frame jumps: a keypoint more than ``max_jump`` pixels away from
    both the frame before and after is set to NaN; (4) fill gaps of at most ``max_gap``
    frames by linear interpolation; (4b) with ``frame="egocentric"``, translate and rotate
    each frame into the body frame (see Notes); (5) mark frames that still have a NaN as
    not valid; (6) split rows into contiguous train/val/test blocks; (7) z-score each
    column with the mean and standard deviation of the valid training frames.

    Parameters
    ----------
    table
        Input table, one row per frame, with ``x_<kp>``/``y_<kp>`` columns in pixels.
    max_nan_fraction
        Largest fraction of missing frames a keypoint may have and be kept, 0..1.
    max_gap
        Longest gap (frames) that is interpolated; longer gaps are excluded from fitting.
    max_jump
        Plausible largest displacement of a keypoint between frames, pixels.
    keypoints
        Keypoints to use, in this order; ``None`` takes every pair found.
    fps
        Frame rate; ``None`` estimates it from ``frame_timestamp`` (seconds).
    fractions
        Train/val/test shares of the rows.
    min_confidence
        Points whose tracker confidence (``confidence_<kp>`` column) is below this become
        missing before jumps and gaps are handled; ``None`` takes the format's default
        from ``table.attrs["confidence"]`` (0.6 for DeepLabCut and Lightning Pose
        likelihoods, none for SLEAP scores), 0 keeps every point. Ignored when the table
        has no confidence columns.
    frame
        ``"world"``: keypoints as tracked, in arena pixels. ``"egocentric"``: each frame
        moved so that ``origin`` is at (0, 0) and rotated so that ``axis`` points along
        +x, as keypoint-MoSeq and VAME do; the features are then the posture alone.
    origin
        ``"centroid"`` (the mean of the kept keypoints) or a kept keypoint's name.
    axis
        Two kept keypoints (or ``"centroid"``) ``(from, to)`` whose vector is turned to
        +x; ``None``: from ``origin`` to the first kept keypoint (the head in body order).
        See :func:`killipose.posture.egocentric`.

    Returns
    -------
    CleanTable

    Notes
    -----
    Row repairs, each counted in ``report["rows"]``: rows are ordered by ``frame_count``
    (by ``frame_timestamp`` when there is no ``frame_count``; a row with a missing count
    stays after the row before it); rows out of order are sorted (stable). A row with the
    same count as the one before is dropped, the first kept: an *exact duplicate* when
    its timestamp and keypoints match too, a *conflicting duplicate* otherwise. When
    timestamps still go backwards (or are missing or infinite), the time axis is taken
    from ``frame_count`` (or the row number) and ``fps`` instead, and the report says so.

    Gaps are counted in rows. A frame the camera dropped (a missing ``frame_count``) is
    not a row, so it is not a gap: the neighbours are joined as if consecutive.
    A table from :func:`killipose.make_killifish_table` carries ``attrs["synthetic"]``;
    the report copies it (``None`` for real data).

    Memory: the steps work one column at a time, in place, so cleaning holds the input
    table, the output (8 bytes per feature and frame, plus ``frame``, ``time_s``,
    ``split``, ``valid``) and a few column-sized arrays; ``benchmarks/clean_memory.py``
    measures it (5 GB for 17M frames).

    Egocentric frame: the body frame is set after gaps are filled, on the kept keypoints
    in pixels, so it uses repaired points; a frame still missing a reference point is
    not valid. What it removes is kept in ``origin_x``, ``origin_y`` (arena pixels, NaN
    where undefined) and ``heading`` (radians from +x towards +y, y growing downwards as
    in the image); :meth:`CleanTable.to_arena` puts any pixels of the table's frames,
    such as a model's reconstruction, back in the arena. Pixel errors are the same in
    both frames, as the rotation keeps distances.
    """
    if frame not in FRAMES:
        raise InputError(f"clean.frame must be one of {', '.join(FRAMES)}, got {frame!r}")
    if not 0 <= max_nan_fraction <= 1:
        raise InputError(f"clean.max_nan_fraction must be in [0, 1], got {max_nan_fraction}")
    if max_gap < 0:
        raise InputError(f"clean.max_gap must be >= 0 frames, got {max_gap}")
    if max_jump <= 0:
        raise InputError(f"clean.max_jump must be > 0 pixels, got {max_jump}")
    found = keypoint_names(table.columns)
    if keypoints is None:
        keypoints = found
    missing = [k for k in keypoints if k not in found]
    if missing:
        raise InputError(
            f"keypoints: {missing[0]!r} is not in the table (found: {', '.join(found)})"
        )
    if not keypoints:
        raise InputError("no keypoint columns (expected x_<name> and y_<name> pairs)")
    if frame == "egocentric":
        body_axis(keypoints, origin, axis)  # bad names stop here, before any work
    columns = [f"{a}_{k}" for k in keypoints for a in "xy"]
    threshold, confidence_report = _confidence_threshold(table, keypoints, min_confidence)
    rows, row_report = _repair_rows(table, columns)
    n = len(table) if rows is None else len(rows)
    if n == 0:
        raise InputError("the table has no rows")
    report: dict = {
        "input_frames": len(table),
        "read": table.attrs.get("read"),
        "rows": row_report,
        "synthetic": table.attrs.get("synthetic"),
        "parameters": {
            "max_nan_fraction": max_nan_fraction,
            "max_gap": max_gap,
            "max_jump_px": max_jump,
            "split_fractions": list(fractions),
            "min_confidence": threshold,
            "frame": frame,
            "origin": origin if frame == "egocentric" else None,
            "axis": (list(axis) if axis is not None else None) if frame == "egocentric" else None,
        },
        "confidence": confidence_report,
    }
    steps: list[dict] = []
    if report["read"]:
        steps.append({"step": "read the file"} | report["read"])
    steps.append({"step": "order rows by frame, drop repeated frames"} | row_report)

    # Every step below works on one column at a time and in place, so memory stays at
    # the output matrix plus a few column-sized arrays however long the table is.
    non_finite = np.zeros(len(columns), dtype=np.int64)
    nan_fraction = np.ones(len(columns))
    for j, c in enumerate(columns):
        column = _in_row_order(table, c, rows)
        non_finite[j] = np.isinf(column).sum()
        missing = ~np.isfinite(column)
        if threshold is not None:
            missing |= _low_confidence(table, c[2:], rows, threshold)
        nan_fraction[j] = missing.mean()
    steps.append({"step": "set non-finite values to NaN", "values_changed": int(non_finite.sum())})
    if threshold is not None:
        masked = {k: int(_low_confidence(table, k, rows, threshold).sum()) for k in keypoints}
        confidence_report["masked_per_keypoint"] = masked
        confidence_report["masked_points"] = sum(masked.values())
        steps.append(
            {
                "step": f"set points with confidence < {threshold:g} missing",
                "points_masked": sum(masked.values()),
                "per_keypoint": masked,
            }
        )

    report["nan_fraction"] = {
        c: round(float(f), 6) for c, f in zip(columns, nan_fraction, strict=True)
    }
    kp_nan = nan_fraction.reshape(-1, 2).max(axis=1)
    dropped = {}
    for k, f in zip(keypoints, kp_nan, strict=True):
        if f >= 1.0:
            dropped[k] = "all NaN"
        elif f > max_nan_fraction:
            dropped[k] = f"NaN in {f:.1%} of frames > max_nan_fraction {max_nan_fraction}"
    kept = [k for k in keypoints if k not in dropped]
    if not kept:
        raise InputError(
            "every keypoint is missing in more than max_nan_fraction of frames; nothing to fit"
        )
    if frame == "egocentric":
        for key, name in [("clean.origin", origin)] + [("clean.axis", k) for k in axis or ()]:
            if name in dropped:
                raise InputError(
                    f"{key}: keypoint {name!r} was dropped ({dropped[name]}); "
                    f"use a kept one: {', '.join(kept)}, or {CENTROID!r}"
                )
    columns = [f"{a}_{k}" for k in kept for a in "xy"]
    report["dropped_columns"] = {f"{a}_{k}": why for k, why in dropped.items() for a in "xy"}
    steps.append({"step": "drop mostly-missing keypoints", "dropped": list(dropped)})

    # Column-major: each feature is contiguous, and becomes a DataFrame column as it is.
    values = np.empty((n, len(columns)), order="F")
    had_non_finite = np.zeros(n, dtype=bool)
    for j, c in enumerate(columns):
        column = values[:, j]
        column[:] = _in_row_order(table, c, rows)
        infinite = np.isinf(column)
        column[infinite] = np.nan
        had_non_finite |= infinite
        if threshold is not None:
            column[_low_confidence(table, c[2:], rows, threshold)] = np.nan

    had_jump = np.zeros(n, dtype=bool)
    per_keypoint = {}
    for i, k in enumerate(kept):
        x, y = values[:, 2 * i], values[:, 2 * i + 1]
        jumps = _single_frame_jumps(x, y, max_jump)
        x[jumps] = np.nan
        y[jumps] = np.nan
        per_keypoint[k] = int(jumps.sum())
        had_jump |= jumps
    jump_values = 2 * sum(per_keypoint.values())
    steps.append(
        {
            "step": "remove single-frame jumps",
            "values_removed": jump_values,
            "per_keypoint": per_keypoint,
        }
    )

    gaps_filled = values_filled = 0
    for j in range(values.shape[1]):
        g, v = _fill_short_gaps(values[:, j], max_gap)
        gaps_filled += g
        values_filled += v
    steps.append(
        {
            "step": f"interpolate gaps of <= {max_gap} frames",
            "gaps_filled": gaps_filled,
            "values_filled": values_filled,
        }
    )

    pose_columns = {}
    if frame == "egocentric":
        # A (frames, keypoints, 2) view of the column-major matrix, turned in place.
        xy = values.T.reshape(len(kept), 2, n).transpose(2, 0, 1)
        _, position, heading = egocentric(xy, kept, origin, axis, out=xy)
        without = int(np.isnan(heading).sum())
        pose_columns = dict(zip(POSE_COLUMNS, (*position.T, heading), strict=True))
        steps.append(
            {
                "step": "rotate each frame to the body frame (egocentric)",
                "origin": origin,
                "axis": list(body_axis(kept, origin, axis)),
                "frames_without_body_frame": without,
            }
        )

    valid = np.ones(n, dtype=bool)
    for j in range(values.shape[1]):
        valid &= ~np.isnan(values[:, j])
    excluded = int((~valid).sum())
    steps.append({"step": "exclude frames still missing a keypoint", "frames_excluded": excluded})
    report["gaps_filled"] = gaps_filled
    report["values_filled"] = values_filled
    # Why each excluded frame is still missing a keypoint: it was in a gap longer than
    # max_gap, whose values were NaN in the input, non-finite, or jumps.
    excluded_rows = ~valid
    report["frames_excluded"] = {
        "total": excluded,
        "with_a_jump": int((excluded_rows & had_jump).sum()),
        "with_a_non_finite_value": int((excluded_rows & had_non_finite).sum()),
        "non_finite_values_set_to_nan": int(non_finite.sum()),
        "jump_values_removed": jump_values,
    }

    split = block_split(n, fractions)
    counts = {s: int((valid & (split == s)).sum()) for s in SPLITS}
    for s in SPLITS:
        if counts[s] < MIN_FRAMES_PER_SPLIT:
            raise InputError(
                f"too few usable frames: {counts[s]} in the {s} split "
                f"(need {MIN_FRAMES_PER_SPLIT}; {int(valid.sum())} of {n} frames are usable)"
            )
    train = valid & (split == "train")
    mean, std = np.empty(len(columns)), np.empty(len(columns))
    for j in range(values.shape[1]):
        in_train = values[train, j]
        with np.errstate(over="ignore", invalid="ignore"):
            mean[j], std[j] = in_train.mean(), in_train.std()
        if not (np.isfinite(mean[j]) and np.isfinite(std[j])):
            raise InputError(
                f"column {columns[j]}: values too large to normalise "
                f"(largest {np.abs(in_train).max():.3g}); check the table"
            )
    std[std == 0] = 1.0  # a constant column stays constant (0) rather than NaN
    # Models train in float32: a value no pose could have would silently become inf.
    too_far = []  # (row, column, pixels) of the first such value in each column
    for j in range(values.shape[1]):
        column = values[:, j]
        normalised = (column - mean[j]) / std[j]
        normalised[excluded_rows] = np.nan
        huge = np.abs(normalised) > np.finfo(np.float32).max / 1e3
        if huge.any():
            row = int(huge.argmax())
            too_far.append((row, j, column[row]))
        column[:] = normalised
    if too_far:
        row, j, pixels = min(too_far)
        data_row = 1 + (row if rows is None else rows[row])
        raise InputError(
            f"column {columns[j]}: value {pixels:.3g} in data row {data_row} is too "
            "far from the rest to be a position; check the table"
        )
    steps.append({"step": "z-score with train statistics", "frames": counts})

    time_s, fps_est, report["time_axis"] = _time_axis(table, rows, fps)
    frame_no = np.arange(n) if rows is None else rows
    meta = {"frame": frame_no, "time_s": time_s, "split": split, "valid": valid}
    meta |= pose_columns
    # copy=False: the feature columns are the matrix above, not a second copy of it.
    table_out = pd.DataFrame(meta | {c: values[:, j] for j, c in enumerate(columns)}, copy=False)
    stats = pd.DataFrame({"mean": mean, "std": std}, index=columns)
    report.update(
        {
            "fps": fps_est,
            "features": columns,
            "frames": counts | {"valid": int(valid.sum()), "excluded": excluded},
            "normalisation": {
                c: {"mean": float(m), "std": float(s)}
                for c, m, s in zip(columns, mean, std, strict=True)
            },
            "steps": steps,
        }
    )
    return CleanTable(frame=table_out, stats=stats, report=report)


def _confidence_threshold(
    table: pd.DataFrame, keypoints: list[str], min_confidence: float | None
) -> tuple[float | None, dict | None]:
    """The confidence threshold to apply (``None``: none) and the report's entry for it."""
    has = [k for k in keypoints if f"{CONFIDENCE}{k}" in table.columns]
    given = table.attrs.get("confidence") or {}
    if min_confidence is not None and not (np.isfinite(min_confidence) and min_confidence >= 0):
        raise InputError(f"clean.min_confidence must be a number >= 0, got {min_confidence}")
    if not has:
        return None, None
    threshold = given.get("default_min") if min_confidence is None else float(min_confidence)
    report = {
        "kind": given.get("kind"),
        "keypoints_with_confidence": len(has),
        "min_confidence": threshold,
        "threshold_from": "the format's default" if min_confidence is None else "given",
    }
    return (threshold if threshold else None), report


def _low_confidence(
    table: pd.DataFrame, keypoint: str, rows: np.ndarray | None, threshold: float
) -> np.ndarray:
    """Rows (in repaired order) where the keypoint's confidence is below ``threshold``."""
    name = f"{CONFIDENCE}{keypoint}"
    if name not in table.columns:
        return np.zeros(len(table) if rows is None else len(rows), dtype=bool)
    confidence = _in_row_order(table, name, rows)
    with np.errstate(invalid="ignore"):
        return confidence < threshold


def _single_frame_jumps(x: np.ndarray, y: np.ndarray, max_jump: float) -> np.ndarray:
    """Boolean per frame: point ``(x, y)`` is far from both the previous and the next frame."""
    with np.errstate(over="ignore", invalid="ignore"):  # inf for absurd values: far
        step = np.hypot(np.diff(x), np.diff(y))  # pixels; NaN next to a missing value
    far = step > max_jump  # NaN is not far
    jumps = np.zeros(len(x), dtype=bool)
    jumps[1:-1] = far[:-1] & far[1:]
    return jumps


def _fill_short_gaps(column: np.ndarray, max_gap: int) -> tuple[int, int]:
    """Interpolate NaN runs of at most ``max_gap`` with data on both sides, in place.

    Returns the number of gaps and of values filled.
    """
    nan = np.isnan(column)
    if not nan.any() or max_gap == 0:
        return 0, 0
    edges = np.diff(np.concatenate([[0], nan.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    fill = (starts > 0) & (ends < len(column)) & (ends - starts <= max_gap)
    if not fill.any():
        return 0, 0
    marks = np.zeros(len(column) + 1, dtype=np.int32)
    np.add.at(marks, starts[fill], 1)
    np.add.at(marks, ends[fill], -1)
    todo = np.flatnonzero(np.cumsum(marks[:-1]) > 0)
    known = np.flatnonzero(~nan)
    column[todo] = np.interp(todo, known, column[known])
    return int(fill.sum()), len(todo)


def _repair_rows(table: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray | None, dict]:
    """Which input rows to keep, in which order (``None``: all, as they are); and counts.

    Repeated frames are compared on the keypoint ``columns``.

    See the Notes of :func:`clean_table`.
    """
    report = {"order_key": None, "rows_out_of_order": 0, "exact_duplicates_dropped": 0}
    report["conflicting_duplicates_dropped"] = 0
    name = next((c for c in (FRAME_COUNT, TIMESTAMP) if c in table), None)
    if name is None:
        return None, report
    raw = table[name].to_numpy(np.float64, copy=True)
    known = np.isfinite(raw)
    if not known.any():
        return None, report
    report["order_key"] = name
    # A row with no count sits after the row before it (before the first counted row).
    last = np.maximum.accumulate(np.where(known, np.arange(len(raw)), -1))
    key = raw[np.where(last >= 0, last, np.argmax(known))]
    backwards = np.diff(key) < 0
    report["rows_out_of_order"] = int(backwards.sum())
    order = np.argsort(key, kind="stable") if backwards.any() else np.arange(len(key))
    key, known = key[order], known[order]
    # A repeat: a counted row with the same count as the counted row before it.
    counted = np.flatnonzero(known)
    again = np.diff(key[counted]) == 0
    repeat, first = counted[1:][again], counted[:-1][again]
    if not repeat.size:
        return (order if backwards.any() else None), report
    # Only the repeated rows and those they repeat, not a copy of the whole table.
    same = _same_rows(
        table.iloc[order[repeat]][columns].to_numpy(np.float64),
        table.iloc[order[first]][columns].to_numpy(np.float64),
    )
    if TIMESTAMP in table and name != TIMESTAMP:
        stamps = table[TIMESTAMP].to_numpy(np.float64)[:, None]
        same &= _same_rows(stamps[order[repeat]], stamps[order[first]])
    report["exact_duplicates_dropped"] = int(same.sum())
    report["conflicting_duplicates_dropped"] = int((~same).sum())
    keep = np.ones(len(order), dtype=bool)
    keep[repeat] = False
    return order[keep], report


def _in_row_order(table: pd.DataFrame, name: str, rows: np.ndarray | None) -> np.ndarray:
    """Column ``name`` as float64, in the repaired row order (``None``: as it is)."""
    values = table[name].to_numpy(np.float64)
    return values if rows is None else values[rows]


def _same_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise equality of two 2-D arrays, NaN equal to NaN."""
    return ((a == b) | (np.isnan(a) & np.isnan(b))).all(axis=1)


def _time_axis(
    table: pd.DataFrame, rows: np.ndarray | None, fps: float | None
) -> tuple[np.ndarray, float, str]:
    """Seconds since the first frame, the frame rate used, and where the times come from."""
    stamps, counts = (
        _in_row_order(table, c, rows) if c in table else None for c in (TIMESTAMP, FRAME_COUNT)
    )
    n = len(table) if rows is None else len(rows)
    steps = np.diff(stamps) if stamps is not None else np.empty(0)
    if fps is None and stamps is not None and n > 1:
        with np.errstate(invalid="ignore"):
            positive = steps[np.isfinite(steps) & (steps > 0)]
        if positive.size:
            fps = 1.0 / float(np.median(positive))
    if fps is None or not np.isfinite(fps) or fps <= 0:
        raise InputError(
            "cannot tell the frame rate: the table has no usable frame_timestamp; set fps"
        )
    if stamps is not None and np.isfinite(stamps).all() and (steps >= 0).all():
        return stamps - stamps[0], float(fps), "frame_timestamp"
    why = "frame_timestamp missing" if stamps is None else "frame_timestamp not usable"
    if stamps is not None and np.isfinite(stamps).all():
        why = f"frame_timestamp goes backwards {int((steps < 0).sum())} times"
    elif stamps is not None:
        why = f"frame_timestamp missing or infinite in {int((~np.isfinite(stamps)).sum())} rows"
    if counts is not None and np.isfinite(counts).all():
        return (counts - counts[0]) / fps, float(fps), f"frame_count / fps ({why})"
    return np.arange(n) / fps, float(fps), f"row number / fps ({why})"
