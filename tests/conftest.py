"""Fixtures; the helpers the tests share are in ``tests/helpers.py``."""

import pandas as pd
import pytest

from killipose.synthetic import make_killifish_table
from tests.helpers import make_pose_table


@pytest.fixture(scope="session")
def fish() -> pd.DataFrame:
    """A small synthetic killifish table (~3,000 frames)."""
    return make_killifish_table(frames=3000, fps=20, seed=1)


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
