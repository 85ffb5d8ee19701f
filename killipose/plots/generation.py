"""Digits a variational autoencoder generates from its prior: random draws, and a grid."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from killipose.generation import prior_grid
from killipose.plots import model_label, save_figure, style
from killipose.plots.digits import SIDE, bare, tile

if TYPE_CHECKING:  # torch is imported only where a model is used
    from killipose.models import LatentModel, VariationalAutoencoder


@style()
def prior_samples_figure(
    models: list[VariationalAutoencoder], title: str, side: int = 8, seed: int = 0
) -> Figure:
    """``side * side`` digits decoded from codes drawn from the prior N(0, I), one panel
    per model (normally one VAE per latent dimension); the same ``seed`` for each, so a
    figure is reproducible."""
    fig = Figure(figsize=(0.4 + 2.9 * len(models), 3.75), layout="constrained")
    axes = fig.subplots(1, len(models), squeeze=False)[0]
    for ax, model in zip(axes, models, strict=True):
        images = np.clip(model.sample(side * side, seed=seed), 0, 1)
        ax.imshow(tile(images, side, side), cmap="gray_r", vmin=0, vmax=1)
        bare(ax)
        ax.set_title(model_label("vae", model.latent_dim), fontsize=10)
    fig.suptitle(
        f"{title}\ngenerated: decoded from random codes z ~ N(0, I), not test digits",
        fontsize=10,
    )
    return fig


def plot_prior_samples(
    models: list[VariationalAutoencoder],
    path: str | os.PathLike,
    title: str,
    side: int = 8,
    seed: int = 0,
) -> None:
    """:func:`prior_samples_figure`, written as PNG at ``path``."""
    save_figure(prior_samples_figure(models, title, side, seed), path)


@style()
def prior_grid_figure(model: LatentModel, title: str, steps: int = 15) -> Figure:
    """A 2-D model's decoder over a grid of prior quantiles (5%-95% on each axis, see
    :func:`killipose.generation.prior_grid`), one image, as in Kingma and Welling.

    Every other column and row is ticked with its code.
    """
    codes = prior_grid(steps)
    images = np.clip(model.inverse_transform(codes), 0, 1)
    fig = Figure(figsize=(6.2, 6.6), layout="constrained")
    ax = fig.subplots()
    ax.imshow(tile(images, steps, steps), cmap="gray_r", vmin=0, vmax=1)
    # Ticks at the centres of every other column and row, labelled with their code.
    every = np.arange(0, steps, 2)
    centres = (every + 0.5) * SIDE - 0.5
    ax.set_xticks(centres, [f"{z:.1f}" for z in codes[every, 0]])
    ax.set_yticks(centres, [f"{z:.1f}" for z in codes[every * steps, 1]])
    ax.tick_params(labelsize=8, length=2)
    ax.set_xlabel("z1 (prior quantiles 5% … 95%)")
    ax.set_ylabel("z2 (prior quantiles 5% … 95%)")
    ax.set_title(
        f"{title}\ngenerated: {model_label('vae', 2)} decoder on a grid over its prior, "
        "not test digits",
        fontsize=10,
    )
    return fig


def plot_prior_grid(
    model: LatentModel, path: str | os.PathLike, title: str, steps: int = 15
) -> None:
    """:func:`prior_grid_figure`, written as PNG at ``path``."""
    save_figure(prior_grid_figure(model, title, steps), path)
