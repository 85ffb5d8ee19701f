import numpy as np
import pytest

from killipose import (
    InputError,
    clean_table,
    make_killifish_tables,
    models,
    pose_metrics,
    reconstruction_metrics,
    truth_metrics,
)
from killipose.metrics import contrast_window


def test_reconstruction_metrics_match_their_definitions():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2)) @ rng.normal(size=(2, 5)) + 0.1 * rng.normal(size=(600, 5))
    X = X.astype(np.float32)
    splits = {"train": X[:480], "val": X[480:540], "test": X[540:]}
    pca = models.make("pca", latent_dim=2).fit(splits["train"])
    m = reconstruction_metrics(pca, splits)
    rebuilt = pca.inverse_transform(pca.transform(splits["test"]))
    assert m["test_mse"] == pytest.approx(np.mean((rebuilt - splits["test"]) ** 2), rel=1e-5)
    sst = np.sum((splits["test"] - splits["test"].mean(axis=0)) ** 2)
    assert m["explained_variance"] == pytest.approx(1 - m["test_mse"] * X[540:].size / sst)
    assert (m["n_train"], m["n_val"], m["n_test"]) == (480, 60, 60)
    assert 0.9 < m["explained_variance"] < 1


def test_pose_metrics_in_pixels(pose_table):
    clean = clean_table(pose_table)
    exact = models.make("pca", latent_dim=5).fit(clean.matrix("train"))
    # 3 keypoints of a rigid body: 6 features on a low-dimensional set, 5-D is near exact
    m = pose_metrics(exact, clean)
    assert m["test_rmse_px"] < 0.5
    coarse = models.make("pca", latent_dim=1).fit(clean.matrix("train"))
    m = pose_metrics(coarse, clean)
    X = clean.matrix("test")
    px = clean.to_pixels(X).reshape(len(X), 3, 2)
    rebuilt = clean.to_pixels(coarse.inverse_transform(coarse.transform(X))).reshape(len(X), 3, 2)
    assert m["test_rmse_px"] == pytest.approx(np.sqrt(np.mean((px - rebuilt) ** 2)), rel=1e-4)
    distance = np.linalg.norm(px - rebuilt, axis=2).mean(axis=0)
    assert list(m["test_error_px"]) == ["head", "body", "tail"]
    np.testing.assert_allclose(list(m["test_error_px"].values()), distance, rtol=1e-3)


def test_pose_metrics_of_an_egocentric_table_are_arena_pixels(pose_table):
    """The rotation keeps distances: errors in the body frame are the errors in the arena."""
    clean = clean_table(pose_table, frame="egocentric")
    coarse = models.make("pca", latent_dim=1).fit(clean.matrix("train"))
    m = pose_metrics(coarse, clean)
    X = clean.matrix("test")
    rows = (clean.frame["valid"] & (clean.frame["split"] == "test")).to_numpy()
    arena = clean.to_arena(clean.to_pixels(X), rows).reshape(len(X), 3, 2)
    rebuilt = clean.to_pixels(coarse.inverse_transform(coarse.transform(X)))
    rebuilt = clean.to_arena(rebuilt, rows).reshape(len(X), 3, 2)
    assert m["test_rmse_px"] == pytest.approx(np.sqrt(np.mean((arena - rebuilt) ** 2)), rel=1e-4)
    distance = np.linalg.norm(arena - rebuilt, axis=2).mean(axis=0)
    np.testing.assert_allclose(list(m["test_error_px"].values()), distance, rtol=1e-3)


