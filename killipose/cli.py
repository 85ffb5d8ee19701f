"""The ``killipose`` command: one subcommand per workflow stage.

Each subcommand reads its inputs, calls the library, and writes its outputs atomically.
User mistakes print ``killipose: error: <message>`` and exit with status 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from killipose.cleaning import clean_table, load_clean
from killipose.embedding import latent_table, original_pixels, reconstruct_pixels
from killipose.errors import InputError
from killipose.figures import (
    MODEL_LABELS,
    plot_latent_trajectory,
    plot_latents_side_by_side,
    plot_missing_data,
    plot_model_comparison,
)
from killipose.files import read_json, write_parquet
from killipose.generation import GENERATED_PANEL, decode_poses, latent_walk, require_vae
from killipose.io import format_names, keypoint_names, read_table
from killipose.io.describe import describe_file
from killipose.metrics import mean_over_seeds
from killipose.mnist import MIRROR, fetch_mnist, load_mnist, mnist_table
from killipose.mnist_figures import (
    example_digits,
    plot_decoder_grids,
    plot_encoder_maps,
    plot_error_vs_dim,
    plot_interpolation,
    plot_prior_grid,
    plot_prior_samples,
    plot_reconstructions,
)
from killipose.models import model_names
from killipose.report import write_cleaning_summary, write_metrics_table, write_video_page
from killipose.synthetic import make_killifish_table
from killipose.video import render_reconstruction

log = logging.getLogger("killipose")

EXAMPLES = {
    "synth": "killipose synth results/killifish/synthetic.parquet --frames 1726812 --seed 0",
    "clean": "killipose clean data/fish.csv results/fish/clean --max-gap 10",
    "info": "killipose info data/mouse-DLC_resnet50.h5",
    "prepare-mnist": "killipose prepare-mnist data/mnist results/mnist/clean",
    "fetch-mnist": "killipose fetch-mnist data/mnist",
    "qc": "killipose qc data/fish.csv results/fish/clean results/fish/figures/qc-missing.png",
    "fit": "killipose fit results/fish/clean results/fish/models/vae-4d --model vae "
    "--latent-dim 4 --param beta=0.5 --param hidden=64,64",
    "embed": "killipose embed results/fish/clean results/fish/models/pca-4d/model.pt "
    "results/fish/models/pca-4d/latent.parquet",
    "animate": "killipose animate results/fish/clean out.mp4 --model pca=models/pca-4d/model.pt "
    "--model nonlinear=models/nonlinear-4d/model.pt --start 0 --frames 1000",
    "plot-latents": "killipose plot-latents out.png --latent pca=models/pca-4d/latent.parquet "
    "--start 0 --frames 1000",
    "compare": "killipose compare results/fish/models/*-4d/metrics.json --figure cmp.png "
    "--csv metrics.csv --html metrics.html",
    "mnist-reconstructions": "killipose mnist-reconstructions results/mnist/clean out.png "
    "--model pca=results/mnist/models/pca-2d/model.pt",
    "mnist-maps": "killipose mnist-maps map.png grid.png --model pca=models/pca-2d/model.pt "
    "--latent pca=models/pca-2d/latent.parquet",
    "mnist-interpolation": "killipose mnist-interpolation results/mnist/clean out.png "
    "--model linear=models/linear-10d/model.pt --model nonlinear=models/nonlinear-10d/model.pt",
    "summarise-clean": "killipose summarise-clean results/fish/clean/report.json summary.html",
    "video-page": "killipose video-page results/fish/animations/reconstruction-4d.mp4 page.html",
    "mnist-samples": "killipose mnist-samples results/mnist/figures/vae-samples.png "
    "results/mnist/models/vae-2d/model.pt results/mnist/models/vae-10d/model.pt --seed 0",
    "mnist-prior-grid": "killipose mnist-prior-grid results/mnist/figures/vae-grid-2d.png "
    "results/mnist/models/vae-2d/model.pt --steps 15",
    "generate-poses": "killipose generate-poses results/fish/clean "
    "results/fish/models/vae-4d/model.pt results/fish/animations/vae-walk-4d.mp4 "
    "--frames 200 --seed 0",
}


def _model_pairs(items: list[str]) -> list[tuple[str, Path]]:
    """``NAME=PATH`` arguments as (name, path) pairs, in order."""
    pairs = []
    for item in items:
        name, sep, path = item.partition("=")
        if not sep:
            raise InputError(f"--model/--latent takes NAME=PATH, got {item!r}")
        pairs.append((name, Path(path)))
    return pairs


def _model_paths(items: list[str]) -> dict[str, Path]:
    return dict(_model_pairs(items))


def cmd_synth(args) -> None:
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
    table = read_table(args.table, args.format, args.individual)
    keypoints = None if args.keypoints in (None, "auto") else args.keypoints.split(",")
    try:
        clean = clean_table(
            table,
            max_nan_fraction=args.max_nan_fraction,
            max_gap=args.max_gap,
            max_jump=args.max_jump,
            keypoints=keypoints,
            fps=args.fps,
            min_confidence=_min_confidence(args.min_confidence),
            frame=args.frame,
            origin=args.origin,
            axis=tuple(args.axis.split(",")) if args.axis else None,
        )
    except InputError as err:
        raise InputError(f"{args.table}: {err}") from None
    clean.report["source"] = str(args.table)
    clean.save(args.outdir)
    log.info(
        "cleaned %s: %d of %d frames usable; dropped %s",
        args.table,
        clean.report["frames"]["valid"],
        len(table),
        list(clean.report["dropped_columns"]),
    )


def _min_confidence(value: str) -> float | None:
    """``--min-confidence``: ``auto`` (the format's default) or a number >= 0."""
    if value == "auto":
        return None
    try:
        return float(value)
    except ValueError:
        raise InputError(f"--min-confidence takes auto or a number, got {value!r}") from None


def cmd_info(args) -> None:
    print(describe_file(args.file, args.format))


def cmd_prepare_mnist(args) -> None:
    mnist_table(load_mnist(args.folder, seed=args.seed)).save(args.outdir)


def cmd_fetch_mnist(args) -> None:
    fetch_mnist(args.folder, base_url=args.url, timeout=args.timeout)


def cmd_qc(args) -> None:
    clean = load_clean(args.cleandir)
    raw = read_table(args.table, args.format, args.individual)
    # The cleaned rows in frame order (cleaning may sort rows and drop duplicates).
    raw = raw.iloc[clean.frame["frame"].to_numpy()]
    plot_missing_data(
        raw, clean.frame, keypoint_names(raw.columns), clean.frame["time_s"].to_numpy(), args.out
    )


def _load(path: Path):
    """The fitted model in ``path``.

    Only the commands that use a model import torch and scikit-learn (~5 s): the others,
    and Snakemake reading the workflow, start without them.
    """
    from killipose.models import load

    return load(path)


def cmd_fit(args) -> None:
    import torch

    from killipose.fitting import fit_model, save_fit

    torch.set_num_threads(args.threads)
    params = dict(parse_param(p) for p in args.param)
    clean = load_clean(args.cleandir)
    try:
        model, metrics = fit_model(
            clean,
            args.model,
            args.latent_dim,
            seed=args.seed,
            progress=sys.stderr.isatty(),
            checkpoint=args.checkpoint or args.outdir / "checkpoint.pt",
            **params,
        )
    except InputError as err:
        names = clean.features
        features = ", ".join(names) if len(names) <= 12 else f"{len(names)} of them"
        raise InputError(f"{args.cleandir}: {err} (features: {features})") from None
    save_fit(model, metrics, args.outdir)
    log.info("test_mse %.6g in %.1f s", metrics["test_mse"], metrics["fit_seconds"])


def parse_param(text: str) -> tuple[str, object]:
    """``--param KEY=VALUE``: VALUE read as YAML (``30``, ``1e-3``, ``null``, ``relu``);
    a comma-separated VALUE (``128,128``) is a tuple."""
    import yaml

    key, sep, value = text.partition("=")
    key = key.strip().replace("-", "_")
    if not sep or not key:
        raise InputError(f"--param {text!r}: expected KEY=VALUE, e.g. --param epochs=30")
    if "," in value and not value.lstrip().startswith("["):
        value = f"[{value}]"
    for number in (int, float):  # YAML 1.1 reads 1e-3 as a string
        try:
            return key, number(value)
        except ValueError:
            pass
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        raise InputError(f"--param {text!r}: cannot read the value") from None
    return key, tuple(parsed) if isinstance(parsed, list) else parsed


def cmd_embed(args) -> None:
    write_parquet(latent_table(_load(args.model), load_clean(args.cleandir)), args.out)


def cmd_animate(args) -> None:
    clean = load_clean(args.cleandir)
    rows = _window(args.start, args.frames, len(clean.frame))
    panels = {"original": original_pixels(clean, rows)}
    for name, path in _model_paths(args.model).items():
        panels[MODEL_LABELS.get(name, name)] = reconstruct_pixels(_load(path), clean, rows)
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
    metrics = mean_over_seeds([read_json(p) for p in args.metrics])
    if args.figure and all("test_error_px" in m for m in metrics):
        plot_model_comparison(metrics, args.figure, args.title)
    elif args.figure:
        plot_error_vs_dim(metrics, args.figure, args.title)
    write_metrics_table(metrics, args.csv, args.html, args.title)


def cmd_mnist_reconstructions(args) -> None:
    clean = load_clean(args.cleandir)
    digits = clean.matrix("test")[example_digits(clean.labels("test"))]
    rebuilt = {}
    for name, path in _model_pairs(args.model):
        model = _load(path)
        rebuilt[(name, model.latent_dim)] = model.inverse_transform(model.transform(digits))
    plot_reconstructions(digits, rebuilt, args.out, args.title)


def cmd_mnist_maps(args) -> None:
    latents = {n: pd.read_parquet(p) for n, p in _model_paths(args.latent).items()}
    plot_encoder_maps(latents, args.map, f"{args.title}: encoder map of the test digits")
    models = {n: _load(p) for n, p in _model_paths(args.model).items()}
    plot_decoder_grids(models, latents, args.grid, f"{args.title}: decoder grid")


def cmd_mnist_interpolation(args) -> None:
    clean = load_clean(args.cleandir)
    X, labels = clean.matrix("test"), clean.labels("test")
    a, b = (int(d) for d in args.digits.split(","))
    models = {n: _load(p) for n, p in _model_paths(args.model).items()}
    start, end = X[labels == a][0], X[labels == b][0]
    plot_interpolation(models, start, end, args.out, args.title)


def _load_vae(path: Path):
    return require_vae(_load(path), path)


def cmd_mnist_samples(args) -> None:
    models = [_load_vae(p) for p in args.models]
    plot_prior_samples(models, args.out, args.title, side=args.side, seed=args.seed)


def cmd_mnist_prior_grid(args) -> None:
    model = _load_vae(args.model)
    if model.latent_dim != 2:
        raise InputError(
            f"{args.model}: the grid covers a 2-D code, this VAE's is {model.latent_dim}-D; "
            "give the one fitted with --latent-dim 2"
        )
    plot_prior_grid(model, args.out, args.title, steps=args.steps)


def cmd_generate_poses(args) -> None:
    clean = load_clean(args.cleandir)
    model = _load_vae(args.model)
    codes = latent_walk(args.frames, model.latent_dim, seed=args.seed, timescale=args.timescale)
    try:
        poses = decode_poses(model, clean, codes)
    except InputError as err:
        raise InputError(f"{args.model}: {err} ({args.cleandir})") from None
    fps = args.fps or clean.fps
    render_reconstruction(
        {GENERATED_PANEL: poses},
        clean.keypoints,
        np.arange(args.frames),
        np.arange(args.frames) / fps,
        args.out,
        fps=fps,
        title=args.title or f"VAE walk, {model.latent_dim}-D",
        progress=sys.stderr.isatty(),
    )


def cmd_summarise_clean(args) -> None:
    report = read_json(args.report)
    write_cleaning_summary(report, args.out, report.get("source", str(args.report)))


def cmd_video_page(args) -> None:
    write_video_page(args.video, args.out, args.title)


def add_read_options(p: argparse.ArgumentParser) -> None:
    """``--format`` and ``--individual``, for commands that read the user's pose file."""
    p.add_argument("--format", default="auto", help=f"one of {', '.join(format_names())}")
    p.add_argument("--individual", help="which animal of a multi-animal file")


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
    add_read_options(p)
    p.add_argument(
        "--min-confidence",
        default="auto",
        help="points the tracker scored below this become missing (auto: the format's "
        "default, 0.6 for DeepLabCut and Lightning Pose, none for SLEAP)",
    )
    p.add_argument(
        "--frame",
        choices=["world", "egocentric"],
        default="world",
        help="egocentric: centre each frame on --origin and turn --axis to +x",
    )
    p.add_argument("--origin", default="centroid", help="centroid or a keypoint (egocentric)")
    p.add_argument("--axis", help="FROM,TO keypoints (egocentric; default: origin to first)")

    p = add("info", cmd_info, "Say what a pose file holds (format, frames, keypoints, animals).")
    p.add_argument("file", type=Path)
    p.add_argument("--format", default="auto", help=f"one of {', '.join(format_names())}")

    p = add("prepare-mnist", cmd_prepare_mnist, "MNIST IDX files as a table for fitting (OUTDIR).")
    p.add_argument("folder", type=Path)
    p.add_argument("outdir", type=Path)
    p.add_argument("--seed", type=int, default=0, help="for the 8:1:1 split of the fallback")

    p = add("fetch-mnist", cmd_fetch_mnist, "Download the full MNIST (checksummed) into FOLDER.")
    p.add_argument("folder", type=Path)
    p.add_argument("--url", default=MIRROR, help="base address of the four .gz files")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per file")

    p = add("qc", cmd_qc, "Plot missing data over time per keypoint.")
    p.add_argument("table", type=Path)
    p.add_argument("cleandir", type=Path)
    p.add_argument("out", type=Path)
    add_read_options(p)

    p = add("fit", cmd_fit, "Fit one model; write model.pt, metrics.json, history.csv to OUTDIR.")
    p.add_argument("cleandir", type=Path)
    p.add_argument("outdir", type=Path)
    p.add_argument("--model", required=True, choices=model_names())
    p.add_argument("--latent-dim", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a model parameter, repeatable: e.g. --param epochs=30 --param hidden=128,128 "
        "(a KEY the model does not take gets the list of those it does)",
    )
    p.add_argument("--threads", type=int, default=1)
    p.add_argument(
        "--checkpoint",
        type=Path,
        metavar="PATH",
        help="autoencoders: the training state, saved between epochs; run the same command "
        "again after an interruption and it resumes from there, with the same result. "
        "Removed when training ends; one from other settings or data is ignored "
        "(default: OUTDIR/checkpoint.pt)",
    )

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

    p = add(
        "mnist-reconstructions",
        cmd_mnist_reconstructions,
        "Test digits beside each model's reconstructions.",
    )
    p.add_argument("cleandir", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--model", action="append", required=True, help="NAME=PATH, repeatable")
    p.add_argument("--title", default="MNIST reconstructions")

    p = add("mnist-maps", cmd_mnist_maps, "Encoder maps and decoder grids of 2-D models.")
    p.add_argument("map", type=Path)
    p.add_argument("grid", type=Path)
    p.add_argument("--model", action="append", required=True, help="NAME=PATH, repeatable")
    p.add_argument("--latent", action="append", required=True, help="NAME=PATH, repeatable")
    p.add_argument("--title", default="MNIST, 2-D code")

    p = add(
        "mnist-interpolation",
        cmd_mnist_interpolation,
        "Decode the line between two test digits' codes.",
    )
    p.add_argument("cleandir", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--model", action="append", required=True, help="NAME=PATH, repeatable")
    p.add_argument("--digits", default="2,7", help="the two digits, e.g. 2,7")
    p.add_argument("--title", default="MNIST interpolation")

    p = add(
        "mnist-samples",
        cmd_mnist_samples,
        "Digits a VAE generates: decoded from codes drawn from its prior N(0, I), one panel "
        "per model.",
    )
    p.add_argument("out", type=Path)
    p.add_argument("models", nargs="+", type=Path, help="VAE model files (fitted with vae)")
    p.add_argument("--side", type=int, default=8, help="SIDE x SIDE digits per panel")
    p.add_argument("--seed", type=int, default=0, help="of the codes; the same for each panel")
    p.add_argument("--title", default="MNIST, samples from the prior")

    p = add(
        "mnist-prior-grid",
        cmd_mnist_prior_grid,
        "A 2-D VAE's decoder over a grid of prior quantiles (the 5th to the 95th percentile "
        "of N(0, 1) on each axis).",
    )
    p.add_argument("out", type=Path)
    p.add_argument("model", type=Path, help="a VAE model file with a 2-D code")
    p.add_argument("--steps", type=int, default=15, help="digits along each axis")
    p.add_argument("--title", default="MNIST, walk over the 2-D code")

    p = add(
        "generate-poses",
        cmd_generate_poses,
        "Render poses a VAE generates along a smooth random walk in its code (MP4), with the "
        "reconstruction video's renderer.",
    )
    p.add_argument("cleandir", type=Path, help="the cleaned table the VAE was fitted on")
    p.add_argument("model", type=Path, help="a VAE model file")
    p.add_argument("out", type=Path)
    p.add_argument("--frames", type=int, default=200)
    p.add_argument("--seed", type=int, default=0, help="of the walk")
    p.add_argument(
        "--timescale",
        type=float,
        default=10.0,
        help="frames over which the code changes (sd of the smoothing kernel)",
    )
    p.add_argument("--fps", type=float, default=None, help="default: the data's frame rate")
    p.add_argument(
        "--title",
        default=None,
        help="top left of each frame, kept short: a video of one panel is 320 px wide; "
        "each panel says 'generated, not recorded' (default: VAE walk, <dim>-D)",
    )

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
    if "SLURM_JOB_ID" in os.environ:  # on a cluster, say which job wrote this log
        log.info("SLURM job %s on %s", os.environ["SLURM_JOB_ID"], os.uname().nodename)
    try:
        args.func(args)
    except InputError as err:
        print(f"killipose: error: {err}", file=sys.stderr)
        return 2
    log.info("killipose %s done in %.1f s", args.command, time.perf_counter() - start)
    return 0


def run() -> None:
    """The ``killipose`` command: :func:`main`, then exit with its status.

    After an error the process ends at once (``os._exit``) instead of tearing down the
    interpreter: native thread pools (pyarrow's CSV reader, torch) still winding down at
    teardown could otherwise abort it (``terminate called without an active
    exception``, status 134) after the one-line error was printed.
    """
    status = main()
    if status:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)


if __name__ == "__main__":
    run()
