"""Pose recordings: keypoint tables from trackers, cleaned into posture features."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from killipose.cleaning.table import CleanTable, load_clean
from killipose.datasets.base import DatasetKind
from killipose.errors import InputError
from killipose.io import keypoints_in
from killipose.metrics import pose_metrics

if TYPE_CHECKING:
    from killipose.models import LatentModel


class PoseKind(DatasetKind):
    """One animal's keypoints per frame (``kind: pose``), cleaned by
    :func:`killipose.clean_table`; models are scored in normalised units and pixels."""

    name = "pose"
    metrics_note = (
        "MSE is the mean squared error per value in normalised units (z-scores), on "
        "contiguous time blocks: train (first 80%), val (next 10%), test (last 10%). "
        "Explained variance is 1 - SSE/SST on the test block. RMSE (px) is over every x and "
        "y value of the test block, in pixels. Frames per block are in the cleaning summary "
        "and the CSV. With several seeds, numbers are means over them and ± is their "
        "standard deviation."
    )

    def load(self, folder: Path) -> CleanTable:
        return load_clean(folder)

    def score(self, model: LatentModel, data: CleanTable) -> dict:
        return pose_metrics(model, data)

    def outputs(self, ds: dict, root: str) -> list[str]:
        out = [f"{root}/clean/summary.html", f"{root}/figures/qc-missing.png"]
        for dim in ds["latent_dims"]:
            out += [
                f"{root}/figures/comparison-{dim}d.png",
                f"{root}/metrics-{dim}d.html",
                f"{root}/animations/reconstruction-{dim}d.mp4",
                f"{root}/animations/reconstruction-{dim}d.html",
                f"{root}/figures/latents-{dim}d.png",
            ]
            out += [f"{root}/figures/latents-{m}-{dim}d.png" for m in ds["models"]]
            if "vae" in ds["models"]:
                out += [
                    f"{root}/animations/vae-walk-{dim}d.mp4",
                    f"{root}/animations/vae-walk-{dim}d.html",
                ]
        return out

    def plot_comparison(self, metrics: list[dict], path: Path, title: str) -> None:
        from killipose.plots.comparison import plot_model_comparison

        plot_model_comparison(metrics, path, title)

    def check(self, name: str, ds: dict, config: dict) -> None:
        keypoints = ds["keypoints"]
        if keypoints != "auto":
            # With keypoints: auto the number is known from the file's header (check_path)
            # or, for a synthetic table, once it is cleaned: `killipose fit` checks it then.
            check_latent_dims(name, ds, config, keypoints, "")

    def check_path(self, path: Path, where: str, relative: str, ds: dict) -> list[str] | None:
        if path.is_dir():
            raise InputError(f"{where}: is a folder{relative}, expected a CSV or Parquet file")
        if not path.exists():
            if "synthetic" in ds:
                return None
            raise InputError(f"{where}: no such file{relative}")
        try:
            keypoints = keypoints_in(path, ds["format"], ds.get("individual"))
        except InputError as err:
            raise InputError(f"{where}: {err}") from None
        if not keypoints:
            raise InputError(f"{where}: no x_<name>/y_<name> columns in its header")
        return keypoints


def check_latent_dims(name: str, ds: dict, config: dict, keypoints: list, source: str) -> None:
    """Latent dims below the number of features (x and y of each keypoint)."""
    key = (
        f"datasets.{name}.latent_dims"
        if "latent_dims" in config["datasets"][name]
        else ("latent_dims")
    )
    features = 2 * len(keypoints)
    too_big = [d for d in ds["latent_dims"] if d >= features]
    if too_big:
        raise InputError(
            f"config: {key}: {too_big[0]} must be below the number of features of dataset "
            f"{name!r} ({features}: x and y of {len(keypoints)} keypoints{source})"
        )


POSE = PoseKind()
