"""Rendering pose videos: a readable MP4 comes out, poses show, bad input is refused."""

import imageio_ffmpeg
import numpy as np
import pytest

from killipose.video import render_reconstruction
from killipose.video.encode import write_h264
from killipose.video.geometry import view_limits, zoom_view
from killipose.video.layout import panel_grid
from killipose.video.scene import Scene

KEYPOINTS = ["snout", "midbody", "endbody", "tail", "fan"]
N_FRAMES = 30


def skeleton(n_frames: int, bend: float = 0.0, speed: float = 2.0) -> np.ndarray:
    """A 80 px fish swimming right along y = 200 at ``speed`` px/frame, tail bent by ``bend``."""
    arcs = np.array([0.0, 17.0, 46.0, 63.0, 80.0])
    angle = np.pi + bend * arcs / arcs[-1]
    body = arcs[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    head = np.stack([100.0 + speed * np.arange(n_frames), np.full(n_frames, 200.0)], axis=1)
    return head[:, None, :] + body[None, :, :]


def read_video(path) -> tuple[dict, list[np.ndarray]]:
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    frames = [np.frombuffer(f, np.uint8).reshape(height, width, 3) for f in reader]
    return meta, frames


def render(tmp_path, panels, name="video.mp4", **kwargs):
    n = len(next(iter(panels.values())))
    return render_reconstruction(
        panels,
        KEYPOINTS,
        frame_numbers=np.arange(n) + 1000,
        time_s=np.arange(n) / 20.0,
        out_path=tmp_path / name,
        **kwargs,
    )


def test_writes_an_h264_mp4_with_every_frame(tmp_path):
    original = skeleton(N_FRAMES)
    model = original + np.random.default_rng(0).normal(0.0, 3.0, original.shape)
    model[10:15, 2] = np.nan  # a keypoint the model lost: drawn as nothing, no error
    panels = {"original": original, "PCA": model, "linear AE": model + 2, "nonlinear AE": model}

    out = render(tmp_path, panels, title="test fish")

    assert out == tmp_path / "video.mp4"
    assert out.read_bytes()[4:8] == b"ftyp"  # the MP4 signature
    meta, frames = read_video(out)
    assert meta["codec"] == "h264"
    assert meta["fps"] == pytest.approx(20.0)
    assert len(frames) == N_FRAMES
    assert meta["size"] == (4 * 320, 768)  # multiples of 16: H.264 needs no rescaling
    assert [p.name for p in tmp_path.iterdir()] == ["video.mp4"]  # no temporary file left


def test_different_poses_give_different_frames(tmp_path):
    straight, bent = skeleton(N_FRAMES), skeleton(N_FRAMES, bend=1.2)
    # Hold the fish still so the two halves differ only in the pose (and the counter).
    straight[:] = straight[0]
    bent[:] = straight[0]
    bent[N_FRAMES // 2 :] = skeleton(N_FRAMES, bend=1.2)[0]
    _, frames = read_video(render(tmp_path, {"original": straight, "model": bent}))

    # The counter and the error strip's cursor change every frame; compare the bottom row.
    def panels_of(i):
        return frames[i][len(frames[i]) // 2 :].astype(int)

    same_pose = np.abs(panels_of(5) - panels_of(10)).mean()
    new_pose = np.abs(panels_of(5) - panels_of(25)).mean()
    assert new_pose > 5 * same_pose + 0.05


def test_only_one_panel_and_all_nan_frames_render(tmp_path):
    pose = skeleton(5)
    pose[2:] = np.nan
    _, frames = read_video(render(tmp_path, {"original": pose}))
    assert len(frames) == 5
    assert frames[0].shape == (672, 320, 3)


def test_zoomed_row_shows_a_tail_beat_that_the_whole_view_hardly_shows(tmp_path):
    # The fish crosses 300 px: the top row's view is wide, the tail small in it.
    still = skeleton(N_FRAMES, speed=10.0)
    # The tail, not the fan: the body length (snout to fan), so the zoom, stays the same.
    still[0, 3, 1] += 5.0  # so the whole view is the same in both videos
    beating = still.copy()
    beating[1:, 3, 1] += 5.0  # only the tail moves, by 5 px
    frames = {}
    for name, pose in (("still", still), ("beating", beating)):
        _, frames[name] = read_video(render(tmp_path, {"original": pose}, name=f"{name}.mp4"))
    height = frames["still"][0].shape[0]
    top, bottom = slice(100, int(0.45 * height)), slice(int(0.55 * height), height)

    def difference(rows, i=20):
        a, b = frames["still"][i][rows].astype(int), frames["beating"][i][rows].astype(int)
        return np.abs(a - b).mean()

    assert difference(bottom) > 0.1
    assert difference(bottom) > 2 * difference(top)


@pytest.mark.parametrize(
    ("n", "size", "slack_in"),
    [
        (1, (320, 672), 0.0),  # 0.85 + 2 * 2.46 + 0.55 + 0.4 = 6.72 in: a whole number of blocks
        # One model: three slots still (arena, overlay, error strip), the bottom row two.
        (2, (960, 752), 0.0),
        (4, (1280, 768), 0.06),
        (5, (1600, 768), 0.0),
    ],
)
def test_frame_is_rounded_up_to_macro_blocks_with_the_slack_below(n, size, slack_in):
    grid = panel_grid(n)
    assert (grid.width_px, grid.height_px) == size
    columns = size[0] // 320
    assert grid.columns == columns
    # Panels fill the width between the margins; the rows keep their gaps from the top.
    assert grid.side_in == pytest.approx((size[0] / 100 - 0.74 - (columns - 1) * 0.14) / columns)
    assert grid.top_row_in + grid.side_in == pytest.approx(size[1] / 100 - 0.85)
    assert grid.zoom_row_in == pytest.approx(0.4 + slack_in)
    left, bottom, width, height = grid.rect(1, columns - 1)
    assert left + width == pytest.approx(1 - 0.12 / grid.width_in)  # the right margin
    assert (bottom, width * size[0], height * size[1]) == pytest.approx(
        (grid.zoom_row_in / grid.height_in, 100 * grid.side_in, 100 * grid.side_in)
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"panels": {"original": skeleton(30), "PCA": skeleton(29)}}, "differ in shape"),
        ({"panels": {"original": skeleton(30)[:, :4]}}, "5 keypoints"),
        ({"panels": {"original": skeleton(0)}}, "zero frames"),
        ({"panels": {}}, "no panels"),
        ({"frame_numbers": np.arange(29)}, "frame_numbers"),
        ({"time_s": np.arange(31) / 20}, "time_s"),
        ({"fps": 0}, "fps"),
        ({"magnify": 0}, "magnify must be positive"),
        ({"arena_reference": skeleton(30)[:, :4]}, "arena_reference has shape"),
    ],
)
def test_bad_input_raises_before_writing(tmp_path, change, message):
    arguments = {
        "panels": {"original": skeleton(30), "PCA": skeleton(30)},
        "keypoints": KEYPOINTS,
        "frame_numbers": np.arange(30),
        "time_s": np.arange(30) / 20,
        "out_path": tmp_path / "video.mp4",
    }
    with pytest.raises(ValueError, match=message):
        render_reconstruction(**(arguments | change))
    assert list(tmp_path.iterdir()) == []


