"""How the animal moves, frame by frame, and how each code dimension follows it.

The kinematics come from the cleaned keypoints in the arena: the body centre's place and
speed, the heading (as cos and sin, so that -179° and 179° are neighbours) and how fast it
turns, the body's bend, and how often it beats its tail (the bend swinging side to side).
A code dimension that correlates with one of them carries it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from killipose.cleaning.table import CleanTable
from killipose.embedding import original_pixels
from killipose.posture import egocentric

#: The tail beat is counted over a window this long (s), centred on each frame: long
#: enough to hold a few beats at the slowest swimming (~1.5 Hz), short enough to follow a
#: bout of a few seconds.
BEAT_WINDOW_S = 2.0
#: A beat swings the bend this far (deg) to either side of its running mean; a smaller
#: wiggle is tracking noise (1 px on a 17 px segment is 3 deg), not a beat.
BEAT_BAND_DEG = 5.0

#: Frames whose keypoints :func:`kinematics` holds at once.
BLOCK_ROWS = 1 << 18

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
    "tail_beat": (
        f"tail-beat frequency: how often the bend swings from side to side, past "
        f"{BEAT_BAND_DEG:g} deg either side of its mean, in {BEAT_WINDOW_S:g} s (Hz)"
    ),
}


def kinematics(clean: CleanTable) -> pd.DataFrame:
    """One row per row of ``clean.frame``: the :data:`KINEMATICS` of each frame (NaN where
    the frame is not valid, and speeds NaN beside one). Speeds use the frames' times, so a
    dropped camera frame does not double a speed. The bend and the tail beat
    (:func:`tail_beat`) need three keypoints or more (NaN otherwise).

    The keypoints are read :data:`BLOCK_ROWS` frames at a time: the whole table's in
    pixels, in the arena and in the body frame would be 0.4 GB more at 1.7M frames.
    """
    centre, heading, bend = _tracks(clean)
    time_s = clean.frame["time_s"].to_numpy(np.float64)
    turn = np.full(len(heading), np.nan)
    turn[1:] = np.degrees(np.abs(_wrapped(np.diff(heading)))) / np.diff(time_s)
    return pd.DataFrame(
        {
            "x": centre[:, 0],
            "y": centre[:, 1],
            "speed": _speed(centre, time_s),
            "heading_cos": np.cos(heading),
            "heading_sin": np.sin(heading),
            "turn_speed": turn,
            "bend": bend,
            "bend_size": np.abs(bend),
            "tail_beat": tail_beat(bend, time_s, clean.fps),
        }
    )


def body_speed(clean: CleanTable) -> pd.Series:
    """The ``speed`` of :func:`kinematics` alone (px/s, NaN where unknown)."""
    centre, _, _ = _tracks(clean)
    return pd.Series(_speed(centre, clean.frame["time_s"].to_numpy(np.float64)), name="speed")


def _tracks(clean: CleanTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per frame: the body centre ``(frames, 2)`` and heading (radians) in the arena, and
    the bend (degrees; NaN with fewer than three keypoints), :data:`BLOCK_ROWS` at a time."""
    n = len(clean.frame)
    centre, heading, bend = np.empty((n, 2)), np.empty(n), np.full(n, np.nan)
    for start in range(0, n, BLOCK_ROWS):
        rows = slice(start, min(start + BLOCK_ROWS, n))
        arena = clean.to_arena(original_pixels(clean, rows), rows)
        _, centre[rows], heading[rows] = egocentric(arena, clean.keypoints)
        if len(clean.keypoints) >= 3:
            head = arena[:, 0] - arena[:, 1]
            tail = arena[:, -2] - arena[:, -1]
            angle = np.arctan2(head[:, 1], head[:, 0]) - np.arctan2(tail[:, 1], tail[:, 0])
            bend[rows] = np.degrees(_wrapped(angle))
    return centre, heading, bend


def _speed(centre: np.ndarray, time_s: np.ndarray) -> np.ndarray:
    """The body centre's speed into each frame from the one before (NaN for the first)."""
    step = np.full(len(centre), np.nan)
    step[1:] = np.linalg.norm(np.diff(centre, axis=0), axis=1) / np.diff(time_s)
    return step


