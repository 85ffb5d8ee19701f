"""Figures of the MNIST benchmark: reconstructions, error against dimension, encoder maps,
decoder grids and interpolations, as in the autoencoder tutorials the project comes from,
and what a variational autoencoder generates from its prior.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from killipose.figures import MODEL_COLOURS, MODEL_LABELS, save_figure
from killipose.generation import prior_grid
from killipose.models import model_rank

if TYPE_CHECKING:  # torch is imported only where a model is used
    from killipose.models import LatentModel, VariationalAutoencoder

SIDE = 28


def _label(name: str, dim: int | None = None) -> str:
    label = MODEL_LABELS.get(name, name)
    return label if dim is None else f"{label}, {dim}-D"


def _tile(images: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """``rows * cols`` images of 784 pixels as one (rows*28, cols*28) picture."""
    return images.reshape(rows, cols, SIDE, SIDE).swapaxes(1, 2).reshape(rows * SIDE, cols * SIDE)


def _bare(ax) -> None:
    """An axes showing only an image and its row label."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def example_digits(labels: np.ndarray) -> np.ndarray:
    """Index of the first sample of each digit 0-9 (a fixed, reproducible set)."""
    return np.array([np.flatnonzero(labels == d)[0] for d in range(10)])


def plot_reconstructions(
    originals: np.ndarray,
    rebuilt: dict[tuple[str, int], np.ndarray],
    path: str | os.PathLike,
    title: str,
) -> None:
    """Test digits (top row) and each model's reconstruction at each dimension below."""
    rows = [("original", originals)] + [(_label(n, d), x) for (n, d), x in rebuilt.items()]
    fig = Figure(
        figsize=(1.0 + 0.62 * len(originals), 0.62 * len(rows) + 0.6), layout="constrained"
    )
    axes = fig.subplots(len(rows), 1, squeeze=False)[:, 0]
    for ax, (label, images) in zip(axes, rows, strict=True):
        ax.imshow(_tile(np.clip(images, 0, 1), 1, len(images)), cmap="gray_r", vmin=0, vmax=1)
        _bare(ax)
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle(title)
    save_figure(fig, path)


def plot_error_vs_dim(metrics: list[dict], path: str | os.PathLike, title: str) -> None:
    """Against latent dimension, one line per model (points for single dims): test MSE,
    the logistic-regression probe's test accuracy on the code, and the fit time."""
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
                label=_label(name),
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
    save_figure(fig, path)


def plot_encoder_maps(
    latents: dict[str, pd.DataFrame], path: str | os.PathLike, title: str
) -> None:
    """The 2-D code of every test digit, coloured by digit, one panel per model."""
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
        ax.set_title(_label(name))
        ax.set_xlabel("z1")
        ax.set_ylabel("z2")
    fig.colorbar(points, ax=axes, ticks=range(10), label="digit", shrink=0.8)
    fig.suptitle(title)
    save_figure(fig, path)


def plot_decoder_grids(
    models: dict[str, LatentModel],
    latents: dict[str, pd.DataFrame],
    path: str | os.PathLike,
    title: str,
    steps: int = 12,
) -> None:
    """Each model's decoder over a grid of its 2-D code (1st-99th percentile of the test
    codes), one panel per model."""
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
            _tile(images, steps, steps),
            cmap="gray_r",
            vmin=0,
            vmax=1,
            extent=(lo[0], hi[0], lo[1], hi[1]),
            aspect="auto",
        )
        ax.set_title(_label(name))
        ax.set_xlabel("z1")
        ax.set_ylabel("z2")
    fig.suptitle(title)
    save_figure(fig, path)


def plot_interpolation(
    models: dict[str, LatentModel],
    start: np.ndarray,
    end: np.ndarray,
    path: str | os.PathLike,
    title: str,
    steps: int = 10,
) -> None:
    """Decode the straight line between the codes of two digits, one row per model.

    The first and last column are the two original digits.
    """
    t = np.linspace(0, 1, steps, dtype=np.float32)[:, None]
    rows = []
    for model in models.values():
        za, zb = model.transform(np.stack([start, end]))
        rows.append(np.clip(model.inverse_transform((1 - t) * za + t * zb), 0, 1))
    fig = Figure(figsize=(1.2 + 0.7 * (steps + 2), 0.8 * len(rows) + 0.9), layout="constrained")
    axes = fig.subplots(len(rows), 1, squeeze=False)[:, 0]
    for ax, name, images in zip(axes, models, rows, strict=True):
        strip = np.concatenate(
            [
                start[None],
                np.ones((1, SIDE * SIDE)) * 0,
                images,
                np.ones((1, SIDE * SIDE)) * 0,
                end[None],
            ]
        )
        ax.imshow(_tile(strip, 1, len(strip)), cmap="gray_r", vmin=0, vmax=1)
        _bare(ax)
        ax.set_ylabel(_label(name), rotation=0, ha="right", va="center", fontsize=9)
    axes[-1].set_xlabel("original A | decoded (1-t)·z(A) + t·z(B), t = 0 … 1 | original B")
    fig.suptitle(title)
    save_figure(fig, path)


def plot_prior_samples(
    models: list[VariationalAutoencoder],
    path: str | os.PathLike,
    title: str,
    side: int = 8,
    seed: int = 0,
) -> None:
    """``side * side`` digits decoded from codes drawn from the prior N(0, I), one panel
    per model (normally one VAE per latent dimension); the same ``seed`` for each."""
    fig = Figure(figsize=(0.4 + 2.9 * len(models), 3.75), layout="constrained")
    axes = fig.subplots(1, len(models), squeeze=False)[0]
    for ax, model in zip(axes, models, strict=True):
        images = np.clip(model.sample(side * side, seed=seed), 0, 1)
        ax.imshow(_tile(images, side, side), cmap="gray_r", vmin=0, vmax=1)
        _bare(ax)
        ax.set_title(_label("vae", model.latent_dim), fontsize=10)
    fig.suptitle(
        f"{title}\ngenerated: decoded from random codes z ~ N(0, I), not test digits",
        fontsize=10,
    )
    save_figure(fig, path)


def plot_prior_grid(
    model: LatentModel, path: str | os.PathLike, title: str, steps: int = 15
) -> None:
    """A 2-D model's decoder over a grid of prior quantiles (5%-95% on each axis, see
    :func:`killipose.generation.prior_grid`), one image, as in Kingma and Welling."""
    codes = prior_grid(steps)
    images = np.clip(model.inverse_transform(codes), 0, 1)
    fig = Figure(figsize=(6.2, 6.6), layout="constrained")
    ax = fig.subplots()
    ax.imshow(_tile(images, steps, steps), cmap="gray_r", vmin=0, vmax=1)
    # Ticks at the centres of every other column and row, labelled with their code.
    every = np.arange(0, steps, 2)
    centres = (every + 0.5) * SIDE - 0.5
    ax.set_xticks(centres, [f"{z:.1f}" for z in codes[every, 0]])
    ax.set_yticks(centres, [f"{z:.1f}" for z in codes[every * steps, 1]])
    ax.tick_params(labelsize=8, length=2)
    ax.set_xlabel("z1 (prior quantiles 5% … 95%)")
    ax.set_ylabel("z2 (prior quantiles 5% … 95%)")
    ax.set_title(
        f"{title}\ngenerated: {_label('vae', 2)} decoder on a grid over its prior, not test digits",
        fontsize=10,
    )
    save_figure(fig, path)
