"""Commands that fit a model and encode data with it."""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path

from killipose.cli.inputs import load_model
from killipose.datasets import load_prepared, prepared_pieces
from killipose.embedding import latent_table
from killipose.errors import InputError
from killipose.files import write_parquet_parts
from killipose.models import model_names

log = logging.getLogger("killipose")

#: Frames encoded at a time by ``killipose embed``: memory stays that of a piece (~70 MB
#: of a pose table) whatever the recording's length.
EMBED_ROWS = 1 << 19


EXAMPLES = {
    "fit": (
        "killipose fit results/fish/clean results/fish/models/vae-4d --model vae "
        "--latent-dim 4 --seed 0 --threads 2 --param beta=0.5 --param hidden=64,64"
    ),
    "embed": (
        "killipose embed results/fish/clean results/fish/models/pca-4d/model.pt "
        "results/fish/models/pca-4d/latent.parquet"
    ),
}


def cmd_fit(args) -> None:
    """Fit one model; write model.pt, metrics.json, history.csv to OUTDIR (and with
    ``--latent``, the code of every frame, as ``killipose embed`` writes it)."""
    import torch

    from killipose.fitting import fit_model, save_fit

    # Exactly the job's threads: for the math (intra-op) and for running ops side by side
    # (inter-op, which otherwise takes every core of the machine).
    torch.set_num_threads(args.threads)
    with contextlib.suppress(RuntimeError):  # set once per process: main() run again
        torch.set_num_interop_threads(args.threads)
    _tag_log(f"{args.model}-{args.latent_dim}d seed {args.seed}")
    threads = torch.get_num_threads(), torch.get_num_interop_threads()
    log.info("torch threads: %d (inter-op %d)", *threads)
    params = dict(parse_param(p) for p in args.param)
    clean = load_prepared(args.cleandir)
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
    if args.truth is not None:
        metrics |= _against_truth(model, clean, args.truth)
    save_fit(model, metrics, args.outdir)
    log.info("test_mse %.6g in %.1f s", metrics["test_mse"], metrics["fit_seconds"])
    if args.latent is not None:
        del clean  # the table is read again a piece at a time
        _embed(model, args.cleandir, args.latent)


def _against_truth(model, clean, path: Path) -> dict:
    """``--truth``: the fit's test errors against a synthetic recording's noise-free pose,
    and the noise floor (:func:`killipose.metrics.truth_metrics`)."""
    from killipose.metrics import truth_metrics

    if clean.report["kind"] != "pose":
        raise InputError(f"--truth {path}: only pose data has a noise-free pose")
    try:
        found = truth_metrics(model, clean, _truth(path))
    except InputError as err:
        raise InputError(f"--truth {path}: {err}") from None
    log.info(
        "against the noise-free pose: %.3f px (noise floor %.3f px)",
        found["truth_test_error_px"],
        found["noise_floor_px"],
    )
    return found


def _truth(path: Path):
    """The noise-free table: a Parquet file (what ``killipose synth`` writes) as its path,
    which ``truth_metrics`` reads a column at a time; another table read whole."""
    from killipose.io import read_table

    return path if path.suffix.lower() in (".parquet", ".pq") else read_table(path)


def _tag_log(tag: str) -> None:
    """Name the fit on every log line: Snakemake shows the lines of fits running side by
    side in one terminal."""
    for handler in logging.getLogger().handlers:
        handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)s [{tag}] %(message)s"))


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
    """Write the latent code of every frame (Parquet), a piece of the table at a time."""
    _embed(load_model(args.model), args.cleandir, args.out)


def _embed(model, cleandir: Path, out: Path) -> None:
    pieces = prepared_pieces(cleandir, EMBED_ROWS)
    write_parquet_parts((latent_table(model, piece) for piece in pieces), out)


def register(add) -> None:
    """Add this module's subcommands with ``add(cmd, paths, title)`` (see build_parser)."""
    p = add(cmd_fit, paths=("cleandir", "outdir"))
    p.add_argument("--model", required=True, choices=model_names())
    p.add_argument("--latent-dim", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a model parameter, repeatable: e.g. --param epochs=30 --param hidden=128,128 "
        "(a KEY the model does not take gets the list of those it does)",
    )
    p.add_argument("--threads", type=int, required=True, help="CPU threads")
    p.add_argument(
        "--truth",
        type=Path,
        metavar="PATH",
        help="synthetic data: the noise-free pose of the table CLEANDIR was made from "
        "(`killipose synth --truth`); adds the test errors against it and the noise floor "
        "to metrics.json",
    )
    p.add_argument(
        "--latent",
        type=Path,
        metavar="PATH",
        help="also write the latent code of every frame to PATH (Parquet), as `killipose "
        "embed` does, without loading the model and its libraries a second time",
    )
    p.add_argument(
        "--checkpoint",
        type=Path,
        metavar="PATH",
        help="autoencoders: the training state, saved between epochs; run the same command "
        "again after an interruption and it resumes from there, with the same result. "
        "Removed when training ends; one from other settings or data is ignored "
        "(default: OUTDIR/checkpoint.pt)",
    )

    add(cmd_embed, paths=("cleandir", "model", "out"))