def test_failure_midway_leaves_no_file(tmp_path, monkeypatch):
    draw = Scene.draw
    calls = []

    def failing_draw(self, *args):
        calls.append(1)
        if len(calls) == 10:
            raise RuntimeError("boom")
        draw(self, *args)

    monkeypatch.setattr(Scene, "draw", failing_draw)
    with pytest.raises(RuntimeError, match="boom"):
        render(tmp_path, {"original": skeleton(N_FRAMES)})
    assert list(tmp_path.iterdir()) == []


def test_each_frame_is_drawn_with_the_head_s_last_21_positions_and_the_reference_centre(
    tmp_path, monkeypatch
):
    calls = []

    def record(self, *args):
        calls.append([np.copy(a) if isinstance(a, np.ndarray) else a for a in args])

    monkeypatch.setattr(Scene, "draw", record)
    original = skeleton(25)
    model = original + np.array([30.0, 5.0])
    in_arena = original + 1000.0  # as if the panels were postures in the body frame
    render(tmp_path, {"original": original, "model": model}, arena_reference=in_arena)

    assert [c[1].shape for c in calls] == [(2, min(i, 20) + 1, 2) for i in range(25)]
    poses, heads, centre, label, arena_pose, arena_heads, time_s = calls[24]
    np.testing.assert_array_equal(poses, [original[24], model[24]])
    np.testing.assert_array_equal(heads, [original[4:, 0], model[4:, 0]])  # oldest first
    np.testing.assert_allclose(centre, original[24].mean(axis=0))  # the reference's
    assert label == "frame 1024   t = 1.20 s"
    np.testing.assert_array_equal(arena_pose, in_arena[24])
    np.testing.assert_array_equal(arena_heads, in_arena[4:, 0])
    assert time_s == pytest.approx(1.2)  # where the error strip's cursor stands


