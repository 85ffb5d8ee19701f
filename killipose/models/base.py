"""What every killipose model shares: the scikit-learn verbs, scoring and saving."""

from __future__ import annotations

import inspect
import os
import pickle
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, InvalidParameterError
from sklearn.utils.validation import check_is_fitted

from killipose.errors import InputError
from killipose.files import atomic_path

FORMAT = "killipose-model/1"


def positive(kind) -> Interval:
    """A parameter constraint: a number of ``kind`` (``Integral``, ``Real``) above 0."""
    return Interval(kind, 0, None, closed="neither")


def at_least(kind, low) -> Interval:
    """A parameter constraint: a number of ``kind`` that is ``low`` or more."""
    return Interval(kind, low, None, closed="left")


class LatentModel(TransformerMixin, BaseEstimator):
    """Base class: ``fit`` learns a ``latent_dim``-D code, ``inverse_transform`` decodes it.

    Subclasses set hyper-parameters in ``__init__`` (stored unchanged) and learned state in
    attributes with a trailing underscore. Arrays are float32 ``(samples, features)``.

    As in scikit-learn, ``_parameter_constraints`` says what each parameter may be, checked
    when ``fit`` starts; a subclass's ``__init__`` names only the parameters it adds and
    passes the rest on with ``**params`` (:meth:`_get_param_names` collects them along the
    class chain). Using a model before ``fit`` raises scikit-learn's ``NotFittedError``.
    """

    latent_dim: int
    _parameter_constraints: ClassVar[dict] = {}

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The ``__init__`` parameters of this class and, through ``**params``, its bases."""
        names: set[str] = set()
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is None or not issubclass(klass, LatentModel):
                continue
            parameters = inspect.signature(init).parameters.values()
            names |= {p.name for p in parameters if p.name != "self" and p.kind != p.VAR_KEYWORD}
            if not any(p.kind == p.VAR_KEYWORD for p in parameters):
                break
        return sorted(names)

    def _validate_params(self) -> None:
        """Check the parameters against ``_parameter_constraints``: one line naming the bad one."""
        try:
            super()._validate_params()
        except InvalidParameterError as err:
            raise InputError(" ".join(str(err).split())) from None

    def score(self, X: np.ndarray, y=None) -> float:
        """Mean squared reconstruction error per element, in the units of ``X``.

        Lower is better (unlike scikit-learn's convention for ``score``); use
        ``scoring="neg_mean_squared_error"``-style wrappers in grid searches.
        """
        check_is_fitted(self)
        X = np.asarray(X, dtype=np.float32)
        return float(np.mean((self.inverse_transform(self.transform(X)) - X) ** 2))

    def _check_fit_input(self, X: np.ndarray, y=None) -> np.ndarray:
        self._validate_params()
        if y is not None and np.ndim(y) != 1:
            raise InputError(
                "y must be one label per sample; pass validation data as fit(X, X_val=...)"
            )
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
        check_is_fitted(self)
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

    Uses ``torch.load(weights_only=True)``: no code in the file is ever run. A file that
    holds anything but tensors and plain Python data (a pickled object whose loading would
    run code) is refused, not loaded.

    Raises
    ------
    InputError
        The file is missing, empty, truncated or damaged, holds Python objects, or is a
        torch file but not a killipose model. The message is one line naming the path.
    """
    from killipose.models import MODELS, class_of_file

    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected a model file")
    if not path.is_file():
        raise InputError(f"{path}: no such model file")
    refit = "fit the model again to rewrite it"
    if path.stat().st_size == 0:
        raise InputError(f"{path}: not a killipose model file (the file is empty); {refit}")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        # Not a pickle at all, or one with objects weights_only refuses (code would run).
        raise InputError(
            f"{path}: not a killipose model file (not a torch file of plain tensors; "
            "nothing in it was run)"
        ) from None
    except Exception as err:  # torch reports a damaged file in many ways (zip, EOF, ...)
        reason = str(err).strip().splitlines()[0].split(". ")[0][:100] if str(err) else ""
        detail = f": {reason}" if reason else ""
        raise InputError(
            f"{path}: not a killipose model file (truncated or damaged{detail}); {refit}"
        ) from None
    if not isinstance(blob, dict) or not isinstance(blob.get("format"), str):
        raise InputError(f"{path}: not a killipose model file (a torch file of other data)")
    if blob["format"] != FORMAT:
        raise InputError(
            f"{path}: model file format {blob['format'][:40]!r} is not {FORMAT!r} "
            f"(written by another killipose version?); {refit}"
        )
    name = blob.get("class")
    found = class_of_file(name) if isinstance(name, str) else None
    if found is None:
        known = ", ".join(sorted({spec.class_name for spec in MODELS.values()}))
        raise InputError(f"{path}: unknown model class {str(name)[:40]!r} (known: {known})")
    n_features = blob.get("n_features_in")
    try:
        cls, defaults = found
        model = cls(**(defaults | blob["params"]))
        model._set_state(blob["state"], n_features)
        model.extra_ = dict(blob.get("extra", {}))
        # A file whose parts do not fit together fails here, not in a later stage.
        x = np.zeros((1, n_features), dtype=np.float32)
        z = model.transform(x)
        if np.shape(z) != (1, model.latent_dim) or np.shape(model.inverse_transform(z)) != x.shape:
            raise ValueError("its code or reconstruction has the wrong shape")
    except Exception as err:  # a damaged or hand-edited file fails in many ways
        reason = f"no {err}" if isinstance(err, KeyError) else " ".join(str(err).split())
        raise InputError(
            f"{path}: damaged killipose model file: its {name} parts do not fit together "
            f"({reason[:120] or type(err).__name__}); {refit}"
        ) from None
    return model
