"""Train / validation / test splits that do not leak between neighbouring frames."""

from __future__ import annotations

import numpy as np

from killipose.errors import InputError

SPLITS = ("train", "val", "test")


def block_split(n_rows: int, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)) -> np.ndarray:
    """Label rows as contiguous time blocks: the first 80% train, then val, then test.

    Neighbouring frames of a video are nearly identical, so a shuffled split would test on
    frames the model has in effect seen. Contiguous blocks test on a later stretch of time.

    Returns
    -------
    Array of ``n_rows`` strings, each ``"train"``, ``"val"`` or ``"test"``.
    """
    return block_labels(n_rows, fractions, 0, n_rows)


def block_labels(
    n_rows: int, fractions: tuple[float, float, float], start: int, stop: int
) -> np.ndarray:
    """The labels :func:`block_split` gives rows ``start`` to ``stop`` of ``n_rows``."""
    if len(fractions) != 3 or min(fractions) <= 0 or not np.isclose(sum(fractions), 1.0):
        raise InputError(
            f"split fractions must be three positive numbers summing to 1, got {fractions}"
        )
    edges = np.round(np.cumsum(fractions)[:2] * n_rows).astype(int)
    labels = np.empty(stop - start, dtype=object)
    labels[:] = "test"
    labels[: max(edges[1] - start, 0)] = "val"
    labels[: max(edges[0] - start, 0)] = "train"
    return labels


def stratified_split(
    labels: np.ndarray, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 0
) -> np.ndarray:
    """Label samples train/val/test at random, keeping each class's share in every split.

    For independent samples (MNIST digits), where time order means nothing.
    """
    rng = np.random.default_rng(seed)
    out = np.empty(len(labels), dtype=object)
    for value in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == value))
        out[idx] = block_split(len(idx), fractions)
    return out
