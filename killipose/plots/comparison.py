"""Test error per model: at one code size (pose data), or against the code size (MNIST)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from killipose.models import model_rank
from killipose.plots import MODEL_COLOURS, model_label, save_figure, style


def duration(seconds: float) -> str:
    """A fit time as a person says it: ``0.4 s``, ``52 s``, ``3.7 min``."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


@style()
def model_comparison_figure(metrics: list[dict], title: str) -> Figure:
    """Test error of each model: overall (normalised MSE and px RMSE) and per keypoint (px).

    ``metrics`` holds one dict per model, as :func:`killipose.metrics.pose_metrics` makes
    them (``model``, ``test_mse``, ``test_rmse_px``, ``test_error_px``; optionally
    ``fit_seconds``). Models are shown in the registry's order (``killipose.models.MODELS``:
    PCA first); ratios are to the first; under each name, the fit time. Entries averaged
    over seeds (:func:`killipose.metrics.mean_over_seeds`) show the mean as the bar and
    each seed's test MSE (``test_mse_seeds``) as a dot.

    Returns three axes: test MSE with its ratio to the first model (a log scale when the
    largest is over 20 times the smallest), test RMSE in pixels, error per keypoint; and
    for synthetic data, where every entry has the errors against the noise-free pose
    (:func:`killipose.metrics.truth_metrics`), a fourth: each model's mean keypoint error
    against the tracked data (filled) and against the noise-free pose (hatched), and the
    tracker's noise as a dashed line.
    """
    metrics = sorted(metrics, key=lambda m: model_rank(m["model"]))
    names = [m["model"] for m in metrics]
    colours = [MODEL_COLOURS.get(n, "#777777") for n in names]
    labels = [model_label(n) for n in names]
    ticks = [label.replace(" AE", "\nAE") for label in labels]  # two lines: no overlap
    if all("fit_seconds" in m for m in metrics):  # and how long each fit took
        ticks = [f"{t}\n{duration(m['fit_seconds'])}" for t, m in zip(ticks, metrics, strict=True)]
    many = len(metrics) > 3  # more bars: a wider figure, smaller names and numbers
    truth = all("truth_test_error_px" in m for m in metrics)
    width = 9.2 + 1.4 * max(len(metrics) - 3, 0)
    fig = Figure(figsize=(width * (1.35 if truth else 1), 3.8), layout="constrained")
    ratios = [1.1, 1, 2, 1.35] if truth else [1.1, 1, 2]
    ax_mse, ax_px, ax_kp, *ax_truth = fig.subplots(1, len(ratios), width_ratios=ratios)
    # Upright numbers when the bars are many, so that neighbours' numbers do not overlap.
    upright = {"fontsize": 7, "rotation": 90, "padding": 2} if many else {"fontsize": 8}
    _mse_panel(ax_mse, metrics, ticks, colours, labels[0], upright)
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
    if truth:
        _truth_panel(ax_truth[0], metrics, ticks, colours, upright)
    for ax in (ax_mse, ax_px, *ax_truth):
        ax.tick_params(axis="x", labelsize=7 if many else 8)  # names on lines, upright
    fig.suptitle(title)
    return fig


#: The label of the noise floor wherever it is drawn.
NOISE_FLOOR = "tracker noise (synthetic data)"


