"""The format registry: each reader module registers a :class:`Format` at import.

A format has a name (the config's ``format:`` value), the file name endings it reads, a
sniffer that recognises its files from their first bytes, and a reader. Adding a format
is one module in ``killipose/io/`` whose reader is decorated with :func:`reader`; the
package imports it.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from killipose.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from killipose.io.poses import Poses

#: How many bytes of a file the sniffers see (gunzipped for ``.gz``).
HEAD_BYTES = 65536
#: The first bytes of every HDF5 file (H5 exports, ``.slp``, ``.nwb``).
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


@dataclass(frozen=True)
class Format:
    """One file format killipose reads.

    Attributes
    ----------
    name
        The config's ``format:`` value and ``--format`` on the command line.
    label
        What users call it, for messages ("DeepLabCut CSV or H5").
    suffixes
        File name endings it reads, lower case (``.csv``, ``.analysis.h5``).
    sniff
        ``sniff(path, head) -> bool``: whether the file is of this format, from ``head``
        (its first :data:`HEAD_BYTES`) and, for binary containers, a look inside.
    read
        ``read(path) -> Poses`` (a tracker's file), or a DataFrame (the wide table).
    extra
        The pip extra that installs what it needs (``killipose[<extra>]``), if any.
    needs
        The modules that extra provides; checked before sniffing or reading.
    keypoints
        ``keypoints(path) -> names`` from the header alone, for a format whose files may be
        too large to read when the workflow starts; ``None``: the file is read.
    generic
        Reads files that more specific formats also claim (the wide table takes any CSV);
        its sniffer is tried after every specific one.
    """

    name: str
    label: str
    suffixes: tuple[str, ...]
    sniff: Callable[[Path, bytes], bool]
    read: Callable[[Path], Poses | pd.DataFrame]
    extra: str | None = None
    needs: tuple[str, ...] = ()
    keypoints: Callable[[Path], list[str]] | None = None
    generic: bool = False

    def matches(self, path: Path) -> bool:
        """Whether ``path``'s name ends with one of this format's suffixes."""
        return path.name.lower().endswith(self.suffixes)

    def require(self, path: Path) -> None:
        """Raise :class:`InputError` naming the pip extra when a module it needs is missing."""
        missing = [m for m in self.needs if importlib.util.find_spec(m) is None]
        if missing:
            raise InputError(
                f"{path}: reading {self.label} files needs {', '.join(missing)}: "
                f"pip install 'killipose[{self.extra}]'"
            )


#: Every registered format, in the order sniffers are tried (specific before generic).
FORMATS: dict[str, Format] = {}


def reader(name: str, label: str, suffixes: tuple[str, ...], sniff, **options):
    """Register the decorated ``read(path)`` as the format ``name`` (the :class:`Format`
    fields in order; ``options`` the optional ones), as movement's ``@register_loader``
    does: a format is its reader, declared where the reader is."""

    def decorate(read):
        register(Format(name, label, suffixes, sniff, read, **options))
        return read

    return decorate


def register(fmt: Format) -> Format:
    """Add ``fmt`` to :data:`FORMATS` (a name may be registered once)."""
    if fmt.name in FORMATS:
        raise ValueError(f"format {fmt.name!r} is registered twice")
    FORMATS[fmt.name] = fmt
    return fmt


def check_file(path: Path, expected: str) -> None:
    """Raise :class:`InputError` unless ``path`` is a readable, non-empty file.

    ``expected`` names what a folder should have been ("a CSV or Parquet file").
    """
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected {expected}")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: no permission to read")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes)")


def read_head(path: Path) -> bytes:
    """The first :data:`HEAD_BYTES` of ``path``, gunzipped for a ``.gz`` file."""
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as f:
                return f.read(HEAD_BYTES)
        with open(path, "rb") as f:
            return f.read(HEAD_BYTES)
    except (OSError, EOFError):
        return b""  # the reader names the problem


def first_line(head: bytes) -> str:
    """The first line of a text file's head, without its line ending."""
    return head.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", errors="replace")


def sniff_hdf5(path: Path, head: bytes) -> bool:
    """Any HDF5 file, from its first bytes: the sniffer of a format whose file name ending
    says the rest (``.slp``, ``.nwb``); its reader names what is missing inside."""
    return head.startswith(HDF5_SIGNATURE)


def hdf5_text(value) -> str | None:
    """An HDF5 attribute or name stored as bytes or str, as str; ``None`` stays ``None``."""
    if value is None:
        return None
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
