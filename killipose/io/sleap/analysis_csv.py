"""The instances of SLEAP's analysis CSV ("Export Analysis CSV", sleap-io's ``save_csv``).

One row per instance: ``track``, ``frame_idx``, ``instance.score`` and
``<node>.x``, ``<node>.y``, ``<node>.score``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from killipose.errors import InputError
from killipose.io.poses import three_d_error, to_numbers
from killipose.io.sleap.tracks import Instances


def table_instances(path: Path, table: pd.DataFrame) -> tuple[list[str], Instances]:
    """The keypoints (from the ``<node>.x`` columns) and instances of the CSV's ``table``.

    Raises
    ------
    InputError
        No ``frame_idx`` or ``<node>.x``/``<node>.y`` columns, a ``.z`` column, no rows, or
        a value that is not a number (a frame number that is missing or fractional).
    """
    columns = [str(c) for c in table.columns]
    z = [c for c in columns if c.endswith(".z")]
    if z:
        raise three_d_error(path, f"{len(z)} <node>.z columns, the first {z[0]!r}")
    keypoints = [c[:-2] for c in columns if c.endswith(".x")]
    lacking = [f"{k}.y" for k in keypoints if f"{k}.y" not in columns]
    lacking += [c for c in columns if c.endswith(".y") and c[:-2] not in keypoints]
    if "frame_idx" not in columns or not keypoints or lacking:
        missing = "frame_idx" if "frame_idx" not in columns else lacking[0] if lacking else ""
        raise InputError(
            f"{path}: looks like a SLEAP CSV but has no {missing or '<node>.x'!r} column"
        )
    if table.empty:
        raise InputError(f"{path}: a SLEAP CSV with a header and no instances")
    frame = _numbers(path, table, "frame_idx")
    if not (np.isfinite(frame).all() and (frame == np.round(frame)).all()):
        raise InputError(f"{path}: column 'frame_idx' has a missing or fractional frame number")
    has_scores = any(f"{k}.score" in columns for k in keypoints)
    track = table["track"] if "track" in columns else pd.Series([None] * len(table))
    instances = Instances(
        frame=frame.astype(np.int64),
        track=[None if pd.isna(t) or t == "" else str(t) for t in track],
        xy=np.stack(
            [np.stack([_numbers(path, table, f"{k}.{a}") for a in "xy"], -1) for k in keypoints],
            axis=1,
        ),
        score=np.stack(
            [
                _numbers(path, table, f"{k}.score")
                if f"{k}.score" in columns
                else np.full(len(table), np.nan)
                for k in keypoints
            ],
            axis=1,
        ),
        # SLEAP writes no instance score for a user-labelled instance.
        user=(
            np.isnan(_numbers(path, table, "instance.score"))
            if "instance.score" in columns and has_scores
            else np.zeros(len(table), dtype=bool)
        ),
    )
    return keypoints, instances


def _numbers(path: Path, table: pd.DataFrame, column: str) -> np.ndarray:
    """Column ``column`` as float64, or an error naming its first value that is not a number."""
    values = table[column]
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(np.float64)
    return to_numbers(values, path, repr(column)).to_numpy(np.float64)
