"""The public entry of the video renderer: check the input, lay out, draw, encode."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from tqdm import tqdm

from killipose.errors import InputError
from killipose.metrics import frame_distances
from killipose.plots import style
from killipose.video.counter import CounterLabels
from killipose.video.encode import write_h264
from killipose.video.geometry import (
    TRAIL_FRAMES,
    body_centres,
    view_limits,
    zoom_view,
)
from killipose.video.scene import Scene


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
    colours: dict[str, str] | None = None,
    magnify: float = 5.0,
    arena: np.ndarray | None = None,
    arena_reference: np.ndarray | None = None,
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
    colours
        Panel title -> colour of each model; by default matplotlib's colour cycle.
    magnify
        How many times larger the overlay panel draws each model's offsets from the
        reference, so that an error of a pixel shows (1: true to scale).
    arena
        ``(m, 2)`` pixels: the outline of the arena, drawn in the arena panel; None for
        none.
    arena_reference
        ``(frames, keypoints, 2)``: the reference in the arena panel's pixels, where
        the panels' are not the arena's (postures in the body frame); by default the
        reference itself.

    Returns
    -------
    The path of the video: H.264 in yuv420p (plays in browsers) at ``fps``, one frame per
    input frame, 320 pixels wide per panel (at least three with models) and 672 (one
    panel) to 768 high, two rows; both multiples of 16, so ffmpeg does not rescale.

    Raises
    ------
    ValueError
        (as :class:`killipose.errors.InputError`) if there are no panels or no frames, if
        the panels differ in shape or do not match ``keypoints``, if ``frame_numbers`` or
        ``time_s`` do not have one entry per frame, if ``fps`` or ``magnify`` is not
        positive, or if ``arena_reference`` is not the reference's shape.

    Notes
    -----
    Top row, first: the reference in the arena, a square view fixed for the whole video
    holding the arena's outline and every finite point of the reference with a margin,
    with the path of its body centre over the window drawn faintly. Then, with models: the
    overlay, every model on the reference in the zoomed view, each model's offsets from
    the reference ``magnify`` times their size; and the error strip, each model's
    per-frame error (the mean over keypoints of the distance to the reference, in pixels)
    over the window, with a cursor at the current frame.

    Bottom row: every panel zoomed on the animal. In every frame the view is centred
    on the reference's body centre (the mean of its finite keypoints; where it has none,
    the last centre it had), the same view in every panel of the row, so a model that
    keeps only the position shows its error against the grey reference. The view is
    ``2 * 0.75`` body lengths across, the body length being the median over the window of
    the reference's first-to-last-keypoint distance. Its pixel coordinates change every
    frame, so it has no tick labels; a scale bar below it gives the size, and its grid
    lines are one scale bar apart. The trail shows where the head was in the image,
    cut off at the edge of the view.
    """
    stack, n_frames = check_inputs(panels, keypoints, frame_numbers, time_s, fps)
    if not np.isfinite(magnify) or magnify <= 0:
        raise InputError(f"render_reconstruction: magnify must be positive, got {magnify}")
    in_arena = stack[0] if arena_reference is None else np.asarray(arena_reference, float)
    if in_arena.shape != stack[0].shape:
        raise InputError(
            f"render_reconstruction: arena_reference has shape {in_arena.shape}, expected "
            f"{stack[0].shape}, the reference's"
        )
    seconds = np.asarray(time_s, dtype=np.float64)
    labels = CounterLabels(np.asarray(frame_numbers), seconds)
    centres, zoom_half = zoom_view(stack[0])
    outline = None if arena is None else np.asarray(arena, dtype=np.float64).reshape(-1, 2)
    shown = in_arena if outline is None else np.concatenate([in_arena.reshape(-1, 2), outline])
    names = [str(name) for name in panels]
    scene = Scene(
        names,
        view_limits(shown),
        zoom_half,
        title,
        labels.max_chars,
        colours=None if colours is None else [colours.get(name, "C0") for name in names[1:]],
        magnify=magnify,
        outline=outline,
        path=body_centres(in_arena),
        time_s=seconds,
        errors=list(frame_distances(stack[1:], stack[0])),
    )

    def frames():
        for i in tqdm(range(n_frames), disable=not progress, desc="video", unit="frame"):
            recent = slice(max(0, i - TRAIL_FRAMES), i + 1)
            heads = stack[:, recent, 0]
            scene.draw(
                stack[:, i], heads, centres[i], labels[i], in_arena[i], in_arena[recent, 0],
                seconds[i],
            )  # fmt: skip
            yield scene.canvas.buffer_rgba()  # redrawn in place: sent before the next

    return write_h264(frames(), scene.canvas.get_width_height(), fps, Path(out_path))


def check_inputs(
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
