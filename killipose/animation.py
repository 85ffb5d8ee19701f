"""Side-by-side videos of a pose and its reconstructions by several models.

Two rows of panels: the top row shows the whole window in fixed image pixels, the bottom
row the same panels zoomed on the fish, the view centred on the reference's body centre
in every frame, so that the tail beat is as visible as the position.

The figure is built and drawn once and its pixels cached. Every frame then restores that
background and draws only what moves (blitting): five artists shared by all panels of both
rows, in display pixels, and the frame counter stamped from pre-rendered glyphs. The zoomed
axes never move: their data are drawn relative to the frame's centre instead, so the cached
background stays valid. Frames go straight from the Agg buffer to the ffmpeg binary bundled
with ``imageio-ffmpeg``, so neither a system ffmpeg nor a display is needed.
"""

from __future__ import annotations

import os
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.path import Path as MplPath
from matplotlib.ticker import MultipleLocator
from matplotlib.transforms import IdentityTransform
from tqdm import tqdm

from killipose.errors import InputError
from killipose.files import atomic_path
from killipose.plots import style

DPI = 100
#: H.264 encodes 16x16 macro blocks; a frame whose sides are multiples of 16 is encoded
#: as it is instead of being rescaled by ffmpeg.
MACRO_BLOCK = 16
#: How many past frames of the head the trail shows.
TRAIL_FRAMES = 20
#: The trail fades in this many steps, each a polyline of ``TRAIL_FRAMES / TRAIL_STEPS``
#: segments: a path per segment would cost more than everything else drawn.
TRAIL_STEPS = 5  # divides TRAIL_FRAMES

#: Half the side of the zoomed view, in body lengths of the reference.
ZOOM_HALF_BODY_LENGTHS = 0.75
#: Body length assumed when the reference gives none (fewer than two finite keypoints).
FALLBACK_BODY_LENGTH_PX = 50.0
#: The zoomed view is at least this many pixels across each way from its centre.
MIN_ZOOM_HALF_PX = 10.0

# Layout in inches. The axes are square so that a pixel is as long along x as along y.
PANEL_WIDTH_IN = 3.2
LEFT_IN, RIGHT_IN, GAP_IN = 0.62, 0.12, 0.14
#: Above the top row (title, legend, counter); between the rows (the top row's x ticks
#: and label); below the bottom row (scale bar).
HEADER_IN, ROW_GAP_IN, BOTTOM_IN = 0.85, 0.55, 0.4

REFERENCE_COLOUR = "#333333"
MODEL_COLOUR = "#1f77b4"
GHOST_COLOUR = "#c4c4c4"
HEAD_COLOUR = "#d62728"
COUNTER_FONTSIZE = 11


