import copy
import inspect
import re

import pytest
import yaml

from killipose import InputError
from killipose.cleaning import clean_table
from killipose.cli import main
from killipose.config import (
    check_config,
    check_paths,
    dataset_settings,
    schema_reference,
    validate_config,
)
from tests.helpers import ROOT, make_pose_table

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def default_config(check: bool = True) -> dict:
    """config/config.yaml; checked (so with the schema's defaults filled in) by default."""
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    if check:
        validate_config(config, SCHEMA)
    return config


def user_config(change: dict) -> dict:
    """The default config updated by ``change`` as Snakemake merges a ``--configfile``."""

    def update(config, change):
        for key, value in change.items():
            if isinstance(value, dict) and isinstance(config.get(key), dict):
                update(config[key], value)
            else:
                config[key] = copy.deepcopy(value)
        return config

    config = update(default_config(check=False), change)
    validate_config(config, SCHEMA)
    return config


def test_the_default_config_is_valid():
    config = default_config()
    validate_config(config, SCHEMA)
    check_config(config)
    check_paths(config, ROOT)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"trian": {"epochs": 3}},
            "config: (top level): Additional properties are not allowed ('trian'",
        ),
        ({"latent_dims": [0]}, "config: latent_dims.0: 0 is less than the minimum of 1"),
        ({"models": ["pca", "umap"]}, "config: models.1: 'umap' is not one of"),
        ({"seed": "zero"}, "config: seed: 'zero' is not of type 'integer'"),
        (
            {"clean": {"max_nan_fraction": 2, "max_gap": 10, "max_jump": 30}},
            "config: clean.max_nan_fraction: 2 is greater than the maximum of 1",
        ),
        (
            {"datasets": {"fish": {"kind": "pose", "path": "f.csv", "keypointz": "auto"}}},
            "config: datasets.fish: Additional properties are not allowed ('keypointz'",
        ),
        ({"datasets": {"fish": {"kind": "pose"}}}, "config: datasets.fish: 'path' is a required"),
        (
            {
                "train": {
                    "epochs": 0,
                    "batch_size": 8,
                    "lr": 0.1,
                    "patience": 1,
                    "device": "cpu",
                    "threads": 1,
                }
            },
            "config: train.epochs: 0 is less than the minimum of 1",
        ),
        ({"train": {"device": "gpu"}}, "config: train.device: 'gpu' is not one of"),
    ],
)
def test_schema_names_the_bad_key(change, message):
    config = default_config() | change
    with pytest.raises(InputError) as err:
        validate_config(config, SCHEMA)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"run": ["fishy"]}, "config: run[0]: dataset 'fishy' is not defined"),
        (
            {
                "run": ["killifish"],
                "datasets": {
                    "killifish": {"kind": "pose", "path": "x.csv", "keypoints": ["a", "b"]}
                },
            },
            "config: latent_dims: 4 must be below the number of features of dataset "
            "'killifish' (4: x and y of 2 keypoints)",
        ),
    ],
)
def test_config_that_does_not_fit_together(change, message):
    config = default_config() | change
    validate_config(config, SCHEMA)
    with pytest.raises(InputError) as err:
        check_config(config)
    assert message in str(err.value)


def test_dataset_settings_fill_in_the_defaults():
    config = default_config()
    config["datasets"]["killifish"]["latent_dims"] = [2, 8]
    config["datasets"]["killifish"]["clean"] = {"max_gap": 3}
    ds = dataset_settings(config, "killifish")
    assert ds["latent_dims"] == [2, 8]
    assert ds["models"] == ["pca", "linear", "nonlinear"]
    assert ds["clean"] == {
        "max_nan_fraction": 0.5,
        "max_gap": 3,
        "max_jump": 30.0,
        "min_confidence": "auto",
        "frame": "world",
        "origin": "centroid",
    }
    assert ds["clean_args"] == "--min-confidence auto --frame world --origin centroid"
    assert ds["read_args"] == "--format auto"
    assert ds["seed_list"] == [0, 1, 2]  # seeds: 3 from seed 0
    assert dataset_settings(config, "mnist")["seed_list"] == [0]  # the dataset's seeds: 1
    config["seed"] = 5
    assert dataset_settings(config, "killifish")["seed_list"] == [5, 6, 7]


