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

import copy
import hashlib
import json
import logging
import math
import os
import signal
import time
from pathlib import Path

import numpy as np
import torch

from killipose.errors import InputError
from killipose.files import atomic_path

log = logging.getLogger("killipose")
#: The learning rate decays to this fraction of its peak by the last step.
FINAL_LR = 0.001
#: Written into every checkpoint; a file without it is not resumed.
CHECKPOINT_FORMAT = "killipose-checkpoint/1"
#: Checkpoints take at most about this share of the training time: with short epochs
#: (a linear autoencoder on a small table runs thousands of 5 ms epochs) not every epoch
#: is saved. A kill then loses at most ~1/CHECKPOINT_SHARE times one save, plus an epoch.
CHECKPOINT_SHARE = 0.02
#: The test hook's environment variable: ``pause_after_epoch=N`` and ``slowdown=F``,
#: comma-separated (see :func:`read_test_hook`). Read by tests only; unset, it does nothing.
TEST_HOOK = "KILLIPOSE_TEST_HOOK"


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
    y_train, y_val
        Labels, for modules that also classify.
    progress
        Show a progress bar (tqdm).
    checkpoint
        A file to resume from and to save to after epochs (see Notes); ``None``
        (default): no checkpoint.
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
    The checkpoint is a plain dict of tensors and Python values (it loads with
    ``torch.load(weights_only=True)``), written atomically, and removed when training
    ends. It is saved after the first epoch, then after each epoch that ends at least 50
    times the last save's duration (1/``CHECKPOINT_SHARE``) after that save: after every
    epoch but the last when epochs are long, every few epochs when they take milliseconds;
    and always after the epoch the test hook pauses at (:func:`read_test_hook`).
    It is resumed only if its fingerprint matches this call's: the training settings and
    ``fingerprint``, the module's parameter names and shapes, and the shape and SHA-256 of
    the data; otherwise it is ignored (logged) and overwritten. The device is not part of
    it: a run started on a GPU may go on on the CPU, though then not bit for bit.
    Resuming restores the module's weights, so work done to it before the call
    (an initialisation from data) is replaced by the checkpoint's.
    """
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(module.parameters(), lr=lr)
    n = len(X_train)
    steps_per_epoch = math.ceil(n / batch_size)
    epochs = max(epochs, math.ceil(min_steps / steps_per_epoch))
    total_steps = epochs * steps_per_epoch
    warmup = min(steps_per_epoch, max(total_steps // 20, 1))

    def lr_at(step: int) -> float:
        if step < warmup:
            return lr * (step + 1) / warmup
        progress_ = (step - warmup) / max(total_steps - warmup, 1)
        return lr * (FINAL_LR + (1 - FINAL_LR) * 0.5 * (1 + math.cos(math.pi * progress_)))

    history: list[dict] = []
    best_val, best_state, best_epoch, step, first = math.inf, None, -1, 0, 0
    if checkpoint is not None:
        checkpoint = Path(checkpoint)
        settings = {
            "epochs": epochs,
            "batch_size": batch_size,
            "lr": lr,
            "patience": patience,
            "seed": seed,
            "min_steps": min_steps,
        }
        data = {"X_train": X_train, "X_val": X_val, "y_train": y_train, "y_val": y_val}
        identity = training_fingerprint(module, data, settings, fingerprint)
        saved = load_checkpoint(checkpoint, identity)
        if saved is not None:
            module.load_state_dict(saved["module"])
            optimiser.load_state_dict(saved["optimiser"])
            generator.set_state(saved["generator"])
            history, step, first = saved["history"], saved["step"], saved["epoch"]
            best_val, best_epoch, best_state = (
                saved["best_val"],
                saved["best_epoch"],
                saved["best_state"],
            )
            log.info("resuming from epoch %d of %d (checkpoint %s)", first, epochs, checkpoint)
    hook = read_test_hook()
    bar = _progress(epochs, first) if progress else None
    next_save = 0.0  # time.perf_counter() from which the next checkpoint is due
    for epoch in range(first, epochs):
        start = time.perf_counter()
        module.train()
        order = torch.randperm(n, generator=generator).to(X_train.device)
        running = torch.zeros((), dtype=torch.float64, device=X_train.device)
        for i in range(0, n, batch_size):
            for group in optimiser.param_groups:
                group["lr"] = lr_at(step)
            batch = order[i : i + batch_size]
            loss = module.loss(
                X_train[batch], None if y_train is None else y_train[batch], generator=generator
            )
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            running += loss.detach() * len(batch)
            step += 1
        train_loss = running.item() / n
        val_mse = batched_mse(module, X_val)
        val_loss = batched_loss(module, X_val, y_val)
        if hook.get("slowdown", 1) > 1:
            time.sleep((hook["slowdown"] - 1) * (time.perf_counter() - start))
        history.append(
            {
                "epoch": epoch + 1,
                "train_loss": train_loss,
                "val_loss": val_loss,
                "val_mse": val_mse,
                "lr": lr_at(step - 1),
                "seconds": time.perf_counter() - start,
            }
        )
        log.info(
            "epoch %d/%d train_loss %.6g val_mse %.6g (%.1f s)",
            epoch + 1,
            epochs,
            train_loss,
            val_mse,
            history[-1]["seconds"],
        )
        if bar is not None:
            bar.set_postfix(val_mse=f"{val_mse:.4g}")
            bar.update()
        if val_loss < best_val:
            best_val, best_epoch = val_loss, epoch
            best_state = copy.deepcopy(module.state_dict())
        elif epoch - best_epoch >= patience and step >= min_steps:
            log.info("early stop: no better validation error for %d epochs", patience)
            break
        pause = hook.get("pause_after_epoch") == epoch + 1
        due = pause or time.perf_counter() >= next_save
        if checkpoint is not None and epoch + 1 < epochs and due:
            began = time.perf_counter()
            save_checkpoint(
                checkpoint,
                {
                    "format": CHECKPOINT_FORMAT,
                    "fingerprint": identity,
                    "epoch": epoch + 1,
                    "epochs": epochs,
                    "step": step,
                    "module": module.state_dict(),
                    "optimiser": optimiser.state_dict(),
                    "generator": generator.get_state(),
                    "history": history,
                    "best_val": best_val,
                    "best_epoch": best_epoch,
                    "best_state": best_state,
                },
            )
            next_save = began + (time.perf_counter() - began) * (1 + 1 / CHECKPOINT_SHARE)
        if pause:
            log.info("%s: pausing after epoch %d (SIGSTOP)", TEST_HOOK, epoch + 1)
            os.kill(os.getpid(), signal.SIGSTOP)
    if bar is not None:
        bar.close()
    if best_state is not None:
        module.load_state_dict(best_state)
    if checkpoint is not None:
        checkpoint.unlink(missing_ok=True)
    return history


def training_fingerprint(
    module: torch.nn.Module,
    data: dict[str, torch.Tensor | None],
    settings: dict,
    extra: dict | None = None,
) -> dict:
    """What a checkpoint must match to be resumed, as a flat dict of JSON values.

    ``settings`` (training) and ``extra`` (e.g. model hyper-parameters) as given, the
    module's class and parameter shapes, and for each tensor in ``data`` its dtype, shape
    and SHA-256 (~0.1 s per 100 MB).
    """
    found = {f"training.{k}": v for k, v in settings.items()}
    found |= {f"model.{k}": v for k, v in (extra or {}).items()}
    found["module"] = type(module).__name__ + "".join(
        f" {name}{list(value.shape)}" for name, value in module.state_dict().items()
    )
    for name, tensor in data.items():
        if tensor is not None:
            array = np.ascontiguousarray(tensor.detach().cpu().numpy())
            digest = hashlib.sha256(array).hexdigest()
            found[f"data.{name}"] = f"{array.dtype}{list(array.shape)} sha256:{digest}"
    # Through JSON, so tuples and lists, or int and float keys, compare as they will load.
    return json.loads(json.dumps(found, sort_keys=True, default=str))


def save_checkpoint(path: Path, state: dict) -> None:
    """Write ``state`` to ``path`` atomically, every tensor moved to the CPU."""
    with atomic_path(path) as tmp:
        torch.save(_on_cpu(state), tmp)


def load_checkpoint(path: Path, fingerprint: dict) -> dict | None:
    """The checkpoint at ``path`` if there is one and it matches ``fingerprint``.

    A missing file gives ``None``; an unreadable one, or one from a different training
    (another fingerprint), is logged and gives ``None``.
    """
    if not path.exists():
        return None
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch reports a damaged file in many ways; never fatal here
        reason = str(err).strip().splitlines()[0][:120] if str(err).strip() else type(err).__name__
        log.warning("ignoring checkpoint %s: cannot read it (%s)", path, reason)
        return None
    if not isinstance(saved, dict) or saved.get("format") != CHECKPOINT_FORMAT:
        log.warning("ignoring checkpoint %s: not a killipose checkpoint", path)
        return None
    theirs = saved.get("fingerprint", {})
    differ = sorted(
        k for k in fingerprint.keys() | theirs.keys() if fingerprint.get(k) != theirs.get(k)
    )
    if differ:
        log.warning(
            "ignoring checkpoint %s: it is from a different training (%s differ); starting afresh",
            path,
            ", ".join(differ),
        )
        return None
    return saved


def _on_cpu(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _on_cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_on_cpu(v) for v in value)
    return value


def _progress(total: int, initial: int = 0):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="epoch", leave=False)
