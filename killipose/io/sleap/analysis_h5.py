"""SLEAP's analysis HDF5 file (``sleap-convert --format analysis``), opened with h5py.

Axis order: SLEAP transposes its arrays for MATLAB, so ``tracks`` is
``(tracks, 2, nodes, frames)``; untransposed it is ``(frames, nodes, 2, tracks)``, and
sleap-io's ``preset="standard"`` writes ``(frames, tracks, nodes, 2)``. The order comes
from the ``dims`` attribute sleap-io writes, else from the layout the shapes fit (the
length of ``node_names`` and ``track_names``, the axis of 2); when several fit, the
file's ``preset``/``transpose`` attribute decides, else SLEAP's own order, as SLEAP and
sleap-io read it. A reader that takes the last two axes as (nodes, xy) misreads the
untransposed file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from killipose.errors import InputError
from killipose.io.poses import Poses, three_d_error
from killipose.io.registry import hdf5_text
from killipose.io.sleap.tracks import UNTRACKED, sleap_poses, unique

#: The order killipose holds ``tracks`` in.
_CANONICAL = ("frame", "track", "node", "xy")
#: Axis orders of an analysis file's ``tracks``, in the order taken when shapes fit several:
#: SLEAP's export (transposed for MATLAB, its default), SLEAP's untransposed export,
#: sleap-io's ``preset="standard"``.
_LAYOUTS = {
    "matlab": ("track", "xy", "node", "frame"),
    "untransposed": ("frame", "node", "xy", "track"),
    "standard": ("frame", "track", "node", "xy"),
}


def analysis_poses(path: Path, f) -> Poses:
    """The :class:`Poses` of an open analysis file ``f``."""
    for name in ("tracks", "node_names"):
        if name not in f:
            raise InputError(f"{path}: has no {name!r} dataset, not a SLEAP analysis file")
    keypoints = _texts(f["node_names"][()])
    track_names = _texts(f["track_names"][()]) if "track_names" in f else []
    tracks = f["tracks"]
    if tracks.ndim != 4:
        raise InputError(
            f"{path}: 'tracks' has {tracks.ndim} dimensions, expected 4 (tracks, 2, nodes, frames)"
        )
    axes, notes = _tracks_axes(path, tracks, f.attrs, len(keypoints), len(track_names))
    position = np.transpose(tracks[()], [axes.index(a) for a in _CANONICAL])
    n_frames, n_tracks = position.shape[:2]
    if not track_names:
        # SLEAP writes no names for an untracked file (one track); sleap-io's reader
        # names unnamed tracks track_<i>.
        track_names = [UNTRACKED] if n_tracks == 1 else [f"track_{i}" for i in range(n_tracks)]
    return sleap_poses(
        "sleap-analysis",
        position,
        keypoints,
        unique(track_names),
        confidence=_analysis_scores(path, f, axes, position.shape[:3]),
        frame=np.arange(n_frames),
        notes=notes,
    )


def _tracks_axes(
    path: Path, tracks, attrs, n_nodes: int, n_tracks: int
) -> tuple[tuple[str, ...], list[str]]:
    """The axis names of ``tracks`` as stored, and notes on how they were decided.

    ``n_tracks`` is 0 when the file names no tracks (any number fits).
    """
    shape = tracks.shape
    if "dims" in tracks.attrs:
        axes = tuple(json.loads(tracks.attrs["dims"]))
        if set(axes) != set(_CANONICAL) or len(axes) != 4:
            raise InputError(f"{path}: 'tracks' has dims {list(axes)}, expected {_CANONICAL}")
        if shape[axes.index("xy")] == 3:
            raise three_d_error(path, "'tracks' holds x, y and z")
        if not _fits(axes, shape, n_nodes, n_tracks, 2):
            raise InputError(
                f"{path}: 'tracks' has shape {shape}, which does not fit its dims "
                f"{list(axes)} with {n_nodes} node_names"
            )
        return axes, []
    fits = [name for name, axes in _LAYOUTS.items() if _fits(axes, shape, n_nodes, n_tracks, 2)]
    if not fits:
        if any(_fits(axes, shape, n_nodes, n_tracks, 3) for axes in _LAYOUTS.values()):
            raise three_d_error(path, "'tracks' has an axis of 3 coordinates, x, y and z")
        tracks_said = f" and {n_tracks} track_names" if n_tracks else ""
        raise InputError(
            f"{path}: 'tracks' has shape {shape}, which fits no SLEAP analysis layout for "
            f"{n_nodes} node_names{tracks_said} (expected (tracks, 2, nodes, frames) or "
            "(frames, nodes, 2, tracks))"
        )
    if len(fits) == 1:
        return _LAYOUTS[fits[0]], []
    said = hdf5_text(attrs.get("preset"))
    if said not in fits and "transpose" in attrs:
        said = "matlab" if bool(attrs["transpose"]) else "untransposed"
    chosen = said if said in fits else fits[0]
    reason = "the file's attributes" if chosen == said else "SLEAP's default"
    return _LAYOUTS[chosen], [
        f"'tracks' {shape} fits several axis orders ({', '.join(fits)}); read as "
        f"{_LAYOUTS[chosen]} from {reason}"
    ]


def _fits(axes, shape, n_nodes: int, n_tracks: int, n_coords: int) -> bool:
    """Whether ``shape`` fits axis names ``axes`` (``n_tracks`` 0: any number of tracks)."""
    sizes = {"node": n_nodes, "xy": n_coords, "track": n_tracks or None}
    return all(sizes.get(axis) in (None, size) for axis, size in zip(axes, shape, strict=True))


def _analysis_scores(path: Path, f, axes, shape) -> np.ndarray | None:
    """``point_scores`` as ``(frames, tracks, nodes)``, ``None`` without any score."""
    if "point_scores" not in f:
        return None
    scores = f["point_scores"]
    if "dims" in scores.attrs:
        stored = tuple(json.loads(scores.attrs["dims"]))
    else:  # SLEAP and sleap-io write them in the order of tracks, without its xy axis
        stored = tuple(a for a in axes if a != "xy")
    canonical = ("frame", "track", "node")
    expected = tuple(shape[canonical.index(a)] if a in canonical else -1 for a in stored)
    if set(stored) != set(canonical) or scores.shape != expected:
        raise InputError(
            f"{path}: 'point_scores' has shape {scores.shape}, expected {expected} "
            "to match 'tracks'"
        )
    values = np.transpose(scores[()], [stored.index(a) for a in canonical]).astype(np.float64)
    return values if np.isfinite(values).any() else None


def _texts(values) -> list[str]:
    """Names stored as bytes or str, as str."""
    return [hdf5_text(v) for v in np.asarray(values).ravel()]
