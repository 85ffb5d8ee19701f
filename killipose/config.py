"""Workflow configuration: checks the schema cannot express, and per-dataset settings.

The JSON schema (workflow/schemas/config.schema.yaml) checks keys and types when the
workflow starts; :func:`check_config` then checks how the parts fit together, and
:func:`check_paths` that the input files are there.
"""

from __future__ import annotations

import copy
import json
import math
import os
import reprlib
import shlex
from pathlib import Path

import jsonschema
import yaml

from killipose.datasets import KINDS, kind
from killipose.datasets.pose import check_latent_dims
from killipose.errors import InputError
from killipose.io import format_names
from killipose.models import model_names, model_params, model_rank

#: Keys a dataset may set for itself; anything else comes from the top level.
DATASET_OVERRIDES = (
    "models",
    "latent_dims",
    "seeds",
    "clean",
    "animation",
    "analyses",
    "train",
    "model_params",
)


def validate_config(config: dict, schema_path: str | os.PathLike) -> None:
    """Check ``config`` against the JSON schema and fill in the schema's defaults.

    Raises :class:`InputError` naming the key. Every key the schema gives a ``default``
    and the config leaves out is set to it, in place (as Snakemake's
    ``validate(config, schema, set_default=True)`` does), so the rest of the workflow
    reads one value from one place. Where the schema gives a ``description`` for a
    ``pattern`` or ``oneOf``, the message says that instead of the bare pattern. Numbers
    must also be finite (YAML's ``.inf`` and ``.nan`` pass a schema's bounds).
    """
    with open(schema_path) as f:
        schema = yaml.safe_load(f)
    # Formats and models are registries (killipose.io, killipose.models.MODELS): the
    # schema takes whatever they hold.
    dataset = schema["properties"]["datasets"]["additionalProperties"]
    dataset["properties"]["format"]["enum"] = format_names()
    dataset["properties"]["kind"]["enum"] = list(KINDS)
    schema["$defs"]["models"]["items"]["enum"] = model_names(needs_labels=False)
    supervised = dataset["properties"]["supervised"]["properties"]["models"]
    supervised["items"]["enum"] = model_names(needs_labels=True)
    schema["$defs"]["model_params"]["propertyNames"] = {"enum": model_names()}
    validator = FILLING_VALIDATOR(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is None:
        _check_finite(config, "")
        return
    where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
        raise InputError(f"config: {where}: {error.message}{hint}")
    if error.validator in ("pattern", "oneOf") and "description" in error.schema:
        description = " ".join(error.schema["description"].split())
        raise InputError(f"config: {where}: {reprlib.repr(error.instance)} is not {description}")
    raise InputError(f"config: {where}: {error.message}")


def _fill_defaults(validator, properties, instance, schema):
    """jsonschema's ``properties`` check, after setting each missing property's default
    (the recipe of jsonschema's FAQ)."""
    if validator.is_type(instance, "object"):
        for name, subschema in properties.items():
            if "default" in subschema and name not in instance:
                instance[name] = copy.deepcopy(subschema["default"])
    yield from _CHECK_PROPERTIES(validator, properties, instance, schema)


_CHECK_PROPERTIES = jsonschema.Draft202012Validator.VALIDATORS["properties"]
#: A validator that fills in defaults as it checks.
FILLING_VALIDATOR = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"properties": _fill_defaults}
)


