"""Where each autoencoder has its activations: between hidden layers only.

No activation after the bottleneck (the code is any real number, as PCA's is) nor on the
output layer (a reconstruction in normalised units is any real number), except the
sigmoid of ``output="sigmoid"``, which puts images in [0, 1]. Checked twice: the layers
each model is built of, and what a user sees, codes and reconstructions of large inputs.
"""

import copy
import functools

import numpy as np
import pytest
import torch
from torch import nn

from killipose import models

HIDDEN = (16, 8)
#: A model of each kind: registry name and parameters over its preset.
CASES = {
    "linear": ("linear", {}),
    "nonlinear mlp": ("nonlinear", {"design": "mlp", "hidden": HIDDEN, "activation": "relu"}),
    "nonlinear fold": ("nonlinear", {"hidden": HIDDEN, "activation": "silu"}),
    "vae": ("vae", {"hidden": HIDDEN, "activation": "gelu"}),
    "denoising": ("denoising", {"hidden": HIDDEN, "activation": "silu"}),
    "sparse": ("sparse", {"hidden": HIDDEN, "activation": "relu"}),
    "supervised linear": ("supervised-linear", {}),
    "supervised nonlinear": ("supervised-nonlinear", {"hidden": HIDDEN}),  # relu preset
}
#: The cases that can have a sigmoid output (the fold design has a linear one).
SIGMOID_CASES = [case for case in CASES if case != "nonlinear fold"]


@functools.cache
def fitted(case: str, output: str | None = None) -> models.LatentModel:
    """The case's model, fitted for one epoch on 6-D data in [0, 1] (once per session)."""
    name, preset = CASES[case]
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (96, 6)).astype(np.float32)
    labels = {"y": rng.integers(0, 10, 96)} if name.startswith("supervised") else {}
    settings = {"epochs": 1, "min_steps": 0, "batch_size": 32, "device": "cpu", "output": output}
    model = models.make(name, latent_dim=3, seed=1, **preset | settings)
    return model.fit(X, **labels)


def kinds(layers: nn.Module) -> list[str]:
    return [type(layer).__name__ for layer in layers]


def mlp_kinds(activation: str | None, hidden: tuple[int, ...]) -> list[str]:
    """Linear layers with the activation between them, none after the last."""
    name = {"relu": "ReLU", "silu": "SiLU", "tanh": "Tanh", "gelu": "GELU", None: None}[activation]
    return ["Linear", name] * len(hidden) + ["Linear"]


@pytest.mark.parametrize(
    "case, output", [(case, None) for case in CASES] + [(c, "sigmoid") for c in SIGMOID_CASES]
)
def test_layers_have_activations_between_hidden_layers_only(case, output):
    model = fitted(case, output)
    activation, hidden = model.activation, tuple(model.hidden)
    module = getattr(model.module_, "inner", model.module_)  # denoising, sparse: wrapped
    if case == "nonlinear fold":
        # Residual MLPs on each side of a linear code; the bend's is half as wide.
        assert kinds(module.encoder_residual) == mlp_kinds(activation, hidden)
        assert kinds(module.decoder_residual) == mlp_kinds(activation, hidden)
        assert kinds(module.bend) == mlp_kinds(activation, (8, 4))
        assert not any(isinstance(m, nn.Sigmoid) for m in module.modules())
        return
    assert kinds(module.encoder) == mlp_kinds(activation, hidden)
    code_width = 2 * model.latent_dim if case == "vae" else model.latent_dim  # VAE: mean, log-var
    assert module.encoder[-1].out_features == code_width
    assert kinds(module.decoder) == mlp_kinds(activation, hidden) + (["Sigmoid"] if output else [])
    sigmoids = [m for m in module.modules() if isinstance(m, nn.Sigmoid)]
    assert len(sigmoids) == (output == "sigmoid")
    if case.startswith("supervised"):  # the classifier reads the code as it is
        assert isinstance(module.classifier, nn.Linear)


@pytest.mark.parametrize("case", CASES)
def test_codes_and_linear_outputs_take_any_value(case):
    """Large inputs give codes and reconstructions well below 0 and above 1: nothing
    squashes them (relu, silu and gelu stay above -0.3, tanh and sigmoid within +-1)."""
    model = fitted(case, None)
    rng = np.random.default_rng(1)
    Z = model.transform(50 * rng.normal(size=(200, 6)))
    assert Z.min() < -1 and Z.max() > 1
    X_hat = model.inverse_transform(50 * rng.normal(size=(200, model.latent_dim)))
    assert X_hat.min() < -1 and X_hat.max() > 1


@pytest.mark.parametrize("case", SIGMOID_CASES)
def test_a_sigmoid_output_stays_in_0_1_and_reaches_both_ends(case):
    model = fitted(case, "sigmoid")
    X_hat = model.inverse_transform(
        50 * np.random.default_rng(1).normal(size=(200, model.latent_dim))
    )
    assert X_hat.min() >= 0 and X_hat.max() <= 1
    assert X_hat.min() < 0.05 and X_hat.max() > 0.95
    # The code before it is still unbounded.
    Z = model.transform(50 * np.random.default_rng(2).normal(size=(200, 6)))
    assert Z.min() < -1 and Z.max() > 1


def test_the_vae_log_variance_is_unbounded_too():
    model = fitted("vae", None)
    x = torch.from_numpy(50 * np.random.default_rng(3).normal(size=(200, 6)).astype(np.float32))
    mean, log_var = model.module_.moments(x)
    assert mean.min() < -1 and mean.max() > 1
    assert log_var.min() < -1 and log_var.max() > 1


@pytest.mark.parametrize("folded", [0, 1])
def test_the_fold_code_and_output_take_any_value_with_the_fold_off_and_on(folded):
    """The fold design's code and output, at PCA's solution (fold off) and off it."""
    model = copy.deepcopy(fitted("nonlinear fold", None))
    model.module_.folded.fill_(folded)
    rng = np.random.default_rng(4)
    Z = model.transform(50 * rng.normal(size=(200, 6)))
    assert Z.min() < -1 and Z.max() > 1
    X_hat = model.inverse_transform(50 * rng.normal(size=(200, model.latent_dim)))
    assert X_hat.min() < -1 and X_hat.max() > 1