NAME_RULE = (
    "is not a valid dataset name (letters, digits, '_' and '-', starting with a letter or "
    "digit: it becomes part of file names and of Snakemake wildcards)"
)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # Unknown keys, at every level a user writes.
        (
            {"train": {"epohcs": 3}},
            "config: train: Additional properties are not allowed ('epohcs' was unexpected) "
            "(allowed: activation, batch_size,",
        ),
        (
            {"clean": {"max_gapp": 3}},
            "config: clean: Additional properties are not allowed ('max_gapp' was unexpected) "
            "(allowed: axis, frame, max_gap, max_jump, max_nan_fraction, min_confidence, origin)",
        ),
        (
            {"animation": {"frame": 100}},
            "config: animation: Additional properties are not allowed ('frame' was unexpected) "
            "(allowed: fps, frames, magnify, start)",
        ),
        (
            {"datasets": {"killifish": {"train": {"epohcs": 3}}}},
            "config: datasets.killifish.train: Additional properties are not allowed ('epohcs'",
        ),
        (
            {"datasets": {"killifish": {"synthetic": {"frame": 100}}}},
            "config: datasets.killifish.synthetic: Additional properties are not allowed "
            "('frame' was unexpected) (allowed: fps, frames, seed)",
        ),
        (
            {"model_params": {"linear": {"epohcs": 3}}},
            "config: model_params.linear: Additional properties are not allowed ('epohcs'",
        ),
        # Wrong types.
        ({"train": {"epochs": "ten"}}, "config: train.epochs: 'ten' is not of type 'integer'"),
        ({"train": {"epochs": 2.5}}, "config: train.epochs: 2.5 is not of type 'integer'"),
        ({"train": {"epochs": True}}, "config: train.epochs: True is not of type 'integer'"),
        ({"train": {"lr": "fast"}}, "config: train.lr: 'fast' is not of type 'number'"),
        ({"latent_dims": 4}, "config: latent_dims: 4 is not of type 'array'"),
        ({"latent_dims": ["4"]}, "config: latent_dims.0: '4' is not of type 'integer'"),
        ({"run": "killifish"}, "config: run: 'killifish' is not of type 'array'"),
        ({"datasets": {"killifish": None}}, "config: datasets.killifish: None is not of type"),
        (
            {"datasets": {"killifish": {"fps": "30"}}},
            "config: datasets.killifish.fps: '30' is not of type 'number'",
        ),
        (
            {"datasets": {"killifish": {"keypoints": "snout"}}},
            "config: datasets.killifish.keypoints: 'snout' is not auto or a list of keypoint names",
        ),
        ({"train": {"device": "gpu"}}, "config: train.device: 'gpu' is not one of"),
        # Zero and negative sizes.
        ({"train": {"epochs": -1}}, "config: train.epochs: -1 is less than the minimum of 1"),
        ({"train": {"batch_size": 0}}, "config: train.batch_size: 0 is less than the minimum of 1"),
        (
            {"train": {"batch_size": -256}},
            "config: train.batch_size: -256 is less than the minimum of 1",
        ),
        ({"train": {"patience": 0}}, "config: train.patience: 0 is less than the minimum of 1"),
        ({"train": {"patience": -1}}, "config: train.patience: -1 is less than the minimum of 1"),
        ({"train": {"lr": 0}}, "config: train.lr: 0 is less than or equal to the minimum of 0"),
        ({"train": {"threads": 0}}, "config: train.threads: 0 is less than the minimum of 1"),
        ({"latent_dims": [4, -2]}, "config: latent_dims.1: -2 is less than the minimum of 1"),
        (
            {"datasets": {"mnist": {"latent_dims": [2, 0]}}},
            "config: datasets.mnist.latent_dims.1: 0 is less than the minimum of 1",
        ),
        ({"animation": {"frames": 0}}, "config: animation.frames: 0 is less than the minimum of 1"),
        (
            {"animation": {"frames": -1}},
            "config: animation.frames: -1 is less than the minimum of 1",
        ),
        (
            {"animation": {"fps": 0}},
            "config: animation.fps: 0 is less than or equal to the minimum of 0",
        ),
        (
            {"animation": {"fps": -20}},
            "config: animation.fps: -20 is less than or equal to the minimum of 0",
        ),
        ({"animation": {"start": -1}}, "config: animation.start: -1 is less than the minimum of 0"),
        (
            {"datasets": {"killifish": {"synthetic": {"frames": 0}}}},
            "config: datasets.killifish.synthetic.frames: 0 is less than the minimum of 100",
        ),
        (
            {"datasets": {"killifish": {"synthetic": {"frames": -10}}}},
            "config: datasets.killifish.synthetic.frames: -10 is less than the minimum of 100",
        ),
        ({"clean": {"max_gap": -1}}, "config: clean.max_gap: -1 is less than the minimum of 0"),
        (
            {"clean": {"max_jump": 0}},
            "config: clean.max_jump: 0 is less than or equal to the minimum of 0",
        ),
        ({"seed": -1}, "config: seed: -1 is less than the minimum of 0"),
        # YAML's .inf and .nan pass a schema's bounds; they are stopped too.
        ({"animation": {"fps": float("inf")}}, "config: animation.fps: inf is not a finite number"),
        (
            {"clean": {"max_jump": float("nan")}},
            "config: clean.max_jump: nan is not a finite number",
        ),
        # Unknown model names, wherever a model is named.
        (
            {"datasets": {"killifish": {"models": ["pca", "umap"]}}},
            "config: datasets.killifish.models.1: 'umap' is not one of ['pca', 'linear', "
            "'nonlinear', 'vae'",
        ),
        (
            {"model_params": {"umap": {}}},
            "config: model_params: 'umap' is not one of ['pca', 'linear', 'nonlinear'",
        ),
        # Dataset names become file names and wildcards.
        ({"datasets": {"my fish": {"kind": "pose", "path": "f.csv"}}}, f"'my fish' {NAME_RULE}"),
        ({"datasets": {"-fish": {"kind": "pose", "path": "f.csv"}}}, f"'-fish' {NAME_RULE}"),
        ({"datasets": {"a/b": {"kind": "pose", "path": "f.csv"}}}, f"'a/b' {NAME_RULE}"),
        (
            {"datasets": {"": {"kind": "pose", "path": "f.csv"}}},
            f"config: datasets: '' {NAME_RULE}",
        ),
        ({"run": ["fish;rm"]}, f"config: run.0: 'fish;rm' {NAME_RULE}"),
        # What the command line or Snakemake would misread.
        (
            {"datasets": {"killifish": {"keypoints": ["snout", "mid,body"]}}},
            "config: datasets.killifish.keypoints.1: 'mid,body' is not a keypoint name "
            "(no commas, not starting with '-')",
        ),
        (
            {"datasets": {"killifish": {"path": "data/{fish}.csv"}}},
            "config: datasets.killifish.path: 'data/{fish}.csv' is not a path without { or } "
            "(Snakemake would read {name} in it as a wildcard; rename the file or folder)",
        ),
        (
            {"datasets": {"fish": {"kind": "pose", "path": "f.csv", "synthetic": {"frames": 500}}}},
            "config: datasets.fish.synthetic: 'fps' is a required property",
        ),
    ],
)
def test_a_user_configfile_is_stopped_naming_the_key(change, message):
    with pytest.raises(InputError) as err:
        validate_config(user_config(change), SCHEMA)
    assert message in str(err.value)
    assert str(err.value).startswith("config: ") and "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"datasets": {"killifish": {"model_params": {"linear": {"beta": 1.0}}}}},
            "config: datasets.killifish.model_params.linear.beta: model 'linear' takes no such "
            "parameter (it takes: activation,",
        ),
        ({"model_params": {"pca": {"epochs": 3}}}, "config: model_params.pca.epochs: model 'pca'"),
    ],
)
def test_a_model_parameter_the_model_does_not_take_is_named(change, message):
    config = user_config(change)
    validate_config(config, SCHEMA)
    with pytest.raises(InputError, match=re.escape(message)):
        check_config(config)


