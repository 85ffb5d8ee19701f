"""The still parts of a video frame: where the panels go, their axes, title, legend, scale.

Two rows of square panels, the overview on top and the zoomed view below; sizes are in
inches at :data:`DPI` pixels per inch, the frame rounded up to whole H.264 macro blocks
with the slack below the bottom row. The axes are square so that a pixel is as long
along x as along y.
"""

from __future__ import annotations

from dataclasses import dataclass

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

REFERENCE_COLOUR = "#333333"
MODEL_COLOUR = "#1f77b4"
GHOST_COLOUR = "#c4c4c4"
HEAD_COLOUR = "#d62728"


@dataclass(frozen=True)
class PanelGrid:
    """Frame size in pixels and where its two rows of ``n`` square panels lie, in inches.

    ``top_row_in`` and ``zoom_row_in`` are the bottom edges of the rows' axes, measured
    from the bottom of the frame; ``side_in`` is every panel's side.
    """

    n: int
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

    def rect(self, row: int, p: int) -> tuple[float, float, float, float]:
        """``(left, bottom, width, height)`` of panel ``p`` of ``row`` (0: top), in figure
        fractions, as :meth:`Figure.add_axes` takes it."""
        left_in = LEFT_IN + p * (self.side_in + GAP_IN)
        bottom_in = (self.top_row_in, self.zoom_row_in)[row]
        return (
            left_in / self.width_in,
            bottom_in / self.height_in,
            self.side_in / self.width_in,
            self.side_in / self.height_in,
        )


def panel_grid(n: int) -> PanelGrid:
    """The layout of ``n`` panels: :data:`PANEL_WIDTH_IN` each, both sides of the frame
    rounded up to :data:`MACRO_BLOCK` pixels (width first, so the panels fill it)."""
    width_px = round_up(n * PANEL_WIDTH_IN * DPI, MACRO_BLOCK)
    width_in = width_px / DPI
    side_in = (width_in - LEFT_IN - RIGHT_IN - (n - 1) * GAP_IN) / n
    height_px = round_up((HEADER_IN + 2 * side_in + ROW_GAP_IN + BOTTOM_IN) * DPI, MACRO_BLOCK)
    top_row_in = height_px / DPI - HEADER_IN - side_in
    zoom_row_in = top_row_in - ROW_GAP_IN - side_in  # the rounding slack goes below
    return PanelGrid(n, width_px, height_px, side_in, top_row_in, zoom_row_in)


def _square_axes(fig: Figure, rect, grid_colour: str) -> Axes:
    ax = fig.add_axes(rect)
    ax.set_aspect("equal", adjustable="box")
    ax.grid(True, color=grid_colour, linewidth=0.6)
    ax.set_axisbelow(True)
    return ax


def add_overview_axes(fig: Figure, grid: PanelGrid, names: list[str], limits) -> list[Axes]:
    """The top row: one titled axes per panel, all with the view ``limits`` (xlim, ylim)
    in image pixels and its tick labels; y labelled on the first panel only."""
    xlim, ylim = limits
    axes = []
    for p, name in enumerate(names):
        ax = _square_axes(fig, grid.rect(0, p), "#eeeeee")
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
        ax.set_title(name, fontsize=11, pad=4)
        ax.set_xlabel("x (px)", fontsize=9, labelpad=2)
        ax.tick_params(labelsize=8, length=3, pad=2)
        ticks_clear_of_edges(ax.xaxis, xlim)  # or they run into the next panel's
        if p == 0:
            ax.set_ylabel("y (px)", fontsize=9, labelpad=2)
        else:
            ax.tick_params(labelleft=False)  # the same y as the first panel
        axes.append(ax)
    return axes


def add_zoomed_axes(fig: Figure, grid: PanelGrid, zoom_half: float, step: float) -> list[Axes]:
    """The bottom row: ``grid.n`` axes spanning ``±zoom_half`` pixels around the origin,
    y down, grid lines ``step`` pixels apart.

    Their data are pixels relative to the frame's centre, so no tick labels: the pixels
    they would name change every frame.
    """
    axes = []
    for p in range(grid.n):
        ax = _square_axes(fig, grid.rect(1, p), "#e0e0e0")
        ax.set_xlim(-zoom_half, zoom_half)
        ax.set_ylim(zoom_half, -zoom_half)
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(MultipleLocator(step))
        ax.tick_params(length=0, labelleft=False, labelbottom=False)
        if p == 0:
            ax.set_ylabel("y (px), following the fish", fontsize=9, labelpad=4)
        axes.append(ax)
    return axes


def add_title(fig: Figure, grid: PanelGrid, title: str, max_width: float, renderer) -> None:
    """``title`` at the top left; smaller, then cut short, beyond ``max_width`` pixels
    (where it would run into the counter)."""
    text = fig.text(
        0.08 / grid.width_in, 1 - 0.1 / grid.height_in, title, ha="left", va="top", fontsize=12
    )
    fit_text(text, max_width, renderer)


def add_legend(fig: Figure, grid: PanelGrid, reference: str) -> None:
    """The key to the moving artists, centred below the title; with one panel, only
    the head and its trail (there is no model, nor the ``reference`` behind one)."""
    legend = [
        Line2D([], [], color=GHOST_COLOUR, lw=3, marker="o", ms=4, label=f"{reference} (behind)"),
        Line2D([], [], color=MODEL_COLOUR, lw=2, marker="o", ms=4.5, label="model"),
        Line2D([], [], ls="", marker="o", color=HEAD_COLOUR, mec="white", ms=8, label="head"),
        Line2D([], [], color=HEAD_COLOUR, alpha=0.4, lw=1.5, label=f"head, last {TRAIL_FRAMES}"),
    ]
    if grid.n == 1:
        legend = legend[2:]
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
        note = f"bottom row: view centred on the {reference}'s body centre in every frame"
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
