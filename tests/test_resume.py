"""An interrupted autoencoder fit resumes from its checkpoint and ends as if never stopped."""

import json
import logging
import math
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import torch

import killipose.models.training
from killipose import clean_table
from killipose.cli import main
from killipose.models import make
from tests.conftest import make_pose_table


def without_timing(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k != "fit_seconds"}


def without_seconds(history: list[dict]) -> list[dict]:
    return [{k: v for k, v in h.items() if k != "seconds"} for h in history]


def assert_same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    a, b = a.state_dict(), b.state_dict()
    assert list(a) == list(b)
    for name in a:
        assert torch.equal(a[name], b[name]), name


def data(n=600, features=6, seed=0):
    """Small correlated data; ``y`` labels for the supervised model."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) @ rng.normal(size=(3, features)) + 0.1 * rng.normal(
        size=(n, features)
    )
    return X.astype(np.float32), (X[:, 0] > 0).astype(np.int64)


#: Small and quick to train: a plain MLP (no data-dependent start).
MLP = dict(
    latent_dim=2, hidden=(8,), design="mlp", epochs=5, batch_size=32, patience=5, device="cpu"
)


class Interrupted(Exception):
    pass


def fit_until_interrupted(model, X, X_val, checkpoint, after_epochs, monkeypatch, **fit_params):
    """Fit ``model`` but stop it, as a kill would, during epoch ``after_epochs + 1``.

    Returns the epoch the checkpoint was saved after: 1 to ``after_epochs`` (epochs of
    milliseconds are not all saved, see ``CHECKPOINT_SHARE``).
    """
    calls = []
    real = killipose.models.training.batched_mse

    def validate_or_stop(*args, **kwargs):
        calls.append(1)
        if len(calls) > after_epochs:
            raise Interrupted
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(killipose.models.training, "batched_mse", validate_or_stop)
        with pytest.raises(Interrupted):
            model.fit(X, X_val, checkpoint=checkpoint, **fit_params)
    epoch = torch.load(checkpoint, weights_only=True)["epoch"]
    assert 1 <= epoch <= after_epochs
    return epoch


@pytest.mark.parametrize(
    "name, params",
    [
        ("nonlinear", MLP),
        ("linear", dict(latent_dim=2, epochs=5, batch_size=32, min_steps=0, device="cpu")),
        ("supervised-nonlinear", MLP | {"n_classes": 2}),
    ],
)
def test_resumed_fit_equals_uninterrupted_fit(tmp_path, monkeypatch, caplog, name, params):
    (X, y), (X_val, y_val) = data(seed=0), data(200, seed=1)
    labels = {"y": y, "y_val": y_val} if name.startswith("supervised") else {}
    checkpoint = tmp_path / "checkpoint.pt"
    whole = make(name, seed=3, **params).fit(X, X_val, **labels)
    assert not checkpoint.exists()

    epoch = fit_until_interrupted(
        make(name, seed=3, **params), X, X_val, checkpoint, 3, monkeypatch, **labels
    )
    with caplog.at_level(logging.INFO, logger="killipose"):
        resumed = make(name, seed=3, **params).fit(X, X_val, checkpoint=checkpoint, **labels)
    assert f"resuming from epoch {epoch} of 5 (checkpoint {checkpoint})" in caplog.messages
    assert [h["epoch"] for h in resumed.history_] == [1, 2, 3, 4, 5]
    assert without_seconds(resumed.history_) == without_seconds(whole.history_)
    assert_same_weights(resumed.module_, whole.module_)
    np.testing.assert_array_equal(resumed.transform(X_val), whole.transform(X_val))
    assert not checkpoint.exists()


def test_checkpoint_is_plain_data_and_removed_after_success(tmp_path, monkeypatch):
    X, _ = data()
    checkpoint = tmp_path / "deep" / "checkpoint.pt"
    epoch = fit_until_interrupted(make("nonlinear", **MLP), X, None, checkpoint, 3, monkeypatch)
    saved = torch.load(checkpoint, weights_only=True)  # no pickled objects, no code
    assert saved["format"] == "killipose-checkpoint/1"
    assert (saved["epochs"], saved["step"]) == (5, epoch * math.ceil(600 / 32))
    assert [h["epoch"] for h in saved["history"]] == list(range(1, epoch + 1))
    assert saved["fingerprint"]["model.seed"] == 0
    assert sorted(p.name for p in checkpoint.parent.iterdir()) == ["checkpoint.pt"]  # no temp

    make("nonlinear", **MLP).fit(X, checkpoint=checkpoint)
    assert not checkpoint.exists()
    make("nonlinear", **MLP).fit(X, checkpoint=checkpoint)  # an uninterrupted fit: none left
    assert list(checkpoint.parent.iterdir()) == []


def test_thousands_of_short_epochs_are_not_all_saved(tmp_path, monkeypatch):
    """A linear AE on a small table runs ~700 epochs of milliseconds: saves stay cheap."""
    X, _ = data()
    saves = []
    real = killipose.models.training.save_checkpoint

    def timed_save(*args):
        start = time.perf_counter()
        real(*args)
        saves.append(time.perf_counter() - start)

    monkeypatch.setattr(killipose.models.training, "save_checkpoint", timed_save)
    params = dict(latent_dim=2, batch_size=256, min_steps=2000, device="cpu")
    start = time.perf_counter()
    model = make("linear", **params).fit(X, checkpoint=tmp_path / "checkpoint.pt")
    seconds = time.perf_counter() - start
    assert len(model.history_) == 667
    assert 1 <= len(saves) < 667
    assert sum(saves) < 0.1 * seconds, (
        f"{len(saves)} saves took {sum(saves):.2f} of {seconds:.2f} s"
    )
    plain = make("linear", **params).fit(X)
    assert_same_weights(model.module_, plain.module_)


@pytest.mark.parametrize(
    "change, differs",
    [
        ({"seed": 1}, "model.seed"),
        ({"lr": 2e-3}, "model.lr"),
        ({"hidden": (6,)}, "model.hidden"),
        ({"epochs": 6}, "model.epochs"),
        ("data", "data.X_train"),
    ],
)
def test_checkpoint_of_another_fit_is_ignored(tmp_path, monkeypatch, caplog, change, differs):
    X, _ = data()
    checkpoint = tmp_path / "checkpoint.pt"
    fit_until_interrupted(make("nonlinear", **MLP), X, None, checkpoint, 2, monkeypatch)
    params = MLP if change == "data" else MLP | change
    if change == "data":
        X = X.copy()
        X[17, 3] += 1e-3
    fresh = make("nonlinear", **params).fit(X)
    with caplog.at_level(logging.INFO, logger="killipose"):
        other = make("nonlinear", **params).fit(X, checkpoint=checkpoint)
    (line,) = [m for m in caplog.messages if "checkpoint" in m]
    assert line.startswith(f"ignoring checkpoint {checkpoint}: it is from a different training")
    assert differs in line
    assert without_seconds(other.history_) == without_seconds(fresh.history_)
    assert_same_weights(other.module_, fresh.module_)
    assert not checkpoint.exists()


def test_unreadable_checkpoint_is_ignored(tmp_path, caplog):
    X, _ = data()
    checkpoint = tmp_path / "checkpoint.pt"
    checkpoint.write_bytes(b"half a file")
    with caplog.at_level(logging.INFO, logger="killipose"):
        make("nonlinear", **MLP).fit(X, checkpoint=checkpoint)
    assert any(
        m.startswith(f"ignoring checkpoint {checkpoint}: cannot read") for m in caplog.messages
    )
    assert not checkpoint.exists()


def test_fold_design_resumes_with_the_same_start_from_data(tmp_path, monkeypatch, caplog):
    """The fold starts from PCA and a circle found by search: both must repeat exactly."""
    clean = clean_table(make_pose_table(1500))
    X, X_val = clean.matrix("train"), clean.matrix("val")
    params = dict(latent_dim=4, hidden=(16, 16), epochs=4, batch_size=128, seed=5, device="cpu")
    checkpoint = tmp_path / "checkpoint.pt"
    whole = make("nonlinear", **params).fit(X, X_val)
    epoch = fit_until_interrupted(make("nonlinear", **params), X, X_val, checkpoint, 2, monkeypatch)
    with caplog.at_level(logging.INFO, logger="killipose"):
        resumed = make("nonlinear", **params).fit(X, X_val, checkpoint=checkpoint)
    assert any(m.startswith(f"resuming from epoch {epoch} of 4") for m in caplog.messages)
    assert resumed.circle_cv_ == whole.circle_cv_
    assert without_seconds(resumed.history_) == without_seconds(whole.history_)
    assert_same_weights(resumed.module_, whole.module_)


OUTPUTS = ["history.csv", "metrics.json", "model.pt"]


def checkpoint_epoch(path) -> int:
    try:
        return torch.load(path, weights_only=True)["epoch"]
    except FileNotFoundError:
        return 0


def test_killed_fit_command_resumes_and_writes_what_an_uninterrupted_one_does(tmp_path):
    """SIGKILL `killipose fit` mid-training, run it again: same metrics and weights."""
    clean_table(make_pose_table(3000)).save(tmp_path / "clean")
    epochs = 4

    def fit_args(outdir):
        return [
            "fit",
            str(tmp_path / "clean"),
            str(outdir),
            "--model",
            "nonlinear",
            "--latent-dim",
            "4",
            "--design",
            "mlp",  # the fold (tested above) would add three circle searches, ~2 s each
            "--hidden",
            "32,32",
            "--epochs",
            str(epochs),
            "--batch-size",
            "8",  # small batches: ~0.5 s epochs, so the kill lands mid-training
            "--seed",
            "7",
        ]

    command = [sys.executable, "-m", "killipose.cli", *fit_args(tmp_path / "killed")]
    checkpoint = tmp_path / "killed" / "checkpoint.pt"
    with open(tmp_path / "first.log", "w") as log:
        process = subprocess.Popen(command, stderr=log)
    try:
        deadline = time.monotonic() + 300
        while checkpoint_epoch(checkpoint) < 1:  # always saved after the first epoch
            if process.poll() is not None:
                pytest.fail(
                    f"`killipose fit` ended (status {process.returncode}) before it could be "
                    f"killed after epoch 1 of {epochs}; make its epochs longer. Its log:\n"
                    + (tmp_path / "first.log").read_text()
                )
            assert time.monotonic() < deadline, "no checkpoint after 300 s"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert not any((tmp_path / "killed" / f).exists() for f in OUTPUTS), "output of a killed fit"

    # The reference, uninterrupted, in this process (same single torch thread).
    assert main(fit_args(tmp_path / "whole")) == 0
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    resumed = re.search(
        rf"resuming from epoch (\d+) of {epochs} \(checkpoint {re.escape(str(checkpoint))}\)",
        again.stderr,
    )
    assert resumed, again.stderr
    assert 1 <= int(resumed.group(1)) < epochs

    killed, whole = tmp_path / "killed", tmp_path / "whole"
    # (A kill during an atomic write may leave its hidden temporary file; ignore those.)
    assert sorted(p.name for p in killed.iterdir() if not p.name.startswith(".")) == OUTPUTS
    metrics = [json.loads((d / "metrics.json").read_text()) for d in (killed, whole)]
    assert without_timing(metrics[0]) == without_timing(metrics[1])
    histories = [pd.read_csv(d / "history.csv").drop(columns="seconds") for d in (killed, whole)]
    pd.testing.assert_frame_equal(histories[0], histories[1], check_exact=True)
    states = [torch.load(d / "model.pt", weights_only=True)["state"] for d in (killed, whole)]
    assert list(states[0]) == list(states[1])
    for name in states[0]:
        assert torch.equal(states[0][name], states[1][name]), name