@style()  # the figures' look: the command line always rendered videos with it
def render_reconstruction(
    panels: dict[str, np.ndarray],
    keypoints: list[str],
    frame_numbers: np.ndarray,
    time_s: np.ndarray,
    out_path: str | os.PathLike,
    fps: float = 20.0,
    title: str = "",
    progress: bool = False,
) -> Path:
    """Render the poses of several panels side by side into an H.264 MP4.

    Parameters
    ----------
    panels
        Panel title -> array ``(frames, keypoints, 2)`` of x, y pixel coordinates (image
        convention: y grows downwards), all the same shape. The **first** entry is the
        reference (normally ``"original"``): its skeleton is also drawn in light grey behind
        every other panel, so what a model gets wrong shows at a glance. NaN coordinates are
        not drawn, nor are the skeleton segments that touch them.
    keypoints
        Keypoint names in body order, head first; the skeleton joins them in this order and
        the first one is marked as the head.
    frame_numbers
        ``(frames,)`` frame number shown on each frame.
    time_s
        ``(frames,)`` time in seconds shown on each frame.
    out_path
        The ``.mp4`` to write; parent folders are created. It appears only when complete:
        the video is written to a temporary file beside it and renamed.
    fps
        Playback rate in frames per second.
    title
        Text at the top left of every frame; nothing if empty.
    progress
        Show a tqdm progress bar (on stderr).

    Returns
    -------
    The path of the video: H.264 in yuv420p (plays in browsers) at ``fps``, one frame per
    input frame, ``320 * len(panels)`` pixels wide and 672 (one panel) to 768 (four or
    more) high, two rows of panels; both multiples of 16, so ffmpeg does not rescale.

    Raises
    ------
    ValueError
        (as :class:`killipose.errors.InputError`) if there are no panels or no frames, if
        the panels differ in shape or do not match ``keypoints``, if ``frame_numbers`` or
        ``time_s`` do not have one entry per frame, or if ``fps`` is not positive.

    Notes
    -----
    Top row: all panels share one square view, fixed for the whole video, holding every
    finite point of every panel and frame with a margin. A window in which the animal
    crosses the whole arena therefore shows a small skeleton.

    Bottom row: the same panels zoomed on the animal. In every frame the view is centred
    on the reference's body centre (the mean of its finite keypoints; where it has none,
    the last centre it had), the same view in every panel of the row, so a model that
    keeps only the position shows its error against the grey reference. The view is
    ``2 * 0.75`` body lengths across, the body length being the median over the window of
    the reference's first-to-last-keypoint distance. Its pixel coordinates change every
    frame, so it has no tick labels; a scale bar below it gives the size, and its grid
    lines are one scale bar apart. The trail shows where the head was in the image,
    cut off at the edge of the view.
    """
    stack, n_frames = _check_inputs(panels, keypoints, frame_numbers, time_s, fps)
    labels = _CounterLabels(np.asarray(frame_numbers), np.asarray(time_s, dtype=np.float64))
    centres, zoom_half = _zoom(stack[0])
    scene = _Scene(
        [str(name) for name in panels], _limits(stack), zoom_half, title, labels.max_chars
    )
    width, height = scene.canvas.get_width_height()

    out_path = Path(out_path)
    with atomic_path(out_path) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp),
            (width, height),
            pix_fmt_in="rgba",  # Agg's buffer as it is; ffmpeg drops alpha, saving a copy
            pix_fmt_out="yuv420p",  # what browsers and QuickTime play
            fps=float(fps),
            codec="libx264",
            quality=5,  # crf 25: lines stay sharp at ~2 MB per 1000 frames of 4 panels
            macro_block_size=MACRO_BLOCK,
            ffmpeg_log_level="error",
            # veryfast: a third less encoder CPU than the default (medium), the encoder being
            # the bottleneck, for a file ~2% larger. faststart puts the index first, so a
            # browser starts playing before the download ends.
            output_params=["-preset", "veryfast", "-movflags", "+faststart"],
        )
        writer.send(None)  # starts ffmpeg
        try:
            for i in tqdm(range(n_frames), disable=not progress, desc="video", unit="frame"):
                heads = stack[:, max(0, i - TRAIL_FRAMES) : i + 1, 0]
                scene.draw(stack[:, i], heads, centres[i], labels[i])
                writer.send(scene.canvas.buffer_rgba())
        finally:
            # Closing waits for ffmpeg to finish the file, also after an error, so that no
            # ffmpeg outlives this call; atomic_path then discards the temporary file.
            writer.close()
        if tmp.stat().st_size == 0:
            raise RuntimeError(f"ffmpeg wrote nothing for {out_path}; see its messages above")
    return out_path


def _check_inputs(
    panels: dict[str, np.ndarray],
    keypoints: list[str],
    frame_numbers: np.ndarray,
    time_s: np.ndarray,
    fps: float,
) -> tuple[np.ndarray, int]:
    """Check the arguments of :func:`render_reconstruction`; raise InputError if wrong.

    Returns
    -------
    The panels stacked as float64 ``(panels, frames, keypoints, 2)``, and the frame count.
    """
    if not panels:
        raise InputError("render_reconstruction: no panels given")
    arrays = [np.asarray(a, dtype=np.float64) for a in panels.values()]
    shapes = {str(name): a.shape for name, a in zip(panels, arrays, strict=True)}
    if len(set(shapes.values())) > 1:
        raise InputError(f"render_reconstruction: panels differ in shape: {shapes}")
    shape = arrays[0].shape
    if len(shape) != 3 or shape[1] != len(keypoints) or shape[2] != 2:
        raise InputError(
            f"render_reconstruction: panels must be (frames, {len(keypoints)} keypoints, 2) "
            f"pixel coordinates, got shape {shape}"
        )
    n_frames = shape[0]
    if n_frames == 0:
        raise InputError("render_reconstruction: zero frames to render")
    for name, values in (("frame_numbers", frame_numbers), ("time_s", time_s)):
        if np.shape(values) != (n_frames,):
            raise InputError(
                f"render_reconstruction: {name} has shape {np.shape(values)}, expected "
                f"({n_frames},): one entry per frame of the panels"
            )
    if not np.isfinite(fps) or fps <= 0:
        raise InputError(f"render_reconstruction: fps must be positive, got {fps}")
    return np.stack(arrays), n_frames


