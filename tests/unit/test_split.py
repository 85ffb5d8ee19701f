import numpy as np
import pytest

from killipose import InputError, block_split, stratified_split


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