def test_latent_dims_set_by_a_dataset_are_named_there():
    config = user_config(
        {
            "run": ["fish"],
            "datasets": {
                "fish": {
                    "kind": "pose",
                    "path": "f.csv",
                    "keypoints": ["head", "body", "tail"],
                    "latent_dims": [2, 6],
                }
            },
        }
    )
    validate_config(config, SCHEMA)
    with pytest.raises(InputError) as err:
        check_config(config)
    assert str(err.value) == (
        "config: datasets.fish.latent_dims: 6 must be below the number of features of "
        "dataset 'fish' (6: x and y of 3 keypoints)"
    )


@pytest.mark.parametrize(
    ("dataset", "message"),
    [
        (
            {"kind": "pose", "path": "nothere.csv"},
            "config: datasets.fish.path: nothere.csv: no such file (relative to {root})",
        ),
        (
            {"kind": "pose", "path": "sub"},
            "config: datasets.fish.path: sub: is a folder (relative to {root}), expected a CSV "
            "or Parquet file",
        ),
        (
            {"kind": "mnist", "path": "no mnist"},
            "config: datasets.fish.path: no mnist: no such folder (relative to {root}); it "
            "should hold the MNIST IDX files (`killipose fetch-mnist 'no mnist'` downloads them)",
        ),
        (
            {"kind": "pose", "path": "/nowhere/fish.parquet"},
            "config: datasets.fish.path: /nowhere/fish.parquet: no such file",
        ),
    ],
)
def test_a_missing_input_is_stopped_naming_its_path_key(tmp_path, dataset, message):
    (tmp_path / "sub").mkdir()
    config = user_config({"run": ["fish"], "datasets": {"fish": dataset}})
    validate_config(config, SCHEMA)
    check_config(config)
    with pytest.raises(InputError) as err:
        check_paths(config, tmp_path)
    assert str(err.value) == message.format(root=tmp_path.resolve())


