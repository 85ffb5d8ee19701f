"""The still parts of a video frame: where the panels go, their axes, title, legend, scale.

Two rows, sizes in inches at :data:`DPI` pixels per inch. The bottom row has one square
panel per pose, zoomed on the animal. The top row holds the arena (the reference where it
is in the whole arena), then, with models to compare, the overlay (every model on the
reference, errors magnified) and the per-frame error strip across the remaining width.
The frame is rounded up to whole H.264 macro blocks with the slack below the bottom row.
Square axes keep a pixel as long along x as along y.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import MultipleLocator

from killipose.video.encode import MACRO_BLOCK
from killipose.video.geometry import TRAIL_FRAMES, round_up

DPI = 100
PANEL_WIDTH_IN = 3.2
LEFT_IN, RIGHT_IN, GAP_IN = 0.62, 0.12, 0.14
#: Above the top row (title, legend, counter); between the rows (the top row's x ticks
#: and label); below the bottom row (scale bar).
HEADER_IN, ROW_GAP_IN, BOTTOM_IN = 0.85, 0.55, 0.4
#: The error strip's room for its y tick labels and label, left of its axes.
STRIP_LEFT_IN = 0.55

REFERENCE_COLOUR = "#333333"
MODEL_COLOUR = "#1f77b4"
GHOST_COLOUR = "#c4c4c4"
HEAD_COLOUR = "#d62728"
ARENA_COLOUR = "#8c8c8c"


@dataclass(frozen=True)
class PanelGrid:
    """Frame size in pixels and where its panels lie, in inches.

    ``n`` panels in the bottom row, ``columns`` slots across (``n`` for one panel, at
    least 3 otherwise: arena, overlay, error strip). ``top_row_in`` and ``zoom_row_in``
    are the bottom edges of the rows' axes, measured from the bottom of the frame;
    ``side_in`` is every square panel's side.
    """

    n: int
    columns: int
    width_px: int
    height_px: int
    side_in: float
    top_row_in: float
    zoom_row_in: float

    @property
    def width_in(self) -> float:
        return self.width_px / DPI

    @property
    def height_in(self) -> float:
        return self.height_px / DPI

    def rect(self, row: int, p: int, span: int = 1) -> tuple[float, float, float, float]:
        """``(left, bottom, width, height)`` of slot ``p`` of ``row`` (0: top), ``span``
        slots wide, in figure fractions, as :meth:`Figure.add_axes` takes it."""
        left_in = LEFT_IN + p * (self.side_in + GAP_IN)
        width_in = span * self.side_in + (span - 1) * GAP_IN
        bottom_in = (self.top_row_in, self.zoom_row_in)[row]
        return (
            left_in / self.width_in,
            bottom_in / self.height_in,
            width_in / self.width_in,
            self.side_in / self.height_in,
        )

    @property
    def strip_rect(self) -> tuple[float, float, float, float]:
        """The error strip: the top row's slots after the arena and the overlay, less
        :data:`STRIP_LEFT_IN` on its left for the tick labels."""
        left, bottom, width, height = self.rect(0, 2, self.columns - 2)
        inset = STRIP_LEFT_IN / self.width_in
        return left + inset, bottom, width - inset, height


def panel_grid(n: int) -> PanelGrid:
    """The layout of ``n`` poses: :data:`PANEL_WIDTH_IN` per slot, both sides of the frame
    rounded up to :data:`MACRO_BLOCK` pixels (width first, so the panels fill it)."""
    columns = n if n == 1 else max(n, 3)
    width_px = round_up(columns * PANEL_WIDTH_IN * DPI, MACRO_BLOCK)
    width_in = width_px / DPI
    side_in = (width_in - LEFT_IN - RIGHT_IN - (columns - 1) * GAP_IN) / columns
    height_px = round_up((HEADER_IN + 2 * side_in + ROW_GAP_IN + BOTTOM_IN) * DPI, MACRO_BLOCK)
    top_row_in = height_px / DPI - HEADER_IN - side_in
    zoom_row_in = top_row_in - ROW_GAP_IN - side_in  # the rounding slack goes below
    return PanelGrid(n, columns, width_px, height_px, side_in, top_row_in, zoom_row_in)


def _square_axes(fig: Figure, rect, grid_colour: str) -> Axes:
    ax = fig.add_axes(rect)
    ax.set_aspect("equal", adjustable="box")
    ax.grid(True, color=grid_colour, linewidth=0.6)
    ax.set_axisbelow(True)
    return ax


def add_arena_axes(fig: Figure, grid: PanelGrid, reference: str, limits, outline) -> Axes:
    """The top row's first panel: the view ``limits`` (xlim, ylim) in image pixels, with
    the arena's ``outline`` (``(m, 2)`` pixels, or None) drawn once."""
    xlim, ylim = limits
    ax = _square_axes(fig, grid.rect(0, 0), "#eeeeee")
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_title(f"{reference}, in the arena", fontsize=11, pad=4)
    ax.set_xlabel("x (px)", fontsize=9, labelpad=2)
    ax.set_ylabel("y (px)", fontsize=9, labelpad=2)
    ax.tick_params(labelsize=8, length=3, pad=2)
    ticks_clear_of_edges(ax.xaxis, xlim)  # or they run into the next panel's
    if outline is not None:
        closed = np.vstack([outline, outline[:1]])
        ax.plot(*closed.T, color=ARENA_COLOUR, lw=1.2, ls="--")
    return ax


