"""Frames to an H.264 MP4, through the ffmpeg binary bundled with ``imageio-ffmpeg``.

Neither a system ffmpeg nor a display is needed, and the file appears only when complete.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import imageio_ffmpeg

from killipose.files import atomic_path

#: H.264 encodes 16x16 macro blocks; a frame whose sides are multiples of 16 is encoded
#: as it is instead of being rescaled by ffmpeg.
MACRO_BLOCK = 16


def write_h264(frames: Iterable, size: tuple[int, int], fps: float, out_path: Path) -> Path:
    """Encode RGBA frames into the MP4 ``out_path``, atomically.

    Parameters
    ----------
    frames
        Each frame's pixels, ``(height, width, 4)`` uint8 RGBA, top row first (anything
        with the buffer protocol, e.g. an Agg canvas's ``buffer_rgba()``). Each is sent to
        ffmpeg before the next is asked for, so one buffer may be redrawn in place.
    size
        ``(width, height)`` in pixels; multiples of :data:`MACRO_BLOCK`, or ffmpeg
        rescales the frames.
    fps
        Playback rate in frames per second.
    out_path
        The ``.mp4`` to write; parent folders are created. The video is written to a
        temporary file beside it and renamed; on any error (also one raised while
        ``frames`` makes a frame) the temporary file is removed and ``out_path`` is left
        as it was.

    Returns
    -------
    ``out_path``: H.264 in yuv420p (plays in browsers) at ``fps``, one frame per frame.
    """
    with atomic_path(out_path) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp),
            size,
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
            for frame in frames:
                writer.send(frame)
        finally:
            # Closing waits for ffmpeg to finish the file, also after an error, so that no
            # ffmpeg outlives this call; atomic_path then discards the temporary file.
            writer.close()
        if tmp.stat().st_size == 0:
            raise RuntimeError(f"ffmpeg wrote nothing for {out_path}; see its messages above")
    return out_path
