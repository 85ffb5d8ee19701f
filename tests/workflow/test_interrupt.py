"""A workflow killed mid-training leaves nothing that looks finished, and resumes (slow)."""

import contextlib
import json
import os
import shlex
import signal
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml

from tests.helpers import BIN, hook_env, local_env, snakemake, timeout, wait_until_paused, workdir

CONFIG = {
    "run": ["fish"],
    "datasets": {
        "fish": {
            "kind": "pose",
            "path": "data/fish.csv",
            "synthetic": {"frames": 5000, "fps": 20, "seed": 3},
        }
    },
    "models": ["linear"],
    "latent_dims": [2],
    "train": {
        "epochs": 15,
        "batch_size": 64,
        "lr": 0.01,
        "patience": 15,
        "device": "cpu",
        "threads": 1,
    },
    "model_params": {"linear": {"min_steps": 0}},
    "seeds": 1,
}
MODEL = "results/fish/models/linear-2d"


@pytest.mark.slow(seconds=60)
def test_killed_workflow_leaves_no_finished_output_and_resumes(tmp_path):
    """Snakemake's side of a kill; a tiny table's resuming is test_resume's."""
    cwd = workdir(tmp_path)
    (cwd / "small.yaml").write_text(yaml.safe_dump(CONFIG))
    target = f"{MODEL}/metrics.json"
    # The test hook pauses the fit after epoch 3 of 15, however fast the machine trains.
    env, plain = local_env(hook_env(pause_after_epoch=3)), local_env()
    run = subprocess.Popen(
        [str(BIN / "snakemake"), target, "--cores", "1", "--configfile", "small.yaml"],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        paused = wait_until_paused(run.pid, timeout("workflow_until_paused"))
        assert b"fit" in Path(f"/proc/{paused}/cmdline").read_bytes().split(b"\0")
    finally:
        # As a crash or `scancel` would: snakemake and the training job die at once.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    checkpoint = cwd / MODEL / "checkpoint.pt"
    assert torch.load(checkpoint, weights_only=True)["epoch"] == 3

    # Nothing the fit rule writes exists: every file is written whole, then renamed.
    for name in ("model.pt", "metrics.json", "history.csv", "latent.parquet"):
        assert not (cwd / MODEL / name).exists(), name
    # Snakemake does not take the step as done: a dry run still plans it.
    unlock = snakemake(cwd, "--configfile", "small.yaml", "--unlock", step="interrupt_unlock")
    assert unlock.returncode == 0, unlock.stderr[-2000:]
    dry = snakemake(
        cwd,
        *(target, "--dry-run", "--printshellcmds", "--configfile", "small.yaml"),
        step="interrupt_dry_run",
    )
    assert dry.returncode == 0 and "rule fit:" in dry.stdout + dry.stderr, dry.stderr[-2000:]

    rerun = snakemake(
        cwd,
        *(target, "--rerun-incomplete", "--configfile", "small.yaml"),
        step="interrupt_rerun",
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    log = (cwd / "results/logs/fish/fit-linear-2d.log").read_text()
    assert "resuming from epoch 3 of 15" in log, log[-2000:]
    assert not checkpoint.exists()

    # The resumed run ends where an uninterrupted one does, bit for bit: the same command,
    # as the dry run printed it, into another folder.
    printed = (dry.stdout + dry.stderr).splitlines()
    (command,) = [
        x.split(": ", 1)[1] for x in printed if x.startswith("Shell command: killipose fit")
    ]
    argv = shlex.split(command.split(" 2>")[0])  # the fit, without its log
    fresh = tmp_path / "uninterrupted"
    argv[argv.index(MODEL)] = str(fresh)
    argv[argv.index(f"{MODEL}/latent.parquet")] = str(fresh / "latent.parquet")
    subprocess.run(
        argv,
        cwd=cwd,
        env=plain,
        check=True,
        capture_output=True,
        timeout=timeout("interrupt_reference_fit"),
    )
    resumed = json.loads((cwd / MODEL / "metrics.json").read_text())
    once = json.loads((fresh / "metrics.json").read_text())
    for metrics in (resumed, once):
        metrics.pop("fit_seconds")
    assert resumed == once
    # Every epoch too: the kept weights may be from an epoch before the kill.
    resumed, once = (
        pd.read_csv(d / "history.csv").drop(columns="seconds") for d in (cwd / MODEL, fresh)
    )
    pd.testing.assert_frame_equal(resumed, once, check_exact=True)
    assert list(resumed["epoch"]) == list(range(1, 16))
    pd.testing.assert_frame_equal(
        *(pd.read_parquet(d / "latent.parquet") for d in (cwd / MODEL, fresh)), check_exact=True
    )