def _zoomed(ax: Axes, zoom_half: float, step: float) -> Axes:
    """``ax`` spanning ``±zoom_half`` pixels around the origin, y down, grid lines ``step``
    pixels apart, without tick labels: the pixels they would name change every frame."""
    ax.set_xlim(-zoom_half, zoom_half)
    ax.set_ylim(zoom_half, -zoom_half)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MultipleLocator(step))
    ax.tick_params(length=0, labelleft=False, labelbottom=False)
    return ax


def add_overlay_axes(
    fig: Figure, grid: PanelGrid, reference: str, zoom_half: float, step: float, magnify: float
) -> Axes:
    """The top row's second panel: every model on the reference, zoomed as the bottom
    row, each model's offsets from the reference ``magnify`` times their size."""
    ax = _zoomed(_square_axes(fig, grid.rect(0, 1), "#e0e0e0"), zoom_half, step)
    times = "\N{MULTIPLICATION SIGN}"
    errors = f"errors {times}{magnify:g}" if magnify != 1 else "errors true to scale"
    ax.set_title(f"models on the {reference}, {errors}", fontsize=10, pad=4)
    return ax


def add_zoomed_axes(
    fig: Figure, grid: PanelGrid, names: list[str], colours: list[str], zoom_half: float, step
) -> list[Axes]:
    """The bottom row: one axes per pose, named in its colour at the top left, spanning
    ``±zoom_half`` pixels around the origin, grid lines ``step`` pixels apart."""
    axes = []
    for p, (name, colour) in enumerate(zip(names, colours, strict=True)):
        ax = _zoomed(_square_axes(fig, grid.rect(1, p), "#e0e0e0"), zoom_half, step)
        ax.text(
            0.03, 0.97, name, transform=ax.transAxes, ha="left", va="top", fontsize=10,
            color=colour, fontweight="bold",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.5},
        )  # fmt: skip
        if p == 0:
            ax.set_ylabel("y (px), following the fish", fontsize=9, labelpad=4)
        axes.append(ax)
    return axes


def add_error_strip(
    fig: Figure, grid: PanelGrid, time_s: np.ndarray, errors: dict[str, np.ndarray], colours
) -> Axes:
    """The top row's last slots: each model's per-frame error (px) against time, drawn
    once; the moving cursor is the scene's. Each line is named with its mean."""
    ax = fig.add_axes(grid.strip_rect)
    ax.grid(True, color="#eeeeee", linewidth=0.6)
    ax.set_axisbelow(True)
    top = 0.0
    for (name, error), colour in zip(errors.items(), colours, strict=True):
        mean = np.nanmean(error) if np.isfinite(error).any() else np.nan
        ax.plot(time_s, error, color=colour, lw=1.0, label=f"{name}: mean {mean:.2f} px")
        if np.isfinite(error).any():
            top = max(top, float(np.nanpercentile(error, 99.5)))
    ax.set_xlim(time_s[0], max(time_s[-1], time_s[0] + 1e-9))
    ax.set_ylim(0, 1.15 * top if top > 0 else 1.0)
    ax.set_title("per-frame error: mean keypoint distance", fontsize=10, pad=4)
    ax.set_xlabel("time into the recording (s)", fontsize=9, labelpad=2)
    ax.set_ylabel("error (px)", fontsize=9, labelpad=2)
    ax.tick_params(labelsize=8, length=3, pad=2)
    ax.legend(fontsize=7, loc="upper left", frameon=True, framealpha=0.85, handlelength=1.5)
    return ax


