"""The report's landing page: what the run found, from its own numbers."""

import json
import re

import pytest
import yaml

from killipose import jobs
from killipose.cli import main
from killipose.config import dataset_settings, validate_config
from killipose.datasets import DIGITS, POSE
from killipose.metrics import mean_over_seeds
from killipose.models import MODELS
from tests.helpers import ROOT

KEYPOINTS = ("snout", "tail", "fan")


def fit(model, mse, seed=0, dim=4, px=None, kept=False, kind="pose"):
    """A fit's metrics.json as `killipose fit` writes it (only what findings read)."""
    m = {"kind": kind, "model": model, "latent_dim": dim, "test_mse": mse, "seed": seed}
    if kind == "pose":
        m["test_rmse_px"] = 10 * mse
        m["test_error_px"] = dict(zip(KEYPOINTS, px or (1.0, 1.0, 1.0), strict=True))
    if model != "pca":
        m["kept_start"] = kept
    return m


def report(**extra):
    base = {
        "kind": "pose",
        "source": "data/mouse.h5",
        "read": {"format": "deeplabcut", "individual": "m2", "individuals": 2},
        "input_frames": 12_000,
        "fps": 20.0,
        "frames": {"valid": 11_500, "test": 1_150},
    }
    return base | extra


def fish_fits(linear=(0.1001, 0.1003, 0.1002), nonlinear=(0.05, 0.06, 0.07), kept=False):
    fits = [fit("pca", 0.1, px=(1.0, 2.0, 3.0))]
    fits += [fit("linear", v, seed=s) for s, v in enumerate(linear)]
    fits += [
        fit("nonlinear", v, seed=s, px=(1.1, 1.0, 1.2), kept=kept) for s, v in enumerate(nonlinear)
    ]
    return fits


def test_pose_findings_give_ratios_with_spread_the_linear_verdict_and_the_gain():
    text = "\n\n".join(POSE.findings(report(), mean_over_seeds(fish_fits())))
    assert "``data/mouse.h5`` (read as deeplabcut, animal 'm2' of 2)" in text
    assert "12,000 frames read, 11,500 usable" in text
    assert "the last 1,150 usable frames (1.0 min)" in text
    # mean and sd over the seeds, over PCA's error: 0.06 ± 0.01 -> 0.600 ± 0.100
    assert "mean ± sd over 3 seeds): linear AE 1.002 ± 0.001, nonlinear AE 0.600 ± 0.100" in text
    assert "Test RMSE: PCA 1.000 px, linear AE 1.002 px, nonlinear AE 0.600 px" in text
    assert "The linear AE matched PCA (1.0020 times" in text
    # the largest relative gains first (fan 3.0 -> 1.2, tail 2.0 -> 1.0), least at snout
    assert "largest at fan 3.00 → 1.20 px, tail 2.00 → 1.00 px; least at snout (1.00 → 1.10" in text


def test_pose_findings_say_when_the_linear_ae_falls_short_and_nothing_beats_pca():
    fits = fish_fits(linear=(0.102, 0.102, 0.102), nonlinear=(0.1, 0.1, 0.1), kept=True)
    # on synthetic data too: the fits that stayed PCA matter more than how it was made
    synthetic = report(synthetic={"generator": "g", "seed": 0, "frames": 100, "fps": 20.0})
    text = "\n\n".join(POSE.findings(synthetic, mean_over_seeds(fits)))
    assert "The linear AE did **not** reach PCA (1.020 times" in text
    assert "No model beat PCA by more than 1% at 4-D." in text
    assert "**Main caveat**: training did not beat PCA on the validation block for " in text
    assert "nonlinear AE at 4-D (100% of fits)" in text


