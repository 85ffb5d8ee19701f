"""The training loop shared by every autoencoder: one tensor, batches by index.

Adam on the mean squared reconstruction error, a short linear warm-up then cosine decay
of the learning rate, the validation error after every epoch, the best-validation
weights kept, and early stopping after ``patience`` epochs without improvement.

Training lasts ``epochs`` passes, or more when that is fewer than ``min_steps`` optimiser
steps: some models converge per step, not per pass (a linear autoencoder on a small table
needs ~10,000 steps to reach PCA, however few frames it has).
"""

from __future__ import annotations

import copy
import logging
import math
import time

import torch

log = logging.getLogger("killipose")
#: The learning rate decays to this fraction of its peak by the last step.
FINAL_LR = 0.001


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"`` picks CUDA when present, else the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


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
) -> list[dict]:
    """Train ``module`` in place; return the per-epoch history.

    ``X_train`` and ``X_val`` are float32 tensors on the module's device; ``y_train`` and
    ``y_val`` are labels for modules that also classify. The module's ``loss(x, y)`` is
    minimised; on return the module holds the weights of the epoch with the lowest
    validation loss.
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
    best_val, best_state, best_epoch, step = math.inf, None, -1, 0
    bar = _progress(epochs) if progress else None
    for epoch in range(epochs):
        start = time.perf_counter()
        module.train()
        order = torch.randperm(n, generator=generator).to(X_train.device)
        running = torch.zeros((), dtype=torch.float64, device=X_train.device)
        for i in range(0, n, batch_size):
            for group in optimiser.param_groups:
                group["lr"] = lr_at(step)
            batch = order[i : i + batch_size]
            loss = module.loss(X_train[batch], None if y_train is None else y_train[batch])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            running += loss.detach() * len(batch)
            step += 1
        train_loss = running.item() / n
        val_mse = batched_mse(module, X_val)
        val_loss = batched_loss(module, X_val, y_val)
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
    if bar is not None:
        bar.close()
    if best_state is not None:
        module.load_state_dict(best_state)
    return history


def _progress(total: int):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="epoch", leave=False)
