"""The ``killipose`` command: one subcommand per workflow stage.

Each subcommand reads its inputs, calls the library, and writes its outputs atomically.
User mistakes print ``killipose: error: <message>`` and exit with status 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from killipose.errors import InputError

log = logging.getLogger("killipose")

EXAMPLES = {
    "synth": "killipose synth results/killifish/synthetic.parquet --frames 1726812 --seed 0",
    "clean": "killipose clean data/fish.csv results/fish/clean --max-gap 10",
    "qc": "killipose qc data/fish.csv results/fish/clean results/fish/figures/qc-missing.png",
    "fit": "killipose fit results/fish/clean results/fish/models/nonlinear-4d --model nonlinear "
    "--latent-dim 4",
    "embed": "killipose embed results/fish/clean results/fish/models/pca-4d/model.pt "
    "results/fish/models/pca-4d/latent.parquet",
    "animate": "killipose animate results/fish/clean out.mp4 --model pca=models/pca-4d/model.pt "
    "--model nonlinear=models/nonlinear-4d/model.pt --start 0 --frames 1000",
    "plot-latents": "killipose plot-latents out.png --latent pca=models/pca-4d/latent.parquet "
    "--start 0 --frames 1000",
    "compare": "killipose compare results/fish/models/*-4d/metrics.json --figure cmp.png "
    "--csv metrics.csv --html metrics.html",
    "summarise-clean": "killipose summarise-clean results/fish/clean/report.json summary.html",
    "video-page": "killipose video-page results/fish/animations/reconstruction-4d.mp4 page.html",
}


def _model_paths(items: list[str]) -> dict[str, Path]:
    out = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep:
            raise InputError(f"--model/--latent takes NAME=PATH, got {item!r}")
        out[name] = Path(path)
    return out


def cmd_synth(args) -> None:
    from killipose.io import write_parquet
    from killipose.synthetic import make_killifish_table

    table = make_killifish_table(frames=args.frames, fps=args.fps, seed=args.seed)
    write_parquet(table, args.out)
    log.info(
        "wrote %s: %d rows (frames 0..%d, %d dropped by the camera)",
        args.out,
        len(table),
        args.frames,
        args.frames + 1 - len(table),
    )


def cmd_clean(args) -> None:
    from killipose.cleaning import clean_table
    from killipose.io import read_table

    table = read_table(args.table)
    keypoints = None if args.keypoints in (None, "auto") else args.keypoints.split(",")
    clean = clean_table(
        table,
        max_nan_fraction=args.max_nan_fraction,
        max_gap=args.max_gap,
        max_jump=args.max_jump,
        keypoints=keypoints,
        fps=args.fps,
    )
    clean.report["source"] = str(args.table)
    clean.save(args.outdir)
    log.info(
        "cleaned %s: %d of %d frames usable; dropped %s",
        args.table,
        clean.report["frames"]["valid"],
        len(table),
        list(clean.report["dropped_columns"]),
    )


def cmd_qc(args) -> None:
    from killipose.cleaning import load_clean
    from killipose.figures import plot_missing_data
    from killipose.io import keypoint_names, read_table

    raw = read_table(args.table)
    clean = load_clean(args.cleandir)
    plot_missing_data(
        raw, clean.frame, keypoint_names(raw.columns), clean.frame["time_s"].to_numpy(), args.out
    )


def cmd_fit(args) -> None:
    import torch

    from killipose.cleaning import load_clean
    from killipose.io import atomic_path, write_json
    from killipose.metrics import pose_metrics
    from killipose.models import make

    torch.set_num_threads(args.threads)
    clean = load_clean(args.cleandir)
    params = {
        k: v
        for k, v in vars(args).items()
        if v is not None
        and k
        in ("epochs", "min_steps", "batch_size", "lr", "patience", "device", "activation", "design")
    }
    if args.hidden:
        params["hidden"] = tuple(int(h) for h in args.hidden.split(","))
    model = make(args.model, latent_dim=args.latent_dim, seed=args.seed, **params)
    log.info(
        "fitting %s with latent_dim %d on %d frames: %s",
        args.model,
        args.latent_dim,
        len(clean.matrix("train")),
        model.get_params(),
    )
    model.fit(
        clean.matrix("train"),
        clean.matrix("val"),
        **({"progress": sys.stderr.isatty()} if args.model != "pca" else {}),
    )
    metrics = {"model": args.model, "latent_dim": args.latent_dim}
    metrics |= pose_metrics(model, clean)
    metrics |= {
        "fit_seconds": round(model.fit_seconds_, 3),
        "seed": args.seed,
        "epochs_run": len(model.history_),
        "device": str(params.get("device", "auto")),
    }
    outdir = Path(args.outdir)
    model.save(outdir / "model.pt")
    import pandas as pd

    with atomic_path(outdir / "history.csv") as tmp:
        pd.DataFrame(
            model.history_, columns=["epoch", "train_loss", "val_mse", "lr", "seconds"]
        ).to_csv(tmp, index=False)
    write_json(metrics, outdir / "metrics.json")
    log.info(
        "test_mse %.6g, test_rmse_px %.3f, %.1f s",
        metrics["test_mse"],
        metrics["test_rmse_px"],
        model.fit_seconds_,
    )


def cmd_embed(args) -> None:
    from killipose.cleaning import load_clean
    from killipose.embedding import latent_table
    from killipose.io import write_parquet
    from killipose.models import load

    write_parquet(latent_table(load(args.model), load_clean(args.cleandir)), args.out)


def cmd_animate(args) -> None:
    from killipose.animation import render_reconstruction
    from killipose.cleaning import load_clean
    from killipose.embedding import original_pixels, reconstruct_pixels
    from killipose.figures import MODEL_LABELS
    from killipose.models import load

    clean = load_clean(args.cleandir)
    rows = _window(args.start, args.frames, len(clean.frame))
    panels = {"original": original_pixels(clean, rows)}
    for name, path in _model_paths(args.model).items():
        panels[MODEL_LABELS.get(name, name)] = reconstruct_pixels(load(path), clean, rows)
    window = clean.frame.iloc[rows]
    render_reconstruction(
        panels,
        clean.keypoints,
        window["frame"].to_numpy(),
        window["time_s"].to_numpy(),
        args.out,
        fps=args.fps or clean.fps,
        title=args.title,
        progress=sys.stderr.isatty(),
    )


def _window(start: int, frames: int, total: int) -> slice:
    if start < 0 or frames <= 0:
        raise InputError(
            f"animation window must have start >= 0 and frames > 0, got {start}, {frames}"
        )
    if start >= total:
        raise InputError(f"animation start {start} is past the last frame ({total - 1})")
    return slice(start, min(start + frames, total))


def cmd_plot_latents(args) -> None:
    import pandas as pd

    from killipose.figures import MODEL_LABELS, plot_latent_trajectory, plot_latents_side_by_side

    latents = {}
    for name, path in _model_paths(args.latent).items():
        frame = pd.read_parquet(path)
        latents[name] = frame.iloc[_window(args.start, args.frames, len(frame))]
    if len(latents) == 1:
        name, frame = next(iter(latents.items()))
        plot_latent_trajectory(frame, args.out, f"{args.title} — {MODEL_LABELS.get(name, name)}")
    else:
        plot_latents_side_by_side(latents, args.out, args.title)


def cmd_compare(args) -> None:
    from killipose.figures import plot_model_comparison
    from killipose.io import read_json
    from killipose.report import write_metrics_table

    metrics = [read_json(p) for p in args.metrics]
    if args.figure:
        plot_model_comparison(metrics, args.figure, args.title)
    write_metrics_table(metrics, args.csv, args.html, args.title)


def cmd_summarise_clean(args) -> None:
    from killipose.io import read_json
    from killipose.report import write_cleaning_summary

    report = read_json(args.report)
    write_cleaning_summary(report, args.out, report.get("source", str(args.report)))


def cmd_video_page(args) -> None:
    from killipose.report import write_video_page

    write_video_page(args.video, args.out, args.title)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="killipose", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name, func, help_):
        p = sub.add_parser(
            name,
            help=help_,
            description=help_,
            epilog=f"example:\n  {EXAMPLES[name]}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(func=func)
        return p

    p = add("synth", cmd_synth, "Generate the synthetic killifish table (Parquet).")
    p.add_argument("out", type=Path)
    p.add_argument("--frames", type=int, default=1_726_812, help="last camera frame number")
    p.add_argument("--fps", type=float, default=20.0)
    p.add_argument("--seed", type=int, default=0)

    p = add("clean", cmd_clean, "Clean and normalise a keypoint table into OUTDIR.")
    p.add_argument("table", type=Path)
    p.add_argument("outdir", type=Path)
    p.add_argument("--max-nan-fraction", type=float, default=0.5)
    p.add_argument("--max-gap", type=int, default=10, help="frames")
    p.add_argument("--max-jump", type=float, default=30.0, help="pixels per frame")
    p.add_argument("--keypoints", default="auto", help="comma-separated, or auto")
    p.add_argument("--fps", type=float, default=None, help="default: from frame_timestamp")

    p = add("qc", cmd_qc, "Plot missing data over time per keypoint.")
    p.add_argument("table", type=Path)
    p.add_argument("cleandir", type=Path)
    p.add_argument("out", type=Path)

    p = add("fit", cmd_fit, "Fit one model; write model.pt, metrics.json, history.csv to OUTDIR.")
    p.add_argument("cleandir", type=Path)
    p.add_argument("outdir", type=Path)
    p.add_argument("--model", required=True, help="pca, linear or nonlinear")
    p.add_argument("--latent-dim", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--patience", type=int)
    p.add_argument("--min-steps", type=int, help="train at least this many steps")
    p.add_argument("--device", help="auto, cpu or cuda")
    p.add_argument("--hidden", help="hidden widths, e.g. 128,128 (nonlinear)")
    p.add_argument("--activation", help="relu, silu, tanh or gelu (nonlinear)")
    p.add_argument("--design", help="fold or mlp (nonlinear; see killipose.models.fold)")
    p.add_argument("--threads", type=int, default=1)

    p = add("embed", cmd_embed, "Write the latent code of every frame (Parquet).")
    p.add_argument("cleandir", type=Path)
    p.add_argument("model", type=Path)
    p.add_argument("out", type=Path)

    p = add("animate", cmd_animate, "Render original beside each model's reconstruction (MP4).")
    p.add_argument("cleandir", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--model", action="append", default=[], help="NAME=PATH, repeatable")
    p.add_argument("--start", type=int, default=0, help="first row")
    p.add_argument("--frames", type=int, default=1000)
    p.add_argument("--fps", type=float, default=None, help="default: the data's frame rate")
    p.add_argument("--title", default="")

    p = add("plot-latents", cmd_plot_latents, "Plot latent trajectories of one or more models.")
    p.add_argument("out", type=Path)
    p.add_argument("--latent", action="append", required=True, help="NAME=PATH, repeatable")
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--frames", type=int, default=1000)
    p.add_argument("--title", default="Latent trajectories")

    p = add("compare", cmd_compare, "Compare models: metrics table (CSV, HTML) and figure.")
    p.add_argument("metrics", nargs="+", type=Path)
    p.add_argument("--figure", type=Path)
    p.add_argument("--csv", type=Path, required=True)
    p.add_argument("--html", type=Path, required=True)
    p.add_argument("--title", default="Model comparison")

    p = add("summarise-clean", cmd_summarise_clean, "Write the cleaning report as an HTML page.")
    p.add_argument("report", type=Path)
    p.add_argument("out", type=Path)

    p = add("video-page", cmd_video_page, "Wrap an MP4 in an HTML page that plays it.")
    p.add_argument("video", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--title", default="Reconstruction")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    start = time.perf_counter()
    try:
        args.func(args)
    except InputError as err:
        print(f"killipose: error: {err}", file=sys.stderr)
        return 2
    log.info("killipose %s done in %.1f s", args.command, time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
