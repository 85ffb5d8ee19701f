"""Figures of the MNIST benchmark: reconstructions, encoder maps, decoder grids and
interpolations, as in the autoencoder tutorials the project comes from.

Digits are rows of 784 pixels in [0, 1] (28 x 28, row by row), drawn dark on white.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from killipose.plots import model_label, save_figure, style

if TYPE_CHECKING:  # torch is imported only where a model is used
    from killipose.models import LatentModel

#: Digits are SIDE x SIDE pixels.
SIDE = 28


def tile(images: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """``rows * cols`` images of 784 pixels, row by row, as one (rows*28, cols*28)
    picture."""
    return images.reshape(rows, cols, SIDE, SIDE).swapaxes(1, 2).reshape(rows * SIDE, cols * SIDE)


def bare(ax: Axes) -> None:
    """Leave ``ax`` showing only its image and its labels: no ticks, no frame."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def example_digits(labels: np.ndarray) -> np.ndarray:
    """Index of the first sample of each digit 0-9 (a fixed, reproducible set)."""
    return np.array([np.flatnonzero(labels == d)[0] for d in range(10)])


@style()
def reconstructions_figure(
    originals: np.ndarray, rebuilt: dict[tuple[str, int], np.ndarray], title: str
) -> Figure:
    """Test digits (top row) and each model's reconstruction at each dimension below.

    ``originals`` is ``(n, 784)``; ``rebuilt`` maps ``(model name, latent dim)`` to the
    model's ``(n, 784)`` reconstruction of them, one row each, in its order. Pixels are
    clipped to [0, 1].
    """
    rows = [("original", originals)] + [(model_label(n, d), x) for (n, d), x in rebuilt.items()]
    fig = Figure(
        figsize=(1.0 + 0.62 * len(originals), 0.62 * len(rows) + 0.6), layout="constrained"
    )
    axes = fig.subplots(len(rows), 1, squeeze=False)[:, 0]
    for ax, (label, images) in zip(axes, rows, strict=True):
        ax.imshow(tile(np.clip(images, 0, 1), 1, len(images)), cmap="gray_r", vmin=0, vmax=1)
        bare(ax)
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle(title)
    return fig


def plot_reconstructions(
    originals: np.ndarray,
    rebuilt: dict[tuple[str, int], np.ndarray],
    path: str | os.PathLike,
    title: str,
) -> None:
    """:func:`reconstructions_figure`, written as PNG at ``path``."""
    save_figure(reconstructions_figure(originals, rebuilt, title), path)


@style()
def encoder_maps_figure(latents: dict[str, pd.DataFrame], title: str) -> Figure:
    """The 2-D code of every test digit, coloured by digit, one panel per model.

    ``latents`` maps a model name to its latent table (``z1``, ``z2``, ``label``,
    ``split``); only the rows whose ``split`` is ``"test"`` are drawn. Each digit's name
    sits at the median of its codes.
    """
    fig = Figure(figsize=(3.3 * len(latents) + 0.8, 3.5), layout="constrained")
    axes = fig.subplots(1, len(latents), squeeze=False)[0]
    for ax, (name, frame) in zip(axes, latents.items(), strict=True):
        test = frame[frame["split"] == "test"]
        points = ax.scatter(
            test["z1"],
            test["z2"],
            c=test["label"],
            cmap="tab10",
            vmin=-0.5,
            vmax=9.5,
            s=4,
            alpha=0.7,
            linewidths=0,
        )
        for digit, group in test.groupby("label"):
            ax.text(
                group["z1"].median(),
                group["z2"].median(),
                str(digit),
                fontsize=11,
                weight="bold",
                ha="center",
                va="center",
                bbox={"boxstyle": "circle,pad=0.15", "fc": "white", "alpha": 0.7, "lw": 0},
            )
        ax.set_title(model_label(name))
        ax.set_xlabel("z1")
        ax.set_ylabel("z2")
    fig.colorbar(points, ax=axes, ticks=range(10), label="digit", shrink=0.8)
    fig.suptitle(title)
    return fig


