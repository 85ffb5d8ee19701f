"""Benchmarks: numbers and ratios against a baseline measured in the same run.

    make bench            # or: python benchmarks/run.py [--frames 1000]

1. Animation: killipose's blitting renderer against the naive approach (clear and re-plot
   every panel every frame, then encode), frames per second, 4 panels.
2. Training: linear autoencoder epoch time at full size (1.7M frames) on 1 and 2 threads.
3. Checkpoints: the share of training time spent saving them (capped by
   ``CHECKPOINT_SHARE``), and the fit with checkpoints against the same fit without,
   interleaved, median of 6: with hundreds of millisecond epochs and with longer ones.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from killipose import clean_table, make_killifish_table, models
from killipose.models import training
from killipose.video import render_reconstruction


def poses(frames: int) -> tuple[dict[str, np.ndarray], list[str]]:
    table = make_killifish_table(frames=frames + 10, seed=0)
    keypoints = ["snout", "midbody", "endbody", "tail", "fan"]
    xy = np.stack([table[[f"x_{k}", f"y_{k}"]].to_numpy() for k in keypoints], axis=1)[:frames]
    rng = np.random.default_rng(0)
    panels = {"original": xy}
    for name in ("PCA", "linear AE", "nonlinear AE"):
        panels[name] = xy + rng.normal(0, 2, xy.shape)
    return panels, keypoints


def naive_render(panels, path: Path, fps: float) -> None:
    """The baseline: clear every axes and plot again for every frame."""
    fig = Figure(figsize=(12.8, 4.32), dpi=100)
    canvas = FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(panels))
    n = len(next(iter(panels.values())))
    writer = imageio_ffmpeg.write_frames(str(path), (1280, 432), fps=fps, macro_block_size=16)
    writer.send(None)
    for i in range(n):
        for ax, (title, xy) in zip(axes, panels.items(), strict=True):
            ax.clear()
            ax.plot(xy[i, :, 0], xy[i, :, 1], "o-")
            ax.plot(xy[i, 0, 0], xy[i, 0, 1], "o", ms=9, color="red")
            ax.set_xlim(0, 250)
            ax.set_ylim(250, 0)
            ax.set_title(title)
        canvas.draw()
        writer.send(np.asarray(canvas.buffer_rgba())[:, :, :3].tobytes())
    writer.close()


def bench_animation(frames: int) -> None:
    panels, keypoints = poses(frames)
    naive_frames = min(frames, 100)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        naive_render({k: v[:naive_frames] for k, v in panels.items()}, Path(tmp) / "n.mp4", 20)
        naive = naive_frames / (time.perf_counter() - start)
        start = time.perf_counter()
        render_reconstruction(
            panels,
            keypoints,
            np.arange(frames),
            np.arange(frames) / 20,
            Path(tmp) / "k.mp4",
            fps=20,
        )
        ours = frames / (time.perf_counter() - start)
    print(
        f"animation, 4 panels: naive re-plot {naive:.1f} frames/s ({naive_frames} frames); "
        f"killipose {ours:.1f} frames/s ({frames} frames, 2 rows); ratio {ours / naive:.1f}x"
    )


def bench_training() -> None:
    clean = clean_table(make_killifish_table(seed=0))
    X = clean.matrix("train")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        model = models.make("linear", latent_dim=4, epochs=3, patience=3, device="cpu")
        model.fit(X, X_val=clean.matrix("val"))
        per_epoch = np.median([h["seconds"] for h in model.history_])
        print(f"linear AE, {len(X):,} frames, {threads} thread(s): {per_epoch:.2f} s/epoch")


def bench_checkpoints(repeats: int = 3) -> None:
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
            print(
                f"checkpoints, {case}: {epochs} epochs of {1000 * without / epochs:.0f} ms, "
                f"{np.median(counts):.0f} saves taking {np.median(saving):.1%} of the fit "
                f"(cap {training.CHECKPOINT_SHARE:.0%}); fit {with_:.2f} s with checkpoints, "
                f"{without:.2f} s without: ratio {with_ / without:.3f}"
            )
    finally:
        training.save_checkpoint = real_save


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000)
    args = parser.parse_args()
    bench_animation(args.frames)
    bench_training()
    bench_checkpoints()
