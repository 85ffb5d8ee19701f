"""Data quality: where keypoints are missing over time, before cleaning and after."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from killipose.plots import save_figure, style


def time_unit(seconds: float) -> tuple[float, str]:
    """The unit a recording of ``seconds`` is best read in: ``(seconds per unit, name)``;
    seconds up to 3 min, minutes up to 3 h, hours beyond."""
    if seconds > 3 * 3600:
        return 3600.0, "h"
    if seconds > 180:
        return 60.0, "min"
    return 1.0, "s"


def missing_fractions(
    raw: pd.DataFrame, valid: np.ndarray, keypoints: list[str], bins: int
) -> np.ndarray:
    """Share of frames missing per keypoint and per time bin: ``(len(keypoints) + 1, bins)``
    in [0, 1].

    A keypoint is missing in a frame when its x or y is NaN. The last row is the share of
    frames cleaning excluded (``valid`` false). Bins split the rows into ``bins`` runs of
    near-equal length (row counts, not seconds: frames may be dropped).
    """
    edges = np.linspace(0, len(raw), bins + 1).astype(int)
    rows = []
    for k in keypoints:
        missing = (raw[f"x_{k}"].isna() | raw[f"y_{k}"].isna()).to_numpy()
        rows.append(np.add.reduceat(missing, edges[:-1]) / np.diff(edges))
    rows.append(np.add.reduceat(~valid, edges[:-1]) / np.diff(edges))
    return np.array(rows)


@style()
def missing_data_figure(
    raw: pd.DataFrame,
    clean_frame: pd.DataFrame,
    keypoints: list[str],
    time_s: np.ndarray,
    bins: int = 240,
) -> Figure:
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
    bins
        How many time bins across the recording.

    Returns
    -------
    One image: a row per keypoint, then "excluded after cleaning" below a white line; the
    colour is the percentage of the bin's frames missing, on a log scale from 0.01 %.
    """
    rows = missing_fractions(raw, clean_frame["valid"].to_numpy(), keypoints, bins)
    labels = [*keypoints, "excluded after cleaning"]
    scale, unit = time_unit(float(time_s[-1]))
    extent = (0, time_s[-1] / scale, len(rows) - 0.5, -0.5)
    fig = Figure(figsize=(9, 0.45 * len(rows) + 1.4))
    ax = fig.subplots()
    # Log colour scale: tracking loss is often a fraction of a percent, yet it matters.
    image = ax.imshow(
        np.clip(rows * 100, 0.01, 100),
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
    return fig


def plot_missing_data(
    raw: pd.DataFrame,
    clean_frame: pd.DataFrame,
    keypoints: list[str],
    time_s: np.ndarray,
    path: str | os.PathLike,
    bins: int = 240,
) -> None:
    """:func:`missing_data_figure`, written as PNG at ``path``."""
    save_figure(missing_data_figure(raw, clean_frame, keypoints, time_s, bins), path)
