"""Commands that render videos of poses and the pages that play them.

The renderer (matplotlib) is imported by the commands that draw, when they run.
"""

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
    window_rows,
)
from killipose.embedding import arena_outline, original_pixels, reconstruct_pixels
from killipose.errors import InputError
from killipose.files import read_json, write_json
from killipose.generation import GENERATED_PANEL, decode_poses, latent_walk
from killipose.metrics import contrast_window, frame_distances
from killipose.models import MODEL_LABELS
from killipose.report import write_video_page

EXAMPLES = {
    "animate": (
        "killipose animate results/fish/clean out.mp4 --model pca=models/pca-4d/model.pt "
        "--model nonlinear=models/nonlinear-4d/model.pt --start 0 --frames 1000"
    ),
    "generate-poses": (
        "killipose generate-poses results/fish/clean results/fish/models/vae-4d/model.pt "
        "results/fish/animations/vae-walk-4d.mp4 --frames 200 --seed 0 --timescale 10"
    ),
    "choose-window": (
        "killipose choose-window results/fish/clean window.json --frames 1000 "
        "--model pca=models/pca-4d/model.pt --model nonlinear=models/nonlinear-4d/model.pt"
    ),
    "video-page": "killipose video-page results/fish/animations/reconstruction-4d.mp4 page.html",
}


def cmd_choose_window(args) -> None:
    """Choose the rows a video shows: by default the test block's stretch where the models'
    per-frame errors differ most; with --start, those rows. Writes them and why (JSON)."""
    clean = prepared(args.cleandir, "pose")
    chosen = choose_window(clean, _models(args.model), args.frames, args.start, args.cleandir)
    write_json(chosen, args.out)


def _models(items: list[str]) -> list[tuple[str, str, object]]:
    """``--model NAME=PATH`` arguments as (name, label, fitted model) triples."""
    return [
        (name, MODEL_LABELS.get(name, name), load_model(path))
        for name, path in model_paths(items).items()
    ]


def choose_window(clean, models: list, frames: int, start: int | None, cleandir) -> dict:
    """The window file (:func:`describe_window`) of ``frames`` rows from ``start``, or by
    default of the test block's stretch where the ``models`` (:func:`_models`) differ most."""
    models = {label: model for _, label, model in models}
    total = len(clean.frame)
    test = clean.frame["split"].to_numpy() == "test"
    if not test.any():
        raise InputError(f"{cleandir}: no test frames to choose a window from or score")
    first, last = (int(r) for r in np.flatnonzero(test)[[0, -1]])
    block = slice(first, last + 1)

    def errors(rows: slice) -> np.ndarray:
        """``(models, frames)``: each model's per-frame error in ``rows``, in pixels."""
        original = original_pixels(clean, rows)
        rebuilt = [reconstruct_pixels(model, clean, rows) for model in models.values()]
        return frame_distances(np.reshape(rebuilt, (len(models), *original.shape)), original)

    in_block = errors(block)
    if start is None:
        rows = window(block.start + contrast_window(in_block, test[block], frames), frames, total)
    else:
        rows = window(start, frames, total)
    here = dict(zip(models, map(_mean, errors(rows)), strict=True))
    overall = dict(zip(models, map(_mean, in_block), strict=True))
    return describe_window(clean, rows, block, here, overall, start is not None)


def describe_window(
    clean, rows: slice, block: slice, here: dict, overall: dict, configured: bool
) -> dict:
    """The window file: its rows, frames and times, each model's mean error in it
    (``here``) and over the test block (``overall``), and a sentence saying which frames
    these are and why."""
    shown = clean.frame.iloc[rows]
    frames = shown["frame"].to_numpy()
    seconds = shown["time_s"].to_numpy()
    where = (
        f"rows {rows.start:,}-{rows.stop - 1:,} of the cleaned table (camera frames "
        f"{frames[0]:,}-{frames[-1]:,}, {_clock(seconds[0])}-{_clock(seconds[-1])} into the "
        "recording)"
    )
    if configured:
        why = f"The video shows {where}, the rows the config sets (animation.start)."
    else:
        why = (
            f"The video shows {where}: the {len(frames):,} frames of the test block (rows "
            f"{block.start:,}-{block.stop - 1:,}, which no model was fitted on) where the "
            "models' per-frame errors differ most."
        )
    if here:
        why += f" Mean error per frame here: {_errors(here)}; over the test block: "
        why += f"{_errors(overall)}."
    return {
        "start": rows.start,
        "frames": rows.stop - rows.start,
        "chosen": "config" if configured else "test block, largest difference",
        "camera_frames": [int(frames[0]), int(frames[-1])],
        "time_s": [float(seconds[0]), float(seconds[-1])],
        "test_rows": [block.start, block.stop - 1],
        "error_px": here,
        "test_error_px": overall,
        "why": why,
    }


