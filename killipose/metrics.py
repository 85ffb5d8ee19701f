"""How well a model reconstructs: errors per split, explained variance, pixels."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from killipose.cleaning import CleanTable
from killipose.split import SPLITS

if TYPE_CHECKING:  # torch is imported only where a model is used
    from killipose.models import LatentModel


def reconstruction_metrics(model: LatentModel, splits: dict[str, np.ndarray]) -> dict:
    """Mean squared error per element on each split, and the test explained variance.

    Parameters
    ----------
    model
        A fitted model.
    splits
        ``{"train": X, "val": X, "test": X}``, arrays ``(samples, features)``.

    Returns
    -------
    ``{"train_mse", "val_mse", "test_mse", "explained_variance", "n_train", "n_val",
    "n_test"}``; explained variance is ``1 - SSE/SST`` on the test split, SST about the
    test mean.
    """
    out: dict = {}
    for name in SPLITS:
        out[f"{name}_mse"] = model.score(splits[name])
    X = splits["test"]
    sse = out["test_mse"] * X.size
    sst = float(np.sum((X.astype(np.float64) - X.mean(axis=0)) ** 2))
    out["explained_variance"] = 1.0 - sse / sst if sst > 0 else float("nan")
    out |= {f"n_{name}": len(splits[name]) for name in SPLITS}
    return out


def pose_metrics(model: LatentModel, clean: CleanTable) -> dict:
    """:func:`reconstruction_metrics` plus test errors in pixels.

    Adds ``test_rmse_px`` (root mean squared error over every x and y value, px) and
    ``test_error_px`` (per keypoint, the mean Euclidean distance between the original and
    the reconstructed keypoint, px).
    """
    out = reconstruction_metrics(model, {s: clean.matrix(s) for s in SPLITS})
    X = clean.matrix("test")
    original = clean.to_pixels(X)
    rebuilt = clean.to_pixels(model.inverse_transform(model.transform(X)))
    out["test_rmse_px"] = float(np.sqrt(np.mean((rebuilt - original) ** 2)))
    distance = np.linalg.norm((rebuilt - original).reshape(len(X), -1, 2), axis=2)
    out["test_error_px"] = dict(
        zip(clean.keypoints, distance.mean(axis=0).round(4).tolist(), strict=True)
    )
    return out
