"""The figure of a video, drawn once, and what is redrawn on it in every frame.

The figure is built and drawn once and its pixels cached. Every frame then restores that
background and draws only what moves (blitting): a few artists shared by all panels, in
display pixels, the error strip's cursor, and the frame counter stamped from pre-rendered
glyphs. The zoomed axes never move: their data are drawn relative to the frame's centre
instead, so the cached background stays valid.
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
    REFERENCE_COLOUR,
    add_arena_axes,
    add_error_strip,
    add_legend,
    add_overlay_axes,
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
    together (NaN rows separate the panels), because each ``draw_artist`` costs a fixed
    ~0.2 ms however few points it draws; each model has its own, for its colour. What
    lies beyond a zoomed view (the older trail, a model far off) is cut off in data, with
    the view's box, since it would otherwise cross into the neighbouring panels; what is
    left is clipped to the axes only to trim line ends and markers at their edges.

    Panels (:attr:`axes`) are numbered: 0 the arena, ``1 + p`` pose ``p`` zoomed (the
    bottom row), ``n + 1`` the overlay (with models only). The error strip
    (:attr:`strip`) is not a panel: it only has the cursor.

    Parameters
    ----------
    names
        Pose names, the reference first.
    limits
        ``(xlim, ylim)`` of the arena panel's view in image pixels, ``ylim`` top-down.
    zoom_half
        Half the side of the zoomed views, in pixels.
    title
        Text at the top left; nothing if empty.
    counter_chars
        Length of the longest frame counter text, which is right-aligned.
    colours
        One colour per model (``names[1:]``); by default matplotlib's cycle.
    magnify
        How many times larger the overlay draws each model's offsets from the reference.
    outline
        ``(m, 2)`` pixels of the arena's outline in the arena panel, or None.
    path
        ``(frames, 2)`` pixels of the reference's path in the arena panel, drawn faintly
        once, or None.
    time_s, errors
        The error strip, with models: ``(frames,)`` seconds, and each model's
        ``(frames,)`` per-frame error in pixels, in the order of ``names[1:]``.
    """

    def __init__(
        self,
        names: list[str],
        limits,
        zoom_half: float,
        title: str,
        counter_chars: int,
        colours: list[str] | None = None,
        magnify: float = 1.0,
        outline: np.ndarray | None = None,
        path: np.ndarray | None = None,
        time_s: np.ndarray | None = None,
        errors: list[np.ndarray] | None = None,
    ):
        self.n = n = len(names)
        self.magnify = magnify
        grid = panel_grid(n)
        if colours is None:
            colours = [f"C{i % 10}" for i in range(n - 1)]
        colours = [REFERENCE_COLOUR, *colours]
        # A bare Figure with an Agg canvas, not pyplot: no GUI backend, no global figure
        # registry, so it works headless and in worker threads.
        self.fig = fig = Figure(figsize=(grid.width_in, grid.height_in), dpi=DPI, facecolor="white")
        self.canvas = FigureCanvasAgg(fig)
        step = scale_step(2 * zoom_half)
        arena = add_arena_axes(fig, grid, names[0], limits, outline)
        if path is not None:
            arena.plot(*path.T, color=HEAD_COLOUR, alpha=0.25, lw=1)
        self.axes = [arena, *add_zoomed_axes(fig, grid, names, colours, zoom_half, step)]
        self.strip = self.cursor_at = None
        if n > 1:
            self.axes.append(add_overlay_axes(fig, grid, names[0], zoom_half, step, magnify))
            if errors is not None and time_s is not None:
                named = dict(zip(names[1:], errors, strict=True))
                self.strip = add_error_strip(fig, grid, time_s, named, colours[1:])
        self._add_moving_artists(colours[1:])
        self.counter = GlyphStamp(COUNTER_FONTSIZE, DPI)
        # Right-aligned at the top right, level with the title.
        self.counter_at = (
            round(0.1 * DPI),
            grid.width_px - round(0.1 * DPI) - self.counter.width(counter_chars),
        )
        if title:
            max_width = self.counter_at[1] - 0.08 * DPI - 12
            add_title(fig, grid, title, max_width, self.canvas.get_renderer())
        add_legend(fig, grid, names, colours)
        add_scale_bar(fig, grid, step, zoom_half, names[0])
        self.canvas.draw()  # the static parts, once; animated artists are left out
        self._freeze(zoom_half)

    def _add_moving_artists(self, colours: list[str]) -> None:
        """The artists of every frame, in figure pixels, left out of the background."""
        pixels = IdentityTransform()
        style = {"transform": pixels, "animated": True}
        # Markers on the keypoints only, not where a line is cut (see skeleton_polylines).
        lines = style | {"marker": "o", "markevery": slice(None, None, 3)}
        self.ghost = Line2D([], [], color=GHOST_COLOUR, lw=3, ms=4, **lines)
        self.trail = LineCollection([], linewidths=1.5, **style)
        self.reference = Line2D([], [], color=REFERENCE_COLOUR, lw=2, ms=4.5, **lines)
        self.models = [Line2D([], [], color=c, lw=2, ms=4.5, **lines) for c in colours]
        self.head = Line2D(
            [], [], ls="", marker="o", color=HEAD_COLOUR, ms=8, mec="white", mew=1, **style
        )
        self.cursor = Line2D([], [], color="black", lw=1, **style)
        self.moving = (self.ghost, self.trail, self.reference, *self.models, self.head)
        for artist in (*self.moving, self.cursor):
            self.fig.add_artist(artist)
        # Older trail steps fainter; one ramp per panel with a trail (arena, bottom row).
        ramp = np.tile(to_rgba(HEAD_COLOUR), (TRAIL_STEPS, 1))
        ramp[:, 3] = np.linspace(0.1, 0.6, TRAIL_STEPS)
        self.trail.set_color(np.tile(ramp, (self.n + 1, 1)))

    def _freeze(self, zoom_half: float) -> None:
        """Fix what the drawn layout decides: each panel's data -> figure pixels, the
        clip, the views' half sides, the cursor's path, and the cached background."""
        self.affines = np.stack([ax.transData.get_affine().get_matrix() for ax in self.axes])
        # What lies beyond a zoomed view is cut off in data (see draw); this clip only
        # trims line ends and markers at the edge of the axes.
        clip = MplPath.make_compound_path(*(_rectangle(ax.bbox.extents) for ax in self.axes))
        # Half side of each panel's view around the origin of its data: no limit for the
        # arena, whose view holds every point.
        self.halves = np.r_[np.inf, np.full(len(self.axes) - 1, zoom_half)]
        for artist in self.moving:
            artist.set_clip_path(clip, IdentityTransform())
        if self.strip is not None:
            self.cursor_at = (self.strip.transData.get_affine(), self.strip.bbox.extents)
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)

    def to_display(self, points: np.ndarray, panels: np.ndarray | None = None) -> np.ndarray:
        """Map data pixels ``(m, ..., 2)`` to figure pixels (origin bottom left).

        Entry ``k`` goes through the axes of panel ``panels[k]``; by default, through
        panel ``k``'s.
        """
        return apply_affines(points, self.affines if panels is None else self.affines[panels])

    def _draw_lines(self, artist: Line2D, poses: np.ndarray, panels: np.ndarray) -> None:
        """Draw skeletons ``poses`` ``(m, keypoints, 2)``, entry ``k`` in panel
        ``panels[k]``, each cut to its panel's view."""
        lines = skeleton_polylines(poses, self.halves[panels])
        artist.set_data(*self.to_display(lines, panels).reshape(-1, 2).T)
        self.fig.draw_artist(artist)

    def draw(
        self,
        poses: np.ndarray,
        heads: np.ndarray,
        centre: np.ndarray,
        label: str,
        arena_pose: np.ndarray | None = None,
        arena_heads: np.ndarray | None = None,
        time_s: float | None = None,
    ) -> None:
        """Draw one frame into the canvas buffer.

        Parameters
        ----------
        poses
            ``(poses, keypoints, 2)`` data pixels of this frame.
        heads
            ``(poses, trail frames, 2)`` data pixels of the head in the recent frames,
            oldest first, this frame last.
        centre
            ``(2,)`` data pixels at the centre of the zoomed views in this frame.
        label
            The frame counter text.
        arena_pose, arena_heads
            The reference's pose ``(keypoints, 2)`` and recent heads ``(trail frames, 2)``
            in the arena panel's pixels; by default the reference's in ``poses``, ``heads``.
        time_s
            Where the error strip's cursor stands; no cursor if None.
        """
        n = self.n
        zoomed = np.arange(1, n + 1)
        overlay = [n + 1] if n > 1 else []
        arena_pose = poses[0] if arena_pose is None else arena_pose
        arena_heads = heads[0] if arena_heads is None else arena_heads
        # The zoomed views' data: pixels relative to the centre of the view.
        rel, rel_heads = poses - centre, heads - centre
        in_overlay = [rel[0]] * len(overlay)  # the overlay shows the reference too
        self.canvas.restore_region(self.background)
        if n > 1:
            # The reference as every model panel would show it, behind the model's.
            self._draw_lines(self.ghost, np.repeat(rel[:1], n - 1, axis=0), zoomed[1:])
        if heads.shape[1] > 1:
            trails = np.concatenate([arena_heads[None], rel_heads])
            segments = trail_segments(trails, self.halves[: n + 1])
            segments = self.to_display(segments, np.arange(n + 1))
            # One polyline per step of each panel.
            self.trail.set_segments(segments.reshape((n + 1) * TRAIL_STEPS, -1, 2))
            self.fig.draw_artist(self.trail)
        references = np.stack([arena_pose, rel[0], *in_overlay])
        self._draw_lines(self.reference, references, np.array([0, 1, *overlay]))
        # The overlay's models: the reference plus each model's offsets, magnified.
        magnified = rel[0] + self.magnify * (rel[1:] - rel[0])
        for m, artist in enumerate(self.models):
            self._draw_lines(
                artist, np.stack([rel[m + 1], magnified[m]]), np.array([m + 2, *overlay])
            )
        panels = np.array([0, *zoomed, *overlay])
        heads_now = np.stack([arena_pose, *rel, *in_overlay])
        head = self.to_display(visible_heads(heads_now, self.halves[panels]), panels)
        self.head.set_data(head[:, 0], head[:, 1])
        self.fig.draw_artist(self.head)
        if self.cursor_at is not None and time_s is not None:
            affine, (_, y0, _, y1) = self.cursor_at
            x = affine.transform((time_s, 0.0))[0]
            self.cursor.set_data([x, x], [y0, y1])
            self.fig.draw_artist(self.cursor)
        self.counter.stamp(np.asarray(self.canvas.buffer_rgba()), label, *self.counter_at)


def _rectangle(extents) -> MplPath:
    """The closed outline of the box ``(x0, y0, x1, y1)``."""
    x0, y0, x1, y1 = extents
    return MplPath([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)], closed=True)
