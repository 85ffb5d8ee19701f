"""Digits (MNIST): images with their class, the benchmark of the same models."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from killipose.datasets.base import DatasetKind
from killipose.errors import InputError
from killipose.files import read_prepared, write_prepared
from killipose.findings import by_dimension, label, linear_verdict, ratios, seeds_phrase
from killipose.metrics import reconstruction_metrics
from killipose.mnist import MNIST
from killipose.split import SPLITS

if TYPE_CHECKING:
    from killipose.models import LatentModel

#: MNIST's images are 28 x 28 pixels: a code must be smaller.
PIXELS = 784


@dataclass
class Digits:
    """Digits ready to fit: float32 pixels in [0, 1], one row a digit.

    Pixels are not normalised further, so reconstructions stay in [0, 1] and a sigmoid
    output fits them.

    Attributes
    ----------
    images
        ``(digits, pixels)`` float32 in [0, 1].
    digit
        The class of each image, 0-9.
    split
        ``train``/``val``/``test`` of each image.
    report
        Where the digits came from, and how many of each class each split has.
    """

    images: np.ndarray
    digit: np.ndarray
    split: np.ndarray
    report: dict = field(default_factory=dict)

    @classmethod
    def from_mnist(cls, data: MNIST) -> Digits:
        """The digits of :func:`killipose.mnist.load_mnist`, with their report."""
        report = {
            "kind": DIGITS.name,
            "source": data.source,
            "input_frames": len(data.images),
            "features": [f"p{i}" for i in range(data.images.shape[1])],
            "frames": {s: int((data.split == s).sum()) for s in SPLITS}
            | {"valid": len(data.images), "excluded": 0},
            "digits_per_split": {
                s: np.bincount(data.labels[data.split == s], minlength=10).tolist() for s in SPLITS
            },
        }
        return cls(data.images, data.labels, data.split, report)

    @property
    def meta(self) -> list[str]:
        """The columns of :attr:`frame`: every image is valid, ``label`` is its digit."""
        return ["frame", "split", "valid", "label"]

    @property
    def features(self) -> list[str]:
        """Pixel column names, ``p0`` ... in row-major order."""
        return self.report["features"]

    @property
    def frame(self) -> pd.DataFrame:
        """One row per digit: its number, split, ``valid`` (always) and ``label``."""
        n = len(self.images)
        return pd.DataFrame(
            {"frame": np.arange(n), "split": self.split, "valid": True, "label": self.digit}
        )

    def _rows(self, split: str | None) -> np.ndarray | slice:
        return slice(None) if split is None else self.split == split

    def matrix(self, split: str | None = None) -> np.ndarray:
        """The images of one split (or all), float32 ``(digits, pixels)``.

        Column-major, as a table of pixel columns hands them out: sums over digits then
        run in the same order as in every earlier run, so metrics stay bit-identical.
        """
        return np.asfortranarray(self.images[self._rows(split)])

    def labels(self, split: str | None = None) -> np.ndarray:
        """The digit of each image of one split (or all)."""
        return self.digit[self._rows(split)]

    def save(self, outdir: str | os.PathLike) -> None:
        """Write ``outdir/table.parquet`` (the frame and the pixels) and ``report.json``."""
        pixels = pd.DataFrame(self.images, columns=self.features)
        write_prepared(pd.concat([self.frame, pixels], axis=1), self.report, outdir)

    @classmethod
    def load(cls, outdir: str | os.PathLike) -> Digits:
        """Read what :meth:`save` wrote."""
        table, report = read_prepared(outdir)
        images = table[report["features"]].to_numpy(np.float32)
        return cls(images, table["label"].to_numpy(), table["split"].to_numpy(), report)


class DigitsKind(DatasetKind):
    """Handwritten digits (``kind: mnist``): pixels in [0, 1] and their class, which
    no unsupervised model sees but a probe reads back from its code."""

    name = "mnist"
    metrics_note = (
        "MSE is the mean squared error per pixel (pixels in [0, 1]) on the train, "
        "validation and test digits; ÷ PCA is the test MSE over PCA's at the same dimension. "
        "Explained variance is 1 - SSE/SST on the test digits. Accuracy: share of test digits "
        "classified right (supervised models only). Probe acc.: a logistic regression fitted "
        "on the model's codes of the training digits, scored on the test digits' codes (how "
        "much of the digit's class the code keeps)."
    )

    def load(self, folder: Path) -> Digits:
        return Digits.load(folder)

    def score(self, model: LatentModel, data: Digits) -> dict:
        """Errors per split, the data source, the test accuracy of a supervised model, and
        the :func:`probe_accuracy` of the code."""
        metrics = reconstruction_metrics(model, {s: data.matrix(s) for s in SPLITS})
        metrics["data"] = data.report["source"]
        if getattr(model, "n_classes", None) is not None:  # a supervised autoencoder
            metrics["test_accuracy"] = model.accuracy(data.matrix("test"), data.labels("test"))
        metrics["probe_accuracy"] = probe_accuracy(model, data)
        return metrics

    def fits(self, ds: dict) -> list[tuple[str, int]]:
        sup = ds["supervised"]
        return super().fits(ds) + [(m, d) for m in sup["models"] for d in sup["latent_dims"]]

    def outputs(self, ds: dict, root: str) -> list[str]:
        out = [
            f"{root}/metrics.html",
            f"{root}/figures/error-vs-dim.png",
            f"{root}/figures/reconstructions.png",
        ]
        if "training" in ds["analyses"]:
            out.append(f"{root}/figures/training.png")
        if 2 in ds["latent_dims"]:
            out += [f"{root}/figures/encoder-map-2d.png", f"{root}/figures/decoder-grid-2d.png"]
        if "vae" in ds["models"]:
            out.append(f"{root}/figures/vae-samples.png")
            if 2 in ds["latent_dims"]:
                out.append(f"{root}/figures/vae-grid-2d.png")
        if "interpolation" in ds:
            out.append(f"{root}/figures/interpolation-{ds['interpolation']['latent_dim']}d.png")
        return out

    def plot_comparison(self, metrics: list[dict], path: Path, title: str) -> None:
        from killipose.plots.comparison import plot_error_vs_dim

        plot_error_vs_dim(metrics, path, title)

    def findings(self, report: dict, metrics: list[dict]) -> list[str]:
        frames = report["frames"]
        paragraphs = [
            f"**Data**: MNIST digits, {frames['train']:,} for training, {frames['val']:,} for "
            f"validation and {frames['test']:,} for test ({report['source']})."
        ]
        bullets = []
        unsupervised = [m for m in metrics if "test_accuracy" not in m]
        for dim, pca, others in by_dimension(unsupervised):
            best = min([pca, *others], key=lambda m: m["test_mse"])
            text = f"At **{dim}-D**, test error ÷ PCA's: {ratios(others, pca)}; "
            bullets += [text + f"best: {label(best['model'])}."]
            bullets += [v for v in [linear_verdict(others, pca)] if v]
        paragraphs.append("\n".join(f"* {b}" for b in bullets))
        if report["source"].startswith("fallback"):
            caveat = (
                f"only the 10,000 MNIST test digits were at hand, so the models trained on "
                f"{frames['train']:,} digits, not the standard 60,000: errors are higher "
                f"than published ones, and the ranking may differ. The autoencoders' numbers "
                f"are {seeds_phrase(unsupervised)}."
            )
        else:
            caveat = f"the autoencoders' numbers are {seeds_phrase(unsupervised)}."
        return [*paragraphs, f"**Main caveat**: {caveat}"]

    def check(self, name: str, ds: dict, config: dict) -> None:
        for key in ("latent_dims", "supervised"):
            dims = ds[key] if key == "latent_dims" else ds[key]["latent_dims"]
            if any(d >= PIXELS for d in dims):
                raise InputError(
                    f"config: datasets.{name}.{key}: latent dims must be below {PIXELS}"
                )
        interpolation = ds.get("interpolation", {})
        if interpolation and interpolation["latent_dim"] not in ds["latent_dims"]:
            raise InputError(
                f"config: datasets.{name}.interpolation.latent_dim: "
                f"{interpolation['latent_dim']} is not in its latent_dims"
            )

    def check_path(self, path: Path, where: str, relative: str, ds: dict) -> None:
        if not path.is_dir():
            raise InputError(
                f"{where}: no such folder{relative}; it should hold the MNIST IDX files "
                f"(`killipose fetch-mnist {shlex.quote(ds['path'])}` downloads them)"
            )


def probe_accuracy(model: LatentModel, data: Digits) -> float:
    """Test accuracy of a logistic regression that reads the class from ``model``'s code.

    Fitted on the codes of the training samples (standardised), scored on the test
    samples' codes: how much of the class the unsupervised code keeps.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    probe.fit(model.transform(data.matrix("train")), data.labels("train"))
    return float(probe.score(model.transform(data.matrix("test")), data.labels("test")))


DIGITS = DigitsKind()