def add_title(fig: Figure, grid: PanelGrid, title: str, max_width: float, renderer) -> None:
    """``title`` at the top left; smaller, then cut short, beyond ``max_width`` pixels
    (where it would run into the counter)."""
    text = fig.text(
        0.08 / grid.width_in, 1 - 0.1 / grid.height_in, title, ha="left", va="top", fontsize=12
    )
    fit_text(text, max_width, renderer)


def add_legend(fig: Figure, grid: PanelGrid, names: list[str], colours: list[str]) -> None:
    """The key to the moving artists, centred below the title: the reference ``names[0]``,
    its grey copy behind the models, each model in its colour, the head and its trail.
    With one panel, only the head and its trail."""
    reference, models = names[0], names[1:]
    legend = [
        Line2D([], [], color=REFERENCE_COLOUR, lw=2, marker="o", ms=4.5, label=reference),
        Line2D([], [], color=GHOST_COLOUR, lw=3, marker="o", ms=4, label=f"{reference} (behind)"),
        *(
            Line2D([], [], color=colour, lw=2, marker="o", ms=4.5, label=name)
            for name, colour in zip(models, colours[1:], strict=True)
        ),
        Line2D([], [], ls="", marker="o", color=HEAD_COLOUR, mec="white", ms=8, label="head"),
        Line2D([], [], color=HEAD_COLOUR, alpha=0.4, lw=1.5, label=f"head, last {TRAIL_FRAMES}"),
    ]
    if grid.n == 1:
        legend = legend[-2:]
    fig.legend(
        handles=legend,
        loc="upper center",
        bbox_to_anchor=(0.5, 1 - 0.36 / grid.height_in),
        ncol=len(legend),
        frameon=False,
        fontsize=8,
        handlelength=2.2,
        columnspacing=1.2,
    )


def add_scale_bar(
    fig: Figure, grid: PanelGrid, step: float, zoom_half: float, reference: str
) -> None:
    """A bar of ``step`` pixels below the first zoomed panel (``±zoom_half`` pixels
    across), and, with models to compare, a note on what the bottom row shows."""
    width_in, height_in = grid.width_in, grid.height_in
    bar_in = step / (2 * zoom_half) * grid.side_in
    y = (grid.zoom_row_in - 0.2) / height_in
    x0 = LEFT_IN / width_in
    x1 = (LEFT_IN + bar_in) / width_in
    fig.add_artist(Line2D([x0, x1], [y, y], color="black", lw=2.5, solid_capstyle="butt"))
    fig.text(x1 + 0.06 / width_in, y, f"{step:g} px", va="center", ha="left", fontsize=9)
    if grid.n > 1:
        note = (
            f"bottom row and overlay: view centred on the {reference}'s body centre in every frame"
        )
        fig.text(x1 + 0.6 / width_in, y, note, va="center", ha="left", fontsize=8, color="#555555")


def ticks_clear_of_edges(axis, limits) -> None:
    """Fix ``axis``'s ticks to its automatic ones, less those within 6% of an edge."""
    low, high = sorted(limits)
    margin = 0.06 * (high - low)
    ticks = axis.get_major_locator().tick_values(low, high)
    axis.set_ticks(ticks[(ticks >= low + margin) & (ticks <= high - margin)])


def fit_text(text: Text, max_width: float, renderer, min_fontsize: float = 8) -> None:
    """Shrink ``text`` down to ``min_fontsize``, then cut it short, to ``max_width`` px."""

    def width() -> float:
        return text.get_window_extent(renderer).width

    while width() > max_width and text.get_fontsize() > min_fontsize:
        text.set_fontsize(text.get_fontsize() - 1)
    words = text.get_text()
    while width() > max_width and len(words) > 1:
        words = words[:-1]
        text.set_text(words.rstrip() + "…")
