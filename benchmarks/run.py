"""make bench: each heavy stage against the way a notebook does it, and against the machine.

    make bench                    # or: python benchmarks/run.py [--only training,render]

Writes ``results/benchmarks/summary.json`` (every number), ``summary.md`` (the table the
README shows) and ``time-to-quality.png`` (validation error against wall time, ours and
the textbook loop's). Each number is the median of ``--repeats`` (3) runs; within a repeat
the baseline and ours run one after the other in the same process, the order alternating
between repeats, so that whatever else the machine does hits both alike. The data is the
default run's: the synthetic 1,726,812-frame killifish table (made once in ``--workdir``)
and MNIST's 10,000 test digits shipped in data/mnist.

Sections (``--only`` picks some):

tables
    ``pd.read_csv`` of the CSV against the pipeline's one-time conversion (its pyarrow
    reader, then Parquet) and the way every later stage loads the prepared table
    (``load_prepared``); ``killipose clean`` on the CSV: wall time and peak memory.
training
    One epoch over the fish's training split, linear and nonlinear AE with the default
    run's settings (config/config.yaml), against the textbook loop: the same module,
    ``DataLoader(TensorDataset(X), batch_size=64, shuffle=True)`` and Adam, timed over
    ``TEXTBOOK_BATCHES`` batches. A 2048x2048 float32 matmul gives the machine's rate.
quality
    Time to quality on a fixed subsample of the training split: the textbook loop runs 10
    epochs; ours runs its real settings; both are scored on the whole validation block
    after every epoch, and the curves go to time-to-quality.png.
render
    The 4-panel reconstruction video: ours (blitting, the real layout) against matplotlib
    ``FuncAnimation`` redrawing every artist every frame.
busy
    The MNIST nonlinear fit at 10-D as its rule runs it (``killipose fit``, the rule's
    threads and settings, fewer epochs), alone and beside one process that keeps a core
    busy; and beside it with OpenMP's spinning wait (``OMP_WAIT_POLICY=ACTIVE``, torch's
    default before killipose set PASSIVE).
scale
    ``killipose clean`` and ``killipose embed`` (nonlinear model) on the table and on it
    tiled 10 times (17.2M frames): time and peak memory. One run each (minutes).
checkpoints
    The share of a fit's time spent saving checkpoints (capped by ``CHECKPOINT_SHARE``),
    and fits with checkpoints against the same without, on the 3,000-frame fish.
run
    The last ``make run``: its wall time (results/benchmarks/run.json, written by make
    run) and each step's seconds and peak memory from the workflow's benchmark files.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# As the killipose command does (before torch loads): OpenMP threads sleep, not spin.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pandas as pd
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from clean_memory import make_csvs  # noqa: E402

from killipose import clean_table, make_killifish_table, models  # noqa: E402
from killipose import config as kconfig  # noqa: E402
from killipose.datasets import load_prepared  # noqa: E402
from killipose.files import write_parquet  # noqa: E402
from killipose.io import read_table  # noqa: E402
from killipose.models import training  # noqa: E402
from killipose.models.training import TrainingState, cosine_schedule, train_epoch  # noqa: E402

OUT = ROOT / "results" / "benchmarks"
FRAMES = 1_726_812
DEVICE = torch.device("cpu")  # --device
SCALE = 10  # the large table's frames, times the default's (1 when --only leaves out scale)
TEXTBOOK_BATCH = 64
TEXTBOOK_BATCHES = 500  # batches timed per textbook repeat (32,000 samples)
QUALITY_SUBSAMPLE = 50_000  # training frames for the time-to-quality race
QUALITY_EPOCHS = 10  # the textbook's epochs that set the quality to reach
BUSY_EPOCHS = 15  # the MNIST fit of the busy-machine test (its rule says 60)

#: Targets on a 2-core machine: key -> (ratio, at least or at most, what).
TARGETS = {
    "train_speedup_nonlinear": (30, ">=", "nonlinear training vs textbook samples/s"),
    "train_flop_fraction_nonlinear": (0.5, ">=", "nonlinear training, share of matmul rate"),
    "time_to_quality_speedup": (10, ">=", "time to the textbook's 10-epoch quality"),
    "read_speedup": (3, ">=", "later stages load the table vs pd.read_csv"),
    "convert_ratio": (1.5, "<=", "one-time conversion vs pd.read_csv"),
    "render_speedup": (30, ">=", "animation vs FuncAnimation redraw"),
    "loaded_ratio": (1.6, "<=", "fit beside a busy process vs alone"),
    "clean_peak_rss_mb": (1000, "<=", "clean, peak memory (MB) at 1.7M frames"),
    "embed_peak_rss_mb": (1000, "<=", "embed (nonlinear), peak memory (MB) at 1.7M frames"),
    "scale_clean_time_ratio": (11, "<=", "clean at 10x frames, time ratio"),
    "scale_clean_memory_ratio": (3, "<=", "clean at 10x frames, memory ratio"),
    "scale_embed_memory_ratio": (3, "<=", "embed at 10x frames, memory ratio"),
    "default_run_s": (600, "<=", "the whole default run (s), idle machine"),
}


def interleaved(cases: dict[str, Callable[[], float]], repeats: int) -> dict[str, float]:
    """Median over ``repeats`` of each case's number; each repeat runs every case, the
    order reversed every other repeat so that drift hits all alike."""
    found: dict[str, list[float]] = {name: [] for name in cases}
    for r in range(repeats):
        for name in list(cases)[:: 1 if r % 2 == 0 else -1]:
            found[name].append(cases[name]())
            print(f"  {name} [{r + 1}/{repeats}]: {found[name][-1]:.4g}", flush=True)
    return {name: statistics.median(values) for name, values in found.items()}


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


#: Runs the command given after it and prints its peak RSS (KB) on stderr's last line. A
#: child's peak starts at its parent's size when it forks (Linux copies the high-water
#: mark), so the command is started from this small interpreter, not from the benchmark.
LAUNCHER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)"
)


def killipose(*args: str, env: dict | None = None) -> tuple[float, float]:
    """Run ``killipose ARGS`` as the workflow does; (wall seconds, peak RSS MB) of it."""
    command = [sys.executable, "-m", "killipose.cli", *map(str, args)]
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command], stderr=subprocess.PIPE, text=True, env=env
    )
    wall = time.perf_counter() - start
    if run.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{run.stderr}")
    return wall, int(run.stderr.splitlines()[-1]) / 1024


# --------------------------------------------------------------------------- sections


def bench_tables(work: Path, prepared: Path, repeats: int) -> dict:
    csv, _ = make_csvs(work, FRAMES, SCALE)
    peaks: list[float] = []

    def clean() -> float:
        wall, peak = killipose("clean", csv, work / "clean-timed")
        peaks.append(peak)
        return wall

    def convert() -> float:
        return timed(lambda: write_parquet(read_table(csv), work / "raw.parquet"))

    times = interleaved(
        {
            "read_pandas_default_s": lambda: timed(lambda: pd.read_csv(csv)),
            "convert_s": convert,
            "read_s": lambda: timed(lambda: load_prepared(prepared)),
            "clean_s": clean,
        },
        repeats,
    )
    return times | {
        "clean_peak_rss_mb": statistics.median(peaks),
        "read_speedup": times["read_pandas_default_s"] / times["read_s"],
        "convert_ratio": times["convert_s"] / times["read_pandas_default_s"],
    }


def default_config() -> dict:
    """config/config.yaml with the schema's defaults, as the workflow sees it."""
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    kconfig.validate_config(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")
    return config


def fish_settings(model: str) -> dict:
    """The default run's settings of ``model`` on the fish: the registry's, then
    config/config.yaml's (``train`` and ``model_params``)."""
    params = kconfig.train_params(default_config(), "killifish", model)
    params = {k: v for k, v in params.items() if k not in ("threads", "gpus", "device")}
    estimator = models.make(model, latent_dim=4, **params)
    return {k: v for k, v in estimator.get_params().items() if k not in ("device", "latent_dim")}


def started_module(model: str, X: np.ndarray, params: dict) -> torch.nn.Module:
    """The torch module ``killipose fit`` trains, at its start (the fold from PCA), on
    ``DEVICE``."""
    estimator = models.make(model, latent_dim=4, device="cpu", **params)
    module = estimator._build(X.shape[1])
    if hasattr(module, "init_from_data"):
        module.init_from_data(X, 0)
        module.start_training()
    return module.to(DEVICE)


def synchronize() -> None:
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()


def textbook_epoch(module, X: torch.Tensor, lr: float, batches: int | None) -> int:
    """The seeds' loop: DataLoader over a TensorDataset, batch 64, shuffled; samples seen."""
    from torch.utils.data import DataLoader, TensorDataset

    optimiser = torch.optim.Adam(module.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(X), batch_size=TEXTBOOK_BATCH, shuffle=True)
    module.train()
    seen = 0
    for i, (xb,) in enumerate(loader):
        if batches is not None and i == batches:
            break
        xb = xb.to(DEVICE)  # the notebook way: the data on the CPU, each batch moved
        optimiser.zero_grad()
        loss = torch.nn.functional.mse_loss(module(xb), xb)
        loss.backward()
        optimiser.step()
        seen += len(xb)
    synchronize()
    return seen


def ours_epoch(module, X: torch.Tensor, params: dict) -> int:
    """One epoch of killipose's loop (killipose.models.training) with ``params``."""
    batch, lr = params["batch_size"], params["lr"]
    state = TrainingState(
        torch.optim.Adam(module.parameters(), lr=lr, fused=True), torch.Generator().manual_seed(0)
    )
    steps = math.ceil(len(X) / batch)
    train_epoch(module, X, None, batch, state, cosine_schedule(lr, steps, steps))
    synchronize()
    return len(X)


def matmul_gflops(n: int = 2048, repeats: int = 10) -> float:
    a, b = torch.randn(n, n, device=DEVICE), torch.randn(n, n, device=DEVICE)
    a @ b  # warm-up
    synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    synchronize()
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9


def bench_training(prepared: Path, repeats: int) -> dict:
    clean = load_prepared(prepared)
    X = clean.matrix("train")
    X_t = torch.from_numpy(X.copy())
    found: dict = {"threads": torch.get_num_threads(), "device": str(DEVICE)}
    cases: dict[str, Callable[[], float]] = {"matmul_gflops": matmul_gflops}
    sizes = {}
    for model in ("linear", "nonlinear"):
        params = {k: v for k, v in fish_settings(model).items() if k != "epochs"}
        module = started_module(model, X, params)
        sizes[model] = sum(p.numel() for p in module.parameters())
        textbook = started_module(model, X, params)

        def ours_rate(module=module, params=params) -> float:
            start = time.perf_counter()
            return ours_epoch(module, X_t.to(DEVICE), params) / (time.perf_counter() - start)

        def textbook_rate(module=textbook, lr=params["lr"]) -> float:
            start = time.perf_counter()
            return textbook_epoch(module, X_t, lr, TEXTBOOK_BATCHES) / (time.perf_counter() - start)

        cases[f"train_samples_per_s_{model}"] = ours_rate
        cases[f"textbook_samples_per_s_{model}"] = textbook_rate
        found[f"settings_{model}"] = params
    found |= interleaved(cases, repeats)
    for model in ("linear", "nonlinear"):
        ours, theirs = (
            found[f"train_samples_per_s_{model}"],
            found[f"textbook_samples_per_s_{model}"],
        )
        found[f"train_speedup_{model}"] = ours / theirs
        found[f"parameters_{model}"] = sizes[model]
    found["train_flop_fraction_nonlinear"] = (
        6
        * sizes["nonlinear"]
        * found["train_samples_per_s_nonlinear"]
        / 1e9
        / found["matmul_gflops"]
    )
    return found


def bench_quality(prepared: Path, repeats: int) -> tuple[dict, dict]:
    """Returns the numbers and the curves (for the figure)."""
    clean = load_prepared(prepared)
    X, X_val = clean.matrix("train"), clean.matrix("val")
    rows = np.sort(np.random.default_rng(0).choice(len(X), QUALITY_SUBSAMPLE, replace=False))
    X = X[rows]
    X_val_t = torch.from_numpy(X_val.copy()).to(DEVICE)
    params = fish_settings("nonlinear")
    curves: dict[str, list] = {"textbook": [], "ours": []}

    def val_mse(module) -> float:
        module.eval()
        with torch.no_grad():  # as a notebook does: the whole block at once
            return float(torch.nn.functional.mse_loss(module(X_val_t), X_val_t))

    def textbook() -> float:
        start = time.perf_counter()
        module = started_module("nonlinear", X, params)
        curve = []
        for _ in range(QUALITY_EPOCHS):
            textbook_epoch(module, torch.from_numpy(X), 1e-3, None)
            curve.append((time.perf_counter() - start, val_mse(module)))
        curves["textbook"].append(curve)
        return curve[-1][0]

    def ours() -> float:
        start = time.perf_counter()
        model = models.make("nonlinear", latent_dim=4, device=DEVICE.type, **params)
        model.fit(X, X_val=X_val)
        wall = time.perf_counter() - start
        # The start (PCA's SVD, the circle) and the end (keep the start?) outside the
        # epochs count from the beginning: each epoch's point is after its validation.
        t = wall - sum(h["seconds"] for h in model.history_)
        curve = []
        for h in model.history_:
            t += h["seconds"]
            curve.append((t, h["val_mse"]))
        curves["ours"].append(curve)
        return wall

    walls = interleaved({"textbook_run_s": textbook, "ours_run_s": ours}, repeats)
    target = statistics.median(c[-1][1] for c in curves["textbook"])

    def reached(curve) -> float:
        return next((t for t, mse in curve if mse <= target), math.nan)

    ours_t = statistics.median(reached(c) for c in curves["ours"])
    theirs_t = statistics.median(reached(c) for c in curves["textbook"])
    found = walls | {
        "quality_val_mse": target,
        "time_to_quality_s": ours_t,
        "textbook_time_to_quality_s": theirs_t,
        "time_to_quality_speedup": theirs_t / ours_t,
        "ours_best_val_mse": statistics.median(min(m for _, m in c) for c in curves["ours"]),
        "quality_subsample": QUALITY_SUBSAMPLE,
        "settings_quality": params,
    }
    return found, curves


def plot_quality(curves: dict, target: float, path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.2), dpi=120, layout="constrained")
    ax = fig.subplots()
    for name, colour in (("textbook", "#7f7f7f"), ("ours", "#2ca02c")):
        for i, curve in enumerate(curves[name]):
            t, mse = zip(*curve, strict=True)
            label = None
            if i == 0:
                label = (
                    "textbook: DataLoader, batch 64, Adam 1e-3"
                    if name == "textbook"
                    else "killipose: its default settings"
                )
            ax.plot(t, mse, "o-", ms=3, color=colour, alpha=0.8, label=label)
    ax.axhline(target, color="k", ls=":", lw=1, label="textbook after 10 epochs (median)")
    ax.set_xlabel("wall time (s), start included")
    ax.set_ylabel("validation MSE (normalised units²)")
    ax.set_yscale("log")
    ax.set_title(
        f"Nonlinear AE on {QUALITY_SUBSAMPLE:,} fish training frames: validation error "
        "against time",
        fontsize=10,
    )
    ax.legend(fontsize=8)
    fig.savefig(path)


