"""Latent codes and pixels of a cleaned table, in the world and the body frame."""

import numpy as np

from killipose import clean_table, latent_table, models, original_pixels, reconstruct_pixels


def test_egocentric_reconstructions_are_postures_that_go_back_to_the_arena(pose_table):
    pose_table.loc[200:229, "x_head"] = np.nan  # not valid: NaN in every panel
    clean = clean_table(pose_table, frame="egocentric")
    model = models.make("pca", latent_dim=2).fit(clean.matrix("train"))
    rows = slice(190, 260)

    original = original_pixels(clean, rows)
    rebuilt = reconstruct_pixels(model, clean, rows)

    assert original.shape == rebuilt.shape == (70, 3, 2)
    lost = slice(10, 40)
    assert np.isnan(original[lost]).all() and np.isnan(rebuilt[lost]).all()
    # Body frame: centred on the centroid, the head (first keypoint) on +x.
    kept = np.r_[0:10, 40:70]
    np.testing.assert_allclose(original[kept].mean(axis=1), 0, atol=1e-9)
    assert (original[kept, 0, 1] == 0).all() and (original[kept, 0, 0] > 5).all()
    np.testing.assert_allclose(rebuilt[kept], original[kept], atol=0.5)
    # Back in the arena: the world-frame table's pixels.
    world = original_pixels(clean_table(pose_table), rows)
    np.testing.assert_allclose(clean.to_arena(original, rows)[kept], world[kept], atol=1e-6)
    assert np.isnan(clean.to_arena(rebuilt, rows)[lost]).all()

    latent = latent_table(model, clean)
    assert list(latent.columns) == [*clean.meta, "z1", "z2"]
    assert "heading" in latent  # position and heading travel with the code
