"""Cleaning a table larger than memory: the steps of :func:`~killipose.clean_table` on
pieces of rows.

:func:`clean_file` reads a wide table (CSV or Parquet) a piece at a time, three times
over: (1) it counts what the first steps decide on the whole table (missing points and
the keypoints to keep, that the rows are in order, the time axis); (2) it runs the jump,
gap, body-frame and validity steps on each piece with ``max_gap + 1`` rows of its
neighbours on each side, all that a row's result depends on, and sums the training
statistics; (3) it z-scores each piece and writes it. Memory is a few pieces, however
many frames the table has. The steps are the same functions as :func:`clean_table`'s,
so the table and report are its own: equal, but for the z-scores' last bits (the
statistics are summed piece by piece).

A table that needs a whole-table repair (rows out of order or repeated, a truncated
last line), or a tracker's file, is read whole and cleaned by :func:`clean_table`.
"""

from __future__ import annotations

import inspect
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from killipose.cleaning import _report, clean_table
from killipose.cleaning.points import Points
from killipose.cleaning.scan import Scan
from killipose.cleaning.steps import (
    check_split_sizes,
    exclude_missing,
    fill_gaps,
    normalise,
    overflow_error,
    remove_jumps,
    to_body_frame,
    zscore,
)
from killipose.errors import InputError
from killipose.files import read_parquet_pieces, write_json, write_parquet_parts
from killipose.io import detect, read_table
from killipose.io.pieces import NotInPieces
from killipose.split import SPLITS, block_labels

#: Rows of a Parquet table read at once (a CSV comes in 64 MiB pieces of text).
PIECE_ROWS = 1 << 18


def clean_file(
    path: str | os.PathLike,
    outdir: str | os.PathLike,
    *,
    format: str = "auto",
    individual: str | None = None,
    piece_rows: int = PIECE_ROWS,
    **options,
) -> dict:
    """Clean the pose file ``path`` into ``outdir`` as :func:`clean_table` does; a wide
    table in pieces (see the module's notes).

    Writes ``outdir/table.parquet`` and ``outdir/report.json`` (with ``source``: the
    file), as :meth:`CleanTable.save`, and returns the report. ``options`` are
    :func:`clean_table`'s keyword arguments (its defaults for those left out), ``format``
    and ``individual`` :func:`killipose.read_table`'s; ``piece_rows`` is the rows of a
    Parquet piece. An InputError names the file.
    """
    # clean_table's signature is the one list of the options and their defaults.
    bound = inspect.signature(clean_table).bind_partial(**options)
    bound.apply_defaults()
    options = bound.arguments
    path = Path(path)
    try:
        if individual is None and detect(path, format).name == "wide":
            try:
                return _clean_in_pieces(path, Path(outdir), piece_rows, **options)
            except NotInPieces:
                pass
        table = read_table(path, format, individual)
        clean = clean_table(table, **options)
        clean.report["source"] = str(path)
        clean.save(outdir)
        return clean.report
    except InputError as err:
        message = str(err)
        if not message.startswith(f"{path}:"):
            message = f"{path}: {message}"
        raise InputError(message) from None


def _clean_in_pieces(path: Path, outdir: Path, piece_rows: int, **options) -> dict:
    """:func:`clean_file` of a wide table, piece by piece; :class:`NotInPieces` for one
    that needs a whole read."""
    scan = Scan(path, piece_rows, **options)
    outdir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".clean-", dir=outdir.parent) as work:
        pixels = Path(work) / "pixels.parquet"
        cleaned = _Pieces(scan)
        write_parquet_parts(cleaned.run(), pixels)
        mean, std = cleaned.mean, cleaned.std
        table = Path(work) / "table.parquet"  # moved in at the end: no folder on an error
        write_parquet_parts(_zscored(pixels, scan, mean, std), table)
        report = cleaned.report() | {"source": str(path)}
        outdir.mkdir(exist_ok=True)
        os.replace(table, outdir / "table.parquet")
    write_json(report, outdir / "report.json")
    return report


