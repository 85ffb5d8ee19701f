"""Commands that prepare data: a synthetic table, cleaning, MNIST, and their checks."""

from __future__ import annotations

import argparse
import inspect
import logging
from pathlib import Path

from killipose.cleaning import FRAMES, clean_table
from killipose.cleaning.pieces import clean_file
from killipose.cli.inputs import prepared
from killipose.datasets import Digits
from killipose.errors import InputError
from killipose.files import read_json, write_parquet
from killipose.io import format_names, keypoint_names, read_table
from killipose.io.describe import describe_file
from killipose.mnist import MIRROR, fetch_mnist, load_mnist
from killipose.report import write_cleaning_summary
from killipose.synthetic import make_killifish_tables

log = logging.getLogger("killipose")


EXAMPLES = {
    "synth": "killipose synth results/killifish/synthetic.parquet --frames 1726812 --fps 20 "
    "--seed 0 --truth results/killifish/synthetic-truth.parquet",
    "clean": "killipose clean data/fish.csv results/fish/clean --max-gap 10",
    "info": "killipose info data/mouse-DLC_resnet50.h5",
    "prepare-mnist": "killipose prepare-mnist data/mnist results/mnist/clean --seed 0",
    "fetch-mnist": "killipose fetch-mnist data/mnist",
    "qc": "killipose qc data/fish.csv results/fish/clean results/fish/figures/qc-missing.png",
    "summarise-clean": "killipose summarise-clean results/fish/clean/report.json summary.html",
}


def cmd_synth(args) -> None:
    """Generate the synthetic killifish table (Parquet), and its noise-free pose."""
    table, truth = make_killifish_tables(frames=args.frames, fps=args.fps, seed=args.seed)
    if args.truth is not None:
        write_parquet(truth, args.truth)
    del truth
    write_parquet(table, args.out)
    log.info(
        "wrote %s: %d rows (frames 0..%d, %d dropped by the camera)",
        args.out,
        len(table),
        args.frames,
        args.frames + 1 - len(table),
    )


def cmd_clean(args) -> None:
    """Clean and normalise a keypoint table into OUTDIR."""
    keypoints = None if args.keypoints in (None, "auto") else args.keypoints.split(",")
    # Only the thresholds given: the others are clean_table's own defaults.
    given = {k: v for k, v in vars(args).items() if k in CLEAN_OPTIONS}
    if "min_confidence" in given:
        given["min_confidence"] = _min_confidence(given["min_confidence"])
    report = clean_file(
        args.table,
        args.outdir,
        format=args.format,
        individual=args.individual,
        keypoints=keypoints,
        fps=args.fps,
        axis=tuple(args.axis.split(",")) if args.axis else None,
        **given,
    )
    log.info(
        "cleaned %s: %d of %d frames usable; dropped %s",
        args.table,
        report["frames"]["valid"],
        report["input_frames"],
        list(report["dropped_columns"]),
    )


#: Options of ``killipose clean`` that default to :func:`clean_table`'s own defaults
#: (read from its signature, never written here), with their help.
CLEAN_OPTIONS = {
    "max_nan_fraction": "keypoints missing in more frames than this share are dropped",
    "max_gap": "frames; longer gaps are excluded, shorter ones interpolated",
    "max_jump": "pixels per frame; a point this far from both neighbours is an error",
    "min_confidence": "points the tracker scored below this become missing (auto: the "
    "format's default, 0.6 for DeepLabCut and Lightning Pose, none for SLEAP)",
    "frame": "egocentric: centre each frame on --origin and turn --axis to +x",
    "origin": "centroid or a keypoint (egocentric)",
}


def _add_clean_options(p: argparse.ArgumentParser) -> None:
    defaults = inspect.signature(clean_table).parameters
    for name, help_ in CLEAN_OPTIONS.items():
        default = defaults[name].default
        p.add_argument(
            f"--{name.replace('_', '-')}",
            type=str if name in ("min_confidence", "frame", "origin") else type(default),
            choices=FRAMES if name == "frame" else None,
            default=argparse.SUPPRESS,
            help=f"{help_} (default: {'auto' if default is None else default})",
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
    """Say what a pose file holds (format, frames, keypoints, animals)."""
    print(describe_file(args.file, args.format))


def cmd_prepare_mnist(args) -> None:
    """MNIST IDX files as a table for fitting (OUTDIR)."""
    Digits.from_mnist(load_mnist(args.folder, seed=args.seed)).save(args.outdir)


def cmd_fetch_mnist(args) -> None:
    """Download the full MNIST (checksummed) into FOLDER."""
    fetch_mnist(args.folder, base_url=args.url, timeout=args.timeout)


def cmd_qc(args) -> None:
    """Plot missing data over time per keypoint."""
    from killipose.plots.quality import plot_missing_data  # matplotlib: for this command only

    clean = prepared(args.cleandir, "pose")
    raw = read_table(args.table, args.format, args.individual)
    # The cleaned rows in frame order (cleaning may sort rows and drop duplicates).
    raw = raw.iloc[clean.frame["frame"].to_numpy()]
    plot_missing_data(
        raw, clean.frame, keypoint_names(raw.columns), clean.frame["time_s"].to_numpy(), args.out
    )


def cmd_summarise_clean(args) -> None:
    """Write the cleaning report as an HTML page."""
    report = read_json(args.report)
    write_cleaning_summary(report, args.out, report.get("source", str(args.report)))


def add_read_options(p: argparse.ArgumentParser) -> None:
    """``--format`` and ``--individual``, for commands that read the user's pose file."""
    p.add_argument("--format", default="auto", help=f"one of {', '.join(format_names())}")
    p.add_argument("--individual", help="which animal of a multi-animal file")


def register(add) -> None:
    """Add this module's subcommands with ``add(cmd, paths, title)`` (see build_parser)."""
    p = add(cmd_synth, paths=("out",))
    p.add_argument("--frames", type=int, required=True, help="last camera frame number")
    p.add_argument("--fps", type=float, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument(
        "--truth",
        type=Path,
        metavar="PATH",
        help="also write the noise-free pose of the same rows here (Parquet): no tracker "
        "noise, dropouts or jumps; `killipose fit --truth` scores models against it",
    )

    p = add(cmd_clean, paths=("table", "outdir"))
    _add_clean_options(p)
    p.add_argument("--keypoints", default="auto", help="comma-separated, or auto")
    p.add_argument("--fps", type=float, default=None, help="default: from frame_timestamp")
    add_read_options(p)
    p.add_argument("--axis", help="FROM,TO keypoints (egocentric; default: origin to first)")

    p = add(cmd_info, paths=("file",))
    p.add_argument("--format", default="auto", help=f"one of {', '.join(format_names())}")

    p = add(cmd_prepare_mnist, paths=("folder", "outdir"))
    p.add_argument("--seed", type=int, required=True, help="for the 8:1:1 split of the fallback")

    p = add(cmd_fetch_mnist, paths=("folder",))
    p.add_argument("--url", default=MIRROR, help="base address of the four .gz files")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per file")

    p = add(cmd_qc, paths=("table", "cleandir", "out"))
    add_read_options(p)

    add(cmd_summarise_clean, paths=("report", "out"))
