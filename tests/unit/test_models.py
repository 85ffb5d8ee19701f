import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.decomposition import PCA

from killipose import InputError, clean_table, models
from tests.helpers import DATA


def gaussian(n=4000, seed=0):
    """5-D data with clearly separated variances: the best 2-D linear code is PCA's."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    return (rng.normal(size=(n, 5)) * np.sqrt([5, 3, 1, 0.3, 0.1])) @ basis.T


def curve(n=3000, seed=0):
    """A 1-D curve bent through 3-D: a linear 1-D code cannot follow it, a nonlinear can."""
    t = np.random.default_rng(seed).uniform(-1, 1, n)
    return np.stack([t, t**2 - 1 / 3, t**3], axis=1)


def test_pca_model_matches_sklearn():
    X = gaussian()
    ours = models.make("pca", latent_dim=2).fit(X)
    theirs = PCA(n_components=2).fit(X)
    np.testing.assert_allclose(
        ours.inverse_transform(ours.transform(X)),
        theirs.inverse_transform(theirs.transform(X)),
        atol=1e-4,
    )
    assert ours.score(X) == pytest.approx(
        np.mean((theirs.inverse_transform(theirs.transform(X)) - X) ** 2), rel=1e-4
    )
    np.testing.assert_allclose(ours.components_, theirs.components_, atol=1e-6)
    np.testing.assert_allclose(
        ours.explained_variance_ratio_, theirs.explained_variance_ratio_, rtol=1e-5
    )


def test_linear_autoencoder_reaches_pca():
    X = gaussian().astype(np.float32)
    pca = models.make("pca", latent_dim=2).fit(X[:3000])
    linear = models.make(
        "linear", latent_dim=2, epochs=60, batch_size=256, lr=1e-2, patience=60, device="cpu"
    ).fit(X[:3000], X_val=X[3000:])
    assert linear.score(X[3000:]) <= 1.02 * pca.score(X[3000:])
    assert not any(
        isinstance(m, torch.nn.modules.activation.ReLU | torch.nn.SiLU)
        for m in linear.module_.modules()
    )


def test_nonlinear_autoencoder_beats_pca_on_a_curve():
    X = curve().astype(np.float32)
    pca = models.make("pca", latent_dim=1).fit(X[:2500])
    ae = models.make(
        "nonlinear",
        latent_dim=1,
        hidden=(32, 32),
        activation="tanh",
        design="mlp",
        epochs=100,
        batch_size=256,
        lr=1e-2,
        patience=100,
        device="cpu",
    ).fit(X[:2500], X_val=X[2500:])
    assert ae.score(X[2500:]) < 0.5 * pca.score(X[2500:])


def test_same_seed_same_model_other_seed_other_model():
    X = gaussian(800).astype(np.float32)
    kw = dict(latent_dim=2, design="mlp", hidden=(8,), epochs=3, batch_size=64, device="cpu")
    a = models.make("nonlinear", seed=1, **kw).fit(X)
    b = models.make("nonlinear", seed=1, **kw).fit(X)
    c = models.make("nonlinear", seed=2, **kw).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))

    def without_time(history):
        return [{k: v for k, v in h.items() if k != "seconds"} for h in history]

    assert without_time(a.history_) == without_time(b.history_)
    assert not np.array_equal(a.transform(X), c.transform(X))


def test_best_validation_epoch_is_kept_and_early_stopping_stops():
    X = gaussian(2000).astype(np.float32)
    ae = models.make(
        "nonlinear",
        design="mlp",  # a random start: the fold may keep PCA's start, not an epoch's
        latent_dim=2,
        hidden=(16,),
        epochs=200,
        batch_size=64,
        lr=5e-2,
        patience=2,
        device="cpu",
    ).fit(X[:1500], X_val=X[1500:])
    vals = [h["val_mse"] for h in ae.history_]
    assert len(vals) < 200
    assert ae.score(X[1500:]) == pytest.approx(min(vals), rel=1e-5)


@pytest.mark.parametrize("name", models.model_names(needs_labels=False))
def test_save_and_load_give_the_same_model(tmp_path, name):
    X = gaussian(500).astype(np.float32)
    # two epochs, whatever steps the preset asks for: saving is tested, not training
    params = {} if name == "pca" else {"epochs": 2, "min_steps": 0, "device": "cpu"}
    model = models.make(name, latent_dim=2, **params).fit(X)
    model.save(tmp_path / "m.pt")
    again = models.load(tmp_path / "m.pt")
    assert type(again) is type(model)
    assert again.get_params() == model.get_params()
    np.testing.assert_array_equal(again.transform(X), model.transform(X))
    np.testing.assert_array_equal(
        again.inverse_transform(again.transform(X)), model.inverse_transform(model.transform(X))
    )


def test_loading_something_else_is_an_input_error(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"not a model at all")
    with pytest.raises(InputError, match="not a killipose model"):
        models.load(tmp_path / "junk.pt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(InputError, match="not a killipose model"):
        models.load(tmp_path / "other.pt")
    with pytest.raises(InputError, match="no such model file"):
        models.load(tmp_path / "missing.pt")


def test_sklearn_conventions():
    model = models.make("nonlinear", latent_dim=3, hidden=(8, 4), epochs=2)
    params = model.get_params()
    assert params["latent_dim"] == 3 and params["hidden"] == (8, 4)
    twin = clone(model)
    assert twin.get_params() == params and twin is not model
    X = gaussian(300).astype(np.float32)
    assert model.fit(X) is model
    assert model.fit_transform(X).shape == (300, 3)


def test_bad_model_inputs():
    X = gaussian(100).astype(np.float32)
    with pytest.raises(InputError, match="unknown model 'umap'"):
        models.make("umap")
    with pytest.raises(InputError, match="latent_dim must be between 1 and"):
        models.make("pca", latent_dim=5).fit(X)
    X[3, 1] = np.nan
    with pytest.raises(InputError, match="NaN"):
        models.make("linear", latent_dim=2).fit(X)


def rotating_body(n=8000, seed=0):
    """A 4-point body at random positions and headings, its tail end bending."""
    rng = np.random.default_rng(seed)
    position = rng.uniform(0, 10, (n, 2))
    heading = rng.uniform(-np.pi, np.pi, n)
    bend = rng.uniform(-0.6, 0.6, n)
    angles = heading[:, None] + np.array([0.0, 0.0, 1.0, 2.0]) * bend[:, None]
    steps = np.stack([np.cos(angles), np.sin(angles)], axis=-1)  # (n, 4, 2)
    points = position[:, None, :] + np.concatenate(
        [np.zeros((n, 1, 2)), np.cumsum(steps[:, 1:], 1)], 1
    )
    X = points.reshape(n, -1)
    return ((X - X.mean(0)) / X.std(0)).astype(np.float32)


def test_fold_design_beats_pca_where_heading_and_bend_share_a_code():
    X = rotating_body()
    pca = models.make("pca", latent_dim=4).fit(X[:7000])
    fold = models.make(
        "nonlinear",
        latent_dim=4,
        hidden=(64, 64),
        epochs=15,
        batch_size=256,
        patience=15,
        device="cpu",
    ).fit(X[:7000], X_val=X[7000:])
    assert fold.get_params()["design"] == "fold"
    assert fold.circle_cv_ < 0.2
    assert fold.score(X[7000:]) < 0.7 * pca.score(X[7000:])


def test_sigmoid_output_and_bce_loss_for_images():
    rng = np.random.default_rng(0)
    X = (rng.random((600, 16)) < np.linspace(0.1, 0.9, 16)).astype(np.float32)
    model = models.make(
        "nonlinear",
        latent_dim=3,
        design="mlp",
        hidden=(16,),
        output="sigmoid",
        loss="bce",
        epochs=3,
        batch_size=64,
        device="cpu",
    ).fit(X)
    rebuilt = model.inverse_transform(model.transform(X))
    assert rebuilt.min() >= 0 and rebuilt.max() <= 1
    assert model.history_[-1]["val_loss"] > model.history_[-1]["val_mse"]  # BCE, not MSE
    with pytest.raises(InputError, match="loss 'bce' needs output 'sigmoid'"):
        models.make("nonlinear", latent_dim=3, design="mlp", loss="bce").fit(X)


def test_supervised_autoencoder_needs_and_uses_labels():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 900)
    X = (rng.normal(size=(900, 8)) + 3 * np.eye(8)[y]).astype(np.float32)
    model = models.make(
        "supervised-linear",
        latent_dim=2,
        n_classes=3,
        epochs=60,
        lr=1e-2,
        patience=60,
        batch_size=64,
        class_weight=1.0,
        device="cpu",
    )
    with pytest.raises(InputError, match="needs labels"):
        model.fit(X[:700], X_val=X[700:])
    model.fit(X[:700], X_val=X[700:], y=y[:700], y_val=y[700:])
    assert model.accuracy(X[700:], y[700:]) > 0.9
    assert model.get_params()["hidden"] == ()


def test_fold_design_on_egocentric_postures(fish):
    """Posture has no spread along the removed position and heading; whitening must not
    blow the rounding noise there up into the network's input."""
    clean = clean_table(fish, frame="egocentric")
    X, X_val, X_test = (clean.matrix(s) for s in ("train", "val", "test"))
    pca = models.make("pca", latent_dim=4).fit(X)
    fold = models.make("nonlinear", latent_dim=4, hidden=(16, 16), epochs=3, device="cpu")
    fold.fit(X, X_val=X_val)
    assert fold.score(X_test) < 1.5 * pca.score(X_test)


def test_the_fold_starts_at_pca_exactly_and_keeps_it_when_training_does_not_beat_it(tmp_path):
    # Isotropic noise: no code beats PCA's on held-out frames, so the model must end there.
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(1200, 8)) * np.linspace(3, 0.5, 8)).astype(np.float32)
    pca = models.make("pca", latent_dim=4).fit(X[:1000])
    fold = models.make(
        "nonlinear", latent_dim=4, hidden=(16, 16), epochs=3, batch_size=128, device="cpu"
    ).fit(X[:1000], X_val=X[1000:1100])
    assert fold.kept_start_
    test = X[1100:]
    assert fold.score(test) == pytest.approx(pca.score(test), rel=1e-5)
    np.testing.assert_allclose(
        np.abs(fold.transform(test)), np.abs(pca.transform(test)), rtol=1e-3, atol=1e-3
    )
    fold.save(tmp_path / "fold.pt")
    assert models.load(tmp_path / "fold.pt").score(test) == fold.score(test)


def test_the_folds_radius_is_bounded_for_frames_unlike_the_training_ones():
    """An unusual frame can drive the learned bend far out; unbounded, the radius
    exp(scale * bend) overflows and the frame comes back as NaN (or with an error of 1e8)."""
    from killipose.models.fold import BEND_LIMIT, FoldModule

    torch.manual_seed(0)
    X = rotating_body(n=2000)
    module = FoldModule(X.shape[1], 4, [16, 16], torch.nn.SiLU)
    module.init_from_data(X, seed=0)
    module.start_training()
    with torch.no_grad():
        module.bend[-1].bias.fill_(1e4)  # the bend of every frame far out
        x = torch.tensor(X[:50])
        radius = (module.encode(x) @ module.circle.T).norm(dim=1)
        assert radius.max() <= np.exp(module.fold_scale * BEND_LIMIT) * 1.001
        assert torch.isfinite(module(x)).all()  # unbounded: exp(1000) = inf
    again = FoldModule(X.shape[1], 4, [16, 16], torch.nn.SiLU)
    again.load_state_dict(module.state_dict())
    assert again._bend_limit == BEND_LIMIT


def test_the_fold_leaves_pcas_start_only_for_a_gain_beyond_the_validation_noise():
    from killipose.models.autoencoder import clearly_better

    rng = np.random.default_rng(0)
    start = torch.tensor(rng.gamma(2.0, 1.0, 400))
    everywhere = start * 0.8  # 20% lower on every frame
    assert clearly_better(everywhere, start)
    # A lower mean by chance: one lucky stretch, the rest as noisy as it was.
    chance = start + torch.tensor(rng.normal(0, 1.0, 400))
    chance[:40] -= 3.0
    assert chance.mean() < start.mean()  # what the old rule kept training for
    assert not clearly_better(chance, start)
    assert not clearly_better(start, start)
    assert not clearly_better(start * 2, start)
    # Fewer validation frames than blocks: still a verdict, never an error.
    assert clearly_better(everywhere[:3], start[:3])
    assert not clearly_better(everywhere[:1], start[:1])


def test_a_fold_file_from_before_the_pca_start_loads_folded():
    path = DATA / "models" / "nonlinear.pt"
    model = models.load(path)
    assert bool(model.module_.folded)
    assert model.module_._bend_limit == float("inf")  # its codes as it was fitted


def test_the_heading_circle_is_found_from_the_axis_pairs_alone():
    from killipose.models.fold import find_circle

    rng = np.random.default_rng(0)
    heading = rng.uniform(-np.pi, np.pi, 3000)
    position = rng.uniform(-3, 3, (3000, 2))
    Z = np.column_stack([position, np.cos(heading), np.sin(heading)])
    Z += rng.normal(0, 0.01, Z.shape)
    cv, P = find_circle(Z, seed=0, restarts=0)
    assert cv < 0.03
    assert np.abs(P[:, :2]).max() < 0.05 * np.abs(P[:, 2:]).max()  # reads heading only


def test_principal_axes_summed_in_blocks_are_the_svds():
    """PCA and the fold's start take their axes from a scatter matrix summed a block of rows
    at a time: the same mean, variances and axes as an SVD of the whole table, each axis
    pointing the way of its largest loading."""
    from killipose.models.pca import principal_axes

    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 6)) * [5, 3, 2, 1, 0.5, 0.1] @ rng.normal(size=(6, 6)) + 7
    X = X.astype(np.float32)
    mean, axes, variance = principal_axes(X, rows=700)
    X64 = X.astype(np.float64)
    _, s, vt = np.linalg.svd(X64 - X64.mean(axis=0), full_matrices=False)
    np.testing.assert_allclose(mean, X64.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(variance, s**2 / (len(X) - 1), rtol=1e-9)
    np.testing.assert_allclose(np.sum(axes * vt, axis=1) ** 2, 1, rtol=1e-9)
    assert (axes[np.arange(6), np.abs(axes).argmax(axis=1)] > 0).all()


def test_only_a_model_that_starts_from_pca_reports_whether_it_kept_its_start():
    X = gaussian(400).astype(np.float32)
    kw = dict(latent_dim=2, hidden=(8,), epochs=1, batch_size=64, device="cpu")
    assert models.make("nonlinear", design="mlp", **kw).fit(X).kept_start_ is None
    assert models.make("nonlinear", **kw).fit(X).kept_start_ in (True, False)


def test_autoencoders_encode_and_decode_in_batches_as_at_once(monkeypatch):
    """transform / inverse_transform go through the rows a batch at a time (bounded memory):
    the result is the same as one pass over every row, in the same order."""
    from killipose.models import autoencoder

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 6)).astype(np.float32)
    model = models.make("nonlinear", design="mlp", latent_dim=2, epochs=1, device="cpu").fit(X)
    whole = (model.transform(X), model.inverse_transform(model.transform(X)))
    sizes = []
    encode = model.module_.encode
    monkeypatch.setattr(model.module_, "encode", lambda x: sizes.append(len(x)) or encode(x))
    monkeypatch.setattr(autoencoder, "BATCH_ROWS", 7)
    batched = (model.transform(X), model.inverse_transform(whole[0]))
    assert sizes == [7] * 7 + [1]
    np.testing.assert_allclose(batched[0], whole[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(batched[1], whole[1], rtol=1e-5, atol=1e-6)