def bench_render(prepared: Path, repeats: int, frames: int, naive_frames: int) -> dict:
    import imageio_ffmpeg
    import matplotlib
    from matplotlib.animation import FFMpegWriter, FuncAnimation
    from matplotlib.figure import Figure

    from killipose.embedding import arena_outline, original_pixels
    from killipose.video import render_reconstruction

    clean = load_prepared(prepared)
    rows = slice(100_000, 100_000 + frames)
    original = original_pixels(clean, rows)
    rng = np.random.default_rng(0)
    panels = {"original": original}
    for name in ("PCA", "linear AE", "nonlinear AE"):
        panels[name] = original + rng.normal(0, 2, original.shape)
    shown = clean.frame.iloc[rows]
    arena = arena_outline(clean)
    reference = clean.to_arena(original, rows)
    matplotlib.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
    lo, hi = np.nanmin(original, axis=(0, 1)) - 20, np.nanmax(original, axis=(0, 1)) + 20

    def ours(tmp: Path) -> float:
        seconds = timed(
            lambda: render_reconstruction(
                panels, clean.keypoints, shown["frame"].to_numpy(), shown["time_s"].to_numpy(),
                tmp / "ours.mp4", fps=20, arena=arena, arena_reference=reference,
            )
        )  # fmt: skip
        return frames / seconds

    def naive(tmp: Path) -> float:
        fig = Figure(figsize=(12.8, 4.32), dpi=100)
        axes = fig.subplots(1, len(panels))

        def draw(i):  # the notebook way: clear every axes and plot everything again
            for ax, (title, xy) in zip(axes, panels.items(), strict=True):
                ax.clear()
                ax.plot(xy[i, :, 0], xy[i, :, 1], "o-")
                ax.plot(xy[i, 0, 0], xy[i, 0, 1], "o", ms=9, color="red")
                ax.set_xlim(lo[0], hi[0])
                ax.set_ylim(hi[1], lo[1])
                ax.set_title(title)

        animation = FuncAnimation(fig, draw, frames=naive_frames)
        seconds = timed(lambda: animation.save(tmp / "naive.mp4", writer=FFMpegWriter(fps=20)))
        return naive_frames / seconds

    with tempfile.TemporaryDirectory() as tmp:
        found = interleaved(
            {"render_fps_naive": lambda: naive(Path(tmp)), "render_fps": lambda: ours(Path(tmp))},
            repeats,
        )
    return found | {
        "render_speedup": found["render_fps"] / found["render_fps_naive"],
        "render_frames": frames,
        "render_frames_naive": naive_frames,
    }


