"""Static figures: data quality, latent trajectories, model comparison.

Every function takes data in memory and a path, draws with matplotlib's object API (no
global pyplot state, so it is safe in threads and headless), and writes a PNG atomically.
"""

from __future__ import annotations

import os

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from killipose.files import atomic_path
from killipose.models import MODELS, model_rank

mpl.rcParams.update(
    {
        "figure.dpi": 110,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 10,
        "axes.labelsize": 9,
        "font.size": 9,
    }
)

#: One colour per model, the same in every figure and in the animation (from the registry).
MODEL_COLOURS = {"original": "#333333"} | {name: m.colour for name, m in MODELS.items()}
MODEL_LABELS = {name: m.label for name, m in MODELS.items()}


def save_figure(fig: Figure, path: str | os.PathLike) -> None:
    """Write ``fig`` as PNG, atomically."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", bbox_inches="tight")


def _time_unit(seconds: float) -> tuple[float, str]:
    if seconds > 3 * 3600:
        return 3600.0, "h"
    if seconds > 180:
        return 60.0, "min"
    return 1.0, "s"


def _duration(seconds: float) -> str:
    """A fit time as a person says it: ``0.4 s``, ``52 s``, ``3.7 min``."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def plot_missing_data(
    raw: pd.DataFrame,
    clean_frame: pd.DataFrame,
    keypoints: list[str],
    time_s: np.ndarray,
    path: str | os.PathLike,
    bins: int = 240,
) -> None:
    """Missing data over time per keypoint, before cleaning and after.

    Parameters
    ----------
    raw
        The input table (pixels), with ``x_<kp>``/``y_<kp>`` columns.
    clean_frame
        :attr:`CleanTable.frame` (for the ``valid`` column).
    keypoints
        Every keypoint of the input table, in column order (dropped ones included).
    time_s
        Seconds since the first frame, per row.
    """
    edges = np.linspace(0, len(raw), bins + 1).astype(int)
    rows = []
    labels = []
    for k in keypoints:
        missing = (raw[f"x_{k}"].isna() | raw[f"y_{k}"].isna()).to_numpy()
        rows.append(np.add.reduceat(missing, edges[:-1]) / np.diff(edges))
        labels.append(k)
    excluded = ~clean_frame["valid"].to_numpy()
    rows.append(np.add.reduceat(excluded, edges[:-1]) / np.diff(edges))
    labels.append("excluded after cleaning")
    scale, unit = _time_unit(float(time_s[-1]))
    extent = (0, time_s[-1] / scale, len(rows) - 0.5, -0.5)
    fig = Figure(figsize=(9, 0.45 * len(rows) + 1.4))
    ax = fig.subplots()
    # Log colour scale: tracking loss is often a fraction of a percent, yet it matters.
    image = ax.imshow(
        np.clip(np.array(rows) * 100, 0.01, 100),
        aspect="auto",
        interpolation="nearest",
        cmap="magma_r",
        norm=LogNorm(vmin=0.01, vmax=100),
        extent=extent,
    )
    ax.set_yticks(range(len(labels)), labels)
    ax.axhline(len(rows) - 1.5, color="white", lw=2)
    ax.set_xlabel(f"time ({unit})")
    ax.set_title(f"Missing keypoints over time ({bins} bins of {len(raw) / bins:,.0f} frames)")
    fig.colorbar(
        image, ax=ax, label="frames missing (%, log scale; ≤ 0.01 = none)", fraction=0.03, pad=0.01
    )
    save_figure(fig, path)


def plot_latent_trajectory(latent: pd.DataFrame, path: str | os.PathLike, title: str) -> None:
    """Latent dimensions over time, and the latent path in 2-D.

    ``latent`` holds ``time_s`` and ``z1`` ... ``zK`` for the frames to show (a window).
    Left: each dimension against time. Right: the path in (z1, z2) and, when K >= 4, in
    (z3, z4), coloured by time.
    """
    zs = [c for c in latent.columns if c.startswith("z")]
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
    save_figure(fig, path)


