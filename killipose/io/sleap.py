"""SLEAP's files: the ``.slp`` labels file, the analysis HDF5 and the analysis CSV.

Three formats, each SLEAP track one individual:

- ``sleap``: the ``.slp`` file SLEAP saves (user labels and predictions), read with
  sleap-io.
- ``sleap-analysis``: the HDF5 file of ``sleap-convert --format analysis`` (SLEAP's
  "Export Analysis HDF5", or sleap-io's ``save_analysis_h5``), read with h5py.
- ``sleap-csv``: SLEAP's "Export Analysis CSV" (or sleap-io's ``save_csv``): one row per
  instance, ``track, frame_idx, instance.score`` and ``<node>.x, <node>.y, <node>.score``.

Notes
-----
Confidence is a ``"score"``: SLEAP's point scores are peaks of its confidence maps, not
probabilities, and exceed 1 (to 1.74 in SLEAP's example files). ``min_confidence`` is ``None``:
SLEAP already leaves a node it did not find missing, so no threshold applies unless
``clean.min_confidence`` sets one.

A user-labelled instance has no scores: its confidence is NaN, which no threshold masks,
so a point a person placed is kept. Where a frame has both a user-labelled and a
predicted instance of one track (a corrected prediction), the user's is read, as SLEAP's
own analysis export does. A file with no scores at all has no confidence.

Individuals are the tracks, named as in SLEAP; tracks without instances are left out
(as SLEAP's export does). A file without tracks is one animal (``"animal"``) when no
frame has more than one instance, and an error otherwise. In a file with tracks,
instances without a track are left out, with a note. More tracks than animals (a
fragmented tracking, e.g. 27 tracks for 2 flies) are kept as they are, with a note.

Frames: ``.slp`` and CSV rows run from the first to the last frame with an instance,
every frame in between (NaN where SLEAP found nothing), ``frame`` holding the video frame
numbers. Analysis HDF5 row ``i`` is video frame ``i``: SLEAP and sleap-io export every
frame from 0 by default, and the file does not record a later start. No SLEAP file has
timestamps (``time_s`` is ``None``): give ``fps``.

Analysis HDF5 axis order: SLEAP transposes its arrays for MATLAB, so ``tracks`` is
``(tracks, 2, nodes, frames)``; untransposed it is ``(frames, nodes, 2, tracks)``, and
sleap-io's ``preset="standard"`` writes ``(frames, tracks, nodes, 2)``. The order comes
from the ``dims`` attribute sleap-io writes, else from the layout the shapes fit (the
length of ``node_names`` and ``track_names``, the axis of 2); when several fit, the
file's ``preset``/``transpose`` attribute decides, else SLEAP's own order, as SLEAP and
sleap-io read it. A reader that takes the last two axes as (nodes, xy) misreads the
untransposed file.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from killipose.errors import InputError
from killipose.io.poses import Poses, three_d_error
from killipose.io.registry import HDF5_SIGNATURE, Format, first_line, register

#: The individual of a file without tracks.
UNTRACKED = "animal"
#: What SLEAP's confidences are (confidence-map peaks, not probabilities).
SCORE = "score"


@dataclass
class _Instances:
    """Instances as rows, what the ``.slp`` and CSV readers share before :class:`Poses`.

    Attributes
    ----------
    frame
        ``(n,)`` video frame numbers.
    track
        ``n`` track names, ``None`` for an instance without a track.
    xy
        ``(n, keypoints, 2)`` pixels, NaN where a node is missing.
    score
        ``(n, keypoints)`` point scores, NaN for user-labelled instances.
    user
        ``(n,)`` whether a person labelled the instance (else SLEAP predicted it).
    """

    frame: np.ndarray
    track: list[str | None]
    xy: np.ndarray
    score: np.ndarray
    user: np.ndarray

    def take(self, rows: np.ndarray) -> _Instances:
        """The instances at ``rows`` (indices or a mask)."""
        index = np.arange(len(self.frame))[rows]
        return _Instances(
            self.frame[index],
            [self.track[i] for i in index],
            self.xy[index],
            self.score[index],
            self.user[index],
        )


# --- .slp -------------------------------------------------------------------------------


def read_slp(path: Path) -> Poses:
    """Every track of a SLEAP ``.slp`` file (user labels and predictions) of one video.

    Raises
    ------
    InputError
        The file is not a SLEAP labels file, has 3-D points, several skeletons, labelled
        frames of several videos, no instance, or several untracked instances in a frame.
    """
    import sleap_io

    try:
        labels = sleap_io.load_slp(str(path), open_videos=False)
    except (OSError, KeyError, ValueError, TypeError, IndexError, AttributeError) as err:
        raise InputError(f"{path}: cannot read as a SLEAP .slp file ({_reason(err)})") from None
    if _has_3d_points(labels):
        raise three_d_error(path, "3-D points of a multi-camera session")
    if len(labels.skeletons) != 1:
        raise InputError(
            f"{path}: has {len(labels.skeletons)} skeletons, expected one "
            f"({', '.join(s.name or '?' for s in labels.skeletons) or 'none'})"
        )
    frames = list(labels.labeled_frames)
    videos = list(dict.fromkeys(lf.video for lf in frames))
    if len(videos) > 1:
        names = ", ".join(_video_name(v) for v in videos[:5])
        more = f" and {len(videos) - 5} more" if len(videos) > 5 else ""
        raise InputError(
            f"{path}: has labelled frames of {len(videos)} videos ({names}{more}); "
            "killipose reads one video per file, save each video's labels on its own"
        )
    track_names = _unique([t.name or f"track_{i}" for i, t in enumerate(labels.tracks)])
    name_of = {id(t): n for t, n in zip(labels.tracks, track_names, strict=True)}
    keypoints = list(labels.skeletons[0].node_names)
    rows = [
        (lf.frame_idx, name_of.get(id(inst.track)), inst) for lf in frames for inst in lf.instances
    ]
    instances = _Instances(
        frame=np.array([f for f, _, _ in rows], dtype=np.int64),
        track=[t for _, t, _ in rows],
        xy=np.array([inst.numpy() for *_, inst in rows], dtype=np.float64).reshape(
            len(rows), len(keypoints), 2
        ),
        score=np.array([_point_scores(inst, len(keypoints)) for *_, inst in rows]).reshape(
            len(rows), len(keypoints)
        ),
        user=np.array(
            [not isinstance(inst, sleap_io.PredictedInstance) for *_, inst in rows], dtype=bool
        ),
    )
    return _to_poses(path, "sleap", keypoints, instances, track_names)


def _has_3d_points(labels) -> bool:
    """Whether a multi-camera session of ``labels`` holds triangulated 3-D points."""
    for session in getattr(labels, "sessions", []):
        for frame_group in session.frame_groups.values():
            for group in frame_group.instance_groups:
                if group.instance_3d is not None and not group.instance_3d.is_empty:
                    return True
    return False


def _point_scores(instance, n_keypoints: int) -> np.ndarray:
    """A predicted instance's point scores; NaN for a user-labelled one (it has none)."""
    import sleap_io

    if isinstance(instance, sleap_io.PredictedInstance):
        return np.asarray(instance.points["score"], dtype=np.float64)
    return np.full(n_keypoints, np.nan)


