"""The training loop shared by every autoencoder: one tensor, batches by index.

Adam on the mean squared reconstruction error, a short linear warm-up then cosine decay
of the learning rate, the validation error after every epoch, the best-validation
weights kept, and early stopping after ``patience`` epochs without improvement.

Training lasts ``epochs`` passes, or more when that is fewer than ``min_steps`` optimiser
steps: some models converge per step, not per pass (a linear autoencoder on a small table
needs ~10,000 steps to reach PCA, however few frames it has).

An interrupted training resumes where it stopped when given a checkpoint file: after an
epoch the loop writes everything it needs to go on (weights, optimiser, batch-order
generator, step, history, best epoch) to that file, atomically; a later call with the
same module, settings and data continues from it and ends with the same weights, bit for
bit, as a run that was never interrupted (same device and thread count).

Tests interrupt and slow down training through one hook, the environment variable
``KILLIPOSE_TEST_HOOK`` (see :func:`read_test_hook`), so that they never race the clock.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm.auto import tqdm

from killipose.errors import InputError
from killipose.files import atomic_path
from killipose.models.checkpoint_state import on_cpu, training_fingerprint
from killipose.models.progress import show_epoch

log = logging.getLogger("killipose")
#: The learning rate decays to this fraction of its peak by the last step.
FINAL_LR = 0.001
#: Written into every checkpoint; a file without it is not resumed.
CHECKPOINT_FORMAT = "killipose-checkpoint/1"
#: Checkpoints take at most about this share of the training time: with short epochs
#: (a linear autoencoder on a small table runs thousands of 5 ms epochs) not every epoch
#: is saved. A kill then loses at most ~1/CHECKPOINT_SHARE times one save, plus an epoch.
CHECKPOINT_SHARE = 0.02
#: The test hook's environment variable (see :func:`read_test_hook`); unset, it does nothing.
TEST_HOOK = "KILLIPOSE_TEST_HOOK"


@contextlib.contextmanager
def flushing_denormals():
    """Subnormal floats computed as zero on the CPU while training (then torch's default,
    off). Adam's moments of weights that never get a gradient (an MNIST border pixel's)
    decay through the subnormal range, ~100 times slower to compute: 6,000 steps of the
    linear autoencoder on 3,000 digits take 29 s with them flushed, 50 s without."""
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"`` picks CUDA when present, else the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def read_test_hook() -> dict:
    """The settings of the test hook, from the environment variable ``TEST_HOOK``.

    It lets a test stop or slow training at a chosen epoch instead of racing the clock,
    also in a ``killipose fit`` that Snakemake runs (child processes inherit it):

    ``pause_after_epoch=N``
        After epoch N, save the checkpoint (whatever the time since the last save), then
        stop the process with SIGSTOP, as a debugger would. The test then kills it (a real
        SIGKILL, of its whole process group) or lets it go on with SIGCONT.
    ``slowdown=F``
        Make every epoch take F times as long, by sleeping after it for F - 1 times the
        time it took: a machine F times slower, as the training loop sees it.

    Example: ``KILLIPOSE_TEST_HOOK=pause_after_epoch=3,slowdown=10``.
    """
    settings = {"pause_after_epoch": int, "slowdown": float}
    hook = {}
    for item in filter(None, os.environ.get(TEST_HOOK, "").split(",")):
        key, _, value = item.strip().partition("=")
        try:
            hook[key] = settings[key](value)
        except (KeyError, ValueError):
            known = ", ".join(f"{k}=<{t.__name__}>" for k, t in settings.items())
            raise InputError(f"{TEST_HOOK}: cannot use {item!r} (known: {known})") from None
    return hook


@torch.no_grad()
def batched_mse(module: torch.nn.Module, X: torch.Tensor, batch_size: int = 65536) -> float:
    """Mean squared reconstruction error of ``module`` on ``X``, in batches."""
    module.eval()
    total = 0.0
    for i in range(0, len(X), batch_size):
        xb = X[i : i + batch_size]
        total += torch.sum((module(xb) - xb) ** 2, dtype=torch.float64).item()
    return total / X.numel()


@torch.no_grad()
def batched_loss(module: torch.nn.Module, X: torch.Tensor, y: torch.Tensor | None) -> float:
    """``module.loss`` over all of ``X`` (and labels ``y``), in batches."""
    module.eval()
    total = 0.0
    for i in range(0, len(X), 65536):
        yb = None if y is None else y[i : i + 65536]
        total += module.loss(X[i : i + 65536], yb).item() * len(X[i : i + 65536])
    return total / len(X)


def cosine_schedule(peak: float, total_steps: int, steps_per_epoch: int) -> Callable[[int], float]:
    """The learning rate of each optimiser step (from 0) of ``total_steps``.

    A linear warm-up to ``peak`` over the first epoch or 5% of the steps, whichever is
    shorter (Adam's first steps, on moments estimated from few batches, would otherwise be
    the largest), then a cosine decay to ``FINAL_LR * peak`` at the last step.
    """
    warmup = min(steps_per_epoch, max(total_steps // 20, 1))

    def learning_rate(step: int) -> float:
        if step < warmup:
            return peak * (step + 1) / warmup
        progress = (step - warmup) / max(total_steps - warmup, 1)
        return peak * (FINAL_LR + (1 - FINAL_LR) * 0.5 * (1 + math.cos(math.pi * progress)))

    return learning_rate


@dataclass
class TrainingState:
    """Where a training stands after an epoch: what a checkpoint holds to go on from there."""

    optimiser: torch.optim.Optimizer
    generator: torch.Generator  # the batch order, and any noise the loss draws
    epoch: int = 0  # epochs done
    step: int = 0  # optimiser steps done
    history: list[dict] = field(default_factory=list)
    best_val: float = math.inf
    best_epoch: int = -1  # the epoch (from 0) with the lowest validation loss so far
    best_state: dict | None = None  # the module's weights after it

    def state_dict(self) -> dict:
        """All of it as tensors and plain Python values, as a checkpoint holds it."""
        plain = {k: v for k, v in vars(self).items() if k not in ("optimiser", "generator")}
        states = {"optimiser": self.optimiser.state_dict(), "generator": self.generator.get_state()}
        return plain | states

    def load_state_dict(self, saved: dict) -> None:
        """Go on from ``saved``, a :meth:`state_dict` (or a checkpoint that holds one)."""
        self.optimiser.load_state_dict(saved["optimiser"])
        self.generator.set_state(saved["generator"])
        self.epoch, self.step = saved["epoch"], saved["step"]
        self.history, self.best_state = saved["history"], saved["best_state"]
        self.best_val, self.best_epoch = saved["best_val"], saved["best_epoch"]


#: Rows gathered at once into a contiguous block (each batch is then a slice of it): one
#: gather per block instead of per step, and memory bounded whatever the table's length.
GATHER_ROWS = 1 << 18


def train_epoch(
    module: torch.nn.Module,
    X: torch.Tensor,
    y: torch.Tensor | None,
    batch_size: int,
    state: TrainingState,
    schedule: Callable[[int], float],
    samples: int | None = None,
) -> float:
    """One pass over ``X`` (labels ``y``) in batches of ``batch_size`` rows, in an order
    drawn from ``state.generator``; ``schedule(step)`` is each step's learning rate.
    ``samples``: the pass stops after this many rows of that order (``None``: all).

    Returns the mean training loss over the rows seen; advances ``state.step``.
    """
    module.train()
    order = torch.randperm(len(X), generator=state.generator)[:samples].to(X.device)
    running = torch.zeros((), dtype=torch.float64, device=X.device)
    block = max(GATHER_ROWS // batch_size, 1) * batch_size
    for start in range(0, len(order), block):
        rows = order[start : start + block]
        X_block, y_block = X[rows], None if y is None else y[rows]
        for i in range(0, len(rows), batch_size):
            for group in state.optimiser.param_groups:
                group["lr"] = schedule(state.step)
            xb, yb = X_block[i : i + batch_size], None if y is None else y_block[i : i + batch_size]
            loss = module.loss(xb, yb, generator=state.generator)
            state.optimiser.zero_grad(set_to_none=True)
            loss.backward()
            state.optimiser.step()
            running += loss.detach() * len(xb)
            state.step += 1
    return running.item() / len(order)


def validation_losses(
    module: torch.nn.Module, X: torch.Tensor, y: torch.Tensor | None
) -> tuple[float, float]:
    """``(val_mse, val_loss)`` on ``X``: one pass when the objective is the plain MSE."""
    val_mse = batched_mse(module, X)
    if getattr(module, "loss_is_mse", False):
        return val_mse, val_mse
    return val_mse, batched_loss(module, X, y)


def train_autoencoder(
    module: torch.nn.Module,
    X_train: torch.Tensor,
    X_val: torch.Tensor,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    patience: int,
    seed: int,
    min_steps: int = 0,
    epoch_samples: int | None = None,
    y_train: torch.Tensor | None = None,
    y_val: torch.Tensor | None = None,
    progress: bool = False,
    checkpoint: str | os.PathLike | None = None,
    fingerprint: dict | None = None,
) -> list[dict]:
    """Train ``module`` in place; return the per-epoch history.

    Parameters
    ----------
    module
        Has ``loss(x, y, generator=...)``, the objective minimised, which draws any noise
        it needs (denoising, sampling) from ``generator``: the batch order's, so that a
        resumed training draws the same noise. Starts from its current weights.
    X_train, X_val
        float32 tensors ``(samples, features)`` on the module's device.
    epochs, batch_size, lr, patience, seed, min_steps
        See the module docstring; ``seed`` sets the batch order.
    epoch_samples
        Rows per epoch, drawn afresh at random each epoch (``None``: every row): on a long
        recording of nearly repeating frames, a fraction of them per epoch lets the
        validation error be checked (and the best weights kept) more often for the same
        work.
    y_train, y_val
        Labels, for modules that also classify.
    progress
        Show a progress bar (tqdm).
    checkpoint
        A file to resume from and to save to after epochs (see :class:`Checkpoint`);
        ``None`` (default): no checkpoint.
    fingerprint
        What else identifies this training (JSON-able values, e.g. the model's
        hyper-parameters); a checkpoint is resumed only if these match too.

    Returns
    -------
    One dict per epoch: ``epoch``, ``train_loss``, ``val_loss``, ``val_mse`` (normalised
    units squared), ``lr`` and ``seconds``. On return the module holds the weights of the
    epoch with the lowest validation loss.

    Notes
    -----
    Training stops early at the end of the epoch ``patience`` epochs after the best one
    (once ``min_steps`` steps are done). Resuming restores the module's weights, so work
    done to it before the call (an initialisation from data) is replaced by the
    checkpoint's.
    """
    per_epoch = len(X_train) if epoch_samples is None else min(epoch_samples, len(X_train))
    steps_per_epoch = math.ceil(per_epoch / batch_size)
    epochs = max(epochs, math.ceil(min_steps / steps_per_epoch))
    schedule = cosine_schedule(lr, epochs * steps_per_epoch, steps_per_epoch)
    generator = torch.Generator().manual_seed(seed)
    # fused: one kernel for the whole update (CPU and CUDA): 10% more samples/s on the
    # linear autoencoder, whose steps are mostly the optimiser's.
    optimiser = torch.optim.Adam(module.parameters(), lr=lr, fused=True)
    state = TrainingState(optimiser, generator)
    saver = None
    if checkpoint is not None:
        settings = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "patience": patience}
        settings |= {"seed": seed, "min_steps": min_steps, "epoch_samples": epoch_samples}
        data = {"X_train": X_train, "X_val": X_val, "y_train": y_train, "y_val": y_val}
        saver = Checkpoint(checkpoint, training_fingerprint(module, data, settings, fingerprint))
        saver.resume(module, state, epochs)
    hook = read_test_hook()
    bar = tqdm(total=epochs, initial=state.epoch, unit="epoch", leave=False, disable=not progress)
    with flushing_denormals():
        for epoch in range(state.epoch, epochs):
            start = time.perf_counter()
            train_loss = train_epoch(
                module, X_train, y_train, batch_size, state, schedule, epoch_samples
            )
            val_mse, val_loss = validation_losses(module, X_val, y_val)
            if hook.get("slowdown", 1) > 1:  # a machine this many times slower
                time.sleep((hook["slowdown"] - 1) * (time.perf_counter() - start))
            record = {"epoch": epoch + 1, "train_loss": train_loss, "val_loss": val_loss}
            record |= {"val_mse": val_mse, "lr": schedule(state.step - 1)}
            state.history.append(record | {"seconds": time.perf_counter() - start})
            show_epoch(state.history, epochs, bar)
            if val_loss < state.best_val:
                state.best_val, state.best_epoch = val_loss, epoch
                state.best_state = copy.deepcopy(module.state_dict())
            elif epoch - state.best_epoch >= patience and state.step >= min_steps:
                log.info("early stop: no better validation error for %d epochs", patience)
                break
            state.epoch = epoch + 1
            pause = hook.get("pause_after_epoch") == state.epoch
            if saver is not None and state.epoch < epochs:
                saver.save_when_due(module, state, epochs, now=pause)
            if pause:
                log.info("%s: pausing after epoch %d (SIGSTOP)", TEST_HOOK, state.epoch)
                os.kill(os.getpid(), signal.SIGSTOP)
    bar.close()
    if state.best_state is not None:
        module.load_state_dict(state.best_state)
    if saver is not None:
        saver.path.unlink(missing_ok=True)
    return state.history


class Checkpoint:
    """The checkpoint file of one training: written atomically, removed when it ends.

    It holds the module's weights and the :class:`TrainingState`, as tensors and plain
    values (it loads with ``torch.load(weights_only=True)``); it is saved after the first
    epoch, then as often as ``CHECKPOINT_SHARE`` allows, and after the epoch the test hook
    pauses at. It is resumed only if it holds the fingerprint ``identity``
    (:func:`training_fingerprint`), else ignored (logged) and overwritten. The device is
    not part of it: a run started on a GPU may go on on the CPU, though not bit for bit.
    """

    def __init__(self, path: str | os.PathLike, identity: dict):
        self.path = Path(path)
        self.identity = identity
        self.next_save = 0.0  # time.perf_counter() from which the next save is due

    def save_when_due(
        self, module: torch.nn.Module, state: TrainingState, epochs: int, now: bool = False
    ) -> None:
        """Save the module's weights and ``state`` if a save is due (or ``now``).

        A save is due when the time since the last one is 1/``CHECKPOINT_SHARE`` times
        what that one took: every epoch but the last when epochs are long, every few when
        they take milliseconds.
        """
        if not now and time.perf_counter() < self.next_save:
            return
        began = time.perf_counter()
        saved = {"format": CHECKPOINT_FORMAT, "fingerprint": self.identity, "epochs": epochs}
        save_checkpoint(self.path, saved | state.state_dict() | {"module": module.state_dict()})
        self.next_save = began + (time.perf_counter() - began) * (1 + 1 / CHECKPOINT_SHARE)

    def resume(self, module: torch.nn.Module, state: TrainingState, epochs: int) -> None:
        """Load the file's weights and state into ``module`` and ``state`` if it is from
        this training; a missing file is skipped, an unreadable or another training's one
        is logged and skipped."""
        if not self.path.exists():
            return
        try:
            saved = torch.load(self.path, map_location="cpu", weights_only=True)
        except Exception as err:  # torch reports a damaged file in many ways; never fatal here
            text = str(err).strip()
            reason = text.splitlines()[0][:120] if text else type(err).__name__
            log.warning("ignoring checkpoint %s: cannot read it (%s)", self.path, reason)
            return
        if not isinstance(saved, dict) or saved.get("format") != CHECKPOINT_FORMAT:
            log.warning("ignoring checkpoint %s: not a killipose checkpoint", self.path)
            return
        theirs = saved.get("fingerprint", {})
        differ = sorted(k for k in self.identity | theirs if self.identity.get(k) != theirs.get(k))
        if differ:
            log.warning(
                "ignoring checkpoint %s: it is from a different training (%s differ); "
                "starting afresh",
                self.path,
                ", ".join(differ),
            )
            return
        module.load_state_dict(saved["module"])
        state.load_state_dict(saved)
        log.info("resuming from epoch %d of %d (checkpoint %s)", state.epoch, epochs, self.path)


def save_checkpoint(path: Path, state: dict) -> None:
    """Write ``state`` to ``path`` atomically, every tensor moved to the CPU."""
    with atomic_path(path) as tmp:
        torch.save(on_cpu(state), tmp)