def bench_busy(work: Path, repeats: int) -> dict:
    config = default_config()
    from killipose import jobs

    prepared = work / "mnist-clean"
    if not (prepared / "report.json").exists():
        killipose("prepare-mnist", ROOT / "data" / "mnist", prepared, "--seed", "0")
    threads = jobs.fit_threads(config, "mnist", "nonlinear")
    flags = jobs.fit_args(config, "mnist", "nonlinear").split()
    flags = [f.strip("'") for f in flags] + ["--param", f"epochs={BUSY_EPOCHS}"]
    command = ["fit", prepared, work / "mnist-fit", "--model", "nonlinear", "--latent-dim", "10"]
    command += ["--threads", str(threads), *flags]

    def fit(busy: bool, policy: str | None) -> float:
        env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
        env |= {"OMP_WAIT_POLICY": policy} if policy else {}
        spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
        try:
            return killipose(*command, env=env)[0]
        finally:
            if spinner is not None:
                spinner.kill()
                spinner.wait()

    found = interleaved(
        {
            "alone_fit_s": lambda: fit(False, None),
            "loaded_fit_s": lambda: fit(True, None),
            "loaded_fit_spinning_s": lambda: fit(True, "ACTIVE"),
        },
        repeats,
    )
    return found | {
        "loaded_ratio": found["loaded_fit_s"] / found["alone_fit_s"],
        "loaded_ratio_spinning": found["loaded_fit_spinning_s"] / found["alone_fit_s"],
        "busy_fit": f"MNIST nonlinear 10-D, {threads} threads, {BUSY_EPOCHS} epochs",
    }


