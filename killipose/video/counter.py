"""The frame counter of the videos: its text, and the glyphs that stamp it into a frame."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.transforms import IdentityTransform


class CounterLabels:
    """The ``frame N   t = S.SS s`` text of each frame, at one fixed width so it stays put.

    ``frame_numbers`` and ``time_s`` (seconds) are ``(frames,)``; ``labels[i]`` is frame
    ``i``'s text and ``max_chars`` the length of every one of them.
    """

    def __init__(self, frame_numbers: np.ndarray, time_s: np.ndarray):
        self.frame_numbers = frame_numbers
        self.time_s = time_s
        self.number_width = max(len(format_number(v)) for v in widest_values(frame_numbers))
        self.time_width = max(len(f"{v:.2f}") for v in widest_values(time_s))
        self.max_chars = len(self[0])

    def __getitem__(self, i: int) -> str:
        number = format_number(self.frame_numbers[i])
        return f"frame {number:>{self.number_width}}   t = {self.time_s[i]:>{self.time_width}.2f} s"


def format_number(value) -> str:
    """A frame number as an integer, also when it arrives as a float (NaN stays 'nan')."""
    value = float(value)
    return f"{value:.0f}" if np.isfinite(value) else str(value)


def widest_values(values: np.ndarray) -> list[float]:
    """The values whose text is widest: the smallest, the largest and NaN/inf if present."""
    values = values.astype(np.float64)
    finite = values[np.isfinite(values)]
    out = [float(v) for v in values[~np.isfinite(values)][:1]]
    if len(finite):
        out += [float(finite.min()), float(finite.max())]
    return out or [0.0]


class GlyphStamp:
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
