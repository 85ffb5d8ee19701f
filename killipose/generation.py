"""What a variational autoencoder generates: codes from its prior N(0, I), decoded.

:func:`latent_walk` is a smooth random path through the code whose every frame is a draw
from the prior, so the decoder is asked only for codes it was trained to expect;
:func:`decode_poses` turns such codes into keypoint pixels for
:func:`killipose.video.render_reconstruction`, and :func:`prior_grid` is the regular
grid of prior quantiles over a 2-D code that the MNIST grid figure decodes.
"""

from __future__ import annotations

import os
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from killipose.errors import InputError

if TYPE_CHECKING:  # torch is imported only where a model is used
    from killipose.cleaning.table import CleanTable
    from killipose.models import LatentModel, VariationalAutoencoder

#: Panel title of a generated pose video: says what it is, in every frame.
GENERATED_PANEL = "generated, not recorded"


def require_vae(model: LatentModel, path: str | os.PathLike) -> VariationalAutoencoder:
    """``model`` if it is a variational autoencoder; else :class:`InputError` naming ``path``.

    Only a VAE has a prior to sample: the codes of the other models have no known
    distribution, so what their decoders make of N(0, I) codes means nothing.
    """
    from killipose.models import VariationalAutoencoder

    if not isinstance(model, VariationalAutoencoder):
        raise InputError(
            f"{path}: not a variational autoencoder (a {type(model).__name__}); generating "
            "needs a model fitted with --model vae"
        )
    return model


def latent_walk(
    n_frames: int, latent_dim: int, seed: int = 0, timescale: float = 10.0
) -> np.ndarray:
    """A smooth random walk through a code whose every frame is distributed as N(0, I).

    Parameters
    ----------
    n_frames
        Length of the walk, frames (>= 1).
    latent_dim
        Dimension of the code (>= 1).
    seed
        The same seed gives the same walk.
    timescale
        How slowly the code changes, in frames (> 0): the standard deviation of the
        Gaussian kernel that smooths white noise into the walk.

    Returns
    -------
    float32 ``(n_frames, latent_dim)`` codes, latent units.

    Notes
    -----
    Each dimension is white noise convolved with a Gaussian kernel scaled to unit energy:
    a stationary Gaussian process, N(0, 1) in every frame, the first and last included,
    with correlation ``exp(-lag**2 / (4 * timescale**2))`` between frames ``lag`` apart, the
    dimensions independent. Unlike an AR(1) (Ornstein-Uhlenbeck) walk, which also keeps
    N(0, I) but jitters from frame to frame, the path is smooth, so a decoded pose moves
    rather than trembles. Over a walk much longer than ``timescale`` the codes' variance
    is close to 1; a short walk visits only part of the prior.
    """
    if n_frames < 1 or latent_dim < 1:
        raise InputError(
            f"a latent walk needs frames >= 1 and a code of >= 1 dimension, got {n_frames} "
            f"frames and {latent_dim} dimensions"
        )
    if not np.isfinite(timescale) or timescale <= 0:
        raise InputError(
            f"the walk's timescale must be a positive number of frames, got {timescale}"
        )
    radius = int(np.ceil(4 * timescale))  # beyond 4 sd lies < 1e-7 of the kernel's energy
    lags = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (lags / timescale) ** 2)
    kernel /= np.sqrt(np.sum(kernel**2))  # unit energy: unit variance out of unit noise
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((n_frames + 2 * radius, latent_dim))
    walk = sliding_window_view(noise, len(kernel), axis=0) @ kernel  # (frames, dims)
    return walk.astype(np.float32)


def decode_poses(model: LatentModel, clean: CleanTable, codes: np.ndarray) -> np.ndarray:
    """Decode ``codes`` into poses in pixels with the table's normalisation.

    Parameters
    ----------
    model
        A fitted model of ``clean``'s features.
    clean
        The cleaned table the model was fitted on: its per-feature mean and std take the
        decoder's normalised units back to pixels, and its keypoints name them.
    codes
        ``(frames, latent_dim)`` codes, latent units.

    Returns
    -------
    float64 ``(frames, keypoints, 2)`` pixels, keypoints in the table's order. In the
    egocentric frame these are posture pixels in the body frame (a generated frame has no
    position or heading in the arena); in the world frame, image pixels.

    Raises
    ------
    InputError
        The codes do not have the model's dimension, or the model decodes another number
        of features than the table has.
    """
    codes = np.asarray(codes, dtype=np.float32)
    if codes.ndim != 2 or codes.shape[1] != model.latent_dim:
        raise InputError(
            f"codes of shape {codes.shape} for a model with a {model.latent_dim}-D code"
        )
    features = model.inverse_transform(codes)
    if features.shape[1] != len(clean.features):
        raise InputError(
            f"the model decodes {features.shape[1]} features but the table has "
            f"{len(clean.features)}; use the model fitted on this table"
        )
    return clean.to_pixels(features.astype(np.float64)).reshape(len(codes), -1, 2)


def prior_grid(steps: int = 15, low: float = 0.05, high: float = 0.95) -> np.ndarray:
    """A regular grid of prior quantiles over a 2-D code, as in Kingma and Welling (2014).

    Each axis runs through the standard normal's quantiles at ``steps`` probabilities
    evenly spaced from ``low`` to ``high``, so the grid covers the prior evenly by mass,
    not by distance.

    Returns
    -------
    float32 ``(steps * steps, 2)`` codes ``(z1, z2)``, in reading order of the picture:
    the top row (highest z2) first, z1 increasing along each row.
    """
    if steps < 2 or not 0 < low < high < 1:
        raise InputError(
            f"a prior grid needs steps >= 2 and 0 < low < high < 1, got {steps}, {low}, {high}"
        )
    inv_cdf = NormalDist().inv_cdf
    axis = np.array([inv_cdf(p) for p in np.linspace(low, high, steps)], dtype=np.float32)
    z1, z2 = np.meshgrid(axis, axis[::-1])
    return np.stack([z1.ravel(), z2.ravel()], axis=1)
