"""Fitting one model to a cleaned table: the fit stage of the workflow, as a function."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from killipose.cleaning.table import CleanTable
from killipose.files import atomic_path, write_json
from killipose.metrics import pose_metrics, reconstruction_metrics
from killipose.models import MODELS, LatentModel, make
from killipose.split import SPLITS

log = logging.getLogger("killipose")

HISTORY_COLUMNS = ["epoch", "train_loss", "val_loss", "val_mse", "lr", "seconds"]


def fit_model(
    clean: CleanTable,
    name: str,
    latent_dim: int,
    seed: int = 0,
    progress: bool = False,
    checkpoint: str | os.PathLike | None = None,
    **params,
) -> tuple[LatentModel, dict]:
    """Fit model ``name`` on the training block, validate on the val block, score all.

    Returns the fitted model and its metrics (the keys of ``metrics.json``): errors per
    split, explained variance, frames per split, fit time and seed; pose data add pixel
    errors, labelled data (MNIST) the data source and, for supervised models, the test
    accuracy.

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
    model.fit(
        X_train,
        clean.labels("train") if labelled else None,
        X_val=X_val,
        y_val=clean.labels("val") if labelled else None,
        progress=progress,
        checkpoint=checkpoint,
    )
    metrics = {"model": name, "latent_dim": latent_dim}
    if clean.report.get("kind") == "mnist":
        metrics |= reconstruction_metrics(model, {s: clean.matrix(s) for s in SPLITS})
        metrics["data"] = clean.report["source"]
        if labelled:
            metrics["test_accuracy"] = model.accuracy(clean.matrix("test"), clean.labels("test"))
        metrics["probe_accuracy"] = probe_accuracy(model, clean)
    else:
        metrics |= pose_metrics(model, clean)
    metrics |= {
        "fit_seconds": round(model.fit_seconds_, 3),
        "seed": seed,
        "epochs_run": len(model.history_),
    }
    if getattr(model, "kept_start_", None) is not None:  # a model that starts from PCA
        metrics["kept_start"] = model.kept_start_
    return model, metrics


def probe_accuracy(model: LatentModel, clean: CleanTable) -> float:
    """Test accuracy of a logistic regression that reads the class from ``model``'s code.

    Fitted on the codes of the training samples (standardised), scored on the test
    samples' codes: how much of the class the unsupervised code keeps.
    """
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    probe.fit(model.transform(clean.matrix("train")), clean.labels("train"))
    return float(probe.score(model.transform(clean.matrix("test")), clean.labels("test")))


def save_fit(model: LatentModel, metrics: dict, outdir: str | os.PathLike) -> None:
    """Write ``model.pt``, ``metrics.json`` and ``history.csv`` to ``outdir``."""
    outdir = Path(outdir)
    model.save(outdir / "model.pt")
    with atomic_path(outdir / "history.csv") as tmp:
        pd.DataFrame(model.history_, columns=HISTORY_COLUMNS).to_csv(tmp, index=False)
    write_json(metrics, outdir / "metrics.json")
