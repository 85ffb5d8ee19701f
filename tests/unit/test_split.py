import numpy as np
import pytest

from killipose import InputError, block_split, stratified_split
from killipose.split import SPLITS


def test_block_split_is_contiguous_8_1_1():
    labels = block_split(1000)
    assert list(labels[:800]) == ["train"] * 800
    assert list(labels[800:900]) == ["val"] * 100
    assert list(labels[900:]) == ["test"] * 100


def test_block_split_rejects_bad_fractions():
    with pytest.raises(InputError, match="fractions"):
        block_split(10, (0.5, 0.5, 0.0))


def test_stratified_split_keeps_class_shares():
    labels = np.repeat(np.arange(10), 100)
    split = stratified_split(labels, seed=0)
    for digit in range(10):
        assert (split[labels == digit] == "test").sum() == 10
    assert not np.array_equal(split, stratified_split(labels, seed=1))


#: Row counts that do not divide by 10, and the train/val and val/test boundaries the
#: split puts them at: 80% and 90% of the rows, rounded to the nearest row (half to even:
#: 13.5 -> 14, 22.5 -> 22), never down (1001 rows: 801 train, not 800).
BOUNDARIES = {
    10: (8, 9),
    11: (9, 10),  # 8.8, 9.9
    15: (12, 14),  # 12.0, 13.5
    16: (13, 14),  # 12.8, 14.4
    19: (15, 17),  # 15.2, 17.1
    25: (20, 22),  # 20.0, 22.5
    1001: (801, 901),  # 800.8, 900.9
    1009: (807, 908),  # 807.2, 908.1
}


@pytest.mark.parametrize("n, edges", BOUNDARIES.items())
def test_block_split_boundaries_round_to_the_nearest_row(n, edges):
    labels = block_split(n)
    assert len(labels) == n
    # Every row is in exactly one split, and the splits are three blocks in time order.
    assert set(labels) == {"train", "val", "test"}
    first = [int(np.flatnonzero(labels == name)[0]) for name in ("val", "test")]
    assert tuple(first) == edges
    assert list(labels) == ["train"] * edges[0] + ["val"] * (edges[1] - edges[0]) + ["test"] * (
        n - edges[1]
    )


def test_stratified_split_rounds_each_class_as_block_split_does():
    # Classes of 1001 and 19 samples: 801 / 100 / 100 and 15 / 2 / 2.
    labels = np.array([0] * 1001 + [1] * 19)
    split = stratified_split(labels, seed=3)
    counts = {(c, s): int(((labels == c) & (split == s)).sum()) for c in (0, 1) for s in SPLITS}
    assert counts == {
        (0, "train"): 801,
        (0, "val"): 100,
        (0, "test"): 100,
        (1, "train"): 15,
        (1, "val"): 2,
        (1, "test"): 2,
    }
