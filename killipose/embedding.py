"""Latent codes per frame, and reconstructions back in pixels."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from killipose.cleaning.table import CleanTable

if TYPE_CHECKING:  # torch is imported only where a model is used
    from killipose.models import LatentModel


def latent_table(model: LatentModel, clean: CleanTable) -> pd.DataFrame:
    """The latent code of every frame.

    Returns
    -------
    DataFrame with the table's meta columns (``frame``, ``time_s``, ``split``, ``valid``,
    ``label`` where present) and ``z1`` ... ``zK`` (latent units; NaN for frames that are
    not valid).
    """
    valid = clean.frame["valid"].to_numpy()
    Z = np.full((len(valid), model.latent_dim), np.nan, dtype=np.float32)
    Z[valid] = model.transform(clean.matrix())
    latent = pd.DataFrame(Z, columns=[f"z{i + 1}" for i in range(model.latent_dim)])
    return pd.concat([clean.frame[clean.meta], latent], axis=1)


def reconstruct_pixels(model: LatentModel, clean: CleanTable, rows: slice) -> np.ndarray:
    """Encode and decode the frames in ``rows``; ``(frames, keypoints, 2)`` in pixels.

    Frames that are not valid come back as NaN.
    """
    X = clean.frame.iloc[rows][clean.features].to_numpy(np.float32)
    valid = np.isfinite(X).all(axis=1)
    out = np.full(X.shape, np.nan, dtype=np.float64)
    if valid.any():
        out[valid] = clean.to_pixels(model.inverse_transform(model.transform(X[valid])))
    return out.reshape(len(X), -1, 2)


def original_pixels(clean: CleanTable, rows) -> np.ndarray:
    """The cleaned frames in ``rows`` (a slice, or positions) in pixels,
    ``(frames, keypoints, 2)``.

    Read a column at a time: a copy of the rows' whole table first would hold its other
    columns too.
    """
    columns = (clean.frame[name].to_numpy(np.float64)[rows] for name in clean.features)
    first = next(columns)
    X = np.empty((len(first), len(clean.features)))
    X[:, 0] = first
    for j, column in enumerate(columns, start=1):
        X[:, j] = column
    return clean.to_pixels(X).reshape(len(X), -1, 2)


def traversal_pixels(
    model: LatentModel, clean: CleanTable, steps: int = 7, spread: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """Poses decoded along each latent axis: what each code dimension means.

    From the mean code of the training frames, one dimension at a time moves from
    ``-spread`` to ``+spread`` standard deviations of that dimension (over the training
    frames) in ``steps`` steps while the others stay at their mean.

    Returns
    -------
    poses
        ``(latent_dim, steps, keypoints, 2)`` in pixels (of the table's frame: the arena,
        or the body frame for egocentric tables).
    offsets
        ``(steps,)`` the offsets, in standard deviations.
    """
    X = clean.matrix("train")
    X = X[:: max(len(X) // 100_000, 1)]  # evenly spaced, enough for a mean and a spread
    Z = model.transform(X)
    mean, sd = Z.mean(axis=0), Z.std(axis=0)
    offsets = np.linspace(-spread, spread, steps)
    k = model.latent_dim
    codes = np.repeat(mean[None, None, :], k * steps, axis=0).reshape(k, steps, k)
    for i in range(k):
        codes[i, :, i] += offsets * sd[i]
    decoded = model.inverse_transform(codes.reshape(k * steps, k).astype(np.float32))
    return clean.to_pixels(decoded).reshape(k, steps, -1, 2), offsets


def arena_outline(
    clean: CleanTable, max_frames: int = 200_000, bins: int = 100
) -> np.ndarray | None:
    """Where the animal went in the whole recording: the arena's outline as far as the data
    show it, ``(corners, 2)`` pixels in order, or None with too few points.

    The convex hull of the keypoints in the arena (from every k-th valid frame, at most
    ``max_frames``), less stray points: the hull is of the cells of a ``bins`` x ``bins``
    grid over them that hold two points or more, unless that leaves out more than a tenth
    of the points (a short recording), when it is of every cell with one.
    """
    from scipy.spatial import ConvexHull, QhullError

    valid = np.flatnonzero(clean.frame["valid"].to_numpy())
    rows = valid[:: max(1, -(-len(valid) // max_frames))]
    points = clean.to_arena(original_pixels(clean, rows), rows).reshape(-1, 2)
    points = points[np.isfinite(points).all(axis=1)]
    if len(points) < 3:
        return None
    counts, xs, ys = np.histogram2d(*points.T, bins=bins)
    keep = counts >= 2
    if counts[keep].sum() < 0.9 * len(points):
        keep = counts >= 1
    i, j = np.nonzero(keep)
    corners = np.concatenate(
        [np.stack([xs[i + a], ys[j + b]], axis=1) for a in (0, 1) for b in (0, 1)]
    )
    try:
        hull = ConvexHull(corners)
    except QhullError:  # every point on a line
        return None
    return corners[hull.vertices]
