"""NWB files with pose estimates stored by the ndx-pose extension (``.nwb``).

Read with pynwb and ndx-pose. Each ``PoseEstimation`` holds one ``PoseEstimationSeries``
per keypoint: ``data`` ``(frames, 2)`` x, y (or ``(frames, 3)`` with z), ``confidence``
``(frames,)`` and ``timestamps`` in seconds (or ``starting_time`` and ``rate``).
This module opens the file and makes :class:`~killipose.io.poses.Poses`;
:mod:`.pose_estimation` reads the ndx-pose objects in it.

Notes
-----
Where the poses are
    Every ``PoseEstimation`` in any processing module (ndx-pose recommends ``behavior``;
    SLEAP writes ``SLEAP_VIDEO_000_<video>``) or in ``acquisition``.
Individuals
    Each ``PoseEstimation`` is one individual. ndx-pose keeps one subject per file
    (DLC2NWB, neuroconv and movement write one file per animal), but SLEAP (sleap-io)
    writes one ``PoseEstimation`` per track, named ``track=<track>``. The name is, first
    found: the subject its ``Skeleton`` links to (ndx-pose 0.2+), the individual of
    DLC2NWB's series (``<individual>_<keypoint>``, described "Keypoint <keypoint> from
    individual <individual>."), sleap-io's ``<track>``; then, with one ``PoseEstimation``,
    the file's subject or ``animal``, and with several, the ``PoseEstimation``'s name.
Keypoints
    The series names, in the order of the ``Skeleton``'s nodes (pynwb lists series
    alphabetically), cleaned of DLC2NWB's ``<individual>_`` and neuroconv's
    ``PoseEstimationSeries`` prefixes.
Time
    The series' timestamps (seconds from the session start), or ``starting_time`` plus
    frame / ``rate``. Series of different lengths are aligned on their times (sleap-io
    drops the frames where a node is missing), NaN where a series has no sample.
    DLC2NWB (when it cannot find the video) and sleap-io (without video timestamps)
    write the frame numbers 0, 1, 2, ... as seconds: whole-number times one apart are
    read as frame numbers, with no time (set ``fps``), and a note says so.
Confidence
    ``likelihood`` when ``source_software`` is DeepLabCut or Lightning Pose, whose
    default ``min_confidence`` is 0.6 as in their own CSV/H5 readers; otherwise ``score``
    with no default threshold (SLEAP's and others' scores are on their own scales).
3-D
    A series with (x, y, z) data, or a ``MultiCameraPoseEstimation`` (triangulated 3-D
    keypoints), is an error; z is never dropped.
Warnings
    While the file is read, pynwb warns that it ignores the ndx-pose (or NWB core) schema
    cached in a file written with another version, and that fields the file was written
    with are deprecated: noise for a reader that only needs the data, so it is hidden.
    Other warnings pass through.
"""

from __future__ import annotations

import re
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from killipose.errors import InputError
from killipose.io.deeplabcut.columns import MIN_LIKELIHOOD
from killipose.io.nwb.pose_estimation import Track, align, individual_names, read_tracks, subject_id
from killipose.io.poses import Poses
from killipose.io.registry import reader, sniff_hdf5

#: Source software (lower case, letters only) whose confidence is a likelihood, with
#: the default ``min_confidence`` of DeepLabCut's and Lightning Pose's own files.
_LIKELIHOOD_SOFTWARE = ("deeplabcut", "lightningpose")
#: The cached-schema warnings pynwb gives for files written with other versions.
_CACHED_NAMESPACE_WARNING = r"Ignoring (the following )?cached namespace"


