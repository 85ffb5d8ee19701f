import hashlib

import numpy as np
import pytest

from killipose import InputError, models
from killipose import mnist as kp_mnist
from killipose.datasets import Digits, load_prepared
from killipose.mnist import fetch_mnist, load_mnist, read_idx, write_idx
from tests.helpers import ROOT

SHIPPED = ROOT / "data" / "mnist"


def fake_digits(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), np.arange(n, dtype=np.uint8) % 10


@pytest.mark.parametrize("name", ["x-idx3-ubyte", "x-idx3-ubyte.gz"])
def test_idx_round_trip(tmp_path, name):
    images, labels = fake_digits(30)
    write_idx(images, tmp_path / name)
    write_idx(labels, tmp_path / f"l{name}")
    np.testing.assert_array_equal(read_idx(tmp_path / name), images)
    np.testing.assert_array_equal(read_idx(tmp_path / f"l{name}"), labels)


def test_idx_errors_name_the_file(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x00\x00\x09\x01" + b"\x00" * 8)
    with pytest.raises(InputError, match="bad magic number"):
        read_idx(tmp_path / "bad")
    write_idx(fake_digits(5)[0], tmp_path / "short")
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-10])
    with pytest.raises(InputError, match=r"short: IDX header says shape \(5, 28, 28\)"):
        read_idx(tmp_path / "short")
    write_idx(fake_digits(5)[0], tmp_path / "whole.gz")
    (tmp_path / "broken.gz").write_bytes((tmp_path / "whole.gz").read_bytes()[:-30])
    with pytest.raises(InputError, match=r"broken\.gz: cannot read"):
        read_idx(tmp_path / "broken.gz")
    with pytest.raises(InputError, match="no such file"):
        read_idx(tmp_path / "missing")


def test_labels_must_match_images(tmp_path):
    images, labels = fake_digits(20)
    write_idx(images, tmp_path / "t10k-images-idx3-ubyte.gz")
    write_idx(labels[:19], tmp_path / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(InputError, match="19 labels for 20 images"):
        load_mnist(tmp_path)
    write_idx(labels + 5, tmp_path / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(InputError, match="labels must be digits 0-9"):
        load_mnist(tmp_path)
    with pytest.raises(InputError, match="no such folder"):
        load_mnist(tmp_path / "nope")


def test_shipped_test_set_fallback_split():
    data = load_mnist(SHIPPED)
    assert data.images.shape == (10_000, 784) and data.images.dtype == np.float32
    assert data.images.min() >= 0 and data.images.max() == 1
    assert data.source.startswith("fallback: the 10,000 test digits")
    counts = {s: int((data.split == s).sum()) for s in ("train", "val", "test")}
    assert counts["train"] == 8000 and abs(counts["test"] - 1000) <= 5
    for digit in range(10):  # stratified: each digit ~10% of the test split
        share = np.mean(data.labels[data.split == "test"] == digit)
        assert abs(share - np.mean(data.labels == digit)) < 0.005


def test_standard_split_when_training_files_are_there(tmp_path):
    train, train_labels = fake_digits(600, seed=1)
    test, test_labels = fake_digits(100, seed=2)
    write_idx(train, tmp_path / "train-images-idx3-ubyte.gz")
    write_idx(train_labels, tmp_path / "train-labels-idx1-ubyte.gz")
    write_idx(test, tmp_path / "t10k-images-idx3-ubyte")  # plain files work too
    write_idx(test_labels, tmp_path / "t10k-labels-idx1-ubyte")
    data = load_mnist(tmp_path)
    assert data.source.startswith("standard split")
    assert list(data.split[:540]) == ["train"] * 540
    assert list(data.split[540:600]) == ["val"] * 60
    assert list(data.split[600:]) == ["test"] * 100
    digits = Digits.from_mnist(data)
    assert digits.report["kind"] == "mnist" and len(digits.features) == 784
    np.testing.assert_array_equal(digits.labels("test"), test_labels)
    # Saved and read back by the kind its report records: the same pixels, splits, labels.
    digits.save(tmp_path / "prepared")
    again = load_prepared(tmp_path / "prepared")
    assert isinstance(again, Digits) and "normalisation" not in again.report
    np.testing.assert_array_equal(again.matrix("val"), data.images[540:600])
    np.testing.assert_array_equal(again.labels(), data.labels)
    assert list(again.frame.columns) == ["frame", "split", "valid", "label"]


def test_fetch_checks_checksums_and_keeps_nothing_bad(tmp_path, monkeypatch):
    source = tmp_path / "mirror"
    source.mkdir()
    files = {}
    for name in kp_mnist.FILES:
        (source / name).write_bytes(name.encode() * 10)
        files[name] = hashlib.md5((source / name).read_bytes()).hexdigest()
    monkeypatch.setattr(kp_mnist, "FILES", files)
    fetch_mnist(tmp_path / "data", base_url=source.as_uri())
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == sorted(files)
    files["train-labels-idx1-ubyte.gz"] = "0" * 32
    (tmp_path / "data" / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(InputError, match="checksum mismatch"):
        fetch_mnist(tmp_path / "data", base_url=source.as_uri())
    assert not (tmp_path / "data" / "train-labels-idx1-ubyte.gz").exists()
    assert not [p for p in (tmp_path / "data").iterdir() if p.name.startswith(".")]


@pytest.mark.slow(seconds=25)
def test_the_science_holds_on_a_slice_of_mnist():
    data = load_mnist(SHIPPED)
    X = {s: data.images[data.split == s] for s in ("train", "val", "test")}
    y = {s: data.labels[data.split == s] for s in ("train", "val", "test")}
    X["train"], y["train"] = X["train"][:3000], y["train"][:3000]
    pca = models.make("pca", latent_dim=4).fit(X["train"]).score(X["test"])
    linear = (
        models.make("linear", latent_dim=4, batch_size=256, lr=3e-3, min_steps=3000, device="cpu")
        .fit(X["train"], X_val=X["val"])
        .score(X["test"])
    )
    nonlinear = (
        models.make(
            "nonlinear",
            latent_dim=4,
            design="mlp",
            hidden=(128,),
            activation="relu",
            output="sigmoid",
            epochs=40,
            batch_size=128,
            device="cpu",
        )
        .fit(X["train"], X_val=X["val"])
        .score(X["test"])
    )
    assert linear <= 1.02 * pca
    assert nonlinear < pca
    sup = models.make(
        "supervised-nonlinear",
        latent_dim=10,
        hidden=(128,),
        output="sigmoid",
        epochs=20,
        class_weight=0.3,
        device="cpu",
    )
    sup.fit(X["train"], X_val=X["val"], y=y["train"], y_val=y["val"])
    assert sup.accuracy(X["test"], y["test"]) > 0.85
