"""Commands that draw figures and tables of fitted models.

Each command imports the plotting module it draws with (matplotlib) when it runs: every
other command of ``killipose``, which imports this module to list its subcommands, starts
a second sooner without it.
"""

from __future__ import annotations

import inspect
import time
from pathlib import Path

import pandas as pd
import yaml

from killipose.cli.inputs import (
    add_named_paths,
    add_window,
    load_model,
    load_vae,
    model_pairs,
    model_paths,
    prepared,
    window_rows,
)
from killipose.datasets import kind
from killipose.datasets.base import read_kind
from killipose.embedding import traversal_pixels
from killipose.errors import InputError
from killipose.files import atomic_path, read_json, read_parquet
from killipose.findings import dataset_root, links, page, section, software
from killipose.io.wide import table_columns
from killipose.metrics import mean_over_seeds
from killipose.models import MODEL_LABELS
from killipose.report import write_code_kinematics, write_metrics_table

EXAMPLES = {
    "plot-latents": (
        "killipose plot-latents out.png --latent pca=models/pca-4d/latent.parquet "
        "--start 0 --frames 1000"
    ),
    "compare": (
        "killipose compare results/fish/models/*-4d/metrics.json --figure cmp.png --csv "
        "metrics.csv --html metrics.html"
    ),
    "plot-traversal": (
        "killipose plot-traversal results/fish/clean results/fish/models/nonlinear-4d/model.pt "
        "results/fish/figures/traversal-nonlinear-4d.png"
    ),
    "code-kinematics": (
        "killipose code-kinematics results/fish/clean out.html "
        "--latent pca=results/fish/models/pca-4d/latent.parquet"
    ),
    "plot-room": (
        "killipose plot-room results/fish/clean results/fish/figures/room.png "
        "results/fish/models/*/metrics.json --max-dim 8"
    ),
    "plot-day": (
        "killipose plot-day results/fish/clean results/fish/figures/day-4d.png "
        "--model pca=results/fish/models/pca-4d/model.pt"
    ),
    "code-map": (
        "killipose code-map results/fish/clean out.png --latent "
        "pca=results/fish/models/pca-4d/latent.parquet --samples 5000 --seed 0"
    ),
    "plot-training": (
        "killipose plot-training results/fish/figures/training-4d.png "
        "results/fish/models/*-4d/metrics.json results/fish/models/*-4d/seed-*/metrics.json"
    ),
    "findings": (
        "killipose findings results/findings.rst --metadata results/report-metadata.yaml "
        "results/fish/clean/report.json results/fish/models/*-4d/metrics.json"
    ),
    "mnist-reconstructions": (
        "killipose mnist-reconstructions results/mnist/clean out.png --model "
        "pca=results/mnist/models/pca-2d/model.pt"
    ),
    "mnist-maps": (
        "killipose mnist-maps map.png grid.png --model pca=models/pca-2d/model.pt "
        "--latent pca=models/pca-2d/latent.parquet"
    ),
    "mnist-interpolation": (
        "killipose mnist-interpolation results/mnist/clean out.png --model "
        "linear=models/linear-10d/model.pt --model "
        "nonlinear=models/nonlinear-10d/model.pt --digits 2,7"
    ),
    "mnist-samples": (
        "killipose mnist-samples results/mnist/figures/vae-samples.png "
        "results/mnist/models/vae-2d/model.pt results/mnist/models/vae-10d/model.pt "
        "--side 8 --seed 0"
    ),
    "mnist-prior-grid": (
        "killipose mnist-prior-grid results/mnist/figures/vae-grid-2d.png "
        "results/mnist/models/vae-2d/model.pt --steps 15"
    ),
}


def cmd_plot_latents(args) -> None:
    """Plot latent trajectories of one or more models."""
    from killipose.plots.latents import plot_latent_trajectory, plot_latents_side_by_side

    latents = {}
    for name, path in model_paths(args.latent).items():
        frame = read_parquet(path)
        latents[name] = frame.iloc[window_rows(args, len(frame))]
    if len(latents) == 1:
        name, frame = next(iter(latents.items()))
        plot_latent_trajectory(frame, args.out, f"{args.title} — {MODEL_LABELS.get(name, name)}")
    else:
        plot_latents_side_by_side(latents, args.out, args.title)


