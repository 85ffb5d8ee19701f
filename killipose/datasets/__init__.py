"""Kinds of dataset, and what each knows: preparing, scoring, outputs, figures.

A dataset's ``kind`` in the config picks one of :data:`KINDS`; a prepared folder's
``report.json`` records it, and so does every ``metrics.json``: nothing guesses a kind
from which keys a file has. Adding a kind is a module here with a
:class:`~killipose.datasets.base.DatasetKind` subclass, its line in :data:`KINDS`, and the
workflow rules that make its outputs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from killipose.datasets.base import DatasetKind, Prepared, read_kind
from killipose.datasets.digits import DIGITS, Digits
from killipose.datasets.pose import POSE
from killipose.errors import InputError
from killipose.files import read_json

__all__ = [
    "DIGITS",
    "KINDS",
    "POSE",
    "DatasetKind",
    "Digits",
    "Prepared",
    "kind",
    "load_prepared",
    "prepared_pieces",
]

#: Every kind, by the name the config and the files give.
KINDS: dict[str, DatasetKind] = {k.name: k for k in (POSE, DIGITS)}


def kind(name: str) -> DatasetKind:
    """The kind called ``name``."""
    if name not in KINDS:
        raise InputError(f"unknown dataset kind {name!r} (known: {', '.join(KINDS)})")
    return KINDS[name]


def load_prepared(folder: str | os.PathLike) -> Prepared:
    """The data a prepare step (``killipose clean``, ``prepare-mnist``) wrote to ``folder``,
    read by the kind its ``report.json`` records."""
    return _kind_of(Path(folder)).load(Path(folder))


def prepared_pieces(folder: str | os.PathLike, rows: int) -> Iterator[Prepared]:
    """As :func:`load_prepared`, a piece of about ``rows`` samples at a time where the
    data's kind reads it so (:meth:`DatasetKind.pieces`)."""
    return _kind_of(Path(folder)).pieces(Path(folder), rows)


def _kind_of(folder: Path) -> DatasetKind:
    """The kind that the ``report.json`` of a prepared ``folder`` records."""
    report = folder / "report.json"
    redo = "prepare the data again (snakemake --forcerun clean prepare_mnist)"
    return kind(read_kind(read_json(report), report, redo))
