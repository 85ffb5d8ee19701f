"""Rows of a keypoint table: their order, repeated frames, and the time axis.

Trackers and exports can write rows out of order, repeat a frame, or leave timestamps
missing; :func:`order_rows` says which rows to keep in which order, and
:func:`time_axis` gives each kept row its time in seconds. See the Notes of
:func:`killipose.clean_table`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from killipose.cleaning.provenance import recorded
from killipose.errors import InputError
from killipose.io import FRAME_COUNT, TIMESTAMP


@recorded("order rows by frame, drop repeated frames")
def order_rows(table: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray | None, dict]:
    """Which input rows to keep, in which order, and the counts of what was repaired.

    Parameters
    ----------
    table
        The input table, one row per frame.
    columns
        The keypoint columns two rows of the same frame are compared on.

    Returns
    -------
    rows
        Positions of the rows to keep, in frame order; ``None``: all, as they are.
    changes
        ``order_key`` (the column ordered by, ``None`` for none), ``rows_out_of_order``,
        ``exact_duplicates_dropped`` and ``conflicting_duplicates_dropped``.
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


def in_row_order(table: pd.DataFrame, name: str, rows: np.ndarray | None) -> np.ndarray:
    """Column ``name`` as float64, in the order :func:`order_rows` chose (``None``: as is).

    May be the table's own memory: change a copy, never this.
    """
    values = table[name].to_numpy(np.float64)
    return values if rows is None else values[rows]


def _same_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise equality of two 2-D arrays, NaN equal to NaN."""
    return ((a == b) | (np.isnan(a) & np.isnan(b))).all(axis=1)


def time_axis(
    table: pd.DataFrame, rows: np.ndarray | None, fps: float | None
) -> tuple[np.ndarray, float, str]:
    """Seconds since the first kept row, the frame rate used, and where the times come from.

    ``fps`` ``None`` estimates the rate from the median positive step of
    ``frame_timestamp``. The times are the timestamps when they never go backwards and
    are all finite; else ``frame_count / fps``, else ``row number / fps``, and the third
    value says why (:func:`time_rule`).
    """
    stamps, counts = (
        in_row_order(table, c, rows) if c in table else None for c in (TIMESTAMP, FRAME_COUNT)
    )
    n = len(table) if rows is None else len(rows)
    steps = np.diff(stamps) if stamps is not None else np.empty(0)
    with np.errstate(invalid="ignore"):
        positive = steps[np.isfinite(steps) & (steps > 0)]
    stamped = None
    if stamps is not None:
        stamped = (int((~np.isfinite(stamps)).sum()), int((steps < 0).sum()))
    counted = counts is not None and bool(np.isfinite(counts).all())
    fps, source, why = time_rule(fps, positive, stamped, counted)
    if source == TIMESTAMP:
        return stamps - stamps[0], fps, why
    if source == FRAME_COUNT:
        return (counts - counts[0]) / fps, fps, why
    return np.arange(n) / fps, fps, why


def time_rule(
    fps: float | None,
    positive: np.ndarray,
    stamps: tuple[int, int] | None,
    counts_finite: bool,
) -> tuple[float, str, str]:
    """Which column gives the times, and the frame rate: the rule of :func:`time_axis`.

    Parameters
    ----------
    fps
        The frame rate given, or ``None`` to estimate it from ``positive``.
    positive
        The finite positive steps between consecutive timestamps (seconds); reordered
        (the median is taken in place: a 17M-frame table's steps are 137 MB).
    stamps
        ``frame_timestamp``'s non-finite values and backward steps; ``None``: no column.
    counts_finite
        ``frame_count`` is there with every value finite.

    Returns
    -------
    The frame rate, the source (``frame_timestamp``, ``frame_count`` or ``row``: the
    times are ``stamps - stamps[0]``, ``(counts - counts[0]) / fps`` or
    ``row / fps``) and the report's ``time_axis``.
    """
    if fps is None and stamps is not None and positive.size:
        fps = 1.0 / float(np.median(positive, overwrite_input=True))
    if fps is None or not np.isfinite(fps) or fps <= 0:
        raise InputError(
            "cannot tell the frame rate: the table has no usable frame_timestamp; set fps"
        )
    if stamps is not None and stamps == (0, 0):
        return float(fps), TIMESTAMP, "frame_timestamp"
    if stamps is None:
        why = "frame_timestamp missing"
    elif not stamps[0]:
        why = f"frame_timestamp goes backwards {stamps[1]} times"
    else:
        why = f"frame_timestamp missing or infinite in {stamps[0]} rows"
    if counts_finite:
        return float(fps), FRAME_COUNT, f"frame_count / fps ({why})"
    return float(fps), "row", f"row number / fps ({why})"
