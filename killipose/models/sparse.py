"""The sparse autoencoder: an L1 penalty pushes most of each frame's code to zero.

The loss is the reconstruction error plus ``l1`` times the mean absolute value of the
code, so each frame is described by few active code dimensions; scores are the
reconstruction error alone, as for every model.
"""

from __future__ import annotations

from numbers import Real

import torch

from killipose.errors import InputError
from killipose.models.autoencoder import Autoencoder
from killipose.models.base import at_least
from killipose.models.modules import WrappedModule, reconstruction_loss


class SparseModule(WrappedModule):
    """Wraps an autoencoder module: the same code and weights, an L1 penalty on the code."""

    def __init__(self, inner: torch.nn.Module, l1: float):
        super().__init__(inner)
        self.l1 = l1

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None, generator=None) -> torch.Tensor:
        """Reconstruction error plus ``l1`` times the mean absolute code value."""
        z = self.inner.encode(x)
        return reconstruction_loss(self.inner, self.inner.decode(z), x) + self.l1 * z.abs().mean()


class SparseAutoencoder(Autoencoder):
    """An autoencoder with an L1 penalty of weight ``l1`` on its code (see the module docs).

    Takes the parameters of :class:`~killipose.models.Autoencoder`, and ``l1``.
    """

    _parameter_constraints = Autoencoder._parameter_constraints | {"l1": [at_least(Real, 0)]}

    def __init__(self, l1: float = 1e-3, **params):
        super().__init__(**params)
        self.l1 = l1

    def _module(self, n_features):
        if self.n_classes is not None:
            raise InputError("a sparse autoencoder has no classifier")
        return SparseModule(super()._module(n_features), self.l1)
