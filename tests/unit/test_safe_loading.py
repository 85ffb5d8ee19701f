"""Model files are read with torch.load(weights_only=True): a bad file is refused, never run.

Every bad file gives killipose.InputError with one line naming the path; the command line
prints it as ``killipose: error: ...``, exits 2 and writes nothing.
"""

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from killipose import InputError, models
from killipose.cleaning import clean_table
from killipose.cli import main
from tests.helpers import make_pose_table


class MakesAFolder:
    """Unpickling this calls os.mkdir(path): code a model file must never get to run."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def malicious_file(tmp_path: Path) -> tuple[Path, Path]:
    """A torch file whose loading without weights_only would create ``marker``."""
    marker = tmp_path / "PWNED"
    path = tmp_path / "model.pt"
    torch.save({"format": "killipose-model/1", "state": MakesAFolder(marker)}, path)
    return path, marker


@pytest.fixture(scope="module")
def model_blob(tmp_path_factory) -> dict:
    """What a real, small killipose model file holds (a PCA on 6 features)."""
    X = np.random.default_rng(0).normal(size=(200, 6)).astype(np.float32)
    path = tmp_path_factory.mktemp("model") / "pca.pt"
    models.make("pca", latent_dim=2).fit(X).save(path)
    return torch.load(path, weights_only=True)


def assert_refused(path: Path, match: str) -> None:
    with pytest.raises(InputError) as err:
        models.load(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and "\n" not in message, message
    assert match in message, message


def test_the_malicious_file_is_live_but_load_refuses_it(tmp_path):
    path, marker = malicious_file(tmp_path)
    # Proof that the file would run code: plain unpickling makes the folder.
    torch.load(path, weights_only=False)
    assert marker.is_dir()
    marker.rmdir()

    assert_refused(path, "not a killipose model file (not a torch file of plain tensors")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "not a killipose model file (the file is empty)"),
        (np.random.default_rng(0).bytes(4096), "not a torch file of plain tensors"),
        (json.dumps({"format": "killipose-model/1"}).encode(), "not a torch file of plain tensors"),
    ],
    ids=["empty", "random-bytes", "json"],
)
def test_a_file_that_is_not_a_torch_file(tmp_path, content, match):
    path = tmp_path / "model.pt"
    path.write_bytes(content)
    assert_refused(path, match)


@pytest.mark.parametrize(
    "obj",
    [torch.zeros(3, 4), {"weights": torch.zeros(3)}, [1, 2, 3]],
    ids=["tensor", "dict", "list"],
)
def test_a_torch_file_that_is_not_a_model(tmp_path, obj):
    path = tmp_path / "model.pt"
    torch.save(obj, path)
    assert_refused(path, "not a killipose model file (a torch file of other data)")


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"format": "killipose-model/9"}, "model file format 'killipose-model/9' is not"),
        ({"class": "os.system"}, "unknown model class 'os.system' (known: Autoencoder, "),
        ({"class": "LatentModel"}, "unknown model class 'LatentModel'"),
        ({"class": ["PCAModel"]}, "unknown model class"),
        # A real class, but the state of another: the parts do not fit together.
        ({"class": "LinearAutoencoder"}, "damaged killipose model file: its LinearAutoencoder"),
        ({"params": {"bogus": 1}}, "damaged killipose model file: its PCAModel parts"),
        ({"state": {}}, "damaged killipose model file: its PCAModel parts"),
        ({"n_features_in": 7}, "damaged killipose model file: its PCAModel parts"),
        ({"n_features_in": "six"}, "damaged killipose model file: its PCAModel parts"),
    ],
)
def test_a_model_file_with_wrong_contents(tmp_path, model_blob, change, match):
    path = tmp_path / "model.pt"
    torch.save(model_blob | change, path)
    assert_refused(path, match)


def test_a_model_file_without_its_state(tmp_path, model_blob):
    path = tmp_path / "model.pt"
    torch.save({k: v for k, v in model_blob.items() if k != "state"}, path)
    assert_refused(path, "damaged killipose model file: its PCAModel parts do not fit together")


@pytest.mark.parametrize("keep", [0.01, 0.5, 0.99])
def test_a_truncated_model_file(tmp_path, model_blob, keep):
    whole = tmp_path / "whole.pt"
    torch.save(model_blob, whole)
    models.load(whole)  # the untruncated file is fine
    data = whole.read_bytes()
    path = tmp_path / "model.pt"
    path.write_bytes(data[: max(1, int(keep * len(data)))])
    assert_refused(path, "not a killipose model file (truncated or damaged")


def test_a_missing_file_or_a_folder(tmp_path):
    assert_refused(tmp_path / "missing.pt", "no such model file")
    assert_refused(tmp_path, "is a folder, expected a model file")


def test_the_command_line_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys):
    clean_table(make_pose_table(n=300)).save(tmp_path / "clean")
    path, marker = malicious_file(tmp_path)
    out = tmp_path / "latent" / "latent.parquet"
    capsys.readouterr()
    assert main(["embed", str(tmp_path / "clean"), str(path), str(out)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"killipose: error: {path}: not a killipose model file (not a torch file of plain "
        "tensors; nothing in it was run)"
    ]
    assert not out.exists() and not marker.exists()
    assert not out.parent.exists() or not any(out.parent.iterdir())
