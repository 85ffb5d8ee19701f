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


def pytest_collection_modifyitems(config, items):
    """The long tests first, spread over the workers: the SLURM and end-to-end runs start
    at once, in parallel with the rest, instead of one after another or last; the order
    does not change what any test checks.

    `pytest -n N --dist worksteal` gives each worker a contiguous share of this list (the
    first len // N tests to one, ...), and an idle worker then takes the tail of a busy
    one's share. So each share opens with its long tests, dealt longest first to the share
    with the least so far (by the seconds on their `slow` marks), the tests that read the
    small run (one fixture, made once) together.
    """
    long = [item for item in items if item.get_closest_marker("slow")]
    rest = [item for item in items if not item.get_closest_marker("slow")]
    units, run = [], []  # the long tests, those of the small run as one
    for item in long:
        if "small_run" in item.fixturenames:
            if not run:
                units.append(run)
            run.append(item)
        else:
            units.append([item])
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    shares = [[] for _ in range(workers)]
    for unit in sorted(units, key=lambda u: -sum(map(_seconds, u))):
        min(shares, key=lambda share: sum(map(_seconds, share))).extend(unit)
    ordered, left = [], len(items)
    for w, share in enumerate(shares):
        take = max(0, left // (workers - w) - len(share))  # worksteal's split of what is left
        ordered += share + rest[:take]
        rest, left = rest[take:], left - len(share) - take
    items[:] = ordered + rest


def _seconds(item) -> float:
    """What a long test took in a CI run (its mark's ``seconds``), to share them out."""
    return item.get_closest_marker("slow").kwargs.get("seconds", 60)