def _errors(means: dict) -> str:
    """``PCA 1.23 px, nonlinear AE 0.45 px``; "none" for a model without a valid frame."""
    return ", ".join(f"{n} {e:.2f} px" if e is not None else f"{n} none" for n, e in means.items())


def _mean(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return round(float(finite.mean()), 4) if len(finite) else None


def _clock(seconds: float) -> str:
    """``h:mm:ss`` of ``seconds``."""
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def cmd_animate(args) -> None:
    """Render original beside each model's reconstruction (MP4): the arena, every model on
    the original (errors magnified), each model's per-frame error, and a close-up of each.
    With --choose, choose the rows first, as choose-window does; with --page, write the
    page that plays the video too, as video-page does."""
    from killipose.plots import MODEL_COLOURS
    from killipose.video import render_reconstruction

    if args.choose is not None and (args.window is not None or args.frames is None):
        raise InputError("--choose takes --frames (and --start), not --window")
    clean = prepared(args.cleandir, "pose")
    models = _models(args.model)
    chosen = None
    if args.choose is not None:
        chosen = choose_window(clean, models, args.frames, args.start, args.cleandir)
        rows = slice(chosen["start"], chosen["start"] + chosen["frames"])
    else:
        rows = window_rows(args, len(clean.frame))
    original = original_pixels(clean, rows)
    panels = {"original": original}
    colours = {}
    for name, label, model in models:
        panels[label] = reconstruct_pixels(model, clean, rows)
        colours[label] = MODEL_COLOURS.get(name, "C0")
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
        colours=colours,
        magnify=args.magnify,
        arena=arena_outline(clean),
        arena_reference=clean.to_arena(original, rows),
    )
    if chosen is not None:
        write_json(chosen, args.choose)
    if args.page is not None:
        about = chosen or (read_json(args.window) if args.window else {})
        write_video_page(args.out, args.page, args.page_title or args.title, about.get("why", ""))


def cmd_generate_poses(args) -> None:
    """Render poses a VAE generates along a smooth random walk in its code (MP4), with the
    reconstruction video's renderer."""
    from killipose.video import render_reconstruction

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
    about = read_json(args.window)["why"] if args.window else ""
    write_video_page(args.video, args.out, args.title, about)


def register(add) -> None:
    """Add this module's subcommands with ``add(cmd, paths, title)`` (see build_parser)."""
    p = add(cmd_choose_window, paths=("cleandir", "out"))
    add_named_paths(p, "model", required=False)
    p.add_argument("--frames", type=int, required=True, help="how many rows")
    p.add_argument("--start", type=int, help="first row (default: chosen in the test block)")

    p = add(cmd_animate, paths=("cleandir", "out"), title="")
    add_named_paths(p, "model", required=False)
    add_window(p)
    p.add_argument("--fps", type=float, default=None, help="default: the data's frame rate")
    p.add_argument(
        "--magnify",
        type=float,
        default=5.0,
        help="how many times larger the overlay draws each model's errors (default 5)",
    )
    p.add_argument(
        "--choose",
        type=Path,
        metavar="WINDOW",
        help="choose the rows as choose-window does (--frames, and --start to set them), "
        "write them and why to WINDOW (JSON), and render those",
    )
    p.add_argument("--page", type=Path, help="also write the HTML page that plays the video")
    p.add_argument("--page-title", help="the page's title (default: --title)")

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

    p = add(cmd_video_page, paths=("video", "out"), title="Reconstruction")
    p.add_argument(
        "--window", type=Path, help="its window file (choose-window): the page says which rows"
    )
