"""Benchmark: test error of PCA, linear AE and nonlinear AE in the world and body frames.

    nice python benchmarks/posture.py [--rows 300000] [--dims 1 2 4] [--seeds 0 1 2]

Makes the default synthetic killifish table (1.7M frames, seed 0), optionally keeps its
first ``--rows`` rows (a contiguous block, so the train/val/test blocks stay contiguous),
cleans it with the default settings twice, ``frame="world"`` and ``frame="egocentric"``
(centroid origin, centroid-to-snout axis), and fits every model at every latent
dimension with the settings of ``config/config.yaml``, one fit at a time. Prints one line
per fit as it ends and a table at the end; ``--out`` keeps every fit's metrics as JSON.

The error is in pixels, on the test block: RMSE over every x and y value, and the mean
keypoint distance. Both are the same in the two frames for the same reconstruction (the
rotation keeps distances), so they compare directly; the normalised MSE does not (each
frame has its own z-scores). In the body frame a model is given the position and
heading; it codes the posture only.

The fold design needs a 2-D latent circle, so at 1-D the nonlinear AE is the plain MLP
design (``design: mlp``), marked ``nonlinear (mlp)``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from killipose import clean_table, make_killifish_table
from killipose.fitting import fit_model

#: ``train`` and ``model_params`` of config/config.yaml, as the workflow passes them.
TRAIN = {"epochs": 40, "batch_size": 4096, "lr": 1e-3, "patience": 8}
PARAMS = {
    "pca": {},
    "linear": TRAIN | {"lr": 0.03, "min_steps": 10000},
    "nonlinear": TRAIN
    | {"design": "fold", "hidden": [128, 128], "activation": "silu", "epochs": 12},
}
#: Torch threads per fit: ``model_params.linear.threads`` and ``train.threads``.
THREADS = {"pca": 1, "linear": 1, "nonlinear": 2}


def fit_one(clean, name: str, dim: int, seed: int) -> dict:
    """Fit one model and return the numbers of the table."""
    params = dict(PARAMS[name])
    label = name
    if name == "nonlinear" and dim < 2:
        params["design"] = "mlp"
        label = "nonlinear (mlp)"
    torch.set_num_threads(THREADS[name])
    start = time.perf_counter()
    _, metrics = fit_model(clean, name, dim, seed=seed, **params)
    return {
        "model": label,
        "latent_dim": dim,
        "seed": seed,
        "test_mse_px2": metrics["test_rmse_px"] ** 2,
        "test_rmse_px": metrics["test_rmse_px"],
        "mean_keypoint_error_px": float(np.mean(list(metrics["test_error_px"].values()))),
        "test_error_px": metrics["test_error_px"],
        "test_mse_normalised": metrics["test_mse"],
        "epochs_run": metrics["epochs_run"],
        "seconds": round(time.perf_counter() - start, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=1_726_812, help="synthetic table size")
    parser.add_argument("--rows", type=int, help="keep only the first ROWS rows")
    parser.add_argument("--dims", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--models", nargs="+", default=["pca", "linear", "nonlinear"])
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[0, 1, 2], help="nonlinear, 4-D, egocentric"
    )
    parser.add_argument("--out", type=Path, help="write every fit's numbers here (JSON)")
    args = parser.parse_args()

    table = make_killifish_table(frames=args.frames, fps=20, seed=0)
    if args.rows:
        table = table.iloc[: args.rows].reset_index(drop=True)
    print(f"table: {len(table):,} rows ({'first ' + str(args.rows) if args.rows else 'all'})")
    results = []
    for frame in ("world", "egocentric"):
        clean = clean_table(table, frame=frame)
        print(f"{frame}: {clean.report['frames']}", flush=True)
        for dim in args.dims:
            for name in args.models:
                seeds = [0]
                if (frame, name, dim) == ("egocentric", "nonlinear", 4):
                    seeds = args.seeds
                for seed in seeds:
                    row = {"frame": frame} | fit_one(clean, name, dim, seed)
                    results.append(row)
                    print(
                        f"  {frame:10} {row['model']:15} {dim}-D seed {seed}: "
                        f"RMSE {row['test_rmse_px']:.4f} px, MSE {row['test_mse_px2']:.4f} px², "
                        f"keypoint error {row['mean_keypoint_error_px']:.4f} px, "
                        f"{row['epochs_run']} epochs, {row['seconds']} s",
                        flush=True,
                    )
                    if args.out:
                        args.out.write_text(json.dumps(results, indent=1))
    print_table(results)


def print_table(results: list[dict]) -> None:
    """Test MSE (px²) per model and dimension, world against egocentric (seed 0)."""
    print("\ntest MSE (px², seed 0) [RMSE px]; ratio = egocentric / world")
    print("| model | dim | world | egocentric | ratio |\n|---|---|---|---|---|")
    keys = sorted(
        {(r["model"], r["latent_dim"]) for r in results},
        key=lambda k: (k[1], ["pca", "linear"].index(k[0]) if k[0] in ("pca", "linear") else 2),
    )
    for model, dim in keys:
        cell = {}
        for r in results:
            if (r["model"], r["latent_dim"], r["seed"]) == (model, dim, 0):
                cell[r["frame"]] = r
        w, e = cell.get("world"), cell.get("egocentric")
        text = [f"{r['test_mse_px2']:.4f} [{r['test_rmse_px']:.3f}]" if r else "-" for r in (w, e)]
        ratio = f"{e['test_mse_px2'] / w['test_mse_px2']:.3f}" if w and e else "-"
        print(f"| {model} | {dim} | {text[0]} | {text[1]} | {ratio} |")
    seeds = [
        r
        for r in results
        if (r["frame"], r["model"], r["latent_dim"]) == ("egocentric", "nonlinear", 4)
    ]
    if len(seeds) > 1:
        mse = np.array([r["test_mse_px2"] for r in seeds])
        print(
            f"\nnonlinear AE, 4-D, egocentric, seeds {[r['seed'] for r in seeds]}: test MSE "
            f"{', '.join(f'{v:.4f}' for v in mse)} px²; mean {mse.mean():.4f}, "
            f"std {mse.std(ddof=1):.4f}, range {mse.min():.4f}-{mse.max():.4f}"
        )


if __name__ == "__main__":
    main()
