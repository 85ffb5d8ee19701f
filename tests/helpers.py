"""What the tests share: paths, timeouts, small tables, and running Snakemake.

Test files import from here, never from each other; ``conftest.py`` holds the fixtures.
"""

import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from killipose.errors import InputError
from killipose.io import read_poses
from killipose.models.training import TEST_HOOK

ROOT = Path(__file__).parents[1]
#: Real files from trackers and saved models (see data/README.md).
DATA = ROOT / "tests" / "data"
BIN = Path(sys.executable).parent
#: The small workflow config the workflow tests (and so CI) run: `.test/config/`.
TEST_CONFIG = ROOT / ".test" / "config" / "config.yaml"

#: Timeouts leave room for a machine this many times slower than the slowest one these
#: tests were measured on: 2 cores on 2026-11-29 (`import torch` took 3.6 s there, and a
#: float32 2048x2048 matmul ran at 54 GFLOP/s on one thread), with a third process
#: keeping one core busy.
SLOWER = 3
#: The longest each step that a test waits for took there, in seconds, rounded up; each
#: comment gives the time measured in a whole `pytest -n 2` run beside a process that kept
#: one core busy.
SLOWEST = {
    "cli_error": 5,  # 3.4: `killipose clean` of a missing file (test_cli)
    "fit_until_paused": 15,  # 14.1: `killipose fit` started, paused after epoch 2 (test_resume)
    "workflow_until_paused": 25,  # 23.4: Snakemake, synth, clean, 3 epochs (test_interrupt)
    "interrupt_unlock": 6,  # 5.4
    "interrupt_dry_run": 6,  # 5.7
    "interrupt_rerun": 30,  # 25.9
    "interrupt_reference_fit": 25,  # 20.8
    "workflow_default": 210,  # 205.2 (test_workflow, the small_run fixture)
    "workflow_report": 10,  # 7.6
    "report_browser_step": 5,  # 4.6: opening report.html, the slowest step (test_report_browser)
    "workflow_any_table": 280,  # 275.9
    "workflow_tracker_file": 150,  # 144.0 (beside a 1-thread benchmark)
    "workflow_mnist": 150,  # 140.1
    "workflow_bad_config": 6,  # 5.3
    "slurm_laptop": 100,  # 98.3 (test_slurm)
    # 168.8 with a job per step; with the steps after the fits in one group job (which
    # runs them one at a time) 200.4, and 237.4 beside another user's benchmarks
    "slurm_cluster": 240,
}


#: No step is called hung sooner than this: a step of seconds took over 30 s (10x its
#: time) in a CI run beside four other test runs on 2 cores (load average 8).
MIN_TIMEOUT = 120


def timeout(step: str) -> int:
    """Seconds to wait for ``step`` (a key of ``SLOWEST``) before calling it hung."""
    return max(MIN_TIMEOUT, math.ceil(SLOWER * SLOWEST[step]))


def hook_env(**settings) -> dict[str, str]:
    """This environment, with ``settings`` added to the training test hook.

    Settings already in the environment stay unless named here: a whole run can be
    slowed with ``KILLIPOSE_TEST_HOOK=slowdown=10 pytest ...`` while a test pauses a fit.
    See ``killipose.models.training.read_test_hook``.
    """
    items = [os.environ.get(TEST_HOOK, "")] + [f"{k}={v}" for k, v in settings.items()]
    return dict(os.environ, **{TEST_HOOK: ",".join(filter(None, items))})


def wait_until_paused(group: int, seconds: float) -> int:
    """The pid of a process in process group ``group`` once one is stopped (state T).

    The training test hook stops a fit with SIGSTOP after a chosen epoch; this waits for
    that state, which lasts, so the test acts on it without racing the fit. Reads /proc
    (Linux). Fails when every process of the group has ended, or after ``seconds``.
    """
    deadline = time.monotonic() + seconds
    while True:
        states = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:  # the process ended meanwhile
                continue
            state, _, pgrp = text[text.rindex(")") + 2 :].split()[:3]
            if int(pgrp) == group:
                states[int(stat.parent.name)] = state
        stopped = [pid for pid, state in states.items() if state == "T"]
        if stopped:
            return stopped[0]
        assert any(state != "Z" for state in states.values()), (
            f"process group {group} ended before a fit paused"
        )
        assert time.monotonic() < deadline, f"no fit paused within {seconds} s"
        time.sleep(0.1)


