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

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """The training objective: reconstruction error."""
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

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Reconstruction error plus ``class_weight`` times the cross-entropy of the digit."""
        z = self.encoder(x)
        loss = self.reconstruction_loss(self.decoder(z), x)
        if y is not None:
            loss = loss + self.class_weight * nn.functional.cross_entropy(self.classifier(z), y)
        return loss


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
    output
        ``None`` (linear output) or ``"sigmoid"`` (reconstructions in [0, 1], for images).
    loss
        ``"mse"`` (mean squared error) or ``"bce"`` (binary cross-entropy; with a sigmoid
        output).
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
        output: str | None = None,
        loss: str = "mse",
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
        self.output = output
        self.loss = loss
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
        if self.output not in (None, "sigmoid") or self.loss not in ("mse", "bce"):
            raise InputError(
                f"output must be None or 'sigmoid' and loss 'mse' or 'bce', "
                f"got {self.output!r} and {self.loss!r}"
            )
        if self.loss == "bce" and self.output != "sigmoid":
            raise InputError("loss 'bce' needs output 'sigmoid' (reconstructions in [0, 1])")
        if self.activation is not None and self.activation not in ACTIVATIONS:
            raise InputError(
                f"activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}"
            )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            if self.design == "fold":
                if self.activation is None or not self.hidden:
                    raise InputError("the fold design needs hidden layers and an activation")
                if self.output is not None or self.loss != "mse":
                    raise InputError("the fold design has a linear output and the MSE loss")
                return FoldModule(
                    n_features, self.latent_dim, list(self.hidden), ACTIVATIONS[self.activation]
                )
            return self._module_class()(
                n_features,
                self.latent_dim,
                list(self.hidden),
                self.activation,
                output=self.output,
                loss=self.loss,
                **self._module_extra(),
            )

    def _module_class(self) -> type[AutoencoderModule]:
        return AutoencoderModule

    def _module_extra(self) -> dict:
        return {}

    def fit(self, X, X_val=None, progress: bool = False, *, y=None, y_val=None, checkpoint=None):
        """Train on ``X``; ``X_val`` (default: ``X``) picks the best epoch and stops early.

        Parameters
        ----------
        X, X_val
            float32 ``(samples, features)``.
        progress
            Show a progress bar of the epochs.
        y, y_val
            Class labels, used only by supervised models.
        checkpoint
            Path of a file that lets an interrupted fit resume (``None``: no file). The
            training state is saved there between epochs; a later ``fit`` with the same
            parameters, seed and data resumes from it and gives the same model, bit for
            bit, as an uninterrupted fit on the same device and thread count. A file from
            another fit is ignored (logged) and overwritten; the file is removed when
            training ends. See :func:`killipose.models.training.train_autoencoder`.

        Returns
        -------
        self
        """
        X = self._check_fit_input(X)
        X_val = X if X_val is None else np.ascontiguousarray(X_val, dtype=np.float32)
        if y is not None and y_val is None:
            y_val = y if X_val is X else None
        labels = self._labels(y, len(X)), self._labels(y_val, len(X_val))
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
            y_train=None if labels[0] is None else labels[0].to(device),
            y_val=None if labels[1] is None else labels[1].to(device),
            progress=progress,
            checkpoint=checkpoint,
            fingerprint={"class": type(self).__name__}
            | {k: v for k, v in self.get_params().items() if k != "device"},
        )
        self.module_.cpu().eval()
        self.n_features_in_ = X.shape[1]
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def _labels(self, y, n: int) -> torch.Tensor | None:
        return None

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
        output=None,
        loss="mse",
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
            output=output,
            loss=loss,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            patience=patience,
            min_steps=min_steps,
            seed=seed,
            device=device,
        )


class SupervisedAutoencoder(Autoencoder):
    """An autoencoder that also classifies from its code: reconstruction + cross-entropy.

    A linear classifier reads the latent code; the loss is the reconstruction error plus
    ``class_weight`` times the cross-entropy of the label. With ``hidden=()`` and no
    activation it is the linear supervised autoencoder of the seed; with hidden layers,
    the nonlinear one. ``fit`` needs ``y`` (and ``y_val``), integer labels 0..n_classes-1.
    """

    def __init__(
        self,
        latent_dim=10,
        hidden=(256, 128),
        activation="relu",
        output=None,
        loss="mse",
        n_classes=10,
        class_weight=0.1,
        epochs=30,
        batch_size=256,
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
            output=output,
            loss=loss,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            patience=patience,
            min_steps=min_steps,
            seed=seed,
            device=device,
        )
        self.n_classes = n_classes
        self.class_weight = class_weight

    def _module_class(self):
        return SupervisedModule

    def _module_extra(self):
        return {"n_classes": self.n_classes, "class_weight": self.class_weight}

    def _labels(self, y, n):
        if y is None:
            raise InputError(
                "a supervised autoencoder needs labels: fit(X, X_val, y=..., y_val=...)"
            )
        y = np.asarray(y)
        if y.shape != (n,) or y.min() < 0 or y.max() >= self.n_classes:
            raise InputError(f"labels must be {n} integers in 0..{self.n_classes - 1}")
        return torch.from_numpy(y.astype(np.int64))

    @torch.no_grad()
    def predict(self, X) -> np.ndarray:
        """The predicted class of each sample."""
        self.module_.eval()
        z = self.module_.encode(torch.from_numpy(np.array(X, dtype=np.float32)))
        return self.module_.classifier(z).argmax(dim=1).numpy()

    def accuracy(self, X, y) -> float:
        """Fraction of samples whose class is predicted right."""
        return float(np.mean(self.predict(X) == np.asarray(y)))