@reader(
    "nwb", "NWB file with ndx-pose", (".nwb",), sniff_hdf5, extra="nwb", needs=("pynwb", "ndx_pose")
)
def read_poses(path: str | Path) -> Poses:
    """Every ``PoseEstimation`` of an NWB file, as one individual each.

    Parameters
    ----------
    path
        An ``.nwb`` (HDF5) file with ndx-pose ``PoseEstimation`` objects.

    Returns
    -------
    Poses with x, y in the series' unit (pixels for pose trackers), confidence where
    the series have it, and time in seconds (or frame numbers, see the module notes).

    Raises
    ------
    InputError
        The file cannot be read by pynwb, has no ``PoseEstimation`` or no series in
        them, a series with z data (3-D) or not of shape ``(frames, 2)``, timestamps or
        confidence of another length than its data, or repeated timestamps.
    """
    path = Path(path)
    with _nwb_file(path) as nwbfile:
        tracks = read_tracks(path, nwbfile)
        file_subject = subject_id(nwbfile.subject)
    notes: list[str] = []
    empty = [t for t in tracks if not t.series]
    tracks = [t for t in tracks if t.series]
    if not tracks:
        names = ", ".join(t.where for t in empty)
        raise InputError(f"{path}: NWB PoseEstimation {names} has no PoseEstimationSeries")
    if empty:
        notes.append(f"skipped PoseEstimation without series: {', '.join(t.where for t in empty)}")
    individuals = individual_names(tracks, file_subject)
    keypoints = list(dict.fromkeys(k for t in tracks for k in t.series))
    time_s, position, confidence, align_notes = align(tracks, keypoints, individuals)
    notes += align_notes + _unit_notes(tracks) + _camera_notes(tracks)
    frame = None
    if _are_frame_numbers(time_s):
        frame, time_s = time_s.astype(np.int64), None
        notes.append(
            "timestamps are frame numbers (0, 1, 2, ... s, as DLC2NWB and sleap-io write "
            "when they do not know the video's frame times): read as frames; set fps"
        )
    likelihood = all(_is_likelihood(t.software) for t in tracks)
    return Poses(
        position,
        keypoints,
        individuals,
        "nwb",
        confidence=confidence,
        time_s=time_s,
        frame=frame,
        confidence_kind="likelihood" if likelihood else "score",
        min_confidence=MIN_LIKELIHOOD if likelihood else None,
        notes=notes,
    )


@contextmanager
def _nwb_file(path: Path):
    """The file's ``NWBFile``, open for reading, closed on leaving; errors as one line."""
    import ndx_pose  # noqa: F401  (registers the PoseEstimation classes with pynwb)
    from pynwb import NWBHDF5IO

    io = None
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", _CACHED_NAMESPACE_WARNING, UserWarning)
            # Deprecations of fields the file was written with (a Device's manufacturer,
            # ndx-pose 0.1 nodes): the writer's business, nothing a reader can change.
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            try:
                io = NWBHDF5IO(str(path), "r", load_namespaces=True)
                nwbfile = io.read()
            # pynwb and hdmf raise many kinds of errors for files they cannot build
            # (OSError, KeyError, ValueError, ConstructError, ...); each means the same
            # to a user: this is not an NWB file these libraries can read.
            except Exception as err:
                raise InputError(f"{path}: cannot read as NWB ({_first_line(err)})") from None
        yield nwbfile
    finally:
        if io is not None:
            io.close()


def _first_line(err: Exception) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:500]}" if text else type(err).__name__


def _are_frame_numbers(time_s: np.ndarray) -> bool:
    """Whether times are whole numbers at least one apart, the smallest step exactly 1."""
    if len(time_s) < 2 or not np.array_equal(time_s, np.round(time_s)):
        return False
    return float(np.diff(time_s).min()) == 1.0


def _unit_notes(tracks: list[Track]) -> list[str]:
    units = sorted({s.unit for t in tracks for s in t.series.values()})
    other = [u for u in units if u.lower() not in ("pixels", "pixel", "px")]
    return [f"positions are in {', '.join(other)}, not pixels"] if other else []


def _camera_notes(tracks: list[Track]) -> list[str]:
    devices = sorted({t.device for t in tracks if t.device is not None})
    if len(devices) < 2:
        return []
    return [
        f"the PoseEstimation objects come from different cameras ({', '.join(devices)}); "
        "each is listed as an individual"
    ]


def _is_likelihood(software: str | None) -> bool:
    return re.sub(r"[^a-z]", "", (software or "").lower()) in _LIKELIHOOD_SOFTWARE
