"""What the workflow asks for each job: its paths, command-line flags, threads, memory.

The rules in ``workflow/rules/*.smk`` call these through thin wrappers in ``common.smk``
(which add the config), so the logic behind the rules is tested here like the rest of
the library. ``config`` is the checked config (:func:`killipose.config.validate_config`).
"""

from __future__ import annotations

import os
import shlex

from killipose.config import dataset_settings, train_params
from killipose.datasets import kind
from killipose.models import MODELS, model_rank

#: Where the workflow writes, relative to the folder Snakemake runs in.
RESULTS = "results"


def one_of(names: list[str]) -> str:
    """A wildcard pattern matching exactly these names (none: matches nothing)."""
    return "|".join(names) if names else r"(?!x)x"


def user_path(path: str) -> str:
    """A path from the config, safe as a command-line argument (``-x.csv`` is no option)."""
    return f"./{path}" if path.startswith("-") else path


def raw_table(config: dict, dataset: str) -> str:
    """The user's table, or the synthetic one when the file is absent."""
    if is_synthetic(config, dataset):
        return f"{RESULTS}/{dataset}/synthetic.parquet"
    return user_path(dataset_settings(config, dataset)["path"])


def is_synthetic(config: dict, dataset: str) -> bool:
    """Whether the run makes ``dataset``'s table: its file is absent and the config says
    how to make one (``synthetic``)."""
    ds = dataset_settings(config, dataset)
    return "synthetic" in ds and not os.path.exists(ds["path"])


def truth_table(config: dict, dataset: str) -> list[str]:
    """The noise-free pose beside a synthetic table (written with it by ``killipose
    synth --truth``), as a list: none for a user's table, which has no truth."""
    return [f"{RESULTS}/{dataset}/synthetic-truth.parquet"] if is_synthetic(config, dataset) else []


def truth_args(config: dict, dataset: str) -> str:
    """``--truth PATH`` of ``killipose fit`` for a synthetic dataset, else nothing."""
    return " ".join(f"--truth {shlex.quote(p)}" for p in truth_table(config, dataset))


def clean_mem_mb(table: str, size_mb: float) -> int:
    """Memory to clean a table read whole: ~1.4x a CSV's size, ~3.6x a Parquet's
    (measured at 17M frames by benchmarks/clean_memory.py), plus 1 GB; never below 3 GB.
    A wide table in frame order is cleaned in pieces in ~0.7 GB whatever its size, but
    rows to sort or a tracker's file are read whole, and a job cannot tell beforehand."""
    factor = 4 if str(table).endswith((".parquet", ".pq")) else 1.5
    return max(3000, int(1000 + factor * size_mb))


def model_mem_mb(size_mb: float) -> int:
    """Memory to fit or embed with a prepared table of ``size_mb`` MB (its Parquet file):
    the table in memory is ~4x the file, the training matrix and a copy of it another
    ~2x (1.6 GB at 1.7M frames, 146 MB); plus 1 GB for torch; never below 2 GB."""
    return max(2000, int(1000 + 6 * size_mb))


def model_dir(config: dict, dataset: str, model: str, dim, seed=None) -> str:
    """Where a fit's files go: the first seed's fit (the one figures show), or another's."""
    root = f"{RESULTS}/{dataset}/models/{model}-{dim}d"
    if seed is None or int(seed) == dataset_settings(config, dataset)["seed_list"][0]:
        return root
    return f"{root}/seed-{seed}"


def seed_metrics(config: dict, dataset: str, models: list[str], dims: list) -> list[str]:
    """metrics.json of every seed's fit of these models at these dimensions (PCA, which
    uses no randomness, is fitted once)."""
    seeds = dataset_settings(config, dataset)["seed_list"]
    return [
        f"{model_dir(config, dataset, m, d, s)}/metrics.json"
        for m in models
        for d in dims
        for s in (seeds[:1] if m == "pca" else seeds)
    ]


def histories(metrics: list[str]) -> list[str]:
    """The history.csv beside each autoencoder's metrics.json (PCA has none)."""
    return [
        m.replace("metrics.json", "history.csv")
        for m in metrics
        if not m.split("/models/")[1].startswith("pca-")
    ]


def fit_threads(config: dict, dataset: str, model: str) -> int:
    """CPU threads of a fit job: ``train.threads`` (or the model's ``model_params``); PCA 1."""
    if model == "pca":
        return 1
    return train_params(config, dataset, model)["threads"]


def fit_priority(config: dict, dataset: str) -> int:
    """A fit's place in the queue: pose datasets' fits before the others' (MNIST)."""
    return 10 if dataset_settings(config, dataset)["kind"] == "pose" else 0


