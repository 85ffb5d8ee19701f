"""What every killipose model shares: the scikit-learn verbs, scoring and saving."""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin

from killipose.errors import InputError
from killipose.io import atomic_path

FORMAT = "killipose-model/1"


class LatentModel(TransformerMixin, BaseEstimator):
    """Base class: ``fit`` learns a ``latent_dim``-D code, ``inverse_transform`` decodes it.

    Subclasses set hyper-parameters in ``__init__`` (stored unchanged) and learned state in
    attributes with a trailing underscore. Arrays are float32 ``(samples, features)``.
    """

    latent_dim: int

    def score(self, X: np.ndarray, y=None) -> float:
        """Mean squared reconstruction error per element, in the units of ``X``.

        Lower is better (unlike scikit-learn's convention for ``score``); use
        ``scoring="neg_mean_squared_error"``-style wrappers in grid searches.
        """
        X = np.asarray(X, dtype=np.float32)
        return float(np.mean((self.inverse_transform(self.transform(X)) - X) ** 2))

    def _check_fit_input(self, X: np.ndarray) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.ndim != 2:
            raise InputError(f"expected a 2-D array (samples, features), got shape {X.shape}")
        if not np.isfinite(X).all():
            raise InputError("the training data has NaN or infinite values; clean the table first")
        if not 1 <= self.latent_dim < X.shape[1]:
            raise InputError(
                f"latent_dim must be between 1 and the number of features - 1 "
                f"({X.shape[1] - 1}), got {self.latent_dim}"
            )
        if len(X) <= self.latent_dim:
            raise InputError(f"too few samples to fit: {len(X)} for latent_dim {self.latent_dim}")
        return X

    # Persistence: a plain dict of tensors and Python scalars, loadable with weights_only=True.
    def _state(self) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def _set_state(self, state: dict[str, torch.Tensor], n_features: int) -> None:
        raise NotImplementedError

    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted model to ``path`` (a torch file without pickled code)."""
        blob = {
            "format": FORMAT,
            "class": type(self).__name__,
            "params": self.get_params(),
            "n_features_in": int(self.n_features_in_),
            "state": self._state(),
            "extra": getattr(self, "extra_", {}),
        }
        with atomic_path(path) as tmp:
            torch.save(blob, tmp)


def load(path: str | os.PathLike) -> LatentModel:
    """Load a model written by :meth:`LatentModel.save`.

    Uses ``torch.load(weights_only=True)``: no code in the file is ever run.

    Raises
    ------
    InputError
        The file is missing or is not a killipose model.
    """
    from killipose.models import CLASSES

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such model file")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, OSError) as err:
        raise InputError(
            f"{path}: not a killipose model ({str(err).splitlines()[0][:120]})"
        ) from None
    if (
        not isinstance(blob, dict)
        or blob.get("format") != FORMAT
        or blob.get("class") not in CLASSES
    ):
        raise InputError(f"{path}: not a killipose model file")
    model = CLASSES[blob["class"]](**blob["params"])
    model._set_state(blob["state"], blob["n_features_in"])
    model.extra_ = blob.get("extra", {})
    return model
