"""What every kind of dataset provides: the shared base class of :mod:`killipose.datasets`."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np
import pandas as pd

from killipose.errors import InputError

if TYPE_CHECKING:  # torch is imported only where a model is used
    from killipose.models import LatentModel


class Prepared(Protocol):
    """Data ready to fit, whatever its kind: a matrix per split and one row per sample.

    ``frame`` has one row per sample of the source (frame of a recording, digit) with at
    least ``valid`` and ``split``; ``meta`` names its columns that are not features;
    ``report`` (JSON-ready) says where the data came from and records its ``kind``.
    Labelled data also has ``labels(split)``, the class of each row of ``matrix(split)``.
    """

    frame: pd.DataFrame
    report: dict

    @property
    def features(self) -> list[str]: ...

    @property
    def meta(self) -> list[str]: ...

    def matrix(self, split: str | None = None) -> np.ndarray: ...

    def save(self, outdir: str | os.PathLike) -> None: ...


class DatasetKind(ABC):
    """A kind of dataset: how its data is prepared, a model scored, its results shown.

    Subclasses set :attr:`name` (the config's ``kind``) and implement every abstract
    method; :meth:`fits` defaults to every model at every latent dimension. A new kind
    is one module with a subclass, registered in :data:`killipose.datasets.KINDS`, plus the
    workflow rules that make its outputs.
    """

    name: ClassVar[str]
    #: How to read the metrics table of this kind of data (HTML, one paragraph).
    metrics_note: ClassVar[str] = ""

    @abstractmethod
    def load(self, folder: Path) -> Prepared:
        """The prepared data that the kind's prepare step wrote to ``folder``."""

    def pieces(self, folder: Path, rows: int) -> Iterator[Prepared]:
        """The prepared data in ``folder`` a piece of about ``rows`` samples at a time, in
        order, where the kind can (by default: all of it, as one piece)."""
        yield self.load(folder)

    @abstractmethod
    def score(self, model: LatentModel, data: Prepared) -> dict:
        """Metrics of a fitted ``model`` on ``data`` (the keys of ``metrics.json``)."""

    def fits(self, ds: dict) -> list[tuple[str, int]]:
        """``(model, latent_dim)`` of every fit of a dataset with settings ``ds``."""
        return [(m, d) for m in ds["models"] for d in ds["latent_dims"]]

    @abstractmethod
    def outputs(self, ds: dict, root: str) -> list[str]:
        """The files the workflow makes for a dataset with settings ``ds`` under ``root``."""

    @abstractmethod
    def plot_comparison(self, metrics: list[dict], path: Path, title: str) -> None:
        """The figure that compares fits (the ``metrics.json`` of each, seeds averaged)."""

    @abstractmethod
    def findings(self, report: dict, metrics: list[dict]) -> list[str]:
        """What the run found on this data, as reST paragraphs: the data used, stated as
        fact, each model's error relative to PCA's, and the main caveat. ``report`` is
        the prepared data's ``report.json``, ``metrics`` every fit's, seeds averaged."""

    @abstractmethod
    def check(self, name: str, ds: dict, config: dict) -> None:
        """Raise :class:`InputError` naming the key when ``ds`` does not suit this kind."""

    @abstractmethod
    def check_path(self, path: Path, where: str, relative: str, ds: dict) -> list[str] | None:
        """Raise :class:`InputError` if the dataset's input at ``path`` is unusable.

        The message starts with ``where`` (the config key and the path as given) and adds
        ``relative`` (the folder a relative path was taken from) after the problem.
        Returns the keypoints the file's header offers, where known before cleaning.
        """


def read_kind(record: dict, path: Path, redo: str) -> str:
    """The ``kind`` a ``report.json`` or ``metrics.json`` records; a file without one was
    written before kinds were recorded, and ``redo`` says how to write it again."""
    if "kind" not in record:
        raise InputError(f"{path}: no 'kind' in it (written by an older killipose); {redo}")
    return record["kind"]
