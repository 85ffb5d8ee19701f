import json

import numpy as np
import pandas as pd
import pytest

from killipose import clean_table, make_killifish_table
from killipose import report as kp_report
from killipose.metrics import mean_over_seeds
from killipose.video import render_reconstruction


def fit_metrics(model, mse, seed=0, dim=4):
    return {
        "model": model,
        "latent_dim": dim,
        "train_mse": mse,
        "val_mse": mse,
        "test_mse": mse,
        "explained_variance": 1 - mse,
        "test_error_px": {"head": 10 * mse, "tail": 20 * mse},
        "n_train": 8,
        "n_val": 1,
        "n_test": 1,
        "epochs_run": 3 + seed,
        "fit_seconds": 1.0,
        "seed": seed,
    }


def test_seeds_are_averaged_with_their_spread_and_the_winner_is_named(tmp_path):
    fits = [fit_metrics("pca", 1.0, s) for s in (0, 1, 2)]
    fits += [
        fit_metrics("nonlinear", e, s) | {"kept_start": s == 2}
        for s, e in ((0, 0.5), (1, 0.6), (2, 0.7))
    ]
    fits += [fit_metrics("linear", e, s) for s, e in ((0, 1.0), (1, 1.0), (2, 1.03))]
    means = mean_over_seeds(fits)
    assert [m["model"] for m in means] == ["pca", "nonlinear", "linear"]
    nonlinear = means[1]
    assert nonlinear["test_mse"] == pytest.approx(0.6)
    assert nonlinear["test_mse_sd"] == pytest.approx(0.1)
    assert nonlinear["test_mse_seeds"] == [0.5, 0.6, 0.7]
    assert nonlinear["seed"] == [0, 1, 2]
    assert nonlinear["test_error_px"] == pytest.approx({"head": 6.0, "tail": 12.0})
    assert nonlinear["epochs_run"] == pytest.approx(4.0) and nonlinear["n_train"] == 8
    table = kp_report.metrics_table(means)
    assert list(table["model"]) == ["pca", "linear", "nonlinear"]
    np.testing.assert_allclose(table["test_mse / PCA"], [1.0, 1.01, 0.6])
    assert list(table["seed"]) == ["0 1 2"] * 3
    assert kp_report.winners(table) == [
        "At 4-D the nonlinear AE has the lowest test MSE, 0.6 (mean of 3 seeds, sd 0.1), "
        "0.60 times PCA's; the next best, PCA, has 1.67 times its error."
    ]
    kp_report.write_metrics_table(means, tmp_path / "m.csv", tmp_path / "m.html", "fish")
    page = (tmp_path / "m.html").read_text()
    assert "At 4-D the nonlinear AE has the lowest test MSE" in page
    assert "6.00e-01 ± 1.0e-01" in page
    assert nonlinear["kept_start"] == pytest.approx(1 / 3)
    assert "<th>kept PCA</th>" in page and "<td>33%</td>" in page


def test_metrics_table_orders_models_and_gives_the_ratio_to_pca():
    metrics = [
        {
            "model": m,
            "latent_dim": 4,
            "train_mse": e,
            "val_mse": e,
            "test_mse": e,
            "explained_variance": 1 - e,
            "n_train": 8,
            "n_val": 1,
            "n_test": 1,
            "epochs_run": 3,
            "fit_seconds": 1.0,
            "seed": 0,
        }
        for m, e in (("nonlinear", 0.5), ("pca", 1.0), ("linear", 1.01))
    ]
    table = kp_report.metrics_table(metrics)
    assert list(table["model"]) == ["pca", "linear", "nonlinear"]
    np.testing.assert_allclose(table["test_mse / PCA"], [1.0, 1.01, 0.5])


def test_the_metrics_table_of_synthetic_data_has_the_errors_against_the_truth(tmp_path):
    fits = [fit_metrics("pca", 1.0), fit_metrics("nonlinear", 0.5)]
    kp_report.write_metrics_table(fits, tmp_path / "a.csv", tmp_path / "a.html", "fish")
    assert "vs truth" not in (tmp_path / "a.html").read_text()  # a user's data: no truth
    for m, px in zip(fits, (0.93, 0.61), strict=True):
        m |= {"truth_test_error_px": px, "truth_test_mse": px / 1e4}
        m |= {"noise_floor_px": 0.7634, "noise_floor_mse": 7.8e-5}
    kp_report.write_metrics_table(fits, tmp_path / "m.csv", tmp_path / "m.html", "fish")
    csv = pd.read_csv(tmp_path / "m.csv")
    assert list(csv["truth_test_error_px"]) == [0.93, 0.61]
    assert list(csv["noise_floor_mse"]) == [7.8e-5, 7.8e-5]
    page = (tmp_path / "m.html").read_text()
    assert "<th>vs truth (px)</th>" in page and "<td>0.610</td>" in page
    assert "<th>noise floor (px)</th>" in page and "<td>0.763</td>" in page


def test_cleaning_summary_says_the_data_are_synthetic(tmp_path):
    clean = clean_table(make_killifish_table(frames=2000, seed=0))
    assert clean.report["synthetic"]["seed"] == 0
    json.dumps(clean.report)  # the report is JSON as it is
    kp_report.write_cleaning_summary(clean.report, tmp_path / "s.html", "fish.parquet")
    page = (tmp_path / "s.html").read_text()
    assert "Synthetic data" in page and "sidebody" in page and "all NaN" in page


def test_video_page_fits_a_report_page(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    poses = np.cumsum(rng.normal(0, 3, (60, 4, 2)), axis=0) + 100
    video = render_reconstruction(
        {"original": poses, "model": poses + rng.normal(0, 2, poses.shape)},
        ["a", "b", "c", "d"],
        np.arange(60),
        np.arange(60) / 20,
        tmp_path / "v.mp4",
    )
    size = video.stat().st_size
    monkeypatch.setattr(kp_report, "MAX_EMBEDDED_VIDEO_BYTES", size // 2)
    kp_report.write_video_page(video, tmp_path / "v.html", "video")
    page = (tmp_path / "v.html").read_text()
    assert "Compressed for this page" in page
    assert len(page) < size  # base64 of a video under half the size
    monkeypatch.setattr(kp_report, "MAX_EMBEDDED_VIDEO_BYTES", 10 * size)
    kp_report.write_video_page(video, tmp_path / "w.html", "video")
    assert "Compressed" not in (tmp_path / "w.html").read_text()
