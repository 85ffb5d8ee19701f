"""A realistic synthetic killifish keypoint table, for runs without the real data.

The real 24-hour recording is not public. This module makes a table with its exact schema
and size: ``frame_count``, ``frame_timestamp`` and ``x_``/``y_`` pairs for snout, midbody,
sidebody (never tracked: all NaN), endbody, tail and fan, in pixels.

The fish is a chain of rigid segments (~80 px snout to fan) whose joint angles carry a
travelling wave (the tail beat, amplitude growing toward the fan) plus a steady bend while
it turns. It alternates swimming bouts and rests, turns, and steers away from the walls of
a square arena. The tracker adds pixel noise, short dropouts of a few frames, rare long
ones, rare single-frame jumps of one keypoint, and dropped camera frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Body keypoints from head to tail, with their arc length from the snout in pixels.
#: ``sidebody`` is in the schema but was never tracked.
BODY = {"snout": 0.0, "midbody": 17.0, "sidebody": None, "endbody": 46.0, "tail": 63.0, "fan": 80.0}
ARENA_PX = 250.0
EPOCH_START = 1_619_461_000.0  # 2021-04-26, like the original recording


def make_killifish_table(frames: int = 1_726_812, fps: float = 20.0, seed: int = 0) -> pd.DataFrame:
    """Make a synthetic killifish table.

    Parameters
    ----------
    frames
        Last camera frame number. Some camera frames are dropped (as a real tracker does),
        so the table has a little fewer rows than ``frames + 1``.
    fps
        Camera frame rate in frames per second.
    seed
        Random seed; the same seed gives the same table, bit for bit.

    Returns
    -------
    DataFrame with ``frame_count`` (float, the first two NaN as in the original export),
    ``frame_timestamp`` (epoch seconds) and ``x_<keypoint>``/``y_<keypoint>`` in pixels.
    The noise-free pose of its rows is :func:`make_killifish_tables`' second table.
    """
    return make_killifish_tables(frames, fps, seed)[0]


def make_killifish_tables(
    frames: int = 1_726_812, fps: float = 20.0, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The synthetic killifish table as tracked, and the fish's true pose in its rows.

    Parameters are those of :func:`make_killifish_table`.

    Returns
    -------
    tracked
        :func:`make_killifish_table`'s table, bit for bit the same.
    truth
        The same rows (``frame_count``, ``frame_timestamp`` and columns as ``tracked``)
        with the keypoints where the fish's body was: no tracker noise (0.6 px per
        coordinate), no dropouts, no jumps. ``sidebody`` stays all NaN. Its
        ``attrs["synthetic"]`` says ``"noise_free": True``.

    Notes
    -----
    Both tables come from one simulation: the random draws are the same as for the
    tracked table alone, so a seed gives the same tracked table whether or not the truth
    is asked for. A model's error against ``truth`` and the tracked table's own error
    against it (the noise floor) are in :func:`killipose.metrics.truth_metrics`.
    """
    if frames < 10:
        raise ValueError(f"frames must be at least 10, got {frames}")
    rng = np.random.default_rng(seed)
    n = frames + 1
    dt = 1.0 / fps

    speed, beat_freq, beat_amp = _behaviour(rng, n, fps)
    heading, head = _trajectory(rng, speed, dt)
    turn_rate = np.gradient(np.unwrap(heading)) / dt  # rad/s; the body bends into turns

    # Joint angles along the body: a travelling wave whose amplitude grows to the fan.
    arcs = np.array([v for v in BODY.values() if v is not None])
    seg_len = np.diff(arcs)
    rel = arcs[1:] / arcs[-1]  # 0..1 along the body, one per segment
    phase = 2 * np.pi * np.cumsum(beat_freq) * dt
    wave = np.sin(phase[:, None] - 1.6 * np.pi * rel[None, :])
    bend = beat_amp[:, None] * rel[None, :] ** 2 * wave
    bend += np.clip(turn_rate, -6, 6)[:, None] * 0.06 * rel[None, :]
    seg_angle = heading[:, None] + np.pi + np.cumsum(np.diff(bend, prepend=0.0, axis=1), axis=1)
    del wave, bend
    # In place where it can be: each (frames, keypoints, 2) array is 0.14 GB at 1.7M.
    offsets = np.stack([np.cos(seg_angle), np.sin(seg_angle)], axis=-1)
    del seg_angle
    offsets *= seg_len[None, :, None]
    np.cumsum(offsets, axis=1, out=offsets)
    offsets += head[:, None, :]
    true_points = np.concatenate([head[:, None, :], offsets], axis=1)
    del offsets
    points = rng.normal(0.0, 0.6, true_points.shape)  # tracker noise, px
    points += true_points

    _tracker_errors(rng, points)

    keep = _kept_frames(rng, n)
    frame_count = np.arange(n, dtype=np.float64)
    timestamp = EPOCH_START + frame_count * dt + rng.normal(0.0, 0.002, n)
    frame_count[:2] = np.nan  # the original export starts with two blank counts

    provenance = {
        "generator": "killipose.make_killifish_table",
        "frames": frames,
        "fps": fps,
        "seed": seed,
    }
    tracked = _table(frame_count[keep], timestamp[keep], points[keep])
    del points  # one table's arrays at a time
    # Provenance travels with the table (Parquet keeps DataFrame.attrs): a report can say
    # that its data are synthetic.
    tracked.attrs["synthetic"] = provenance
    truth = _table(frame_count[keep], timestamp[keep], true_points[keep])
    truth.attrs["synthetic"] = provenance | {"noise_free": True}
    return tracked, truth