def tail_beat(
    bend: np.ndarray,
    time_s: np.ndarray,
    fps: float,
    window_s: float = BEAT_WINDOW_S,
    band_deg: float = BEAT_BAND_DEG,
) -> np.ndarray:
    """Tail-beat frequency in each frame: how many times per second the bend swings from
    one side to the other, halved (a beat swings both ways), over the ``window_s`` seconds
    centred on the frame.

    Parameters
    ----------
    bend
        Signed bend of each frame (deg), NaN where unknown.
    time_s
        Each frame's time (s), never decreasing.
    fps
        Camera frame rate: frames more than one dropped camera frame apart (over
        2.5 / ``fps`` s) are not neighbours, and no swing is counted between them.
    window_s
        Length of the window (s).
    band_deg
        How far (deg) the bend must go either side of its mean over the window to count.

    Returns
    -------
    Frequency in Hz, one per frame: NaN where the bend is NaN, or where the window holds
    less than ``window_s / 2`` seconds between neighbouring frames with a bend.

    Notes
    -----
    A swing is the bend, less its mean over the window, going from below ``-band_deg`` to
    above ``+band_deg`` or back (hysteresis: noise around the mean is not a swing, and a
    steady bend into a turn is removed with the mean). The frequency is the swings in the
    window divided by twice the time between neighbouring frames there, so the window is
    measured in time and dropped camera frames neither shorten it nor add beats. Swings
    are whole, so the frequency comes in steps of about ``1 / (2 * window_s)`` Hz (0.25 Hz
    at 2 s). A bend that stays inside the band gives 0 Hz; a gap that cleaning filled by
    interpolation carries no beat, so it lowers the frequency around it.
    """
    bend = np.asarray(bend, np.float64)
    time_s = np.asarray(time_s, np.float64)
    known = np.isfinite(bend)
    first = np.searchsorted(time_s, time_s - window_s / 2, "left")
    end = np.searchsorted(time_s, time_s + window_s / 2, "right")  # window: first..end-1
    total, count = _cumulative(np.where(known, bend, 0.0)), _cumulative(known)
    with np.errstate(invalid="ignore", divide="ignore"):
        swing = bend - (total[end] - total[first]) / (count[end] - count[first])
    side = np.where(swing > band_deg, 1, np.where(swing < -band_deg, -1, 0))
    step = np.diff(time_s)
    joined = known[:-1] & known[1:] & (step < 2.5 / fps)  # frame i and i + 1 neighbours
    run = _cumulative(~joined)[: len(bend)]  # frames in one run of neighbours share a number
    # The last frame before each frame that was outside the band: a swing is a frame on
    # the other side of it, in the same run of neighbours.
    outside = np.maximum.accumulate(np.where(side != 0, np.arange(len(side)), -1))
    before = np.concatenate([[-1], outside])[: len(bend)]
    was = np.maximum(before, 0)
    swung = (side != 0) & (before >= 0) & (side[was] == -side) & (run[was] == run)
    # Pair p joins frames p and p + 1 (its swing is swung[p + 1]); the window's pairs are
    # first..end-2.
    swings, span = _cumulative(swung[1:]), _cumulative(np.where(joined, step, 0.0))
    swings, span = swings[end - 1] - swings[first], span[end - 1] - span[first]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(known & (span >= window_s / 2), swings / 2 / span, np.nan)


def _cumulative(values: np.ndarray) -> np.ndarray:
    """Sums of ``values[:k]`` for k = 0..len: the sum over a..b-1 is ``[b] - [a]``."""
    return np.concatenate([[0], np.cumsum(values)])


def _wrapped(angle: np.ndarray) -> np.ndarray:
    """Angles in radians brought into [-pi, pi)."""
    return (angle + np.pi) % (2 * np.pi) - np.pi


def code_correlations(
    latent: pd.DataFrame, moves: pd.DataFrame, most: int = 200_000
) -> pd.DataFrame:
    """Pearson's r of each code dimension (``z1`` ... of a latent table) with each
    kinematic (columns of :func:`kinematics`, same rows), over the frames where both are
    known: at most ``most`` of them, evenly spaced over the recording. A kinematic never
    known (the bend of fewer than three keypoints) is left out, not every frame with it."""
    zs = [c for c in latent.columns if c.startswith("z")]
    known = [c for c in moves.columns if moves[c].notna().any()]
    rows = np.flatnonzero(
        latent[zs].notna().all(axis=1).to_numpy() & moves[known].notna().all(axis=1).to_numpy()
    )
    rows = rows[:: max(len(rows) // most, 1)]  # chosen first: no copy of every frame
    both = pd.concat(
        [
            latent[zs].iloc[rows].reset_index(drop=True),
            moves[known].iloc[rows].reset_index(drop=True),
        ],
        axis=1,
    )
    r = both.corr().loc[zs, known]
    r.attrs["frames"] = len(both)
    return r


#: Swimming: the body centre moves faster than this many body lengths per second.
SWIM_SPEED = 0.5


def swimming(clean: CleanTable, speed: pd.Series) -> pd.Series:
    """Whether the animal swims in each frame: its body centre moves faster than
    :data:`SWIM_SPEED` body lengths (the median head-to-tail distance) per second; NaN
    where the speed is unknown."""
    n = len(clean.frame)
    lengths = np.empty(n)
    for start in range(0, n, BLOCK_ROWS):  # as kinematics reads them
        xy = original_pixels(clean, slice(start, start + BLOCK_ROWS))
        lengths[start : start + len(xy)] = np.linalg.norm(xy[:, 0] - xy[:, -1], axis=1)
    length = np.nanmedian(lengths)
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
