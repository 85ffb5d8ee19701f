import json

import numpy as np

from killipose import clean_table, make_killifish_table
from killipose import report as kp_report
from killipose.animation import render_reconstruction


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
