"""Models that compress frames to a low-dimensional code and back.

All share scikit-learn's interface (``fit``, ``transform``, ``inverse_transform``,
``score``, ``get_params``); :func:`make` builds one by name, :func:`load` reads a saved one.
"""

from __future__ import annotations

from killipose.errors import InputError
from killipose.models.autoencoder import (
    Autoencoder,
    LinearAutoencoder,
    NonlinearAutoencoder,
    SupervisedAutoencoder,
)
from killipose.models.base import LatentModel, load
from killipose.models.pca import PCAModel

#: Model names used in config files and output paths.
#: Each name is a class and the defaults it gets under that name.
MODELS = {
    "pca": (PCAModel, {}),
    "linear": (LinearAutoencoder, {}),
    "nonlinear": (NonlinearAutoencoder, {}),
    "supervised-linear": (SupervisedAutoencoder, {"hidden": (), "activation": None}),
    "supervised-nonlinear": (SupervisedAutoencoder, {}),
}
CLASSES = {
    cls.__name__: cls
    for cls in (
        PCAModel,
        Autoencoder,
        LinearAutoencoder,
        NonlinearAutoencoder,
        SupervisedAutoencoder,
    )
}


def make(name: str, latent_dim: int = 4, seed: int = 0, **params) -> LatentModel:
    """Build an unfitted model by name.

    ``"pca"``, ``"linear"``, ``"nonlinear"``, or (with labels) ``"supervised-linear"`` and
    ``"supervised-nonlinear"``.

    Extra keyword arguments go to the model's ``__init__`` (for autoencoders: ``epochs``,
    ``batch_size``, ``lr``, ``patience``, ``device``, and ``hidden``/``activation`` for the
    nonlinear one). Keys the model does not take are ignored, so one training config
    serves every model.
    """
    if name not in MODELS:
        raise InputError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    cls, defaults = MODELS[name]
    accepted = cls._get_param_names()
    given = {k: v for k, v in params.items() if k in accepted}
    return cls(latent_dim=latent_dim, seed=seed, **(defaults | given))


__all__ = [
    "MODELS",
    "Autoencoder",
    "LatentModel",
    "LinearAutoencoder",
    "NonlinearAutoencoder",
    "PCAModel",
    "SupervisedAutoencoder",
    "load",
    "make",
]
