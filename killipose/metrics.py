"""How well a model reconstructs: errors per split, explained variance, pixels."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from killipose.cleaning.table import CleanTable
from killipose.errors import InputError
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


def truth_metrics(
    model: LatentModel, clean: CleanTable, truth: pd.DataFrame | str | os.PathLike
) -> dict:
    """Test errors against the noise-free pose of a synthetic recording, and the floor.

    Parameters
    ----------
    model
        A model fitted to ``clean``.
    clean
        The cleaned table of the tracked (noisy) recording.
    truth
        The noise-free pose of the same rows as the table ``clean`` was made from
        (:func:`killipose.make_killifish_tables`' second table): ``x_<kp>``/``y_<kp>``
        arena pixels; ``clean.frame["frame"]`` picks its rows. Or the Parquet file that
        holds it (what ``killipose synth --truth`` writes), read a column at a time, each
        cut to the test rows at once: 14 MB at a time at 1.7M frames, not the 138 MB of
        ten float64 columns.

    Returns
    -------
    On the valid frames of the test block, the model's reconstruction against the truth:
    ``truth_test_mse`` (mean squared error per value in the normalised units of
    ``test_mse``, ``clean``'s mean and std) and ``truth_test_error_px`` (mean distance
    between each true keypoint and its reconstruction, over keypoints and frames, px);
    and the noise floor, the same errors of the cleaned table itself against the truth,
    which a model that gave back the true pose would score against the tracked data:
    ``noise_floor_mse`` and ``noise_floor_px``.

    Notes
    -----
    The floor is the tracker's noise as cleaning left it: its Gaussian noise (0.6 px per
    coordinate gives a mean distance of 0.6 * sqrt(pi / 2) = 0.75 px), plus what
    interpolation made of filled gaps and removed jumps. A model below the floor against
    the truth is nearer the true pose than the data it learnt from.

    In the egocentric frame the truth is put in the body frame of each frame of
    ``clean`` (:meth:`CleanTable.from_arena`), from the tracked keypoints' origin and
    heading, which is where :meth:`CleanTable.to_arena` places a reconstruction: the
    distances are those in the arena, and the noise of the origin and heading, which no
    model of the posture sees, stays in every error.
    """
    frames, names, column = _truth_columns(truth)
    if frames != clean.report["input_frames"]:
        raise InputError(
            f"the noise-free table has {frames:,} rows; the cleaned table was made from "
            f"{clean.report['input_frames']:,}: it is not the truth of this recording"
        )
    missing = [c for c in clean.features if c not in names]
    if missing:
        raise InputError(f"the noise-free table has no column {missing[0]}")
    rows = clean.frame["valid"].to_numpy() & (clean.frame["split"].to_numpy() == "test")
    picked = clean.frame["frame"].to_numpy()[rows]
    # The test rows of each column: not a copy of every frame first.
    true_px = np.column_stack([column(c)[picked] for c in clean.features])
    true_px = clean.from_arena(true_px, rows)
    mean, std = clean.stats["mean"].to_numpy(), clean.stats["std"].to_numpy()
    true_normalised = (true_px - mean) / std
    X = clean.matrix("test")
    rebuilt = model.inverse_transform(model.transform(X))
    model_mse, model_px = _errors(clean, rebuilt, true_normalised, true_px)
    floor_mse, floor_px = _errors(clean, X, true_normalised, true_px)
    return {
        "truth_test_mse": model_mse,
        "truth_test_error_px": model_px,
        "noise_floor_mse": floor_mse,
        "noise_floor_px": floor_px,
    }


def _truth_columns(truth: pd.DataFrame | str | os.PathLike) -> tuple[int, list[str], Callable]:
    """The noise-free table's rows, its column names, and a reader of one column as
    float64: from the frame, or from the Parquet file a column at a time."""
    if isinstance(truth, pd.DataFrame):
        return len(truth), list(truth.columns), lambda c: truth[c].to_numpy(np.float64)
    import pyarrow.parquet as pq

    from killipose.files import read_parquet
    from killipose.io.wide import table_columns

    names = table_columns(truth)  # an InputError for a file that is not a table
    frames = pq.read_metadata(truth).num_rows
    return frames, names, lambda c: read_parquet(truth, [c])[c].to_numpy(np.float64)


def _errors(
    clean: CleanTable, X: np.ndarray, true_normalised: np.ndarray, true_px: np.ndarray
) -> tuple[float, float]:
    """Mean squared error (normalised units) and mean keypoint distance (px) of ``X``
    (normalised, one row per row of the truth) from the truth."""
    X = np.asarray(X, dtype=np.float64)
    distance = np.linalg.norm((clean.to_pixels(X) - true_px).reshape(len(X), -1, 2), axis=2)
    return float(np.mean((X - true_normalised) ** 2)), float(distance.mean())


def mean_over_seeds(metrics: list[dict]) -> list[dict]:
    """One entry per model and latent dimension: the mean over its seeds' fits.

    Numbers (and ``test_error_px`` per keypoint) are averaged, flags (``kept_start``)
    become the share of fits that have them; ``seed`` becomes the list
    of seeds, and ``test_mse_sd`` is the sample standard deviation of the test MSE over
    them (``nan`` for one fit), ``test_mse_seeds`` its values. Order: first appearance.
    """
    groups: dict[tuple, list[dict]] = {}
    for m in metrics:
        groups.setdefault((m["model"], m["latent_dim"]), []).append(m)
    out = []
    for fits in groups.values():
        mean = dict(fits[0])
        for key, value in fits[0].items():
            if key in ("latent_dim", "seed"):
                continue
            values = [f[key] for f in fits]
            if isinstance(value, bool):  # a share of the fits
                mean[key] = float(np.mean(values))
                continue
            if isinstance(value, int | float) and len(set(values)) > 1:
                mean[key] = float(np.mean(values))
            elif key == "test_error_px":
                mean[key] = {k: float(np.mean([f[key][k] for f in fits])) for k in value}
        mse = np.array([f["test_mse"] for f in fits])
        mean["seed"] = [f["seed"] for f in fits]
        mean["test_mse_seeds"] = mse.tolist()
        mean["test_mse_sd"] = float(mse.std(ddof=1)) if len(mse) > 1 else float("nan")
        out.append(mean)
    return out


def pca_by_dimension(clean: CleanTable, max_dim: int) -> pd.DataFrame:
    """PCA's test MSE at every code size from 1 to ``max_dim`` (kept below the number of
    features), and the share of the training variance each component explains (the
    scree), from one PCA fitted on the training block: a row per code size."""
    from killipose.models.pca import principal_axes

    train, test = clean.matrix("train"), clean.matrix("test")
    k = min(max_dim, train.shape[1] - 1)
    mean, axes, variance = principal_axes(train)
    axes, ratio = axes[:k], variance[:k] / variance.sum()
    codes = (test - mean) @ axes.T
    rows = []
    for d in range(1, k + 1):
        rebuilt = mean + codes[:, :d] @ axes[:d]
        error = float(np.mean((test - rebuilt) ** 2, dtype=np.float64))
        rows.append((d, error, float(ratio[d - 1])))
    return pd.DataFrame(rows, columns=["latent_dim", "test_mse", "explained_variance_ratio"])


def frame_distances(models: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``(models, frames)``: each model's per-frame error against the reference, the mean
    over keypoints of the distance in pixels, where both have the keypoint (NaN where
    they share none). ``models`` is ``(models, frames, keypoints, 2)``, ``reference``
    ``(frames, keypoints, 2)``."""
    distance = np.linalg.norm(models - reference, axis=3)
    finite = np.isfinite(distance)
    shared = finite.sum(axis=2)
    total = np.where(finite, distance, 0.0).sum(axis=2)
    return np.where(shared > 0, total / np.maximum(shared, 1), np.nan)


