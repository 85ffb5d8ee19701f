"""Comparison figures: models in the registry's order and colours, bars of the right
height and label, a log scale only when the errors are orders of magnitude apart."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from killipose import clean_table, models
from killipose.metrics import pca_by_dimension
from killipose.plots import MODEL_COLOURS
from killipose.plots.comparison import (
    duration,
    error_vs_dim_figure,
    model_comparison_figure,
    room_figure,
)

KEYPOINTS = ["head", "body", "tail"]


def pose_metrics(model: str, mse: float, seeds=(), seconds=None) -> dict:
    """What a fit reports: RMSE 30 times the MSE, keypoint errors 1, 2, 3 times it."""
    m = {
        "model": model,
        "test_mse": mse,
        "test_rmse_px": 30 * mse,
        "test_error_px": {k: mse * (i + 1) for i, k in enumerate(KEYPOINTS)},
    }
    if seeds:
        m["test_mse_seeds"] = list(seeds)
    if seconds is not None:
        m["fit_seconds"] = seconds
    return m


def heights(ax) -> list[float]:
    return [bar.get_height() for bar in ax.patches]


def colours(ax) -> list[str]:
    return [to_hex(bar.get_facecolor()) for bar in ax.patches]


def numbers(ax) -> list[str]:
    """The numbers written over the bars."""
    return [t.get_text() for t in ax.texts]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.44, "0.4 s"), (9.94, "9.9 s"), (10.0, "10 s"), (119.4, "119 s"), (120.0, "2.0 min")],
)
def test_duration_at_its_boundaries(seconds, text):
    assert duration(seconds) == text


def test_comparison_shows_models_in_the_registry_order_with_their_colours():
    given = [pose_metrics("nonlinear", 0.02), pose_metrics("pca", 0.04), pose_metrics("x", 0.05)]
    fig = model_comparison_figure(given, "fish")
    ax_mse, ax_px, ax_kp = fig.axes
    registry = ["#1f77b4", "#2ca02c", "#777777"]  # PCA, nonlinear AE, then unknown names
    assert [MODEL_COLOURS["pca"], MODEL_COLOURS["nonlinear"]] == registry[:2]
    assert heights(ax_mse) == [0.04, 0.02, 0.05] and colours(ax_mse) == registry
    assert [t.get_text() for t in ax_mse.get_xticklabels()] == ["PCA", "nonlinear\nAE", "x"]
    assert numbers(ax_mse) == ["1.00 x", "0.50 x", "1.25 x"]  # ratios to the first, PCA
    assert ax_mse.get_title() == "test MSE, as a ratio to PCA"
    assert ax_mse.get_yscale() == "linear"
    assert heights(ax_px) == pytest.approx([1.2, 0.6, 1.5]) and colours(ax_px) == registry
    assert numbers(ax_px) == ["1.2", "0.6", "1.5"]
    # Per keypoint: the models' bars side by side at each keypoint, in the same order.
    assert [t.get_text() for t in ax_kp.get_xticklabels()] == KEYPOINTS
    np.testing.assert_allclose(
        heights(ax_kp), [0.04, 0.08, 0.12, 0.02, 0.04, 0.06, 0.05, 0.10, 0.15]
    )
    x = [bar.get_x() + bar.get_width() / 2 for bar in ax_kp.patches]
    np.testing.assert_allclose(x[:3], np.arange(3) - 0.8 / 3)  # PCA left of each keypoint
    np.testing.assert_allclose(x[3:6], np.arange(3), atol=1e-12)
    assert colours(ax_kp) == [c for c in registry for _ in KEYPOINTS]
    legend = ax_kp.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["PCA", "nonlinear AE", "x"]
    assert fig.get_suptitle() == "fish"


@pytest.mark.parametrize(("worst", "scale"), [(20.0, "linear"), (20.01, "log")])
def test_comparison_goes_log_when_errors_are_over_20_times_apart(worst, scale):
    metrics = [pose_metrics("pca", 1.0), pose_metrics("linear", worst)]
    (ax_mse, *_) = model_comparison_figure(metrics, "t").axes
    assert ax_mse.get_yscale() == scale
    # Ratios of 10 and more lose their decimals.
    assert numbers(ax_mse) == ["1.00 x", f"{worst:.0f} x"]


def test_comparison_shows_each_seed_beside_its_mean_and_each_fit_time():
    metrics = [
        pose_metrics("linear", 0.2, seeds=(0.1, 0.2, 0.3), seconds=9.94),
        pose_metrics("pca", 0.4, seeds=(0.4,), seconds=130.0),  # one seed: no dots
    ]
    ax_mse, ax_px, _ = model_comparison_figure(metrics, "t").axes
    (dots,) = ax_mse.lines
    np.testing.assert_array_equal(dots.get_xdata(), [1.25] * 3)  # beside linear, the 2nd bar
    np.testing.assert_array_equal(dots.get_ydata(), [0.1, 0.2, 0.3])
    assert ax_mse.get_title() == "test MSE, as a ratio to PCA\nmean of 3 seeds; dots: each seed"
    for ax in (ax_mse, ax_px):
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert ticks == ["PCA\n2.2 min", "linear\nAE\n9.9 s"]


def test_comparison_of_many_models_is_wider_with_upright_numbers():
    names = ["pca", "linear", "nonlinear", "vae"]
    few = model_comparison_figure([pose_metrics(n, 1.0) for n in names[:3]], "t")
    many = model_comparison_figure([pose_metrics(n, 1.0) for n in names], "t")
    assert few.get_size_inches()[0] == 9.2 and many.get_size_inches()[0] == 9.2 + 1.4
    assert {t.get_rotation() for t in few.axes[0].texts} == {0}
    assert {t.get_rotation() for t in many.axes[0].texts} == {90}
    # More room above the keypoint bars, for a legend of more names.
    assert few.axes[2].margins()[1] == 0.1 and many.axes[2].margins()[1] == 0.35


def test_on_synthetic_data_a_panel_shows_the_error_against_the_truth_and_the_noise_floor():
    truth = {"pca": (0.9, 0.05), "linear": (0.95, 0.06), "nonlinear": (0.5, 0.02)}
    metrics = [pose_metrics(n, 1.0) for n in truth]
    for m in metrics:
        px, mse = truth[m["model"]]
        m |= {"truth_test_error_px": px, "truth_test_mse": mse}
        m |= {"noise_floor_px": 0.75, "noise_floor_mse": 0.03}
    fig = model_comparison_figure(metrics, "t")
    assert len(fig.axes) == 4
    ax = fig.axes[3]
    assert ax.get_title() == "against the noise-free pose"
    # against the tracked data (the mean of the keypoints' 1, 2, 3), then against the truth
    filled, hatched = ax.patches[:3], ax.patches[3:]
    assert [b.get_height() for b in filled] == [2.0, 2.0, 2.0]
    assert [b.get_height() for b in hatched] == [0.9, 0.95, 0.5]
    assert {b.get_hatch() for b in hatched} == {"////"} and not filled[0].get_hatch()
    assert [to_hex(b.get_edgecolor()) for b in hatched] == [MODEL_COLOURS[n] for n in truth]
    assert numbers(ax) == ["2.00", "2.00", "2.00", "0.90", "0.95", "0.50"]
    (floor,) = ax.lines
    np.testing.assert_array_equal(floor.get_ydata(), [0.75, 0.75])
    assert floor.get_linestyle() == "--"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "against the tracked data",
        "against the noise-free pose",
        "tracker noise (synthetic data): 0.75 px",
    ]
    assert fig.get_size_inches()[0] == pytest.approx(9.2 * 1.35)
    # a user's data (no truth), or fits of which one lacks it: the three panels alone
    for m in metrics[1:]:
        del m["truth_test_error_px"]
    assert len(model_comparison_figure(metrics, "t").axes) == 3


def dim_metrics() -> list[dict]:
    """Fits given out of order: nonlinear at 8, 2, 4; PCA at 4 and 2; one VAE at 4."""
    fits = [("nonlinear", 8), ("pca", 4), ("nonlinear", 2), ("vae", 4), ("pca", 2)]
    fits.append(("nonlinear", 4))
    return [{"model": m, "latent_dim": d, "test_mse": d / 100 + len(m)} for m, d in fits]


def test_error_vs_dim_has_a_line_per_model_sorted_by_dimension():
    fig = error_vs_dim_figure(dim_metrics(), "MNIST")
    (ax,) = fig.axes
    pca, nonlinear, vae = ax.lines  # the registry's order, not the order given
    np.testing.assert_array_equal(pca.get_xdata(), [2, 4])
    np.testing.assert_array_equal(pca.get_ydata(), [3.02, 3.04])
    np.testing.assert_array_equal(nonlinear.get_xdata(), [2, 4, 8])
    np.testing.assert_array_equal(nonlinear.get_ydata(), [9.02, 9.04, 9.08])
    assert (pca.get_linestyle(), vae.get_linestyle(), vae.get_marker()) == ("-", "None", "s")
    assert [to_hex(line.get_color()) for line in ax.lines] == [
        MODEL_COLOURS[n] for n in ("pca", "nonlinear", "vae")
    ]
    assert ax.get_xscale() == "log" and ax.xaxis.get_transform().base == 2
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "4", "8"]
    assert ax.get_ylabel() == "test MSE per pixel (pixels in [0, 1])"
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["PCA", "nonlinear AE", "VAE"]
    assert fig.get_suptitle() == "MNIST"


def test_error_vs_dim_adds_probe_and_fit_time_panels_when_fits_have_them():
    metrics = dim_metrics()
    for m in metrics:
        m |= {"probe_accuracy": m["latent_dim"] / 10, "fit_seconds": 2.0 * m["latent_dim"]}
    del metrics[1]["probe_accuracy"]  # PCA at 4 has no probe: only its 2-D point is shown
    mse, probe, seconds = error_vs_dim_figure(metrics, "t").axes
    assert [ax.get_title() for ax in (mse, probe, seconds)] == [
        "test error",
        "class in the code",
        "fit time",
    ]
    pca = probe.lines[0]
    np.testing.assert_array_equal(pca.get_xdata(), [2])
    assert pca.get_marker() == "s"
    np.testing.assert_array_equal(seconds.lines[1].get_ydata(), [4.0, 8.0, 16.0])
    assert (mse.get_yscale(), probe.get_yscale(), seconds.get_yscale()) == (
        "linear",
        "linear",
        "log",
    )
    only_probe = [{k: v for k, v in m.items() if k != "fit_seconds"} for m in metrics]
    assert [ax.get_title() for ax in error_vs_dim_figure(only_probe, "t").axes] == [
        "test error",
        "class in the code",
    ]


def test_pcas_error_at_every_code_size_is_the_fitted_pcas(pose_table):
    clean = clean_table(pose_table)
    curve = pca_by_dimension(clean, max_dim=8)
    assert list(curve["latent_dim"]) == [1, 2, 3, 4, 5]  # 6 features: at most 5
    for d in (1, 3, 5):
        fitted = models.make("pca", latent_dim=d).fit(clean.matrix("train"))
        expected = fitted.score(clean.matrix("test"))
        assert curve.loc[d - 1, "test_mse"] == pytest.approx(expected, rel=1e-4)
    assert (np.diff(curve["test_mse"]) < 0).all()  # a bigger code never loses
    share = curve["explained_variance_ratio"]
    assert (np.diff(share) <= 0).all() and share.sum() <= 1 + 1e-9


def test_room_figure_draws_the_curve_the_fits_and_the_scree():
    curve = pd.DataFrame(
        {
            "latent_dim": [1, 2, 3],
            "test_mse": [1.0, 0.1, 0.01],
            "explained_variance_ratio": [0.8, 0.15, 0.04],
        }
    )
    fits = [
        {"model": "nonlinear", "latent_dim": 3, "test_mse": 0.008},  # one fit: no sd
        {"model": "nonlinear", "latent_dim": 2, "test_mse": 0.05, "test_mse_sd": 0.01},
        {"model": "pca", "latent_dim": 2, "test_mse": 0.1, "test_mse_sd": float("nan")},
    ]
    fig = room_figure(curve, fits, "fish")
    error, scree = fig.axes
    np.testing.assert_allclose(error.lines[0].get_ydata(), [1.0, 0.1, 0.01])
    labels = error.get_legend_handles_labels()[1]
    assert labels == ["PCA (fitted)", "nonlinear AE (fitted)"]  # registry order
    # Each model's fits joined in order of size, offset a little to the right by rank.
    (joined,) = [line for line in error.lines if line.get_color() == MODEL_COLOURS["nonlinear"]][:1]
    np.testing.assert_allclose(np.asarray(joined.get_ydata(), float), [0.05, 0.008])
    assert joined.get_xdata()[0] < joined.get_xdata()[1] and joined.get_linestyle() == ":"
    # PCA's fits are on its curve: not joined again, over sizes it may not have.
    assert [line.get_linestyle() for line in error.lines if line.get_color() == "#1f77b4"] == [
        "-",
        "None",
        "None",
    ]
    np.testing.assert_allclose([p.get_height() for p in scree.patches], [0.8, 0.15, 0.04])
    np.testing.assert_allclose(scree.lines[0].get_ydata(), [0.8, 0.95, 0.99])
    assert "tracker noise (synthetic data)" not in labels  # a user's data: no floor
    # synthetic data: the tracked data's own error against the truth, a dashed line
    for m in fits:
        m["noise_floor_mse"] = 0.02
    error = room_figure(curve, fits, "fish").axes[0]
    (floor,) = [line for line in error.lines if line.get_linestyle() == "--"]
    np.testing.assert_array_equal(floor.get_ydata(), [0.02, 0.02])
    assert floor.get_label() == "tracker noise (synthetic data)"
    assert "tracker noise (synthetic data)" in error.get_legend_handles_labels()[1]
