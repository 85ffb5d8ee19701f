"""Latent codes over time: one model's code and its path, or several models side by side."""

from __future__ import annotations

import os

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from killipose.plots import MODEL_COLOURS, model_label, save_figure, style


def latent_columns(latent: pd.DataFrame) -> list[str]:
    """The code's columns of a latent table, ``z1`` ... ``zK``, in table order."""
    return [c for c in latent.columns if c.startswith("z")]


@style()
def latent_trajectory_figure(latent: pd.DataFrame, title: str) -> Figure:
    """Latent dimensions over time, and the latent path in 2-D.

    ``latent`` holds ``time_s`` (seconds) and ``z1`` ... ``zK`` for the frames to show (a
    window). Left: each dimension against the time since the window's first frame, one
    axes per dimension. Right: the path in (z1, z2) and, when K >= 4, in (z3, z4), coloured
    by time; nothing on the right for K = 1.
    """
    zs = latent_columns(latent)
    t = latent["time_s"].to_numpy() - latent["time_s"].iloc[0]
    Z = latent[zs].to_numpy()
    pairs = [(0, 1), (2, 3)][: max(len(zs) // 2, 1)] if len(zs) > 1 else []
    fig = Figure(figsize=(3.9 + 2.7 * len(pairs), max(1.0 * len(zs), 3.0)), layout="constrained")
    grid = fig.add_gridspec(len(zs), 1 + len(pairs), width_ratios=[1.6] + [1] * len(pairs))
    for i, name in enumerate(zs):
        ax = fig.add_subplot(grid[i, 0])
        ax.plot(t, Z[:, i], lw=0.8, color="#444444")
        ax.set_ylabel(name)
        if i < len(zs) - 1:
            ax.tick_params(labelbottom=False)
    ax.set_xlabel("time in window (s)")
    for j, (a, b) in enumerate(pairs):
        ax = fig.add_subplot(grid[:, 1 + j])
        ax.plot(Z[:, a], Z[:, b], lw=0.4, color="#bbbbbb", zorder=1)
        points = ax.scatter(Z[:, a], Z[:, b], c=t, s=4, cmap="viridis", zorder=2)
        ax.set_xlabel(zs[a])
        ax.set_ylabel(zs[b])
        ax.set_title(f"path in ({zs[a]}, {zs[b]})")
    if pairs:
        fig.colorbar(points, ax=ax, label="time (s)", shrink=0.8)
    fig.suptitle(title)
    return fig


def plot_latent_trajectory(latent: pd.DataFrame, path: str | os.PathLike, title: str) -> None:
    """:func:`latent_trajectory_figure`, written as PNG at ``path``."""
    save_figure(latent_trajectory_figure(latent, title), path)


@style()
def latents_side_by_side_figure(latents: dict[str, pd.DataFrame], title: str) -> Figure:
    """The models' latent dimensions over the same window, one column per model.

    ``latents`` maps a model name to its latent table (``time_s`` in seconds, ``z1`` ...),
    in the column order wanted. Row ``i`` shows ``z{i+1}`` of every model that has it, in
    the model's colour; a model with a smaller code leaves the rows below empty.

    Latent axes are arbitrary per model (any rotation or rescaling of a code is as good),
    so compare the shape and timing of the traces, not their values.
    """
    names = list(latents)
    dims = max(len(latent_columns(df)) for df in latents.values())
    fig = Figure(figsize=(3.0 * len(names), 0.9 * dims + 1.2), layout="constrained")
    axes = fig.subplots(dims, len(names), sharex=True, squeeze=False)
    for j, name in enumerate(names):
        df = latents[name]
        t = df["time_s"].to_numpy() - df["time_s"].iloc[0]
        for i in range(dims):
            ax = axes[i, j]
            column = f"z{i + 1}"
            if column in df:
                ax.plot(t, df[column], lw=0.7, color=MODEL_COLOURS.get(name, "#444444"))
            if j == 0:
                ax.set_ylabel(column)
        axes[0, j].set_title(model_label(name))
        axes[-1, j].set_xlabel("time in window (s)")
    fig.suptitle(title)
    return fig


def plot_latents_side_by_side(
    latents: dict[str, pd.DataFrame], path: str | os.PathLike, title: str
) -> None:
    """:func:`latents_side_by_side_figure`, written as PNG at ``path``."""
    save_figure(latents_side_by_side_figure(latents, title), path)


@style()
def traversal_figure(
    poses: np.ndarray, offsets: np.ndarray, keypoints: list[str], title: str
) -> Figure:
    """One panel per latent dimension: the skeletons decoded as that dimension moves.

    ``poses`` is ``(dims, steps, keypoints, 2)`` pixels (from
    :func:`killipose.embedding.traversal_pixels`), ``offsets`` the steps in standard
    deviations. Each skeleton joins the keypoints in body order, coloured from blue
    (``-spread``) to red (``+spread``), the mean code's in black; a dot marks the head.
    Pixel axes as in the video (image coordinates, y down), the same in every panel.
    """
    dims, steps = poses.shape[:2]
    fig = Figure(figsize=(2.6 * dims + 0.8, 3.0), layout="constrained")
    axes = fig.subplots(1, dims, squeeze=False, sharex=True, sharey=True)[0]
    colours = mpl.colormaps["coolwarm"](np.linspace(0, 1, steps))
    for i, ax in enumerate(axes):
        for j in range(steps):
            pose = poses[i, j]
            mean = np.isclose(offsets[j], 0)
            colour, width = ("black", 1.6) if mean else (colours[j], 1.0)
            ax.plot(pose[:, 0], pose[:, 1], color=colour, lw=width, zorder=3 if mean else 2)
            ax.plot(*pose[0], "o", color=colour, ms=3, zorder=3)
        ax.set_title(f"z{i + 1}")
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel("x (px)")
    # One square view that holds every pose, y down (shared: every panel).
    low, high = np.nanmin(poses, axis=(0, 1, 2)), np.nanmax(poses, axis=(0, 1, 2))
    centre, half = (low + high) / 2, (high - low).max() / 2 * 1.1 + 1
    axes[0].set_xlim(centre[0] - half, centre[0] + half)
    axes[0].set_ylim(centre[1] + half, centre[1] - half)
    axes[0].set_ylabel("y (px)")
    norm = mpl.colors.Normalize(offsets[0], offsets[-1])
    bar = mpl.cm.ScalarMappable(norm=norm, cmap="coolwarm")
    fig.colorbar(bar, ax=axes, label="code minus its mean (sd)", shrink=0.8)
    fig.suptitle(f"{title} (head: dot; {keypoints[0]} to {keypoints[-1]})")
    return fig


def plot_traversal(
    poses: np.ndarray,
    offsets: np.ndarray,
    keypoints: list[str],
    path: str | os.PathLike,
    title: str,
) -> None:
    """:func:`traversal_figure`, written as PNG at ``path``."""
    save_figure(traversal_figure(poses, offsets, keypoints, title), path)


@style()
def code_map_figure(maps: dict[str, pd.DataFrame], title: str) -> Figure:
    """One row per model: its t-SNE map of the codes (from
    :func:`killipose.kinematics.code_map`), coloured by speed (left; the top 1% share the
    top colour) and by the hour of the day (right, a colour wheel: 23 h is beside 0 h)."""
    fig = Figure(figsize=(7.6, 3.3 * len(maps)), layout="constrained")
    axes = fig.subplots(len(maps), 2, squeeze=False)
    for (name, frame), (by_speed, by_hour) in zip(maps.items(), axes, strict=True):
        top = np.nanpercentile(frame["speed"], 99)
        fast = by_speed.scatter(
            frame["x"], frame["y"], c=frame["speed"], s=2, cmap="viridis", vmin=0, vmax=top
        )
        hours = by_hour.scatter(
            frame["x"], frame["y"], c=frame["hour"], s=2, cmap="twilight", vmin=0, vmax=24
        )
        fig.colorbar(fast, ax=by_speed, label="speed (px/s)")
        fig.colorbar(hours, ax=by_hour, label="hour of the day", ticks=range(0, 25, 6))
        by_speed.set_ylabel(model_label(name))
        for ax in (by_speed, by_hour):
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_title("coloured by speed")
    axes[0, 1].set_title("coloured by hour of the day")
    fig.suptitle(f"{title} (t-SNE of {len(next(iter(maps.values()))):,} frames)")
    return fig


def plot_code_map(maps: dict[str, pd.DataFrame], path: str | os.PathLike, title: str) -> None:
    """:func:`code_map_figure`, written as PNG at ``path``."""
    save_figure(code_map_figure(maps, title), path)