def _video_name(video) -> str:
    """A video's file name for a message (the first image of an image sequence)."""
    name = video.filename[0] if isinstance(video.filename, list) else video.filename
    return Path(str(name)).name


# --- analysis HDF5 ----------------------------------------------------------------------

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


def read_analysis(path: Path) -> Poses:
    """Every track of a SLEAP analysis HDF5 file, in either axis order.

    Raises
    ------
    InputError
        The file is not HDF5, lacks ``tracks`` or ``node_names``, its shapes fit no
        layout, or ``tracks`` has a z coordinate.
    """
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return _read_analysis_file(path, f)
    except InputError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as err:
        raise InputError(
            f"{path}: cannot read as a SLEAP analysis HDF5 file ({_reason(err)})"
        ) from None


def _read_analysis_file(path: Path, f) -> Poses:
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
    poses = Poses(
        position=position,
        keypoints=keypoints,
        individuals=_unique(track_names),
        source="sleap-analysis",
        confidence=_analysis_scores(path, f, axes, position.shape[:3]),
        frame=np.arange(n_frames),
        confidence_kind=SCORE,
        min_confidence=None,
        notes=notes,
    )
    return _with_fragment_note(poses)


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
    said = _attr_text(attrs.get("preset"))
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
    return [_attr_text(v) for v in np.asarray(values).ravel()]