class _Pieces:
    """Pass 2: the jump, gap, body-frame and validity steps on each piece, with context.

    :meth:`run` yields the cleaned pieces in pixels; the sums it keeps make the
    training statistics (:attr:`mean`, :attr:`std`) and the report.
    """

    def __init__(self, scan: Scan) -> None:
        self.scan = scan
        width = len(scan.columns)
        self.changes: dict[str, dict] = {}
        self.usable = dict.fromkeys(SPLITS, 0)
        self.excluded = {"total": 0, "with_a_jump": 0, "with_a_non_finite_value": 0}
        # Training statistics, combined piece by piece (Chan et al.): rows, mean, sum of
        # squared deviations, and the largest magnitude (for the error on overflow).
        self.train_rows = 0
        self.train_mean, self.train_m2 = np.zeros(width), np.zeros(width)
        self.largest = np.zeros(width)
        self.mean = self.std = None

    def run(self) -> Iterator[pd.DataFrame]:
        scan, context = self.scan, self.scan.max_gap + 1
        width = len(scan.columns)
        values = np.empty((0, width), order="F")
        non_finite, times = np.empty(0, dtype=bool), np.empty(0)
        first = done = 0  # the table rows of the buffer's first row, and of the next core
        for start, piece in scan.pieces():
            points = Points(piece, None, scan.keypoints, True, scan.threshold)
            more, more_non_finite = points.matrix()
            values = np.asfortranarray(np.concatenate([values, more]))
            non_finite = np.concatenate([non_finite, more_non_finite])
            times = np.concatenate([times, scan.times(piece, start)])
            end = first + len(values)
            if end - context > done:
                yield self._window(values, non_finite, times, first, done, end - context)
                done = end - context
                keep = done - context - first
                if keep > 0:
                    values, non_finite, times = values[keep:], non_finite[keep:], times[keep:]
                    first += keep
        if first + len(values) > done:
            yield self._window(values, non_finite, times, first, done, first + len(values))
        self._finish()

    def _window(self, values, non_finite, times, first, start, stop) -> pd.DataFrame:
        """The cleaned rows ``start`` to ``stop`` of the table, from the buffered rows
        (``first`` the table row of the first) around them."""
        scan = self.scan
        values = values.copy(order="F")
        counted = slice(start - first, stop - first)
        had_jump, jumps = remove_jumps(values, scan.keypoints, counted, max_jump=scan.max_jump)
        _, gaps = fill_gaps(values, counted, max_gap=scan.max_gap)
        core = np.asfortranarray(values[counted])
        self._add("jumps", jumps)
        self._add("gaps", gaps)
        pose = {}
        if scan.frame == "egocentric":
            pose, body = to_body_frame(core, scan.keypoints, origin=scan.origin, axis=scan.axis)
            self._add("body", body)
        valid, excluded = exclude_missing(core)
        self._add("exclude", excluded)
        split = block_labels(scan.rows, scan.fractions, start, stop)
        for s in SPLITS:
            self.usable[s] += int((valid & (split == s)).sum())
        self.excluded["total"] += int((~valid).sum())
        self.excluded["with_a_jump"] += int((~valid & had_jump[counted]).sum())
        self.excluded["with_a_non_finite_value"] += int((~valid & non_finite[counted]).sum())
        self._add_training(core[valid & (split == "train")])  # a (rows, columns) copy
        meta = {"frame": np.arange(start, stop), "time_s": times[counted], "split": split}
        meta |= {"valid": valid} | pose
        features = {c: core[:, j] for j, c in enumerate(scan.columns)}
        return pd.DataFrame(meta | features, copy=False)

    def _add(self, step: str, changes: dict) -> None:
        self.changes[step] = (
            _summed(self.changes[step], changes) if step in self.changes else changes
        )

    def _add_training(self, train: np.ndarray) -> None:
        """Fold these training rows into the running mean and squared deviations."""
        n = len(train)
        if not n:
            return
        mean, m2 = np.empty(train.shape[1]), np.empty(train.shape[1])
        with np.errstate(over="ignore", invalid="ignore"):
            for j in range(train.shape[1]):  # as train_statistics does, column by column
                column = train[:, j]
                mean[j] = column.mean()
                m2[j] = ((column - mean[j]) ** 2).sum()
            total = self.train_rows + n
            delta = mean - self.train_mean
            self.train_mean = self.train_mean + delta * (n / total)
            self.train_m2 = self.train_m2 + m2 + delta**2 * (self.train_rows * n / total)
        self.largest = np.maximum(self.largest, np.abs(train).max(axis=0))
        self.train_rows = total

    def _finish(self) -> None:
        """The checks and statistics of :func:`zscore`, once every piece is in."""
        scan = self.scan
        check_split_sizes(self.usable, scan.rows)
        with np.errstate(over="ignore", invalid="ignore"):
            std = np.sqrt(self.train_m2 / self.train_rows)
        for j, column in enumerate(scan.columns):
            if not (np.isfinite(self.train_mean[j]) and np.isfinite(std[j])):
                raise overflow_error(column, self.largest[j])
        std[std == 0] = 1.0
        self.mean, self.std = self.train_mean, std

    def report(self) -> dict:
        """The cleaning report, as :func:`clean_table` writes it."""
        scan = self.scan
        steps = list(scan.steps)
        steps.append(remove_jumps.entry(self.changes["jumps"], max_jump=scan.max_jump))
        steps.append(fill_gaps.entry(self.changes["gaps"], max_gap=scan.max_gap))
        if scan.frame == "egocentric":
            steps.append(
                to_body_frame.entry(self.changes["body"], origin=scan.origin, axis=scan.axis)
            )
        steps.append(exclude_missing.entry(self.changes["exclude"]))
        steps.append(zscore.entry({"frames": dict(self.usable)}, fractions=scan.fractions))
        valid = sum(self.usable.values())
        stats = pd.DataFrame({"mean": self.mean, "std": self.std}, index=scan.columns)
        excluded = self.excluded | {
            "non_finite_values_set_to_nan": scan.non_finite,
            "jump_values_removed": self.changes["jumps"]["values_removed"],
        }
        return _report(
            scan.attrs,
            scan.rows,
            steps,
            rows=scan.order,
            parameters=scan.parameters,
            confidence=scan.confidence,
            nan_fraction=scan.nan_fraction,
            dropped=scan.dropped,
            filled=self.changes["gaps"],
            excluded=excluded,
            time=(scan.time_axis, scan.fps),
            frames=dict(self.usable) | {"valid": valid, "excluded": scan.rows - valid},
            stats=stats,
        )


def _summed(a, b):
    """Two steps' changes added: counts summed (also inside dicts), other values kept."""
    if isinstance(a, dict):
        return {k: _summed(a[k], b[k]) for k in a}
    if isinstance(a, int) and not isinstance(a, bool):
        return a + b
    return a


def _zscored(pixels: Path, scan: Scan, mean: np.ndarray, std: np.ndarray) -> Iterator[pd.DataFrame]:
    """Pass 3: the cleaned pieces z-scored, invalid rows NaN, as :func:`zscore` does;
    then the frame rate's error, if any, where :func:`clean_table` raises it."""
    columns = scan.columns
    for piece in read_parquet_pieces(pixels, scan.piece_rows):
        values = np.array(piece[columns].to_numpy(np.float64), order="F")
        valid = piece["valid"].to_numpy(dtype=bool)
        normalise(values, mean, std, valid, columns, piece["frame"].to_numpy())
        for j, name in enumerate(columns):
            piece[name] = values[:, j]
        yield piece
    if scan.time_error is not None:
        raise scan.time_error
