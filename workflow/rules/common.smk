# Paths and per-dataset settings, built in one place.
import os
import shlex
import sys

from killipose import InputError
from killipose.config import check_config, dataset_settings, validate_config

try:
    validate_config(config, workflow.source_path("../schemas/config.schema.yaml"))
    check_config(config)
except InputError as err:
    sys.exit(f"killipose: error: {err}")

RESULTS = "results"


wildcard_constraints:
    dataset=r"[A-Za-z0-9_-]+",
    model=r"pca|linear|nonlinear",
    dim=r"\d+",


def settings(dataset):
    return dataset_settings(config, dataset)


def raw_table(wildcards):
    """The user's table, or the synthetic one when the file is absent."""
    ds = settings(wildcards.dataset)
    if os.path.exists(ds["path"]) or "synthetic" not in ds:
        return ds["path"]
    return f"{RESULTS}/{wildcards.dataset}/synthetic.parquet"


def model_dir(dataset, model, dim):
    return f"{RESULTS}/{dataset}/models/{model}-{dim}d"


def train_params(model):
    """`train` with the model's own `model_params` on top."""
    return {**config["train"], **config.get("model_params", {}).get(model, {})}


def fit_threads(wildcards):
    return 1 if wildcards.model == "pca" else train_params(wildcards.model)["threads"]


def fit_args(wildcards):
    """Command-line flags of `killipose fit` for this model, from `train` and `model_params`."""
    params = train_params(wildcards.model)
    params.pop("threads")
    flags = [f"--seed {config['seed']}"]
    for key, value in params.items():
        if isinstance(value, list):
            value = ",".join(map(str, value))
        flags.append(f"--{key.replace('_', '-')} {shlex.quote(str(value))}")
    return " ".join(flags)


def models_of(dataset):
    return settings(dataset)["models"]


def all_outputs():
    out = []
    for dataset in config["run"]:
        ds = settings(dataset)
        root = f"{RESULTS}/{dataset}"
        out += [f"{root}/clean/summary.html", f"{root}/figures/qc-missing.png"]
        for dim in ds["latent_dims"]:
            out += [
                f"{root}/figures/comparison-{dim}d.png",
                f"{root}/metrics-{dim}d.html",
                f"{root}/animations/reconstruction-{dim}d.mp4",
                f"{root}/animations/reconstruction-{dim}d.html",
                f"{root}/figures/latents-{dim}d.png",
            ]
            out += [f"{root}/figures/latents-{m}-{dim}d.png" for m in ds["models"]]
    return out
