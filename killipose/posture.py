"""Egocentric posture: each frame translated to a body point and rotated to face +x.

In arena coordinates a pose is where the animal is, which way it faces, and its shape. A
low-dimensional code of arena keypoints spends its first dimensions on position and
heading (on the fish, a 4-D linear code is x, y, cos and sin of the heading). Pose
models such as keypoint-MoSeq and VAME therefore align every frame first: subtract a
reference point and rotate so that a body axis points along +x. What is left, the
*posture*, is the shape alone; the position and heading are kept beside it, so that
:func:`to_arena` puts the animal back exactly.

Coordinates stay in pixels, in the image convention of the input (y grows downwards):
``heading`` is the angle of the body axis from +x towards +y, which on screen is
clockwise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from killipose.errors import InputError

#: The ``origin`` (or an end of ``axis``) that means the mean of all keypoints.
CENTROID = "centroid"


def egocentric(
    xy: np.ndarray,
    keypoints: Sequence[str],
    origin: str = CENTROID,
    axis: Sequence[str] | None = None,
    out: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Translate each frame to ``origin`` and rotate it so that ``axis`` points along +x.

    Parameters
    ----------
    xy
        ``(frames, keypoints, 2)`` x, y in pixels.
    keypoints
        Names of the keypoints, in the order of ``xy``'s second axis (body order, head
        first).
    origin
        ``"centroid"`` (the mean of all keypoints of the frame) or a keypoint name: the
        point that becomes ``(0, 0)``.
    axis
        ``(from, to)``: two keypoint names (or ``"centroid"``) whose vector is rotated
        onto +x. ``None``: from ``origin`` to the first keypoint, i.e. with the default
        origin from the body centre to the head, so the animal faces +x. When ``origin``
        is the first keypoint itself, that vector has no direction, and ``None`` means
        from the centroid to the first keypoint.
    out
        Where to write the posture, ``(frames, keypoints, 2)`` float64; may be ``xy``
        itself (the reference points are read before anything is written), which saves
        a copy of the table on long recordings. ``None``: a new array.

    Returns
    -------
    posture
        ``(frames, keypoints, 2)`` float64 pixels in the body frame.
    position
        ``(frames, 2)`` float64 pixels: where ``origin`` was in the arena.
    heading
        ``(frames,)`` float64 radians in ``[-pi, pi]``: the angle of ``axis`` in the
        arena, from +x towards +y.

    Raises
    ------
    InputError
        If ``origin`` or an end of ``axis`` is not a keypoint (nor ``"centroid"``), or
        ``axis`` is not two names; the message names ``clean.origin`` / ``clean.axis``.

    Notes
    -----
    A frame with a NaN in a reference point (any keypoint for ``"centroid"``; the origin
    and both ends of the axis otherwise) has no position or heading, and all of its
    posture is NaN; so has a frame whose axis ends coincide (a zero-length axis has no
    direction). A NaN in another keypoint stays in that keypoint only.

    Where the axis starts at the origin, its end keypoint lies on +x: its y is exactly 0
    (and an origin keypoint is exactly (0, 0)), a constant column, not rounding noise.
    The posture keeps three fewer degrees of freedom than it has columns (position and
    heading are gone; with the centroid origin the keypoints' mean is (0, 0) in every
    frame), so a model that whitens its input must not divide by those zero spreads
    (see :mod:`killipose.models.fold`).

    Memory: beyond ``out`` it holds a few ``(frames,)`` arrays, one keypoint at a time.
    """
    xy = np.asarray(xy)
    if xy.ndim != 3 or xy.shape[2] != 2 or xy.shape[1] != len(keypoints):
        raise ValueError(
            f"xy must be (frames, {len(keypoints)} keypoints, 2), got shape {xy.shape}"
        )
    keypoints = list(keypoints)
    origin_at = _reference("clean.origin", origin, keypoints)
    start, end = _axis(origin, axis, keypoints)

    position = _point(xy, origin_at)
    vector = _point(xy, end) - _point(xy, start)
    heading = np.arctan2(vector[:, 1], vector[:, 0])
    undefined = ~(np.isfinite(position).all(axis=1) & np.isfinite(vector).all(axis=1))
    undefined |= (vector == 0).all(axis=1)
    position[undefined] = np.nan
    heading[undefined] = np.nan

    if out is None:
        out = np.empty(xy.shape, dtype=np.float64)
    cos, sin = np.cos(heading), np.sin(heading)
    for k in range(xy.shape[1]):
        dx = xy[:, k, 0] - position[:, 0]
        dy = xy[:, k, 1] - position[:, 1]
        # The rotation by -heading: the axis vector (cos, sin) * length goes to (length, 0).
        out[:, k, 0] = cos * dx + sin * dy
        out[:, k, 1] = cos * dy - sin * dx
    if start == origin_at and end is not None:
        # The axis' end lies on +x by construction. Rotation leaves ~1e-15 px of rounding
        # in its y, which z-scoring would blow up into a column of pure noise.
        out[~undefined, end, 1] = 0.0
    return out, position, heading


