"""How the autoencoders trained: training and validation error per epoch, every seed."""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from killipose.models import model_rank
from killipose.plots import MODEL_COLOURS, model_label, save_figure, style


@style()
def training_curves_figure(
    histories: pd.DataFrame, title: str, pca_val: dict[int, float] | None = None
) -> Figure:
    """One panel per model: validation MSE (solid) and training loss (dashed) per epoch.

    ``histories`` has a row per epoch of each fit (``history.csv``), with ``model``,
    ``latent_dim`` and ``seed`` added. Each seed is a line; with several latent dimensions
    each has its own shade. ``pca_val`` (latent dim -> PCA's validation MSE) draws PCA's
    error as a dotted line: the floor a linear code reaches, and where a model that starts
    from PCA starts. The training loss is the loss the model minimises (for a VAE it
    includes the KL term), so it can lie above the validation MSE.
    """
    models = sorted(dict.fromkeys(histories["model"]), key=model_rank)
    dims = sorted(histories["latent_dim"].unique())
    columns = min(len(models), 4)
    rows = math.ceil(len(models) / columns)
    fig = Figure(figsize=(3.4 * columns, 2.9 * rows), layout="constrained")
    grid = fig.subplots(rows, columns, squeeze=False, sharey=True)
    axes = grid.ravel()[: len(models)]
    for ax in grid.ravel()[len(models) :]:
        ax.set_visible(False)
    shades = dict(zip(dims, np.linspace(1.0, 0.45, len(dims)), strict=True))
    for ax, model in zip(axes, models, strict=True):
        colour = MODEL_COLOURS.get(model, "#444444")
        fits = histories[histories["model"] == model]
        for (dim, seed), fit in fits.groupby(["latent_dim", "seed"], sort=True):
            alpha = shades[dim]
            label = f"{dim}-D" if seed == fits["seed"].min() and len(dims) > 1 else None
            ax.plot(fit["epoch"], fit["val_mse"], color=colour, alpha=alpha, lw=1.2, label=label)
            ax.plot(fit["epoch"], fit["train_loss"], color=colour, alpha=alpha, lw=0.8, ls="--")
        for dim, value in (pca_val or {}).items():
            if dim in shades:
                ax.axhline(value, color=MODEL_COLOURS["pca"], ls=":", lw=1, alpha=shades[dim])
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_title(model_label(model))
        if len(dims) > 1:
            ax.legend(fontsize=7, title="code", title_fontsize=7)
    # The first epoch's error can be orders of magnitude above the rest: show the rest.
    later = histories[histories["epoch"] > 1][["val_mse", "train_loss"]].to_numpy()
    if later.size:
        low = min(np.nanmin(later), min((pca_val or {}).values(), default=np.inf))
        axes[0].set_ylim(low / 1.3, np.nanmax(later) * 1.3)
    for ax in grid[:, 0]:
        ax.set_ylabel("MSE (val: solid; train: dashed)")
    seeds = histories.groupby("model")["seed"].nunique().max()
    fig.suptitle(f"{title} ({seeds} seed{'s' if seeds > 1 else ''}; PCA's validation MSE dotted)")
    return fig


def plot_training_curves(
    histories: pd.DataFrame,
    path: str | os.PathLike,
    title: str,
    pca_val: dict[int, float] | None = None,
) -> None:
    """:func:`training_curves_figure`, written as PNG at ``path``."""
    save_figure(training_curves_figure(histories, title, pca_val), path)
