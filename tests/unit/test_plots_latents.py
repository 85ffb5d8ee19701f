"""Latent figures: each trace is the column it is labelled with, over the window's time."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from killipose.plots import MODEL_COLOURS
from killipose.plots.latents import latent_trajectory_figure, latents_side_by_side_figure


def latent(k: int, frames: int = 5, start_s: float = 3.0) -> pd.DataFrame:
    """A latent window starting at ``start_s``: ``z{i}`` is ``10 * i + frame``, so every
    column differs; a ``frame`` column that is not part of the code."""
    frame = np.arange(frames)
    return pd.DataFrame(
        {"frame": frame + 100, "time_s": start_s + frame / 10}
        | {f"z{i}": 10.0 * i + frame for i in range(1, k + 1)}
    )


def test_trajectory_plots_each_dimension_against_time_in_the_window():
    data = latent(4)
    fig = latent_trajectory_figure(data, "fish 1")
    over_time, paths, colorbar = fig.axes[:4], fig.axes[4:6], fig.axes[6:]
    for i, ax in enumerate(over_time, start=1):
        (line,) = ax.lines
        np.testing.assert_allclose(line.get_xdata(), np.arange(5) / 10)  # from the window's start
        np.testing.assert_array_equal(line.get_ydata(), data[f"z{i}"])
        assert ax.get_ylabel() == f"z{i}"
    assert over_time[-1].get_xlabel() == "time in window (s)"
    for ax, (a, b) in zip(paths, [("z1", "z2"), ("z3", "z4")], strict=True):
        (points,) = ax.collections
        np.testing.assert_array_equal(points.get_offsets(), data[[a, b]])
        np.testing.assert_allclose(points.get_array(), np.arange(5) / 10)  # coloured by time
        assert (ax.get_xlabel(), ax.get_ylabel()) == (a, b)
        assert ax.get_title() == f"path in ({a}, {b})"
    assert len(colorbar) == 1 and colorbar[0].get_ylabel() == "time (s)"
    assert fig.get_suptitle() == "fish 1"


@pytest.mark.parametrize(
    ("k", "paths"),
    [
        (1, []),
        (2, ["path in (z1, z2)"]),
        (3, ["path in (z1, z2)"]),
        (5, ["path in (z1, z2)", "path in (z3, z4)"]),
    ],
)
def test_trajectory_draws_a_path_per_pair_of_the_first_four_dimensions(k, paths):
    fig = latent_trajectory_figure(latent(k), "t")
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == paths
    assert len(fig.axes) == k + len(paths) + bool(paths)  # a colour bar when there is a path


def test_side_by_side_has_a_column_per_model_in_the_order_given_and_its_colour():
    latents = {"nonlinear": latent(3), "pca": latent(2, start_s=7.0), "mystery": latent(1)}
    fig = latents_side_by_side_figure(latents, "window")
    axes = np.array(fig.axes).reshape(3, 3)  # rows: z1..z3; columns: models
    assert [ax.get_title() for ax in axes[0]] == ["nonlinear AE", "PCA", "mystery"]
    colours = [MODEL_COLOURS["nonlinear"], MODEL_COLOURS["pca"], "#444444"]
    for j, (name, colour) in enumerate(zip(latents, colours, strict=True)):
        for i in range(3):
            lines = axes[i, j].lines
            if f"z{i + 1}" not in latents[name]:
                assert not lines  # a smaller code leaves the rows below empty
                continue
            (line,) = lines
            np.testing.assert_array_equal(line.get_ydata(), latents[name][f"z{i + 1}"])
            np.testing.assert_allclose(line.get_xdata(), np.arange(5) / 10)
            assert to_hex(line.get_color()) == colour
        assert axes[-1, j].get_xlabel() == "time in window (s)"
    assert [ax.get_ylabel() for ax in axes[:, 0]] == ["z1", "z2", "z3"]
    assert not any(ax.get_ylabel() for ax in axes[:, 1:].ravel())
    assert fig.get_suptitle() == "window"