def _attr_text(value) -> str | None:
    """An HDF5 string (bytes or str) as str; ``None`` stays ``None``."""
    if value is None:
        return None
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


# --- analysis CSV -----------------------------------------------------------------------


def read_csv(path: Path) -> Poses:
    """Every track of a SLEAP analysis CSV (one row per instance).

    Raises
    ------
    InputError
        No ``frame_idx`` or ``<node>.x``/``<node>.y`` columns, a ``.z`` column, a value
        that is not a number, or several untracked instances in a frame.
    """
    try:
        table = pd.read_csv(path, dtype={"track": str})
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: cannot read as a SLEAP CSV ({_reason(err)})") from None
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
    instances = _Instances(
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
    order = list(dict.fromkeys(t for t in instances.track if t is not None))
    return _to_poses(path, "sleap-csv", keypoints, instances, order)


def _numbers(path: Path, table: pd.DataFrame, column: str) -> np.ndarray:
    """Column ``column`` as float64, or an error naming its first value that is not a number."""
    values = table[column]
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(np.float64)
    converted = pd.to_numeric(values, errors="coerce")
    bad = converted.isna() & values.notna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            f"{path}: column {column!r} has non-numeric value {str(values.iloc[row])[:40]!r} "
            f"in data row {row + 1}"
        )
    return converted.to_numpy(np.float64)


# --- shared -----------------------------------------------------------------------------


def _to_poses(
    path: Path, source: str, keypoints: list[str], rows: _Instances, tracks: list[str]
) -> Poses:
    """Instances as :class:`Poses`: one individual per track that occurs (in ``tracks``
    order), one row per frame from the first to the last with an instance.

    Raises
    ------
    InputError
        No instance, or (without tracks) a frame with several instances.
    """
    if not len(rows.frame):
        raise InputError(f"{path}: has no instances (no labelled or predicted poses)")
    notes: list[str] = []
    tracked = np.array([t is not None for t in rows.track])
    if tracked.any():
        if not tracked.all():
            notes.append(
                f"{int((~tracked).sum())} instances without a track were left out "
                "(the file has tracks)"
            )
            rows = rows.take(tracked)
        occurring = set(rows.track)
        individuals = [t for t in tracks if t in occurring]
        index = {name: j for j, name in enumerate(individuals)}
        column = np.array([index[t] for t in rows.track], dtype=np.int64)
    else:
        individuals = [UNTRACKED]
        column = np.zeros(len(rows.frame), dtype=np.int64)
    kept, replaced, clashes = _one_per_track_and_frame(rows, column)
    if clashes.size and not tracked.any():
        frame = int(rows.frame[clashes[0]])
        raise InputError(
            f"{path}: frame {frame} has several instances and the file has no tracks; "
            "killipose reads an untracked SLEAP file only with one animal per frame "
            "(track it in SLEAP first)"
        )
    if replaced:
        notes.append(
            f"{replaced} predicted instances were replaced by the user-labelled instance "
            "of the same track and frame"
        )
    if clashes.size:
        notes.append(
            f"{clashes.size} instances shared a track and frame with another of their kind; "
            "the first in the file was read"
        )
    first = int(rows.frame[kept].min())
    frames = np.arange(first, int(rows.frame[kept].max()) + 1)
    position = np.full((len(frames), len(individuals), len(keypoints), 2), np.nan)
    score = np.full(position.shape[:3], np.nan)
    at = (rows.frame[kept] - first, column[kept])
    position[at] = rows.xy[kept]
    score[at] = rows.score[kept]
    poses = Poses(
        position=position,
        keypoints=keypoints,
        individuals=individuals,
        source=source,
        confidence=score if np.isfinite(score).any() else None,
        frame=frames,
        confidence_kind=SCORE,
        min_confidence=None,
        notes=notes,
    )
    return _with_fragment_note(poses)


