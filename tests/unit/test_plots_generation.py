"""What a VAE generates: seeded draws from its prior, and its decoder over the prior."""

import numpy as np

from killipose.generation import prior_grid
from killipose.plots.digits import tile
from killipose.plots.generation import prior_grid_figure, prior_samples_figure
from tests.helpers import LinearStandIn


def shown(ax) -> np.ndarray:
    (image,) = ax.images
    return np.asarray(image.get_array())


def test_prior_samples_decode_the_same_seeded_draws_for_every_model():
    models = [LinearStandIn(2, seed=1), LinearStandIn(3, seed=2)]
    fig = prior_samples_figure(models, "MNIST", side=3, seed=5)
    assert len(fig.axes) == 2
    for ax, model in zip(fig.axes, models, strict=True):
        expected = np.clip(model.sample(9, seed=5), 0, 1)
        np.testing.assert_array_equal(shown(ax), tile(expected, 3, 3))
        assert not ax.get_xticks().size
    assert [ax.get_title() for ax in fig.axes] == ["VAE, 2-D", "VAE, 3-D"]
    assert fig.get_suptitle().startswith("MNIST\ngenerated: decoded from random codes")
    other = prior_samples_figure(models[:1], "MNIST", side=3, seed=6)
    assert not np.array_equal(shown(other.axes[0]), shown(fig.axes[0]))  # another seed


def test_prior_grid_decodes_the_prior_quantiles_ticked_with_their_codes():
    model = LinearStandIn(2)
    fig = prior_grid_figure(model, "MNIST", steps=5)
    (ax,) = fig.axes
    (codes,) = model.decoded
    np.testing.assert_array_equal(codes, prior_grid(5))
    np.testing.assert_array_equal(
        shown(ax), tile(np.clip(model.inverse_transform(codes), 0, 1), 5, 5)
    )
    # Every other column and row, at the centres of its digits: 5% and 95% are -1.6 and 1.6.
    np.testing.assert_array_equal(ax.get_xticks(), [13.5, 69.5, 125.5])
    np.testing.assert_array_equal(ax.get_yticks(), [13.5, 69.5, 125.5])
    x_labels = [t.get_text() for t in ax.get_xticklabels()]
    y_labels = [t.get_text() for t in ax.get_yticklabels()]
    assert x_labels[::2] == ["-1.6", "1.6"] and y_labels[::2] == ["1.6", "-1.6"]  # top: high z2
    assert float(x_labels[1]) == float(y_labels[1]) == 0  # the median (printed "-0.0")
    assert ax.get_title().startswith("MNIST\ngenerated: VAE, 2-D decoder")
