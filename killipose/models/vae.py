"""The variational autoencoder: a Gaussian code that a decoder can sample from.

The encoder gives each frame a mean and a log-variance; training decodes a sample
``z = mean + exp(log_var / 2) * noise`` (the reparameterisation trick) and minimises

    reconstruction error + beta * KL(q(z | x) || N(0, I)) / n_features,

the negative evidence lower bound (ELBO) per feature: the reconstruction term is the
mean squared error per element (as for the other models, so learning rates carry over),
and the KL divergence of a frame's code from the standard normal prior is summed over the
code and spread over the features. ``beta = 1`` is the ELBO of a Gaussian decoder with
variance 1/2 in normalised units; larger ``beta`` pulls codes toward the prior (smoother,
more disentangled), ``beta = 0`` leaves a plain autoencoder trained on noisy codes.
``transform`` gives the mean, and :meth:`VariationalAutoencoder.sample` decodes draws from
the prior: the model generates.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from killipose.errors import InputError
from killipose.models.autoencoder import Autoencoder
from killipose.models.base import at_least
from killipose.models.modules import AutoencoderModule, mlp


class VAEModule(AutoencoderModule):
    """MLP encoder to (mean, log-variance), MLP decoder; ``loss`` is the negative ELBO."""

    def __init__(self, n_features, latent_dim, hidden, activation, output, loss, beta):
        super().__init__(n_features, latent_dim, hidden, activation, output, loss)
        self.encoder = mlp([n_features, *hidden, 2 * latent_dim], activation)
        self.beta = beta

    def moments(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The mean and log-variance of the code of each sample."""
        mean, log_var = self.encoder(x).chunk(2, dim=1)
        return mean, log_var

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.moments(x)[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encode(x))

    @staticmethod
    def kl(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
        """KL(N(mean, exp(log_var)) || N(0, I)) per sample, summed over the code (>= 0)."""
        return 0.5 * torch.sum(mean**2 + log_var.exp() - 1 - log_var, dim=1)

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None, generator=None) -> torch.Tensor:
        """Negative ELBO per feature; in training the code is sampled, else its mean."""
        mean, log_var = self.moments(x)
        z = mean
        if self.training:
            noise = torch.randn(mean.shape, generator=generator).to(mean.device)
            z = mean + (0.5 * log_var).exp() * noise
        reconstruction = self.reconstruction_loss(self.decoder(z), x)
        return reconstruction + self.beta * self.kl(mean, log_var).mean() / x.shape[1]


class VariationalAutoencoder(Autoencoder):
    """A variational autoencoder (see the module docs); ``beta`` weighs the KL term.

    Takes the parameters of :class:`~killipose.models.Autoencoder` (an MLP design only)
    and ``beta``.
    """

    _parameter_constraints = Autoencoder._parameter_constraints | {"beta": [at_least(Real, 0)]}

    def __init__(self, beta: float = 1.0, **params):
        super().__init__(**params)
        self.beta = beta

    def _module(self, n_features):
        if self.design != "mlp" or self.n_classes is not None:
            raise InputError("a variational autoencoder has the mlp design and no classifier")
        return VAEModule(
            n_features,
            self.latent_dim,
            list(self.hidden),
            self.activation,
            self.output,
            self.loss,
            self.beta,
        )

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """Decode ``n`` codes drawn from the prior N(0, I): ``(n, features)``."""
        return self.inverse_transform(self.sample_codes(n, seed))

    def sample_codes(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` codes drawn from the prior N(0, I), float32 ``(n, latent_dim)``."""
        check_is_fitted(self)
        return np.random.default_rng(seed).standard_normal((n, self.latent_dim), np.float32)
