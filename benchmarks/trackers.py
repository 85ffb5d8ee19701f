"""Benchmark: every model's test error against PCA's on the real tracker files in tests/data.

    nice python benchmarks/trackers.py [--models pca linear nonlinear] [--seeds 0 1 2]

The recordings among the public files in ``tests/data`` (tests/data/README.md says where
each comes from): every file and animal with at least ``--min-frames`` frames, and a
tenth of that in the test block after cleaning with the default settings (world frame).
Labelled-frame files (a few dozen hand-labelled frames each), files of a handful of
frames, and tables left with no more features than ``--latent-dim`` are listed as skipped.
Files without timestamps get 30 fps (it sets only the time axis). Each model is fitted at
``--latent-dim`` with the settings of ``config/config.yaml`` (``train`` and
``model_params``, as the workflow passes them) and each seed. The table gives the test MSE
(normalised units) divided by PCA's, mean and standard deviation over seeds, and how many
fits kept their starting state (the fold design starts at PCA's solution and keeps it
unless training beats it on validation by more than chance).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from killipose import clean_table, read_table
from killipose.config import WORKFLOW_TRAIN_KEYS, train_params, validate_config
from killipose.errors import InputError
from killipose.fitting import fit_model
from killipose.io import read_poses

ROOT = Path(__file__).resolve().parents[1]


def recordings(min_frames: int) -> tuple[list[tuple[Path, str | None]], list[str]]:
    """(file, individual) pairs worth fitting, and why the other files were skipped."""
    chosen, skipped = [], []
    for path in sorted((ROOT / "tests/data").rglob("*")):
        if not path.is_file() or path.suffix == ".md" or "models" in path.parts:
            continue
        name = path.relative_to(ROOT)
        try:
            poses = read_poses(path)
        except InputError as error:
            skipped.append(f"{name}: {error}")
            continue
        if poses.frames < min_frames:
            skipped.append(f"{name}: {poses.frames} frames")
            continue
        if len(poses.individuals) == 1:
            chosen.append((path, None))
            continue
        short = []
        for individual, fraction in poses.tracked_fraction().items():
            if fraction * poses.frames >= min_frames:
                chosen.append((path, individual))
            else:
                short.append(individual)
        if short:
            skipped.append(f"{name}: {len(short)} tracks with fewer than {min_frames} frames")
    return chosen, skipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["pca", "linear", "nonlinear"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--latent-dim", type=int, default=4)
    parser.add_argument("--min-frames", type=int, default=400)
    parser.add_argument("--out", type=Path, help="write every fit's numbers here (JSON)")
    args = parser.parse_args()

    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    pairs, skipped = recordings(args.min_frames)
    rows = []
    for path, individual in pairs:
        label = f"{path.name}" + (f" [{individual}]" if individual else "")
        table = read_table(path, individual=individual)
        try:
            # The frame rate sets only the time axis; these files have none.
            clean = clean_table(table, fps=None if "frame_timestamp" in table else 30.0)
        except InputError as error:
            skipped.append(f"{label}: {error}")
            continue
        valid = int(clean.frame["valid"].sum())
        if len(clean.matrix("test")) < args.min_frames // 10:
            skipped.append(f"{label}: {len(clean.matrix('test'))} test frames after cleaning")
            continue
        n_features = clean.matrix("train").shape[1]
        if n_features <= args.latent_dim:
            skipped.append(f"{label}: {n_features} features left after cleaning")
            continue
        print(f"{label}: {n_features} features, {valid} frames", flush=True)
        config["datasets"]["bench"] = {"kind": "pose", "path": str(path)}
        # as the workflow reads it: checked, every default filled in
        validate_config(config, ROOT / "workflow/schemas/config.schema.yaml")
        for name in args.models:
            params = train_params(config, "bench", name)
            torch.set_num_threads(int(params.get("threads", 2)))
            params = {k: v for k, v in params.items() if k not in WORKFLOW_TRAIN_KEYS}
            for seed in args.seeds if name != "pca" else [0]:
                start = time.perf_counter()
                model, metrics = fit_model(clean, name, args.latent_dim, seed=seed, **params)
                rows.append(
                    {
                        "file": label,
                        "model": name,
                        "seed": seed,
                        "test_mse": metrics["test_mse"],
                        "kept_start": bool(getattr(model, "kept_start_", False)),
                        "seconds": round(time.perf_counter() - start, 1),
                    }
                )
                print(
                    f"  {name:10} seed {seed}: test MSE {metrics['test_mse']:.4g}, "
                    f"kept start {rows[-1]['kept_start']}, {rows[-1]['seconds']} s",
                    flush=True,
                )
                if args.out:
                    args.out.write_text(json.dumps(rows, indent=1))
    print("\nskipped:\n" + "\n".join(f"  {s}" for s in skipped))
    print_table(rows, args.models, args.latent_dim)


def print_table(rows: list[dict], models: list[str], dim: int) -> None:
    """Test MSE ÷ PCA's, mean ± sd over seeds, per file and model."""
    others = [m for m in models if m != "pca"]
    print(f"\ntest MSE ÷ PCA's at {dim}-D, mean ± sd over seeds (fits that kept their start)")
    print("| file | PCA test MSE | " + " | ".join(others) + " |")
    print("|---|---|" + "---|" * len(others))
    worst = {}
    for file in dict.fromkeys(r["file"] for r in rows):
        pca = next(r["test_mse"] for r in rows if r["file"] == file and r["model"] == "pca")
        cells = []
        for name in others:
            fits = [r for r in rows if r["file"] == file and r["model"] == name]
            ratio = np.array([r["test_mse"] / pca for r in fits])
            kept = sum(r["kept_start"] for r in fits)
            worst[name] = max(worst.get(name, 0.0), ratio.max())
            sd = ratio.std(ddof=1) if len(ratio) > 1 else 0.0
            cells.append(f"{ratio.mean():.3f} ± {sd:.3f} ({kept}/{len(fits)})")
        print(f"| {file} | {pca:.4g} | " + " | ".join(cells) + " |")
    print("worst single fit ÷ PCA: " + ", ".join(f"{m} {v:.3f}" for m, v in worst.items()))


if __name__ == "__main__":
    main()