def bench_scale(work: Path) -> dict:
    small, big = make_csvs(work, FRAMES, SCALE)
    found: dict = {}
    for label, csv in (("", small), ("_17m", big)):
        wall, peak = killipose("clean", csv, work / f"scale-clean{label}")
        found[f"scale_clean_s{label}"], found[f"scale_clean_peak_rss_mb{label}"] = wall, peak
        print(f"  clean {csv.name}: {wall:.1f} s, {peak:.0f} MB", flush=True)
    model = work / "scale-model"
    if not (model / "model.pt").exists():  # any nonlinear model: embedding cost is its size
        killipose(
            "fit", work / "scale-clean", model, "--model", "nonlinear", "--latent-dim", "4",
            "--seed", "0", "--threads", "2", "--param", "epochs=1", "--param",
            "epoch_samples=20000",
        )  # fmt: skip
    for label in ("", "_17m"):
        wall, peak = killipose(
            "embed", work / f"scale-clean{label}", model / "model.pt", work / "latent.parquet"
        )
        found[f"scale_embed_s{label}"], found[f"scale_embed_peak_rss_mb{label}"] = wall, peak
        print(f"  embed{label}: {wall:.1f} s, {peak:.0f} MB", flush=True)
    return found | {
        "embed_peak_rss_mb": found["scale_embed_peak_rss_mb"],
        "scale_clean_time_ratio": found["scale_clean_s_17m"] / found["scale_clean_s"],
        "scale_clean_memory_ratio": found["scale_clean_peak_rss_mb_17m"]
        / found["scale_clean_peak_rss_mb"],
        "scale_embed_memory_ratio": found["scale_embed_peak_rss_mb_17m"]
        / found["scale_embed_peak_rss_mb"],
    }


