"""Movement per frame from the cleaned keypoints, and the codes' correlations with it."""

import numpy as np
import pandas as pd
import pytest

from killipose import clean_table
from killipose.cli import main
from killipose.kinematics import (
    BEAT_BAND_DEG,
    BEAT_WINDOW_S,
    KINEMATICS,
    code_correlations,
    code_map,
    kinematics,
    swimming,
    tail_beat,
)
from killipose.metrics import frame_errors
from killipose.plots.day import day_figure
from killipose.plots.latents import code_map_figure
from killipose.synthetic import _behaviour, make_killifish_table
from tests.helpers import LinearStandIn

FPS = 20.0


def swimmer(n=200, bend_deg=0.0):
    """A 3-keypoint body, head first, 10 px segments: its centre moves at (30, 40) px/s
    (50 px/s) and it turns at 0.5 rad/s; the tail segment is bent by ``bend_deg`` (one
    angle, or one per frame)."""
    t = np.arange(n) / FPS
    centre = np.stack([100 + 30 * t, 80 + 40 * t], axis=1)
    heading = 0.5 * t
    forward = np.stack([np.cos(heading), np.sin(heading)], axis=1)
    back = np.stack(
        [np.cos(heading + np.radians(bend_deg)), np.sin(heading + np.radians(bend_deg))], axis=1
    )
    points = {"head": 10 * forward, "mid": 0 * forward, "tail": -10 * back}
    mean = sum(points.values()) / 3  # the body centre is the keypoints' mean
    table = {"frame_timestamp": 1000.0 + t}
    for name, p in points.items():
        table[f"x_{name}"], table[f"y_{name}"] = (centre + p - mean).T
    return pd.DataFrame(table), t, heading


@pytest.mark.parametrize("bend", [0.0, 30.0])
def test_speed_heading_turning_and_bend_of_a_known_swimmer(bend):
    table, t, heading = swimmer(bend_deg=bend)
    moves = kinematics(clean_table(table, max_jump=1000))
    assert list(moves.columns) == list(KINEMATICS)
    inner = moves.iloc[1:]
    np.testing.assert_allclose(inner["speed"], 50, rtol=1e-2)  # not 0 px/s, not 50**2
    np.testing.assert_allclose(inner["turn_speed"], np.degrees(0.5), rtol=1e-3)
    np.testing.assert_allclose(inner["bend"], -bend, atol=1e-6)  # head segment vs tail's
    np.testing.assert_allclose(inner["bend_size"], bend, atol=1e-6)
    np.testing.assert_array_equal(moves["tail_beat"], 0.0)  # a steady bend does not beat
    assert np.isnan(moves.loc[0, "speed"]) and np.isnan(moves.loc[0, "turn_speed"])
    # the heading from the body centre to the head: along the body for a straight one
    if bend == 0:
        np.testing.assert_allclose(moves["heading_cos"], np.cos(heading), atol=1e-6)
        np.testing.assert_allclose(moves["heading_sin"], np.sin(heading), atol=1e-6)
    np.testing.assert_allclose(moves["x"], 100 + 30 * t, atol=1e-6)


@pytest.mark.parametrize("freq", [1.3, 3.7])
def test_tail_beat_of_a_swimmer_whose_tail_swings_at_a_known_frequency(freq):
    n = 600  # 30 s
    t = np.arange(n) / FPS
    table, *_ = swimmer(n, bend_deg=25 + 20 * np.sin(2 * np.pi * freq * t))
    table = table[np.arange(n) % 4 != 1]  # the camera drops every 4th frame
    clean = clean_table(table, max_jump=1000)
    assert clean.fps == pytest.approx(FPS)
    beat = kinematics(clean)["tail_beat"].to_numpy()
    inner = (clean.frame["time_s"] > 1) & (clean.frame["time_s"] < 29)  # a whole window
    # whole swings in a 2 s window: within a quarter of a beat per second of the truth
    step = 1 / (2 * BEAT_WINDOW_S)
    assert np.abs(beat[inner] - freq).max() <= step + 0.05
    assert np.median(beat[inner]) == pytest.approx(freq, abs=0.1)


def test_tail_beat_counts_swings_past_the_band_between_neighbouring_frames():
    t = np.arange(400) / FPS
    wave = np.sin(2 * np.pi * 2.0 * t)
    assert (tail_beat(0.9 * BEAT_BAND_DEG * wave, t, FPS) == 0).all()  # noise, not beats
    np.testing.assert_allclose(np.median(tail_beat(1.2 * BEAT_BAND_DEG * wave, t, FPS)), 2.0)
    # one dropped camera frame between two rows (2 frames apart) keeps them neighbours;
    # two dropped (3 frames apart) do not, so no window holds a swing
    every_other, every_third = slice(None, None, 2), slice(None, None, 3)
    beat = tail_beat(20 * wave[every_other], t[every_other], FPS)
    assert np.median(beat) == pytest.approx(2.0, abs=0.1)
    assert np.isnan(tail_beat(20 * wave[every_third], t[every_third], FPS)).all()
    # a bend that is on the other side after a gap was not seen to swing
    sides = np.r_[np.full(30, 20.0), np.full(10, np.nan), np.full(30, -20.0)]
    beat = tail_beat(sides, t[:70], FPS)
    assert np.isfinite(beat[[29, 40]]).all() and (beat[np.isfinite(beat)] == 0).all()


