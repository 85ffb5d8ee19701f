"""Cleaning a keypoint table: drop untracked keypoints, repair short gaps, normalise.

:func:`clean_table` is a short pipeline of small steps, each a function of arrays
(:mod:`~killipose.cleaning.rows`, :mod:`~killipose.cleaning.points`,
:mod:`~killipose.cleaning.steps`). Each step records its call in the cleaning report's
``steps``, like a provenance log (:mod:`~killipose.cleaning.provenance`): what it does,
the parameters it was called with, and what it changed. The result is a
:class:`~killipose.cleaning.table.CleanTable`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from killipose.cleaning.points import (
    Points,
    confidence_threshold,
    drop_mostly_missing,
    set_low_confidence_missing,
    set_non_finite_missing,
)
from killipose.cleaning.rows import order_rows, time_axis
from killipose.cleaning.steps import (
    exclude_missing,
    fill_gaps,
    remove_jumps,
    to_body_frame,
    zscore,
)
from killipose.cleaning.table import CleanTable
from killipose.errors import InputError
from killipose.io import keypoint_names
from killipose.posture import CENTROID, body_axis

#: The coordinate frames :func:`clean_table` can put the keypoints in.
FRAMES = ("world", "egocentric")


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
        Its ``report["steps"]`` lists the steps in the order they ran, each as
        ``{"step": what it does, "operation": the function, "parameters": {...}}`` and
        the counts of what it changed.

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
    ``split``, ``valid``) and a few column-sized arrays (4.2 GB for 17M frames).
    ``killipose clean`` (:func:`killipose.cleaning.pieces.clean_file`) runs these steps
    on a wide table a piece of rows at a time instead, with the same result, in memory
    that does not grow with the table; ``benchmarks/clean_memory.py`` measures both.

    Egocentric frame: the body frame is set after gaps are filled, on the kept keypoints
    in pixels, so it uses repaired points; a frame still missing a reference point is
    not valid. What it removes is kept in ``origin_x``, ``origin_y`` (arena pixels, NaN
    where undefined) and ``heading`` (radians from +x towards +y, y growing downwards as
    in the image); :meth:`CleanTable.to_arena` puts any pixels of the table's frames,
    such as a model's reconstruction, back in the arena. Pixel errors are the same in
    both frames, as the rotation keeps distances.
    """
    keypoints = _checked_keypoints(
        table, keypoints, max_nan_fraction, max_gap, max_jump, frame, origin, axis
    )
    threshold, confidence = confidence_threshold(table, keypoints, min_confidence)
    read = table.attrs.get("read")
    steps: list[dict] = [{"step": "read the file"} | read] if read else []
    columns = [f"{a}_{k}" for k in keypoints for a in "xy"]
    rows, row_report = order_rows(table, columns, record=steps)
    points = Points(table, rows, tuple(keypoints))
    if not len(points):
        raise InputError("the table has no rows")
    points, non_finite = set_non_finite_missing(points, record=steps)
    if threshold is not None:
        points, masked = set_low_confidence_missing(points, min_confidence=threshold, record=steps)
        confidence["masked_per_keypoint"] = masked["per_keypoint"]
        confidence["masked_points"] = masked["points_masked"]
    (points, nan_fraction, dropped), _ = drop_mostly_missing(
        points, max_nan_fraction=max_nan_fraction, record=steps
    )
    if frame == "egocentric":
        _check_kept(origin, axis, dropped, points.keypoints)
    kept, columns = list(points.keypoints), points.columns
    values, had_non_finite = points.matrix()
    had_jump, jumps = remove_jumps(values, kept, max_jump=max_jump, record=steps)
    _, gaps = fill_gaps(values, max_gap=max_gap, record=steps)
    pose = {}
    if frame == "egocentric":
        pose, _ = to_body_frame(values, kept, origin=origin, axis=axis, record=steps)
    valid, _ = exclude_missing(values, record=steps)
    frame_no = np.arange(len(points)) if rows is None else rows
    (split, mean, std), zscored = zscore(
        values, valid, columns, frame_no, fractions=fractions, record=steps
    )
    time_s, fps, time_from = time_axis(table, rows, fps)
    meta = {"frame": frame_no, "time_s": time_s, "split": split, "valid": valid} | pose
    # copy=False: the feature columns are the matrix above, not a second copy of it.
    table_out = pd.DataFrame(meta | {c: values[:, j] for j, c in enumerate(columns)}, copy=False)
    stats = pd.DataFrame({"mean": mean, "std": std}, index=columns)
    parameters = _parameters(
        max_nan_fraction, max_gap, max_jump, fractions, threshold, frame, origin, axis
    )
    report = _report(
        table.attrs,
        len(table),
        steps,
        rows=row_report,
        parameters=parameters,
        confidence=confidence,
        nan_fraction=nan_fraction,
        dropped=dropped,
        filled=gaps,
        excluded=_why_excluded(~valid, had_jump, had_non_finite, non_finite, jumps),
        time=(time_from, fps),
        frames=zscored["frames"] | {"valid": int(valid.sum()), "excluded": int((~valid).sum())},
        stats=stats,
    )
    return CleanTable(frame=table_out, stats=stats, report=report)


