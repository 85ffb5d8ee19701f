"""NWB files with pose estimates stored by the ndx-pose extension (``.nwb``).

Read with pynwb and ndx-pose. Each ``PoseEstimation`` holds one ``PoseEstimationSeries``
per keypoint: ``data`` ``(frames, 2)`` x, y (or ``(frames, 3)`` with z), ``confidence``
``(frames,)`` and ``timestamps`` in seconds (or ``starting_time`` and ``rate``).

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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from killipose.errors import InputError
from killipose.io.poses import Poses, three_d_error
from killipose.io.registry import HDF5_SIGNATURE, Format, register

#: Source software (lower case, letters only) whose confidence is a likelihood.
_LIKELIHOOD_SOFTWARE = ("deeplabcut", "lightningpose")
#: Their default ``min_confidence``, as for DeepLabCut's and Lightning Pose's own files.
_LIKELIHOOD_MIN = 0.6
#: Times are matched to the microsecond: video frames are far further apart, and series
#: timed by ``starting_time`` + frame / ``rate`` differ from stored timestamps by rounding.
_TIME_RESOLUTION_S = 1e-6
#: DLC2NWB's series description, which names the keypoint and the individual.
_DLC2NWB_DESCRIPTION = re.compile(
    r"^Keypoint (?P<keypoint>.+) from individual (?P<individual>.+)\.$"
)
#: neuroconv's prefix of series names ("PoseEstimationSeriesnose").
_SERIES_PREFIX = "PoseEstimationSeries"
#: The cached-schema warnings pynwb gives for files written with other versions.
_CACHED_NAMESPACE_WARNING = r"Ignoring (the following )?cached namespace"


@dataclass
class _Series:
    """One keypoint's samples, copied out of the file."""

    name: str
    time_s: np.ndarray  # (samples,) seconds
    xy: np.ndarray  # (samples, 2) in the series' unit
    confidence: np.ndarray | None  # (samples,)
    unit: str


@dataclass
class _Track:
    """One ``PoseEstimation``: an individual's keypoints and what the file says of it."""

    where: str  # "behavior/PoseEstimation"
    name: str
    series: dict[str, _Series]  # by clean keypoint name, in skeleton order
    individual: str | None  # the name the file gives the animal, if any
    software: str | None
    device: str | None


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
        tracks = _read_tracks(path, nwbfile)
        file_subject = _subject_id(nwbfile.subject)
    notes: list[str] = []
    empty = [t for t in tracks if not t.series]
    tracks = [t for t in tracks if t.series]
    if not tracks:
        names = ", ".join(t.where for t in empty)
        raise InputError(f"{path}: NWB PoseEstimation {names} has no PoseEstimationSeries")
    if empty:
        notes.append(f"skipped PoseEstimation without series: {', '.join(t.where for t in empty)}")
    individuals = _individual_names(tracks, file_subject)
    keypoints = list(dict.fromkeys(k for t in tracks for k in t.series))
    time_s, position, confidence, align_notes = _align(tracks, keypoints, individuals)
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
        position=position,
        keypoints=keypoints,
        individuals=individuals,
        source="nwb",
        confidence=confidence,
        time_s=time_s,
        frame=frame,
        confidence_kind="likelihood" if likelihood else "score",
        min_confidence=_LIKELIHOOD_MIN if likelihood else None,
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


def _read_tracks(path: Path, nwbfile) -> list[_Track]:
    """Every ``PoseEstimation`` in the file, its arrays copied out."""
    from ndx_pose import MultiCameraPoseEstimation, PoseEstimation

    found: list[tuple[str, object]] = []
    listed: list[str] = []
    for where, obj in _objects(nwbfile):
        listed.append(where)
        if isinstance(obj, MultiCameraPoseEstimation):
            raise three_d_error(path, f"MultiCameraPoseEstimation {where}")
        if isinstance(obj, PoseEstimation):
            found.append((where, obj))
    if not found:
        shown = ", ".join(listed[:12]) + (
            f", ... ({len(listed)} in all)" if len(listed) > 12 else ""
        )
        raise InputError(
            f"{path}: NWB file has no ndx-pose PoseEstimation (found: {shown or 'nothing'})"
        )
    return [_read_track(path, where, pe) for where, pe in found]


