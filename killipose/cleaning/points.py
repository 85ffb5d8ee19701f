"""Which points of a table are missing, and which keypoints are too often missing to keep.

The first cleaning steps read the input table one column at a time through
:class:`Points` and never copy it: each returns a new :class:`Points` with one more
reason for a point to be missing, or with fewer keypoints, and records what it found.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from killipose.cleaning.provenance import recorded
from killipose.cleaning.rows import in_row_order
from killipose.errors import InputError
from killipose.io import CONFIDENCE


@dataclass(frozen=True)
class Points:
    """A table's keypoint coordinates in repaired row order, and the rules for missing ones.

    Attributes
    ----------
    table
        The input table, ``x_<kp>``/``y_<kp>`` in pixels, ``confidence_<kp>`` if any.
    rows
        The rows to use, in order (from :func:`~killipose.cleaning.rows.order_rows`);
        ``None``: all, as they are.
    keypoints
        The keypoints, in body order.
    non_finite_missing
        Whether a +-inf coordinate is missing.
    min_confidence
        A point whose ``confidence_<kp>`` is below this is missing; ``None``: none is.

    Notes
    -----
    Nothing is copied: a column is read, and its missing points set to NaN, when asked,
    so memory stays at one column however many keypoints the table has.
    """

    table: pd.DataFrame
    rows: np.ndarray | None
    keypoints: tuple[str, ...]
    non_finite_missing: bool = False
    min_confidence: float | None = None

    def __len__(self) -> int:
        return len(self.table) if self.rows is None else len(self.rows)

    @property
    def columns(self) -> list[str]:
        """``x_<kp>``, ``y_<kp>`` of each keypoint, in body order."""
        return [f"{a}_{k}" for k in self.keypoints for a in "xy"]

    def raw(self, name: str) -> np.ndarray:
        """Column ``name`` as it is in the table (float64, in row order); do not change it."""
        return in_row_order(self.table, name, self.rows)

    def low_confidence(self, keypoint: str) -> np.ndarray:
        """Per row: the keypoint's confidence is below :attr:`min_confidence` (NaN: not)."""
        name = f"{CONFIDENCE}{keypoint}"
        if self.min_confidence is None or name not in self.table.columns:
            return np.zeros(len(self), dtype=bool)
        with np.errstate(invalid="ignore"):
            return self.raw(name) < self.min_confidence

    def column(self, name: str, out: np.ndarray) -> np.ndarray:
        """Write column ``name`` into ``out``, missing points NaN; per row, whether it was +-inf."""
        out[:] = self.raw(name)
        infinite = np.isinf(out)
        if self.non_finite_missing:
            out[infinite] = np.nan
        if self.min_confidence is not None:
            out[self.low_confidence(name[2:])] = np.nan
        return infinite

    def matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """The coordinates with missing points NaN, and the rows that had a +-inf in them.

        Returns
        -------
        values
            float64 ``(frames, 2 * keypoints)`` pixels, column-major: each feature is
            contiguous, the steps that follow work on one column at a time, and it
            becomes a DataFrame's columns without a copy.
        had_non_finite
            bool ``(frames,)``.
        """
        values = np.empty((len(self), len(self.columns)), order="F")
        had_non_finite = np.zeros(len(self), dtype=bool)
        for j, name in enumerate(self.columns):
            had_non_finite |= self.column(name, out=values[:, j])
        return values, had_non_finite


def confidence_threshold(
    table: pd.DataFrame, keypoints: list[str], min_confidence: float | None
) -> tuple[float | None, dict | None]:
    """The confidence threshold to apply (``None``: none) and the report's entry for it.

    ``min_confidence`` ``None`` takes the format's default from
    ``table.attrs["confidence"]``; 0 applies none. A table without ``confidence_<kp>``
    columns gets no threshold and no entry.
    """
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


@recorded("set non-finite values to NaN")
def set_non_finite_missing(points: Points) -> tuple[Points, dict]:
    """Make +-inf coordinates missing: an overflow of a tracker or an export, not a place.

    Returns the points with the rule on, and ``values_changed``: how many +-inf values.
    """
    changed = sum(int(np.isinf(points.raw(name)).sum()) for name in points.columns)
    return replace(points, non_finite_missing=True), {"values_changed": changed}


@recorded("set points with confidence < {min_confidence:g} missing")
def set_low_confidence_missing(points: Points, *, min_confidence: float) -> tuple[Points, dict]:
    """Make points the tracker scored below ``min_confidence`` missing (exactly at it: kept).

    Returns the points with the rule on, ``points_masked`` and the count ``per_keypoint``
    (points whose coordinates were missing already included).
    """
    points = replace(points, min_confidence=min_confidence)
    masked = {k: int(points.low_confidence(k).sum()) for k in points.keypoints}
    return points, {"points_masked": sum(masked.values()), "per_keypoint": masked}


@recorded("drop mostly-missing keypoints")
def drop_mostly_missing(
    points: Points, *, max_nan_fraction: float
) -> tuple[tuple[Points, dict[str, float], dict[str, str]], dict]:
    """Drop the keypoints whose ``x`` or ``y`` is missing in too many frames.

    Returns
    -------
    (kept, nan_fraction, dropped)
        The points of the kept keypoints; per column, the fraction of frames missing
        (0..1, by the rules so far); per dropped keypoint, why.
    changes
        ``dropped``: the dropped keypoints.
    """
    buffer = np.empty(len(points))
    nan_fraction = {}
    for name in points.columns:
        points.column(name, out=buffer)
        nan_fraction[name] = float(np.isnan(buffer).mean())
    kept, dropped = keypoints_kept(points.keypoints, nan_fraction, max_nan_fraction)
    return (replace(points, keypoints=kept), nan_fraction, dropped), {"dropped": list(dropped)}


def keypoints_kept(
    keypoints: tuple[str, ...], nan_fraction: dict[str, float], max_nan_fraction: float
) -> tuple[tuple[str, ...], dict[str, str]]:
    """The keypoints to keep (in order) and those to drop with why (:func:`mostly_missing`),
    from each ``x_``/``y_`` column's ``nan_fraction``; stops when none is kept."""
    worse = {k: max(nan_fraction[f"x_{k}"], nan_fraction[f"y_{k}"]) for k in keypoints}
    dropped = mostly_missing(worse, max_nan_fraction)
    kept = tuple(k for k in keypoints if k not in dropped)
    if not kept:
        raise InputError(
            "every keypoint is missing in more than max_nan_fraction of frames; nothing to fit"
        )
    return kept, dropped


def mostly_missing(nan_fraction: dict[str, float], max_nan_fraction: float) -> dict[str, str]:
    """The keypoints to drop, and why: missing in every frame, or in more than the limit.

    Parameters
    ----------
    nan_fraction
        Per keypoint, the fraction of frames it is missing in, 0..1.
    max_nan_fraction
        The largest fraction a kept keypoint may have: exactly this much is kept.
    """
    dropped = {}
    for k, f in nan_fraction.items():
        if f >= 1.0:
            dropped[k] = "all NaN"
        elif f > max_nan_fraction:
            dropped[k] = f"NaN in {f:.1%} of frames > max_nan_fraction {max_nan_fraction}"
    return dropped