def test_what_leaves_the_zoomed_view_does_not_reach_the_next_panel():
    original = skeleton(10, bend=0.8)
    pixels = {}
    for name, model in (("near", original), ("far", original + np.array([150.0, 20.0]))):
        stack = np.stack([original, model, original])
        centres, half = zoom_view(original)
        scene = Scene(["original", name, "same"], view_limits(stack), half, "", 9)
        scene.draw(stack[:, 8], stack[:, :9, 0], centres[8], "frame 8")
        x0, y0, x1, y1 = np.round(scene.axes[3].bbox.extents).astype(int)  # third, zoomed
        buffer = np.asarray(scene.canvas.buffer_rgba())
        pixels[name] = buffer[buffer.shape[0] - y1 : buffer.shape[0] - y0, x0:x1].copy()
    # The far model lies outside its own zoomed view: it is cut off there instead of
    # crossing the gap into the next panel, which shows the same as beside a near model.
    np.testing.assert_array_equal(pixels["near"], pixels["far"])


def test_a_long_title_shrinks_then_is_cut_short_before_the_counter():
    limits = ((0.0, 100.0), (100.0, 0.0))
    short = Scene(["original"], limits, 30.0, "fish 3", 25)
    (text,) = short.fig.texts[:1]
    assert (text.get_text(), text.get_fontsize()) == ("fish 3", 12)

    scene = Scene(["original"], limits, 30.0, "a very long title " * 10, 25)
    text = scene.fig.texts[0]
    assert text.get_fontsize() == 8
    assert text.get_text() == "a very l…"  # one panel leaves room for a few words
    assert text.get_text().endswith("…")
    # It starts 8 px from the left and ends at least 12 px before the counter.
    extent = text.get_window_extent(scene.canvas.get_renderer())
    assert extent.x0 == pytest.approx(8, abs=1)
    assert scene.counter_at[1] - 12 - 10 < extent.x1 <= scene.counter_at[1] - 12


def test_encoder_writes_the_frames_it_is_given(tmp_path):
    colours = [(255, 0, 0), (0, 0, 255), (255, 255, 255)]
    frames = [np.full((32, 48, 4), (*c, 255), dtype=np.uint8) for c in colours]
    out = write_h264(iter(frames), (48, 32), 10.0, tmp_path / "sub" / "colours.mp4")
    meta, decoded = read_video(out)
    assert meta["size"] == (48, 32)
    assert meta["fps"] == pytest.approx(10.0)
    assert len(decoded) == 3
    for frame, colour in zip(decoded, colours, strict=True):
        np.testing.assert_allclose(frame.mean(axis=(0, 1)), colour, atol=8)


def test_encoder_error_keeps_the_previous_video(tmp_path):
    out = tmp_path / "video.mp4"
    out.write_bytes(b"the previous video")

    def frames():
        yield np.zeros((32, 48, 4), dtype=np.uint8)
        raise RuntimeError("drawing failed")

    with pytest.raises(RuntimeError, match="drawing failed"):
        write_h264(frames(), (48, 32), 10.0, out)
    assert out.read_bytes() == b"the previous video"
    assert [p.name for p in tmp_path.iterdir()] == ["video.mp4"]


@pytest.fixture(scope="module")
def two_panels():
    """A scene of two poses, errors magnified 3 times, and its frame 20: poses, heads of
    frames 0-20, centre, label."""
    original = skeleton(21, bend=0.5, speed=3.0)
    stack = np.stack([original, original + np.array([4.0, 12.0])])
    centres, half = zoom_view(original)
    errors = [np.full(21, 12.6)]
    scene = Scene(
        ["original", "model"], view_limits(stack), half, "", 9, magnify=3.0,
        time_s=np.arange(21) / 20, errors=errors,
    )  # fmt: skip
    return scene, (stack[:, 20], stack[:, :, 0], centres[20], "frame 20")


def draw(two_panels, poses=None, heads=None, label=None, time_s=None) -> np.ndarray:
    """Frame 20 of ``two_panels`` with what is given changed: the RGB pixels."""
    scene, (default_poses, default_heads, centre, default_label) = two_panels
    scene.draw(
        default_poses if poses is None else poses,
        default_heads if heads is None else heads,
        centre,
        default_label if label is None else label,
        time_s=time_s,
    )
    return np.asarray(scene.canvas.buffer_rgba())[..., :3].copy()


def box(scene, a, ax):
    """The pixels of ``a`` inside ``ax``."""
    x0, y0, x1, y1 = np.round(ax.bbox.extents).astype(int)
    return a[len(a) - y1 : len(a) - y0, x0:x1]


def changed_panels(scene, a, b) -> list[int]:
    """The panels (0: arena; 1, 2: zoomed; 3: overlay) whose pixels differ between a and b."""
    return [k for k, ax in enumerate(scene.axes) if (box(scene, a, ax) != box(scene, b, ax)).any()]


