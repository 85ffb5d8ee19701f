"""The look every figure shares, applied only while a figure is built and saved; and each
``plot_*`` writes exactly the figure its ``*_figure`` builds."""

import os
import subprocess
import sys

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image

from killipose.plots import MODEL_COLOURS, MODEL_LABELS, STYLE, model_label, save_figure, style
from killipose.plots.comparison import (
    error_vs_dim_figure,
    model_comparison_figure,
    plot_error_vs_dim,
    plot_model_comparison,
)
from killipose.plots.digits import (
    decoder_grids_figure,
    encoder_maps_figure,
    interpolation_figure,
    plot_decoder_grids,
    plot_encoder_maps,
    plot_interpolation,
    plot_reconstructions,
    reconstructions_figure,
)
from killipose.plots.generation import (
    plot_prior_grid,
    plot_prior_samples,
    prior_grid_figure,
    prior_samples_figure,
)
from killipose.plots.latents import (
    latent_trajectory_figure,
    latents_side_by_side_figure,
    plot_latent_trajectory,
    plot_latents_side_by_side,
)
from killipose.plots.quality import missing_data_figure, plot_missing_data
from tests.helpers import LinearStandIn


def pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path))


def test_importing_the_plots_leaves_matplotlib_settings_alone():
    """Every other user of matplotlib in the process (the animation, a notebook) keeps
    its settings: a fresh interpreter's rcParams, before and after the imports."""
    code = (
        "import matplotlib as mpl\n"
        "before = dict(mpl.rcParams)\n"
        "import killipose.cli, killipose.plots.comparison, killipose.plots.digits\n"
        "import killipose.plots.generation, killipose.plots.latents, killipose.plots.quality\n"
        "changed = {k: v for k, v in mpl.rcParams.items() if before[k] != v}\n"
        "assert not changed, changed\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=os.environ.copy())


def test_style_applies_the_look_and_then_restores_every_setting():
    dpi, font = mpl.rcParams["figure.dpi"], mpl.rcParams["font.size"]
    assert (dpi, font) != (110, 9)  # or the test shows nothing
    with style():
        assert {k: mpl.rcParams[k] for k in STYLE} == STYLE
    assert (mpl.rcParams["figure.dpi"], mpl.rcParams["font.size"]) == (dpi, font)


def test_model_label():
    assert model_label("nonlinear") == "nonlinear AE"
    assert model_label("vae", 2) == "VAE, 2-D"
    assert model_label("not-registered", 3) == "not-registered, 3-D"
    assert MODEL_LABELS["pca"] == "PCA" and MODEL_COLOURS["original"] == "#333333"


def test_save_figure_writes_what_the_figure_shows_in_the_house_style(tmp_path):
    """The ticks are laid out when the figure is drawn, so saving enters the style too: a
    figure built in the style and saved outside it has other tick labels."""
    with style():
        fig = Figure(figsize=(2, 1))
        fig.subplots().plot([0, 1], [0, 1000])
    save_figure(fig, tmp_path / "out" / "fig.png")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["fig.png"]  # no temporary left
    with style():
        fig.savefig(tmp_path / "in-style.png", format="png", bbox_inches="tight")
    fig.savefig(tmp_path / "outside.png", format="png", bbox_inches="tight")
    saved = pixels(tmp_path / "out" / "fig.png")
    np.testing.assert_array_equal(saved, pixels(tmp_path / "in-style.png"))
    assert not np.array_equal(saved, pixels(tmp_path / "outside.png"))
    assert saved.shape[1] > saved.shape[0] and saved.min() < 100  # wide, with dark ink


def _missing():
    raw = pd.DataFrame({"x_a": [np.nan, 1.0, 2.0, 3.0], "y_a": [0.0, 1.0, 2.0, 3.0]})
    return (raw, pd.DataFrame({"valid": [True, True, False, True]}), ["a"], np.arange(4.0))


def _latent(k: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"time_s": np.arange(6.0)} | {f"z{i + 1}": np.arange(6.0) * i for i in range(k)}
    )


def _pose_metrics():
    error = {"head": 1.0, "tail": 2.0}
    return [
        {"model": m, "test_mse": v, "test_rmse_px": 3 * v, "test_error_px": error}
        for m, v in (("pca", 0.1), ("nonlinear", 0.05))
    ]


def _digit_latents():
    return {
        "pca": pd.DataFrame(
            {"z1": np.arange(20.0), "z2": np.arange(20.0) ** 2, "label": np.arange(20) % 10}
            | {"split": "test"}
        )
    }


DIGITS = np.linspace(0, 1, 3 * 784).reshape(3, 784)
# name: the figure, the command that saves it, the arguments before and after its path
# and the keywords (not the defaults, so that a keyword the command drops shows).
CASES = {
    "missing data": (missing_data_figure, plot_missing_data, _missing, (), {"bins": 2}),
    "latent trajectory": (
        latent_trajectory_figure,
        plot_latent_trajectory,
        lambda: (_latent(4),),
        ("t",),
        {},
    ),
    "latents side by side": (
        latents_side_by_side_figure,
        plot_latents_side_by_side,
        lambda: ({"pca": _latent(2), "vae": _latent(1)},),
        ("t",),
        {},
    ),
    "model comparison": (
        model_comparison_figure,
        plot_model_comparison,
        lambda: (_pose_metrics(),),
        ("t",),
        {},
    ),
    "error vs dim": (
        error_vs_dim_figure,
        plot_error_vs_dim,
        lambda: ([{"model": "pca", "latent_dim": d, "test_mse": 1 / d} for d in (2, 4)],),
        ("t",),
        {},
    ),
    "reconstructions": (
        reconstructions_figure,
        plot_reconstructions,
        lambda: (DIGITS, {("pca", 2): DIGITS[::-1]}),
        ("t",),
        {},
    ),
    "encoder maps": (
        encoder_maps_figure,
        plot_encoder_maps,
        lambda: (_digit_latents(),),
        ("t",),
        {},
    ),
    "decoder grids": (
        decoder_grids_figure,
        plot_decoder_grids,
        lambda: ({"pca": LinearStandIn(2)}, _digit_latents()),
        ("t",),
        {"steps": 3},
    ),
    "interpolation": (
        interpolation_figure,
        plot_interpolation,
        lambda: ({"pca": LinearStandIn(2)}, DIGITS[0], DIGITS[1]),
        ("t",),
        {"steps": 3},
    ),
    "prior samples": (
        prior_samples_figure,
        plot_prior_samples,
        lambda: ([LinearStandIn(2)],),
        ("t",),
        {"side": 2, "seed": 3},
    ),
    "prior grid": (
        prior_grid_figure,
        plot_prior_grid,
        lambda: (LinearStandIn(2),),
        ("t",),
        {"steps": 3},
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_each_figure_is_built_in_the_style_and_saved_as_built(name, tmp_path):
    build, plot, lead, trail, keywords = CASES[name]
    dpi = mpl.rcParams["figure.dpi"]
    fig = build(*lead(), *trail, **keywords)
    assert fig.dpi == STYLE["figure.dpi"] and mpl.rcParams["figure.dpi"] == dpi
    assert fig.axes[0].xaxis.label.get_fontsize() == STYLE["axes.labelsize"]
    assert not fig.axes[0].spines["top"].get_visible()
    plot(*lead(), tmp_path / "plot.png", *trail, **keywords)
    save_figure(build(*lead(), *trail, **keywords), tmp_path / "built.png")
    np.testing.assert_array_equal(pixels(tmp_path / "plot.png"), pixels(tmp_path / "built.png"))