def bench_run() -> dict:
    """The last ``make run``: its wall time and each step's from the benchmark files."""
    record = OUT / "run.json"
    if not record.exists():
        print("  no results/benchmarks/run.json: run `make run` first for these numbers")
        return {}
    run = json.loads(record.read_text())
    # Only this run's steps: files older than its start are an earlier run's (another
    # dataset's, or a step this run did not need to redo), as make run counts them.
    start = (OUT / ".run-start").stat().st_mtime if (OUT / ".run-start").exists() else 0
    steps = {}
    for tsv in sorted(OUT.glob("*/*.tsv")):
        if tsv.stat().st_mtime < start:
            continue
        row = pd.read_csv(tsv, sep="\t").iloc[-1]
        steps[f"{tsv.parent.name}/{tsv.stem}"] = {"s": row["s"], "max_rss_mb": row["max_rss"]}
    if not steps:
        print("  no step of the last `make run` has a benchmark file: it had nothing to do")
        return {"default_run_s": run["seconds"], "default_run": run}
    slowest = sorted(steps.items(), key=lambda kv: -kv[1]["s"])
    return {
        "default_run_s": run["seconds"],
        "default_run": run,
        "default_run_peak_rss_mb": max(s["max_rss_mb"] for s in steps.values()),
        "default_run_peak_rss_step": max(steps, key=lambda k: steps[k]["max_rss_mb"]),
        "default_run_job_s": sum(s["s"] for s in steps.values()),
        "default_run_steps": dict(slowest),
    }


