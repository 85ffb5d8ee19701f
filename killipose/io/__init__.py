"""Reading pose files: one module per format, found through one registry.

>>> from killipose.io import read_table, detect
>>> detect("CollectedData.csv").name        # doctest: +SKIP
'deeplabcut'

Each format module (``wide``, ``deeplabcut``, ...) registers a
:class:`~killipose.io.registry.Format` when imported: its name, the file endings it
reads, a sniffer and a reader. :func:`detect` picks the format of a file (``auto``: the
first whose endings and sniffer match), :func:`read_poses` reads every animal with its
confidence, and :func:`read_table` gives one animal as the wide table cleaning takes.
Adding a format is one new module in this package whose reader is decorated with
:func:`~killipose.io.registry.reader`, and its
tests: every module here is imported when the package is, and the config's ``format:``
takes the names registered.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from pathlib import Path

import pandas as pd

from killipose.errors import InputError
from killipose.io.poses import CONFIDENCE, Poses
from killipose.io.registry import FORMATS, Format, check_file, read_head, register
from killipose.io.wide import FRAME_COUNT, TIMESTAMP, keypoint_names, table_columns

#: Modules of this package that read no format of their own.
_SUPPORT_MODULES = {"describe", "pieces", "poses", "registry"}
for _module in pkgutil.iter_modules(__path__):
    if _module.name not in _SUPPORT_MODULES:
        importlib.import_module(f"{__name__}.{_module.name}")
# Sniffers are tried specific formats first, a generic one (the wide table, which takes
# any CSV or Parquet) last.
for _fmt in sorted(FORMATS.values(), key=lambda f: f.generic):
    FORMATS[_fmt.name] = FORMATS.pop(_fmt.name)

__all__ = [
    "CONFIDENCE",
    "FORMATS",
    "FRAME_COUNT",
    "TIMESTAMP",
    "Format",
    "Poses",
    "detect",
    "format_names",
    "keypoint_names",
    "keypoints_in",
    "read_poses",
    "read_table",
    "register",
    "table_columns",
]


def format_names() -> list[str]:
    """The values ``format:`` takes: ``auto`` and every registered format."""
    return ["auto", *FORMATS]


def detect(path: str | os.PathLike, format: str = "auto") -> Format:
    """The format of ``path``: the one named, or (``auto``) the first that recognises it.

    Raises
    ------
    InputError
        The file is missing, a folder, unreadable or empty; ``format`` is not a known
        name; or no format reads a file with this ending or content.
    """
    path = Path(path)
    if format != "auto" and format not in FORMATS:
        raise InputError(f"{path}: unknown format {format!r} (known: {', '.join(format_names())})")
    check_file(path, "a CSV or Parquet file or a tracker's file")
    if format != "auto":
        FORMATS[format].require(path)
        return FORMATS[format]
    candidates = [f for f in FORMATS.values() if f.matches(path)]
    if not candidates:
        known = "; ".join(f"{f.label}: {', '.join(f.suffixes)}" for f in FORMATS.values())
        raise InputError(
            f"{path}: unknown table format {''.join(path.suffixes[-2:]) or '(no suffix)'!r}, "
            f"expected one of: {known}"
        )
    head = read_head(path)
    for fmt in candidates:
        fmt.require(path)
        if fmt.sniff(path, head):
            return fmt
    labels = " or ".join(f.label for f in candidates)
    raise InputError(f"{path}: not recognised as {labels}; set format: to say which it is")


def read_poses(path: str | os.PathLike, format: str = "auto") -> Poses:
    """Every animal in ``path``, with confidence and time where the file has them."""
    path = Path(path)
    fmt = detect(path, format)
    result = fmt.read(path)
    return result if isinstance(result, Poses) else Poses.from_table(result, fmt.name)


def read_table(
    path: str | os.PathLike, format: str = "auto", individual: str | None = None
) -> pd.DataFrame:
    """Read one animal of a pose file as a wide table, the input of :func:`clean_table`.

    Parameters
    ----------
    path
        A wide table (CSV or Parquet with ``x_<name>``/``y_<name>`` columns, see
        :func:`killipose.io.wide.read_table`) or a tracker's file: DeepLabCut or
        Lightning Pose CSV/H5, SLEAP ``.slp``/analysis ``.h5``/CSV, NWB with ndx-pose.
    format
        ``auto`` (recognise the file) or one of :func:`format_names`.
    individual
        Which animal of a multi-animal file; may be left out when there is one.

    Returns
    -------
    DataFrame with ``x_<name>``, ``y_<name>`` (pixels, float64), ``confidence_<name>``
    when the file has scores, and ``frame_count``/``frame_timestamp`` (seconds) when it
    has them. ``attrs["read"]`` says what was read; ``attrs["confidence"]`` the kind of
    score and the format's default ``min_confidence``.

    Raises
    ------
    InputError
        One line naming the file and what is wrong, in the format's own terms.
    """
    path = Path(path)
    fmt = detect(path, format)
    result = fmt.read(path)
    if isinstance(result, Poses):
        return result.to_table(individual, path)
    if individual is not None:
        raise InputError(f"{path}: a {fmt.label} has one animal; leave individual unset")
    result.attrs.setdefault("read", {})["format"] = fmt.name
    return result


def keypoints_in(
    path: str | os.PathLike, format: str = "auto", individual: str | None = None
) -> list[str]:
    """The keypoint names of a file, checking that ``individual`` fits it.

    Cheap on a large wide table (its header alone); a tracker's file is read whole.
    """
    path = Path(path)
    fmt = detect(path, format)
    if fmt.keypoints is not None:
        if individual is not None:
            raise InputError(f"{path}: a {fmt.label} has one animal; leave individual unset")
        return fmt.keypoints(path)
    poses = read_poses(path, fmt.name)
    poses.individual_index(individual, path)
    return poses.keypoints
