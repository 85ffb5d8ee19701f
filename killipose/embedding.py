"""Latent codes per frame, and reconstructions back in pixels."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from killipose.cleaning.table import CleanTable

if TYPE_CHECKING:  # torch is imported only where a model is used
    from killipose.models import LatentModel


def latent_table(model: LatentModel, clean: CleanTable) -> pd.DataFrame:
    """The latent code of every frame.

    Returns
    -------
    DataFrame with the table's meta columns (``frame``, ``time_s``, ``split``, ``valid``,
    ``label`` where present) and ``z1`` ... ``zK`` (latent units; NaN for frames that are
    not valid).
    """
    valid = clean.frame["valid"].to_numpy()
    Z = np.full((len(valid), model.latent_dim), np.nan, dtype=np.float32)
    Z[valid] = model.transform(clean.matrix())
    latent = pd.DataFrame(Z, columns=[f"z{i + 1}" for i in range(model.latent_dim)])
    return pd.concat([clean.frame[clean.meta], latent], axis=1)


def reconstruct_pixels(model: LatentModel, clean: CleanTable, rows: slice) -> np.ndarray:
    """Encode and decode the frames in ``rows``; ``(frames, keypoints, 2)`` in pixels.

    Frames that are not valid come back as NaN.
    """
    X = clean.frame.iloc[rows][clean.features].to_numpy(np.float32)
    valid = np.isfinite(X).all(axis=1)
    out = np.full(X.shape, np.nan, dtype=np.float64)
    if valid.any():
        out[valid] = clean.to_pixels(model.inverse_transform(model.transform(X[valid])))
    return out.reshape(len(X), -1, 2)


def original_pixels(clean: CleanTable, rows: slice) -> np.ndarray:
    """The cleaned frames in ``rows`` in pixels, ``(frames, keypoints, 2)``."""
    X = clean.frame.iloc[rows][clean.features].to_numpy(np.float64)
    return clean.to_pixels(X).reshape(len(X), -1, 2)
