"""End-to-end runs of the Snakemake workflow on small tables (marked slow)."""

import json
import shutil
from html import escape
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pandas as pd
import pytest
import yaml

from tests.helpers import (
    ROOT,
    TEST_CONFIG,
    assert_drawn,
    make_pose_table,
    readme_config,
    snakemake,
    workdir,
)

#: The small run's settings (`.test/config/config.yaml`) to build other runs on: its
#: training and window, not its dataset.
SMALL = {
    k: v for k, v in yaml.safe_load(TEST_CONFIG.read_text()).items() if k not in ("run", "datasets")
}


@pytest.mark.slow(seconds=200)
def test_default_workflow_on_a_small_synthetic_fish(small_run):
    cwd = small_run  # the run and its report, shared with the report's browser test
    out = cwd / "results" / "killifish"

    table = pd.read_parquet(out / "synthetic.parquet")
    assert len(table) < 20001 and table["frame_count"].iloc[-1] == 20000
    report = json.loads((out / "clean" / "report.json").read_text())
    assert set(report["dropped_columns"]) == {"x_sidebody", "y_sidebody"}
    assert report["nan_fraction"]["x_sidebody"] == 1.0
    for key in ("gaps_filled", "frames_excluded", "normalisation", "steps"):
        assert key in report

    metrics = {
        m: json.loads((out / "models" / f"{m}-4d" / "metrics.json").read_text())
        for m in ("pca", "linear", "nonlinear")
    }
    for m in metrics.values():
        assert m["n_train"] + m["n_val"] + m["n_test"] == report["frames"]["valid"]
        assert m["explained_variance"] > 0.99
        assert 0 < m["test_rmse_px"] < 5
        assert set(m["test_error_px"]) == {"snout", "midbody", "endbody", "tail", "fan"}
    # PCA is the best linear autoencoder: a trained linear AE reaches it.
    assert metrics["linear"]["test_mse"] <= 1.02 * metrics["pca"]["test_mse"]
    assert metrics["linear"]["test_mse"] >= 0.98 * metrics["pca"]["test_mse"]
    # Synthetic data: the fish's noise-free pose in the same rows, and every fit scored
    # against it; the floor, the tracked data's own error, is the tracker's 0.6 px noise.
    truth = pd.read_parquet(out / "synthetic-truth.parquet")
    pd.testing.assert_series_equal(truth["frame_count"], table["frame_count"])
    floors = {m["noise_floor_px"] for m in metrics.values()}
    assert len(floors) == 1 and 0.7 < floors.pop() < 0.85
    for m in metrics.values():
        assert 0 < m["truth_test_error_px"] < 2 and m["truth_test_mse"] > 0

    latent = pd.read_parquet(out / "models" / "nonlinear-4d" / "latent.parquet")
    assert list(latent.columns[-4:]) == ["z1", "z2", "z3", "z4"]
    assert len(latent) == len(table)

    video = out / "animations" / "reconstruction-4d.mp4"
    reader = imageio_ffmpeg.read_frames(str(video))
    meta = next(reader)
    assert sum(1 for _ in reader) == 120
    assert meta["fps"] == pytest.approx(20, rel=0.01)
    # The config names no start: the video shows frames of the test block, and says so.
    window = json.loads((out / "animations" / "window-4d.json").read_text())
    clean = pd.read_parquet(out / "clean" / "table.parquet")
    test_rows = np.flatnonzero(clean["split"] == "test")
    assert window["test_rows"] == [test_rows[0], test_rows[-1]]
    assert test_rows[0] <= window["start"] <= test_rows[-1] - 119
    page = (out / "animations" / "reconstruction-4d.html").read_text()
    assert escape(window["why"]) in page
    for name, panels in (
        ("qc-missing.png", 1),
        ("comparison-4d.png", 4),  # MSE, RMSE, error per keypoint, against the truth
        ("latents-4d.png", 3),  # a column per model
        ("latents-pca-4d.png", 3),  # traces and two planes
        ("latents-linear-4d.png", 3),
        ("latents-nonlinear-4d.png", 3),
    ):
        assert_drawn(out / "figures" / name, panels)
    csv = pd.read_csv(out / "metrics-4d.csv")
    assert list(csv["model"]) == ["pca", "linear", "nonlinear"]

    html = (cwd / "report.html").read_text()
    assert "reconstruction-4d.html" in html and "comparison-4d.png" in html
    # The landing page, by the default profile: what the run found, from its numbers (with
    # the profile's list of numbers, Snakemake shows the rule graph on the Workflow page
    # only), and pages taller than the window show from their top.
    assert "What this run found" in html and "times its test error" in html  # linear vs PCA
    assert "align-items: safe center" in html
    # the captions say what each model assumes, the fold's match to the synthetic fish too
    assert "which is how the synthetic fish is made" in html
    assert "a synthetic table made by" in html
    assert "Against the noise-free pose (mean keypoint error): PCA " in html
    assert "The dashed line is the tracker noise" in html  # the comparison's caption
    assert "javascript:app.showResultInfo('results/killifish/figures/comparison-4d.png')" in html
    assert 'var metadata = {"datasets": 1, "fits (models x dimensions x seeds)": 3}' in html


