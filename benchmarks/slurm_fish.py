"""Benchmark: many fish through the SLURM profile, the SLURM jobs submitted and the wall time.

    python benchmarks/slurm_fish.py                 # 4 fish x 100,000 frames, local SLURM
    python benchmarks/slurm_fish.py --fish 8 --analyses training room
    python benchmarks/slurm_fish.py --account A --partition P     # a real cluster
    python benchmarks/slurm_fish.py --revision main               # another commit's workflow

Writes a config of ``--fish`` synthetic fish (``synthetic: {frames, fps: 20, seed: i}``, one
seed each; models pca, linear and nonlinear at latent_dims [4], seeds 1, room_dims [4] so
the room figure adds no fits, ``analyses`` none unless ``--analyses``, as in the first
measurement, whose analyses did not exist yet), copies this checkout's workflow, or that
of the commit ``--revision``, into a scratch folder, sets the SLURM profile's account and
partition, and runs ``snakemake --workflow-profile workflow/profiles/slurm`` there, with
the status polling of tests/workflow/test_slurm.py (2 s; ``--poll``). The jobs run
``killipose`` from the same checkout or commit (first on PYTHONPATH).

Prints the SLURM jobs the run submitted (``squeue --states=all`` by the run's job name,
with each job's CPUs, memory and time limit), the rule jobs they ran (one log each, but
the findings, a local rule), the steps' own time (their benchmark files) and the wall time
of the whole run, and writes them to ``--out`` as JSON.

Without ``--partition`` it uses the local one-node SLURM (tests/slurm/local-slurm.sh,
root and apt-get), starting it if needed and stopping it after if it started it; there,
finished jobs stay in ``squeue --states=all`` for an hour (MinJobAge). On a cluster with
accounting, delete the profile's ``slurm-status-command`` line first (see README). Not
part of ``make test`` or ``make bench``: 4 fish take 5-15 min on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CLUSTER = ROOT / "tests" / "slurm" / "local-slurm.sh"


def fish_config(fish: int, frames: int, analyses: list[str]) -> dict:
    """The run: ``fish`` synthetic fish of ``frames`` frames, seeds 1..fish."""
    return {
        "run": [f"fish{i}" for i in range(1, fish + 1)],
        "datasets": {
            f"fish{i}": {
                "kind": "pose",
                "path": f"data/fish{i}.csv",  # absent: the synthetic fish is made
                "synthetic": {"frames": frames, "fps": 20, "seed": i},
            }
            for i in range(1, fish + 1)
        },
        "models": ["pca", "linear", "nonlinear"],
        "latent_dims": [4],
        "seeds": 1,
        "room_dims": [4],
        "analyses": analyses,
    }


def prepare(workdir: Path, checkout: Path, config: dict, account: str, partition: str) -> None:
    """A user's checkout of ``checkout``'s workflow in ``workdir``, profile filled in."""
    for name in ("Snakefile", "workflow", "config"):
        src = checkout / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, workdir / name)
    (workdir / "fish.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    profile = workdir / "workflow" / "profiles" / "slurm" / "config.yaml"
    text = profile.read_text()
    text = text.replace("slurm_account: your_account", f"slurm_account: {account}")
    text = text.replace("slurm_partition: your_partition", f"slurm_partition: {partition}")
    profile.write_text(text)


def slurm_jobs(run_id: str) -> list[dict]:
    """Every SLURM job of the run (its job name is the run's id), as squeue lists it."""
    fields = {"id": "%i", "state": "%T", "cpus": "%C", "memory": "%m", "limit": "%l"}
    fields |= {"start": "%S", "end": "%e", "comment": "%k"}
    out = subprocess.run(
        ["squeue", "--states=all", "-h", "-n", run_id, "-o", "|".join(fields.values())],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [dict(zip(fields, line.split("|"), strict=True)) for line in out.splitlines()]


def seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def step_seconds(workdir: Path) -> float:
    """The steps' own time: the sum of their benchmark files' wall seconds."""
    total = 0.0
    for tsv in (workdir / "results" / "benchmarks").rglob("*.tsv"):
        total += float(tsv.read_text().splitlines()[1].split("\t")[0])
    return total


def export(revision: str, folder: Path) -> Path:
    """The files of commit ``revision`` of this repository, in ``folder``."""
    folder.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def commit_of(revision: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", revision],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def run(args: argparse.Namespace, workdir: Path, partition: str, account: str) -> dict:
    if args.revision:
        checkout, commit = export(args.revision, workdir / "checkout"), commit_of(args.revision)
    else:
        checkout, commit = ROOT, commit_of("HEAD")
        changed = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain"], capture_output=True, text=True
        ).stdout
        commit += " + uncommitted changes" if changed.strip() else ""
    config = fish_config(args.fish, args.frames, args.analyses)
    prepare(workdir, checkout, config, account, partition)
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(checkout), env.get("PYTHONPATH")]))
    env.pop("SNAKEMAKE_PROFILE", None)
    command = [
        *("timeout", "-k", "30", str(args.timeout)),  # SIGTERM: Snakemake cancels its jobs
        str(BIN / "snakemake"),
        *("--workflow-profile", "workflow/profiles/slurm", "--configfile", "fish.yaml"),
        *("--slurm-init-seconds-before-status-checks", str(args.poll)),
        *("--seconds-between-status-checks", str(args.poll)),
    ]
    print(f"{workdir}$ {' '.join(command[4:])}", file=sys.stderr, flush=True)
    load_before = os.getloadavg()
    start = time.monotonic()
    with open(workdir / "snakemake.log", "w+") as log:
        returncode = subprocess.run(command, cwd=workdir, env=env, stderr=log).returncode
        wall = time.monotonic() - start
        log.seek(0)
        text = log.read()
    if returncode != 0:
        sys.exit(f"snakemake exited {returncode}; its log: {workdir / 'snakemake.log'}")
    run_id = re.search(r"SLURM run ID: (\S+)", text).group(1)
    jobs = slurm_jobs(run_id)
    logs = [p for p in (workdir / "results" / "logs").rglob("*.log") if p.name != "findings.log"]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "config": config,
        "poll_seconds": args.poll,
        "wall_seconds": round(wall, 1),
        "slurm_jobs": len(jobs),
        "rule_jobs": len(logs),
        "step_seconds": round(step_seconds(workdir), 1),
        "slurm_job_seconds": sum(seconds(j["start"], j["end"]) for j in jobs),
        "states": sorted({j["state"] for j in jobs}),
        "jobs": jobs,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fish", type=int, default=4)
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--analyses", nargs="*", default=[], help="default: none")
    parser.add_argument("--revision", help="a commit whose workflow runs (default: this one's)")
    parser.add_argument("--partition", help="a real cluster's (default: the local SLURM)")
    parser.add_argument("--account", default="root", help="with --partition")
    parser.add_argument("--poll", type=int, default=2, help="seconds between status checks")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds for the whole run")
    parser.add_argument("--workdir", type=Path, help="default: a temporary folder, deleted")
    parser.add_argument("--out", type=Path, help="the numbers as JSON")
    args = parser.parse_args()

    started_cluster = False
    partition = args.partition
    if partition is None:
        running = subprocess.run([CLUSTER, "status"], capture_output=True).returncode == 0
        subprocess.run([CLUSTER, "install"], check=True, capture_output=True, timeout=900)
        partition = subprocess.run(
            [CLUSTER, "start"], check=True, capture_output=True, text=True, timeout=180
        ).stdout.strip()
        started_cluster = not running
    try:
        if args.workdir:
            args.workdir.mkdir(parents=True)  # a fresh one: finished steps would not run
            result = run(args, args.workdir, partition, args.account)
        else:
            with tempfile.TemporaryDirectory(prefix="killipose-slurm-") as tmp:
                result = run(args, Path(tmp), partition, args.account)
    finally:
        if started_cluster:
            subprocess.run([CLUSTER, "stop"], capture_output=True, timeout=120)

    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    minutes, secs = divmod(round(result["wall_seconds"]), 60)
    print(f"commit {result['commit']}, {result['date']}, {result['cpus']} CPUs")
    print(f"{args.fish} fish x {args.frames:,} frames, analyses {args.analyses or 'none'}")
    print(f"SLURM jobs submitted: {result['slurm_jobs']} ({', '.join(result['states'])})")
    print(f"rule jobs run in them: {result['rule_jobs']} (+ findings, local)")
    print(f"wall time: {minutes} min {secs} s ({result['wall_seconds']} s)")
    print(f"steps' own time: {result['step_seconds']} s")
    print(f"SLURM jobs' time: {result['slurm_job_seconds']:.0f} s")
    widths = sorted({(j["cpus"], j["memory"], j["limit"]) for j in result["jobs"]})
    print("SLURM jobs' CPUs / memory / time limit:", "; ".join(" / ".join(w) for w in widths))
    before, after = result["load_average_before"][0], result["load_average_after"][0]
    print(f"load average (1 min) before / after: {before:.2f} / {after:.2f}")


if __name__ == "__main__":
    main()
