"""The container of a cleaned keypoint table, and reading one back from disk."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from killipose.errors import InputError
from killipose.files import read_json, read_parquet_pieces, read_prepared, write_prepared
from killipose.posture import to_arena

#: Where an egocentric table keeps what :func:`killipose.posture.egocentric` took out of
#: each frame: the origin in arena pixels and the heading in radians.
POSE_COLUMNS = ("origin_x", "origin_y", "heading")
#: Columns of a cleaned table that are not features (the :data:`POSE_COLUMNS` only in the
#: egocentric frame).
META_COLUMNS = ("frame", "time_s", "split", "valid", *POSE_COLUMNS)


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
        """Valid frames of one split (or all) as float32 ``(frames, features)``, normalised.

        Filled a column at a time: the memory of the result, not of a float64 copy first.
        """
        rows = self.frame["valid"].to_numpy(dtype=bool)
        if split is not None:
            rows = rows & (self.frame["split"] == split).to_numpy(dtype=bool, na_value=False)
        features = self.features
        X = np.empty((np.count_nonzero(rows), len(features)), dtype=np.float32)
        for j, name in enumerate(features):
            X[:, j] = self.frame[name].to_numpy()[rows]
        return X

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
        pose = self._body_frames(rows, len(pixels))
        arena = to_arena(pixels.reshape(len(pixels), -1, 2), pose[:, :2], pose[:, 2])
        return arena.reshape(pixels.shape)

    def from_arena(self, arena: np.ndarray, rows) -> np.ndarray:
        """Arena pixels of the frames ``rows`` in the table's frame: :meth:`to_arena` undone.

        ``arena`` is ``(frames, features)`` or ``(frames, keypoints, 2)`` pixels, one frame
        per row of ``rows`` (as in :meth:`to_arena`), such as the true pose of a synthetic
        recording. In the world frame it is returned as it is; in the egocentric frame each
        frame is moved by its ``-origin_x``, ``-origin_y`` and rotated by its ``-heading``,
        the body frame of this table's own (tracked) keypoints. Returns float64 pixels,
        the shape of ``arena``, that :meth:`to_arena` takes back exactly.
        """
        arena = np.asarray(arena, dtype=np.float64)
        if not self.is_egocentric:
            return arena
        pose = self._body_frames(rows, len(arena))
        moved = arena.reshape(len(arena), -1, 2) - pose[:, None, :2]
        posture = to_arena(moved, np.zeros((len(arena), 2)), -pose[:, 2])
        return posture.reshape(arena.shape)

    def _body_frames(self, rows, frames: int) -> np.ndarray:
        """``(frames, 3)``: ``origin_x``, ``origin_y``, ``heading`` of ``rows``, which must
        be ``frames`` rows (one per frame of the pixels they place)."""
        pose = self.frame[list(POSE_COLUMNS)].to_numpy(np.float64)[rows]
        if len(pose) != frames:
            raise ValueError(f"{frames} frames of pixels for {len(pose)} rows")
        return pose

    def save(self, outdir: str | os.PathLike) -> None:
        """Write ``outdir/table.parquet`` and ``outdir/report.json``."""
        write_prepared(self.frame, self.report, outdir)

    @classmethod
    def from_table(cls, frame: pd.DataFrame, report: dict) -> CleanTable:
        """The cleaned table of ``frame`` (all its rows or some) and its ``report.json``."""
        stats = pd.DataFrame(report["normalisation"]).T[["mean", "std"]].astype(float)
        features = [c for c in frame.columns if c in stats.index]
        return cls(frame=frame, stats=stats.loc[features], report=report)


def load_clean(outdir: str | os.PathLike) -> CleanTable:
    """Read a cleaned table written by :meth:`CleanTable.save`."""
    return CleanTable.from_table(*read_prepared(outdir))


def clean_pieces(outdir: str | os.PathLike, rows: int) -> Iterator[CleanTable]:
    """A cleaned table written by :meth:`CleanTable.save`, ``rows`` frames at a time (in
    order; each piece's ``frame`` is indexed from 0): the memory of a piece, not the
    table."""
    report = read_json(Path(outdir) / "report.json")
    table = Path(outdir) / "table.parquet"
    if not table.is_file():
        raise InputError(f"{table}: no such file")
    for frame in read_parquet_pieces(table, rows):
        yield CleanTable.from_table(frame, report)
