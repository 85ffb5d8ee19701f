"""Benchmark: peak memory and time of `killipose clean` at 1x and 10x the default size.

    python benchmarks/clean_memory.py [--workdir /tmp/killipose-bench] [--scale 10]

Makes (once; cached in --workdir) the default synthetic killifish table (1.7M frames) as a
CSV, and the same table tiled --scale times with frame_count and frame_timestamp carried on
(17M frames, 3.7 GB at scale 10). Tiles are written one at a time, so making the big CSV
needs no more memory than the small one. Then runs `killipose clean CSV OUTDIR` on each, a
fresh process each time, and prints wall time and peak resident memory (the child's own
ru_maxrss from wait4: the clean step alone), peak per million frames, the size of the
float64 keypoint matrix for reference, and what each extra million frames costs (the
slope between the two sizes, free of the ~0.4 GB every killipose process spends on
imports). The 1x run is the baseline. The workdir needs ~6 GB free at scale 10; delete it
when done. PYTHONPATH=<folder holding another killipose/> measures that copy instead.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv

from killipose import make_killifish_table


def make_csvs(workdir: Path, frames: int, scale: int, fps: float = 20.0) -> tuple[Path, Path]:
    """The 1x CSV and the ``scale``-times CSV, made once and reused."""
    small = workdir / f"killifish-{frames}-1x.csv"
    big = workdir / f"killifish-{frames}-{scale}x.csv"
    if small.exists() and big.exists():
        return small, big
    workdir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    # NaN becomes null, written as an empty field, as trackers export missing keypoints.
    base = pa.Table.from_pandas(make_killifish_table(frames=frames, fps=fps, seed=0))
    base = base.replace_schema_metadata(None)
    count = base.column("frame_count").to_numpy()
    stamp = base.column("frame_timestamp").to_numpy()
    period = frames + 1  # camera frames per tile, dropped ones included
    tmp = workdir / "partial.csv"
    pa_csv.write_csv(base, tmp)
    os.replace(tmp, small)
    with pa_csv.CSVWriter(tmp, base.schema) as writer:
        for i in range(scale):
            # Only the first tile starts with the export's two blank frame counts.
            tile_count = count.copy()
            if i:
                tile_count[:2] = [0.0, 1.0]
            tile_count += i * period
            tile = base.set_column(0, "frame_count", pa.array(tile_count, from_pandas=True))
            tile = tile.set_column(1, "frame_timestamp", pa.array(stamp + i * period / fps))
            writer.write_table(tile, max_chunksize=100_000)
    os.replace(tmp, big)
    print(f"made {small.name} and {big.name} in {time.perf_counter() - start:.0f} s")
    return small, big


def run_clean(csv: Path, outdir: Path) -> tuple[float, int]:
    """Wall time (s) and peak RSS (bytes) of one `killipose clean` process."""
    command = [sys.executable, "-m", "killipose.cli", "clean", str(csv), str(outdir)]
    start = time.perf_counter()
    # Run from the data folder: `-m` puts the working directory first on sys.path, so
    # PYTHONPATH can choose which killipose is measured.
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=csv.parent)
    err = proc.stderr.read()
    # wait4 gives this child's own rusage (RUSAGE_CHILDREN would be the max over all).
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"killipose clean {csv} failed (exit {proc.returncode}):\n{err}")
    return wall, usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/killipose-bench"))
    parser.add_argument("--frames", type=int, default=1_726_812, help="size of the 1x table")
    parser.add_argument("--scale", type=int, default=10)
    args = parser.parse_args()
    csvs = make_csvs(args.workdir.resolve(), args.frames, args.scale)
    runs = []
    for label, csv in zip(("1x", f"{args.scale}x"), csvs, strict=True):
        outdir = csv.parent / f"clean-{label}"
        wall, peak = run_clean(csv, outdir)
        rows = json.loads((outdir / "report.json").read_text())["input_frames"]
        with pa_csv.open_csv(csv) as reader:
            header = reader.schema.names
        matrix = rows * sum(c.startswith(("x_", "y_")) for c in header) * 8
        runs.append((rows, wall, peak))
        print(
            f"clean {label}: {rows:,} frames, CSV {csv.stat().st_size / 1e9:.2f} GB, "
            f"output {(outdir / 'table.parquet').stat().st_size / 1e9:.2f} GB: {wall:.1f} s, "
            f"peak RSS {peak / 1e9:.2f} GB ({peak / rows:.0f} MB per million frames); "
            f"float64 keypoint matrix {matrix / 1e9:.2f} GB (peak is {peak / matrix:.1f}x it)"
        )
    (r1, w1, p1), (r2, w2, p2) = runs
    per_million = (r2 - r1) / 1e6
    print(
        f"{args.scale}x vs 1x: time {w2 / w1:.1f}x, peak RSS {p2 / p1:.1f}x; each extra million "
        f"frames costs {(p2 - p1) / 1e6 / per_million:.0f} MB ({(p2 - p1) / (r2 - r1):.0f} "
        f"bytes/frame) and {(w2 - w1) / per_million:.1f} s"
    )
