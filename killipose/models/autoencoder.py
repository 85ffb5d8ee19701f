"""Autoencoders in torch, with the scikit-learn interface.

One class, :class:`Autoencoder`, is the linear, the nonlinear and the supervised model of
the registry (``killipose.models.MODELS``): each is a preset of its parameters. Other
kinds (variational, denoising, sparse) subclass it and change the torch module it trains.
"""

from __future__ import annotations

import copy
import time
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import torch
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted
from torch import nn

from killipose.errors import InputError
from killipose.models.base import LatentModel, at_least, positive
from killipose.models.fold import FoldModule
from killipose.models.modules import ACTIVATIONS, AutoencoderModule, SupervisedModule
from killipose.models.training import (
    batched_mse,
    resolve_device,
    train_autoencoder,
)

#: Rows encoded or decoded at once (memory: the hidden layers of this many rows).
BATCH_ROWS = 16384


class Autoencoder(LatentModel):
    """An autoencoder trained with Adam on the reconstruction error.

    The registry's ``linear``, ``nonlinear``, ``supervised-linear`` and
    ``supervised-nonlinear`` models are presets of this class; by itself it is a linear
    autoencoder.

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
        PCA's solution, keeps it unless training beats it, and folds its heading circle
        (see :mod:`killipose.models.fold`); for poses of freely moving animals, needs
        ``latent_dim >= 2`` and an activation.
    output
        ``None`` (linear output) or ``"sigmoid"`` (reconstructions in [0, 1], for images).
    loss
        ``"mse"`` (mean squared error) or ``"bce"`` (binary cross-entropy; with a sigmoid
        output).
    n_classes
        ``None``: unsupervised. A number of classes: a linear classifier also reads the
        code, and the loss adds ``class_weight`` times its cross-entropy; ``fit`` then
        needs labels ``y`` (and ``y_val``), integers ``0..n_classes-1``.
    class_weight
        Weight of the classification loss (supervised only).
    epochs, batch_size, lr, patience
        Training: passes over the training set, samples per step, peak Adam learning
        rate, epochs without a better validation error before stopping.
    min_steps
        Train at least this many optimiser steps (more epochs on small tables), and do
        not stop early before.
    epoch_samples
        Rows per epoch, drawn afresh at random each epoch; ``None`` (default): every row.
        On a long recording, whose neighbouring frames nearly repeat, a fraction per
        epoch checks the validation error (and keeps the best weights) more often for
        the same work.
    seed
        Seeds the initial weights and the batch order.
    device
        ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``.
    """

    _parameter_constraints: ClassVar[dict] = {
        "latent_dim": [at_least(Integral, 1)],
        "hidden": [tuple, list],
        "activation": [StrOptions(set(ACTIVATIONS)), None],
        "design": [StrOptions({"mlp", "fold"})],
        "output": [StrOptions({"sigmoid"}), None],
        "loss": [StrOptions({"mse", "bce"})],
        "n_classes": [at_least(Integral, 2), None],
        "class_weight": [at_least(Real, 0)],
        "epochs": [at_least(Integral, 1)],
        "batch_size": [at_least(Integral, 1)],
        "lr": [positive(Real)],
        "patience": [at_least(Integral, 1)],
        "min_steps": [at_least(Integral, 0)],
        "epoch_samples": [at_least(Integral, 1), None],
        "seed": [at_least(Integral, 0)],
        "device": [StrOptions({"auto", "cpu", "cuda"})],
    }

    def __init__(
        self,
        latent_dim: int = 4,
        hidden: tuple[int, ...] = (),
        activation: str | None = None,
        design: str = "mlp",
        output: str | None = None,
        loss: str = "mse",
        n_classes: int | None = None,
        class_weight: float = 0.1,
        epochs: int = 30,
        batch_size: int = 4096,
        lr: float = 1e-3,
        patience: int = 5,
        min_steps: int = 0,
        epoch_samples: int | None = None,
        seed: int = 0,
        device: str = "auto",
    ):
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.activation = activation
        self.design = design
        self.output = output
        self.loss = loss
        self.n_classes = n_classes
        self.class_weight = class_weight
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.min_steps = min_steps
        self.epoch_samples = epoch_samples
        self.seed = seed
        self.device = device

    def _build(self, n_features: int) -> nn.Module:
        """The torch module, its initial weights drawn from ``seed``."""
        if self.loss == "bce" and self.output != "sigmoid":
            raise InputError("loss 'bce' needs output 'sigmoid' (reconstructions in [0, 1])")
        if any(not isinstance(h, Integral) or h < 1 for h in self.hidden):
            raise InputError(f"hidden must be positive layer widths, got {self.hidden!r}")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            return self._module(n_features)

    def _module(self, n_features: int) -> nn.Module:
        """Build the untrained torch module; subclasses wrap or replace it."""
        if self.design == "fold":
            if self.activation is None or not self.hidden:
                raise InputError("the fold design needs hidden layers and an activation")
            if self.output is not None or self.loss != "mse" or self.n_classes is not None:
                raise InputError(
                    "the fold design has a linear output, the MSE loss and no classifier"
                )
            return FoldModule(
                n_features, self.latent_dim, list(self.hidden), ACTIVATIONS[self.activation]
            )
        common = (n_features, self.latent_dim, list(self.hidden), self.activation)
        if self.n_classes is not None:
            return SupervisedModule(
                *common, self.output, self.loss, self.n_classes, self.class_weight
            )
        return AutoencoderModule(*common, output=self.output, loss=self.loss)

    def fit(
        self,
        X,
        y=None,
        *,
        X_val=None,
        y_val=None,
        progress: bool = False,
        checkpoint=None,
    ):
        """Train on ``X``; ``X_val`` (default: ``X``) picks the best epoch and stops early.

        Parameters
        ----------
        X, X_val
            float32 ``(samples, features)``.
        y, y_val
            Class labels, used by supervised models (``n_classes`` set) and ignored by
            the others, as scikit-learn's transformers ignore ``y``.
        progress
            Show a progress bar of the epochs.
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

        Notes
        -----
        A module that starts from the data (the fold design starts at PCA's solution) has
        its starting state scored on ``X_val`` too, and keeps it unless training beats it
        by more than the validation block's noise (:func:`clearly_better`; ``kept_start_``,
        ``None`` for a model started from random weights): such a model never ends worse on
        validation than PCA, and leaves PCA only for a gain that is not chance.
        """
        X = self._check_fit_input(X, y)
        X_val = X if X_val is None else np.ascontiguousarray(X_val, dtype=np.float32)
        labels = self._labels(y, y_val, X, X_val)
        device = resolve_device(self.device)
        start = time.perf_counter()
        self.module_ = self._build(X.shape[1])
        # A wrapped module (denoising, sparse) starts where the module it wraps does.
        inner = getattr(self.module_, "inner", self.module_)
        starts_from_data = hasattr(inner, "init_from_data")
        if starts_from_data:
            self.circle_cv_ = inner.init_from_data(X, self.seed)
        self.module_.to(device)
        X_t, X_val_t = torch.from_numpy(X).to(device), torch.from_numpy(X_val).to(device)
        y_t, y_val_t = (None if t is None else t.to(device) for t in labels)
        if starts_from_data:
            start_state = copy.deepcopy(self.module_.state_dict())
            start_errors = frame_errors(inner, X_val_t)
            inner.start_training()
        self.history_ = train_autoencoder(
            self.module_,
            X_t,
            X_val_t,
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            patience=self.patience,
            seed=self.seed,
            min_steps=self.min_steps,
            epoch_samples=self.epoch_samples,
            y_train=y_t,
            y_val=y_val_t,
            progress=progress,
            checkpoint=checkpoint,
            fingerprint={"class": type(self).__name__}
            | {k: v for k, v in self.get_params().items() if k != "device"},
        )
        # None: the model started from random weights, there was no start to keep.
        self.kept_start_ = False if starts_from_data else None
        if starts_from_data and not clearly_better(frame_errors(inner, X_val_t), start_errors):
            self.module_.load_state_dict(start_state)
            self.kept_start_ = True
        self.module_.cpu().eval()
        self.n_features_in_ = X.shape[1]
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def _labels(self, y, y_val, X, X_val) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """Training and validation labels as tensors; ``None`` for an unsupervised model."""
        if self.n_classes is None:
            return None, None
        if y_val is None and X_val is X:
            y_val = y
        if y is None or y_val is None:
            raise InputError(
                "a supervised autoencoder needs labels: fit(X, y, X_val=..., y_val=...)"
            )
        tensors = []
        for labels, n in ((y, len(X)), (y_val, len(X_val))):
            labels = np.asarray(labels)
            if labels.shape != (n,) or labels.min() < 0 or labels.max() >= self.n_classes:
                raise InputError(f"labels must be {n} integers in 0..{self.n_classes - 1}")
            tensors.append(torch.from_numpy(labels.astype(np.int64)))
        return tensors[0], tensors[1]

    def transform(self, X):
        """Encode ``X`` to ``(samples, latent_dim)``."""
        check_is_fitted(self)
        return self._in_batches(self.module_.encode, X)

    def inverse_transform(self, Z):
        """Decode latent codes to feature space."""
        check_is_fitted(self)
        return self._in_batches(self.module_.decode, Z)

    @torch.no_grad()
    def _in_batches(self, function, X) -> np.ndarray:
        """``function`` of ``X``'s rows, ``BATCH_ROWS`` at a time: the hidden layers of a batch
        (~0.5 MB a row-thousand each), not of every frame at once (2.9 GB at 1.7M)."""
        self.module_.eval()
        X = np.ascontiguousarray(X, dtype=np.float32)  # read, never written
        X = torch.from_numpy(X if X.flags.writeable else X.copy())
        return torch.cat([function(batch) for batch in X.split(BATCH_ROWS)]).numpy()

    def score(self, X, y=None) -> float:
        check_is_fitted(self)
        self.module_.eval()
        return batched_mse(self.module_, torch.from_numpy(np.array(X, dtype=np.float32)))

    @torch.no_grad()
    def predict(self, X) -> np.ndarray:
        """The predicted class of each sample (supervised models)."""
        check_is_fitted(self)
        if self.n_classes is None:
            raise InputError("predict needs a supervised autoencoder (n_classes set)")

        def classify(x: torch.Tensor) -> torch.Tensor:
            return self.module_.classifier(self.module_.encode(x)).argmax(dim=1)

        return self._in_batches(classify, X)

    def accuracy(self, X, y) -> float:
        """Fraction of samples whose class is predicted right (supervised models)."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def _state(self):
        return {k: v.detach().cpu() for k, v in self.module_.state_dict().items()}

    def _set_state(self, state, n_features):
        self.module_ = self._build(n_features)
        self.module_.load_state_dict(state)
        self.module_.eval()
        self.n_features_in_ = n_features


#: Contiguous blocks of validation frames compared by :func:`clearly_better`.
COMPARE_BLOCKS = 10


@torch.no_grad()
def frame_errors(module: torch.nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Each row's mean squared reconstruction error (no noise, no penalty), in batches."""
    module.eval()
    return torch.cat(
        [((module.decode(module.encode(x)) - x) ** 2).mean(dim=1) for x in X.split(65536)]
    )


def clearly_better(errors: torch.Tensor, baseline: torch.Tensor) -> bool:
    """Whether ``errors`` (per validation frame) are lower than ``baseline``'s by more than
    chance: the validation block is cut into :data:`COMPARE_BLOCKS` contiguous blocks
    (neighbouring frames are alike, blocks far less so), and the mean of the blocks'
    paired differences must lie more than two standard errors below zero.

    Any decrease used to count: on short recordings (44 validation frames) the fold left
    PCA's start for a chance gain on validation and then lost to PCA on the test block
    (up to 2.9x its error).
    """
    change = torch.stack(
        [d.mean() for d in (errors - baseline).double().tensor_split(COMPARE_BLOCKS)]
    )
    change = change[~change.isnan()]  # fewer frames than blocks: empty blocks
    if len(change) < 2:
        return False
    return bool(change.mean() + 2 * change.std() / len(change) ** 0.5 < 0)
