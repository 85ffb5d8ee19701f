"""What the commands are given: NAME=PATH pairs, windows of rows, folders, models."""

from __future__ import annotations

import argparse
from pathlib import Path

from killipose.datasets import load_prepared
from killipose.errors import InputError
from killipose.files import read_json
from killipose.generation import require_vae


def model_pairs(items: list[str]) -> list[tuple[str, Path]]:
    """``NAME=PATH`` arguments as (name, path) pairs, in order."""
    pairs = []
    for item in items:
        name, sep, path = item.partition("=")
        if not sep:
            raise InputError(f"--model/--latent takes NAME=PATH, got {item!r}")
        pairs.append((name, Path(path)))
    return pairs


def model_paths(items: list[str]) -> dict[str, Path]:
    return dict(model_pairs(items))


def window(start: int, frames: int, total: int) -> slice:
    """Rows ``start`` to ``start + frames`` of a table of ``total`` rows, cut at its end."""
    if start < 0 or frames <= 0:
        raise InputError(
            f"animation window must have start >= 0 and frames > 0, got {start}, {frames}"
        )
    if start >= total:
        raise InputError(f"animation start {start} is past the last frame ({total - 1})")
    return slice(start, min(start + frames, total))


def prepared(folder: Path, want: str):
    """The prepared data in ``folder``, which must be of kind ``want``."""
    data = load_prepared(folder)
    if data.report["kind"] != want:
        raise InputError(f"{folder}: holds {data.report['kind']} data, this command needs {want}")
    return data


def load_model(path: Path):
    """The fitted model in ``path``.

    Only the commands that use a model import torch and scikit-learn (~5 s): the others,
    and Snakemake reading the workflow, start without them.
    """
    from killipose.models import load

    return load(path)


def load_vae(path: Path):
    return require_vae(load_model(path), path)


def add_named_paths(p: argparse.ArgumentParser, flag: str, required: bool = True) -> None:
    """``--FLAG NAME=PATH``, repeatable: one model's file (or latents) per use."""
    p.add_argument(
        f"--{flag}",
        action="append",
        required=required,
        default=None if required else [],
        help="NAME=PATH, repeatable",
    )


def add_window(p: argparse.ArgumentParser) -> None:
    """``--window FILE`` (from ``choose-window``), or ``--start`` and ``--frames``: the rows
    of the cleaned table shown (see :func:`window_rows`)."""
    p.add_argument("--window", type=Path, help="a window file written by choose-window")
    p.add_argument("--start", type=int, help="first row (without --window)")
    p.add_argument("--frames", type=int, help="how many rows (without --window)")


def window_rows(args, total: int) -> slice:
    """The rows :func:`add_window`'s arguments name in a table of ``total`` rows."""
    if args.window is not None:
        if args.start is not None or args.frames is not None:
            raise InputError("give --window or --start and --frames, not both")
        chosen = read_json(args.window)
        try:
            start, frames = int(chosen["start"]), int(chosen["frames"])
        except (KeyError, TypeError, ValueError):
            raise InputError(
                f"{args.window}: not a window file (no integer 'start' and 'frames')"
            ) from None
        return window(start, frames, total)
    if args.start is None or args.frames is None:
        raise InputError("give the rows shown: --window FILE, or --start and --frames")
    return window(args.start, args.frames, total)