def cmd_compare(args) -> None:
    """Compare models: metrics table (CSV, HTML) and figure."""
    runs = [read_json(p) for p in args.metrics]
    kinds = {read_kind(m, p, "fit again") for m, p in zip(runs, args.metrics, strict=True)}
    if len(kinds) > 1:
        raise InputError(f"metrics of different kinds of data ({', '.join(sorted(kinds))})")
    metrics, data = mean_over_seeds(runs), kind(kinds.pop())
    if args.figure:
        data.plot_comparison(metrics, args.figure, args.title)
    write_metrics_table(metrics, args.csv, args.html, args.title, data.metrics_note)


def cmd_plot_traversal(args) -> None:
    """What each code dimension means: poses decoded along each latent axis."""
    from killipose.plots.latents import plot_traversal

    clean = prepared(args.cleandir, "pose")
    poses, offsets = traversal_pixels(load_model(args.model), clean, args.steps, args.spread)
    plot_traversal(poses, offsets, clean.keypoints, args.out, args.title)


def cmd_code_kinematics(args) -> None:
    """How each code dimension follows the animal's movement: a table of correlations."""
    from killipose.kinematics import KINEMATICS, code_correlations, kinematics

    clean = prepared(args.cleandir, "pose")
    moves = kinematics(clean)
    correlations = {
        name: code_correlations(latent, moves)
        for name, latent in _latents(args.latent, len(moves)).items()
    }
    write_code_kinematics(correlations, KINEMATICS, args.out, args.title)


def cmd_plot_room(args) -> None:
    """How much room there is: PCA's test error at every code size up to --max-dim and
    its scree, with every fit's test error (the given metrics.json, seeds averaged)."""
    from killipose.metrics import pca_by_dimension
    from killipose.plots.comparison import plot_room

    curve = pca_by_dimension(prepared(args.cleandir, "pose"), args.max_dim)
    metrics = mean_over_seeds([read_json(p) for p in args.metrics])
    plot_room(curve, metrics, args.out, args.title)


def cmd_plot_day(args) -> None:
    """The whole recording: activity and each model's error over time, and each model's
    test error at rest and swimming."""
    from killipose.kinematics import body_speed, swimming
    from killipose.metrics import frame_errors
    from killipose.plots.day import plot_day

    clean = prepared(args.cleandir, "pose")
    speed = body_speed(clean)
    frames = clean.frame[["time_s", "split"]].assign(
        speed=speed.to_numpy(), swimming=swimming(clean, speed).to_numpy()
    )
    for name, path in model_pairs(args.model):
        frames[f"error_{name}"] = frame_errors(load_model(path), clean)
    plot_day(frames, args.out, args.title)


def _latents(items: list[str], rows: int) -> dict[str, pd.DataFrame]:
    """The codes (``z1`` ...) of the ``--latent NAME=PATH`` tables, each checked to have a
    row per cleaned row."""
    latents = {}
    for name, path in model_pairs(items):
        codes = [c for c in table_columns(path) if c.startswith("z")]
        latents[name] = read_parquet(path, codes)
        if len(latents[name]) != rows:
            raise InputError(f"{path}: {len(latents[name])} rows, the cleaned table has {rows}")
    return latents


def cmd_code_map(args) -> None:
    """A t-SNE map of each model's codes, coloured by speed and by the hour of the day."""
    from killipose.kinematics import body_speed, code_map
    from killipose.plots.latents import plot_code_map

    clean = prepared(args.cleandir, "pose")
    moves = body_speed(clean).to_frame()  # the map is coloured by speed alone
    maps = {
        name: code_map(latent, moves, clean.frame["time_s"], args.samples, args.seed)
        for name, latent in _latents(args.latent, len(moves)).items()
    }
    plot_code_map(maps, args.out, args.title)


