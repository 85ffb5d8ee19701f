"""The figure and video commands, run in this process on small prepared data: what each
writes, and the one-line error for each mistake a user can make with them."""

import html
import json
import runpy
import sys

import imageio_ffmpeg
import numpy as np
import pandas as pd
import pytest

from killipose import clean_table
from killipose.cli import main
from killipose.mnist import write_idx
from tests.helpers import DATA, assert_drawn, make_pose_table

FIT = ("--seed", "0", "--threads", "1")


@pytest.fixture(scope="module")
def pose(tmp_path_factory):
    """A cleaned 3-keypoint table, PCA and a short linear AE at 2-D, and their latents."""
    root = tmp_path_factory.mktemp("pose")
    clean_table(make_pose_table(n=600)).save(root / "clean")
    for model in ("pca", "linear"):
        out = root / model
        args = ["fit", str(root / "clean"), str(out), "--model", model, "--latent-dim", "2"]
        short = ["--param", "epochs=2", "--param", "min_steps=0"] if model != "pca" else []
        assert main([*args, *FIT, *short]) == 0
        assert (
            main(["embed", str(root / "clean"), str(out / "model.pt"), str(out / "latent.parquet")])
            == 0
        )
    return root


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """A prepared folder of 300 made-up digits and a 2-D PCA of them, with its latents."""
    root = tmp_path_factory.mktemp("digits")
    rng = np.random.default_rng(0)
    labels = (np.arange(300) % 10).astype(np.uint8)
    images = rng.integers(0, 60, (300, 28, 28), dtype=np.uint8)
    images[np.arange(300), 2 * labels + 3, 4:24] = 255  # each digit its own stroke
    write_idx(images, root / "t10k-images-idx3-ubyte")
    write_idx(labels, root / "t10k-labels-idx1-ubyte")
    assert main(["prepare-mnist", str(root), str(root / "clean"), "--seed", "0"]) == 0
    for model in ("pca", "linear"):
        out = root / model
        args = ["fit", str(root / "clean"), str(out), "--model", model, "--latent-dim", "2", *FIT]
        assert main(args if model == "pca" else [*args, "--param", "min_steps=50"]) == 0
        assert (
            main(["embed", str(root / "clean"), str(out / "model.pt"), str(out / "latent.parquet")])
            == 0
        )
    return root


MODELS = ("pca", "linear")


def model_args(pose) -> list[str]:
    return [a for m in MODELS for a in ("--model", f"{m}={pose / m / 'model.pt'}")]


def test_choose_window_takes_the_test_block_s_stretch_where_the_models_differ_most(pose, tmp_path):
    out = tmp_path / "window.json"
    assert (
        main(["choose-window", str(pose / "clean"), str(out), *model_args(pose), "--frames", "20"])
        == 0
    )
    chosen = json.loads(out.read_text())
    frame = pd.read_parquet(pose / "clean" / "table.parquet")
    test = np.flatnonzero(frame["split"] == "test")
    rows = range(chosen["start"], chosen["start"] + 20)
    assert chosen["frames"] == 20 and set(rows) <= set(test)
    assert chosen["test_rows"] == [test[0], test[-1]]
    assert chosen["camera_frames"] == frame["frame"].iloc[[rows[0], rows[-1]]].tolist()
    # PCA and the 2-epoch linear AE differ more in these rows than over the test block
    # (that no window differs more: metrics.contrast_window's tests).
    errors = chosen["error_px"]
    here = abs(errors["PCA"] - errors["linear AE"])
    assert here > abs(chosen["test_error_px"]["PCA"] - chosen["test_error_px"]["linear AE"])
    assert "which no model was fitted on" in chosen["why"]
    assert f"rows {rows[0]:,}-{rows[-1]:,}" in chosen["why"]

    configured = tmp_path / "configured.json"
    args = ["choose-window", str(pose / "clean"), str(configured), "--frames", "50"]
    assert main([*args, "--start", "590"]) == 0
    chosen = json.loads(configured.read_text())
    assert (chosen["start"], chosen["frames"]) == (590, 10)  # the window stops at the last row
    assert "the rows the config sets" in chosen["why"]


def test_animate_renders_the_window_of_each_model(pose, tmp_path):
    out, window = tmp_path / "a.mp4", tmp_path / "w.json"
    args = ["choose-window", str(pose / "clean"), str(window), "--frames", "50"]
    assert main([*args, "--start", "590"]) == 0
    assert (
        main(["animate", str(pose / "clean"), str(out), *model_args(pose), "--window", str(window)])
        == 0
    )
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    assert sum(1 for _ in reader) == 10  # the window stops at the last row
    assert meta["size"] == (960, 752)  # arena, overlay, error strip; original, PCA, linear
    page = tmp_path / "a.html"
    assert main(["video-page", str(out), str(page), "--title", "T", "--window", str(window)]) == 0
    assert "<video" in page.read_text()
    assert "rows 590-599 of the cleaned table" in page.read_text()


def test_animate_chooses_its_window_and_writes_its_page_as_the_other_commands_do(pose, tmp_path):
    """The workflow's one job for the window, the video and its page."""
    clean, window = str(pose / "clean"), tmp_path / "window.json"
    assert main(["choose-window", clean, str(window), *model_args(pose), "--frames", "20"]) == 0
    out, chosen, page = tmp_path / "a.mp4", tmp_path / "chosen.json", tmp_path / "a.html"
    args = ["animate", clean, str(out), *model_args(pose), "--title", "T"]
    assert main([*args, "--choose", str(chosen), "--frames", "20", "--page", str(page)]) == 0
    assert json.loads(chosen.read_text()) == json.loads(window.read_text())
    assert sum(1 for _ in imageio_ffmpeg.read_frames(str(out))) - 1 == 20
    text = page.read_text()
    assert "<video" in text and "<title>T</title>" in text
    assert html.escape(json.loads(window.read_text())["why"]) in text


