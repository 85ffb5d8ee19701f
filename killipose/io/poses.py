"""Keypoints as trackers give them: several animals, confidence, time.

Every tracker reader returns :class:`Poses`; :meth:`Poses.to_table` turns one animal
into the wide table that cleaning takes (``x_<name>``, ``y_<name>``, ``confidence_<name>``,
``frame_count`` and ``frame_timestamp``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from killipose.errors import InputError

#: Prefix of a keypoint's confidence column in the wide table.
CONFIDENCE = "confidence_"


@dataclass
class Poses:
    """Keypoint tracks of one recording.

    Attributes
    ----------
    position
        ``(frames, individuals, keypoints, 2)`` x and y in pixels, NaN where missing.
    keypoints, individuals
        Names along those axes (one individual, often ``"animal"``, in a single-animal file).
    confidence
        ``(frames, individuals, keypoints)`` scores from the tracker, or ``None``.
    time_s
        ``(frames,)`` seconds, or ``None`` when the file has no time (then set ``fps``).
    frame
        ``(frames,)`` frame numbers, or ``None`` (rows are consecutive frames).
    source
        The format's name (``deeplabcut``, ``sleap``, ...).
    confidence_kind
        What the scores are (``"likelihood"``, ``"score"``), or ``None``.
    min_confidence
        The threshold below which cleaning sets a point missing when the user gives none;
        ``None``: keep every point.
    notes
        Things a user should know about the file (e.g. fragmented tracks).
    """

    position: np.ndarray
    keypoints: list[str]
    individuals: list[str]
    source: str
    confidence: np.ndarray | None = None
    time_s: np.ndarray | None = None
    frame: np.ndarray | None = None
    confidence_kind: str | None = None
    min_confidence: float | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.position = np.asarray(self.position, dtype=np.float64)
        n, i, k, two = self.position.shape
        if two != 2 or i != len(self.individuals) or k != len(self.keypoints):
            raise ValueError(
                f"position has shape {self.position.shape}, expected (frames, "
                f"{len(self.individuals)}, {len(self.keypoints)}, 2)"
            )
        if self.confidence is not None:
            self.confidence = np.asarray(self.confidence, dtype=np.float64)
            if self.confidence.shape != (n, i, k):
                raise ValueError(f"confidence has shape {self.confidence.shape}, not {(n, i, k)}")

    @property
    def frames(self) -> int:
        return self.position.shape[0]

    def tracked_fraction(self) -> dict[str, float]:
        """Per individual, the fraction of frames where any of its keypoints is tracked."""
        tracked = np.isfinite(self.position).all(axis=-1).any(axis=-1)  # (frames, individuals)
        return {
            name: float(tracked[:, j].mean()) if self.frames else 0.0
            for j, name in enumerate(self.individuals)
        }

    def fragmented(self) -> str | None:
        """A sentence when there are more tracks than animals seen at once, else ``None``."""
        if len(self.individuals) < 2:
            return None
        tracked = np.isfinite(self.position).all(axis=-1).any(axis=-1)
        at_once = int(tracked.sum(axis=1).max()) if self.frames else 0
        if at_once < len(self.individuals):
            return (
                f"{len(self.individuals)} tracks but at most {at_once} tracked in any frame: "
                "the tracks look fragmented (one animal split across several tracks)"
            )
        return None

    def individual_index(self, individual: str | None, path) -> int:
        """The index of ``individual``; the only one when ``None``.

        Raises
        ------
        InputError
            Several individuals and none chosen, or a name the file does not have; the
            line lists each individual with the fraction of frames it is tracked.
        """
        if individual is None and len(self.individuals) == 1:
            return 0
        listed = ", ".join(f"{n} ({f:.0%})" for n, f in self.tracked_fraction().items())
        if individual is None:
            fragmented = self.fragmented()
            note = f"; {fragmented}" if fragmented else ""
            raise InputError(
                f"{path}: {len(self.individuals)} individuals, choose one with individual "
                f"(--individual): {listed} of frames tracked{note}"
            )
        if individual not in self.individuals:
            raise InputError(
                f"{path}: no individual {individual!r}; it has {listed} of frames tracked"
            )
        return self.individuals.index(individual)

    def to_table(self, individual: str | None = None, path="") -> pd.DataFrame:
        """One individual as a wide table; ``attrs`` say where it came from."""
        j = self.individual_index(individual, path)
        columns: dict[str, np.ndarray] = {}
        if self.frame is not None:
            columns["frame_count"] = np.asarray(self.frame, dtype=np.float64)
        if self.time_s is not None:
            columns["frame_timestamp"] = np.asarray(self.time_s, dtype=np.float64)
        for k, name in enumerate(self.keypoints):
            columns[f"x_{name}"] = self.position[:, j, k, 0]
            columns[f"y_{name}"] = self.position[:, j, k, 1]
        if self.confidence is not None:
            for k, name in enumerate(self.keypoints):
                columns[f"{CONFIDENCE}{name}"] = self.confidence[:, j, k]
        table = pd.DataFrame(columns)
        table.attrs["read"] = {
            "format": self.source,
            "individual": self.individuals[j],
            "individuals": len(self.individuals),
        }
        table.attrs["confidence"] = {
            "kind": self.confidence_kind,
            "default_min": self.min_confidence,
        }
        return table

    @classmethod
    def from_table(cls, table: pd.DataFrame, source: str) -> Poses:
        """A wide table as one individual (for ``killipose info``)."""
        from killipose.io.wide import FRAME_COUNT, TIMESTAMP, keypoint_names

        names = keypoint_names(table.columns)
        position = np.stack(
            [table[[f"x_{k}", f"y_{k}"]].to_numpy(np.float64) for k in names], axis=1
        )[:, None]
        has_conf = bool(names) and all(f"{CONFIDENCE}{k}" in table for k in names)
        confidence = (
            table[[f"{CONFIDENCE}{k}" for k in names]].to_numpy(np.float64)[:, None]
            if has_conf
            else None
        )
        conf = table.attrs.get("confidence", {})
        return cls(
            position=position,
            keypoints=names,
            individuals=["animal"],
            source=source,
            confidence=confidence,
            time_s=table[TIMESTAMP].to_numpy() if TIMESTAMP in table else None,
            frame=table[FRAME_COUNT].to_numpy() if FRAME_COUNT in table else None,
            confidence_kind=conf.get("kind"),
            min_confidence=conf.get("default_min"),
        )


def three_d_error(path, what: str) -> InputError:
    """The error for a file with a z coordinate (never flattened to x, y)."""
    return InputError(
        f"{path}: has 3-D keypoints ({what}); killipose reads 2-D (x, y) poses only and "
        "does not drop z"
    )


def to_numbers(values: pd.Series, path, column: str) -> pd.Series:
    """``values`` as numbers (``pd.to_numeric``), missing values kept missing.

    ``column`` is the column as the message names it (``x_nose``, ``'frame_idx'``,
    ``DLC/nose/x``): each reader names columns as its format does.

    Raises
    ------
    InputError
        Naming the first value that is not a number and its data row (1: the first row
        after the header), rather than leaving it to become NaN.
    """
    converted = pd.to_numeric(values, errors="coerce")
    bad = np.asarray(converted.isna() & values.notna())
    if bad.any():
        row = int(bad.nonzero()[0][0])
        raise InputError(
            f"{path}: column {column} has non-numeric value {str(values.iloc[row])[:40]!r} "
            f"in data row {row + 1}"
        )
    return converted