@pytest.mark.slow(seconds=110)
def test_any_table_of_this_shape_runs_through_a_configfile(tmp_path):
    cwd = workdir(tmp_path)
    names = ("nose", "neck", "hip", "tailbase")
    table = make_pose_table(n=6000, keypoints=names, fps=30.0, seed=3)
    table.insert(0, "animal_id", "mouse-7")  # extra non-keypoint column
    table.insert(1, "likelihood", 0.9)
    rng = np.random.default_rng(0)
    table.loc[rng.random(len(table)) < 0.98, ["x_tailbase", "y_tailbase"]] = np.nan  # 98% NaN
    # Paths with spaces and shell syntax reach the commands as they are and run nothing.
    folder = Path("my data; touch PWNED $(touch PWNED2) 'q\"")
    csv, parquet = folder / "mouse `touch PWNED3` & x.csv", folder / "mouse > PWNED4 *.parquet"
    (cwd / folder).mkdir()
    table.to_csv(cwd / csv, index=False)
    table.drop(columns="frame_timestamp").to_parquet(cwd / parquet)
    before = (cwd / csv).read_bytes()
    config = dict(
        SMALL,
        # Plumbing, not science: short fits.
        train=SMALL["train"] | {"epochs": 5, "patience": 5},
        model_params={
            "linear": {"min_steps": 500},
            "vae": {"hidden": [16, 16]},
        },
        run=["mouse_csv", "mouse_pq"],
        analyses=[],  # the default fish's test draws them
        datasets={
            # The table's reading is what this dataset tests (quick fits), and two seeds:
            # the second seed's fit gets its own folder and joins the table; PCA, which
            # uses no randomness, is fitted once.
            "mouse_csv": {
                "kind": "pose",
                "path": str(csv),
                "models": ["pca", "linear"],
                "seeds": 2,
            },
            "mouse_pq": {
                "kind": "pose",
                "path": str(parquet),
                "fps": 30,
                "keypoints": ["nose", "neck", "hip"],
                "latent_dims": [2],
                # and the VAE, whose random walk becomes a video of generated poses (the
                # nonlinear AE is run on the fish and the tracker file, the linear AE on
                # the CSV)
                "models": ["pca", "vae"],
            },
        },
    )
    (cwd / "mouse.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(cwd, "--configfile", "mouse.yaml", step="workflow_any_table")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not [*tmp_path.rglob("PWNED*"), *ROOT.glob("PWNED*"), *Path.cwd().glob("PWNED*")]
    assert (cwd / csv).read_bytes() == before  # the input is never modified
    report = json.loads((cwd / "results/mouse_csv/clean/report.json").read_text())
    assert report["source"] == str(csv)
    assert set(report["dropped_columns"]) == {"x_tailbase", "y_tailbase"}
    assert report["features"] == ["x_nose", "y_nose", "x_neck", "y_neck", "x_hip", "y_hip"]
    assert report["fps"] == pytest.approx(30.0)
    metrics = json.loads((cwd / "results/mouse_pq/models/vae-2d/metrics.json").read_text())
    assert metrics["latent_dim"] == 2 and set(metrics["test_error_px"]) == {"nose", "neck", "hip"}
    assert "noise_floor_px" not in metrics  # a user's table has no noise-free pose
    assert (cwd / "results/mouse_csv/animations/reconstruction-4d.mp4").is_file()
    models = cwd / "results/mouse_csv/models"
    assert json.loads((models / "linear-4d/seed-1/metrics.json").read_text())["seed"] == 1
    assert not (models / "pca-4d/seed-1").exists()
    table = pd.read_csv(cwd / "results/mouse_csv/metrics-4d.csv").set_index("model")
    assert list(table["seed"].astype(str)) == ["0", "0 1"]
    assert table.loc["linear", "test_mse_sd"] > 0
    assert (cwd / "results/mouse_pq/animations/reconstruction-2d.mp4").is_file()
    walk = cwd / "results/mouse_pq/animations/vae-walk-2d.mp4"
    reader = imageio_ffmpeg.read_frames(str(walk))
    next(reader)
    assert sum(1 for _ in reader) == 200
    assert "generated" in (cwd / "results/mouse_pq/animations/vae-walk-2d.html").read_text()


@pytest.mark.slow(seconds=110)
def test_mnist_through_the_same_fit_and_embed_stages(tmp_path):
    cwd = workdir(tmp_path)
    shutil.copytree(ROOT / "data" / "mnist", cwd / "data" / "mnist")
    config = {
        "run": ["mnist"],
        "datasets": {
            "mnist": {
                "kind": "mnist",
                "path": "data/mnist",
                # One code size: the stages and figures are the subject, not the science
                # (test_mnist checks that on the digits). The VAE stands for the
                # autoencoders: the same MLP through the same stages (the fish runs the
                # linear and nonlinear AEs).
                "models": ["pca", "vae"],
                "latent_dims": [2],
                "supervised": {"models": ["supervised-linear"], "latent_dims": [2]},
                "interpolation": {"latent_dim": 2, "digits": [3, 8]},
                "train": {"epochs": 3, "batch_size": 512, "lr": 0.001, "patience": 3},
                "model_params": {
                    "vae": {"hidden": [64], "output": "sigmoid", "epochs": 3},
                },
            }
        },
    }
    (cwd / "mnist.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(cwd, "--configfile", "mnist.yaml", step="workflow_mnist")
    assert result.returncode == 0, result.stderr[-3000:]
    out = cwd / "results" / "mnist"
    for name, panels in (
        ("error-vs-dim.png", 3),  # MSE, probe accuracy, fit time
        ("reconstructions.png", 1),
        ("encoder-map-2d.png", 2),  # a map per unsupervised model
        ("decoder-grid-2d.png", 2),
        ("interpolation-2d.png", 1),
        ("vae-samples.png", 1),
        ("vae-grid-2d.png", 1),
    ):
        assert_drawn(out / "figures" / name, panels)
    table = pd.read_csv(out / "metrics.csv")
    assert sorted(zip(table["model"], table["latent_dim"], strict=True)) == sorted(
        [(m, 2) for m in ("pca", "vae", "supervised-linear")]
    )
    # Every code is probed for the digit's class.
    assert table["probe_accuracy"].between(0.1, 1).all()
    sup = json.loads((out / "models" / "supervised-linear-2d" / "metrics.json").read_text())
    assert 0.1 < sup["test_accuracy"] <= 1
    assert sup["data"].startswith("fallback: the 10,000 test digits")
    latent = pd.read_parquet(out / "models" / "pca-2d" / "latent.parquet")
    assert len(latent) == 10_000 and {"label", "z1", "z2"} <= set(latent.columns)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        # the schema
        ({"train": {"epochs": -1}}, "config: train.epochs: -1 is less than the minimum of 1"),
        # the input files (checked after how the parts fit together, in the same place)
        (
            {"run": ["fish"], "datasets": {"fish": {"kind": "pose", "path": "my fish.csv"}}},
            "config: datasets.fish.path: my fish.csv: no such file (relative to {cwd})",
        ),
    ],
)
def test_bad_config_stops_at_start_with_one_line_naming_the_key(tmp_path, config, message):
    cwd = workdir(tmp_path)
    (cwd / "bad.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(cwd, "--configfile", "bad.yaml", "-n", step="workflow_bad_config")
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("killipose: error:")]
    assert lines == [f"killipose: error: {message.format(cwd=cwd.resolve())}"]
    assert "Traceback" not in result.stderr and "Error" not in result.stderr
    assert not (cwd / "results").exists()