def _truth_panel(ax: Axes, metrics: list[dict], ticks: list[str], colours: list, numbers: dict):
    """Each model's mean keypoint error on the test block against the tracked data (the
    mean of ``test_error_px``, filled bars) and against the noise-free pose
    (``truth_test_error_px``, hatched), and the noise floor (``noise_floor_px``: the
    tracked data's own error against the truth, the same for every fit) as a dashed line."""
    x = np.arange(len(metrics))
    tracked = [float(np.mean(list(m["test_error_px"].values()))) for m in metrics]
    truth = [m["truth_test_error_px"] for m in metrics]
    half = 0.38
    filled = ax.bar(x - half / 2, tracked, half, color=colours)
    hatched = ax.bar(
        x + half / 2, truth, half, facecolor="white", edgecolor=colours, hatch="////", lw=1
    )
    for bars, values in ((filled, tracked), (hatched, truth)):
        ax.bar_label(bars, [f"{v:.2f}" for v in values], **numbers)
    floor = metrics[0]["noise_floor_px"]
    ax.axhline(floor, color="#222222", ls="--", lw=1.2, zorder=3)
    ax.set_xticks(x, ticks)
    ax.set_ylabel("mean keypoint error (px)")
    ax.set_title("against the noise-free pose")
    ax.set_ylim(0, 1.45 * max(*tracked, *truth, floor))  # room for the legend
    ax.legend(
        [
            Patch(facecolor="#888888"),
            Patch(facecolor="white", edgecolor="#444444", hatch="////"),
            Line2D([], [], color="#222222", ls="--", lw=1.2),
        ],
        [
            "against the tracked data",
            "against the noise-free pose",
            f"{NOISE_FLOOR}: {floor:.2f} px",
        ],
        frameon=False,
        fontsize=7,
        loc="upper left",
    )


def _mse_panel(
    ax: Axes, metrics: list[dict], ticks: list[str], colours: list, first: str, numbers: dict
) -> None:
    """Test MSE bars in ``ax``, labelled with their ratio to the first, and a dot per seed
    beside each bar averaged over several."""
    mse = [m["test_mse"] for m in metrics]
    bars = ax.bar(ticks, mse, color=colours)
    for i, m in enumerate(metrics):  # each seed's fit (several), beside the bar's label
        seeds = m.get("test_mse_seeds", [])
        if len(seeds) > 1:
            ax.plot([i + 0.25] * len(seeds), seeds, "o", ms=3, mfc="none", mec="k", mew=0.6)
    ratio = [f"{v / mse[0]:,.{2 if v < 10 * mse[0] else 0}f} x" for v in mse]
    ax.bar_label(bars, ratio, **numbers)

    ax.set_ylabel("test MSE (normalised units²)")
    if max(mse) > 20 * min(mse):  # errors orders of magnitude apart: each bar stays visible
        ax.set_yscale("log")
    else:
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))
    seeds = max(len(m.get("test_mse_seeds", [])) for m in metrics)
    over = f"\nmean of {seeds} seeds; dots: each seed" if seeds > 1 else ""
    ax.set_title(f"test MSE, as a ratio to {first}{over}", fontsize=9 if over else None)
    ax.margins(y=0.25)


def plot_model_comparison(metrics: list[dict], path: str | os.PathLike, title: str) -> None:
    """:func:`model_comparison_figure`, written as PNG at ``path``."""
    save_figure(model_comparison_figure(metrics, title), path)


