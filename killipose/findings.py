"""What a run found, per dataset, from its own numbers: the report's landing page.

Each dataset's kind writes its paragraph (:meth:`DatasetKind.findings
<killipose.datasets.base.DatasetKind.findings>`) from its cleaning report and the
``metrics.json`` of every fit, seeds averaged; this module gathers them into one reST page
and says what each model's numbers are relative to PCA's.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from killipose.models import MODEL_LABELS, model_rank

#: The linear AE "matches" PCA when its test error is within this share of PCA's: PCA is
#: the best linear code, so a linear AE can only be above it, by how well it trained.
MATCH = 0.01


def dataset_root(path: Path) -> Path:
    """The dataset folder a ``clean/report.json`` or ``models/.../metrics.json`` is in."""
    for parent in path.parents:
        if parent.name in ("clean", "models"):
            return parent.parent
    raise ValueError(f"{path}: not under a dataset's clean/ or models/ folder")


def label(model: str) -> str:
    return MODEL_LABELS.get(model, model)


def ordered(metrics: list[dict]) -> list[dict]:
    """``metrics`` in the registry's model order (PCA, linear, nonlinear, others)."""
    return sorted(metrics, key=lambda m: model_rank(m["model"]))


def by_dimension(metrics: list[dict]) -> Iterator[tuple[int, dict, list[dict]]]:
    """For each latent dimension PCA was fitted at: the dimension, PCA's fit, and the
    other fits at it in the registry's order (``metrics`` seeds averaged)."""
    for dim in sorted({m["latent_dim"] for m in metrics}):
        fits = ordered([m for m in metrics if m["latent_dim"] == dim])
        pca = next((m for m in fits if m["model"] == "pca"), None)
        if pca is not None:
            yield dim, pca, [m for m in fits if m is not pca]


def ratios(others: list[dict], pca: dict) -> str:
    """Each model's test error ÷ PCA's, with the spread over seeds where there are
    several (``test_mse_sd`` of :func:`killipose.metrics.mean_over_seeds`)."""
    texts = []
    for m in others:
        text = f"{label(m['model'])} {m['test_mse'] / pca['test_mse']:.3f}"
        sd = m.get("test_mse_sd", math.nan)
        if not math.isnan(sd):
            text += f" ± {sd / pca['test_mse']:.3f}"
        texts.append(text)
    return ", ".join(texts)


def seed_count(metrics: list[dict]) -> int:
    """The most seeds any of ``metrics`` (seeds averaged) is the mean of."""
    return max((len(m["seed"]) if isinstance(m["seed"], list) else 1 for m in metrics), default=1)


def seeds_phrase(metrics: list[dict]) -> str:
    """How many seeds the autoencoders' numbers are the mean of."""
    n = seed_count(metrics)
    return "one seed each, so no spread" if n == 1 else f"mean ± sd over {n} seeds"


def linear_verdict(others: list[dict], pca: dict) -> str | None:
    """Whether the linear AE among ``others`` reached PCA's error, as a sentence;
    ``None`` without one."""
    linear = next((m for m in others if m["model"] == "linear"), None)
    if linear is None:
        return None
    r = linear["test_mse"] / pca["test_mse"]
    if r <= 1 + MATCH:
        return (
            f"The linear AE matched PCA ({r:.4f} times its test error), as it should: PCA is the "
            "best linear code."
        )
    return (
        f"The linear AE did **not** reach PCA ({r:.3f} times its test error, more than "
        f"{MATCH:.0%} above): its training stopped short of the best linear code."
    )


#: After the findings: what the numbers are and how to move around the report.
HOW_TO_READ = """How to read the rest
--------------------

Each dataset has its own entry in the menu on the left, with its cleaning, models,
reconstructions and latent figures. The eye button opens a result; the (i) button opens
its caption, which says what it shows and how it was made. The rule graph is under
*Workflow*, run times under *Statistics*.

"""


def page(sections: list[str], notes: dict[str, str]) -> str:
    """The landing page: a title, one section per dataset, then how to read the rest, with
    each kind's note on its metrics (``notes``: kind name -> text)."""
    title = "What this run found"
    reading = HOW_TO_READ + "\n\n".join(f"*{k}*: {note}" for k, note in notes.items())
    return "\n\n".join([f"{title}\n{'=' * len(title)}", *sections, reading]) + "\n"


def links(dataset: str, named: list[str]) -> str:
    """A line of links to the report's pages and figures of ``dataset``, each opening in
    one click (``named``: ``dataset=path`` of the report's results, as the workflow
    wrote them)."""
    paths = [n.split("=", 1)[1] for n in named if n.split("=", 1)[0] == dataset]
    if not paths:
        return ""
    shown = [f"`{Path(p).stem} <javascript:app.showResultInfo('{quote(p)}')>`__" for p in paths]
    return "**Open**: " + " · ".join(shown)


def software() -> dict[str, str]:
    """The versions of what made the numbers, for the report's landing page."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for package in ("killipose", "torch", "scikit-learn", "numpy", "pandas", "snakemake"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


def section(name: str, paragraphs: list[str]) -> str:
    """One dataset's findings: its name as a heading, then its paragraphs and bullets."""
    return "\n\n".join([f"{name}\n{'-' * len(name)}", *filter(None, paragraphs)])
