"""The denoising autoencoder: trained to rebuild clean frames from corrupted ones.

Each training batch is corrupted afresh — Gaussian noise of standard deviation
``noise_level`` (in the normalised units of the data) added to every value, or, with
``noise="masking"``, a share ``noise_level`` of the values set to zero — and the loss is
the error of the reconstruction against the clean batch. Validation and scores use clean
input, as for every model. The corruption is drawn from the training loop's generator, so
a fit is reproducible and resumes bit for bit.
"""

from __future__ import annotations

from numbers import Real

import torch
from sklearn.utils._param_validation import StrOptions

from killipose.errors import InputError
from killipose.models.autoencoder import Autoencoder
from killipose.models.base import at_least
from killipose.models.modules import WrappedModule, reconstruction_loss


class DenoisingModule(WrappedModule):
    """Wraps an autoencoder module: the same code and weights, a corrupted training input."""

    def __init__(self, inner: torch.nn.Module, noise: str, noise_level: float):
        super().__init__(inner)
        self.noise = noise
        self.noise_level = noise_level

    def corrupt(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        draw = torch.randn if self.noise == "gaussian" else torch.rand
        r = draw(x.shape, generator=generator).to(x.device)
        if self.noise == "gaussian":
            return x + self.noise_level * r
        return x * (r >= self.noise_level)

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None, generator=None) -> torch.Tensor:
        """Reconstruction error of the corrupted input against the clean one (in training)."""
        source = self.corrupt(x, generator) if self.training else x
        return reconstruction_loss(self.inner, self.inner(source), x)


class DenoisingAutoencoder(Autoencoder):
    """An autoencoder trained on corrupted input (see the module docs).

    Takes the parameters of :class:`~killipose.models.Autoencoder`, and ``noise``
    (``"gaussian"`` or ``"masking"``) and ``noise_level`` (the standard deviation, or the
    share of values masked).
    """

    _parameter_constraints = Autoencoder._parameter_constraints | {
        "noise": [StrOptions({"gaussian", "masking"})],
        "noise_level": [at_least(Real, 0)],
    }

    def __init__(self, noise: str = "gaussian", noise_level: float = 0.1, **params):
        super().__init__(**params)
        self.noise = noise
        self.noise_level = noise_level

    def _module(self, n_features):
        if self.n_classes is not None:
            raise InputError("a denoising autoencoder has no classifier")
        if self.noise == "masking" and self.noise_level >= 1:
            raise InputError(
                f"noise_level is the share of values masked: below 1, got {self.noise_level}"
            )
        return DenoisingModule(super()._module(n_features), self.noise, self.noise_level)