def plot_encoder_maps(
    latents: dict[str, pd.DataFrame], path: str | os.PathLike, title: str
) -> None:
    """:func:`encoder_maps_figure`, written as PNG at ``path``."""
    save_figure(encoder_maps_figure(latents, title), path)


@style()
def decoder_grids_figure(
    models: dict[str, LatentModel],
    latents: dict[str, pd.DataFrame],
    title: str,
    steps: int = 12,
) -> Figure:
    """Each model's decoder over a grid of its 2-D code, one panel per model.

    ``latents`` maps each model's name to its latent table (``z1``, ``z2``, ``split``).
    The grid spans the 1st-99th percentile of the model's test codes on each axis in
    ``steps`` steps; the axes are in code units, the top row is the highest z2.
    """
    fig = Figure(figsize=(3.3 * len(models), 3.6), layout="constrained")
    axes = fig.subplots(1, len(models), squeeze=False)[0]
    for ax, (name, model) in zip(axes, models.items(), strict=True):
        test = latents[name][latents[name]["split"] == "test"]
        lo, hi = np.percentile(test[["z1", "z2"]].to_numpy(), [1, 99], axis=0)
        z1 = np.linspace(lo[0], hi[0], steps)
        z2 = np.linspace(hi[1], lo[1], steps)  # top row = high z2, as on a plot
        grid = np.array([[a, b] for b in z2 for a in z1], dtype=np.float32)
        images = np.clip(model.inverse_transform(grid), 0, 1)
        ax.imshow(
            tile(images, steps, steps),
            cmap="gray_r",
            vmin=0,
            vmax=1,
            extent=(lo[0], hi[0], lo[1], hi[1]),
            aspect="auto",
        )
        ax.set_title(model_label(name))
        ax.set_xlabel("z1")
        ax.set_ylabel("z2")
    fig.suptitle(title)
    return fig


def plot_decoder_grids(
    models: dict[str, LatentModel],
    latents: dict[str, pd.DataFrame],
    path: str | os.PathLike,
    title: str,
    steps: int = 12,
) -> None:
    """:func:`decoder_grids_figure`, written as PNG at ``path``."""
    save_figure(decoder_grids_figure(models, latents, title, steps), path)


@style()
def interpolation_figure(
    models: dict[str, LatentModel],
    start: np.ndarray,
    end: np.ndarray,
    title: str,
    steps: int = 10,
) -> Figure:
    """Decode the straight line between the codes of two digits, one row per model.

    ``start`` and ``end`` are two digits of 784 pixels. Each row shows ``start``, a blank,
    the ``steps`` decoded codes ``(1 - t) z(start) + t z(end)`` for t from 0 to 1, a blank
    and ``end``.
    """
    t = np.linspace(0, 1, steps, dtype=np.float32)[:, None]
    rows = []
    for model in models.values():
        za, zb = model.transform(np.stack([start, end]))
        rows.append(np.clip(model.inverse_transform((1 - t) * za + t * zb), 0, 1))
    fig = Figure(figsize=(1.2 + 0.7 * (steps + 2), 0.8 * len(rows) + 0.9), layout="constrained")
    axes = fig.subplots(len(rows), 1, squeeze=False)[:, 0]
    blank = np.zeros((1, SIDE * SIDE))
    for ax, name, images in zip(axes, models, rows, strict=True):
        strip = np.concatenate([start[None], blank, images, blank, end[None]])
        ax.imshow(tile(strip, 1, len(strip)), cmap="gray_r", vmin=0, vmax=1)
        bare(ax)
        ax.set_ylabel(model_label(name), rotation=0, ha="right", va="center", fontsize=9)
    axes[-1].set_xlabel("original A | decoded (1-t)·z(A) + t·z(B), t = 0 … 1 | original B")
    fig.suptitle(title)
    return fig


def plot_interpolation(
    models: dict[str, LatentModel],
    start: np.ndarray,
    end: np.ndarray,
    path: str | os.PathLike,
    title: str,
    steps: int = 10,
) -> None:
    """:func:`interpolation_figure`, written as PNG at ``path``."""
    save_figure(interpolation_figure(models, start, end, title, steps), path)