def test_pose_findings_on_synthetic_data_give_the_error_against_the_truth_and_the_floor():
    truth = {"pca": 1.2, "linear": (1.21, 1.23, 1.22), "nonlinear": (0.5, 0.6, 0.4)}
    fits = fish_fits()
    for m in fits:
        error = truth[m["model"]]
        error = error if m["model"] == "pca" else error[m["seed"]]
        m |= {"truth_test_error_px": error, "noise_floor_px": 0.754}
    synthetic = report(synthetic={"generator": "g", "seed": 0, "frames": 100, "fps": 20.0})
    text = "\n\n".join(POSE.findings(synthetic, mean_over_seeds(fits)))
    # seeds averaged: the nonlinear AE's mean 0.5 px, the linear AE's 1.22 px
    assert (
        "Against the noise-free pose (mean keypoint error): PCA 1.20 px, linear AE 1.22 px, "
        "nonlinear AE 0.50 px; tracker noise floor 0.75 px (the tracked data's own error "
        "against it); below it, nearer the true pose than the tracked data: nonlinear AE."
    ) in text
    for m in fits:
        m["truth_test_error_px"] = 0.755  # just above the floor
    text = "\n\n".join(POSE.findings(synthetic, mean_over_seeds(fits)))
    assert "0.76 px; tracker noise floor 0.75 px" in text
    assert "no model is below it" in text
    # a user's file has no truth, and the findings say nothing of one
    text = "\n\n".join(POSE.findings(report(), mean_over_seeds(fish_fits())))
    assert "noise-free" not in text and "noise floor" not in text


@pytest.mark.parametrize(
    ("extra", "seeds", "caveat"),
    [
        (
            {"synthetic": {"generator": "g", "seed": 5, "frames": 1000, "fps": 20.0}},
            3,
            "the data are synthetic",
        ),
        ({}, 1, "each autoencoder was fitted with one seed"),
        ({}, 3, "every error is measured on the test block"),
    ],
)
def test_pose_findings_state_the_data_and_the_main_caveat(extra, seeds, caveat):
    fits = fish_fits(linear=(0.1,) * seeds, nonlinear=(0.05,) * seeds)
    paragraphs = POSE.findings(report(**extra), mean_over_seeds(fits))
    assert paragraphs[-1].startswith(f"**Main caveat**: {caveat}")
    if extra:
        assert "made by ``g`` (seed 5, camera frames up to 1,000 at 20 fps)" in paragraphs[0]


def test_digit_findings_per_dimension_and_the_fallback_caveat():
    fits = [
        fit(m, v, dim=d, kind="mnist")
        for d in (2, 10)
        for m, v in (("pca", 0.05), ("linear", 0.06), ("nonlinear", 0.04))
    ]
    fits.append(fit("supervised-linear", 0.01, dim=10, kind="mnist") | {"test_accuracy": 0.9})
    digits = {
        "kind": "mnist",
        "source": "fallback: the 10,000 test digits only",
        "frames": {"train": 8000, "val": 1001, "test": 999},
    }
    text = "\n\n".join(DIGITS.findings(digits, mean_over_seeds(fits)))
    assert "8,000 for training, 1,001 for validation and 999 for test (fallback" in text
    for dim in (2, 10):
        ratios = "linear AE 1.200, nonlinear AE 0.800; best: nonlinear AE."
        assert f"At **{dim}-D**, test error ÷ PCA's: {ratios}" in text
    assert (
        "supervised" not in text.split("**Main caveat**")[0]
    )  # not an autoencoder of pixels alone
    assert "trained on 8,000 digits, not the standard 60,000" in text


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return str(path)