def fit_gpus(config: dict, dataset: str, model: str) -> int:
    """GPUs a fit asks the cluster for (``train.gpus``; 0 = none, PCA never)."""
    if model == "pca":
        return 0
    return train_params(config, dataset, model)["gpus"]


def fit_args(config: dict, dataset: str, model: str, seed=None) -> str:
    """Flags of ``killipose fit`` for this model and seed (the dataset's first seed when
    ``None``): ``--seed``, then a ``--param`` per setting from ``train`` and
    ``model_params`` (not the job's threads and GPUs, which are the rule's)."""
    params = train_params(config, dataset, model)
    params.pop("threads")
    params.pop("gpus")
    if seed is None:
        seed = dataset_settings(config, dataset)["seed_list"][0]
    flags = [f"--seed {seed}"]
    for key, value in params.items():
        if isinstance(value, list):
            value = f"[{','.join(map(str, value))}]"
        flags.append(f"--param {shlex.quote(f'{key}={value}')}")
    return " ".join(flags)


def name_args(flag: str, names: list[str], paths: list[str]) -> str:
    """``--flag name=path`` for each pair, quoted for the shell."""
    return " ".join(f"--{flag} {n}={shlex.quote(p)}" for n, p in zip(names, paths, strict=True))


#: The report's landing page, what the run found (reST), and the software listed on it.
FINDINGS = f"{RESULTS}/findings.rst"
REPORT_METADATA = f"{RESULTS}/report-metadata.yaml"


def all_outputs(config: dict) -> list[str]:
    """What ``rule all`` asks for: each dataset in ``run``, as its kind lists it, and the
    findings page."""
    return [
        path
        for name in config["run"]
        for path in kind(config["datasets"][name]["kind"]).outputs(
            dataset_settings(config, name), f"{RESULTS}/{name}"
        )
    ] + [FINDINGS, REPORT_METADATA]


def report_links(config: dict) -> str:
    """``--link dataset=path`` for each page and figure of the report (not the videos,
    which the report shows on their HTML pages): the findings link to each in one click."""
    links = []
    for name in config["run"]:
        ds = dataset_settings(config, name)
        outputs = kind(ds["kind"]).outputs(ds, f"{RESULTS}/{name}")
        links += [(name, path) for path in outputs if not path.endswith(".mp4")]
    return " ".join(f"--link {shlex.quote(f'{n}={p}')}" for n, p in links)


def assumptions(models: list[str]) -> list[str]:
    """What each of ``models`` assumes of the data (the registry's words), for captions."""
    return [f"{MODELS[m].label}: {MODELS[m].assumes}." for m in models]


def model_labels(figure: str):
    """The report labels of a figure of one model: the menu sorts labels as text, so the
    model's is its place in the registry and its name ("1. PCA", "2. linear AE", ...),
    the one order of models everywhere."""

    def labels(wildcards) -> dict:
        rank = model_rank(wildcards.model) + 1
        model = f"{rank}. {MODELS[wildcards.model].label}"
        return {"figure": figure, "model": model, "latent dim": wildcards.dim}

    return labels


def landing_page(before: str) -> str:
    """The report's front page: the findings once the run has written them (by absolute
    path: they are in the working directory, which may not hold the Snakefile), and
    ``before`` until then."""
    return os.path.abspath(FINDINGS) if os.path.exists(FINDINGS) else before


def fit_metrics(config: dict, dataset: str) -> list[str]:
    """metrics.json of every fit its kind makes of ``dataset``, every seed."""
    ds = dataset_settings(config, dataset)
    fits = kind(ds["kind"]).fits(ds)
    return [f for model, dim in fits for f in seed_metrics(config, dataset, [model], [dim])]


def room_metrics(config: dict, dataset: str) -> list[str]:
    """metrics.json of the room figure: every fit of ``dataset``, and one (the first
    seed's) of each of its models at every size of ``room_dims`` that it does not fit and
    can: the fold design needs a 2-D code at least (one circle)."""
    ds = dataset_settings(config, dataset)
    extra = [d for d in config["room_dims"] if d not in ds["latent_dims"]]
    return fit_metrics(config, dataset) + [
        f"{model_dir(config, dataset, m, d)}/metrics.json"
        for m in ds["models"]
        for d in extra
        if d >= 2 or (MODELS[m].defaults | train_params(config, dataset, m)).get("design") != "fold"
    ]


def findings_inputs(config: dict) -> list[str]:
    """The files the findings are read from: each dataset's prepared-data report, then the
    metrics of every fit, every seed (datasets in ``run`` order)."""
    files = []
    for name in config["run"]:
        files += [f"{RESULTS}/{name}/clean/report.json", *fit_metrics(config, name)]
    return files
