"""Side-by-side videos of a pose and its reconstructions by several models.

Two rows of panels: the top row shows the whole window in fixed image pixels, the bottom
row the same panels zoomed on the fish, the view centred on the reference's body centre
in every frame, so that the tail beat is as visible as the position.

Modules, from the pixels up: ``geometry`` (pure numpy: views, clipping, polylines),
``counter`` (the frame counter's text and glyphs), ``layout`` (the still parts of the
figure, in inches), ``scene`` (the figure drawn once and the artists redrawn every frame),
``encode`` (frames to H.264 through the bundled ffmpeg) and ``render`` (the entry).
"""

from killipose.video.render import render_reconstruction

__all__ = ["render_reconstruction"]