def _check_finite(value, where: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"config: {where}: {value} is not a finite number")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_finite(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_finite(item, f"{where}.{i}")


def check_config(config: dict) -> None:
    """Raise :class:`InputError` naming the key when the config does not fit together."""
    for i, name in enumerate(config["run"]):
        if name not in config["datasets"]:
            raise InputError(
                f"config: run[{i}]: dataset {name!r} is not defined under datasets "
                f"(defined: {', '.join(config['datasets'])})"
            )
    for where, params in _model_params_sections(config):
        for model, keys in params.items():
            taken = set(model_params(model)) | WORKFLOW_TRAIN_KEYS
            unknown = sorted(set(keys) - taken)
            if unknown:
                raise InputError(
                    f"config: {where}.{model}.{unknown[0]}: model {model!r} takes no such "
                    f"parameter (it takes: {', '.join(sorted(taken - {'latent_dim', 'seed'}))})"
                )
    for name in config["run"]:
        ds = dataset_settings(config, name)
        kind(ds["kind"]).check(name, ds, config)


def check_paths(config: dict, root: str | os.PathLike = ".") -> None:
    """Raise :class:`InputError` naming ``datasets.<name>.path`` when an input is missing.

    Checks the datasets in ``run``, each as its kind does
    (:meth:`~killipose.datasets.base.DatasetKind.check_path`). Relative paths are taken from
    ``root`` (the folder Snakemake runs in). When the header of a pose table names its
    keypoints, the latent dims must be below their number.
    """
    for name in config["run"]:
        ds = config["datasets"][name]
        given = Path(ds["path"])
        path = given if given.is_absolute() else Path(root).resolve() / given
        where = f"config: datasets.{name}.path: {ds['path']}"
        relative = "" if given.is_absolute() else f" (relative to {Path(root).resolve()})"
        keypoints = kind(ds["kind"]).check_path(path, where, relative, ds)
        if keypoints is not None and ds["keypoints"] == "auto":
            settings = dataset_settings(config, name)
            check_latent_dims(name, settings, config, keypoints, f" in {ds['path']}")


#: Keys of ``train`` that are the workflow's, not a model's: cores and GPUs of a fit job.
WORKFLOW_TRAIN_KEYS = {"threads", "gpus"}


def _model_params_sections(config: dict):
    """``(where, model_params)`` of the top level and of every dataset that sets them."""
    yield "model_params", config["model_params"]
    for name, ds in config["datasets"].items():
        if "model_params" in ds:
            yield f"datasets.{name}.model_params", ds["model_params"]


def train_params(config: dict, dataset: str, model: str) -> dict:
    """Settings of one model's fit on one dataset: ``train`` (the keys this model takes,
    and the workflow's ``threads`` and ``gpus``), then ``model_params`` over them."""
    ds = dataset_settings(config, dataset)
    taken = set(model_params(model)) | WORKFLOW_TRAIN_KEYS
    shared = {k: v for k, v in ds["train"].items() if k in taken}
    return {**shared, **ds["model_params"].get(model, {})}


def datasets_of_kind(config: dict, kind: str) -> list[str]:
    """Names of the configured datasets of one kind (``pose`` or ``mnist``)."""
    return [name for name, ds in config["datasets"].items() if ds["kind"] == kind]


def dataset_settings(config: dict, name: str) -> dict:
    """The settings of one dataset: its own, then the top level's for the rest.

    ``config`` is checked (:func:`validate_config`), so every default is in it.

    ``models`` are in the registry's order (PCA, linear, nonlinear, then the others).
    Adds ``seed_list`` (the seeds of each model's fits: ``seed``, ``seed + 1``, ... ``seeds``
    of them), ``keypoints_arg``, ``fps_arg``, ``animation_fps_arg``, ``window_start_arg``,
    ``read_args`` (format and individual) and ``clean_args`` (confidence and frame): the
    values as the ``killipose`` command line takes them.
    """
    ds = dict(config["datasets"][name])
    for key in DATASET_OVERRIDES:
        default = config[key]
        ds[key] = (
            {**default, **ds.get(key, {})} if isinstance(default, dict) else ds.get(key, default)
        )
    ds["seed_list"] = [config["seed"] + i for i in range(ds["seeds"])]
    # One order of models in every table, figure, video and menu, whatever the config's.
    ds["models"] = sorted(ds["models"], key=model_rank)
    keypoints = ds["keypoints"]
    ds["keypoints_arg"] = keypoints if keypoints == "auto" else ",".join(keypoints)
    ds["fps_arg"] = f"--fps {ds['fps']}" if "fps" in ds else ""
    read = ["--format", ds["format"]]
    if "individual" in ds:
        read += ["--individual", ds["individual"]]
    ds["read_args"] = shlex.join(read)
    clean = ds["clean"]
    options = ["--min-confidence", str(clean["min_confidence"])]
    options += ["--frame", clean["frame"], "--origin", clean["origin"]]
    if "axis" in clean:
        options += ["--axis", ",".join(clean["axis"])]
    ds["clean_args"] = shlex.join(options)
    fps = ds["animation"].get("fps")
    ds["animation_fps_arg"] = f"--fps {fps}" if fps else ""
    start = ds["animation"].get("start")
    ds["window_start_arg"] = f"--start {start}" if start is not None else ""
    return ds


def schema_reference(schema_path: str | os.PathLike) -> str:
    """``config/README.md``: every key of the schema with its type, default and meaning.

    Generated from the schema alone (``python -m killipose.config > config/README.md``),
    so the page cannot drift from what the workflow checks and fills in.
    """
    with open(schema_path) as f:
        schema = yaml.safe_load(f)
    lines = [
        "# Configuration keys",
        "",
        "Generated from `workflow/schemas/config.schema.yaml` by",
        "`python -m killipose.config > config/README.md`; do not edit by hand.",
        "`config/config.yaml` is the default run: a key it leaves out takes the default",
        "below. A dataset may override `models`, `latent_dims`, `seeds`, `clean`, `train`,",
        "`model_params` and `animation` for itself (`datasets.<name>.clean.max_gap`, ...);",
        "what it leaves out comes from the top level.",
        "",
        "| key | allowed | default | what it does |",
        "|---|---|---|---|",
    ]
    for key, node, default in _schema_keys(schema, schema, ""):
        allowed = _allowed(schema, node)
        shown = "" if default is _NONE else f"`{json.dumps(default)}`"
        description = " ".join(node.get("description", "").split()).replace("|", "\\|")
        lines.append(f"| `{key}` | {allowed} | {shown} | {description} |")
    return "\n".join(lines) + "\n"


#: No default in the schema (``None`` is a default a key may have).
_NONE = object()


def _resolve(schema: dict, node: dict) -> dict:
    """``node`` with its ``$ref`` and ``allOf`` merged in (a key of its own wins)."""
    merged: dict = {}
    for part in node.get("allOf", []):
        merged |= _resolve(schema, part)
    if "$ref" in node:
        target = schema
        for step in node["$ref"].removeprefix("#/").split("/"):
            target = target[step]
        merged |= _resolve(schema, target)
    own = {k: v for k, v in node.items() if k not in ("$ref", "allOf")}
    if "properties" in merged and "properties" in own:
        own["properties"] = {
            name: merged["properties"].get(name, {}) | sub
            for name, sub in (merged["properties"] | own["properties"]).items()
        }
    return merged | own


def _schema_keys(schema: dict, node: dict, prefix: str):
    """``(key, node, default)`` of every key below ``node``, depth first, in file order.

    A dataset's overrides of top-level keys, and a model's settings under
    ``model_params``, get one row each: their keys are those of the top level's.
    """
    node = _resolve(schema, node)
    properties = node.get("properties", {})
    extra = node.get("additionalProperties")
    if isinstance(extra, dict) and "properties" in _resolve(schema, extra):
        properties = {"<name>": extra}
    for name, sub in properties.items():
        key = f"{prefix}{name}"
        if prefix == "datasets.<name>." and name in DATASET_OVERRIDES:
            yield key, {"description": f"overrides `{name}` for this dataset"}, _NONE
            continue
        sub = _resolve(schema, sub)
        yield key, sub, sub.get("default", _NONE)
        if name == "model_params":
            yield f"{key}.<model>", {"description": "any key of `train`, for that model"}, _NONE
        elif sub.get("type") == "object" or "properties" in sub:
            yield from _schema_keys(schema, sub, f"{key}.")


def _allowed(schema: dict, node: dict) -> str:
    """What a value may be, in a few words: type, choices and bounds."""
    if "enum" in node:
        return " or ".join(f"`{v}`" for v in node["enum"])
    if "const" in node:
        return f"`{node['const']}`"
    if "oneOf" in node:
        return " or ".join(_allowed(schema, _resolve(schema, n)) for n in node["oneOf"])
    kind = node.get("type", "")
    if kind == "array":
        items = _allowed(schema, _resolve(schema, node.get("items", {})))
        kind = f"list of {items}" if items else "list"
    bounds = [
        f"{word} {node[key]}"
        for key, word in (
            ("minimum", "≥"),
            ("exclusiveMinimum", ">"),
            ("maximum", "≤"),
        )
        if key in node
    ]
    return ", ".join([kind, *bounds]) if kind else ", ".join(bounds)


if __name__ == "__main__":
    print(
        schema_reference(Path(__file__).parents[1] / "workflow/schemas/config.schema.yaml"), end=""
    )
