"""Kinds of dataset: each prepares, scores and lists its outputs; nothing guesses a kind."""

import json

import numpy as np
import pytest

from killipose import clean_table
from killipose.cli import main
from killipose.config import dataset_settings, validate_config
from killipose.datasets import DIGITS, KINDS, POSE, Digits, kind, load_prepared
from killipose.fitting import fit_model, save_fit
from killipose.mnist import MNIST
from killipose.split import stratified_split
from tests.helpers import ROOT, make_pose_table


def small_digits(n=200, seed=0) -> Digits:
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    images = rng.random((n, 784), dtype=np.float32) * 0.1
    images[np.arange(n), labels * 70] = 1.0  # each class lights its own pixel
    split = stratified_split(labels, seed=seed)
    return Digits.from_mnist(MNIST(images, labels, split, "made in the test"))


def test_every_kind_is_registered_by_its_name():
    assert KINDS == {"pose": POSE, "mnist": DIGITS}
    with pytest.raises(Exception, match="unknown dataset kind 'video'"):
        kind("video")


def test_prepared_data_records_its_kind_and_is_read_back_by_it(tmp_path):
    clean = clean_table(make_pose_table(n=300))
    clean.save(tmp_path / "pose")
    small_digits().save(tmp_path / "digits")
    assert load_prepared(tmp_path / "pose").report["kind"] == "pose"
    digits = load_prepared(tmp_path / "digits")
    assert isinstance(digits, Digits) and digits.matrix("train").shape[1] == 784


def test_a_report_without_a_kind_is_refused_not_guessed(tmp_path):
    small_digits().save(tmp_path)
    report = json.loads((tmp_path / "report.json").read_text())
    del report["kind"]
    (tmp_path / "report.json").write_text(json.dumps(report))
    with pytest.raises(Exception, match="no 'kind' in it"):
        load_prepared(tmp_path)


def test_metrics_record_the_kind_and_the_kind_scores(tmp_path):
    _, pose = fit_model(clean_table(make_pose_table(n=300)), "pca", 2)
    assert pose["kind"] == "pose" and set(pose["test_error_px"]) == {"head", "body", "tail"}
    model, digits = fit_model(small_digits(), "pca", 9)
    assert digits["kind"] == "mnist" and "test_error_px" not in digits
    assert digits["probe_accuracy"] > 0.9  # one bright pixel per class: the code keeps it
    assert digits["data"] == "made in the test"
    save_fit(model, digits, tmp_path / "pca")
    assert json.loads((tmp_path / "pca" / "metrics.json").read_text())["kind"] == "mnist"


def test_a_supervised_model_needs_labelled_data():
    with pytest.raises(Exception, match="needs labelled data; pose has none"):
        fit_model(clean_table(make_pose_table(n=300)), "supervised-linear", 2)


def test_compare_refuses_metrics_of_different_kinds(tmp_path, capsys):
    paths = []
    for i, (name, extra) in enumerate([("pose", {"test_error_px": {"a": 1.0}}), ("mnist", {})]):
        metrics = {"model": "pca", "latent_dim": 2, "kind": name, "seed": 0, "test_mse": 0.1}
        metrics |= {"train_mse": 0.1, "val_mse": 0.1, "explained_variance": 0.9} | extra
        paths.append(tmp_path / f"m{i}.json")
        paths[-1].write_text(json.dumps(metrics))
    args = ["compare", *map(str, paths), "--csv", str(tmp_path / "m.csv"), "--html", "m.html"]
    assert main(args) == 2
    assert "metrics of different kinds of data (mnist, pose)" in capsys.readouterr().err
    old = json.loads(paths[0].read_text())
    del old["kind"]
    paths[0].write_text(json.dumps(old))
    assert main(args) == 2
    assert "no 'kind' in it (written by an older killipose); fit again" in capsys.readouterr().err
    assert not (tmp_path / "m.csv").exists()


def test_each_kind_lists_its_outputs():
    config = {
        "run": ["fish", "digits"],
        "datasets": {
            "fish": {"kind": "pose", "path": "f.csv", "models": ["pca", "vae"]},
            "digits": {
                "kind": "mnist",
                "path": "d",
                "latent_dims": [2, 10],
                "supervised": {"models": ["supervised-linear"], "latent_dims": [10]},
                "interpolation": {"latent_dim": 10},
            },
        },
        "models": ["pca", "linear"],
    }
    validate_config(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")
    fish = POSE.outputs(dataset_settings(config, "fish"), "r/fish")
    assert "r/fish/figures/latents-vae-4d.png" in fish and "r/fish/figures/qc-missing.png" in fish
    assert "r/fish/animations/vae-walk-4d.mp4" in fish
    analyses = {
        "r/fish/figures/room.png",
        "r/fish/figures/training-4d.png",
        "r/fish/figures/traversal-pca-4d.png",
        "r/fish/figures/traversal-vae-4d.png",
        "r/fish/code-kinematics-4d.html",
        "r/fish/figures/code-map-4d.png",
        "r/fish/figures/day-4d.png",
    }
    assert analyses <= set(fish) and len(fish) == 11 + len(analyses)
    # the analyses are the config's choice, per dataset too
    config["datasets"]["fish"]["analyses"] = ["day"]
    fewer = POSE.outputs(dataset_settings(config, "fish"), "r/fish")
    assert set(fish) - set(fewer) == analyses - {"r/fish/figures/day-4d.png"}
    ds = dataset_settings(config, "digits")
    digits = DIGITS.outputs(ds, "r/d")
    assert (
        "r/d/figures/encoder-map-2d.png" in digits and "r/d/figures/interpolation-10d.png" in digits
    )
    assert not any("vae" in p for p in digits)
    assert DIGITS.fits(ds) == [
        ("pca", 2),
        ("pca", 10),
        ("linear", 2),
        ("linear", 10),
        ("supervised-linear", 10),
    ]
