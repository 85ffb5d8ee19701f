"""MNIST as a benchmark dataset: reading IDX files, splitting, fetching.

MNIST's IDX format: a big-endian header (magic number ``0x0000080N`` with N dimensions,
then N sizes as uint32) followed by the unsigned bytes. Files may be gzip-compressed.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from killipose.cleaning.table import CleanTable
from killipose.errors import InputError
from killipose.split import SPLITS, stratified_split

log = logging.getLogger("killipose")

#: The official files and their MD5 checksums (as published with the dataset).
FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
#: Where `killipose fetch-mnist` downloads from by default (PyTorch's mirror of the files).
MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
#: Validation digits carved from the end of the 60,000 training digits (standard split).
STANDARD_VAL = 5000


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (plain or ``.gz``) into a uint8 array of its declared shape.

    Raises
    ------
    InputError
        Missing or unreadable file, a bad magic number, or a size that does not match.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as err:
        raise InputError(f"{path}: cannot read ({err})") from None
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] != 0x08 or not 1 <= data[3] <= 4:
        raise InputError(f"{path}: not an IDX file of unsigned bytes (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise InputError(f"{path}: IDX header is truncated")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise InputError(
            f"{path}: IDX header says shape {shape} ({expected:,} bytes) but the file has "
            f"{len(data):,} bytes"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def write_idx(array: np.ndarray, path: str | os.PathLike) -> None:
    """Write a uint8 array as IDX (gzip-compressed if ``path`` ends in ``.gz``)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


@dataclass
class MNIST:
    """Digits as float32 ``(n, 784)`` in [0, 1], labels, and the split of each digit."""

    images: np.ndarray
    labels: np.ndarray
    split: np.ndarray
    source: str


def _find(folder: Path, stem: str) -> Path | None:
    for name in (f"{stem}.gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def _pair(folder: Path, prefix: str) -> tuple[np.ndarray, np.ndarray] | None:
    images = _find(folder, f"{prefix}-images-idx3-ubyte")
    labels = _find(folder, f"{prefix}-labels-idx1-ubyte")
    if images is None or labels is None:
        return None
    x, y = read_idx(images), read_idx(labels)
    if x.ndim != 3 or y.ndim != 1:
        raise InputError(
            f"{images}: expected images (n, rows, cols) and labels (n,), got "
            f"{x.shape} and {y.shape}"
        )
    if len(x) != len(y):
        raise InputError(f"{labels}: {len(y):,} labels for {len(x):,} images in {images.name}")
    if y.max(initial=0) > 9:
        raise InputError(f"{labels}: labels must be digits 0-9, found {int(y.max())}")
    return x, y


def load_mnist(folder: str | os.PathLike, seed: int = 0) -> MNIST:
    """Load MNIST from ``folder`` and split it.

    With the training files present, the standard split: validation is the last 5,000 of
    the 60,000 training digits, the test set is the standard 10,000. Otherwise the 10,000
    test digits alone, split 8:1:1 at random, stratified by digit, with ``seed``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder (expected MNIST IDX files)")
    test = _pair(folder, "t10k")
    if test is None:
        raise InputError(
            f"{folder}: no t10k-images-idx3-ubyte(.gz) and t10k-labels-idx1-ubyte(.gz)"
        )
    train = _pair(folder, "train")
    if train is not None:
        n_train, n_test = len(train[0]), len(test[0])
        val = min(STANDARD_VAL, n_train // 10)
        x = np.concatenate([train[0], test[0]])
        y = np.concatenate([train[1], test[1]])
        split = np.array(
            ["train"] * (n_train - val) + ["val"] * val + ["test"] * n_test, dtype=object
        )
        source = f"standard split: {n_train - val:,} train, {val:,} val, {n_test:,} test"
    else:
        x, y = test
        split = stratified_split(y, seed=seed)
        source = (
            f"fallback: the {len(x):,} test digits only, split 8:1:1 stratified (seed {seed}); "
            "put the training files in the folder for the standard split"
        )
    images = x.reshape(len(x), -1).astype(np.float32) / 255.0
    log.info("MNIST from %s: %s", folder, source)
    return MNIST(images=images, labels=y.astype(np.int64), split=split, source=source)


def fetch_mnist(folder: str | os.PathLike, base_url: str = MIRROR, timeout: float = 60.0) -> None:
    """Download the four MNIST files into ``folder``, checking each MD5 checksum.

    A file already there with the right checksum is kept. Each download is written to a
    temporary name and renamed only when its checksum matches.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, md5 in FILES.items():
        target = folder / name
        if target.is_file() and _md5(target) == md5:
            log.info("%s: present, checksum ok", target)
            continue
        url = base_url.rstrip("/") + "/" + name
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as r:
                shutil.copyfileobj(r, out)
            if _md5(Path(tmp)) != md5:
                raise InputError(f"{url}: checksum mismatch (expected MD5 {md5}); not saved")
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
            log.info("%s: downloaded, checksum ok", target)
        except OSError as err:
            raise InputError(f"{url}: download failed ({err})") from None
        finally:
            Path(tmp).unlink(missing_ok=True)


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def mnist_table(data: MNIST) -> CleanTable:
    """MNIST as a :class:`CleanTable`: one row a digit, 784 pixel columns in [0, 1].

    Pixels are not normalised further (mean 0, std 1 in the stats), so reconstructions
    stay in [0, 1] and a sigmoid output fits them.
    """
    n, d = data.images.shape
    features = [f"p{i}" for i in range(d)]
    frame = pd.concat(
        [
            pd.DataFrame(
                {"frame": np.arange(n), "split": data.split, "valid": True, "label": data.labels}
            ),
            pd.DataFrame(data.images, columns=features),
        ],
        axis=1,
    )
    stats = pd.DataFrame({"mean": 0.0, "std": 1.0}, index=features)
    counts = {s: int((data.split == s).sum()) for s in SPLITS}
    report = {
        "kind": "mnist",
        "source": data.source,
        "input_frames": n,
        "features": features,
        "frames": counts | {"valid": n, "excluded": 0},
        "digits_per_split": {
            s: np.bincount(data.labels[data.split == s], minlength=10).tolist() for s in SPLITS
        },
        "normalisation": {c: {"mean": 0.0, "std": 1.0} for c in features},
    }
    return CleanTable(frame=frame, stats=stats, report=report)