def frame_errors(model: LatentModel, clean: CleanTable, chunk: int = 200_000) -> np.ndarray:
    """Each frame's mean keypoint error in pixels (distance between each keypoint and its
    reconstruction, averaged over keypoints); NaN where the frame is not valid. Frames are
    encoded and decoded ``chunk`` at a time, so memory stays flat on long recordings."""
    valid = clean.frame["valid"].to_numpy()
    X = clean.matrix()
    errors = []
    for start in range(0, len(X), chunk):
        x = X[start : start + chunk]
        shape = (len(x), -1, 2)
        rebuilt = clean.to_pixels(model.inverse_transform(model.transform(x))).reshape(shape)
        errors.append(frame_distances(rebuilt[None], clean.to_pixels(x).reshape(shape))[0])
    out = np.full(len(valid), np.nan)
    out[valid] = np.concatenate(errors) if errors else []
    return out


def contrast_window(errors: np.ndarray, allowed: np.ndarray, length: int) -> int:
    """The first row of the ``length`` consecutive rows where the models differ most.

    Parameters
    ----------
    errors
        ``(models, rows)`` per-frame errors (NaN where a frame has none).
    allowed
        ``(rows,)`` bool: the rows a window may hold (the test block's).
    length
        Rows in the window.

    Returns
    -------
    The start of the all-``allowed`` window whose mean contrast is largest: the contrast
    of a frame is its largest error less its smallest across models (with one model, its
    error), zero where an error is NaN. Where no ``length`` allowed rows follow each
    other, the first allowed row, moved back so the window ends at the last row.
    """
    errors = np.atleast_2d(np.asarray(errors, dtype=np.float64))
    allowed = np.asarray(allowed, dtype=bool)
    n = allowed.size
    finite = np.isfinite(errors).all(axis=0)
    contrast = errors[0] if len(errors) == 1 else errors.max(axis=0) - errors.min(axis=0)
    contrast = np.where(finite & allowed, contrast, 0.0)
    if length > n or not allowed.any():
        return 0
    sums = _window_sums(contrast, length)  # sums[s]: of rows s .. s + length - 1
    barred = _window_sums(~allowed, length)
    if not (barred == 0).any():
        return max(0, min(int(np.argmax(allowed)), n - length))
    return int(np.argmax(np.where(barred == 0, sums, -np.inf)))


def _window_sums(values: np.ndarray, length: int) -> np.ndarray:
    """Sums of every ``length`` consecutive entries of ``values`` (``n - length + 1``)."""
    total = np.concatenate([[0.0], np.cumsum(values, dtype=np.float64)])
    return total[length:] - total[:-length]
