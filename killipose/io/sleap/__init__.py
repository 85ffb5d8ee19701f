"""SLEAP's files: the ``.slp`` labels file, the analysis HDF5 and the analysis CSV.

Three formats, each SLEAP track one individual:

- ``sleap``: the ``.slp`` file SLEAP saves (user labels and predictions), read with
  sleap-io.
- ``sleap-analysis``: the HDF5 file of ``sleap-convert --format analysis`` (SLEAP's
  "Export Analysis HDF5", or sleap-io's ``save_analysis_h5``), read with h5py.
- ``sleap-csv``: SLEAP's "Export Analysis CSV" (or sleap-io's ``save_csv``): one row per
  instance, ``track, frame_idx, instance.score`` and ``<node>.x, <node>.y, <node>.score``.

The readers here open each file and name what stops them; :mod:`.slp`,
:mod:`.analysis_h5` and :mod:`.analysis_csv` read what is inside, and :mod:`.tracks`
turns instances into :class:`~killipose.io.poses.Poses`, one individual per track.

Notes
-----
Confidence is a ``"score"``: SLEAP's point scores are peaks of its confidence maps, not
probabilities, and exceed 1 (to 1.74 in SLEAP's example files). ``min_confidence`` is ``None``:
SLEAP already leaves a node it did not find missing, so no threshold applies unless
``clean.min_confidence`` sets one.

A user-labelled instance has no scores: its confidence is NaN, which no threshold masks,
so a point a person placed is kept. Where a frame has both a user-labelled and a
predicted instance of one track (a corrected prediction), the user's is read, as SLEAP's
own analysis export does. A file with no scores at all has no confidence.

Individuals are the tracks, named as in SLEAP; tracks without instances are left out
(as SLEAP's export does). A file without tracks is one animal (``"animal"``) when no
frame has more than one instance, and an error otherwise. In a file with tracks,
instances without a track are left out, with a note. More tracks than animals (a
fragmented tracking, e.g. 27 tracks for 2 flies) are kept as they are, with a note.

Frames: ``.slp`` and CSV rows run from the first to the last frame with an instance,
every frame in between (NaN where SLEAP found nothing), ``frame`` holding the video frame
numbers. Analysis HDF5 row ``i`` is video frame ``i``: SLEAP and sleap-io export every
frame from 0 by default, and the file does not record a later start. No SLEAP file has
timestamps (``time_s`` is ``None``): give ``fps``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from killipose.errors import InputError
from killipose.io.poses import Poses
from killipose.io.registry import HDF5_SIGNATURE, first_line, reader, sniff_hdf5
from killipose.io.sleap.analysis_csv import table_instances
from killipose.io.sleap.analysis_h5 import analysis_poses
from killipose.io.sleap.slp import label_instances
from killipose.io.sleap.tracks import to_poses


def _sniff_analysis(path: Path, head: bytes) -> bool:
    """HDF5 with a ``tracks`` dataset and ``node_names``: SLEAP's analysis export."""
    if not head.startswith(HDF5_SIGNATURE):
        return False
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return isinstance(f.get("tracks"), h5py.Dataset) and "node_names" in f
    except (OSError, ValueError):
        return False


def _sniff_csv(path: Path, head: bytes) -> bool:
    """A header with ``frame_idx`` and ``<node>.x``/``<node>.y`` columns."""
    header = next(csv.reader([first_line(head)]), [])
    return (
        "frame_idx" in header
        and any(c.endswith(".x") for c in header)
        and any(c.endswith(".y") for c in header)
    )


@reader("sleap", "SLEAP .slp", (".slp",), sniff_hdf5, extra="sleap", needs=("sleap_io",))
def read_slp(path: Path) -> Poses:
    """Every track of a SLEAP ``.slp`` file (user labels and predictions) of one video.

    Raises
    ------
    InputError
        The file is not a SLEAP labels file, has 3-D points, several skeletons, labelled
        frames of several videos, no instance, or several untracked instances in a frame.
    """
    import sleap_io

    try:
        labels = sleap_io.load_slp(str(path), open_videos=False)
    except (OSError, KeyError, ValueError, TypeError, IndexError, AttributeError) as err:
        raise InputError(f"{path}: cannot read as a SLEAP .slp file ({_reason(err)})") from None
    keypoints, instances, track_names = label_instances(path, labels)
    return to_poses(path, "sleap", keypoints, instances, track_names)


@reader(
    "sleap-analysis",
    "SLEAP analysis H5",
    (".h5", ".hdf5", ".analysis.h5"),
    _sniff_analysis,
    extra="h5",
    needs=("h5py",),
)
def read_analysis(path: Path) -> Poses:
    """Every track of a SLEAP analysis HDF5 file, in either axis order.

    Raises
    ------
    InputError
        The file is not HDF5, lacks ``tracks`` or ``node_names``, its shapes fit no
        layout, or ``tracks`` has a z coordinate.
    """
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return analysis_poses(path, f)
    except InputError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as err:
        raise InputError(
            f"{path}: cannot read as a SLEAP analysis HDF5 file ({_reason(err)})"
        ) from None


@reader("sleap-csv", "SLEAP CSV export", (".csv",), _sniff_csv)
def read_csv(path: Path) -> Poses:
    """Every track of a SLEAP analysis CSV (one row per instance).

    Raises
    ------
    InputError
        No ``frame_idx`` or ``<node>.x``/``<node>.y`` columns, a ``.z`` column, a value
        that is not a number, or several untracked instances in a frame.
    """
    try:
        table = pd.read_csv(path, dtype={"track": str})
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: cannot read as a SLEAP CSV ({_reason(err)})") from None
    keypoints, instances = table_instances(path, table)
    order = list(dict.fromkeys(t for t in instances.track if t is not None))
    return to_poses(path, "sleap-csv", keypoints, instances, order)


def _reason(err: BaseException) -> str:
    """The first line of a library's error, short enough for a one-line message."""
    text = str(err).strip().strip("\"'").splitlines()
    return (text[0] if text else type(err).__name__)[:160]
