"""An interrupted autoencoder fit resumes from its checkpoint and ends as if never stopped."""

import contextlib
import json
import logging
import math
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

import killipose.models.training as training
from killipose import clean_table
from killipose.cli import main
from killipose.errors import InputError
from killipose.models import make
from killipose.models.training import TEST_HOOK
from tests.helpers import hook_env, make_pose_table, timeout, wait_until_paused


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
    real = training.batched_mse

    def validate_or_stop(*args, **kwargs):
        calls.append(1)
        if len(calls) > after_epochs:
            raise Interrupted
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(training, "batched_mse", validate_or_stop)
        with pytest.raises(Interrupted):
            model.fit(X, X_val=X_val, checkpoint=checkpoint, **fit_params)
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
    whole = make(name, seed=3, **params).fit(X, X_val=X_val, **labels)
    assert not checkpoint.exists()

    epoch = fit_until_interrupted(
        make(name, seed=3, **params), X, X_val, checkpoint, 3, monkeypatch, **labels
    )
    with caplog.at_level(logging.INFO, logger="killipose"):
        resumed = make(name, seed=3, **params).fit(X, X_val=X_val, checkpoint=checkpoint, **labels)
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


class Clock:
    """Stands in for the training loop's clock: epochs and saves take the time we say."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:  # the test hook's slowdown
        self.now += seconds


@pytest.mark.parametrize(
    "epoch_s, save_s",
    [
        (0.005, 0.01),  # a linear AE on a small table: saves would cost twice the epochs
        (0.005, 0.0005),  # the same on a fast disk
        (2.0, 0.01),  # long epochs: saved after every one
        (0.5, 30.0),  # a very slow disk: saved once
    ],
)
def test_checkpoints_take_a_bounded_share_of_training_time(tmp_path, monkeypatch, epoch_s, save_s):
    """Saves take about CHECKPOINT_SHARE of the time, yet come often enough, however fast
    the machine and the disk: a clock of our own sets how long epochs and saves take."""
    X, _ = data()
    clock, saved = Clock(), []
    real_mse, real_save = training.batched_mse, training.save_checkpoint

    def epoch_ends(*args, **kwargs):  # validation: once per epoch
        clock.now += epoch_s
        return real_mse(*args, **kwargs)

    def save(path, state):
        real_save(path, state)
        saved.append(state["epoch"])
        clock.now += save_s

    monkeypatch.setattr(training, "time", clock)
    monkeypatch.setattr(training, "batched_mse", epoch_ends)
    monkeypatch.setattr(training, "save_checkpoint", save)
    params = dict(latent_dim=2, batch_size=256, min_steps=600, device="cpu")  # 200 epochs
    model = make("linear", **params).fit(X, checkpoint=tmp_path / "checkpoint.pt")
    epochs = len(model.history_)
    assert epochs == 200

    share = training.CHECKPOINT_SHARE
    assert saved[0] == 1  # the first epoch is always saved
    assert len(saved) * save_s <= share * clock.now + save_s  # the share, but for one save
    # A kill loses at most the time of 1 / share saves, plus an epoch.
    apart = np.diff([*saved, epochs])
    assert apart.max() <= math.ceil(save_s * (1 + 1 / share) / epoch_s) + 1
    if epoch_s >= save_s / share:
        assert saved == list(range(1, epochs))  # every epoch but the last
    assert not (tmp_path / "checkpoint.pt").exists()
    monkeypatch.undo()
    plain = make("linear", **params).fit(X)
    assert_same_weights(model.module_, plain.module_)


def test_test_hook_slows_every_epoch_by_its_factor(monkeypatch):
    X, _ = data()
    clock, real_mse = Clock(), training.batched_mse

    def epoch_ends(*args, **kwargs):
        clock.now += 0.25
        return real_mse(*args, **kwargs)

    monkeypatch.setattr(training, "time", clock)
    monkeypatch.setattr(training, "batched_mse", epoch_ends)
    monkeypatch.setenv(TEST_HOOK, "slowdown=10")
    model = make("nonlinear", **MLP).fit(X)
    assert [h["seconds"] for h in model.history_] == [2.5] * 5


@pytest.mark.parametrize("value", ["pause_after=3", "slowdown=fast", "pause_after_epoch"])
def test_a_test_hook_it_cannot_read_is_one_line_naming_it(monkeypatch, value):
    monkeypatch.setenv(TEST_HOOK, f"slowdown=2,{value}")
    with pytest.raises(InputError, match=rf"^{TEST_HOOK}: cannot use '{value}' \(known: "):
        make("nonlinear", **MLP).fit(data()[0])


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
    whole = make("nonlinear", **params).fit(X, X_val=X_val)
    epoch = fit_until_interrupted(make("nonlinear", **params), X, X_val, checkpoint, 2, monkeypatch)
    with caplog.at_level(logging.INFO, logger="killipose"):
        resumed = make("nonlinear", **params).fit(X, X_val=X_val, checkpoint=checkpoint)
    assert any(m.startswith(f"resuming from epoch {epoch} of 4") for m in caplog.messages)
    assert resumed.circle_cv_ == whole.circle_cv_
    assert without_seconds(resumed.history_) == without_seconds(whole.history_)
    assert_same_weights(resumed.module_, whole.module_)


OUTPUTS = ["history.csv", "metrics.json", "model.pt"]
#: How fast the killed fit trains: as these tests were written, each epoch ten times
#: slower (the test hook's delay), and much faster (a tiny table). The kill never races
#: the fit: the test hook pauses it after epoch 2 of 4, however long that takes.
PACES = {
    "3,000 frames": (3000, {}),
    "3,000 frames, epochs 10x slower": (3000, {"slowdown": 10}),
    "tiny table": (150, {}),
}


def checkpoint_epoch(path) -> int:
    try:
        return torch.load(path, weights_only=True)["epoch"]
    except FileNotFoundError:
        return 0


@pytest.mark.parametrize("pace", PACES)
def test_killed_fit_command_resumes_and_writes_what_an_uninterrupted_one_does(
    tmp_path, monkeypatch, caplog, pace
):
    """SIGKILL `killipose fit` after epoch 2 of 4, run it again: same metrics and weights."""
    frames, hook = PACES[pace]
    clean_table(make_pose_table(frames)).save(tmp_path / "clean")
    epochs, paused_after = 4, 2

    def fit_args(outdir):
        return [
            *("fit", str(tmp_path / "clean"), str(outdir), "--model", "nonlinear"),
            *("--latent-dim", "4", "--param", "hidden=32,32", "--param", f"epochs={epochs}"),
            # the fold (tested above) would add three circle searches, ~2 s each
            *("--param", "design=mlp", "--param", "batch_size=64", "--seed", "7"),
            # bit for bit: the same device and threads
            *("--param", "device=cpu", "--threads", "1"),
        ]

    command = [sys.executable, "-m", "killipose.cli", *fit_args(tmp_path / "killed")]
    checkpoint = tmp_path / "killed" / "checkpoint.pt"
    env = hook_env(pause_after_epoch=paused_after, **hook)
    with open(tmp_path / "first.log", "w") as log:
        process = subprocess.Popen(command, stderr=log, env=env, start_new_session=True)
    try:
        assert wait_until_paused(process.pid, timeout("fit_until_paused")) == process.pid
    finally:
        # As a crash would: a real SIGKILL, of the fit's whole process group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    first = (tmp_path / "first.log").read_text()
    assert process.returncode == -signal.SIGKILL, first
    # The job's threads exactly; each line names the fit (fits share one terminal), and
    # each epoch's says how long the rest would take.
    assert "[nonlinear-4d seed 7] torch threads: 1 (inter-op 1)" in first
    assert re.search(
        r"\[nonlinear-4d seed 7\] epoch 2/4 .*\(\d+\.\d s; at most \d+ s left\)", first
    )
    assert checkpoint_epoch(checkpoint) == paused_after
    assert not any((tmp_path / "killed" / f).exists() for f in OUTPUTS), "output of a killed fit"

    # The reference, uninterrupted, and the same command again, resumed: in this process
    # (the same single torch thread), at the same pace.
    monkeypatch.setenv(TEST_HOOK, hook_env(**hook)[TEST_HOOK])
    assert main(fit_args(tmp_path / "whole")) == 0
    with caplog.at_level(logging.INFO, logger="killipose"):
        assert main(fit_args(tmp_path / "killed")) == 0
    assert f"resuming from epoch {paused_after} of {epochs} (checkpoint {checkpoint})" in (
        caplog.messages
    )

    killed, whole = tmp_path / "killed", tmp_path / "whole"
    # (A kill during an atomic write may leave its hidden temporary file; ignore those.)
    assert sorted(p.name for p in killed.iterdir() if not p.name.startswith(".")) == OUTPUTS
    metrics = [json.loads((d / "metrics.json").read_text()) for d in (killed, whole)]
    assert without_timing(metrics[0]) == without_timing(metrics[1])
    histories = [pd.read_csv(d / "history.csv").drop(columns="seconds") for d in (killed, whole)]
    pd.testing.assert_frame_equal(histories[0], histories[1], check_exact=True)
    assert list(histories[0]["epoch"]) == [1, 2, 3, 4]
    states = [torch.load(d / "model.pt", weights_only=True)["state"] for d in (killed, whole)]
    assert list(states[0]) == list(states[1])
    for name in states[0]:
        assert torch.equal(states[0][name], states[1][name]), name
