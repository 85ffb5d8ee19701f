"""Commands that render videos of poses and the pages that play them."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from killipose.cli.inputs import (
    add_named_paths,
    add_window,
    load_model,
    load_vae,
    model_paths,
    prepared,
    window,
)
from killipose.embedding import original_pixels, reconstruct_pixels
from killipose.errors import InputError
from killipose.generation import GENERATED_PANEL, decode_poses, latent_walk
from killipose.plots import MODEL_LABELS
from killipose.report import write_video_page
from killipose.video import render_reconstruction

EXAMPLES = {
    "animate": (
        "killipose animate results/fish/clean out.mp4 --model pca=models/pca-4d/model.pt "
        "--model nonlinear=models/nonlinear-4d/model.pt --start 0 --frames 1000"
    ),
    "generate-poses": (
        "killipose generate-poses results/fish/clean results/fish/models/vae-4d/model.pt "
        "results/fish/animations/vae-walk-4d.mp4 --frames 200 --seed 0 --timescale 10"
    ),
    "video-page": "killipose video-page results/fish/animations/reconstruction-4d.mp4 page.html",
}


def cmd_animate(args) -> None:
    """Render original beside each model's reconstruction (MP4)."""
    clean = prepared(args.cleandir, "pose")
    rows = window(args.start, args.frames, len(clean.frame))
    panels = {"original": original_pixels(clean, rows)}
    for name, path in model_paths(args.model).items():
        panels[MODEL_LABELS.get(name, name)] = reconstruct_pixels(load_model(path), clean, rows)
    shown = clean.frame.iloc[rows]
    render_reconstruction(
        panels,
        clean.keypoints,
        shown["frame"].to_numpy(),
        shown["time_s"].to_numpy(),
        args.out,
        fps=args.fps or clean.fps,
        title=args.title,
        progress=sys.stderr.isatty(),
    )


def cmd_generate_poses(args) -> None:
    """Render poses a VAE generates along a smooth random walk in its code (MP4), with the
    reconstruction video's renderer."""
    clean = prepared(args.cleandir, "pose")
    model = load_vae(args.model)
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


def cmd_video_page(args) -> None:
    """Wrap an MP4 in an HTML page that plays it."""
    write_video_page(args.video, args.out, args.title)


def register(add) -> None:
    """Add this module's subcommands with ``add(cmd, paths, title)`` (see build_parser)."""
    p = add(cmd_animate, paths=("cleandir", "out"), title="")
    add_named_paths(p, "model", required=False)
    add_window(p)
    p.add_argument("--fps", type=float, default=None, help="default: the data's frame rate")

    p = add(cmd_generate_poses)
    p.add_argument("cleandir", type=Path, help="the cleaned table the VAE was fitted on")
    p.add_argument("model", type=Path, help="a VAE model file")
    p.add_argument("out", type=Path)
    p.add_argument("--frames", type=int, required=True)
    p.add_argument("--seed", type=int, required=True, help="of the walk")
    p.add_argument(
        "--timescale",
        type=float,
        required=True,
        help="frames over which the code changes (sd of the smoothing kernel)",
    )
    p.add_argument("--fps", type=float, default=None, help="default: the data's frame rate")
    p.add_argument(
        "--title",
        default=None,
        help="top left of each frame, kept short: a video of one panel is 320 px wide; "
        "each panel says 'generated, not recorded' (default: VAE walk, <dim>-D)",
    )

    add(cmd_video_page, paths=("video", "out"), title="Reconstruction")
