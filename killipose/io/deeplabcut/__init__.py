"""DeepLabCut and Lightning Pose files: a table with (scorer, bodyparts, coords) columns.

DeepLabCut writes predictions and labels as a pandas table whose columns have the levels
``scorer``, ``bodyparts`` and ``coords`` (``x``, ``y`` in pixels and, for predictions,
``likelihood``); multi-animal projects add ``individuals`` before ``bodyparts``. A CSV
holds the levels as header rows and the frame number (or, for labelled data, the image)
in its first column(s); an H5 file holds the table as PyTables under the key
``df_with_missing``. Lightning Pose writes the same CSV with the scorer
``<model_type>_tracker`` (``heatmap_tracker``, ``heatmap_mhcrnn_tracker``), and its
Ensemble Kalman smoother (``ensemble-kalman_tracker``) adds coords such as ``x_ens_var``.
Neither has time stamps: set ``fps``.
"""

from __future__ import annotations

import re
from pathlib import Path

from killipose.io.deeplabcut.columns import to_poses
from killipose.io.deeplabcut.files import cells, h5_holds_pose_table, is_hdf5, read_csv, read_h5
from killipose.io.poses import Poses
from killipose.io.registry import HDF5_SIGNATURE, first_line, reader

#: Lightning Pose names its scorer ``<model_type>_tracker``; DeepLabCut ``DLC_<net>...``
#: for predictions and the labeller's name for labels.
_LIGHTNING_POSE_SCORER = re.compile(r"_tracker$")


def sniff_deeplabcut(path: Path, head: bytes) -> bool:
    """A CSV whose first row is ``scorer`` and not Lightning Pose's, or a pandas H5 table."""
    if head.startswith(HDF5_SIGNATURE):
        return h5_holds_pose_table(path)
    scorer = _scorer(head)
    return scorer is not None and not _LIGHTNING_POSE_SCORER.search(scorer)


def sniff_lightning_pose(path: Path, head: bytes) -> bool:
    """A CSV whose first row is ``scorer`` and whose scorer ends with ``_tracker``."""
    scorer = _scorer(head)
    return scorer is not None and bool(_LIGHTNING_POSE_SCORER.search(scorer))


def _scorer(head: bytes) -> str | None:
    """The scorer named in the first row when that row is ``scorer,...``, else ``None``."""
    row = cells(first_line(head))
    if not row or row[0] != "scorer":
        return None
    return next((c for c in row[1:] if c), "")


# H5 files need PyTables, checked when one is read: the CSV files this format also reads
# need nothing, and ``needs`` would be asked of every CSV.
@reader(
    "deeplabcut",
    "DeepLabCut CSV or H5",
    (".csv", ".h5", ".hdf5", ".csv.gz"),
    sniff_deeplabcut,
    extra="h5",
)
def read_deeplabcut(path: Path) -> Poses:
    """Read a DeepLabCut CSV or H5 file (predictions or labelled data).

    Parameters
    ----------
    path
        ``.csv``/``.csv.gz`` with the header rows ``scorer``, (``individuals``),
        ``bodyparts``, ``coords``, or ``.h5`` as DeepLabCut writes it (needs PyTables).

    Returns
    -------
    Poses with pixels, ``likelihood`` as confidence (default threshold 0.6, DeepLabCut's
    ``pcutoff``) when the file has it, and the frame numbers of the first column. A
    single-animal file has one individual, ``animal``.

    Notes
    -----
    Multi-animal files keep their individuals. Their *unique bodyparts* (DeepLabCut's
    individual ``single``: objects such as a nest, tracked once per frame) become an
    individual ``single``; its columns for the animals' bodyparts are empty, and the
    animals' for the unique bodyparts, so cleaning drops those as all-NaN. Labelled data
    (``CollectedData_<name>``) is read when its images come from one video: the frame
    numbers are those in the image names (``img0042.png`` is frame 42).

    Raises
    ------
    InputError
        One line: missing header rows, 3-D coords (``z``), non-numeric values, no
        data rows, an H5 file without DeepLabCut's table, PyTables not installed.
    """
    path = Path(path)
    if is_hdf5(path):
        return to_poses(read_h5(path), path, "deeplabcut", "DeepLabCut H5")
    kind = "DeepLabCut CSV"
    return to_poses(read_csv(path, kind), path, "deeplabcut", kind)


@reader("lightning-pose", "Lightning Pose predictions CSV", (".csv",), sniff_lightning_pose)
def read_lightning_pose(path: Path) -> Poses:
    """Read a Lightning Pose predictions CSV (DeepLabCut's CSV layout, one animal).

    Coords other than ``x``, ``y`` and ``likelihood`` (the smoother's ``x_ens_var``...)
    and the ``set`` column of predictions on labelled frames are left out, with a note.
    Otherwise as :func:`read_deeplabcut`.
    """
    path = Path(path)
    kind = "Lightning Pose CSV"
    return to_poses(read_csv(path, kind), path, "lightning-pose", kind)
