"""Tables and pages for the Snakemake report: cleaning summary, metrics, the video.

Snakemake's report shows HTML results inline, so tables are written as small standalone
HTML pages, and the animation gets a page that embeds the MP4 (base64) for playing in
place.
"""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path

import pandas as pd

from killipose.figures import MODEL_LABELS
from killipose.io import atomic_path

_STYLE = """<style>
body{font-family:system-ui,sans-serif;font-size:14px;margin:1em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.2em}
th,td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right}
td{white-space:nowrap}
th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}
caption{text-align:left;font-weight:600;padding-bottom:4px}
p.note{color:#555;max-width:60em}
</style>"""


def _page(title: str, body: str) -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"{_STYLE}</head><body><h3>{html.escape(title)}</h3>{body}</body></html>\n"
    )


def _write(text: str, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def _table(frame: pd.DataFrame, caption: str, index: bool = True) -> str:
    table = frame.to_html(index=index, border=0, float_format=lambda v: f"{v:,.4g}", na_rep="")
    # The first ">" closes the <table> tag: the caption goes right after it.
    return table.replace(">", f"><caption>{html.escape(caption)}</caption>", 1)


def write_cleaning_summary(report: dict, path: str | os.PathLike, source: str) -> None:
    """An HTML page summarising a cleaning report (see :func:`killipose.clean_table`)."""
    frames = report["frames"]
    overview = pd.DataFrame(
        {
            "frames": {
                "input rows": f"{report['input_frames']:,}",
                "usable after cleaning": f"{frames['valid']:,}",
                "excluded (gaps longer than max_gap)": f"{frames['excluded']:,}",
                "train / val / test": " / ".join(
                    f"{frames[s]:,}" for s in ("train", "val", "test")
                ),
                "gaps interpolated": f"{report['gaps_filled']:,}",
                "values interpolated": f"{report['values_filled']:,}",
                "jump values removed": f"{report['frames_excluded']['jump_values_removed']:,}",
                "non-finite values set to NaN": (
                    f"{report['frames_excluded']['non_finite_values_set_to_nan']:,}"
                ),
                "frame rate (fps)": f"{report['fps']:.3f}",
            }
        }
    )
    columns = pd.DataFrame(
        {
            "NaN in input (%)": {c: 100 * f for c, f in report["nan_fraction"].items()},
            "kept": {c: c not in report["dropped_columns"] for c in report["nan_fraction"]},
            "mean (px)": {c: v["mean"] for c, v in report["normalisation"].items()},
            "std (px)": {c: v["std"] for c, v in report["normalisation"].items()},
            "why dropped": report["dropped_columns"],
        }
    )
    params = report["parameters"]
    body = (
        f"<p class='note'>Input: {html.escape(source)}. Parameters: max_nan_fraction "
        f"{params['max_nan_fraction']}, max_gap {params['max_gap']} frames, max_jump "
        f"{params['max_jump_px']} px. Kept columns are z-scored with the mean and standard "
        "deviation of the usable training frames shown here.</p>"
        + _table(overview, "Frames")
        + _table(columns, "Columns")
    )
    steps = pd.DataFrame(
        [
            {
                "step": s["step"],
                "result": ", ".join(f"{k}={v}" for k, v in s.items() if k != "step"),
            }
            for s in report["steps"]
        ]
    )
    body += _table(steps, "Steps, in order", index=False)
    _write(_page("Cleaning summary", body), path)


def metrics_table(metrics: list[dict]) -> pd.DataFrame:
    """One row per model and latent dimension, with the error ratio to PCA."""
    rows = pd.DataFrame(metrics)
    keep = [
        c
        for c in (
            "model",
            "latent_dim",
            "train_mse",
            "val_mse",
            "test_mse",
            "explained_variance",
            "test_rmse_px",
            "test_accuracy",
            "n_train",
            "n_val",
            "n_test",
            "epochs_run",
            "fit_seconds",
            "seed",
        )
        if c in rows
    ]
    rows = rows[keep].sort_values(["latent_dim", "model"], key=lambda s: s.map(_model_order))
    pca = rows[rows["model"] == "pca"].set_index("latent_dim")["test_mse"]
    if len(pca):
        rows.insert(5, "test_mse / PCA", rows["test_mse"] / rows["latent_dim"].map(pca))
    return rows.reset_index(drop=True)


def _model_order(value):
    order = {"pca": 0, "linear": 1, "nonlinear": 2}
    return order.get(value, 3) if isinstance(value, str) else value


def write_metrics_table(
    metrics: list[dict], csv_path: str | os.PathLike, html_path: str | os.PathLike, title: str
) -> None:
    """The metrics of several models as CSV and as an HTML page."""
    table = metrics_table(metrics)
    with atomic_path(csv_path) as tmp:
        table.to_csv(tmp, index=False)
    note = (
        "<p class='note'>MSE is the mean squared error per value in normalised units "
        "(z-scores), on contiguous time blocks: train (first 80%), val (next 10%), test "
        "(last 10%). Explained variance is 1 - SSE/SST on the test block. RMSE (px) is "
        "over every x and y value of the test block, in pixels.</p>"
    )
    shown = pd.DataFrame(
        {
            "model": table["model"].map(lambda m: MODEL_LABELS.get(m, m)),
            "latent dim": table["latent_dim"],
            "test MSE": table["test_mse"],
            "÷ PCA": table.get("test_mse / PCA"),
            "val MSE": table["val_mse"],
            "train MSE": table["train_mse"],
            "explained variance (test)": table["explained_variance"].map(lambda v: f"{v:.5f}"),
        }
    )
    if "test_rmse_px" in table:
        shown["test RMSE (px)"] = table["test_rmse_px"]
    if "test_accuracy" in table:
        shown["test accuracy"] = table["test_accuracy"]
    shown["frames train / val / test"] = [
        f"{a:,} / {b:,} / {c:,}" for a, b, c in table[["n_train", "n_val", "n_test"]].to_numpy()
    ]
    shown["epochs"] = table["epochs_run"]
    shown["fit (s)"] = table["fit_seconds"].map(lambda v: f"{v:.1f}")
    body = note + _table(shown.dropna(axis=1, how="all"), "Models", index=False)
    errors = [m for m in metrics if "test_error_px" in m]
    if errors:
        per_keypoint = pd.DataFrame(
            {
                f"{MODEL_LABELS.get(m['model'], m['model'])}, {m['latent_dim']}-D": m[
                    "test_error_px"
                ]
                for m in sorted(errors, key=lambda m: (m["latent_dim"], _model_order(m["model"])))
            }
        )
        body += _table(
            per_keypoint, "Mean keypoint error on the test block (px), head to tail", index=True
        )
    _write(_page(title, body), html_path)


def write_video_page(video: str | os.PathLike, path: str | os.PathLike, title: str) -> None:
    """An HTML page that plays ``video`` (MP4) in place, the file embedded."""
    data = base64.b64encode(Path(video).read_bytes()).decode("ascii")
    body = (
        f"<video controls loop autoplay muted style='max-width:100%'>"
        f"<source type='video/mp4' src='data:video/mp4;base64,{data}'></video>"
    )
    _write(_page(title, body), path)