def _table(frame_count: np.ndarray, timestamp: np.ndarray, points: np.ndarray) -> pd.DataFrame:
    """The export's columns from ``(rows, tracked keypoints, 2)`` pixels, in :data:`BODY`
    order, the untracked ``sidebody`` all NaN."""
    columns: dict[str, np.ndarray] = {"frame_count": frame_count, "frame_timestamp": timestamp}
    tracked = iter(range(points.shape[1]))
    for name, arc in BODY.items():
        if arc is None:
            nan = np.full(len(points), np.nan)
            columns[f"x_{name}"], columns[f"y_{name}"] = nan, nan.copy()
        else:
            k = next(tracked)
            columns[f"x_{name}"] = points[:, k, 0]
            columns[f"y_{name}"] = points[:, k, 1]
    return pd.DataFrame(columns)


def _behaviour(rng: np.random.Generator, n: int, fps: float):
    """Per-frame swim speed (px/s), tail-beat frequency (Hz) and amplitude (rad)."""
    # Alternate rests (mean 4 s) and bouts (mean 2.5 s); a few long sleeps (mean 5 min).
    durations, swimming = [], []
    total, bout = 0, False
    while total < n:
        if bout:
            d = rng.exponential(2.5 * fps)
        elif rng.random() < 0.01:
            d = rng.exponential(300 * fps)
        else:
            d = rng.exponential(4.0 * fps)
        d = max(int(d), 3)
        durations.append(d)
        swimming.append(bout)
        total += d
        bout = not bout
    durations = np.array(durations)
    swimming = np.array(swimming)
    n_states = len(durations)
    # Each bout has its own vigour: faster bouts beat harder and faster.
    vigour = np.where(swimming, rng.uniform(0.4, 1.0, n_states), 0.0)
    vigour = np.repeat(vigour, durations)[:n]
    # Smooth the on/off switches over ~0.3 s so speed ramps up and down.
    k = max(int(0.3 * fps), 1)
    vigour = np.convolve(vigour, np.ones(k) / k, mode="same")
    speed = 120.0 * vigour  # up to 1.5 body lengths per second
    beat_freq = np.where(vigour > 0.05, 1.5 + 2.5 * vigour, 0.5)  # Hz, below Nyquist at 20 fps
    beat_amp = 0.06 + 0.4 * vigour  # rad at the fan; a resting fish still fans a little
    return speed, beat_freq, beat_amp


def _trajectory(rng: np.random.Generator, speed: np.ndarray, dt: float):
    """Heading (rad) and snout position (px) of a fish that turns and avoids walls."""
    n = len(speed)
    turn_noise = rng.normal(0.0, 1.0, n)
    # Occasional fast turns (C-starts), each spread over 0.4 s.
    sharp = rng.random(n) < 0.002
    sharp_turn = np.where(sharp, rng.normal(0.0, 1.0, n), 0.0)
    spread = max(int(0.4 / dt), 1)
    sharp_turn = np.convolve(sharp_turn, np.ones(spread) / spread)[:n]
    heading = np.empty(n)
    pos = np.empty((n, 2))
    x, y, th = ARENA_PX / 2, ARENA_PX / 2, rng.uniform(-np.pi, np.pi)
    centre = ARENA_PX / 2
    margin = 45.0
    omega = 0.0
    for i in range(n):
        v = speed[i]
        # Ornstein-Uhlenbeck turning, stronger when swimming.
        omega += -omega * 2.0 * dt + (0.3 + 2.0 * v / 120.0) * np.sqrt(dt) * turn_noise[i]
        th += omega * dt * min(1.0, 0.2 + v / 60.0) + sharp_turn[i]
        # Near a wall, steer toward the centre.
        if min(x, y, ARENA_PX - x, ARENA_PX - y) < margin and v > 1.0:
            want = np.arctan2(centre - y, centre - x)
            err = (want - th + np.pi) % (2 * np.pi) - np.pi
            th += 1.0 * err * dt
        x = min(max(x + v * np.cos(th) * dt, 8.0), ARENA_PX - 8.0)
        y = min(max(y + v * np.sin(th) * dt, 8.0), ARENA_PX - 8.0)
        heading[i] = th
        pos[i, 0] = x
        pos[i, 1] = y
    return heading, pos


def _tracker_errors(rng: np.random.Generator, points: np.ndarray) -> None:
    """Add dropouts and single-frame jumps in place, as a pose tracker would."""
    n, k, _ = points.shape
    # Short dropouts of 1-6 frames on one keypoint (mostly the tail end).
    starts = rng.choice(n, size=n // 400, replace=False)
    which = rng.choice(k, size=len(starts), p=[0.1, 0.1, 0.2, 0.3, 0.3])
    lengths = rng.integers(1, 7, len(starts))
    for s, w, ln in zip(starts, which, lengths, strict=True):
        points[s : s + ln, w, :] = np.nan
    # Rare long dropouts (0.5-30 s) of the whole fish: it hides or the tracker loses it.
    for s in rng.choice(n, size=max(n // 100_000, 1), replace=False):
        points[s : s + rng.integers(10, 600), :, :] = np.nan
    # Rare single-frame identity swaps / reflections: one keypoint jumps far away.
    jumps = rng.choice(n, size=n // 20_000, replace=False)
    points[jumps, rng.integers(0, k, len(jumps)), :] += rng.normal(0, 60, (len(jumps), 2))


def _kept_frames(rng: np.random.Generator, n: int) -> np.ndarray:
    """Camera frames that made it into the export (~0.18% are dropped, never the first)."""
    keep = rng.random(n) > 0.0018
    keep[:3] = True
    return keep