def _parameters(
    max_nan_fraction: float,
    max_gap: int,
    max_jump: float,
    fractions: tuple[float, float, float],
    min_confidence: float | None,
    frame: str,
    origin: str,
    axis: tuple[str, str] | None,
) -> dict:
    """The report's ``parameters``: the call's, ``min_confidence`` the threshold applied.

    ``origin`` and ``axis`` are ``None`` in the world frame, where they play no part.
    """
    egocentric = frame == "egocentric"
    return {
        "max_nan_fraction": max_nan_fraction,
        "max_gap": max_gap,
        "max_jump_px": max_jump,
        "split_fractions": list(fractions),
        "min_confidence": min_confidence,
        "frame": frame,
        "origin": origin if egocentric else None,
        "axis": (list(axis) if axis is not None else None) if egocentric else None,
    }


def _report(
    attrs: dict,
    input_frames: int,
    steps: list[dict],
    *,
    rows: dict,
    parameters: dict,
    confidence: dict | None,
    nan_fraction: dict[str, float],
    dropped: dict[str, str],
    filled: dict,
    excluded: dict,
    time: tuple[str, float],
    frames: dict,
    stats: pd.DataFrame,
) -> dict:
    """The cleaning report (JSON-ready) from what the steps found; see :func:`clean_table`.

    ``attrs`` are the input table's, ``input_frames`` its rows.
    """
    return {
        "kind": "pose",  # what killipose.datasets reads it as
        "input_frames": input_frames,
        "read": attrs.get("read"),
        "rows": rows,
        "synthetic": attrs.get("synthetic"),
        "parameters": parameters,
        "confidence": confidence,
        "nan_fraction": {c: round(f, 6) for c, f in nan_fraction.items()},
        "dropped_columns": {f"{a}_{k}": why for k, why in dropped.items() for a in "xy"},
        "gaps_filled": filled["gaps_filled"],
        "values_filled": filled["values_filled"],
        "frames_excluded": excluded,
        "time_axis": time[0],
        "fps": time[1],
        "features": list(stats.index),
        "frames": frames,
        "normalisation": {
            c: {"mean": float(m), "std": float(s)}
            for c, m, s in zip(stats.index, stats["mean"], stats["std"], strict=True)
        },
        "steps": steps,
    }


def _why_excluded(
    excluded: np.ndarray,
    had_jump: np.ndarray,
    had_non_finite: np.ndarray,
    non_finite: dict,
    jumps: dict,
) -> dict:
    """Why the excluded frames are still missing a keypoint.

    Each was in a gap longer than ``max_gap``, whose values were NaN in the input,
    non-finite, or jumps: the counts of the last two, per frame and per value.
    """
    return {
        "total": int(excluded.sum()),
        "with_a_jump": int((excluded & had_jump).sum()),
        "with_a_non_finite_value": int((excluded & had_non_finite).sum()),
        "non_finite_values_set_to_nan": non_finite["values_changed"],
        "jump_values_removed": jumps["values_removed"],
    }


def _checked_keypoints(
    table: pd.DataFrame,
    keypoints: list[str] | None,
    max_nan_fraction: float,
    max_gap: int,
    max_jump: float,
    frame: str,
    origin: str,
    axis: tuple[str, str] | None,
) -> list[str]:
    """The keypoints to clean (``None``: every pair in the table), parameters checked.

    Stops with an InputError on a bad parameter or keypoint name, before any work.
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
        body_axis(keypoints, origin, axis)
    return keypoints


def _check_kept(
    origin: str, axis: tuple[str, str] | None, dropped: dict[str, str], kept: tuple[str, ...]
) -> None:
    """Stop when a reference point of the body frame was dropped, naming the kept ones."""
    for key, name in [("clean.origin", origin)] + [("clean.axis", k) for k in axis or ()]:
        if name in dropped:
            raise InputError(
                f"{key}: keypoint {name!r} was dropped ({dropped[name]}); "
                f"use a kept one: {', '.join(kept)}, or {CENTROID!r}"
            )
