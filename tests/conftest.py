import numpy as np
import pandas as pd
import pytest

from killipose.synthetic import make_killifish_table


@pytest.fixture(scope="session")
def fish() -> pd.DataFrame:
    """A small synthetic killifish table (~3,000 frames)."""
    return make_killifish_table(frames=3000, fps=20, seed=1)


def make_pose_table(n=400, keypoints=("head", "body", "tail"), fps=30.0, seed=0):
    """A small table of a moving 3-point skeleton, made here so tests see every value."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fps
    centre = np.stack([100 + 40 * np.sin(0.3 * t), 80 + 30 * np.cos(0.2 * t)], axis=1)
    angle = 0.5 * t
    columns = {"frame_timestamp": 1000.0 + t}
    for i, name in enumerate(keypoints):
        offset = 10.0 * i
        columns[f"x_{name}"] = centre[:, 0] + offset * np.cos(angle) + rng.normal(0, 0.2, n)
        columns[f"y_{name}"] = centre[:, 1] + offset * np.sin(angle) + rng.normal(0, 0.2, n)
    return pd.DataFrame(columns)


@pytest.fixture
def pose_table() -> pd.DataFrame:
    return make_pose_table()


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Tiny test models run faster on one thread than on two that keep syncing."""
    import torch

    torch.set_num_threads(1)


def pytest_collection_modifyitems(items):
    """Longest first: the SLURM and end-to-end runs start at once, in parallel with the
    rest (`pytest -n auto --dist worksteal`: an idle worker takes queued tests from a busy
    one), instead of last; the order does not change what any test checks."""
    items.sort(
        key=lambda item: (not item.get_closest_marker("slurm"), not item.get_closest_marker("slow"))
    )
