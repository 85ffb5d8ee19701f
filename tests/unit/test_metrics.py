import numpy as np
import pytest

from killipose import clean_table, models, pose_metrics, reconstruction_metrics
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