def bench_checkpoints(repeats: int) -> dict:
    clean = clean_table(make_killifish_table(frames=3000, seed=0))
    X, X_val = clean.matrix("train"), clean.matrix("val")
    cases = {
        "linear AE, short epochs": ("linear", dict(batch_size=256, min_steps=6000)),
        "nonlinear AE, longer epochs": (
            "nonlinear",
            dict(design="mlp", hidden=(32, 32), batch_size=16, epochs=10),
        ),
    }
    saves: list[float] = []
    real_save = training.save_checkpoint

    def timed_save(*args):
        start = time.perf_counter()
        real_save(*args)
        saves.append(time.perf_counter() - start)

    training.save_checkpoint = timed_save
    found = {}
    try:
        for case, (name, params) in cases.items():
            params = dict(latent_dim=4, device="cpu", **params)
            plain, saved, saving, counts = [], [], [], []
            # Interleaved, each first in turn: machine noise and warm caches hit both alike.
            for with_checkpoints in [False, True] * repeats + [True, False] * repeats:
                saves.clear()
                with tempfile.TemporaryDirectory() as tmp:
                    checkpoint = Path(tmp) / "c.pt" if with_checkpoints else None
                    start = time.perf_counter()
                    model = models.make(name, **params).fit(X, X_val=X_val, checkpoint=checkpoint)
                    seconds = time.perf_counter() - start
                (saved if with_checkpoints else plain).append(seconds)
                if with_checkpoints:
                    saving.append(sum(saves) / seconds)
                    counts.append(len(saves))
            epochs, with_, without = len(model.history_), np.median(saved), np.median(plain)
            key = "checkpoint_" + name
            found |= {f"{key}_share": float(np.median(saving)), f"{key}_ratio": with_ / without}
            print(
                f"checkpoints, {case}: {epochs} epochs of {1000 * without / epochs:.0f} ms, "
                f"{np.median(counts):.0f} saves taking {np.median(saving):.1%} of the fit "
                f"(cap {training.CHECKPOINT_SHARE:.0%}); fit {with_:.2f} s with checkpoints, "
                f"{without:.2f} s without: ratio {with_ / without:.3f}"
            )
    finally:
        training.save_checkpoint = real_save
    return found