def cmd_plot_training(args) -> None:
    """Training curves of every autoencoder fit, from the history.csv beside each given
    metrics.json; PCA's metrics give its validation error as a reference line."""
    from killipose.plots.training import plot_training_curves

    frames, pca_val = [], {}
    for path in args.metrics:
        m = read_json(path)
        if m["model"] == "pca":
            pca_val[m["latent_dim"]] = m["val_mse"]
            continue
        history = path.parent / "history.csv"
        if not history.is_file():
            raise InputError(f"{history}: no such file (written by `killipose fit` beside {path})")
        frame = pd.read_csv(history)
        frames.append(frame.assign(model=m["model"], latent_dim=m["latent_dim"], seed=m["seed"]))
    if not frames:
        raise InputError("no autoencoder among the fits: PCA has no training curve")
    plot_training_curves(pd.concat(frames, ignore_index=True), args.out, args.title, pca_val)


def cmd_findings(args) -> None:
    """What the run found: the report's landing page (reST), from each dataset's
    clean/report.json and its fits' metrics.json (grouped by the dataset folder they are
    in, in the order given), and the landing page's list of software versions (YAML)."""
    groups: dict[Path, list[Path]] = {}
    for path in args.files:
        try:
            groups.setdefault(dataset_root(path), []).append(path)
        except ValueError as err:
            raise InputError(str(err)) from None
    sections, notes = [], {}
    for root, paths in groups.items():
        reports = [p for p in paths if p.name == "report.json"]
        if len(reports) != 1:
            raise InputError(f"{root}: give its clean/report.json once among the files")
        report = read_json(reports[0])
        data = kind(read_kind(report, reports[0], "prepare the data again"))
        runs = [read_json(p) for p in paths if p.name == "metrics.json"]
        paragraphs = data.findings(report, mean_over_seeds(runs))
        sections.append(section(root.name, [*paragraphs, links(root.name, args.link)]))
        notes[data.name] = data.metrics_note
    written = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    made = ", ".join(f"{k} {v}" for k, v in software().items())
    with atomic_path(args.out) as tmp:
        tmp.write_text(page(sections, notes) + f"\n**Made with** {made}; summarised {written}.\n")
    if args.metadata:
        # Numbers only: Snakemake 9.27 shows a text value as docutils' parts (it calls
        # publish_parts without taking the body). With this list the report opens on the
        # findings; without one, on the findings beside the rule graph.
        fits = sum(p.name == "metrics.json" for p in args.files)
        meta = {"datasets": len(groups), "fits (models x dimensions x seeds)": fits}
        with atomic_path(args.metadata) as tmp:
            tmp.write_text(yaml.safe_dump(meta, sort_keys=False))


def cmd_mnist_reconstructions(args) -> None:
    """Test digits beside each model's reconstructions."""
    from killipose.plots.digits import example_digits, plot_reconstructions

    clean = prepared(args.cleandir, "mnist")
    digits = clean.matrix("test")[example_digits(clean.labels("test"))]
    rebuilt = {}
    for name, path in model_pairs(args.model):
        model = load_model(path)
        rebuilt[(name, model.latent_dim)] = model.inverse_transform(model.transform(digits))
    plot_reconstructions(digits, rebuilt, args.out, args.title)


def cmd_mnist_maps(args) -> None:
    """Encoder maps and decoder grids of 2-D models."""
    from killipose.plots.digits import plot_decoder_grids, plot_encoder_maps

    latents = {n: read_parquet(p) for n, p in model_paths(args.latent).items()}
    plot_encoder_maps(latents, args.map, f"{args.title}: encoder map of the test digits")
    models = {n: load_model(p) for n, p in model_paths(args.model).items()}
    plot_decoder_grids(models, latents, args.grid, f"{args.title}: decoder grid")


def cmd_mnist_interpolation(args) -> None:
    """Decode the line between two test digits' codes."""
    from killipose.plots.digits import plot_interpolation

    clean = prepared(args.cleandir, "mnist")
    X, labels = clean.matrix("test"), clean.labels("test")
    a, b = (int(d) for d in args.digits.split(","))
    models = {n: load_model(p) for n, p in model_paths(args.model).items()}
    start, end = X[labels == a][0], X[labels == b][0]
    plot_interpolation(models, start, end, args.out, args.title)


def cmd_mnist_samples(args) -> None:
    """Digits a VAE generates: decoded from codes drawn from its prior N(0, I), one panel
    per model."""
    from killipose.plots.generation import plot_prior_samples

    models = [load_vae(p) for p in args.models]
    plot_prior_samples(models, args.out, args.title, side=args.side, seed=args.seed)


