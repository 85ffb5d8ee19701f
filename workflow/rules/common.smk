# Paths and per-dataset settings, built in one place.
#
# Resources: each rule asks for ~1.5-2x the peak memory and >= 5x the time its step took on
# the default run (1.7M-frame fish, 10k MNIST digits; results/benchmarks/ holds the
# measurements). Larger tables need more: raise them with `set-resources` in a profile.
import os
import re
import shlex
import sys

from killipose import InputError
from killipose.datasets import DIGITS, KINDS
from killipose.models import MODELS
from killipose.config import (
    check_config,
    check_paths,
    dataset_settings,
    datasets_of_kind,
    train_params,
    validate_config,
)

# A bad config stops the run here with one line naming the key (no traceback).
try:
    validate_config(config, workflow.source_path("../schemas/config.schema.yaml"))
    check_config(config)
    check_paths(config)
except InputError as err:
    sys.exit(f"killipose: error: {err}")

RESULTS = "results"


wildcard_constraints:
    dataset=r"[A-Za-z0-9][A-Za-z0-9_-]*",
    model="|".join(map(re.escape, MODELS)),  # killipose.models.MODELS
    dim=r"\d+",
    seed=r"\d+",


def one_of(names):
    """A wildcard pattern matching exactly these names (none: matches nothing)."""
    return "|".join(names) if names else r"(?!x)x"


POSE = one_of(datasets_of_kind(config, "pose"))
MNIST = one_of(datasets_of_kind(config, "mnist"))


def settings(dataset):
    return dataset_settings(config, dataset)


def user_path(path):
    """A path from the config, safe as a command-line argument (`-x.csv` is no option)."""
    return f"./{path}" if path.startswith("-") else path


def raw_table(wildcards):
    """The user's table, or the synthetic one when the file is absent."""
    ds = settings(wildcards.dataset)
    if os.path.exists(ds["path"]) or "synthetic" not in ds:
        return user_path(ds["path"])
    return f"{RESULTS}/{wildcards.dataset}/synthetic.parquet"


def clean_mem_mb(wildcards, input):
    """Memory to clean a table: ~1.4x a CSV's size, ~3.6x a Parquet's (measured at 17M
    frames by benchmarks/clean_memory.py), plus 1 GB; never below 3 GB."""
    factor = 4 if str(input[0]).endswith((".parquet", ".pq")) else 1.5
    return max(3000, int(1000 + factor * input.size_mb))


def model_dir(dataset, model, dim, seed=None):
    """Where a fit's files go: the first seed's fit (the one figures show), or another's."""
    root = f"{RESULTS}/{dataset}/models/{model}-{dim}d"
    if seed is None or seed == settings(dataset)["seed_list"][0]:
        return root
    return f"{root}/seed-{seed}"


def seed_metrics(dataset, models, dims):
    """metrics.json of every seed's fit of these models at these dimensions (PCA, which
    uses no randomness, is fitted once)."""
    seeds = settings(dataset)["seed_list"]
    return [
        f"{model_dir(dataset, m, d, s)}/metrics.json"
        for m in models
        for d in dims
        for s in (seeds[:1] if m == "pca" else seeds)
    ]


def fit_threads(wildcards):
    if wildcards.model == "pca":
        return 1
    return train_params(config, wildcards.dataset, wildcards.model)["threads"]


def fit_gpus(wildcards):
    """GPUs a fit asks the cluster for (`train.gpus`; 0 = none, PCA never)."""
    if wildcards.model == "pca":
        return 0
    return train_params(config, wildcards.dataset, wildcards.model).get("gpus", 0)


def fit_args(wildcards):
    """Command-line flags of `killipose fit` for this model, from `train` and `model_params`."""
    params = train_params(config, wildcards.dataset, wildcards.model)
    params.pop("threads")
    params.pop("gpus", None)
    seed = getattr(wildcards, "seed", settings(wildcards.dataset)["seed_list"][0])
    flags = [f"--seed {seed}"]
    for key, value in params.items():
        if isinstance(value, list):
            value = f"[{','.join(map(str, value))}]"
        flags.append(f"--param {shlex.quote(f'{key}={value}')}")
    return " ".join(flags)


def name_args(flag, names, paths):
    """`--flag name=path` for each pair, quoted for the shell."""
    return " ".join(f"--{flag} {n}={shlex.quote(p)}" for n, p in zip(names, paths))


def models_of(dataset):
    return settings(dataset)["models"]


def mnist_fits(dataset):
    """(model, dim) of every model fitted to an MNIST dataset."""
    return DIGITS.fits(settings(dataset))


def all_outputs():
    return [
        path
        for dataset in config["run"]
        for path in KINDS[config["datasets"][dataset]["kind"]].outputs(
            settings(dataset), f"{RESULTS}/{dataset}"
        )
    ]