# --------------------------------------------------------------------------- output


def plain(value):
    """``value`` for JSON: NaN (a target never reached) becomes null."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def table(summary: dict) -> str:
    """The README's table: each target, its number and whether it is met."""
    rows = ["| what | measured | target | met |", "|---|---|---|---|"]
    for key, (bound, sense, what) in TARGETS.items():
        value = summary.get(key)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            missing = "not measured"
            if key == "time_to_quality_speedup" and "quality_val_mse" in summary:
                best = summary["ours_best_val_mse"] / summary["quality_val_mse"]
                missing = f"not reached: our best is {best:.2f}x the textbook's error"
            rows.append(f"| {what} | {missing} | {sense} {bound:g} | no |")
            continue
        met = value >= bound if sense == ">=" else value <= bound
        rows.append(f"| {what} | {value:.3g} | {sense} {bound:g} | {'yes' if met else 'no'} |")
    return "\n".join(rows)


def main() -> None:
    sections = ["tables", "training", "quality", "render", "busy", "scale", "checkpoints", "run"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(sections), help="comma-separated sections")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "killipose-bench"
    )
    parser.add_argument("--frames", type=int, default=600, help="frames of our video")
    parser.add_argument("--naive-frames", type=int, default=60, help="frames of the naive one")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads of training and quality, ours and the textbook's (1: what "
        "the default run gives each fish fit)",
    )
    parser.add_argument(
        "--device", default="cpu", help="cpu or cuda: where training and quality run (cpu)"
    )
    args = parser.parse_args()
    global DEVICE, SCALE
    DEVICE = torch.device(args.device)
    torch.set_num_threads(args.threads)
    chosen = args.only.split(",")
    SCALE = 10 if "scale" in chosen else 1
    unknown = set(chosen) - set(sections)
    if unknown:
        parser.error(f"--only: unknown {sorted(unknown)} (known: {', '.join(sections)})")
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    summary_path = args.out / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    summary |= {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "torch": torch.__version__,
        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "date": time.strftime("%Y-%m-%d"),
        "repeats": args.repeats,
    }
    prepared = work / "clean-1x"
    if not (prepared / "report.json").exists():
        killipose("clean", make_csvs(work, FRAMES, SCALE)[0], prepared)
    start = time.perf_counter()
    for section in chosen:
        print(f"{section}:", flush=True)
        if section == "tables":
            summary |= bench_tables(work, prepared, args.repeats)
        elif section == "training":
            summary |= bench_training(prepared, args.repeats)
        elif section == "quality":
            found, curves = bench_quality(prepared, args.repeats)
            summary |= found
            plot_quality(curves, found["quality_val_mse"], args.out / "time-to-quality.png")
            summary["quality_curves"] = curves
        elif section == "render":
            summary |= bench_render(prepared, args.repeats, args.frames, args.naive_frames)
        elif section == "busy":
            summary |= bench_busy(work, args.repeats)
        elif section == "scale":
            summary |= bench_scale(work)
        elif section == "checkpoints":
            summary |= bench_checkpoints(args.repeats)
        elif section == "run":
            summary |= bench_run()
        summary_path.write_text(json.dumps(plain(summary), indent=1))
    summary["bench_s"] = time.perf_counter() - start
    summary_path.write_text(json.dumps(plain(summary), indent=1))
    (args.out / "summary.md").write_text(table(summary) + "\n")
    print(table(summary))


if __name__ == "__main__":
    main()
