"""The torch networks the autoencoders train: layers, losses, and wrappers that change
what a network is trained to do (denoise, be sparse) without changing the network."""

from __future__ import annotations

import itertools

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "silu": nn.SiLU, "tanh": nn.Tanh, "gelu": nn.GELU}


def mlp(sizes: list[int], activation: str | None) -> nn.Sequential:
    """Linear layers of the given sizes; ``activation`` between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if activation is not None and i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class AutoencoderModule(nn.Module):
    """Encoder and decoder MLPs around a ``latent_dim`` bottleneck.

    ``output="sigmoid"`` squashes the reconstruction into [0, 1] (images); ``loss`` is
    ``"mse"`` or ``"bce"`` (binary cross-entropy, for outputs in [0, 1]).
    """

    def __init__(
        self,
        n_features: int,
        latent_dim: int,
        hidden: list[int],
        activation: str | None,
        output: str | None = None,
        loss: str = "mse",
    ):
        super().__init__()
        self.encoder = mlp([n_features, *hidden, latent_dim], activation)
        self.decoder = mlp([latent_dim, *hidden[::-1], n_features], activation)
        if output == "sigmoid":
            self.decoder.append(nn.Sigmoid())
        self.loss_kind = loss

    @property
    def loss_is_mse(self) -> bool:
        """Whether :meth:`loss` is the plain MSE (then validation needs one pass, not two)."""
        return self.loss_kind == "mse" and type(self).loss is AutoencoderModule.loss

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))

    def reconstruction_loss(self, x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if self.loss_kind == "bce":
            return nn.functional.binary_cross_entropy(x_hat.clamp(1e-6, 1 - 1e-6), x)
        return nn.functional.mse_loss(x_hat, x)

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None, generator=None) -> torch.Tensor:
        """The training objective: reconstruction error (``generator``: for noisy models)."""
        return self.reconstruction_loss(self(x), x)


class SupervisedModule(AutoencoderModule):
    """An autoencoder whose code also feeds a linear classifier (reconstruct and classify)."""

    def __init__(
        self,
        n_features,
        latent_dim,
        hidden,
        activation,
        output=None,
        loss="mse",
        n_classes: int = 10,
        class_weight: float = 0.1,
    ):
        super().__init__(n_features, latent_dim, hidden, activation, output, loss)
        self.classifier = nn.Linear(latent_dim, n_classes)
        self.class_weight = class_weight

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None, generator=None) -> torch.Tensor:
        """Reconstruction error plus ``class_weight`` times the cross-entropy of the digit."""
        z = self.encoder(x)
        loss = self.reconstruction_loss(self.decoder(z), x)
        if y is not None:
            loss = loss + self.class_weight * nn.functional.cross_entropy(self.classifier(z), y)
        return loss


def reconstruction_loss(module: nn.Module, x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``module``'s reconstruction error (MSE, or BCE for an autoencoder built with it)."""
    if hasattr(module, "reconstruction_loss"):
        return module.reconstruction_loss(x_hat, x)
    return nn.functional.mse_loss(x_hat, x)


class WrappedModule(nn.Module):
    """An autoencoder module with the same code and weights and another training loss.

    Subclasses (denoising, sparse) define ``loss``; the model starts where ``inner`` does.
    """

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner.encode(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.inner.decode(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x)
