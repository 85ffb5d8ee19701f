"""The first pass of cleaning a table in pieces (:mod:`killipose.cleaning.pieces`): what
the steps before the jumps decide on the whole table, counted a piece at a time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from killipose.cleaning import _check_kept, _checked_keypoints, _parameters
from killipose.cleaning.points import (
    Points,
    confidence_threshold,
    drop_mostly_missing,
    keypoints_kept,
    set_low_confidence_missing,
    set_non_finite_missing,
)
from killipose.cleaning.rows import order_rows, time_rule
from killipose.errors import InputError
from killipose.io import FRAME_COUNT, TIMESTAMP
from killipose.io.pieces import NotInPieces, read_pieces


class Scan:
    """A wide table read once, a piece at a time, for what :func:`clean_table` decides on
    all its rows: the keypoints kept, that the rows need no repair, the time axis.

    Attributes
    ----------
    rows
        The table's rows.
    keypoints, columns, dropped, nan_fraction, threshold, confidence
        The kept keypoints and their ``x_``/``y_`` columns, those dropped and why, each
        column's missing fraction, the confidence threshold and its report entry.
    steps, order, parameters, non_finite
        The report's first steps (read, order, non-finite, confidence, drop), its
        ``rows`` and ``parameters``, and the +-inf values set missing.
    fps, time_from, time_axis, time_error
        The frame rate, the column the times come from (:func:`time_rule`) and the
        report's ``time_axis``; or the InputError to raise once the other checks pass.

    Raises :class:`NotInPieces` when the rows are not in frame order with no frame
    repeated (:func:`order_rows` would repair them: a whole-table job).
    """

    def __init__(self, path: Path, piece_rows: int, *, fps: float | None, **options) -> None:
        self.path, self.piece_rows = path, piece_rows
        self.max_gap, self.max_jump = options["max_gap"], options["max_jump"]
        self.fractions, self.frame = options["fractions"], options["frame"]
        self.origin, self.axis = options["origin"], options["axis"]
        pieces = read_pieces(path, piece_rows)
        first = next(pieces)
        names = self._start(first, **options)
        for piece in _chained(first, pieces):
            self._count(piece, fps)
        self._decide(names, fps, options["max_nan_fraction"])

    def _start(
        self, first: pd.DataFrame, *, keypoints, min_confidence, max_nan_fraction, **options
    ) -> list[str]:
        """Check the parameters on the first piece, set the counters; the keypoints."""
        o = options
        names = _checked_keypoints(
            first, keypoints, max_nan_fraction, o["max_gap"], o["max_jump"], o["frame"],
            o["origin"], o["axis"],
        )  # fmt: skip
        self.attrs = dict(first.attrs)
        self.threshold, self.confidence = confidence_threshold(first, names, min_confidence)
        self.parameters = _parameters(
            max_nan_fraction, o["max_gap"], o["max_jump"], o["fractions"], self.threshold,
            o["frame"], o["origin"], o["axis"],
        )  # fmt: skip
        self.key = next((c for c in (FRAME_COUNT, TIMESTAMP) if c in first.columns), None)
        self.rows = self.non_finite = 0
        self.masked = dict.fromkeys(names, 0)
        self.missing = dict.fromkeys((f"{a}_{k}" for k in names for a in "xy"), 0)
        self.last_key, self.last_stamp = -np.inf, None
        # frame_timestamp's non-finite values and backward steps, its finite positive steps
        self.stamps = [0, 0] if TIMESTAMP in first.columns else None
        self.positive: list[np.ndarray] = []
        self.counts_finite = FRAME_COUNT in first.columns
        self.first_stamp = self.first_count = None
        return names

    def _count(self, piece: pd.DataFrame, fps: float | None) -> None:
        """Add a piece's missing points, and check its order and clock."""
        points = Points(piece, None, tuple(self.masked), True, self.threshold)
        self.non_finite += sum(int(np.isinf(points.raw(c)).sum()) for c in self.missing)
        for k in self.masked:
            self.masked[k] += int(points.low_confidence(k).sum())
        buffer = np.empty(len(piece))
        for name in self.missing:
            points.column(name, out=buffer)
            self.missing[name] += int(np.isnan(buffer).sum())
        if self.key is not None:
            values = piece[self.key].to_numpy(np.float64)
            known = values[np.isfinite(values)]
            if known.size and (known[0] <= self.last_key or (np.diff(known) <= 0).any()):
                raise NotInPieces  # rows to sort or repeated frames to drop
            self.last_key = known[-1] if known.size else self.last_key
        if self.stamps is not None:
            values = piece[TIMESTAMP].to_numpy(np.float64)
            before = values[:1] if self.last_stamp is None else self.last_stamp
            steps = np.diff(values, prepend=before)
            self.stamps[0] += int((~np.isfinite(values)).sum())
            self.stamps[1] += int((steps < 0).sum())
            if fps is None:
                with np.errstate(invalid="ignore"):
                    self.positive.append(steps[np.isfinite(steps) & (steps > 0)])
            self.first_stamp = values[0] if self.first_stamp is None else self.first_stamp
            self.last_stamp = values[-1]
        if self.counts_finite:
            values = piece[FRAME_COUNT].to_numpy(np.float64)
            self.first_count = values[0] if self.first_count is None else self.first_count
            self.counts_finite = bool(np.isfinite(values).all())
        self.rows += len(piece)

    def _decide(self, names: list[str], fps: float | None, max_nan_fraction: float) -> None:
        """What the counts decide: the first steps' records, the keypoints, the clock."""
        self.order = {
            "order_key": self.key if np.isfinite(self.last_key) else None,
            "rows_out_of_order": 0,
            "exact_duplicates_dropped": 0,
            "conflicting_duplicates_dropped": 0,
        }
        self.steps = [{"step": "read the file"} | self.attrs["read"], order_rows.entry(self.order)]
        self.steps.append(set_non_finite_missing.entry({"values_changed": self.non_finite}))
        if self.threshold is not None:
            changes = {"points_masked": sum(self.masked.values()), "per_keypoint": self.masked}
            entry = set_low_confidence_missing.entry(changes, min_confidence=self.threshold)
            self.steps.append(entry)
            self.confidence["masked_per_keypoint"] = self.masked
            self.confidence["masked_points"] = changes["points_masked"]
        self.nan_fraction = {c: m / self.rows for c, m in self.missing.items()}
        self.keypoints, self.dropped = keypoints_kept(
            tuple(names), self.nan_fraction, max_nan_fraction
        )
        changes = {"dropped": list(self.dropped)}
        self.steps.append(drop_mostly_missing.entry(changes, max_nan_fraction=max_nan_fraction))
        if self.frame == "egocentric":
            _check_kept(self.origin, self.axis, self.dropped, self.keypoints)
        self.columns = [f"{a}_{k}" for k in self.keypoints for a in "xy"]
        # Raised where clean_table raises it: after the splits' and values' errors.
        self.time_error = None
        positive = np.concatenate(self.positive) if self.positive else np.empty(0)
        self.positive = []
        stamps = None if self.stamps is None else tuple(self.stamps)
        try:
            self.fps, self.time_from, self.time_axis = time_rule(
                fps, positive, stamps, self.counts_finite
            )
        except InputError as err:
            self.time_error = err

    def pieces(self) -> Iterator[tuple[int, pd.DataFrame]]:
        """The table again, a piece at a time, with each piece's first row number."""
        start = 0
        for piece in read_pieces(self.path, self.piece_rows):
            yield start, piece
            start += len(piece)

    def times(self, piece: pd.DataFrame, start: int) -> np.ndarray:
        """Seconds since the first frame of a piece's rows (``start`` its first row)."""
        if self.time_error is not None:  # raised once every piece is checked
            return np.full(len(piece), np.nan)
        if self.time_from == TIMESTAMP:
            return piece[TIMESTAMP].to_numpy(np.float64) - self.first_stamp
        if self.time_from == FRAME_COUNT:
            return (piece[FRAME_COUNT].to_numpy(np.float64) - self.first_count) / self.fps
        return np.arange(start, start + len(piece)) / self.fps


def _chained(first: pd.DataFrame, rest: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    yield first
    yield from rest