def test_a_window_is_a_file_or_a_start_and_frames(pose, tmp_path, capsys):
    out = tmp_path / "w.png"
    latent = ["--latent", f"pca={pose / 'pca/latent.parquet'}"]
    assert main(["plot-latents", str(out), *latent, "--start", "3"]) == 2
    assert "give the rows shown: --window FILE, or --start and --frames" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"start": "x"}')
    assert main(["plot-latents", str(out), *latent, "--window", str(bad)]) == 2
    assert "bad.json: not a window file" in capsys.readouterr().err
    assert not out.exists()
    video, both = tmp_path / "v.mp4", ["--choose", str(tmp_path / "c.json"), "--window", str(bad)]
    assert main(["animate", str(pose / "clean"), str(video), *model_args(pose), *both]) == 2
    assert "--choose takes --frames (and --start), not --window" in capsys.readouterr().err
    assert not video.exists() and not (tmp_path / "c.json").exists()


@pytest.mark.parametrize(
    ("start", "frames", "message"),
    [
        (-1, 10, "animation window must have start >= 0 and frames > 0, got -1, 10"),
        (0, 0, "animation window must have start >= 0 and frames > 0, got 0, 0"),
        (600, 10, "animation start 600 is past the last frame"),
    ],
)
def test_a_bad_window_is_one_line(pose, tmp_path, capsys, start, frames, message):
    out = tmp_path / "w.png"
    latent = f"pca={pose / 'pca/latent.parquet'}"
    args = ["plot-latents", str(out), "--latent", latent, "--start", str(start)]
    assert main([*args, "--frames", str(frames)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_plot_latents_draws_one_or_several_models(pose, tmp_path):
    one, both = tmp_path / "one.png", tmp_path / "both.png"
    pca, linear = (f"{m}={pose / m / 'latent.parquet'}" for m in ("pca", "linear"))
    window = ["--start", "0", "--frames", "300"]
    assert main(["plot-latents", str(one), "--latent", pca, *window]) == 0
    assert main(["plot-latents", str(both), "--latent", pca, "--latent", linear, *window]) == 0
    assert_drawn(one, 2)  # the traces and the (z1, z2) path
    assert_drawn(both, 2)  # a column per model


def test_compare_writes_the_table_and_the_kinds_figure(pose, digits, tmp_path):
    for name, root in (("pose", pose), ("digits", digits)):
        metrics = [str(root / m / "metrics.json") for m in ("pca", "linear")]
        figure, csv, page = (tmp_path / f"{name}.{s}" for s in ("png", "csv", "html"))
        args = [
            "compare",
            *metrics,
            "--figure",
            str(figure),
            "--csv",
            str(csv),
            "--html",
            str(page),
        ]
        assert main(args) == 0
        assert list(pd.read_csv(csv)["model"]) == ["pca", "linear"]
        assert_drawn(figure, 3)
    # The page says how to read the numbers of its kind of data.
    assert "z-scores" in (tmp_path / "pose.html").read_text()
    assert "per pixel" in (tmp_path / "digits.html").read_text()
    assert json.loads((digits / "pca" / "metrics.json").read_text())["kind"] == "mnist"


def test_digit_figures(digits, tmp_path):
    clean = str(digits / "clean")
    pca, linear = (digits / m / "model.pt" for m in ("pca", "linear"))
    out = tmp_path / "r.png"
    assert main(["mnist-reconstructions", clean, str(out), "--model", f"pca={pca}"]) == 0
    assert_drawn(out)
    maps, grid = tmp_path / "map.png", tmp_path / "grid.png"
    args = [
        "mnist-maps",
        str(maps),
        str(grid),
        "--model",
        f"pca={pca}",
        "--model",
        f"linear={linear}",
    ]
    latents = [f"--latent={m}={digits / m / 'latent.parquet'}" for m in ("pca", "linear")]
    assert main([*args, *latents]) == 0
    assert_drawn(maps, 2) and assert_drawn(grid, 2)
    line = tmp_path / "i.png"
    args = [
        "mnist-interpolation",
        clean,
        str(line),
        "--model",
        f"linear={linear}",
        "--digits",
        "3,8",
    ]
    assert main(args) == 0
    assert_drawn(line)


def test_commands_refuse_the_other_kinds_data(pose, digits, tmp_path, capsys):
    out = tmp_path / "x.png"
    args = ["mnist-reconstructions", str(pose / "clean"), str(out), "--model", "pca=p.pt"]
    assert main(args) == 2
    assert f"{pose / 'clean'}: holds pose data, this command needs mnist" in capsys.readouterr().err
    args = ["animate", str(digits / "clean"), str(out), "--start", "0", "--frames", "5"]
    assert main(args) == 2
    assert "holds mnist data, this command needs pose" in capsys.readouterr().err
    assert (
        main(
            [
                "plot-latents",
                str(out),
                "--latent",
                "no-equals-sign",
                "--start",
                "0",
                "--frames",
                "5",
            ]
        )
        == 2
    )
    assert "takes NAME=PATH, got 'no-equals-sign'" in capsys.readouterr().err
    assert not out.exists()


def test_python_dash_m_runs_the_command(monkeypatch, capsys):
    path = DATA / "deeplabcut" / "CollectedData_JohnDoe.csv"
    monkeypatch.setattr(sys, "argv", ["killipose", "info", str(path)])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_module("killipose.cli", run_name="__main__")
    assert exit_.value.code == 0
    assert "deeplabcut" in capsys.readouterr().out
