"""The geometry of the reconstruction videos, in pixels: pure numpy, no figure.

Where the views are (:func:`view_limits`, :func:`zoom_view`), what is drawn inside them
(:func:`clip_segments`, :func:`skeleton_polylines`, :func:`trail_segments`,
:func:`visible_heads`) and how data pixels map to the figure's (:func:`apply_affines`).
Every function takes and returns float64 arrays whose last axis is ``(x, y)``; NaN marks a
point that is missing or not drawn.
"""

from __future__ import annotations

import numpy as np

#: How many past frames of the head the trail shows.
TRAIL_FRAMES = 20
#: Half the side of the zoomed view, in body lengths of the reference.
ZOOM_HALF_BODY_LENGTHS = 0.75
#: Body length assumed when the reference gives none (fewer than two finite keypoints).
FALLBACK_BODY_LENGTH_PX = 50.0
#: The zoomed view is at least this many pixels across each way from its centre.
MIN_ZOOM_HALF_PX = 10.0


def view_limits(stack: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """Square view ``(xlim, ylim)`` in pixels holding every finite point, with a margin.

    ``stack`` is ``(..., 2)`` pixels; a point with a NaN coordinate is left out. One view
    for all panels and frames keeps the panels comparable and the picture still while the
    video plays. ``ylim`` runs top-down, as image coordinates do.
    """
    points = stack.reshape(-1, 2)
    points = points[np.isfinite(points).all(axis=1)]
    if len(points) == 0:
        low, high = np.zeros(2), np.full(2, 100.0)  # nothing will be drawn; any view does
    else:
        low, high = points.min(axis=0), points.max(axis=0)
    centre = (low + high) / 2
    # Half the side: the larger span plus 4% and 8 image px on each side (room for the head
    # marker), at least 20 px so that a still animal is not magnified into a blur.
    half = max(float((high - low).max()) * 0.54 + 8.0, 20.0)
    return (centre[0] - half, centre[0] + half), (centre[1] + half, centre[1] - half)


def zoom_view(reference: np.ndarray) -> tuple[np.ndarray, float]:
    """Centre of the zoomed view in each frame, and its half side, from the reference.

    Parameters
    ----------
    reference
        ``(frames, keypoints, 2)`` pixels of the reference panel, head first.

    Returns
    -------
    The ``(frames, 2)`` centres of :func:`body_centres`, and the half side in pixels:
    :data:`ZOOM_HALF_BODY_LENGTHS` times :func:`body_length`, at least
    :data:`MIN_ZOOM_HALF_PX`.
    """
    half = ZOOM_HALF_BODY_LENGTHS * body_length(reference)
    return body_centres(reference), max(half, MIN_ZOOM_HALF_PX)


def body_centres(reference: np.ndarray) -> np.ndarray:
    """``(frames, 2)`` pixels: the mean of each frame's finite keypoints.

    ``reference`` is ``(frames, keypoints, 2)`` pixels. A frame with no finite keypoint
    takes the previous frame's centre, and frames before the first that has one take
    that frame's, so the view holds still over a gap; in a window without any, every
    centre is the middle of :func:`view_limits`' view.
    """
    finite = np.isfinite(reference).all(axis=2)  # (frames, keypoints)
    count = finite.sum(axis=1)
    has = count > 0
    if not has.any():
        xlim, ylim = view_limits(reference[None])
        return np.tile([np.mean(xlim), np.mean(ylim)], (len(reference), 1))
    sums = np.where(finite[..., None], reference, 0.0).sum(axis=1)
    raw = sums / np.maximum(count, 1)[:, None]
    source = np.maximum.accumulate(np.where(has, np.arange(len(reference)), -1))
    source[source < 0] = np.argmax(has)
    return raw[source]


def body_length(reference: np.ndarray) -> float:
    """The reference's body length in pixels, robust to a few bad frames.

    The median over frames of the first-to-last keypoint distance in ``reference``
    ``(frames, keypoints, 2)``; where no frame has both ends, the median diagonal of the
    finite keypoints' bounding box; where that is zero in every frame too (fewer than two
    distinct finite keypoints), :data:`FALLBACK_BODY_LENGTH_PX`.
    """
    body = np.linalg.norm(reference[:, 0] - reference[:, -1], axis=1)
    body = body[np.isfinite(body) & (body > 0)]
    if len(body) == 0:
        finite = np.isfinite(reference).all(axis=2)
        has = finite.any(axis=1)
        lows = np.where(finite[..., None], reference, np.inf).min(axis=1)
        highs = np.where(finite[..., None], reference, -np.inf).max(axis=1)
        body = np.linalg.norm(highs[has] - lows[has], axis=1)
        body = body[body > 0]
    return float(np.median(body)) if len(body) else FALLBACK_BODY_LENGTH_PX


def scale_step(side: float) -> float:
    """A round length (1, 2 or 5 times a power of ten) of at most a quarter of ``side``.

    The largest such length, so the scale bar and the zoomed grid stay readable: 4 to 10
    grid cells across the view. ``side`` is in pixels, positive.
    """
    target = side / 4
    power = 10.0 ** np.floor(np.log10(target))
    return float(max(m * power for m in (1, 2, 5) if m * power <= target))


def round_up(pixels: float, multiple: int) -> int:
    """``pixels`` rounded to the nearest integer, then up to a multiple of ``multiple``."""
    return int(-(-round(pixels) // multiple) * multiple)


def clip_segments(
    starts: np.ndarray, ends: np.ndarray, half: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Cut segments ``(..., 2)`` to the box ``|x|, |y| <= half`` (Liang-Barsky).

    ``half`` broadcasts against the segments' shape less its last axis; ``inf`` cuts
    nothing. Returns the new starts and ends: NaN where nothing is left of a segment; where
    an end was NaN, points with a NaN coordinate (not drawn either).
    """
    delta = ends - starts
    half = np.asarray(half, dtype=np.float64)[..., None]
    low, high = np.zeros(delta.shape[:-1]), np.ones(delta.shape[:-1])
    keep = np.ones(delta.shape[:-1], dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Leaving through the low edge (-delta * t <= starts + half), then the high one.
        for p, q in ((-delta, starts + half), (delta, half - starts)):
            ratio = q / p
            low = np.maximum(low, np.where(p < 0, ratio, -np.inf).max(axis=-1))
            high = np.minimum(high, np.where(p > 0, ratio, np.inf).min(axis=-1))
            keep &= ~((p == 0) & (q < 0)).any(axis=-1)  # parallel to an edge, beyond it
    keep &= low <= high  # also False where NaN
    new_starts = np.where(keep[..., None], starts + low[..., None] * delta, np.nan)
    new_ends = np.where(keep[..., None], starts + high[..., None] * delta, np.nan)
    return new_starts, new_ends


def skeleton_polylines(poses: np.ndarray, halves: np.ndarray) -> np.ndarray:
    """Skeletons ``(m, keypoints, 2)`` as polylines cut to boxes ``|x|, |y| <= halves[i]``.

    Returns ``(m, 3 * keypoints, 2)``: keypoint ``i`` at vertex ``3 i`` (NaN if outside
    its box), then the part of the segment to keypoint ``i + 1`` that lies inside. The
    rest is NaN, which also keeps one pose's tail from being joined to the next one's
    head. Every keypoint is thus at a multiple of 3, for ``markevery``.
    """
    m, k, _ = poses.shape
    out = np.full((m, 3 * k, 2), np.nan)
    inside = (np.abs(poses) <= halves[:, None, None]).all(axis=2)
    out[:, 0::3] = np.where(inside[..., None], poses, np.nan)
    starts, ends = clip_segments(poses[:, :-1], poses[:, 1:], halves[:, None])
    out[:, 1 : 3 * k - 3 : 3] = starts
    out[:, 2 : 3 * k - 3 : 3] = ends
    return out


def trail_segments(heads: np.ndarray, halves: np.ndarray) -> np.ndarray:
    """The head's recent path as ``(m, TRAIL_FRAMES, 2, 2)`` segments (start, end).

    ``heads`` is ``(m, frames, 2)``, 2 to ``TRAIL_FRAMES + 1`` frames, oldest first; each
    segment is cut to its panel's box ``|x|, |y| <= halves[i]``. The newest segment comes
    last; slots older than the window holds (at the start of a video) are NaN.
    """
    starts, ends = clip_segments(heads[:, :-1], heads[:, 1:], halves[:, None])
    segments = np.full((len(heads), TRAIL_FRAMES, 2, 2), np.nan)
    segments[:, TRAIL_FRAMES - starts.shape[1] :] = np.stack([starts, ends], axis=2)
    return segments


def visible_heads(poses: np.ndarray, halves: np.ndarray) -> np.ndarray:
    """``(m, 2)``: the first keypoint of each pose ``(m, keypoints, 2)`` inside its box.

    NaN where the head lies outside ``|x|, |y| <= halves[i]`` (or is missing), so that
    no marker is drawn beyond the edge of a zoomed view.
    """
    inside = (np.abs(poses[:, 0]) <= halves[:, None]).all(axis=1)
    return np.where(inside[:, None], poses[:, 0], np.nan)


def apply_affines(points: np.ndarray, affines: np.ndarray) -> np.ndarray:
    """Map points ``(m, ..., 2)`` through 3x3 affine matrices ``(m, 3, 3)``, one per entry.

    Entry ``k`` of ``points`` goes through ``affines[k]``; the shape is kept.
    """
    flat = points.reshape(len(points), -1, 2)
    out = np.einsum("pnj,pij->pni", flat, affines[:, :2, :2]) + affines[:, None, :2, 2]
    return out.reshape(points.shape)
