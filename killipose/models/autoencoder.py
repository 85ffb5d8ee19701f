"""Linear and nonlinear autoencoders in torch, with the scikit-learn interface."""

from __future__ import annotations

import itertools
import time

import numpy as np
import torch
from torch import nn

from killipose.errors import InputError
from killipose.models.base import LatentModel
from killipose.models.fold import FoldModule
from killipose.models.training import batched_mse, resolve_device, train_autoencoder

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
    """Encoder and decoder MLPs around a ``latent_dim`` bottleneck."""

    def __init__(self, n_features: int, latent_dim: int, hidden: list[int], activation: str | None):
        super().__init__()
        self.encoder = mlp([n_features, *hidden, latent_dim], activation)
        self.decoder = mlp([latent_dim, *hidden[::-1], n_features], activation)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class Autoencoder(LatentModel):
    """An autoencoder trained with Adam on the mean squared error.

    Parameters
    ----------
    latent_dim
        Size of the code.
    hidden
        Hidden layer widths of the encoder (the decoder mirrors them); empty for linear.
    activation
        ``"relu"``, ``"silu"``, ``"tanh"``, ``"gelu"``, or ``None`` for a linear model.
    design
        ``"mlp"``: encoder and decoder MLPs, randomly initialised. ``"fold"``: starts at
        PCA's code and folds its heading circle (see :mod:`killipose.models.fold`); for
        poses of freely moving animals, needs ``latent_dim >= 2`` and an activation.
    epochs, batch_size, lr, patience
        Training: passes over the training set, samples per step, peak Adam learning
        rate, epochs without a better validation error before stopping.
    min_steps
        Train at least this many optimiser steps (more epochs on small tables), and do
        not stop early before.
    seed
        Seeds the initial weights and the batch order.
    device
        ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``.
    """

    def __init__(
        self,
        latent_dim: int = 4,
        hidden: tuple[int, ...] = (),
        activation: str | None = None,
        design: str = "mlp",
        epochs: int = 30,
        batch_size: int = 4096,
        lr: float = 1e-3,
        patience: int = 5,
        min_steps: int = 0,
        seed: int = 0,
        device: str = "auto",
    ):
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.activation = activation
        self.design = design
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.min_steps = min_steps
        self.seed = seed
        self.device = device

    def _build(self, n_features: int) -> nn.Module:
        if self.design not in ("mlp", "fold"):
            raise InputError(f"design must be 'mlp' or 'fold', got {self.design!r}")
        if self.activation is not None and self.activation not in ACTIVATIONS:
            raise InputError(
                f"activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}"
            )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            if self.design == "fold":
                if self.activation is None or not self.hidden:
                    raise InputError("the fold design needs hidden layers and an activation")
                return FoldModule(
                    n_features, self.latent_dim, list(self.hidden), ACTIVATIONS[self.activation]
                )
            return AutoencoderModule(
                n_features, self.latent_dim, list(self.hidden), self.activation
            )

    def fit(self, X, X_val=None, progress: bool = False):
        """Train on ``X``; ``X_val`` (default: ``X``) picks the best epoch and stops early."""
        X = self._check_fit_input(X)
        X_val = X if X_val is None else np.ascontiguousarray(X_val, dtype=np.float32)
        device = resolve_device(self.device)
        start = time.perf_counter()
        self.module_ = self._build(X.shape[1])
        if isinstance(self.module_, FoldModule):
            self.circle_cv_ = self.module_.init_from_data(X, self.seed)
        self.module_.to(device)
        self.history_ = train_autoencoder(
            self.module_,
            torch.from_numpy(X).to(device),
            torch.from_numpy(X_val).to(device),
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            patience=self.patience,
            seed=self.seed,
            min_steps=self.min_steps,
            progress=progress,
        )
        self.module_.cpu().eval()
        self.n_features_in_ = X.shape[1]
        self.fit_seconds_ = time.perf_counter() - start
        return self

    @torch.no_grad()
    def transform(self, X):
        """Encode ``X`` to ``(samples, latent_dim)``."""
        self.module_.eval()
        return self.module_.encode(torch.from_numpy(np.array(X, dtype=np.float32))).numpy()

    @torch.no_grad()
    def inverse_transform(self, Z):
        """Decode latent codes to feature space."""
        self.module_.eval()
        return self.module_.decode(torch.from_numpy(np.array(Z, dtype=np.float32))).numpy()

    def score(self, X, y=None) -> float:
        self.module_.eval()
        return batched_mse(self.module_, torch.from_numpy(np.array(X, dtype=np.float32)))

    def _state(self):
        return {k: v.detach().cpu() for k, v in self.module_.state_dict().items()}

    def _set_state(self, state, n_features):
        self.module_ = self._build(n_features)
        self.module_.load_state_dict(state)
        self.module_.eval()
        self.n_features_in_ = n_features


class LinearAutoencoder(Autoencoder):
    """A linear autoencoder: one linear encoder layer, one linear decoder layer.

    Its best solution spans the same subspace as PCA, so its error should match PCA's.
    Gradient descent gets there slowly, per step rather than per epoch: hence the default
    of at least 10,000 steps.
    """

    def __init__(
        self,
        latent_dim=4,
        epochs=30,
        batch_size=4096,
        lr=3e-2,
        patience=5,
        min_steps=10_000,
        seed=0,
        device="auto",
    ):
        super().__init__(
            latent_dim=latent_dim,
            hidden=(),
            activation=None,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            patience=patience,
            min_steps=min_steps,
            seed=seed,
            device=device,
        )


class NonlinearAutoencoder(Autoencoder):
    """A nonlinear autoencoder; by default the fold design (:mod:`killipose.models.fold`).

    ``design="mlp"`` gives the textbook model: MLP encoder and decoder with ``activation``
    between layers. On poses in arena coordinates that model settles at PCA's error; the
    fold starts at PCA's code and bends it (see the module docs for why and how).
    """

    def __init__(
        self,
        latent_dim=4,
        hidden=(128, 128),
        activation="silu",
        design="fold",
        epochs=30,
        batch_size=4096,
        lr=1e-3,
        patience=5,
        min_steps=0,
        seed=0,
        device="auto",
    ):
        super().__init__(
            latent_dim=latent_dim,
            hidden=hidden,
            activation=activation,
            design=design,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            patience=patience,
            min_steps=min_steps,
            seed=seed,
            device=device,
        )
