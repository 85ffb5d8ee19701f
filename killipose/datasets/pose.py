"""Pose recordings: keypoint tables from trackers, cleaned into posture features."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from killipose.cleaning.table import CleanTable, clean_pieces, load_clean
from killipose.datasets.base import DatasetKind
from killipose.errors import InputError
from killipose.findings import (
    MATCH,
    by_dimension,
    label,
    linear_verdict,
    ratios,
    seed_count,
    seeds_phrase,
)
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

    def pieces(self, folder: Path, rows: int) -> Iterator[CleanTable]:
        return clean_pieces(folder, rows)

    def score(self, model: LatentModel, data: CleanTable) -> dict:
        return pose_metrics(model, data)

    def outputs(self, ds: dict, root: str) -> list[str]:
        out = [f"{root}/clean/summary.html", f"{root}/figures/qc-missing.png"]
        more = ds["analyses"]
        if "room" in more:
            out.append(f"{root}/figures/room.png")
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
            out += [f"{root}/{f}" for f in _analyses(more, ds["models"], dim)]
        return out

    def plot_comparison(self, metrics: list[dict], path: Path, title: str) -> None:
        from killipose.plots.comparison import plot_model_comparison

        plot_model_comparison(metrics, path, title)

    def findings(self, report: dict, metrics: list[dict]) -> list[str]:
        paragraphs = [_data_sentence(report)]
        for dim, pca, others in by_dimension(metrics):
            px = ", ".join(
                f"{label(m['model'])} {m['test_rmse_px']:.3f} px" for m in [pca, *others]
            )
            bullets = [
                f"At **{dim}-D**, test error ÷ PCA's ({seeds_phrase(others)}): "
                f"{ratios(others, pca)}. Test RMSE: {px}."
            ]
            found = (linear_verdict(others, pca), _gain(others, pca, dim), _truth([pca, *others]))
            bullets += [b for b in found if b]
            paragraphs.append("\n".join(f"* {b}" for b in bullets))
        paragraphs.append(f"**Main caveat**: {_caveat(report, metrics)}")
        return paragraphs

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


def _analyses(chosen: list[str], models: list[str], dim: int) -> list[str]:
    """The files of the ``analyses`` chosen, at one latent dimension, under the dataset."""
    files = {
        "training": [f"figures/training-{dim}d.png"],
        "traversal": [f"figures/traversal-{m}-{dim}d.png" for m in models],
        "code_kinematics": [f"code-kinematics-{dim}d.html"],
        "code_map": [f"figures/code-map-{dim}d.png"],
        "day": [f"figures/day-{dim}d.png"],
    }
    return [f for name in chosen for f in files.get(name, [])]


def _data_sentence(report: dict) -> str:
    """Which data the run used, as fact, and how much of it was scored."""
    synthetic = report.get("synthetic")
    if synthetic:
        data = (
            f"a synthetic table made by ``{synthetic['generator']}`` (seed {synthetic['seed']}, "
            f"camera frames up to {synthetic['frames']:,} at {synthetic['fps']:g} fps), "
            "as no file was at the configured path"
        )
    else:
        read = report.get("read", {})
        animal = ""
        if read.get("individuals", 1) > 1:
            animal = f", animal {read['individual']!r} of {read['individuals']}"
        data = f"``{report['source']}`` (read as {read.get('format', 'a table')}{animal})"
    frames = report["frames"]
    minutes = frames["test"] / report["fps"] / 60
    return (
        f"**Data**: {data}. {report['input_frames']:,} frames read, {frames['valid']:,} "
        f"usable after cleaning. Models are scored on the test block: the last "
        f"{frames['test']:,} usable frames ({minutes:,.1f} min), which no model saw in "
        "training."
    )


def _gain(others: list[dict], pca: dict, dim: int) -> str:
    """Where the best model beats PCA (its keypoints' errors), or that none does."""
    best = min(others, key=lambda m: m["test_mse"], default=None)
    if best is None or best["test_mse"] >= (1 - MATCH) * pca["test_mse"]:
        return f"No model beat PCA by more than {MATCH:.0%} at {dim}-D."
    ours, theirs = best["test_error_px"], pca["test_error_px"]
    change = sorted(ours, key=lambda k: ours[k] / theirs[k])
    where = ", ".join(f"{k} {theirs[k]:.2f} → {ours[k]:.2f} px" for k in change[:2])
    least = change[-1]
    return (
        f"The {label(best['model'])}'s gain over PCA is largest at {where}; least at {least} "
        f"({theirs[least]:.2f} → {ours[least]:.2f} px; mean keypoint error)."
    )


def _truth(fits: list[dict]) -> str | None:
    """Synthetic data: each fit's test error against the noise-free pose, and the floor
    (:func:`killipose.metrics.truth_metrics`); ``None`` where there is no truth."""
    if not all("truth_test_error_px" in m for m in fits):
        return None
    px = ", ".join(f"{label(m['model'])} {m['truth_test_error_px']:.2f} px" for m in fits)
    floor = fits[0]["noise_floor_px"]
    below = [label(m["model"]) for m in fits if m["truth_test_error_px"] < floor]
    verdict = (
        f"below it, nearer the true pose than the tracked data: {', '.join(below)}"
        if below
        else "no model is below it: none is nearer the true pose than the tracked data"
    )
    return (
        f"Against the noise-free pose (mean keypoint error): {px}; tracker noise floor "
        f"{floor:.2f} px (the tracked data's own error against it); {verdict}."
    )


def _caveat(report: dict, metrics: list[dict]) -> str:
    """The one thing a reader should weigh most before trusting the numbers above."""
    kept = [m for m in metrics if m.get("kept_start")]
    if kept:
        fits = ", ".join(
            f"{label(m['model'])} at {m['latent_dim']}-D ({m['kept_start']:.0%} of fits)"
            for m in kept
        )
        return (
            f"training did not beat PCA on the validation block for {fits}; those fits "
            "kept their start, PCA's solution, so on this data they are PCA."
        )
    if report.get("synthetic"):
        return (
            "the data are synthetic. The fish is made as a body that swims and turns freely "
            "while a travelling wave bends it (``killipose/synthetic.py``). The nonlinear "
            "AE's default design (``fold``) assumes just that: a freely rotating body whose "
            "bend sets the radius of the heading circle in PCA's code. Its gain here shows "
            "the design works where its assumption holds, not that it holds for a real "
            "recording: check it on one."
        )
    if seed_count(metrics) == 1:
        return (
            "each autoencoder was fitted with one seed: differences of a few percent may "
            "be the seed's (set ``seeds: 3`` for the spread)."
        )
    return (
        "every error is measured on the test block, the last 10% of the recording; "
        "behaviour there may differ from the rest."
    )


POSE = PoseKind()
