"""SLEAP instances as :class:`~killipose.io.poses.Poses`: one individual per track.

What the ``.slp`` and CSV readers share (instances as rows, one per track and frame,
a user's label before a prediction), and the :class:`Poses` every SLEAP reader returns
(scores without a default threshold, notes on fragmented tracks).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from killipose.errors import InputError
from killipose.io.poses import Poses

#: The individual of a file without tracks.
UNTRACKED = "animal"
#: What SLEAP's confidences are (confidence-map peaks, not probabilities).
SCORE = "score"
#: A track seen in fewer frames than this is called short in the notes.
SHORT_TRACK = 0.05


@dataclass
class Instances:
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

    def take(self, rows: np.ndarray) -> Instances:
        """The instances at ``rows`` (indices or a mask)."""
        index = np.arange(len(self.frame))[rows]
        return Instances(
            self.frame[index],
            [self.track[i] for i in index],
            self.xy[index],
            self.score[index],
            self.user[index],
        )


def to_poses(
    path: Path, source: str, keypoints: list[str], rows: Instances, tracks: list[str]
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
    confidence = score if np.isfinite(score).any() else None
    return sleap_poses(
        source, position, keypoints, individuals, confidence=confidence, frame=frames, notes=notes
    )


def _one_per_track_and_frame(
    rows: Instances, column: np.ndarray
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


def sleap_poses(
    source: str, position: np.ndarray, keypoints: list[str], individuals: list[str], **fields
) -> Poses:
    """SLEAP's tracks as :class:`Poses` (arguments and ``fields`` as its attributes): the
    confidence is a ``"score"`` with no default threshold (see :mod:`killipose.io.sleap`), and
    the notes gain a line when the tracks look fragmented or some are short."""
    poses = Poses(
        position,
        keypoints,
        individuals,
        source,
        confidence_kind=SCORE,
        min_confidence=None,
        **fields,
    )
    return _with_fragment_note(poses)


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


def unique(names: list[str]) -> list[str]:
    """``names`` with a repeated name numbered (``a``, ``a (2)``), so each is one individual."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique
