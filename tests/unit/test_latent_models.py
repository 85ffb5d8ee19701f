"""The model registry, the scikit-learn shape, and the VAE, denoising and sparse models."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from killipose import InputError, models
from killipose.cli.fit import parse_param
from killipose.models.vae import VAEModule
from tests.helpers import DATA, ROOT

SAVED = DATA / "models"
NEW = ["vae", "denoising", "sparse"]
QUICK = {"epochs": 3, "batch_size": 64, "device": "cpu", "hidden": (16,)}


def curve(n=600, seed=0):
    """Points near a 1-D curve in 6-D: a nonlinear code of 1-2 dimensions fits them."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(-2, 2, n)
    X = np.stack([t, t**2, np.sin(2 * t), np.cos(t), t**3 / 4, np.tanh(t)], axis=1)
    return (X + 0.05 * rng.normal(size=X.shape)).astype(np.float32)


@pytest.mark.parametrize("name", NEW)
def test_new_models_have_the_same_api_and_learn(name):
    X = curve()
    model = models.make(name, latent_dim=2, seed=1, **QUICK | {"epochs": 40, "lr": 1e-2})
    assert model.fit(X[:500], X_val=X[500:]) is model
    Z = model.transform(X)
    assert Z.shape == (600, 2) and Z.dtype == np.float32
    assert model.inverse_transform(Z).shape == X.shape
    losses = [h["train_loss"] for h in model.history_]
    assert losses[-1] < 0.7 * losses[0]  # the loss decreases
    assert model.score(X[500:]) == pytest.approx(
        float(np.mean((model.inverse_transform(model.transform(X[500:])) - X[500:]) ** 2)),
        rel=1e-5,
    )


@pytest.mark.parametrize("name", NEW)
def test_new_models_same_seed_same_weights_other_seed_other(name):
    X = curve()
    a, b, c = (models.make(name, latent_dim=2, seed=s, **QUICK).fit(X) for s in (4, 4, 5))
    for key, value in a.module_.state_dict().items():
        torch.testing.assert_close(value, b.module_.state_dict()[key], rtol=0, atol=0)
    assert not np.array_equal(a.transform(X), c.transform(X))


def test_vae_kl_is_never_negative_and_zero_only_at_the_prior():
    rng = torch.Generator().manual_seed(0)
    mean, log_var = torch.randn(200, 3, generator=rng), torch.randn(200, 3, generator=rng)
    assert (VAEModule.kl(mean, log_var) >= 0).all()
    assert VAEModule.kl(torch.zeros(5, 3), torch.zeros(5, 3)).abs().max() == 0


def test_vae_with_beta_zero_is_the_plain_autoencoder_objective():
    x = torch.from_numpy(curve(64))
    module = VAEModule(6, 2, [16], "silu", None, "mse", beta=0.0)
    module.eval()  # the code is the mean: exactly a plain autoencoder's loss
    plain = torch.nn.functional.mse_loss(module.decoder(module.encode(x)), x)
    torch.testing.assert_close(module.loss(x), plain, rtol=0, atol=0)
    module.beta = 0.5  # and beta weighs the KL term per feature
    mean, log_var = module.moments(x)
    expected = plain + 0.5 * VAEModule.kl(mean, log_var).mean() / 6
    torch.testing.assert_close(module.loss(x), expected)
    module.train()  # training decodes a sample: the same noise gives the same loss
    first = module.loss(x, generator=torch.Generator().manual_seed(3))
    again = module.loss(x, generator=torch.Generator().manual_seed(3))
    assert torch.equal(first, again) and not torch.equal(first, module.loss(x))


def test_vae_generates_from_its_prior():
    vae = models.make("vae", latent_dim=2, **QUICK).fit(curve())
    samples = vae.sample(7, seed=0)
    assert samples.shape == (7, 6) and np.isfinite(samples).all()
    np.testing.assert_array_equal(samples, vae.sample(7, seed=0))


def test_denoising_trains_on_corrupted_input_and_scores_on_clean():
    X = torch.from_numpy(curve(64))
    model = models.make("denoising", latent_dim=2, noise="masking", noise_level=0.5, **QUICK)
    module = model._build(6)
    noisy = module.corrupt(X, torch.Generator().manual_seed(0))
    assert 0.3 < float((noisy == 0).float().mean()) < 0.7  # about half the values masked
    module.eval()  # validation: clean input, the plain reconstruction error
    torch.testing.assert_close(module.loss(X), torch.nn.functional.mse_loss(module(X), X))
    module.train()
    assert module.loss(X, generator=torch.Generator().manual_seed(0)) != module.loss(X)


def test_sparse_penalty_is_l1_of_the_code():
    X = torch.from_numpy(curve(64))
    module = models.make("sparse", latent_dim=2, l1=0.25, **QUICK)._build(6)
    z = module.encode(X)
    expected = torch.nn.functional.mse_loss(module(X), X) + 0.25 * z.abs().mean()
    torch.testing.assert_close(module.loss(X), expected)


def test_a_model_works_inside_a_scikit_learn_pipeline():
    X = curve() * 50 + 3
    pipe = Pipeline([("scale", StandardScaler()), ("ae", models.make("linear", latent_dim=2))])
    pipe.set_params(ae__min_steps=200, ae__device="cpu", ae__batch_size=128)
    Z = pipe.fit(X, np.arange(len(X)) % 3).transform(X)  # y passes through, ignored
    assert Z.shape == (600, 2)
    assert pipe.inverse_transform(Z).shape == X.shape


@pytest.mark.parametrize("name", models.model_names())
def test_an_unfitted_model_raises_not_fitted(name):
    with pytest.raises(NotFittedError):
        models.make(name).transform(np.zeros((2, 6), np.float32))


def test_make_rejects_an_unknown_parameter_with_one_line():
    with pytest.raises(InputError, match=r"^model 'linear' takes no parameter 'beta' \(it takes"):
        models.make("linear", beta=1.0)
    with pytest.raises(InputError, match="model 'pca' takes no parameter 'epochs'"):
        models.make("pca", epochs=3)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"lr": -1.0}, "The 'lr' parameter of Autoencoder must be a float in the range"),
        ({"activation": "sigmoid"}, "The 'activation' parameter of Autoencoder must be"),
        ({"epochs": 0}, "The 'epochs' parameter"),
    ],
)
def test_parameters_are_checked_at_fit(params, message):
    model = models.make("nonlinear", **params)  # building never fails: as in scikit-learn
    with pytest.raises(InputError, match=message):
        model.fit(curve())


def test_validation_data_given_as_y_is_refused():
    X = curve()
    with pytest.raises(InputError, match="pass validation data as fit"):
        models.make("linear", latent_dim=2).fit(X[:500], X[500:])


@pytest.mark.parametrize(
    "name", ["pca", "linear", "nonlinear", "supervised-linear", "supervised-nonlinear"]
)
def test_model_files_of_the_previous_version_still_load(name):
    """Files written by killipose before the presets (3f5e00a: LinearAutoencoder, ...)."""
    expected = np.load(SAVED / "expected.npz")
    model = models.load(SAVED / f"{name}.pt")
    # To float32 rounding: the same file gives codes a unit in the last place apart on
    # CPUs with other vector units (matrix products sum in another order).
    codes = model.transform(expected["X"])
    np.testing.assert_allclose(codes, expected[name.replace("-", "_")], rtol=1e-6, atol=1e-6)
    assert type(model).__name__ in ("PCAModel", "Autoencoder")
    assert (getattr(model, "n_classes", None) is not None) == name.startswith("supervised")


@pytest.mark.parametrize("name", models.model_names())
def test_parameters_read_from_source_are_those_of_the_class(name):
    """model_params reads them without importing torch; the class's signature agrees."""
    assert models.model_params(name) == models.MODELS[name].cls._get_param_names()


def test_command_line_parameters_are_read_as_yaml():
    assert parse_param("epochs=30") == ("epochs", 30)
    assert parse_param("lr=1e-3") == ("lr", 1e-3)
    assert parse_param("lr=1e-05") == ("lr", 1e-5)  # as the workflow writes small numbers
    assert parse_param("hidden=128,128") == ("hidden", (128, 128))
    assert parse_param("hidden=[64]") == ("hidden", (64,))  # as the workflow writes lists
    assert parse_param("activation=null") == ("activation", None)
    assert parse_param("min-steps=5") == ("min_steps", 5)
    with pytest.raises(InputError, match="expected KEY=VALUE"):
        parse_param("epochs")


def test_every_list_of_models_comes_from_the_registry():
    """The schema, the workflow's wildcard, the CLI, figures and report order."""
    import re

    from killipose.cli import build_parser
    from killipose.plots import MODEL_COLOURS, MODEL_LABELS
    from killipose.report import _model_order

    names = models.model_names()
    assert list(MODEL_LABELS) == names and set(MODEL_COLOURS) == {"original", *names}
    assert sorted(names, key=_model_order) == names
    fit = build_parser()._subparsers._group_actions[0].choices["fit"]
    choices = next(a.choices for a in fit._actions if "--model" in a.option_strings)
    assert list(choices) == names
    smk = (ROOT / "workflow/rules/common.smk").read_text()
    assert 'model="|".join(map(re.escape, MODELS))' in smk
    assert not re.search(r"\bsupervised-linear\b|\"linear\"", smk)