def _one_per_track_and_frame(
    rows: _Instances, column: np.ndarray
) -> tuple[np.ndarray, int, np.ndarray]:
    """Which instance to read for each track and frame: a user-labelled one, else the first.

    Returns
    -------
    kept
        Indices of the instances read, one per (frame, track).
    replaced
        How many predicted instances a user-labelled one replaced.
    clashes
        Indices of instances left out that were of the same kind (user or predicted) as
        the one read: two animals on one track, or two untracked animals in a frame.
    """
    order = np.lexsort((np.arange(len(column)), ~rows.user, column, rows.frame))
    frame, track, user = rows.frame[order], column[order], rows.user[order]
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = (frame[1:] != frame[:-1]) | (track[1:] != track[:-1])
    group_user = user[starts][np.cumsum(starts) - 1]  # the kind read in each one's group
    left_out = ~starts
    replaced = int((left_out & group_user & ~user).sum())
    clashes = order[left_out & (user == group_user)]
    return order[starts], replaced, clashes


#: A track seen in fewer frames than this is called short in the notes.
SHORT_TRACK = 0.05


def _with_fragment_note(poses: Poses) -> Poses:
    """``poses`` with notes when its tracks look fragmented and which tracks are short.

    SLEAP's tracker starts a new track when it loses an animal, so a file can hold two
    long tracks and dozens of fragments a few frames long (27 tracks for 2 flies in
    SLEAP's own example); naming the short ones says which individuals are worth reading.
    """
    fragmented = poses.fragmented()
    if fragmented:
        poses.notes.append(fragmented)
    fractions = poses.tracked_fraction()
    short = [name for name, fraction in fractions.items() if fraction < SHORT_TRACK]
    if len(fractions) > 1 and short:
        listed = ", ".join(short[:5]) + (f" and {len(short) - 5} more" if len(short) > 5 else "")
        poses.notes.append(
            f"{len(short)} of {len(fractions)} tracks are each tracked in under "
            f"{SHORT_TRACK:.0%} of frames ({listed}): fragments or false detections"
        )
    return poses


def _unique(names: list[str]) -> list[str]:
    """``names`` with a repeated name numbered (``a``, ``a (2)``), so each is one individual."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique


def _reason(err: BaseException) -> str:
    """The first line of a library's error, short enough for a one-line message."""
    text = str(err).strip().strip("\"'").splitlines()
    return (text[0] if text else type(err).__name__)[:160]


# --- sniffers and registration ----------------------------------------------------------


def _sniff_slp(path: Path, head: bytes) -> bool:
    """A ``.slp`` is SLEAP's when it is HDF5 (SLEAP has saved labels so since 1.0)."""
    return head.startswith(HDF5_SIGNATURE)


def _sniff_analysis(path: Path, head: bytes) -> bool:
    """HDF5 with a ``tracks`` dataset and ``node_names``: SLEAP's analysis export."""
    if not head.startswith(HDF5_SIGNATURE):
        return False
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return isinstance(f.get("tracks"), h5py.Dataset) and "node_names" in f
    except (OSError, ValueError):
        return False


def _sniff_csv(path: Path, head: bytes) -> bool:
    """A header with ``frame_idx`` and ``<node>.x``/``<node>.y`` columns."""
    header = next(csv.reader([first_line(head)]), [])
    return (
        "frame_idx" in header
        and any(c.endswith(".x") for c in header)
        and any(c.endswith(".y") for c in header)
    )


register(
    Format(
        name="sleap",
        label="SLEAP .slp",
        suffixes=(".slp",),
        sniff=_sniff_slp,
        read=read_slp,
        extra="sleap",
        needs=("sleap_io",),
    )
)
register(
    Format(
        name="sleap-analysis",
        label="SLEAP analysis H5",
        suffixes=(".h5", ".hdf5", ".analysis.h5"),
        sniff=_sniff_analysis,
        read=read_analysis,
        extra="h5",
        needs=("h5py",),
    )
)
register(
    Format(
        name="sleap-csv",
        label="SLEAP CSV export",
        suffixes=(".csv",),
        sniff=_sniff_csv,
        read=read_csv,
    )
)
