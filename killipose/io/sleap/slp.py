"""The instances of a SLEAP ``.slp`` labels file, as sleap-io loads it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from killipose.errors import InputError
from killipose.io.poses import three_d_error
from killipose.io.sleap.tracks import Instances, unique


def label_instances(path: Path, labels) -> tuple[list[str], Instances, list[str]]:
    """The keypoints, instances and track names of sleap-io's ``Labels`` of ``path``.

    Track names are made unique (``a``, ``a (2)``); an unnamed track is ``track_<i>``.

    Raises
    ------
    InputError
        3-D points, several skeletons, or labelled frames of several videos.
    """
    import sleap_io

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
    track_names = unique([t.name or f"track_{i}" for i, t in enumerate(labels.tracks)])
    name_of = {id(t): n for t, n in zip(labels.tracks, track_names, strict=True)}
    keypoints = list(labels.skeletons[0].node_names)
    rows = [
        (lf.frame_idx, name_of.get(id(inst.track)), inst) for lf in frames for inst in lf.instances
    ]
    instances = Instances(
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
    return keypoints, instances, track_names


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
