"""Static figures, one module per subject, and the look they share.

- :mod:`killipose.plots.quality`: missing data before and after cleaning.
- :mod:`killipose.plots.latents`: latent codes over time, one model or several.
- :mod:`killipose.plots.comparison`: test error per model, at one code size or against it.
- :mod:`killipose.plots.digits`: MNIST reconstructions, encoder maps, decoder grids,
  interpolations.
- :mod:`killipose.plots.generation`: digits a VAE generates from its prior.

Each figure is two functions: ``<subject>_figure(data...) -> Figure`` builds it (tests
read its artists) and ``plot_<subject>(data..., path)`` writes it as PNG. Both draw with
matplotlib's object API (no pyplot, so no display is needed) inside :func:`style`, which
sets the house look for the duration of the call only: importing this package leaves
``matplotlib.rcParams`` as it was, for every other user of matplotlib in the process.
"""

from __future__ import annotations

import os

import matplotlib as mpl
from matplotlib.figure import Figure

from killipose.files import atomic_path
from killipose.models import MODEL_LABELS, MODELS

#: The house look: small type, no top or right spines. Read when artists are made and
#: again when the figure is drawn, so both happen inside :func:`style`.
STYLE = {
    "figure.dpi": 110,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "font.size": 9,
}

#: One colour per model, the same in every figure (from the registry).
MODEL_COLOURS = {"original": "#333333"} | {name: m.colour for name, m in MODELS.items()}


def style():
    """The house look (:data:`STYLE`) as a context manager, or a decorator.

    ``with style(): ...`` applies it until the block ends, then restores every setting.
    """
    return mpl.rc_context(STYLE)


def model_label(name: str, dim: int | None = None) -> str:
    """How figures name a model: ``"nonlinear AE"``, or ``"nonlinear AE, 2-D"`` with a
    code size; a name the registry lacks is shown as it is."""
    label = MODEL_LABELS.get(name, name)
    return label if dim is None else f"{label}, {dim}-D"


def save_figure(fig: Figure, path: str | os.PathLike) -> None:
    """Write ``fig`` as PNG at ``path``, atomically, cropped to what is drawn."""
    with style(), atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", bbox_inches="tight")
