# Paths and per-dataset settings, built in one place.
#
# Resources: each rule asks for ~1.5-2x the peak memory and >= 5x the time its step took on
# the default run (1.7M-frame fish, 10k MNIST digits; results/benchmarks/ holds the
# measurements). Larger tables need more: raise them with `set-resources` in a profile.
import os
import re
import shlex
import sys

from killipose import InputError, jobs
from killipose.datasets import DIGITS
from killipose.models import MODELS
from killipose.config import (
    check_config,
    check_paths,
    dataset_settings,
    datasets_of_kind,
    validate_config,
)

# A bad config stops the run here with one line naming the key (no traceback).
try:
    validate_config(config, workflow.source_path("../schemas/config.schema.yaml"))
    check_config(config)
    check_paths(config)
except InputError as err:
    sys.exit(f"killipose: error: {err}")

RESULTS = jobs.RESULTS


wildcard_constraints:
    dataset=r"[A-Za-z0-9][A-Za-z0-9_-]*",
    model="|".join(map(re.escape, MODELS)),  # killipose.models.MODELS
    dim=r"\d+",
    seed=r"\d+",


POSE = jobs.one_of(datasets_of_kind(config, "pose"))
MNIST = jobs.one_of(datasets_of_kind(config, "mnist"))
user_path = jobs.user_path
name_args = jobs.name_args


# The functions rules call, with this run's config (the logic is in killipose.jobs).
def settings(dataset):
    return dataset_settings(config, dataset)


def raw_table(wildcards):
    return jobs.raw_table(config, wildcards.dataset)


def truth_table(dataset):
    return jobs.truth_table(config, dataset)


def truth_args(dataset):
    return jobs.truth_args(config, dataset)


def clean_mem_mb(wildcards, input):
    return jobs.clean_mem_mb(input[0], input.size_mb)


def model_mem_mb(wildcards, input):
    """fit (and the embedding it writes): memory grows with the prepared table (input.table)."""
    return jobs.model_mem_mb(os.path.getsize(input.table) / 1e6)


def latent_arg(wildcards, output):
    """fit: where the first seed's fit writes the code of every frame (no other seed's)."""
    return f"--latent {shlex.quote(output.latent)}" if "latent" in output.keys() else ""


def model_dir(dataset, model, dim, seed=None):
    return jobs.model_dir(config, dataset, model, dim, seed)


def seed_metrics(dataset, models, dims):
    return jobs.seed_metrics(config, dataset, models, dims)


def fit_threads(wildcards):
    return jobs.fit_threads(config, wildcards.dataset, wildcards.model)


def fit_gpus(wildcards):
    return jobs.fit_gpus(config, wildcards.dataset, wildcards.model)


def fit_args(wildcards):
    seed = getattr(wildcards, "seed", None)
    return jobs.fit_args(config, wildcards.dataset, wildcards.model, seed)


def models_of(dataset):
    return settings(dataset)["models"]


def mnist_fits(dataset):
    """(model, dim) of every model fitted to an MNIST dataset."""
    return DIGITS.fits(settings(dataset))


def fit_metrics(dataset):
    return jobs.fit_metrics(config, dataset)


def all_outputs():
    return jobs.all_outputs(config)