def _objects(nwbfile):
    """``(where, object)`` for each object in the processing modules and acquisition."""
    for module_name, module in nwbfile.processing.items():
        for name, obj in module.data_interfaces.items():
            yield f"{module_name}/{name}", obj
    for name, obj in nwbfile.acquisition.items():
        yield f"acquisition/{name}", obj


def _read_track(path: Path, where: str, pe) -> _Track:
    series = {name: _read_series(path, where, s) for name, s in pe.pose_estimation_series.items()}
    nodes = _skeleton_nodes(pe)
    ordered = [n for n in nodes if n in series] + [n for n in series if n not in nodes]
    individual, keypoints = _dlc2nwb_names(pe, ordered)
    if keypoints is None:
        keypoints = [_clean_keypoint(n) for n in ordered]
        if len(set(keypoints)) < len(keypoints):
            keypoints = ordered
    skeleton = getattr(pe, "skeleton", None)
    individual = (
        (_subject_id(skeleton.subject) if skeleton is not None else None)
        or individual
        or (pe.name[len("track=") :] if pe.name.startswith("track=") else None)
    )
    device = getattr(pe, "device", None)
    return _Track(
        where=where,
        name=pe.name,
        series={k: series[n] for k, n in zip(keypoints, ordered, strict=True)},
        individual=individual or None,
        software=pe.source_software,
        device=device.name if device is not None else None,
    )


def _skeleton_nodes(pe) -> list[str]:
    if getattr(pe, "skeleton", None) is None:
        return []
    return [n.decode() if isinstance(n, bytes) else str(n) for n in pe.skeleton.nodes[:]]


def _dlc2nwb_names(pe, names: list[str]) -> tuple[str | None, list[str] | None]:
    """DLC2NWB's ``(individual, keypoints)`` from its series descriptions, or ``None``s."""
    individual, keypoints = None, []
    for name in names:
        match = _DLC2NWB_DESCRIPTION.match(pe.pose_estimation_series[name].description or "")
        if not match or name != f"{match['individual']}_{match['keypoint']}":
            return None, None
        if individual not in (None, match["individual"]):
            return None, None
        individual = match["individual"]
        keypoints.append(match["keypoint"])
    return individual, keypoints if len(set(keypoints)) == len(keypoints) else None


def _clean_keypoint(name: str) -> str:
    if name.startswith(_SERIES_PREFIX) and len(name) > len(_SERIES_PREFIX):
        return name[len(_SERIES_PREFIX) :]
    return name


def _subject_id(subject) -> str | None:
    return getattr(subject, "subject_id", None) or None


