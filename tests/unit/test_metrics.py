import numpy as np
import pytest

from killipose import clean_table, models, pose_metrics, reconstruction_metrics


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