def test_the_trail_shows_in_the_arena_and_the_bottom_row(two_panels):
    scene, (_, heads, _, _) = two_panels
    without = draw(two_panels, heads=heads[:, -1:])  # this frame's head only
    assert changed_panels(scene, draw(two_panels), without) == [0, 1, 2]


def test_the_reference_shows_in_its_panels_behind_the_model_and_in_the_overlay(two_panels):
    scene, (poses, _, _, _) = two_panels
    moved = poses.copy()
    moved[0, -1] += 6.0  # the reference's fan only
    assert changed_panels(scene, draw(two_panels), draw(two_panels, poses=moved)) == [0, 1, 2, 3]


def test_the_model_shows_in_its_panel_and_the_overlay_only(two_panels):
    scene, (poses, _, _, _) = two_panels
    moved = poses.copy()
    moved[1, -1] += 6.0
    assert changed_panels(scene, draw(two_panels), draw(two_panels, poses=moved)) == [2, 3]


def test_the_overlay_draws_the_model_s_offsets_magnified(two_panels):
    scene, (poses, _, centre, _) = two_panels
    draw(two_panels)
    x, y = scene.models[0].get_data()
    drawn = np.stack([x, y], axis=1).reshape(2, -1, 2)[:, ::3]  # keypoints: every third vertex
    rel = poses - centre
    expected = scene.to_display(np.stack([rel[1], rel[0] + 3.0 * (rel[1] - rel[0])]), [2, 3])
    # Inside the view only (a keypoint beyond it is not drawn).
    inside = np.isfinite(drawn).all(axis=2)
    assert inside[0].all() and inside[1].sum() >= 2
    np.testing.assert_allclose(drawn[inside], expected[inside], atol=1e-6)


def test_the_head_marker_is_red_at_the_head_in_every_panel(two_panels):
    scene, (poses, _, centre, _) = two_panels
    pixels = draw(two_panels)
    heads = np.concatenate([poses[:1, 0], poses[:, 0] - centre, poses[:1, 0] - centre])
    x, y = np.round(scene.to_display(heads)).astype(int).T
    np.testing.assert_array_equal(pixels[len(pixels) - 1 - y, x], [[214, 39, 40]] * 4)


def test_the_cursor_stands_at_the_frame_s_time_in_the_error_strip(two_panels):
    scene = two_panels[0]
    early, late = draw(two_panels, time_s=0.2), draw(two_panels, time_s=0.8)
    changed = np.nonzero((box(scene, early, scene.strip) != box(scene, late, scene.strip)).any(2))
    columns = changed[1] + round(scene.strip.bbox.x0)
    at = [scene.strip.transData.transform((t, 0))[0] for t in (0.2, 0.8)]
    # Only the columns at the two cursor positions changed (a line antialiased over 2 px).
    distance = np.minimum(abs(columns - at[0]), abs(columns - at[1]))
    assert distance.max() < 2
    assert abs(columns - at[0]).min() < 1 and abs(columns - at[1]).min() < 1
    assert changed_panels(scene, early, late) == []


def test_the_error_strip_draws_each_model_s_error_with_its_mean(two_panels):
    scene = two_panels[0]
    (line,) = scene.strip.get_lines()
    np.testing.assert_array_equal(line.get_ydata(), np.full(21, 12.6))
    assert line.get_label() == "model: mean 12.60 px"
    assert scene.strip.get_ylim()[1] == pytest.approx(1.15 * 12.6)


def test_the_arena_panel_draws_the_outline_it_is_given():
    original = skeleton(5)
    limits = view_limits(original)
    square = np.array([[0.0, 0.0], [400.0, 0.0], [400.0, 400.0], [0.0, 400.0]])
    with_outline = Scene(["original", "m"], limits, 40.0, "", 9, outline=square)
    without = Scene(["original", "m"], limits, 40.0, "", 9)
    (line,) = with_outline.axes[0].get_lines()
    np.testing.assert_array_equal(line.get_xydata(), np.vstack([square, square[:1]]))
    assert without.axes[0].get_lines() == []


def test_the_counter_changes_only_its_last_digit(two_panels):
    scene = two_panels[0]
    a, b = draw(two_panels), draw(two_panels, label="frame 21")
    rows, columns = np.nonzero((a != b).any(axis=2))
    top, left = scene.counter_at
    assert len(rows) > 0
    assert top <= rows.min() <= rows.max() < top + scene.counter.height
    # "frame 2[0]" -> "frame 2[1]": the eighth character's cell.
    assert (
        left + 7 * scene.counter.pitch
        <= columns.min()
        <= columns.max()
        < left + scene.counter.width(8)
    )