def test_inputs_that_need_not_exist_yet(tmp_path):
    (tmp_path / "fish.csv").write_text("x_a,y_a,x_b,y_b,x_c,y_c\n1,2,3,4,5,6\n")
    config = user_config(
        {
            "run": ["fish", "synth"],
            "datasets": {
                "fish": {"kind": "pose", "path": "fish.csv"},
                # absent, but generated by the workflow
                "synth": {
                    "kind": "pose",
                    "path": "synth.csv",
                    "synthetic": {"frames": 500, "fps": 20, "seed": 0},
                },
                "unused": {"kind": "pose", "path": "not run, not checked.csv"},
            },
        }
    )
    check_paths(config, tmp_path)


@pytest.mark.parametrize("name", ["fish.csv", "fish.parquet"])
def test_latent_dim_too_large_for_the_table_header_is_stopped_at_start(tmp_path, name):
    table = make_pose_table(n=20, keypoints=("head", "tail"))
    path = tmp_path / name
    table.to_csv(path, index=False) if name.endswith(".csv") else table.to_parquet(path)
    config = user_config({"run": ["fish"], "datasets": {"fish": {"kind": "pose", "path": name}}})
    with pytest.raises(InputError) as err:
        check_paths(config, tmp_path)
    assert str(err.value) == (
        "config: latent_dims: 4 must be below the number of features of dataset 'fish' "
        f"(4: x and y of 2 keypoints in {name})"
    )


def test_latent_dim_too_large_for_an_auto_keypoint_table_stops_the_fit(tmp_path, capsys):
    # Cleaning may drop keypoints the header has (all NaN), so `killipose fit` (what the
    # workflow runs) checks too: it says it in one line and writes nothing.
    clean_table(make_pose_table(n=600, keypoints=("head", "tail"))).save(tmp_path / "clean")
    out = tmp_path / "pca-4d"
    capsys.readouterr()
    args = ["fit", str(tmp_path / "clean"), str(out), "--model", "pca", "--latent-dim", "4"]
    args += ["--seed", "0", "--threads", "1"]
    assert main(args) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 1 and errors[0].startswith("killipose: error: "), errors
    assert "latent_dim" in errors[0] and "(3), got 4" in errors[0]
    assert not out.exists()


def test_config_readme_is_generated_from_the_current_schema():
    """config/README.md documents every key; regenerate it with the command it names."""
    assert (ROOT / "config" / "README.md").read_text() == schema_reference(SCHEMA)
    text = schema_reference(SCHEMA)
    assert "| `clean.max_gap` | integer, ≥ 0 | `10` |" in text
    assert "| `animation.frames` | integer, ≥ 1 | `1000` |" in text


def test_every_default_is_filled_in_from_the_schema_once():
    config = {"run": ["f"], "datasets": {"f": {"kind": "pose", "path": "f.csv"}}}
    validate_config(config, SCHEMA)
    assert config["clean"]["max_gap"] == 10
    assert config["animation"] == {"frames": 1000, "magnify": 5}
    assert config["seeds"] == 1 and config["models"] == ["pca", "linear", "nonlinear"]
    assert config["datasets"]["f"] == {
        "kind": "pose",
        "path": "f.csv",
        "keypoints": "auto",
        "format": "auto",
        "supervised": {"models": [], "latent_dims": []},
    }
    # A dataset's own clean block is an override: it gets no defaults of its own, so the
    # top level's settings reach it (a dataset's clean: {max_gap: 5} keeps max_jump).
    config = {
        "run": ["f"],
        "datasets": {"f": {"kind": "pose", "path": "f.csv", "clean": {"max_gap": 5}}},
        "clean": {"max_jump": 12.0},
    }
    validate_config(config, SCHEMA)
    assert config["datasets"]["f"]["clean"] == {"max_gap": 5}
    assert dataset_settings(config, "f")["clean"]["max_jump"] == 12.0


def test_the_librarys_defaults_are_the_schemas():
    """clean_table's keyword defaults (what `killipose clean` uses when an option is not
    given) are the schema's: a script and the workflow clean alike."""
    schema = yaml.safe_load(SCHEMA.read_text())
    defaults = {k: v["default"] for k, v in schema["properties"]["clean"]["properties"].items()}
    signature = inspect.signature(clean_table).parameters
    library = {k: signature[k].default for k in defaults}
    assert library == defaults | {"min_confidence": None}  # None is auto there