@style()
def error_vs_dim_figure(metrics: list[dict], title: str) -> Figure:
    """Against latent dimension, one line per model (points for single dims): test MSE,
    the logistic-regression probe's test accuracy on the code, and the fit time.

    ``metrics`` holds one dict per fit with ``model``, ``latent_dim`` and ``test_mse``
    (per pixel, pixels in [0, 1]); a panel for ``probe_accuracy`` and one for
    ``fit_seconds`` (log scale) are added when any fit has them. Models are in the
    registry's order; the x axis is log base 2, ticked at every dimension fitted.
    """
    frame = pd.DataFrame(metrics).sort_values("latent_dim", kind="stable")
    frame = frame.sort_values("model", key=lambda s: s.map(model_rank), kind="stable")
    panels = [("test_mse", "test MSE per pixel (pixels in [0, 1])", "test error")]
    if "probe_accuracy" in frame:
        panels.append(("probe_accuracy", "digit accuracy of a linear probe", "class in the code"))
    if "fit_seconds" in frame:
        panels.append(("fit_seconds", "fit time (s)", "fit time"))
    fig = Figure(figsize=(4.2 * len(panels) + 1.6, 3.8), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    dims = sorted(frame["latent_dim"].unique())
    for ax, (column, ylabel, heading) in zip(axes, panels, strict=True):
        for name, rows in frame.dropna(subset=[column]).groupby("model", sort=False):
            ax.plot(
                rows["latent_dim"],
                rows[column],
                "o-" if len(rows) > 1 else "s",
                label=model_label(name),
                color=MODEL_COLOURS.get(name),
                ms=5,
            )
        ax.set_xscale("log", base=2)
        ax.set_xticks(dims, [str(d) for d in dims])
        ax.set_xlabel("latent dimension")
        ax.set_ylabel(ylabel)
        ax.set_title(heading, fontsize=10)
    if panels[-1][0] == "fit_seconds":
        axes[-1].set_yscale("log")
        axes[-1].yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axes[-1].yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        axes[-1].yaxis.set_minor_formatter(NullFormatter())
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right center", frameon=False, fontsize=8)
    fig.suptitle(title)
    return fig


def plot_error_vs_dim(metrics: list[dict], path: str | os.PathLike, title: str) -> None:
    """:func:`error_vs_dim_figure`, written as PNG at ``path``."""
    save_figure(error_vs_dim_figure(metrics, title), path)


@style()
def room_figure(curve: pd.DataFrame, metrics: list[dict], title: str) -> Figure:
    """How much room there is: test error against code size, and PCA's scree.

    Left: PCA's test MSE at every code size in ``curve`` (from
    :func:`killipose.metrics.pca_by_dimension`), the line every linear code lies on, and
    each fitted model's test MSE at its sizes (``metrics``, seeds averaged: mean and sd
    as error bars); on synthetic data, the noise floor (``noise_floor_mse``: the tracked
    data's own error against the noise-free pose) as a dashed line. Right: the share of
    the training variance each component explains (bars) and their running total (line).
    """
    fig = Figure(figsize=(9.0, 3.6), layout="constrained")
    error, scree = fig.subplots(1, 2)
    error.plot(curve["latent_dim"], curve["test_mse"], "-", color=MODEL_COLOURS["pca"], lw=1)
    error.plot(curve["latent_dim"], curve["test_mse"], "o", color=MODEL_COLOURS["pca"], ms=3)
    for name in sorted({m["model"] for m in metrics}, key=model_rank):
        fits = sorted((m for m in metrics if m["model"] == name), key=lambda m: m["latent_dim"])
        sd = np.array([m.get("test_mse_sd", np.nan) for m in fits], dtype=float)
        x = [m["latent_dim"] + 0.08 * model_rank(name) for m in fits]
        y = [m["test_mse"] for m in fits]
        colour = MODEL_COLOURS.get(name, "#444444")
        if name != "pca":  # PCA's fits lie on its curve, which joins them already
            error.plot(x, y, ":", color=colour, lw=0.9)
        error.errorbar(
            x,
            y,
            yerr=None if np.isnan(sd).all() else np.nan_to_num(sd),
            fmt="s",
            ms=6,
            mfc="none",
            capsize=3,
            color=colour,
            label=f"{model_label(name)} (fitted)",
        )
    floor = next((m["noise_floor_mse"] for m in metrics if "noise_floor_mse" in m), None)
    if floor is not None:
        error.axhline(floor, color="#222222", ls="--", lw=1.2, label=NOISE_FLOOR)
    error.set_yscale("log")
    error.set_xlabel("latent dimension")
    error.set_ylabel("test MSE (normalised units)")
    error.set_title("test error: PCA at every size (line), fits (squares)", fontsize=10)
    error.legend(fontsize=7)
    share = curve["explained_variance_ratio"]
    scree.bar(curve["latent_dim"], share, color=MODEL_COLOURS["pca"], alpha=0.6)
    scree.plot(curve["latent_dim"], share.cumsum(), "o-", color="#333333", ms=3)
    scree.set_ylim(0, 1.02)
    scree.set_xlabel("component")
    scree.set_ylabel("share of training variance")
    scree.set_title("PCA's scree (bars) and running total", fontsize=10)
    for ax in (error, scree):
        ax.set_xticks(curve["latent_dim"])
    fig.suptitle(title)
    return fig


def plot_room(
    curve: pd.DataFrame, metrics: list[dict], path: str | os.PathLike, title: str
) -> None:
    """:func:`room_figure`, written as PNG at ``path``."""
    save_figure(room_figure(curve, metrics, title), path)