def to_arena(posture: np.ndarray, position: np.ndarray, heading: np.ndarray) -> np.ndarray:
    """Undo :func:`egocentric`: rotate by ``heading`` and translate to ``position``.

    Parameters
    ----------
    posture
        ``(frames, keypoints, 2)`` pixels in the body frame.
    position
        ``(frames, 2)`` pixels, the origin's place in the arena.
    heading
        ``(frames,)`` radians.

    Returns
    -------
    ``(frames, keypoints, 2)`` float64 arena pixels; NaN where any input is NaN.
    """
    posture = np.asarray(posture, dtype=np.float64)
    position = np.asarray(position, dtype=np.float64)
    heading = np.asarray(heading, dtype=np.float64)
    n = len(posture)
    if posture.ndim != 3 or posture.shape[2] != 2:
        raise ValueError(f"posture must be (frames, keypoints, 2), got shape {posture.shape}")
    if position.shape != (n, 2) or heading.shape != (n,):
        raise ValueError(
            f"position must be ({n}, 2) and heading ({n},), got {position.shape} and "
            f"{heading.shape}"
        )
    cos, sin = np.cos(heading)[:, None], np.sin(heading)[:, None]
    x, y = posture[..., 0], posture[..., 1]
    return np.stack(
        [cos * x - sin * y + position[:, :1], sin * x + cos * y + position[:, 1:]], axis=-1
    )


def body_axis(
    keypoints: Sequence[str], origin: str = CENTROID, axis: Sequence[str] | None = None
) -> tuple[str, str]:
    """The ``(from, to)`` names :func:`egocentric` turns to +x, ``None`` resolved.

    Checks ``origin`` and ``axis`` as :func:`egocentric` does, so a caller can refuse bad
    names before any work, and record which axis was used.
    """
    keypoints = list(keypoints)
    _reference("clean.origin", origin, keypoints)
    start, end = _axis(origin, axis, keypoints)
    return tuple(CENTROID if i is None else keypoints[i] for i in (start, end))


def _reference(key: str, name: str, keypoints: list[str]) -> int | None:
    """Index of keypoint ``name`` (``None`` for the centroid); InputError naming ``key``."""
    if name == CENTROID:
        return None
    if name not in keypoints:
        raise InputError(
            f"{key}: {name!r} is not a keypoint (keypoints: {', '.join(keypoints)}; "
            f"or {CENTROID!r})"
        )
    return keypoints.index(name)


def _axis(
    origin: str, axis: Sequence[str] | None, keypoints: list[str]
) -> tuple[int | None, int | None]:
    """Indices (``None``: the centroid) of the axis' start and end; see :func:`egocentric`."""
    if axis is None:
        first = keypoints[0] if keypoints else None
        axis = (CENTROID if origin == first else origin, first)
    if isinstance(axis, str) or len(axis) != 2 or axis[0] == axis[1]:
        raise InputError(
            f"clean.axis must be two different keypoint names [from, to], got {axis!r} "
            f"(keypoints: {', '.join(keypoints)}; or {CENTROID!r})"
        )
    start, end = (_reference("clean.axis", name, keypoints) for name in axis)
    return start, end


def _point(xy: np.ndarray, at: int | None) -> np.ndarray:
    """``(frames, 2)`` float64: keypoint ``at``, or the mean of all keypoints for ``None``."""
    if at is None:
        return xy.mean(axis=1, dtype=np.float64)
    return xy[:, at].astype(np.float64)