def test_tail_beat_is_nan_without_a_bend_or_half_a_window_of_frames():
    t = np.arange(200) / FPS
    wave = 20 * np.sin(2 * np.pi * 2.0 * t)
    bend = wave.copy()
    bend[[30, 150]] = np.nan
    bend[60:100] = np.nan  # a 2 s gap
    beat = tail_beat(bend, t, FPS)
    assert np.isnan(beat[[30, 150]]).all() and np.isnan(beat[60:100]).all()
    assert np.isfinite(beat[[29, 31, 57, 102, 149, 151]]).all()  # 1.1 s or more of frames
    # the window must hold half its length (1 s) between neighbouring frames with a bend:
    # a run of 22 frames spans 1.05 s, one of 20 frames 0.95 s
    for frames, known in [(20, False), (22, True)]:
        alone = np.full(200, np.nan)
        alone[50 : 50 + frames] = wave[50 : 50 + frames]
        assert np.isfinite(tail_beat(alone, t, FPS)[60]) == known
    # two keypoints have no bend, so no tail beat
    table, *_ = swimmer(n=100)
    moves = kinematics(clean_table(table.drop(columns=["x_mid", "y_mid"]), max_jump=1000))
    assert moves["bend"].isna().all() and moves["tail_beat"].isna().all()


def test_tail_beat_follows_the_synthetic_fish():
    frames, fps, seed = 20_000, 20.0, 0
    clean = clean_table(make_killifish_table(frames=frames, fps=fps, seed=seed))
    beat = kinematics(clean)["tail_beat"].to_numpy()
    # the generator's first draw is the behaviour, with the true beat of each camera frame;
    # a row's camera frame is its time at the generator's fps (clean.fps is estimated from
    # jittered timestamps: over a long table it drifts by frames)
    _, truth, _ = _behaviour(np.random.default_rng(seed), frames + 1, fps)
    truth = truth[np.rint(clean.frame["time_s"].to_numpy() * fps).astype(int)]
    known = np.isfinite(beat)
    assert known.sum() > 0.99 * clean.frame["valid"].sum()  # NaN little beyond the bend's
    swims = known & (truth > 0.5)  # resting, it fans at 0.5 Hz
    # measured: 0.19 Hz off while swimming (2.7 if doubled) and r 0.87 over all frames
    # (-0.34 without the band: at rest, noise crossing the mean would read as fast beats)
    assert np.median(np.abs(beat[swims] - truth[swims])) < 0.35
    assert np.corrcoef(beat[known], truth[known])[0, 1] > 0.75


def test_correlations_put_each_code_with_what_it_follows():
    table, *_ = swimmer(n=400)
    moves = kinematics(clean_table(table, max_jump=1000))
    latent = pd.DataFrame(
        {"frame": np.arange(400), "z1": 2 * moves["x"] + 1, "z2": -moves["heading_sin"]}
    )
    latent.loc[5, "z1"] = np.nan  # an invalid frame is left out, not a failure
    r = code_correlations(latent, moves)
    assert r.loc["z1", "x"] == pytest.approx(1.0)
    assert r.loc["z2", "heading_sin"] == pytest.approx(-1.0)
    assert list(r.index) == ["z1", "z2"] and r.attrs["frames"] == 398  # row 0 has no speed
    # Two keypoints have no bend: it is left out, and the rest still correlate.
    moves[["bend", "bend_size", "tail_beat"]] = np.nan
    r = code_correlations(latent, moves)
    assert "bend" not in r.columns and r.attrs["frames"] == 398
    assert r.loc["z1", "x"] == pytest.approx(1.0)


def test_code_kinematics_writes_a_table_per_model_and_checks_the_rows(tmp_path, capsys):
    table, *_ = swimmer(n=300)
    clean = clean_table(table, max_jump=1000)
    clean.save(tmp_path / "clean")
    moves = kinematics(clean)
    latent = pd.DataFrame({"z1": moves["x"], "z2": moves["speed"]})
    latent.to_parquet(tmp_path / "pca.parquet")
    out = tmp_path / "codes.html"
    args = ["code-kinematics", str(tmp_path / "clean"), str(out)]
    assert main([*args, "--latent", f"pca={tmp_path / 'pca.parquet'}"]) == 0
    page = out.read_text()
    assert "PCA (r over" in page and "<b>+1.00</b>" in page
    latent.iloc[:10].to_parquet(tmp_path / "short.parquet")
    assert main([*args, "--latent", f"pca={tmp_path / 'short.parquet'}"]) == 2
    assert "short.parquet: 10 rows, the cleaned table has 300" in capsys.readouterr().err


