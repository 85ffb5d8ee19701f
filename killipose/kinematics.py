"""How the animal moves, frame by frame, and how each code dimension follows it.

The kinematics come from the cleaned keypoints in the arena: the body centre's place and
speed, the heading (as cos and sin, so that -179° and 179° are neighbours) and how fast it
turns, and the body's bend. A code dimension that correlates with one of them carries it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from killipose.cleaning.table import CleanTable
from killipose.embedding import original_pixels
from killipose.posture import egocentric

#: What :func:`kinematics` returns, with units, in the order tables show them.
KINEMATICS = {
    "x": "body centre's x (px)",
    "y": "body centre's y (px)",
    "speed": "body centre's speed (px/s)",
    "heading_cos": "cos of the heading (centre to head)",
    "heading_sin": "sin of the heading",
    "turn_speed": "how fast the heading turns (deg/s, unsigned)",
    "bend": "the head segment's angle to the tail segment (deg, signed)",
    "bend_size": "bend, unsigned (deg)",
}


def kinematics(clean: CleanTable) -> pd.DataFrame:
    """One row per row of ``clean.frame``: the :data:`KINEMATICS` of each frame (NaN where
    the frame is not valid, and speeds NaN beside one). Speeds use the frames' times, so a
    dropped camera frame does not double a speed. The bend needs three keypoints or more
    (NaN otherwise)."""
    rows = slice(None)
    arena = clean.to_arena(original_pixels(clean, rows), rows)
    _, centre, heading = egocentric(arena, clean.keypoints)
    dt = np.diff(clean.frame["time_s"].to_numpy(np.float64))
    step = np.full(len(arena), np.nan)
    step[1:] = np.linalg.norm(np.diff(centre, axis=0), axis=1) / dt
    turn = np.full(len(arena), np.nan)
    turn[1:] = np.degrees(np.abs(_wrapped(np.diff(heading)))) / dt
    bend = np.full(len(arena), np.nan)
    if len(clean.keypoints) >= 3:
        head = arena[:, 0] - arena[:, 1]
        tail = arena[:, -2] - arena[:, -1]
        angle = np.arctan2(head[:, 1], head[:, 0]) - np.arctan2(tail[:, 1], tail[:, 0])
        bend = np.degrees(_wrapped(angle))
    return pd.DataFrame(
        {
            "x": centre[:, 0],
            "y": centre[:, 1],
            "speed": step,
            "heading_cos": np.cos(heading),
            "heading_sin": np.sin(heading),
            "turn_speed": turn,
            "bend": bend,
            "bend_size": np.abs(bend),
        }
    )


def _wrapped(angle: np.ndarray) -> np.ndarray:
    """Angles in radians brought into [-pi, pi)."""
    return (angle + np.pi) % (2 * np.pi) - np.pi


def code_correlations(
    latent: pd.DataFrame, moves: pd.DataFrame, most: int = 200_000
) -> pd.DataFrame:
    """Pearson's r of each code dimension (``z1`` ... of a latent table) with each
    kinematic (columns of :func:`kinematics`, same rows), over the frames where both are
    known: at most ``most`` of them, evenly spaced over the recording."""
    zs = [c for c in latent.columns if c.startswith("z")]
    both = pd.concat([latent[zs].reset_index(drop=True), moves.reset_index(drop=True)], axis=1)
    both = both.dropna()
    both = both.iloc[:: max(len(both) // most, 1)]
    r = both.corr().loc[zs, list(moves.columns)]
    r.attrs["frames"] = len(both)
    return r


#: Swimming: the body centre moves faster than this many body lengths per second.
SWIM_SPEED = 0.5


def swimming(clean: CleanTable, speed: pd.Series) -> pd.Series:
    """Whether the animal swims in each frame: its body centre moves faster than
    :data:`SWIM_SPEED` body lengths (the median head-to-tail distance) per second; NaN
    where the speed is unknown."""
    xy = original_pixels(clean, slice(None))
    length = np.nanmedian(np.linalg.norm(xy[:, 0] - xy[:, -1], axis=1))
    moving = (speed > SWIM_SPEED * length).astype(float)
    return moving.where(speed.notna())


def code_map(
    latent: pd.DataFrame, moves: pd.DataFrame, time_s: pd.Series, samples: int, seed: int
) -> pd.DataFrame:
    """A 2-D t-SNE map of the codes of ``samples`` frames drawn at random (``seed``) from
    those with a code and a speed, with each frame's speed and hour of the day (from its
    timestamp, read as UTC: a table whose time starts at 0 gives the hours since then)."""
    from sklearn.manifold import TSNE

    zs = [c for c in latent.columns if c.startswith("z")]
    known = np.flatnonzero(latent[zs].notna().all(axis=1).to_numpy() & moves["speed"].notna())
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(known, size=min(samples, len(known)), replace=False))
    codes = latent[zs].to_numpy(np.float64)[rows]
    perplexity = min(30.0, (len(rows) - 1) / 3)
    xy = TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(codes)
    hour = (time_s.to_numpy()[rows] % 86_400) / 3600
    return pd.DataFrame(
        {"x": xy[:, 0], "y": xy[:, 1], "speed": moves["speed"].to_numpy()[rows], "hour": hour}
    )