def test_contrast_window_finds_where_the_models_differ_most_within_the_allowed_rows():
    rng = np.random.default_rng(0)
    errors = rng.uniform(1.0, 1.2, (3, 500))
    errors[2, 300:340] = 0.2  # the third model is much better here
    errors[0, 100:140] = 9.0  # and far worse here, but these rows are not allowed
    allowed = np.zeros(500, dtype=bool)
    allowed[200:] = True
    assert contrast_window(errors, allowed, 40) == 300
    # Every allowed window scores its mean contrast; none beats the chosen one.
    contrast = errors.max(axis=0) - errors.min(axis=0)
    best = max(contrast[s : s + 40].sum() for s in range(200, 461))
    assert contrast[300:340].sum() == pytest.approx(best)
    # With every row allowed, the first model's blunder wins.
    assert contrast_window(errors, np.ones(500, dtype=bool), 40) == 100


def test_contrast_window_with_one_model_finds_its_worst_stretch_and_skips_nan():
    errors = np.ones((1, 100))
    errors[0, 60:70] = 5.0
    errors[0, 10:20] = np.nan  # no error: counts as none, not as the largest
    assert contrast_window(errors, np.ones(100, dtype=bool), 10) == 60


def test_contrast_window_falls_back_to_the_first_allowed_row_when_too_few_follow():
    allowed = np.zeros(100, dtype=bool)
    allowed[70:80] = True
    assert contrast_window(np.ones((2, 100)), allowed, 20) == 70
    allowed[:] = False
    allowed[95:] = True
    assert contrast_window(np.ones((2, 100)), allowed, 20) == 80  # ends at the last row
    assert contrast_window(np.ones((2, 10)), np.ones(10, dtype=bool), 20) == 0


class GivesBack:
    """A stand-in model whose reconstruction of the test block is ``rebuilt``."""

    def __init__(self, rebuilt=None):
        self.rebuilt = rebuilt

    def transform(self, X):
        return X

    def inverse_transform(self, Z):
        return Z if self.rebuilt is None else self.rebuilt


@pytest.fixture(scope="module")
def fish_and_truth():
    return make_killifish_tables(frames=20000, fps=20, seed=0)


def _true_test_block(clean, truth):
    """The truth of the cleaned table's valid test rows, by hand: pixels and normalised."""
    rows = (clean.frame["valid"] & (clean.frame["split"] == "test")).to_numpy()
    px = truth[clean.features].to_numpy()[clean.frame["frame"].to_numpy()[rows]]
    return px, (px - clean.stats["mean"].to_numpy()) / clean.stats["std"].to_numpy()


def test_the_noise_floor_is_the_trackers_noise(fish_and_truth):
    tracked, truth = fish_and_truth
    clean = clean_table(tracked)
    m = truth_metrics(GivesBack(), clean, truth)  # gives back the tracked data: the floor
    # 0.6 px Gaussian noise per coordinate: a mean distance of 0.6 * sqrt(pi / 2) px, a
    # little more where cleaning filled a gap or a removed jump
    assert m["noise_floor_px"] == pytest.approx(0.6 * np.sqrt(np.pi / 2), abs=0.03)
    assert m["truth_test_error_px"] == m["noise_floor_px"]
    px, normalised = _true_test_block(clean, truth)
    X = clean.matrix("test")
    assert m["noise_floor_mse"] == pytest.approx(np.mean((X - normalised) ** 2), rel=1e-5)
    distance = np.linalg.norm((clean.to_pixels(X) - px).reshape(len(X), -1, 2), axis=2)
    assert m["noise_floor_px"] == pytest.approx(distance.mean(), rel=1e-5)


def test_a_model_that_gives_back_the_truth_scores_zero_against_it(fish_and_truth):
    tracked, truth = fish_and_truth
    clean = clean_table(tracked)
    _, normalised = _true_test_block(clean, truth)
    m = truth_metrics(GivesBack(normalised), clean, truth)
    assert m["truth_test_mse"] == pytest.approx(0, abs=1e-12)
    assert m["truth_test_error_px"] == pytest.approx(0, abs=1e-9)
    assert m["noise_floor_px"] > 0.7
    # and a fitted model lands near the floor: the fish is made of few dimensions
    pca = models.make("pca", latent_dim=6).fit(clean.matrix("train"))
    m = truth_metrics(pca, clean, truth)
    assert 0 < m["truth_test_error_px"] < 1.5 * m["noise_floor_px"]
    assert m["truth_test_mse"] != pose_metrics(pca, clean)["test_mse"]


