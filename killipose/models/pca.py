"""PCA as a latent model: the best linear autoencoder, in closed form."""

from __future__ import annotations

import time
from numbers import Integral
from typing import ClassVar

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from killipose.models.base import LatentModel, at_least


class PCAModel(LatentModel):
    """Principal component analysis with the killipose model interface.

    Parameters
    ----------
    latent_dim
        Number of components kept.
    seed
        Accepted for the common interface; the fit is exact and draws nothing.
    """

    _parameter_constraints: ClassVar[dict] = {
        "latent_dim": [at_least(Integral, 1)],
        "seed": [at_least(Integral, 0)],
    }

    def __init__(self, latent_dim: int = 4, seed: int = 0):
        self.latent_dim = latent_dim
        self.seed = seed

    def fit(self, X, y=None, *, X_val=None, y_val=None, progress=False, checkpoint=None):
        """Fit on ``X`` (samples, features) in closed form.

        The other arguments are those of every model's ``fit``, accepted and ignored.
        """
        X = self._check_fit_input(X, y)
        start = time.perf_counter()
        mean, axes, variance = principal_axes(X)
        self.components_ = axes[: self.latent_dim].astype(np.float32)
        self.mean_ = mean.astype(np.float32)
        ratio = variance[: self.latent_dim] / max(variance.sum(), np.finfo(float).tiny)
        self.explained_variance_ratio_ = ratio.astype(np.float32)
        self.n_features_in_ = X.shape[1]
        self.fit_seconds_ = time.perf_counter() - start
        self.history_ = []
        return self

    def transform(self, X):
        """Project onto the components: ``(samples, latent_dim)``."""
        check_is_fitted(self)
        return ((np.asarray(X, dtype=np.float32) - self.mean_) @ self.components_.T).astype(
            np.float32
        )

    def inverse_transform(self, Z):
        """Map latent codes back to feature space."""
        check_is_fitted(self)
        return (np.asarray(Z, dtype=np.float32) @ self.components_ + self.mean_).astype(np.float32)

    def _state(self):
        return {
            "components": torch.from_numpy(self.components_),
            "mean": torch.from_numpy(self.mean_),
            "explained_variance_ratio": torch.from_numpy(self.explained_variance_ratio_),
        }

    def _set_state(self, state, n_features):
        self.components_ = state["components"].numpy()
        self.mean_ = state["mean"].numpy()
        self.explained_variance_ratio_ = state["explained_variance_ratio"].numpy()
        self.n_features_in_ = n_features


def principal_axes(X: np.ndarray, rows: int = 65_536) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, principal axes (rows, by decreasing variance) and variances of ``X``.

    From the float64 scatter matrix summed ``rows`` rows at a time: the memory of one such
    block (6 MB for 12 features), where an SVD of the whole centred table holds it three
    times over (400 MB for 1.4M frames of 12 features). The scatter matrix squares the condition
    number, so variances below ~1e-16 of the largest are rounding (returned as >= 0).
    Each axis points the way of its largest loading, as scikit-learn's PCA orients them.
    """
    mean = X.mean(axis=0, dtype=np.float64)
    scatter = np.zeros((X.shape[1], X.shape[1]))
    for start in range(0, len(X), rows):
        block = X[start : start + rows].astype(np.float64) - mean
        scatter += block.T @ block
    values, vectors = np.linalg.eigh(scatter)
    order = np.argsort(values)[::-1]
    axes = vectors[:, order].T
    axes *= np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)])[:, None]
    return mean, axes, np.clip(values[order], 0, None) / (len(X) - 1)
