"""The figure of a video, drawn once, and what is redrawn on it in every frame.

The figure is built and drawn once and its pixels cached. Every frame then restores that
background and draws only what moves (blitting): five artists shared by all panels of both
rows, in display pixels, and the frame counter stamped from pre-rendered glyphs. The zoomed
axes never move: their data are drawn relative to the frame's centre instead, so the cached
background stays valid.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.path import Path as MplPath
from matplotlib.transforms import IdentityTransform

from killipose.video.counter import GlyphStamp
from killipose.video.geometry import (
    apply_affines,
    scale_step,
    skeleton_polylines,
    trail_segments,
    visible_heads,
)
from killipose.video.layout import (
    DPI,
    GHOST_COLOUR,
    HEAD_COLOUR,
    MODEL_COLOUR,
    REFERENCE_COLOUR,
    add_legend,
    add_overview_axes,
    add_scale_bar,
    add_title,
    add_zoomed_axes,
    panel_grid,
)

#: The trail fades in this many steps, each a polyline of ``TRAIL_FRAMES / TRAIL_STEPS``
#: segments: a path per segment would cost more than everything else drawn.
TRAIL_STEPS = 5  # divides geometry.TRAIL_FRAMES
COUNTER_FONTSIZE = 11


class Scene:
    """The figure, its cached background and the artists redrawn on every frame.

    The moving artists live in display pixels on the figure, one per role for all panels
    of both rows together (NaN rows separate the panels), because each ``draw_artist``
    costs a fixed ~0.2 ms however few points it draws. What lies beyond the zoomed view
    (the older trail, a model far off) is cut off in data, with the view's box, since it
    would otherwise cross into the neighbouring panels; what is left is clipped to the
    axes only to trim line ends and markers at their edges.

    Panels are numbered top row first: ``p`` is panel ``p`` of the top row, ``n + p`` the
    same panel zoomed.

    Parameters
    ----------
    names
        Panel titles, the reference first.
    limits
        ``(xlim, ylim)`` of the top row's view in image pixels, ``ylim`` top-down.
    zoom_half
        Half the side of the zoomed row's view, in pixels.
    title
        Text at the top left; nothing if empty.
    counter_chars
        Length of the longest frame counter text, which is right-aligned.
    """

    def __init__(self, names: list[str], limits, zoom_half: float, title: str, counter_chars: int):
        self.n = n = len(names)
        grid = panel_grid(n)
        # A bare Figure with an Agg canvas, not pyplot: no GUI backend, no global figure
        # registry, so it works headless and in worker threads.
        self.fig = fig = Figure(figsize=(grid.width_in, grid.height_in), dpi=DPI, facecolor="white")
        self.canvas = FigureCanvasAgg(fig)
        step = scale_step(2 * zoom_half)
        self.axes = add_overview_axes(fig, grid, names, limits)
        self.axes += add_zoomed_axes(fig, grid, zoom_half, step)
        self._add_moving_artists()
        self.counter = GlyphStamp(COUNTER_FONTSIZE, DPI)
        # Right-aligned at the top right, level with the title.
        self.counter_at = (
            round(0.1 * DPI),
            grid.width_px - round(0.1 * DPI) - self.counter.width(counter_chars),
        )
        if title:
            max_width = self.counter_at[1] - 0.08 * DPI - 12
            add_title(fig, grid, title, max_width, self.canvas.get_renderer())
        add_legend(fig, grid, names[0])
        add_scale_bar(fig, grid, step, zoom_half, names[0])
        self.canvas.draw()  # the static parts, once; animated artists are left out
        self._freeze(zoom_half)

    def _add_moving_artists(self) -> None:
        """The five artists of every frame, in figure pixels, left out of the background."""
        pixels = IdentityTransform()
        style = {"transform": pixels, "animated": True}
        # Markers on the keypoints only, not where a line is cut (see skeleton_polylines).
        lines = style | {"marker": "o", "markevery": slice(None, None, 3)}
        self.ghost = Line2D([], [], color=GHOST_COLOUR, lw=3, ms=4, **lines)
        self.trail = LineCollection([], linewidths=1.5, **style)
        self.reference = Line2D([], [], color=REFERENCE_COLOUR, lw=2, ms=4.5, **lines)
        self.models = Line2D([], [], color=MODEL_COLOUR, lw=2, ms=4.5, **lines)
        self.head = Line2D(
            [], [], ls="", marker="o", color=HEAD_COLOUR, ms=8, mec="white", mew=1, **style
        )
        self.moving = (self.ghost, self.trail, self.reference, self.models, self.head)
        for artist in self.moving:
            self.fig.add_artist(artist)
        # Older trail steps fainter; one ramp per panel.
        ramp = np.tile(to_rgba(HEAD_COLOUR), (TRAIL_STEPS, 1))
        ramp[:, 3] = np.linspace(0.1, 0.6, TRAIL_STEPS)
        self.trail.set_color(np.tile(ramp, (2 * self.n, 1)))

    def _freeze(self, zoom_half: float) -> None:
        """Fix what the drawn layout decides: each panel's data -> figure pixels, the
        clip, the views' half sides, and the cached background."""
        n = self.n
        self.affines = np.stack([ax.transData.get_affine().get_matrix() for ax in self.axes])
        # What lies beyond the zoomed view is cut off in data (see draw); this clip only
        # trims line ends and markers at the edge of the axes.
        clip = MplPath.make_compound_path(*(_rectangle(ax.bbox.extents) for ax in self.axes))
        # Half side of each panel's view around the origin of its data: no limit for the top
        # row, whose view holds every point.
        self.halves = np.r_[np.full(n, np.inf), np.full(n, zoom_half)]
        for artist in self.moving:
            artist.set_clip_path(clip, IdentityTransform())
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)

    def to_display(self, points: np.ndarray, panels: np.ndarray | None = None) -> np.ndarray:
        """Map data pixels ``(m, ..., 2)`` to figure pixels (origin bottom left).

        Entry ``k`` goes through the axes of panel ``panels[k]`` (top row first); by
        default, through panel ``k``'s.
        """
        return apply_affines(points, self.affines if panels is None else self.affines[panels])

    def _draw_lines(self, artist: Line2D, lines: np.ndarray, panels: np.ndarray) -> None:
        """Draw ``lines`` ``(m, vertices, 2)``, entry ``k`` in the axes of ``panels[k]``."""
        artist.set_data(*self.to_display(lines, panels).reshape(-1, 2).T)
        self.fig.draw_artist(artist)

    def draw(self, poses: np.ndarray, heads: np.ndarray, centre: np.ndarray, label: str) -> None:
        """Draw one frame into the canvas buffer.

        Parameters
        ----------
        poses
            ``(panels, keypoints, 2)`` data pixels of this frame.
        heads
            ``(panels, trail frames, 2)`` data pixels of the head in the recent frames,
            oldest first, this frame last.
        centre
            ``(2,)`` data pixels at the centre of the zoomed row's view in this frame.
        label
            The frame counter text.
        """
        n = self.n
        halves = self.halves
        models = np.r_[1:n, n + 1 : 2 * n]
        # Both rows: the zoomed one in pixels relative to the centre of its view.
        data = np.concatenate([poses, poses - centre])
        heads = np.concatenate([heads, heads - centre])
        self.canvas.restore_region(self.background)
        if n > 1:
            # The reference pose as every model panel would show it, behind the model's.
            ghosts = np.repeat(data[[0, n]], n - 1, axis=0)
            self._draw_lines(self.ghost, skeleton_polylines(ghosts, halves[models]), models)
        if heads.shape[1] > 1:
            segments = self.to_display(trail_segments(heads, halves))
            # One polyline per step of each panel.
            self.trail.set_segments(segments.reshape(2 * n * TRAIL_STEPS, -1, 2))
            self.fig.draw_artist(self.trail)
        reference = np.array([0, n])
        lines = skeleton_polylines(data[reference], halves[reference])
        self._draw_lines(self.reference, lines, reference)
        if n > 1:
            self._draw_lines(self.models, skeleton_polylines(data[models], halves[models]), models)
        head = self.to_display(visible_heads(data, halves))
        self.head.set_data(head[:, 0], head[:, 1])
        self.fig.draw_artist(self.head)
        self.counter.stamp(np.asarray(self.canvas.buffer_rgba()), label, *self.counter_at)


def _rectangle(extents) -> MplPath:
    """The closed outline of the box ``(x0, y0, x1, y1)``."""
    x0, y0, x1, y1 = extents
    return MplPath([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)], closed=True)
