"""Training curves: each line is the epochs of one fit, in the registry's model order."""

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from killipose.cli import main
from killipose.plots import MODEL_COLOURS
from killipose.plots.training import training_curves_figure
from tests.helpers import assert_drawn


def history(model, dim, seed, epochs=4, start=1.0):
    epoch = np.arange(1, epochs + 1)
    return pd.DataFrame(
        {"epoch": epoch, "val_mse": start / epoch, "train_loss": 2 * start / epoch}
    ).assign(model=model, latent_dim=dim, seed=seed)


def test_a_panel_per_model_in_registry_order_a_line_pair_per_fit_and_pca_dotted():
    fits = [history("nonlinear", 4, s, start=0.5 + s) for s in (0, 1)] + [history("linear", 4, 0)]
    fig = training_curves_figure(pd.concat(fits), "fish", pca_val={4: 0.3})
    linear, nonlinear = (ax for ax in fig.axes if ax.get_visible())
    assert (linear.get_title(), nonlinear.get_title()) == ("linear AE", "nonlinear AE")
    solid = [line for line in nonlinear.lines if line.get_linestyle() == "-"]
    dashed = [line for line in nonlinear.lines if line.get_linestyle() == "--"]
    assert len(solid) == len(dashed) == 2  # two seeds
    np.testing.assert_allclose(solid[1].get_ydata(), 1.5 / np.arange(1, 5))  # seed 1's val
    np.testing.assert_allclose(dashed[1].get_ydata(), 3.0 / np.arange(1, 5))
    assert to_hex(solid[0].get_color()) == MODEL_COLOURS["nonlinear"]
    (pca,) = [line for line in nonlinear.lines if line.get_linestyle() == ":"]
    assert list(pca.get_ydata()) == [0.3, 0.3]
    assert "2 seeds" in fig.get_suptitle()
    # the later epochs fill the panel: epoch 1 (3.0) may be cut, PCA's line is shown
    low, high = nonlinear.get_ylim()
    assert low <= 0.3 and high == pytest.approx(2 * 1.5 / 2 * 1.3)


def test_seven_models_wrap_in_rows_of_four():
    models = ["linear", "nonlinear", "vae", "denoising", "sparse", "supervised-linear", "sparse2"]
    fig = training_curves_figure(pd.concat(history(m, 2, 0) for m in models), "digits")
    assert len(fig.axes) == 8 and sum(ax.get_visible() for ax in fig.axes) == 7


def fit_files(folder, model, dim, seed, with_history=True):
    folder.mkdir(parents=True)
    metrics = {"model": model, "latent_dim": dim, "seed": seed, "val_mse": 0.3}
    (folder / "metrics.json").write_text(json.dumps(metrics))
    if with_history:
        history(model, dim, seed).drop(columns=["model", "latent_dim", "seed"]).to_csv(
            folder / "history.csv", index=False
        )
    return str(folder / "metrics.json")


def test_plot_training_reads_the_history_beside_each_fit(tmp_path, capsys):
    files = [
        fit_files(tmp_path / "pca-4d", "pca", 4, 0, with_history=False),
        fit_files(tmp_path / "linear-4d", "linear", 4, 0),
        fit_files(tmp_path / "nonlinear-4d", "nonlinear", 4, 0),
    ]
    out = tmp_path / "training.png"
    assert main(["plot-training", str(out), *files, "--title", "fish"]) == 0
    assert_drawn(out, panels=2)
    (tmp_path / "linear-4d" / "history.csv").unlink()
    assert main(["plot-training", str(tmp_path / "x.png"), *files]) == 2
    assert "linear-4d/history.csv: no such file" in capsys.readouterr().err
    assert main(["plot-training", str(tmp_path / "x.png"), files[0]]) == 2
    assert "no autoencoder among the fits" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
