"""The whole recording: activity and each model's error over time, at rest and swimming."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from killipose.models import model_rank
from killipose.plots import MODEL_COLOURS, model_label, save_figure, style

#: Bins the recording is cut into along time.
BINS = 24


@style()
def day_figure(frames: pd.DataFrame, title: str) -> Figure:
    """Activity and error over the recording, and error at rest against swimming.

    ``frames`` has a row per frame: ``time_s``, ``split``, ``swimming`` (bool, NaN where
    unknown), ``speed`` (px/s) and ``error_<model>`` (mean keypoint error in px, NaN
    where the frame is not valid). The recording is cut into :data:`BINS` equal spans.
    Top: the share of frames swimming and the mean speed. Middle: each model's mean error
    per span, the test block shaded (the other spans were seen in training). Bottom: each
    model's mean error on the test block, at rest and swimming.
    """
    models = sorted((c[6:] for c in frames if c.startswith("error_")), key=model_rank)
    hours = (frames["time_s"] - frames["time_s"].min()) / 3600
    unit, scale = ("h", 1.0) if hours.max() >= 2 else ("min", 60.0)
    # Bin numbers, not a label per frame: 1.7M Interval objects would take 0.1 GB.
    span, edges = pd.cut(hours * scale, BINS, labels=False, retbins=True)
    mids = (edges[:-1] + edges[1:]) / 2
    centre = pd.Series(mids[span.fillna(0).to_numpy(int)], index=frames.index).where(span.notna())
    fig = Figure(figsize=(8.5, 7.2), layout="constrained")
    activity, errors, states = fig.subplots(3, 1, height_ratios=[1, 1.3, 1])
    per_span = frames.assign(centre=centre).groupby("centre", observed=True)
    activity.plot(per_span["swimming"].mean(), "o-", color="#333333", ms=3, label="share swimming")
    activity.set_ylabel("share of frames swimming")
    activity.set_ylim(0, 1)
    speed = activity.twinx()
    speed.plot(per_span["speed"].mean(), "s--", color="#999999", ms=3, label="mean speed")
    speed.set_ylabel("mean speed (px/s)")
    lines = activity.get_lines() + speed.get_lines()
    activity.legend(
        lines, [line.get_label() for line in lines], fontsize=7, loc="lower left", ncols=2
    )
    activity.set_title("activity", fontsize=10)
    for model in models:
        errors.plot(
            per_span[f"error_{model}"].mean(),
            "o-",
            ms=3,
            color=MODEL_COLOURS.get(model, "#444444"),
            label=model_label(model),
        )
    test = centre[frames["split"] == "test"]
    if len(test):
        errors.axvspan(test.min(), test.max(), color="#eeeeee", zorder=0, label="test block")
    errors.set_ylabel("mean keypoint error (px)")
    errors.set_title("each model's error over the recording", fontsize=10)
    errors.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    for ax in (activity, errors):
        ax.set_xlabel(f"time since the first frame ({unit})")
    _state_bars(states, frames[frames["split"] == "test"], models)
    fig.suptitle(title)
    return fig


def _state_bars(ax, test: pd.DataFrame, models: list[str]) -> None:
    """Each model's mean test error at rest and swimming, side by side."""
    width = 0.8 / max(len(models), 1)
    for i, model in enumerate(models):
        means = [test.loc[test["swimming"] == state, f"error_{model}"].mean() for state in (0, 1)]
        at = np.arange(2) + (i - (len(models) - 1) / 2) * width
        bars = ax.bar(at, means, width, color=MODEL_COLOURS.get(model, "#444444"))
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    counts = [int((test["swimming"] == state).sum()) for state in (0, 1)]
    ax.set_xticks([0, 1], [f"at rest ({counts[0]:,} frames)", f"swimming ({counts[1]:,})"])
    ax.set_ylabel("mean keypoint error (px)")
    ax.set_title("test block: error at rest and swimming", fontsize=10)


def plot_day(frames: pd.DataFrame, path: str | os.PathLike, title: str) -> None:
    """:func:`day_figure`, written as PNG at ``path``."""
    save_figure(day_figure(frames, title), path)
