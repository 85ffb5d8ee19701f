"""The workflow on a real (local, one-node) SLURM cluster, against a laptop run.

Needs root and apt-get: `tests/slurm/local-slurm.sh` installs Debian's slurm-wlm and munge
and starts slurmctld/slurmd on 127.0.0.1. Opt out with SLURM_TESTS=0; force with 1.
"""

import json
import os
import re
import shutil
import subprocess

import pandas as pd
import pytest
import yaml

from tests.helpers import BIN, ROOT, snakemake, timeout, workdir

CLUSTER = ROOT / "tests" / "slurm" / "local-slurm.sh"


def slurm_possible() -> bool:
    flag = os.environ.get("SLURM_TESTS")
    return flag == "1" or (flag != "0" and os.geteuid() == 0 and bool(shutil.which("apt-get")))


pytestmark = [
    pytest.mark.slurm,
    pytest.mark.slow(seconds=145),
    pytest.mark.skipif(not slurm_possible(), reason="needs root and apt-get (SLURM_TESTS=1)"),
]

SMALL = {
    "run": ["fish"],
    "datasets": {
        "fish": {
            "kind": "pose",
            "path": "data/fish.csv",
            "synthetic": {"frames": 3000, "fps": 20, "seed": 0},
        }
    },
    "models": ["pca", "linear"],
    "train": {
        "epochs": 3,
        "batch_size": 256,
        "lr": 0.001,
        "patience": 3,
        "device": "cpu",
        "threads": 1,
    },
    "model_params": {"linear": {"lr": 0.03, "min_steps": 300}},
    "animation": {"start": 0, "frames": 40},
    "seeds": 1,
    "analyses": [],  # the report's analyses run in test_workflow; here, the cluster
}


@pytest.fixture(scope="module")
def partition():
    subprocess.run([CLUSTER, "install"], check=True, timeout=900, capture_output=True)
    try:
        yield subprocess.run(
            [CLUSTER, "start"], check=True, capture_output=True, text=True, timeout=180
        ).stdout.strip()
    finally:
        subprocess.run([CLUSTER, "stop"], timeout=120, capture_output=True)


def test_workflow_runs_through_slurm_and_matches_a_laptop_run(tmp_path, partition):
    (tmp_path / "laptop").mkdir()
    (tmp_path / "cluster").mkdir()
    laptop, cluster = workdir(tmp_path / "laptop"), workdir(tmp_path / "cluster")
    for cwd in (laptop, cluster):
        (cwd / "small.yaml").write_text(yaml.safe_dump(SMALL))
    # A user sets account and partition in the profile; here the local cluster's.
    profile = cluster / "workflow" / "profiles" / "slurm" / "config.yaml"
    text = profile.read_text()
    text = text.replace("slurm_account: your_account", "slurm_account: root")
    text = text.replace("slurm_partition: your_partition", f"slurm_partition: {partition}")
    profile.write_text(text)

    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    env.pop("SNAKEMAKE_PROFILE", None)
    seconds = timeout("slurm_cluster")
    # The cluster run mostly waits (submission, polling): the laptop run goes meanwhile.
    with open(tmp_path / "cluster.err", "w+") as err:
        cluster_run = subprocess.Popen(
            [
                # SIGTERM first, so that Snakemake cancels its jobs; SIGKILL 30 s later
                *("timeout", "-k", "30", str(seconds)),
                str(BIN / "snakemake"),
                "--workflow-profile",
                "workflow/profiles/slurm",
                "--configfile",
                "small.yaml",
                "--slurm-init-seconds-before-status-checks",
                "2",
                "--seconds-between-status-checks",
                "2",
            ],
            cwd=cluster,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
        )
        try:
            # On the laptop, only what is compared below: the fits and their codes.
            compared = [f"results/fish/models/{m}-4d/latent.parquet" for m in ("pca", "linear")]
            laptop_run = snakemake(
                laptop, *compared, "--configfile", "small.yaml", step="slurm_laptop"
            )
            assert laptop_run.returncode == 0, laptop_run.stderr[-3000:]
            returncode = cluster_run.wait(timeout=seconds + 60)
        finally:
            if cluster_run.poll() is None:
                cluster_run.terminate()  # timeout's SIGTERM: Snakemake cancels its jobs
                cluster_run.wait(timeout=60)
        err.seek(0)
        errors = err.read()
        assert returncode == 0, errors[-3000:]

    # Every step ran in a SLURM job, and said so in its log; but the findings, a local rule
    # (a few JSON files read on the submitting machine).
    logs = sorted((cluster / "results" / "logs").rglob("*.log"))
    assert (cluster / "results" / "logs" / "findings.log") in logs
    logs.remove(cluster / "results" / "logs" / "findings.log")
    job_of = {}
    for log in logs:
        match = re.search(r"SLURM job (\d+) on ", log.read_text())
        assert match, f"{log.name} was not written by a SLURM job"
        job_of[log.stem] = match.group(1)
    # The fits ran alone, each its own job; the steps before them (which the fits wait for)
    # in one job, and the dataset's other steps, after its fits, all in one more: the
    # profile's groups.
    alone, before = {"fit-pca-4d", "fit-linear-4d"}, {"synthesise", "clean"}
    grouped = set(job_of) - alone - before
    assert (alone | before) < set(job_of) and len(grouped) >= 7, sorted(job_of)
    alone_jobs, grouped_jobs = [job_of[s] for s in alone], {job_of[s] for s in grouped}
    before_jobs = {job_of[s] for s in before}
    assert len(set(alone_jobs)) == len(alone) and len(grouped_jobs) == len(before_jobs) == 1
    assert len({*alone_jobs, *grouped_jobs, *before_jobs}) == 4, job_of
    # Those four jobs were all the run submitted (its jobs carry its id as their name).
    run_id = re.search(r"SLURM run ID: (\S+)", errors).group(1)
    queue = subprocess.run(
        ["squeue", "--states=all", "-h", "-n", run_id, "-o", "%i %T"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    states = dict(line.split() for line in queue.splitlines())
    assert set(states) == set(job_of.values()), queue
    assert set(states.values()) == {"COMPLETED"}, queue

    # The cluster computed exactly what the laptop did.
    for model in ("pca", "linear"):
        a, b = (
            json.loads((cwd / f"results/fish/models/{model}-4d/metrics.json").read_text())
            for cwd in (laptop, cluster)
        )
        a.pop("fit_seconds"), b.pop("fit_seconds")
        assert a == b
        pd.testing.assert_frame_equal(
            *(
                pd.read_parquet(cwd / f"results/fish/models/{model}-4d/latent.parquet")
                for cwd in (laptop, cluster)
            )
        )
