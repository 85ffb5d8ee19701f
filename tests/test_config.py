from pathlib import Path

import pytest
import yaml

from killipose import InputError
from killipose.config import check_config, dataset_settings, validate_config

ROOT = Path(__file__).parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def default_config() -> dict:
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def test_the_default_config_is_valid():
    config = default_config()
    validate_config(config, SCHEMA)
    check_config(config)


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
        ({"train": {"epochs": 5}}, "config: train: 'batch_size' is a required property"),
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
            "'killifish' (4)",
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
    assert ds["clean"] == {"max_nan_fraction": 0.5, "max_gap": 3, "max_jump": 30.0}