def _limits(stack: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """Square view ``(xlim, ylim)`` in pixels holding every finite point, with a margin.

    One view for all panels and frames keeps the panels comparable and the picture still
    while the video plays. ``ylim`` runs top-down, as image coordinates do.
    """
    points = stack.reshape(-1, 2)
    points = points[np.isfinite(points).all(axis=1)]
    if len(points) == 0:
        low, high = np.zeros(2), np.full(2, 100.0)  # nothing will be drawn; any view does
    else:
        low, high = points.min(axis=0), points.max(axis=0)
    centre = (low + high) / 2
    # Half the side: the larger span plus 4% and 8 image px on each side (room for the head
    # marker), at least 20 px so that a still animal is not magnified into a blur.
    half = max(float((high - low).max()) * 0.54 + 8.0, 20.0)
    return (centre[0] - half, centre[0] + half), (centre[1] + half, centre[1] - half)


def _zoom(reference: np.ndarray) -> tuple[np.ndarray, float]:
    """Centre of the zoomed view in each frame, and its half side, from the reference.

    Parameters
    ----------
    reference
        ``(frames, keypoints, 2)`` pixels of the reference panel, head first.

    Returns
    -------
    ``(frames, 2)`` centres: the mean of the frame's finite keypoints; in a frame with
    none, the previous frame's centre (before the first frame that has one, that frame's
    centre; in a window without any, the middle of the whole view). And the half side in
    pixels: :data:`ZOOM_HALF_BODY_LENGTHS` body lengths.
    """
    finite = np.isfinite(reference).all(axis=2)  # (frames, keypoints)
    count = finite.sum(axis=1)
    has = count > 0
    if not has.any():
        low, high = _limits(reference[None])
        centre = np.array([np.mean(low), np.mean(high)])
        return np.tile(
            centre, (len(reference), 1)
        ), ZOOM_HALF_BODY_LENGTHS * FALLBACK_BODY_LENGTH_PX
    sums = np.where(finite[..., None], reference, 0.0).sum(axis=1)
    raw = sums / np.maximum(count, 1)[:, None]
    source = np.maximum.accumulate(np.where(has, np.arange(len(reference)), -1))
    source[source < 0] = np.argmax(has)
    centres = raw[source]

    body = np.linalg.norm(reference[:, 0] - reference[:, -1], axis=1)
    body = body[np.isfinite(body) & (body > 0)]
    if len(body) == 0:
        # No frame with both ends: the diagonal of the finite keypoints' bounding box.
        lows = np.where(finite[..., None], reference, np.inf).min(axis=1)
        highs = np.where(finite[..., None], reference, -np.inf).max(axis=1)
        body = np.linalg.norm(highs[has] - lows[has], axis=1)
        body = body[body > 0]
    length = float(np.median(body)) if len(body) else FALLBACK_BODY_LENGTH_PX
    return centres, max(ZOOM_HALF_BODY_LENGTHS * length, MIN_ZOOM_HALF_PX)


def _scale_step(side: float) -> float:
    """A round length (1, 2 or 5 times a power of ten) of about a quarter of ``side``."""
    target = side / 4
    power = 10.0 ** np.floor(np.log10(target))
    return float(max(m * power for m in (1, 2, 5) if m * power <= target))


class _CounterLabels:
    """The ``frame N   t = S.SS s`` text of each frame, at one fixed width so it stays put."""

    def __init__(self, frame_numbers: np.ndarray, time_s: np.ndarray):
        self.frame_numbers = frame_numbers
        self.time_s = time_s
        self.number_width = max(len(_format_number(v)) for v in _extremes(frame_numbers))
        self.time_width = max(len(f"{v:.2f}") for v in _extremes(time_s))
        self.max_chars = len(self[0])

    def __getitem__(self, i: int) -> str:
        number = _format_number(self.frame_numbers[i])
        return f"frame {number:>{self.number_width}}   t = {self.time_s[i]:>{self.time_width}.2f} s"


def _format_number(value) -> str:
    """A frame number as an integer, also when it arrives as a float (NaN stays 'nan')."""
    value = float(value)
    return f"{value:.0f}" if np.isfinite(value) else str(value)


def _extremes(values: np.ndarray) -> list[float]:
    """The values whose text is widest: the smallest, the largest and NaN/inf if present."""
    values = values.astype(np.float64)
    finite = values[np.isfinite(values)]
    out = [float(v) for v in values[~np.isfinite(values)][:1]]
    if len(finite):
        out += [float(finite.min()), float(finite.max())]
    return out or [0.0]


class _Scene:
    """The figure, its cached background and the artists redrawn on every frame.

    The moving artists live in display pixels on the figure, one per role for all panels
    of both rows together (NaN rows separate the panels), because each ``draw_artist``
    costs a fixed ~0.2 ms however few points it draws. What lies beyond the zoomed view
    (the older trail, a model far off) is cut off in data, with the view's box, since it
    would otherwise cross into the neighbouring panels; what is left is clipped to the
    axes only to trim line ends and markers at their edges.

    Panels are numbered top row first: ``p`` is panel ``p`` of the top row, ``n + p`` the
    same panel zoomed.
    """

    def __init__(self, names: list[str], limits, zoom_half: float, title: str, counter_chars: int):
        n = len(names)
        self.n = n
        width_px = _round_up(n * PANEL_WIDTH_IN * DPI, MACRO_BLOCK)
        width_in = width_px / DPI
        side_in = (width_in - LEFT_IN - RIGHT_IN - (n - 1) * GAP_IN) / n
        height_px = _round_up((HEADER_IN + 2 * side_in + ROW_GAP_IN + BOTTOM_IN) * DPI, MACRO_BLOCK)
        height_in = height_px / DPI
        top_row_in = height_in - HEADER_IN - side_in  # bottom edge of the top row's axes
        zoom_row_in = top_row_in - ROW_GAP_IN - side_in  # the rounding slack goes below

        # A bare Figure with an Agg canvas, not pyplot: no GUI backend, no global figure
        # registry, so it works headless and in worker threads.
        self.fig = fig = Figure(figsize=(width_in, height_in), dpi=DPI, facecolor="white")
        self.canvas = FigureCanvasAgg(fig)
        xlim, ylim = limits
        step = _scale_step(2 * zoom_half)
        self.axes = []
        for row, bottom_in in enumerate((top_row_in, zoom_row_in)):
            for p, name in enumerate(names):
                left_in = LEFT_IN + p * (side_in + GAP_IN)
                rect = (
                    left_in / width_in,
                    bottom_in / height_in,
                    side_in / width_in,
                    side_in / height_in,
                )
                ax = fig.add_axes(rect)
                ax.set_aspect("equal", adjustable="box")
                ax.grid(True, color="#eeeeee" if row == 0 else "#e0e0e0", linewidth=0.6)
                ax.set_axisbelow(True)
                if row == 0:
                    ax.set_xlim(xlim)
                    ax.set_ylim(ylim)
                    ax.set_title(name, fontsize=11, pad=4)
                    ax.set_xlabel("x (px)", fontsize=9, labelpad=2)
                    ax.tick_params(labelsize=8, length=3, pad=2)
                    _ticks_clear_of_edges(ax.xaxis, xlim)  # or they run into the next panel's
                    if p == 0:
                        ax.set_ylabel("y (px)", fontsize=9, labelpad=2)
                    else:
                        ax.tick_params(labelleft=False)  # the same y as the first panel
                else:
                    # Relative to the frame's centre, y down as above. No tick labels:
                    # the pixels they would name change every frame.
                    ax.set_xlim(-zoom_half, zoom_half)
                    ax.set_ylim(zoom_half, -zoom_half)
                    for axis in (ax.xaxis, ax.yaxis):
                        axis.set_major_locator(MultipleLocator(step))
                    ax.tick_params(length=0, labelleft=False, labelbottom=False)
                    if p == 0:
                        ax.set_ylabel("y (px), following the fish", fontsize=9, labelpad=4)
                self.axes.append(ax)

        pixels = IdentityTransform()
        style = {"transform": pixels, "animated": True}
        # Markers on the keypoints only, not where a line is cut (see _polylines).
        lines = style | {"marker": "o", "markevery": slice(None, None, 3)}
        self.ghost = Line2D([], [], color=GHOST_COLOUR, lw=3, ms=4, **lines)
        self.trail = LineCollection([], linewidths=1.5, **style)
        self.reference = Line2D([], [], color=REFERENCE_COLOUR, lw=2, ms=4.5, **lines)
        self.models = Line2D([], [], color=MODEL_COLOUR, lw=2, ms=4.5, **lines)
        self.head = Line2D(
            [], [], ls="", marker="o", color=HEAD_COLOUR, ms=8, mec="white", mew=1, **style
        )
        moving = (self.ghost, self.trail, self.reference, self.models, self.head)
        for artist in moving:
            fig.add_artist(artist)
        # Older trail steps fainter; one ramp per panel.
        ramp = np.tile(to_rgba(HEAD_COLOUR), (TRAIL_STEPS, 1))
        ramp[:, 3] = np.linspace(0.1, 0.6, TRAIL_STEPS)
        self.trail.set_color(np.tile(ramp, (2 * n, 1)))

        self.counter = _GlyphStamp(COUNTER_FONTSIZE, DPI)
        # Right-aligned at the top right, level with the title.
        self.counter_at = (
            round(0.1 * DPI),
            width_px - round(0.1 * DPI) - self.counter.width(counter_chars),
        )
        if title:
            # Smaller, then cut short, where it would run into the counter.
            text = fig.text(
                0.08 / width_in, 1 - 0.1 / height_in, title, ha="left", va="top", fontsize=12
            )
            _fit_text(text, self.counter_at[1] - 0.08 * DPI - 12, self.canvas.get_renderer())
        legend = [
            Line2D(
                [], [], color=GHOST_COLOUR, lw=3, marker="o", ms=4, label=f"{names[0]} (behind)"
            ),
            Line2D([], [], color=MODEL_COLOUR, lw=2, marker="o", ms=4.5, label="model"),
            Line2D([], [], ls="", marker="o", color=HEAD_COLOUR, mec="white", ms=8, label="head"),
            Line2D(
                [], [], color=HEAD_COLOUR, alpha=0.4, lw=1.5, label=f"head, last {TRAIL_FRAMES}"
            ),
        ]
        if n == 1:
            legend = legend[2:]  # no model, no ghost
        fig.legend(
            handles=legend,
            loc="upper center",
            bbox_to_anchor=(0.5, 1 - 0.36 / height_in),
            ncol=len(legend),
            frameon=False,
            fontsize=8,
            handlelength=2.2,
            columnspacing=1.2,
        )
        self._scale_bar(step, zoom_half, side_in, zoom_row_in, names[0], n)

        self.canvas.draw()  # the static parts, once; animated artists are left out
        # Data -> figure pixels of each panel; fixed from now on, as the layout is.
        self.affines = np.stack([ax.transData.get_affine().get_matrix() for ax in self.axes])
        # What lies beyond the zoomed view is cut off in data (see draw); this clip only
        # trims line ends and markers at the edge of the axes.
        clip = MplPath.make_compound_path(*(_rectangle(ax.bbox.extents) for ax in self.axes))
        # Half side of each panel's view around the origin of its data: no limit for the top
        # row, whose view holds every point.
        self.halves = np.r_[np.full(n, np.inf), np.full(n, zoom_half)]
        for artist in moving:
            artist.set_clip_path(clip, pixels)
        self.background = self.canvas.copy_from_bbox(fig.bbox)

    def _scale_bar(self, step, zoom_half, side_in, zoom_row_in, reference, n) -> None:
        """A bar of ``step`` pixels below the first zoomed panel, and what the row is."""
        fig = self.fig
        width_in, height_in = fig.get_size_inches()
        bar_in = step / (2 * zoom_half) * side_in
        y = (zoom_row_in - 0.2) / height_in
        x0 = LEFT_IN / width_in
        x1 = (LEFT_IN + bar_in) / width_in
        fig.add_artist(Line2D([x0, x1], [y, y], color="black", lw=2.5, solid_capstyle="butt"))
        fig.text(x1 + 0.06 / width_in, y, f"{step:g} px", va="center", ha="left", fontsize=9)
        if n > 1:
            note = f"bottom row: view centred on the {reference}'s body centre in every frame"
            fig.text(
                x1 + 0.6 / width_in, y, note, va="center", ha="left", fontsize=8, color="#555555"
            )

    def to_display(self, points: np.ndarray, panels: np.ndarray | None = None) -> np.ndarray:
        """Map data pixels ``(m, ..., 2)`` to figure pixels (origin bottom left).

        Entry ``k`` goes through the axes of panel ``panels[k]`` (top row first); by
        default, through panel ``k``'s.
        """
        affines = self.affines if panels is None else self.affines[panels]
        flat = points.reshape(len(points), -1, 2)
        out = np.einsum("pnj,pij->pni", flat, affines[:, :2, :2]) + affines[:, None, :2, 2]
        return out.reshape(points.shape)

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
            self._draw_lines(self.ghost, _polylines(ghosts, halves[models]), models)
        if heads.shape[1] > 1:
            starts, ends = _clip(heads[:, :-1], heads[:, 1:], halves[:, None])
            # (panels, TRAIL_FRAMES segments, start/end, 2), the oldest missing at first.
            segments = np.full((2 * n, TRAIL_FRAMES, 2, 2), np.nan)
            segments[:, TRAIL_FRAMES - starts.shape[1] :] = np.stack([starts, ends], axis=2)
            steps = self.to_display(segments).reshape(2 * n * TRAIL_STEPS, -1, 2)
            self.trail.set_segments(steps)  # one polyline per step of each panel
            self.fig.draw_artist(self.trail)
        reference = np.array([0, n])
        self._draw_lines(self.reference, _polylines(data[reference], halves[reference]), reference)
        if n > 1:
            self._draw_lines(self.models, _polylines(data[models], halves[models]), models)
        inside = (np.abs(data[:, 0]) <= halves[:, None]).all(axis=1)
        head = self.to_display(np.where(inside[:, None], data[:, 0], np.nan))
        self.head.set_data(head[:, 0], head[:, 1])
        self.fig.draw_artist(self.head)
        self.counter.stamp(np.asarray(self.canvas.buffer_rgba()), label, *self.counter_at)


def _ticks_clear_of_edges(axis, limits) -> None:
    """Fix ``axis``'s ticks to its automatic ones, less those within 6% of an edge."""
    low, high = sorted(limits)
    margin = 0.06 * (high - low)
    ticks = axis.get_major_locator().tick_values(low, high)
    axis.set_ticks(ticks[(ticks >= low + margin) & (ticks <= high - margin)])


def _fit_text(text, max_width: float, renderer, min_fontsize: float = 8) -> None:
    """Shrink ``text`` down to ``min_fontsize``, then cut it short, to ``max_width`` px."""

    def width() -> float:
        return text.get_window_extent(renderer).width

    while width() > max_width and text.get_fontsize() > min_fontsize:
        text.set_fontsize(text.get_fontsize() - 1)
    words = text.get_text()
    while width() > max_width and len(words) > 1:
        words = words[:-1]
        text.set_text(words.rstrip() + "…")


def _rectangle(extents) -> MplPath:
    """The closed outline of the box ``(x0, y0, x1, y1)``."""
    x0, y0, x1, y1 = extents
    return MplPath([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)], closed=True)