@pytest.mark.slow(seconds=100)
def test_a_real_tracker_file_runs_through_the_workflow_to_the_report(tmp_path):
    """DeepLabCut's own open-field predictions (H5) with the README's config, posture only."""
    cwd = workdir(tmp_path)
    config = readme_config("mouse.yaml")
    source = Path(config["datasets"]["mouse"]["path"])
    (cwd / source).parent.mkdir(parents=True)
    shutil.copy(ROOT / source, cwd / source)
    before = (cwd / source).read_bytes()
    # Plumbing, not science: the file's reading is tested, so PCA and one short AE fit.
    short = dict(
        SMALL,
        models=["pca", "nonlinear"],
        train=SMALL["train"] | {"epochs": 5, "patience": 5},
        model_params={"nonlinear": {"hidden": [16, 16], "min_steps": 300}},
        analyses=["traversal"],  # on a real recording; the others on the default fish
    )
    (cwd / "mouse.yaml").write_text(yaml.safe_dump(config))
    (cwd / "short.yaml").write_text(yaml.safe_dump(short))
    args = ("--configfile", "mouse.yaml", "short.yaml")
    result = snakemake(cwd, *args, step="workflow_tracker_file")
    assert result.returncode == 0, result.stderr[-3000:]
    result = snakemake(cwd, *args, "--report", "report.html", step="workflow_report")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (cwd / source).read_bytes() == before
    report = json.loads((cwd / "results/mouse/clean/report.json").read_text())
    assert report["read"] == {"format": "deeplabcut", "individual": "animal", "individuals": 1}
    assert report["confidence"]["min_confidence"] == 0.6
    assert report["features"] == [
        f"{a}_{k}" for k in ("snout", "leftear", "rightear", "tailbase") for a in "xy"
    ]
    table = pd.read_parquet(cwd / "results/mouse/clean/table.parquet")
    assert {"origin_x", "origin_y", "heading"} <= set(table.columns)
    for model in ("pca", "nonlinear"):
        metrics = json.loads((cwd / f"results/mouse/models/{model}-4d/metrics.json").read_text())
        assert set(metrics["test_error_px"]) == {"snout", "leftear", "rightear", "tailbase"}
    assert (cwd / "results/mouse/animations/reconstruction-4d.mp4").stat().st_size > 10_000
    assert (cwd / "report.html").stat().st_size > 100_000
