"""What a VAE generates: the latent walk, decoded poses, the MNIST figures, the commands."""

from statistics import NormalDist

import imageio_ffmpeg
import matplotlib.image as mpimg
import numpy as np
import pytest

from killipose import InputError, models, video
from killipose.cleaning import clean_table
from killipose.cli import main
from killipose.generation import GENERATED_PANEL, decode_poses, latent_walk, prior_grid
from killipose.mnist import load_mnist
from killipose.synthetic import make_killifish_table
from tests.helpers import ROOT

SHIPPED = ROOT / "data" / "mnist"
TINY = {"epochs": 2, "batch_size": 128, "device": "cpu"}


@pytest.fixture(scope="module")
def pose(tmp_path_factory):
    """A cleaned synthetic fish table, a tiny 2-D VAE of it and a PCA, saved."""
    root = tmp_path_factory.mktemp("pose")
    clean = clean_table(make_killifish_table(frames=3000, seed=0))
    clean.save(root / "clean")
    X = clean.matrix("train")
    vae = models.make("vae", latent_dim=2, hidden=(16,), **TINY).fit(X)
    vae.save(root / "vae.pt")
    models.make("pca", latent_dim=2).fit(X).save(root / "pca.pt")
    return root, clean, vae


@pytest.fixture(scope="module")
def digit_vaes(tmp_path_factory):
    """Paths of tiny VAEs with 2-D and 3-D codes fitted to 300 shipped digits."""
    root = tmp_path_factory.mktemp("digits")
    X = load_mnist(SHIPPED).images[:300]
    paths = []
    for dim in (2, 3):
        vae = models.make("vae", latent_dim=dim, hidden=(32,), output="sigmoid", **TINY)
        vae.fit(X).save(root / f"vae-{dim}d.pt")
        paths.append(str(root / f"vae-{dim}d.pt"))
    return paths


def test_walk_is_seeded():
    walk = latent_walk(200, 3, seed=0)
    assert walk.shape == (200, 3) and walk.dtype == np.float32
    np.testing.assert_array_equal(walk, latent_walk(200, 3, seed=0))
    assert not np.allclose(walk, latent_walk(200, 3, seed=1))


def test_walk_stays_on_the_prior_and_is_smooth():
    long = latent_walk(20_000, 3, seed=0, timescale=10)
    assert np.abs(long.mean(axis=0)).max() < 0.2
    assert np.abs(long.var(axis=0) - 1).max() < 0.2
    # Every frame is N(0, 1), the first and the last too (no warm-up from 0), over seeds.
    ends = np.stack([latent_walk(30, 2, seed=s)[[0, -1]] for s in range(400)])
    assert np.abs(ends.reshape(-1, 4).var(axis=0) - 1).max() < 0.25
    # Smooth: a frame's step is small (~0.07 at timescale 10; an AR(1) walk with a
    # 10-frame correlation time has ~0.44), and frames 10 apart still correlate
    # (exp(-1/4) = 0.78).
    assert np.diff(long, axis=0).std() < 0.1
    lag = np.mean([np.corrcoef(long[:-10, d], long[10:, d])[0, 1] for d in range(3)])
    assert lag == pytest.approx(np.exp(-0.25), abs=0.05)


@pytest.mark.parametrize("frames, timescale", [(0, 10.0), (100, 0.0), (100, float("nan"))])
def test_walk_refuses_bad_arguments(frames, timescale):
    with pytest.raises(InputError):
        latent_walk(frames, 2, timescale=timescale)


def test_prior_grid_is_the_prior_quantiles_top_row_first():
    grid = prior_grid(15)
    edge = NormalDist().inv_cdf(0.95)  # 1.645
    assert grid.shape == (225, 2)
    np.testing.assert_allclose(grid[0], [-edge, edge], rtol=1e-6)  # top left
    np.testing.assert_allclose(grid[-1], [edge, -edge], rtol=1e-6)  # bottom right
    np.testing.assert_allclose(grid[112], [0, 0], atol=1e-6)  # the centre, odd steps
    rows = grid.reshape(15, 15, 2)
    assert (np.diff(rows[:, :, 0], axis=1) > 0).all()  # z1 grows along a row
    assert (rows[:, :, 1] == rows[:, :1, 1]).all()  # z2 is constant along it


def test_decoded_poses_are_the_decoder_in_pixels(pose):
    _, clean, vae = pose
    codes = latent_walk(50, 2, seed=0)
    poses = decode_poses(vae, clean, codes)
    assert poses.shape == (50, len(clean.keypoints), 2)
    assert np.isfinite(poses).all()
    # The decoder, then the table's mean and std: skipping either would change the values.
    expected = clean.to_pixels(vae.inverse_transform(codes)).reshape(50, -1, 2)
    np.testing.assert_allclose(poses, expected, rtol=1e-5)
    mean, std = clean.stats["mean"].to_numpy(), clean.stats["std"].to_numpy()
    flat = poses.reshape(50, -1)
    assert (np.abs(flat.mean(axis=0) - mean) < 3 * std).all()  # pixels, not z-scores
    assert flat.std(axis=0).max() > 0.01 * std.min()  # the pose moves with the code