def make_pose_table(n=400, keypoints=("head", "body", "tail"), fps=30.0, seed=0):
    """A small table of a moving 3-point skeleton, made here so tests see every value."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fps
    centre = np.stack([100 + 40 * np.sin(0.3 * t), 80 + 30 * np.cos(0.2 * t)], axis=1)
    angle = 0.5 * t
    columns = {"frame_timestamp": 1000.0 + t}
    for i, name in enumerate(keypoints):
        offset = 10.0 * i
        columns[f"x_{name}"] = centre[:, 0] + offset * np.cos(angle) + rng.normal(0, 0.2, n)
        columns[f"y_{name}"] = centre[:, 1] + offset * np.sin(angle) + rng.normal(0, 0.2, n)
    return pd.DataFrame(columns)


def assert_refused(*args, match: str, **kwargs) -> None:
    """``read_poses(*args, **kwargs)`` stops with an :class:`InputError` matching ``match``."""
    with pytest.raises(InputError, match=match):
        read_poses(*args, **kwargs)


def workdir(tmp_path: Path) -> Path:
    """A scratch copy of the workflow, as a user's checkout would have it."""
    for name in ("Snakefile", "workflow", "config"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    (tmp_path / "profiles").symlink_to((ROOT / "profiles").readlink())  # the default profile
    return tmp_path


def local_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) for a Snakemake run on this machine.

    The project's commands come first on PATH. And ``SLURM_CONF`` is an empty file: the
    SLURM executor plugin runs ``scontrol`` when Snakemake starts, which waits 9 s where
    SLURM's client is installed but no controller runs (here, after the SLURM test); a
    local run needs no answer from it.
    """
    env = dict(os.environ if env is None else env)
    return env | {"PATH": f"{BIN}{os.pathsep}{env['PATH']}", "SLURM_CONF": os.devnull}


def snakemake(cwd: Path, *args: str, step: str) -> subprocess.CompletedProcess:
    """Run Snakemake in ``cwd``; ``step`` names its timeout (``SLOWEST``)."""
    return subprocess.run(
        [str(BIN / "snakemake"), "--cores", "2", *args],
        cwd=cwd,
        env=local_env(),
        capture_output=True,
        text=True,
        timeout=timeout(step),
    )


def readme_config(name: str) -> dict:
    """The README's YAML block that starts with ``# <name>``."""
    text = (ROOT / "README.md").read_text()
    block = next(b for b in text.split("```yaml\n")[1:] if b.startswith(f"# {name}\n"))
    return yaml.safe_load(block.split("```")[0])


class LinearStandIn:
    """A fitted latent model's public API, with fixed maps and no training, for figures.

    ``transform(X) = X @ W`` and ``inverse_transform(Z) = Z @ W.T`` (784 pixels <->
    ``latent_dim``), with ``W`` drawn from ``seed``; ``sample(n, seed)`` decodes seeded
    N(0, I) codes like a VAE. Every code decoded is kept in ``decoded``, in call order.
    """

    def __init__(self, latent_dim: int, seed: int = 0, features: int = 784):
        self.latent_dim = latent_dim
        self.W = np.random.default_rng(seed).normal(0, 0.1, (features, latent_dim))
        self.decoded: list[np.ndarray] = []

    def transform(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X) @ self.W

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        self.decoded.append(np.array(Z))
        return np.asarray(Z) @ self.W.T

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        codes = np.random.default_rng(seed).standard_normal((n, self.latent_dim))
        return self.inverse_transform(codes)


def assert_drawn(path: Path, panels: int = 1) -> None:
    """``path`` is a PNG with something drawn on it: at least ``panels`` panels wide
    (about 300 px each), not blank (over 1% of its pixels not white, with contrast)."""
    import matplotlib.image as mpimg

    image = mpimg.imread(path)
    height, width = image.shape[:2]
    assert width >= 300 * panels and height >= 150, (path, image.shape)
    grey = image[..., :3].mean(axis=2)
    assert (grey < 0.95).mean() > 0.01 and grey.std() > 0.05, f"{path}: blank"