def _clip(
    starts: np.ndarray, ends: np.ndarray, half: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Cut segments ``(..., 2)`` to the box ``|x|, |y| <= half`` (Liang-Barsky).

    ``half`` broadcasts against the segments' shape less its last axis; ``inf`` cuts
    nothing. Returns the new starts and ends: NaN where nothing is left of a segment, or
    where an end was NaN.
    """
    delta = ends - starts
    half = np.asarray(half, dtype=np.float64)[..., None]
    low, high = np.zeros(delta.shape[:-1]), np.ones(delta.shape[:-1])
    keep = np.ones(delta.shape[:-1], dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Leaving through the low edge (-delta * t <= starts + half), then the high one.
        for p, q in ((-delta, starts + half), (delta, half - starts)):
            ratio = q / p
            low = np.maximum(low, np.where(p < 0, ratio, -np.inf).max(axis=-1))
            high = np.minimum(high, np.where(p > 0, ratio, np.inf).min(axis=-1))
            keep &= ~((p == 0) & (q < 0)).any(axis=-1)  # parallel to an edge, beyond it
    keep &= low <= high  # also False where NaN
    new_starts = np.where(keep[..., None], starts + low[..., None] * delta, np.nan)
    new_ends = np.where(keep[..., None], starts + high[..., None] * delta, np.nan)
    return new_starts, new_ends


def _polylines(poses: np.ndarray, halves: np.ndarray) -> np.ndarray:
    """Skeletons ``(m, keypoints, 2)`` as polylines cut to boxes ``|x|, |y| <= halves[i]``.

    Returns ``(m, 3 * keypoints, 2)``: keypoint ``i`` at vertex ``3 i`` (NaN if outside
    its box), then the part of the segment to keypoint ``i + 1`` that lies inside. The
    rest is NaN, which also keeps one pose's tail from being joined to the next one's
    head. Every keypoint is thus at a multiple of 3, for ``markevery``.
    """
    m, k, _ = poses.shape
    out = np.full((m, 3 * k, 2), np.nan)
    inside = (np.abs(poses) <= halves[:, None, None]).all(axis=2)
    out[:, 0::3] = np.where(inside[..., None], poses, np.nan)
    starts, ends = _clip(poses[:, :-1], poses[:, 1:], halves[:, None])
    out[:, 1 : 3 * k - 3 : 3] = starts
    out[:, 2 : 3 * k - 3 : 3] = ends
    return out


class _GlyphStamp:
    """Writes one line of monospace text into an RGBA buffer from pre-rendered glyphs.

    Laying out and rasterising a changing text with matplotlib costs ~5 ms a frame, more
    than everything else together. Rendering each character once and copying its pixels
    costs microseconds. Glyphs are dark on white and combined by a per-pixel minimum, so
    neighbouring cells may overlap and the result is the same as drawing the text on a
    white background.
    """

    CHARACTERS = "0123456789.-+ efinamrst="
    PAD = 2  # px beyond each cell, for glyph edges that overhang it

    def __init__(self, fontsize: float, dpi: float):
        prop = FontProperties(family="monospace", size=fontsize)
        sheet = Figure(dpi=dpi, facecolor="white")
        canvas = FigureCanvasAgg(sheet)
        renderer = canvas.get_renderer()
        width, height, descent = renderer.get_text_width_height_descent("0" * 50, prop, False)
        self.pitch = max(1, round(width / 50))
        ascent = int(np.ceil(height - descent))
        descent = int(np.ceil(descent))
        spacing = self.pitch + 4 * self.PAD  # keeps the characters apart on the sheet
        sheet_w = spacing * (len(self.CHARACTERS) + 1)
        sheet_h = ascent + descent + 4 * self.PAD
        sheet.set_size_inches(sheet_w / dpi, sheet_h / dpi)
        baseline = descent + 2 * self.PAD  # from the bottom
        origins = [spacing * (k + 1) for k in range(len(self.CHARACTERS))]
        for ch, x in zip(self.CHARACTERS, origins, strict=True):
            sheet.text(
                x,
                baseline,
                ch,
                fontproperties=prop,
                ha="left",
                va="baseline",
                transform=IdentityTransform(),
            )
        canvas.draw()
        pixels = np.asarray(canvas.buffer_rgba())
        top = pixels.shape[0] - baseline - ascent - self.PAD
        bottom = pixels.shape[0] - baseline + descent + self.PAD
        self.height = bottom - top
        self.glyphs = {
            ch: pixels[top:bottom, x - self.PAD : x + self.pitch + self.PAD].copy()
            for ch, x in zip(self.CHARACTERS, origins, strict=True)
        }

    def width(self, n_chars: int) -> int:
        """Pixel width of a text of ``n_chars`` characters."""
        return n_chars * self.pitch + 2 * self.PAD

    def stamp(self, buffer: np.ndarray, text: str, top: int, left: int) -> None:
        """Darken ``buffer`` (rows, columns, RGBA uint8) with ``text`` in place.

        ``(top, left)`` is the pixel of the text box's top left corner. Characters without
        a glyph are left blank; what falls outside the buffer is cut off.
        """
        cell = self.pitch + 2 * self.PAD
        top, left = max(0, top), max(0, left)
        for k, ch in enumerate(text):
            glyph = self.glyphs.get(ch)
            if glyph is None or ch == " ":
                continue
            x = left + k * self.pitch
            target = buffer[top : top + self.height, x : x + cell]
            np.minimum(target, glyph[: target.shape[0], : target.shape[1]], out=target)


def _round_up(pixels: float, multiple: int) -> int:
    """``pixels`` rounded up to a multiple of ``multiple``."""
    return int(-(-round(pixels) // multiple) * multiple)