def cmd_mnist_prior_grid(args) -> None:
    """A 2-D VAE's decoder over a grid of prior quantiles (the 5th to the 95th percentile
    of N(0, 1) on each axis)."""
    from killipose.plots.generation import plot_prior_grid

    model = load_vae(args.model)
    if model.latent_dim != 2:
        raise InputError(
            f"{args.model}: the grid covers a 2-D code, this VAE's is {model.latent_dim}-D; "
            "give the one fitted with --latent-dim 2"
        )
    plot_prior_grid(model, args.out, args.title, steps=args.steps)


def register(add) -> None:
    """Add this module's subcommands with ``add(cmd, paths, title)`` (see build_parser)."""
    p = add(cmd_plot_latents, paths=("out",), title="Latent trajectories")
    add_named_paths(p, "latent")
    add_window(p)

    p = add(cmd_compare, title="Model comparison")
    p.add_argument("metrics", nargs="+", type=Path)
    p.add_argument("--figure", type=Path)
    p.add_argument("--csv", type=Path, required=True)
    p.add_argument("--html", type=Path, required=True)

    p = add(cmd_plot_traversal, paths=("cleandir", "model", "out"), title="Latent traversal")
    # The defaults are traversal_pixels' own (read from its signature, not written here).
    defaults = inspect.signature(traversal_pixels).parameters
    p.add_argument("--steps", type=int, default=defaults["steps"].default, help="poses per axis")
    p.add_argument(
        "--spread", type=float, default=defaults["spread"].default, help="± this many sd"
    )

    p = add(cmd_code_kinematics, paths=("cleandir", "out"), title="Codes and kinematics")
    add_named_paths(p, "latent")

    p = add(cmd_plot_room, paths=("cleandir", "out"), title="Room for a better code")
    p.add_argument("metrics", nargs="*", type=Path, help="metrics.json of the fits to mark")
    p.add_argument("--max-dim", type=int, required=True, help="PCA's largest code size")

    p = add(cmd_plot_day, paths=("cleandir", "out"), title="Over the recording")
    add_named_paths(p, "model")

    p = add(cmd_code_map, paths=("cleandir", "out"), title="Map of the codes")
    add_named_paths(p, "latent")
    p.add_argument("--samples", type=int, required=True, help="frames drawn for the map")
    p.add_argument("--seed", type=int, required=True, help="of the draw and of t-SNE")

    p = add(cmd_plot_training, paths=("out",), title="Training curves")
    p.add_argument("metrics", nargs="+", type=Path, help="metrics.json of each fit")

    p = add(cmd_findings, paths=("out",), title="Findings")
    p.add_argument("files", nargs="+", type=Path, help="report.json and metrics.json files")
    p.add_argument("--metadata", type=Path, help="also write the software versions (YAML)")
    p.add_argument(
        "--link",
        action="append",
        default=[],
        metavar="DATASET=PATH",
        help="a page or figure of the report to link from that dataset's findings",
    )
    _register_digit_figures(add)


def _register_digit_figures(add) -> None:
    """The MNIST figures' subcommands."""
    p = add(cmd_mnist_reconstructions, paths=("cleandir", "out"), title="MNIST reconstructions")
    add_named_paths(p, "model")

    p = add(cmd_mnist_maps, paths=("map", "grid"), title="MNIST, 2-D code")
    add_named_paths(p, "model")
    add_named_paths(p, "latent")

    p = add(cmd_mnist_interpolation, paths=("cleandir", "out"), title="MNIST interpolation")
    add_named_paths(p, "model")
    p.add_argument("--digits", required=True, help="the two digits, e.g. 2,7")

    p = add(cmd_mnist_samples, paths=("out",), title="MNIST, samples from the prior")
    p.add_argument("models", nargs="+", type=Path, help="VAE model files (fitted with vae)")
    p.add_argument("--side", type=int, required=True, help="SIDE x SIDE digits per panel")
    p.add_argument("--seed", type=int, required=True, help="of the codes; the same for each panel")

    p = add(cmd_mnist_prior_grid, paths=("out",), title="MNIST, walk over the 2-D code")
    p.add_argument("model", type=Path, help="a VAE model file with a 2-D code")
    p.add_argument("--steps", type=int, required=True, help="digits along each axis")