def test_decode_poses_refuses_codes_of_another_dimension(pose):
    _, clean, vae = pose
    with pytest.raises(InputError, match="2-D code"):
        decode_poses(vae, clean, np.zeros((5, 3), np.float32))


def test_generate_poses_renders_the_decoded_walk(pose, monkeypatch):
    root, clean, vae = pose
    seen = {}

    def fake_render(panels, keypoints, frame_numbers, time_s, out, fps, title, progress):
        seen.update(panels=panels, keypoints=keypoints, time_s=time_s, fps=fps, title=title)

    monkeypatch.setattr(video, "render_reconstruction", fake_render)  # imported when run
    args = ["generate-poses", str(root / "clean"), str(root / "vae.pt"), str(root / "x.mp4")]
    assert main([*args, "--frames", "60", "--seed", "4", "--timescale", "5"]) == 0
    assert list(seen["panels"]) == [GENERATED_PANEL]
    assert "generated" in GENERATED_PANEL and "not recorded" in GENERATED_PANEL
    expected = decode_poses(vae, clean, latent_walk(60, 2, seed=4, timescale=5))
    np.testing.assert_allclose(seen["panels"][GENERATED_PANEL], expected, rtol=1e-5)
    assert seen["keypoints"] == clean.keypoints
    assert seen["fps"] == clean.fps
    np.testing.assert_allclose(seen["time_s"], np.arange(60) / clean.fps)
    assert seen["title"] == "VAE walk, 2-D"


def read_frames(path) -> list[np.ndarray]:
    reader = imageio_ffmpeg.read_frames(str(path))
    width, height = next(reader)["size"]
    return [np.frombuffer(f, np.uint8).reshape(height, width, 3) for f in reader]


#: A walk's settings, which the workflow always passes.
WALK = ("--frames", "20", "--seed", "0", "--timescale", "10")


def test_generate_poses_writes_a_seeded_video(pose):
    root, _, _ = pose
    args = ["generate-poses", str(root / "clean"), str(root / "vae.pt")]
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        out = str(root / f"{name}.mp4")
        assert main([*args, out, "--frames", "25", "--seed", str(seed), "--timescale", "10"]) == 0
    a, b, c = (read_frames(root / f"{name}.mp4") for name in "abc")
    assert len(a) == 25 and a[0].shape == (672, 320, 3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


@pytest.mark.parametrize("command", ["generate-poses", "mnist-samples", "mnist-prior-grid"])
def test_commands_refuse_a_model_that_is_not_a_vae(pose, command, capsys):
    root, _, _ = pose
    out = root / "refused.out"
    args = {
        "generate-poses": [str(root / "clean"), str(root / "pca.pt"), str(out), *WALK],
        "mnist-samples": [str(out), str(root / "pca.pt"), "--side", "8", "--seed", "0"],
        "mnist-prior-grid": [str(out), str(root / "pca.pt"), "--steps", "15"],
    }[command]
    assert main([command, *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"killipose: error: {root / 'pca.pt'}: not a variational autoencoder")
    assert not out.exists()


def test_mnist_figures_are_drawn_and_seeded(digit_vaes, tmp_path, capsys):
    two, three = digit_vaes
    assert (
        main(
            ["mnist-samples", str(tmp_path / "a.png"), two, three, *("--side", "8", "--seed", "0")]
        )
        == 0
    )
    assert (
        main(
            ["mnist-samples", str(tmp_path / "b.png"), two, three, *("--side", "8", "--seed", "1")]
        )
        == 0
    )
    a, b = mpimg.imread(tmp_path / "a.png"), mpimg.imread(tmp_path / "b.png")
    height, width, _ = a.shape
    assert width > 1.4 * height  # two panels side by side
    grey = a[..., :3].mean(axis=2)
    assert (grey < 0.5).mean() > 0.02 and grey.std() > 0.1  # digits drawn, not a blank
    assert a.shape == b.shape and not np.array_equal(a, b)  # other codes, other digits

    assert main(["mnist-prior-grid", str(tmp_path / "g.png"), two, "--steps", "9"]) == 0
    height, width, _ = mpimg.imread(tmp_path / "g.png").shape
    assert 0.8 < height / width < 1.25
    # Only a 2-D code has a grid: the 3-D VAE is refused in one line.
    capsys.readouterr()
    assert main(["mnist-prior-grid", str(tmp_path / "h.png"), three, "--steps", "15"]) == 2
    assert "this VAE's is 3-D" in capsys.readouterr().err
    assert not (tmp_path / "h.png").exists()
