"""The missing-data figure: the share of frames missing per keypoint and time bin."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import LogNorm

from killipose.plots.quality import missing_data_figure, missing_fractions, time_unit


def table(n: int = 10) -> tuple[pd.DataFrame, np.ndarray]:
    """Keypoints ``a`` and ``b`` over ``n`` frames; ``a`` loses x and y together in frame 0
    (one missing frame, not two) and y alone in frames 2-3; ``b`` is never missing;
    cleaning excluded the last frame."""
    raw = pd.DataFrame({c: np.arange(n, dtype=float) for c in ("x_a", "y_a", "x_b", "y_b")})
    raw.loc[0, ["x_a", "y_a"]] = np.nan
    raw.loc[2:3, "y_a"] = np.nan
    valid = np.ones(n, dtype=bool)
    valid[-1] = False
    return raw, valid


def test_missing_fractions_count_each_frame_once_per_bin():
    raw, valid = table()
    np.testing.assert_array_equal(
        missing_fractions(raw, valid, ["a", "b"], bins=5),  # bins of 2 frames
        [[0.5, 1.0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0.5]],
    )
    # 10 rows in 3 bins: frames 0-2, 3-5 and 6-9.
    np.testing.assert_allclose(
        missing_fractions(raw, valid, ["a"], bins=3), [[2 / 3, 1 / 3, 0], [0, 0, 1 / 4]]
    )


@pytest.mark.parametrize(
    ("seconds", "unit"),
    [(0.0, "s"), (180.0, "s"), (180.5, "min"), (3 * 3600.0, "min"), (3 * 3600.0 + 1, "h")],
)
def test_time_unit_at_its_boundaries(seconds, unit):
    assert time_unit(seconds) == ({"s": 1.0, "min": 60.0, "h": 3600.0}[unit], unit)


def test_missing_data_figure_shows_the_percentages_on_a_log_scale():
    raw, valid = table()
    time_s = np.linspace(0, 600, 10)  # 10 min: the axis is in minutes
    fig = missing_data_figure(raw, pd.DataFrame({"valid": valid}), ["a", "b"], time_s, bins=5)
    ax = fig.axes[0]
    (image,) = ax.images
    # Percent, with "none" shown at the floor of the log scale (0.01 %).
    np.testing.assert_array_equal(
        image.get_array(),
        [[50, 100, 0.01, 0.01, 0.01], [0.01] * 5, [0.01, 0.01, 0.01, 0.01, 50]],
    )
    assert isinstance(image.norm, LogNorm) and (image.norm.vmin, image.norm.vmax) == (0.01, 100)
    assert image.get_extent() == [0, 10, 2.5, -0.5]  # minutes; row 0 at the top
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "excluded after cleaning"]
    (line,) = ax.lines  # the white line between the keypoints and the excluded frames
    assert line.get_ydata()[0] == 1.5 and line.get_color() == "white"
    assert ax.get_xlabel() == "time (min)"
    assert ax.get_title() == "Missing keypoints over time (5 bins of 2 frames)"
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel().startswith("frames missing (%")
