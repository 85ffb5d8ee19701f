"""What a pose file holds, in words: ``killipose info FILE``."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from killipose.io import FORMATS, detect, read_poses

#: Individuals whose missing data per keypoint is listed (the most tracked).
MAX_LISTED = 4


def describe_file(path: str | os.PathLike, format: str = "auto") -> str:
    """A few lines on ``path``: format, frames and time, keypoints, animals, confidence,
    missing data per keypoint, and notes. Reads the file; writes nothing.

    Raises
    ------
    InputError
        The file cannot be read (one line naming it).
    """
    path = Path(path)
    fmt = detect(path, format)
    poses = read_poses(path, fmt.name)
    lines = [f"{path}", f"format: {fmt.label} ({fmt.name})", f"frames: {poses.frames}"]
    lines.append(f"time: {_time(poses.time_s, poses.frame)}")
    lines.append(f"keypoints ({len(poses.keypoints)}): {', '.join(poses.keypoints)}")
    tracked = poses.tracked_fraction()
    lines.append(
        f"individuals ({len(poses.individuals)}): "
        + ", ".join(f"{n} ({f:.0%} of frames tracked)" for n, f in tracked.items())
    )
    lines.append(f"confidence: {_confidence(poses)}")
    missing = ~np.isfinite(poses.position).all(axis=-1)  # (frames, individuals, keypoints)
    # The most-tracked individuals first; a file of fragmented tracks lists the rest by name.
    order = sorted(range(len(poses.individuals)), key=lambda j: -tracked[poses.individuals[j]])
    for j in order[:MAX_LISTED]:
        name = poses.individuals[j]
        where = "" if len(poses.individuals) == 1 else f" of {name}"
        per_keypoint = ", ".join(
            f"{k} {missing[:, j, i].mean():.1%}" for i, k in enumerate(poses.keypoints)
        )
        lines.append(f"missing{where}: {per_keypoint}")
    if len(order) > MAX_LISTED:
        hidden = len(order) - MAX_LISTED
        lines.append(f"missing: {hidden} more individuals, less tracked, not shown")
    fragmented = poses.fragmented()
    notes = list(dict.fromkeys(([fragmented] if fragmented else []) + poses.notes))
    lines += [f"note: {note}" for note in notes]
    return "\n".join(lines)


def _time(time_s: np.ndarray | None, frame: np.ndarray | None) -> str:
    if time_s is None:
        frames = "" if frame is None else f"; frame numbers {frame[0]:g} to {frame[-1]:g}"
        return f"no time in the file: set fps{frames}"
    steps = np.diff(time_s[np.isfinite(time_s)])
    positive = steps[steps > 0]
    fps = f", {1 / np.median(positive):.4g} fps (median step)" if positive.size else ""
    return f"{np.nanmin(time_s):.6g} to {np.nanmax(time_s):.6g} s{fps}"


def _confidence(poses) -> str:
    if poses.confidence is None:
        return "none in the file"
    scores = poses.confidence[np.isfinite(poses.confidence)]
    if not scores.size:
        return f"{poses.confidence_kind or 'score'}, every value missing"
    text = (
        f"{poses.confidence_kind or 'score'}, min {scores.min():.3g}, "
        f"median {np.median(scores):.3g}, max {scores.max():.3g}"
    )
    if poses.min_confidence:
        below = (scores < poses.min_confidence).mean()
        text += f"; {below:.1%} below the default min_confidence {poses.min_confidence:g}"
    else:
        text += f"; no default min_confidence for {FORMATS[poses.source].label}"
    return text