def test_the_truth_is_joined_by_the_frame_column_not_the_row_order(fish_and_truth):
    """Cleaning sorts rows into frame order; the truth is matched by ``frame``, the row of
    the table it was made from."""
    tracked, truth = fish_and_truth
    floor = truth_metrics(GivesBack(), clean_table(tracked), truth)["noise_floor_px"]
    # (the first two rows, without a frame count, stay first: cleaning keeps such a row
    # after the row before it)
    order = np.r_[0, 1, 2 + np.random.default_rng(0).permutation(len(tracked) - 2)]
    shuffled, shuffled_truth = tracked.iloc[order], truth.iloc[order]
    clean = clean_table(shuffled.reset_index(drop=True))
    assert not np.array_equal(clean.frame["frame"], np.arange(len(tracked)))
    m = truth_metrics(GivesBack(), clean, shuffled_truth.reset_index(drop=True))
    assert m["noise_floor_px"] == pytest.approx(floor, rel=1e-6)


def test_in_the_egocentric_frame_errors_against_the_truth_are_arena_pixels(fish_and_truth):
    tracked, truth = fish_and_truth
    world = truth_metrics(GivesBack(), clean_table(tracked), truth)
    clean = clean_table(tracked, frame="egocentric")
    m = truth_metrics(GivesBack(), clean, truth)
    assert m["noise_floor_px"] == pytest.approx(world["noise_floor_px"], rel=1e-5)
    # the truth in the table's body frame goes back to the arena exactly
    rows = (clean.frame["valid"] & (clean.frame["split"] == "test")).to_numpy()
    arena, _ = _true_test_block(clean, truth)
    back = clean.to_arena(clean.from_arena(arena, rows), rows)
    np.testing.assert_allclose(back, arena, atol=1e-9)
    assert not np.allclose(clean.from_arena(arena, rows), arena)
    # a reconstruction placed in the arena by to_arena is scored there
    pca = models.make("pca", latent_dim=4).fit(clean.matrix("train"))
    X = clean.matrix("test")
    rebuilt = clean.to_arena(clean.to_pixels(pca.inverse_transform(pca.transform(X))), rows)
    distance = np.linalg.norm((rebuilt - arena).reshape(len(X), -1, 2), axis=2).mean()
    assert truth_metrics(pca, clean, truth)["truth_test_error_px"] == pytest.approx(
        distance, rel=1e-5
    )


def test_a_truth_of_another_table_is_refused(fish_and_truth):
    tracked, truth = fish_and_truth
    with pytest.raises(InputError, match="noise-free table has 19,937 rows"):
        truth_metrics(GivesBack(), clean_table(tracked), truth.iloc[1:])


def test_the_truth_from_its_parquet_file_scores_as_the_table_does(fish_and_truth, tmp_path):
    """``killipose fit --truth`` passes the file: read a column at a time, same numbers."""
    tracked, truth = fish_and_truth
    clean = clean_table(tracked, frame="egocentric")
    pca = models.make("pca", latent_dim=4).fit(clean.matrix("train"))
    truth.to_parquet(tmp_path / "truth.parquet")
    assert truth_metrics(pca, clean, tmp_path / "truth.parquet") == truth_metrics(pca, clean, truth)
    truth.iloc[1:].to_parquet(tmp_path / "other.parquet")
    with pytest.raises(InputError, match="noise-free table has 19,937 rows"):
        truth_metrics(pca, clean, tmp_path / "other.parquet")
    truth.drop(columns="x_fan").to_parquet(tmp_path / "less.parquet")
    with pytest.raises(InputError, match="no column x_fan"):
        truth_metrics(pca, clean, tmp_path / "less.parquet")
