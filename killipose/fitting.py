"""Fitting one model to a cleaned table: the fit stage of the workflow, as a function."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd

from killipose.datasets import Prepared, kind
from killipose.errors import InputError
from killipose.files import atomic_path, write_json
from killipose.models import MODELS, LatentModel, make

log = logging.getLogger("killipose")

HISTORY_COLUMNS = ["epoch", "train_loss", "val_loss", "val_mse", "lr", "seconds"]


def fit_model(
    clean: Prepared,
    name: str,
    latent_dim: int,
    seed: int = 0,
    progress: bool = False,
    checkpoint: str | os.PathLike | None = None,
    **params,
) -> tuple[LatentModel, dict]:
    """Fit model ``name`` on the training block, validate on the val block, score all.

    ``clean`` is prepared data of any kind (:func:`killipose.datasets.load_prepared`).
    Returns the fitted model and its metrics (the keys of ``metrics.json``): the data's
    ``kind``, what that kind scores (:meth:`DatasetKind.score
    <killipose.datasets.base.DatasetKind.score>`: errors per split, explained variance,
    frames per split, and pixel errors for poses, class accuracies for digits), fit time
    and seed.

    ``checkpoint`` is a file from which an interrupted autoencoder fit resumes, with the
    same result as an uninterrupted one (see :meth:`Autoencoder.fit
    <killipose.models.Autoencoder.fit>`); PCA, fitted in one go, does not use it. Other
    keyword arguments go to :func:`killipose.models.make`.
    """
    model = make(name, latent_dim=latent_dim, seed=seed, **params)
    X_train, X_val = clean.matrix("train"), clean.matrix("val")
    log.info(
        "fitting %s with latent_dim %d on %d samples: %s",
        name,
        latent_dim,
        len(X_train),
        model.get_params(),
    )
    labelled = MODELS[name].needs_labels
    if labelled and not hasattr(clean, "labels"):
        raise InputError(f"model {name!r} needs labelled data; {clean.report['kind']} has none")
    model.fit(
        X_train,
        clean.labels("train") if labelled else None,
        X_val=X_val,
        y_val=clean.labels("val") if labelled else None,
        progress=progress,
        checkpoint=checkpoint,
    )
    metrics = {"model": name, "latent_dim": latent_dim, "kind": clean.report["kind"]}
    metrics |= kind(clean.report["kind"]).score(model, clean)
    metrics |= {
        "fit_seconds": round(model.fit_seconds_, 3),
        "seed": seed,
        "epochs_run": len(model.history_),
    }
    if getattr(model, "kept_start_", None) is not None:  # a model that starts from PCA
        metrics["kept_start"] = model.kept_start_
    return model, metrics


def save_fit(model: LatentModel, metrics: dict, outdir: str | os.PathLike) -> None:
    """Write ``model.pt``, ``metrics.json`` and ``history.csv`` to ``outdir``."""
    outdir = Path(outdir)
    model.save(outdir / "model.pt")
    with atomic_path(outdir / "history.csv") as tmp:
        pd.DataFrame(model.history_, columns=HISTORY_COLUMNS).to_csv(tmp, index=False)
    write_json(metrics, outdir / "metrics.json")
