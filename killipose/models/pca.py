"""PCA as a latent model: the best linear autoencoder, in closed form."""

from __future__ import annotations

import time
from numbers import Integral
from typing import ClassVar

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.utils.validation import check_is_fitted

from killipose.models.base import LatentModel, at_least


class PCAModel(LatentModel):
    """Principal component analysis with the killipose model interface.

    Parameters
    ----------
    latent_dim
        Number of components kept.
    seed
        Random seed (used only by randomised solvers; the full SVD is exact).
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
        pca = PCA(n_components=self.latent_dim, svd_solver="full", random_state=self.seed)
        pca.fit(X.astype(np.float64))
        self.components_ = pca.components_.astype(np.float32)
        self.mean_ = pca.mean_.astype(np.float32)
        self.explained_variance_ratio_ = pca.explained_variance_ratio_.astype(np.float32)
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
