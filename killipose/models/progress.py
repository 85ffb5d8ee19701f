"""What a fit tells the person watching it: a line per epoch, with the time left."""

from __future__ import annotations

import logging

from tqdm import tqdm

log = logging.getLogger("killipose")


def duration(seconds: float) -> str:
    """``seconds`` as a person reads a wait: ``"40 s"``, ``"3 min 5 s"``, ``"1 h 2 min"``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def show_epoch(history: list[dict], epochs: int, bar: tqdm) -> None:
    """Log the last epoch of ``history`` with the time the epochs left would take at the
    pace so far (early stopping may end sooner), and move the progress ``bar``."""
    record = history[-1]
    pace = sum(r["seconds"] for r in history) / len(history)
    log.info(
        "epoch %d/%d train_loss %.6g val_mse %.6g (%.1f s; at most %s left)",
        record["epoch"],
        epochs,
        record["train_loss"],
        record["val_mse"],
        record["seconds"],
        duration(pace * (epochs - record["epoch"])),
    )
    bar.set_postfix(val_mse=f"{record['val_mse']:.4g}")
    bar.update()
