"""Fixtures; the helpers the tests share are in ``tests/helpers.py``."""

import fcntl
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from killipose.synthetic import make_killifish_table
from tests.helpers import TEST_CONFIG, make_pose_table, snakemake, workdir


@pytest.fixture(scope="session")
def fish() -> pd.DataFrame:
    """A small synthetic killifish table (~3,000 frames)."""
    return make_killifish_table(frames=3000, fps=20, seed=1)


@pytest.fixture
def pose_table() -> pd.DataFrame:
    return make_pose_table()


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> Path:
    """The folder where the workflow ran on the small config (`.test/config/`) and then
    wrote ``report.html``: made once per test run, for every test that reads it.

    Under pytest-xdist each worker is a process of its own: the first to ask makes the run
    in a folder all workers share, and the others wait on a lock, then read it.
    """
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the test run's folder, above each worker's own
    cwd, outcome = shared / "small-run", shared / "small-run.json"
    with (shared / "small-run.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not outcome.exists():
            if cwd.exists():
                pytest.fail(f"an earlier attempt at the small run did not finish: see {cwd}")
            cwd.mkdir()
            workdir(cwd)
            config = ("--configfile", str(TEST_CONFIG))
            steps = [snakemake(cwd, *config, step="workflow_default")]
            if steps[0].returncode == 0:
                report = ("--report", "report.html")
                steps.append(snakemake(cwd, *config, *report, step="workflow_report"))
            outcome.write_text(json.dumps([[s.returncode, s.stderr[-3000:]] for s in steps]))
    for returncode, stderr in json.loads(outcome.read_text()):
        assert returncode == 0, stderr
    return cwd


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Tiny test models run faster on one thread than on two that keep syncing."""
    import torch

    torch.set_num_threads(1)


def pytest_collection_modifyitems(items):
    """Longest first: the SLURM and end-to-end runs start at once, in parallel with the
    rest (`pytest -n auto --dist worksteal`: an idle worker takes queued tests from a busy
    one), instead of last; the order does not change what any test checks."""
    items.sort(
        key=lambda item: (not item.get_closest_marker("slurm"), not item.get_closest_marker("slow"))
    )