def _read_series(path: Path, where: str, series) -> _Series:
    """One ``PoseEstimationSeries`` as arrays: x, y, confidence and time in seconds."""
    name = f"{where}/{series.name}"
    data = np.asarray(series.data[:], dtype=np.float64)
    if data.ndim == 2 and data.shape[1] == 3:
        raise three_d_error(path, f"PoseEstimationSeries {name} has (x, y, z) data")
    if data.ndim != 2 or data.shape[1] != 2:
        raise InputError(
            f"{path}: PoseEstimationSeries {name} data has shape {data.shape}, "
            "expected (frames, 2) for x, y"
        )
    conversion = series.conversion if series.conversion is not None else 1.0
    offset = getattr(series, "offset", None) or 0.0
    if conversion != 1.0 or offset != 0.0:
        data = data * conversion + offset  # NWB: data * conversion + offset is in `unit`
    try:
        time_s = np.asarray(series.get_timestamps()[:], dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise InputError(
            f"{path}: PoseEstimationSeries {name} has no usable time ({err})"
        ) from None
    _check_times(path, name, time_s, len(data))
    confidence = None
    if series.confidence is not None:
        confidence = np.asarray(series.confidence[:], dtype=np.float64)
        if confidence.shape != (len(data),):
            raise InputError(
                f"{path}: PoseEstimationSeries {name} has {len(data)} positions but "
                f"confidence of shape {confidence.shape}"
            )
    return _Series(series.name, time_s, data, confidence, series.unit or "pixels")


def _check_times(path: Path, name: str, time_s: np.ndarray, samples: int) -> None:
    if time_s.shape != (samples,):
        raise InputError(
            f"{path}: PoseEstimationSeries {name} has {samples} positions but "
            f"{time_s.size} timestamps"
        )
    if not np.isfinite(time_s).all():
        raise InputError(f"{path}: PoseEstimationSeries {name} has non-finite timestamps")
    keys = _time_keys(time_s)
    if len(np.unique(keys)) < len(keys):
        raise InputError(
            f"{path}: PoseEstimationSeries {name} has repeated timestamps, so its samples "
            "cannot be put in order"
        )


def _time_keys(time_s: np.ndarray) -> np.ndarray:
    return np.round(time_s / _TIME_RESOLUTION_S).astype(np.int64)


def _individual_names(tracks: list[_Track], file_subject: str | None) -> list[str]:
    """One name per track, unique: see the module notes for the order of choice."""
    if len(tracks) == 1:
        return [tracks[0].individual or file_subject or "animal"]
    names = [t.individual or t.name for t in tracks]
    if len(set(names)) < len(names):
        names = [t.name for t in tracks]
    if len(set(names)) < len(names):
        names = [t.where for t in tracks]
    return names


def _align(
    tracks: list[_Track], keypoints: list[str], individuals: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, list[str]]:
    """Every series on the union of their times: ``(time_s, position, confidence, notes)``."""
    every = [s for t in tracks for s in t.series.values()]
    times = np.concatenate([s.time_s for s in every])
    keys, first = np.unique(_time_keys(times), return_index=True)
    frames = len(keys)
    position = np.full((frames, len(tracks), len(keypoints), 2), np.nan)
    has_confidence = any(s.confidence is not None for s in every)
    confidence = np.full(position.shape[:3], np.nan) if has_confidence else None
    for j, track in enumerate(tracks):
        for name, s in track.series.items():
            k = keypoints.index(name)
            rows = np.searchsorted(keys, _time_keys(s.time_s))
            position[rows, j, k] = s.xy
            if confidence is not None and s.confidence is not None:
                confidence[rows, j, k] = s.confidence
    notes = []
    lengths = sorted({len(s.time_s) for s in every})
    if len(lengths) > 1 or lengths[0] != frames:
        notes.append(
            f"series have {lengths[0]} to {lengths[-1]} samples over {frames} distinct "
            "times: aligned by time, NaN where a series has no sample"
        )
    missing = [
        f"{name}: {', '.join(k for k in keypoints if k not in t.series)}"
        for name, t in zip(individuals, tracks, strict=True)
        if len(t.series) < len(keypoints)
    ]
    if missing:
        notes.append(f"keypoints missing (NaN) for {'; '.join(missing)}")
    return times[first], position, confidence, notes


def _are_frame_numbers(time_s: np.ndarray) -> bool:
    """Whether times are whole numbers at least one apart, the smallest step exactly 1."""
    if len(time_s) < 2 or not np.array_equal(time_s, np.round(time_s)):
        return False
    return float(np.diff(time_s).min()) == 1.0


def _unit_notes(tracks: list[_Track]) -> list[str]:
    units = sorted({s.unit for t in tracks for s in t.series.values()})
    other = [u for u in units if u.lower() not in ("pixels", "pixel", "px")]
    return [f"positions are in {', '.join(other)}, not pixels"] if other else []


def _camera_notes(tracks: list[_Track]) -> list[str]:
    devices = sorted({t.device for t in tracks if t.device is not None})
    if len(devices) < 2:
        return []
    return [
        f"the PoseEstimation objects come from different cameras ({', '.join(devices)}); "
        "each is listed as an individual"
    ]


def _is_likelihood(software: str | None) -> bool:
    return re.sub(r"[^a-z]", "", (software or "").lower()) in _LIKELIHOOD_SOFTWARE


def _sniff(path: Path, head: bytes) -> bool:
    """An HDF5 file named ``.nwb``: the reader names what is missing inside."""
    return head.startswith(HDF5_SIGNATURE)


register(
    Format(
        name="nwb",
        label="NWB file with ndx-pose",
        suffixes=(".nwb",),
        sniff=_sniff,
        read=read_poses,
        extra="nwb",
        needs=("pynwb", "ndx_pose"),
    )
)
