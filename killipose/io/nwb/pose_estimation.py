"""ndx-pose's structures in an open NWB file: each ``PoseEstimation`` and its series.

Copies each ``PoseEstimation``'s ``PoseEstimationSeries`` out of the file (x, y,
confidence, time in seconds), names its individual and keypoints, and aligns every
series on the union of their times. How names and times are chosen: the notes of
:mod:`killipose.io.nwb`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from killipose.errors import InputError
from killipose.io.poses import three_d_error

#: Times are matched to the microsecond: video frames are far further apart, and series
#: timed by ``starting_time`` + frame / ``rate`` differ from stored timestamps by rounding.
_TIME_RESOLUTION_S = 1e-6
#: DLC2NWB's series description, which names the keypoint and the individual.
_DLC2NWB_DESCRIPTION = re.compile(
    r"^Keypoint (?P<keypoint>.+) from individual (?P<individual>.+)\.$"
)
#: neuroconv's prefix of series names ("PoseEstimationSeriesnose").
_SERIES_PREFIX = "PoseEstimationSeries"


@dataclass
class _Series:
    """One keypoint's samples, copied out of the file."""

    name: str
    time_s: np.ndarray  # (samples,) seconds
    xy: np.ndarray  # (samples, 2) in the series' unit
    confidence: np.ndarray | None  # (samples,)
    unit: str


@dataclass
class Track:
    """One ``PoseEstimation``: an individual's keypoints and what the file says of it."""

    where: str  # "behavior/PoseEstimation"
    name: str
    series: dict[str, _Series]  # by clean keypoint name, in skeleton order
    individual: str | None  # the name the file gives the animal, if any
    software: str | None
    device: str | None


def read_tracks(path: Path, nwbfile) -> list[Track]:
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


def _read_track(path: Path, where: str, pe) -> Track:
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
        (subject_id(skeleton.subject) if skeleton is not None else None)
        or individual
        or (pe.name[len("track=") :] if pe.name.startswith("track=") else None)
    )
    device = getattr(pe, "device", None)
    return Track(
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


def subject_id(subject) -> str | None:
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


def individual_names(tracks: list[Track], file_subject: str | None) -> list[str]:
    """One name per track, unique: see the module notes for the order of choice."""
    if len(tracks) == 1:
        return [tracks[0].individual or file_subject or "animal"]
    names = [t.individual or t.name for t in tracks]
    if len(set(names)) < len(names):
        names = [t.name for t in tracks]
    if len(set(names)) < len(names):
        names = [t.where for t in tracks]
    return names


def align(
    tracks: list[Track], keypoints: list[str], individuals: list[str]
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
