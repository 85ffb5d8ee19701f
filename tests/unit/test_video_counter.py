"""The frame counter: one width for every frame's text, glyphs stamped where they belong."""

import numpy as np
import pytest

from killipose.video.counter import CounterLabels, GlyphStamp

NAN = np.nan


@pytest.mark.parametrize(
    ("frames", "times", "labels"),
    [
        (
            [998.0, 1000.0, NAN],  # floats shown as integers; NaN as 'nan'
            [0.0, 49.95, 100.0],
            ["frame  998   t =   0.00 s", "frame 1000   t =  49.95 s", "frame  nan   t = 100.00 s"],
        ),
        ([-5, 3], [-0.5, 0.25], ["frame -5   t = -0.50 s", "frame  3   t =  0.25 s"]),
        ([5.0, NAN], [0.0, 0.5], ["frame   5   t = 0.00 s", "frame nan   t = 0.50 s"]),
        ([7], [0.004], ["frame 7   t = 0.00 s"]),
    ],
)
def test_labels_are_right_aligned_to_the_widest_value(frames, times, labels):
    counter = CounterLabels(np.array(frames), np.array(times, dtype=np.float64))
    assert [counter[i] for i in range(len(frames))] == labels
    assert counter.max_chars == len(labels[0])


@pytest.fixture(scope="module")
def glyphs():
    return GlyphStamp(11, 100)


def white(height=40, width=120):
    return np.full((height, width, 4), 255, dtype=np.uint8)


def test_stamp_writes_each_glyph_one_pitch_apart_and_skips_blanks(glyphs):
    cell = glyphs.pitch + 2 * glyphs.PAD
    buffer = white()
    glyphs.stamp(buffer, "1 ?2", 5, 10)  # '?' has no glyph: blank, as is the space
    expected = white()
    for k, ch in ((0, "1"), (3, "2")):
        x = 10 + k * glyphs.pitch
        expected[5 : 5 + glyphs.height, x : x + cell] = glyphs.glyphs[ch]
    np.testing.assert_array_equal(buffer, expected)
    assert buffer.min() < 128  # the glyphs are dark


def test_stamp_darkens_only_and_is_cut_at_the_buffer_edge(glyphs):
    buffer = white(glyphs.height - 3, 2 * glyphs.pitch)
    buffer[:, :, :3] = 100  # darker than a glyph's background
    glyphs.stamp(buffer, "888", 0, glyphs.pitch)
    assert (buffer[:, :, :3] <= 100).all()
    assert (buffer[:, glyphs.pitch :, :3] < 100).any()  # the first 8, cut off below
    assert (buffer[:, : glyphs.pitch, :3] == 100).all()  # left of it untouched


def test_stamp_above_or_left_of_the_buffer_starts_at_its_corner(glyphs):
    at_corner, beyond = white(), white()
    glyphs.stamp(at_corner, "42", 0, 0)
    glyphs.stamp(beyond, "42", -5, -3)
    np.testing.assert_array_equal(beyond, at_corner)


def test_width_covers_the_text_and_its_padding(glyphs):
    assert glyphs.width(0) == 2 * glyphs.PAD
    assert glyphs.width(25) - glyphs.width(24) == glyphs.pitch