def test_swimming_is_faster_than_half_a_body_length_per_second():
    table, *_ = swimmer(n=200)  # body 20 px head to tail
    clean = clean_table(table, max_jump=1000)
    speed = pd.Series([np.nan, 9.9, 10.1, 0.0] + [50.0] * (len(clean.frame) - 4))
    state = swimming(clean, speed)
    assert np.isnan(state[0])  # unknown speed, unknown state
    assert list(state[1:4]) == [0.0, 1.0, 0.0]  # 0.5 x 20 px = 10 px/s


def test_frame_errors_are_each_frames_mean_keypoint_distance_in_pixels(pose_table):
    clean = clean_table(pose_table)
    model = LinearStandIn(1, features=len(clean.features))
    errors = frame_errors(model, clean, chunk=7)  # chunks that do not divide the frames
    valid = clean.frame["valid"].to_numpy()
    X = clean.matrix()
    rebuilt = clean.to_pixels(model.inverse_transform(model.transform(X))).reshape(len(X), -1, 2)
    expected = np.linalg.norm(rebuilt - clean.to_pixels(X).reshape(len(X), -1, 2), axis=2)
    np.testing.assert_allclose(errors[valid], expected.mean(axis=1), rtol=1e-5)
    assert np.isnan(errors[~valid]).all()


def test_day_figure_shows_activity_errors_over_time_and_rest_against_swimming():
    n = 2400
    frames = pd.DataFrame(
        {
            "time_s": np.arange(n) * 3.5,  # 2.3 h
            "split": ["train"] * 2160 + ["test"] * 240,
            "speed": np.tile([0.0, 20.0], n // 2),
            "swimming": np.tile([0.0, 1.0], n // 2),
            "error_nonlinear": np.tile([1.0, 3.0], n // 2),
            "error_pca": np.tile([2.0, 4.0], n // 2),
        }
    )
    fig = day_figure(frames, "fish")
    activity, errors, states = fig.axes[:3]
    (share,) = activity.get_lines()
    np.testing.assert_allclose(share.get_ydata(), 0.5)  # half the frames swim in every span
    assert errors.get_xlabel() == "time since the first frame (h)"
    labels = [line.get_label() for line in errors.get_lines()]
    assert labels == ["PCA", "nonlinear AE"]  # registry order
    np.testing.assert_allclose(errors.get_lines()[0].get_ydata(), 3.0)  # mean of 2 and 4
    heights = [bar.get_height() for bar in states.patches]
    assert heights == [2.0, 4.0, 1.0, 3.0]  # PCA rest, swim; nonlinear rest, swim
    assert [t.get_text() for t in states.get_xticklabels()] == [
        "at rest (120 frames)",
        "swimming (120)",
    ]


def test_code_map_draws_frames_with_a_seed_and_keeps_their_speed_and_hour():
    n = 400
    moves = pd.DataFrame({"speed": np.r_[np.nan, np.arange(1.0, n)]})
    latent = pd.DataFrame({"z1": np.sin(np.arange(n)), "z2": np.cos(np.arange(n))})
    latent.loc[3, "z1"] = np.nan  # no code: never drawn
    time_s = pd.Series(86_400 * 3 + 3600 * 5.5 + np.arange(n))  # 05:30 on the third day
    a = code_map(latent, moves, time_s, samples=50, seed=1)
    b = code_map(latent, moves, time_s, samples=50, seed=1)
    pd.testing.assert_frame_equal(a, b)  # the same draw and the same map
    assert len(a) == 50 and list(a.columns) == ["x", "y", "speed", "hour"]
    rows = a["speed"].astype(int).to_numpy()  # speed = row number here
    assert not {0, 3} & set(rows) and (np.diff(rows) > 0).all()
    np.testing.assert_allclose(a["hour"], 5.5 + rows / 3600)
    assert not a["speed"].equals(code_map(latent, moves, time_s, 50, seed=2)["speed"])
    assert len(code_map(latent, moves, time_s, samples=10_000, seed=1)) == n - 2


def test_code_map_figure_has_a_row_per_model_coloured_by_speed_and_hour():
    frame = pd.DataFrame({"x": [0.0, 1], "y": [1.0, 0], "speed": [2.0, 5], "hour": [1.0, 23]})
    fig = code_map_figure({"pca": frame, "nonlinear": frame}, "fish")
    maps = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(maps) == 4
    assert [ax.get_ylabel() for ax in maps[::2]] == ["PCA", "nonlinear AE"]
    np.testing.assert_allclose(maps[1].collections[0].get_array(), [1, 23])
    assert maps[1].collections[0].get_clim() == (0, 24)