def test_findings_command_writes_the_page_in_the_order_given_and_the_software(tmp_path):
    files = [write(tmp_path / "zebra/clean/report.json", report())]
    for f in fish_fits():
        seed = "" if f["seed"] == 0 else f"/seed-{f['seed']}"
        files.append(write(tmp_path / f"zebra/models/{f['model']}-4d{seed}/metrics.json", f))
    files.append(write(tmp_path / "alpha/clean/report.json", report(source="other.csv")))
    files.append(write(tmp_path / "alpha/models/pca-4d/metrics.json", fit("pca", 0.2)))
    page, meta = tmp_path / "findings.rst", tmp_path / "meta.yaml"
    link = "zebra=results/zebra/figures/latents-pca 4d.png"
    main(["findings", str(page), "--metadata", str(meta), "--link", link, *files])
    text = page.read_text()
    assert text.startswith("What this run found\n===================\n")
    assert text.index("zebra\n-----") < text.index("alpha\n-----")  # the order given
    assert "nonlinear AE 0.600 ± 0.100" in text.split("alpha\n")[0]
    assert "``other.csv``" in text.split("alpha\n")[1]
    # one click to the figure: the report's own link to a result, by its path
    js = "javascript:app.showResultInfo('results/zebra/figures/latents-pca%204d.png')"
    assert f"**Open**: `latents-pca 4d <{js}>`__" in text.split("alpha\n")[0]
    assert "**Open**" not in text.split("alpha\n")[1]
    assert "*pose*: MSE is the mean squared error" in text
    assert re.search(r"\*\*Made with\*\* python [\d.]+, killipose .*, torch .*; summarised", text)
    # one level of numbers, as Snakemake's landing page shows them
    assert yaml.safe_load(meta.read_text()) == {
        "datasets": 2,
        "fits (models x dimensions x seeds)": 8,
    }


def test_findings_command_needs_each_datasets_report(tmp_path, capsys):
    metrics = write(tmp_path / "fish/models/pca-4d/metrics.json", fit("pca", 0.1))
    assert main(["findings", str(tmp_path / "f.rst"), metrics]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("fish: give its clean/report.json once among the files")
    assert not (tmp_path / "f.rst").exists()


def test_the_workflow_reads_every_fit_and_opens_the_report_on_the_findings(tmp_path, monkeypatch):
    fish = {
        "kind": "pose",
        "path": "fish.csv",
        "models": ["pca", "nonlinear"],
        "latent_dims": [2, 4],
    }
    config = {"run": ["fish"], "datasets": {"fish": fish}, "seeds": 2}
    validate_config(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")
    files = jobs.findings_inputs(config)
    assert files[0] == "results/fish/clean/report.json"
    assert "results/fish/models/nonlinear-4d/seed-1/metrics.json" in files
    assert "results/fish/models/pca-2d/metrics.json" in files
    assert len(files) == 1 + 2 * (1 + 2)  # PCA once, the AE per seed, at each dim
    assert jobs.FINDINGS in jobs.all_outputs(config)
    monkeypatch.chdir(tmp_path)
    assert jobs.landing_page("workflow.rst") == "workflow.rst"
    (tmp_path / "results").mkdir()
    (tmp_path / jobs.FINDINGS).write_text("found")
    assert jobs.landing_page("workflow.rst") == str(tmp_path / jobs.FINDINGS)


def test_report_links_and_model_labels_put_models_in_the_registrys_order():
    fish = {"kind": "pose", "path": "fish.csv", "models": ["nonlinear", "pca", "linear"]}
    config = {"run": ["fish"], "datasets": {"fish": fish}}
    validate_config(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")
    links = jobs.report_links(config).split()
    assert "fish=results/fish/metrics-4d.html" in links
    assert "fish=results/fish/animations/reconstruction-4d.html" in links
    assert not [link for link in links if link.endswith(".mp4")]  # the pages show them
    labels = jobs.model_labels("latent trajectory")
    shown = sorted(labels(Wildcards(m, "4"))["model"] for m in fish["models"])
    assert shown == ["1. PCA", "2. linear AE", "3. nonlinear AE"]  # sorted as the menu does
    assert labels(Wildcards("vae", "2")) == {
        "figure": "latent trajectory",
        "model": "4. VAE",
        "latent dim": "2",
    }


class Wildcards:
    def __init__(self, model, dim):
        self.model, self.dim = model, dim


def test_every_job_sees_the_models_in_the_registrys_order():
    fish = {"kind": "pose", "path": "fish.csv", "models": ["vae", "nonlinear", "pca", "linear"]}
    config = {"run": ["fish"], "datasets": {"fish": fish}}
    validate_config(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")
    assert dataset_settings(config, "fish")["models"] == ["pca", "linear", "nonlinear", "vae"]


def test_every_model_says_what_it_assumes():
    lines = jobs.assumptions(list(MODELS))
    assert len(lines) == len(MODELS) and all(len(line) > 40 for line in lines)
    assert lines[0].startswith("PCA: a linear code")