def plot_latents_side_by_side(
    latents: dict[str, pd.DataFrame], path: str | os.PathLike, title: str
) -> None:
    """The models' latent dimensions over the same window, one column per model.

    Latent axes are arbitrary per model (any rotation or rescaling of a code is as good),
    so compare the shape and timing of the traces, not their values.
    """
    names = list(latents)
    dims = max(sum(c.startswith("z") for c in df.columns) for df in latents.values())
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
        axes[0, j].set_title(MODEL_LABELS.get(name, name))
        axes[-1, j].set_xlabel("time in window (s)")
    fig.suptitle(title)
    save_figure(fig, path)


def plot_model_comparison(metrics: list[dict], path: str | os.PathLike, title: str) -> None:
    """Test error of each model: overall (normalised MSE and px RMSE) and per keypoint (px).

    Models are shown in the registry's order (``killipose.models.MODELS``: PCA first);
    ratios are to the first; under each name, the fit time. Entries averaged over seeds
    (:func:`killipose.metrics.mean_over_seeds`) show the mean as the bar and each seed's
    test MSE as a dot.
    """
    metrics = sorted(metrics, key=lambda m: model_rank(m["model"]))
    names = [m["model"] for m in metrics]
    colours = [MODEL_COLOURS.get(n, "#777777") for n in names]
    labels = [MODEL_LABELS.get(n, n) for n in names]
    ticks = [label.replace(" AE", "\nAE") for label in labels]  # two lines: no overlap
    if all("fit_seconds" in m for m in metrics):  # and how long each fit took
        ticks = [f"{t}\n{_duration(m['fit_seconds'])}" for t, m in zip(ticks, metrics, strict=True)]
    many = len(metrics) > 3  # more bars: a wider figure, smaller names and numbers
    fig = Figure(figsize=(9.2 + 1.4 * max(len(metrics) - 3, 0), 3.8), layout="constrained")
    ax_mse, ax_px, ax_kp = fig.subplots(1, 3, width_ratios=[1.1, 1, 2])
    mse = [m["test_mse"] for m in metrics]
    bars = ax_mse.bar(ticks, mse, color=colours)
    for i, m in enumerate(metrics):  # each seed's fit (several), beside the bar's label
        seeds = m.get("test_mse_seeds", [])
        if len(seeds) > 1:
            ax_mse.plot([i + 0.25] * len(seeds), seeds, "o", ms=3, mfc="none", mec="k", mew=0.6)
    ratio = [f"{v / mse[0]:,.{2 if v < 10 * mse[0] else 0}f} x" for v in mse]
    upright = {"fontsize": 7, "rotation": 90, "padding": 2} if many else {"fontsize": 8}
    ax_mse.bar_label(bars, ratio, **upright)

    ax_mse.set_ylabel("test MSE (normalised units²)")
    if max(mse) > 20 * min(mse):  # errors orders of magnitude apart: each bar stays visible
        ax_mse.set_yscale("log")
    else:
        ax_mse.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))
    seeds = max(len(m.get("test_mse_seeds", [])) for m in metrics)
    over = f"\nmean of {seeds} seeds; dots: each seed" if seeds > 1 else ""
    ax_mse.set_title(f"test MSE, as a ratio to {labels[0]}{over}", fontsize=9 if over else None)
    ax_mse.margins(y=0.25)
    rmse = [m["test_rmse_px"] for m in metrics]
    bars = ax_px.bar(ticks, rmse, color=colours)
    ax_px.bar_label(bars, [f"{v:.3g}" for v in rmse], **upright)
    ax_px.set_ylabel("test RMSE (px)")
    ax_px.set_title("test RMSE, in pixels")
    ax_px.margins(y=0.2)
    keypoints = list(metrics[0]["test_error_px"])
    width = 0.8 / len(metrics)
    x = np.arange(len(keypoints))
    for i, m in enumerate(metrics):
        ax_kp.bar(
            x + (i - (len(metrics) - 1) / 2) * width,
            [m["test_error_px"][k] for k in keypoints],
            width,
            color=colours[i],
            label=labels[i],
        )
    ax_kp.set_xticks(x, keypoints)
    ax_kp.set_ylabel("mean keypoint error (px)")
    ax_kp.set_title("per keypoint, test block")
    ax_kp.legend(frameon=False, fontsize=8, ncols=2 if many else 1)
    ax_kp.margins(y=0.35 if many else 0.1)  # room above the bars for the legend
    for ax in (ax_mse, ax_px):
        ax.tick_params(axis="x", labelsize=7 if many else 8)  # names on lines, upright
    fig.suptitle(title)
    save_figure(fig, path)
