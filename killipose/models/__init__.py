"""Models that compress frames to a low-dimensional code and back.

All share scikit-learn's interface (``fit``, ``transform``, ``inverse_transform``,
``score``, ``get_params``); :func:`make` builds one by name, :func:`load` reads a saved one.

:data:`MODELS` is the one table of models: each name's class and defaults, how figures
label and colour it, and whether it needs labels. The config schema, the workflow's
wildcards, the command line, the figures and the report all take their lists from it.
Adding a model is a module with its class (see :mod:`killipose.models.vae`), one line
here, and its tests.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from killipose.errors import InputError


@dataclass(frozen=True)
class ModelSpec:
    """One entry of :data:`MODELS`.

    Attributes
    ----------
    path
        ``module:Class`` of the model class, imported when first used: reading the
        registry (the workflow, the command line) does not import torch.
    label, colour
        How figures and tables name and draw it.
    defaults
        Parameters this name gives the class (a preset), before the user's.
    needs_labels
        Fitted on labelled data only (MNIST's digits); listed under ``supervised:``.
    legacy
        Class names of model files from earlier versions that load as this preset.
    assumes
        What the model takes to be true of the data, for the report's captions.
    """

    path: str
    label: str
    colour: str
    defaults: dict = field(default_factory=dict)
    needs_labels: bool = False
    legacy: tuple[str, ...] = ()
    assumes: str = ""

    @property
    def cls(self) -> type:
        module, name = self.path.split(":")
        return getattr(importlib.import_module(module), name)

    @property
    def class_name(self) -> str:
        return self.path.split(":")[1]


_AE = "killipose.models.autoencoder:Autoencoder"
_NONLINEAR = {"hidden": (128, 128), "activation": "silu"}
_SUPERVISED = {"n_classes": 10, "batch_size": 256}

_FOLD = (
    "a code that bends: MLP layers on both sides. Its default design for poses (fold) "
    "starts at PCA's code and assumes a body that turns freely (a circle of heading in "
    "PCA's code) whose bend sets that circle's radius, which is how the synthetic fish is "
    "made; it keeps PCA's code unless training beats it on the validation block by more "
    "than chance. "
    "Digits use the plain MLP design"
)

#: Every model, in the order figures and tables show them.
MODELS: dict[str, ModelSpec] = {
    "pca": ModelSpec(
        "killipose.models.pca:PCAModel",
        "PCA",
        "#1f77b4",
        assumes="a linear code: the directions of largest variance in the training block "
        "carry the pose; exact, no training",
    ),
    "linear": ModelSpec(
        _AE,
        "linear AE",
        "#ff7f0e",
        {"lr": 3e-2, "min_steps": 10_000},
        legacy=("LinearAutoencoder",),
        assumes="the same linear code as PCA, found by gradient descent from random "
        "weights: at best it matches PCA, it cannot beat it",
    ),
    "nonlinear": ModelSpec(
        _AE,
        "nonlinear AE",
        "#2ca02c",
        _NONLINEAR | {"design": "fold"},
        legacy=("NonlinearAutoencoder",),
        assumes=_FOLD,
    ),
    "vae": ModelSpec(
        "killipose.models.vae:VariationalAutoencoder",
        "VAE",
        "#8c564b",
        _NONLINEAR,
        assumes="codes drawn from a standard normal prior: a smooth code one can sample "
        "poses from, paid for with some reconstruction error (the KL term)",
    ),
    "denoising": ModelSpec(
        "killipose.models.denoising:DenoisingAutoencoder",
        "denoising AE",
        "#e377c2",
        _NONLINEAR,
        assumes="the pose is what survives noise: trained to rebuild clean inputs from "
        "corrupted ones",
    ),
    "sparse": ModelSpec(
        "killipose.models.sparse:SparseAutoencoder",
        "sparse AE",
        "#7f7f7f",
        _NONLINEAR,
        assumes="few code units are active at once (an L1 penalty on the code)",
    ),
    "supervised-linear": ModelSpec(
        _AE,
        "supervised linear AE",
        "#d62728",
        _SUPERVISED,
        needs_labels=True,
        assumes="a linear code that must also tell the class (a classifier on the code)",
    ),
    "supervised-nonlinear": ModelSpec(
        _AE,
        "supervised nonlinear AE",
        "#9467bd",
        _SUPERVISED | {"hidden": (256, 128), "activation": "relu"},
        needs_labels=True,
        legacy=("SupervisedAutoencoder",),
        assumes="a curved code that must also tell the class (a classifier on the code)",
    ),
}

#: How figures, tables and the report name each model (its registry label).
MODEL_LABELS = {name: m.label for name, m in MODELS.items()}

#: Classes and functions of the submodules, imported on first use (they import torch).
_LAZY = {
    "Autoencoder": "killipose.models.autoencoder",
    "DenoisingAutoencoder": "killipose.models.denoising",
    "LatentModel": "killipose.models.base",
    "PCAModel": "killipose.models.pca",
    "SparseAutoencoder": "killipose.models.sparse",
    "VariationalAutoencoder": "killipose.models.vae",
    "load": "killipose.models.base",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def class_of_file(name: str) -> tuple[type, dict] | None:
    """The class a model file's ``class`` names and the defaults it loads with.

    A class that became a preset (``LinearAutoencoder``, ...) loads as that preset's
    class with its defaults. ``None`` for a name no model has.
    """
    for spec in MODELS.values():
        if name == spec.class_name:
            return spec.cls, {}
        if name in spec.legacy:
            return spec.cls, spec.defaults
    return None


def model_rank(name: str) -> int:
    """Where ``name`` stands in :data:`MODELS`, the order figures and tables show models
    in; a name not in it comes last."""
    names = list(MODELS)
    return names.index(name) if name in MODELS else len(names)


def model_names(needs_labels: bool | None = None) -> list[str]:
    """Registered model names: all, or those that do (``True``) or do not need labels."""
    return [n for n, s in MODELS.items() if needs_labels in (None, s.needs_labels)]


def model_params(name: str) -> list[str]:
    """The parameters ``make(name, ...)`` takes (``latent_dim`` and ``seed`` included).

    Read from the source of the class's ``__init__`` (and, through ``**params``, its
    bases'), as :meth:`LatentModel._get_param_names` reads the imported signatures: the
    workflow checks its config at every start, and importing the class would import torch
    and scikit-learn (~7 s of CPU per Snakemake process, each SLURM job included).
    """
    module, cls = MODELS[name].path.split(":")
    return sorted(_init_params(module, cls))


@functools.cache
def _init_params(module: str, cls: str) -> frozenset[str]:
    tree = ast.parse(Path(importlib.util.find_spec(module).origin).read_text())
    node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls)
    init = next(f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "__init__")
    names = {a.arg for a in init.args.args[1:] + init.args.kwonlyargs}
    if init.args.kwarg is None:
        return frozenset(names)
    base = node.bases[0].id  # **params goes on to the first base, imported by name
    where = next(
        f"{n.module}" if n.level == 0 else module.rsplit(".", n.level)[0] + f".{n.module}"
        for n in tree.body
        if isinstance(n, ast.ImportFrom) and base in {a.name for a in n.names}
    )
    return frozenset(names) | _init_params(where, base)


def make(name: str, latent_dim: int = 4, seed: int = 0, **params):
    """Build an unfitted model by name (a key of :data:`MODELS`).

    Keyword arguments set the model's parameters over the name's defaults (for
    autoencoders ``epochs``, ``batch_size``, ``lr``, ``patience``, ``hidden``,
    ``activation``, ...; :func:`model_params` lists them). A parameter the model does not
    take raises :class:`InputError`, as does an unknown name; values are checked by
    ``fit``.
    """
    if name not in MODELS:
        raise InputError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    spec = MODELS[name]
    accepted = model_params(name)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        takes = ", ".join(p for p in accepted if p not in ("latent_dim", "seed"))
        takes = f"it takes: {takes}" if takes else "it takes none but latent_dim and seed"
        raise InputError(f"model {name!r} takes no parameter {unknown[0]!r} ({takes})")
    return spec.cls(latent_dim=latent_dim, seed=seed, **(spec.defaults | params))


__all__ = [
    "MODELS",
    "MODEL_LABELS",
    "Autoencoder",
    "DenoisingAutoencoder",
    "LatentModel",
    "ModelSpec",
    "PCAModel",
    "SparseAutoencoder",
    "VariationalAutoencoder",
    "class_of_file",
    "load",
    "make",
    "model_names",
    "model_params",
]
