"""The training loop: when it stops, which weights it keeps, its learning rate."""

import logging
import math

import pytest
import torch
from torch import nn
from tqdm import tqdm

from killipose.models import progress
from killipose.models.training import FINAL_LR, cosine_schedule, train_autoencoder


class Scripted(nn.Module):
    """One weight, pulled up by every training step; its validation loss after each
    epoch is read from ``script``, and its weight at that moment is recorded."""

    def __init__(self, script: list[float]):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.script = script
        self.weights = []  # the weight at each validation, epoch by epoch

    def forward(self, x):
        return x + self.w

    def loss(self, x, y=None, generator=None):
        if self.training:
            return ((x + self.w - 10) ** 2).mean()
        self.weights.append(self.w.item())
        return torch.tensor(self.script[len(self.weights) - 1], dtype=torch.float64)


def train(script, *, patience, epochs=None, min_steps=0):
    """Train a :class:`Scripted` module one step per epoch; return it and its history."""
    module = Scripted(script)
    history = train_autoencoder(
        module,
        torch.zeros(8, 2),
        torch.zeros(4, 2),
        epochs=epochs or len(script),
        batch_size=8,
        lr=0.1,
        patience=patience,
        seed=0,
        min_steps=min_steps,
    )
    return module, history


@pytest.mark.parametrize(
    "script, patience, best, stop",
    [
        # Best at epoch 3; epochs 4, 5, 6 are no better (6 ties it: a tie is no better),
        # so it stops after epoch 6 = 3 + patience, before epoch 7's better loss.
        ([5, 4, 3, 3.5, 3.25, 3, 1, 1, 1], 3, 3, 6),
        ([2, 1, 1.5, 0.5], 1, 2, 3),  # patience 1: stops at the first epoch no better
        ([3, 2, 1], 1, 3, 3),  # always better: runs every epoch, keeps the last
        ([1, 2, 3, 4, 5, 6, 0.5], 5, 1, 6),  # patience 5: stops after epoch 1 + 5
        ([4, 3, 2, 5, 6, 1, 7, 8], 2, 3, 5),  # a better epoch after the stop is never seen
    ],
)
def test_early_stop_comes_patience_epochs_after_the_best_and_keeps_its_weights(
    script, patience, best, stop
):
    module, history = train(script, patience=patience)
    assert [h["epoch"] for h in history] == list(range(1, stop + 1))
    assert [h["val_loss"] for h in history] == script[:stop]
    assert len(set(module.weights)) == stop  # every epoch moved the weight
    assert module.w.item() == module.weights[best - 1]  # the best epoch's, not the last's


def test_no_early_stop_before_min_steps():
    # Best at epoch 1, patience 1: it would stop after epoch 2; min_steps 4 (one step per
    # epoch) keeps it going until after epoch 4, the first with 4 steps done.
    module, history = train([1, 2, 3, 4, 5, 6, 7, 8], patience=1, min_steps=4)
    assert len(history) == 4
    assert module.w.item() == module.weights[0]
    # And min_steps adds epochs when there are too few: 2 epochs of 1 step, 5 steps.
    _, history = train([3, 2, 1, 0.5, 0.25, 0.1], patience=1, epochs=2, min_steps=5)
    assert len(history) == 5


def test_history_gives_each_epochs_last_learning_rate():
    _, history = train([5, 4, 3, 2], patience=4)  # 4 steps: warm-up of 1, then cosine
    lr = cosine_schedule(0.1, 4, 1)
    assert [h["lr"] for h in history] == [lr(0), lr(1), lr(2), lr(3)]
    assert history[0]["lr"] == 0.1
    assert history[-1]["lr"] == pytest.approx(0.1 * (FINAL_LR + (1 - FINAL_LR) * 0.25))


def test_learning_rate_warms_up_then_decays_to_its_floor():
    # 105 steps of 10 per epoch: a warm-up of 5 steps (5% < one epoch), 100 of decay.
    lr = cosine_schedule(2.0, 105, 10)
    assert [lr(step) for step in range(6)] == [0.4, 0.8, 1.2, 1.6, 2.0, 2.0]
    assert lr(55) == pytest.approx(2.0 * (FINAL_LR + (1 - FINAL_LR) / 2))  # half way down
    assert lr(105) == pytest.approx(2.0 * FINAL_LR)  # one past the last step: the floor
    assert 2.0 * FINAL_LR < lr(104) < lr(103) < lr(55)
    # Short epochs: the warm-up is one epoch (2 steps < 5% of 100).
    assert cosine_schedule(1.0, 100, 2)(0) == 0.5
    # Few steps: a warm-up of one step, then the decay from the peak.
    lr = cosine_schedule(1.0, 10, 10)
    assert [lr(0), lr(1)] == [1.0, 1.0]
    assert lr(2) == pytest.approx(FINAL_LR + (1 - FINAL_LR) * 0.5 * (1 + math.cos(math.pi / 9)))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.4, "0 s"), (59.4, "59 s"), (60, "1 min 0 s"), (185, "3 min 5 s"), (3720, "1 h 2 min")],
)
def test_time_left_reads_as_a_wait(seconds, text):
    assert progress.duration(seconds) == text


def test_each_epoch_line_says_the_time_the_rest_would_take_at_the_pace_so_far(caplog):
    history = [
        {"epoch": e, "train_loss": 1.0, "val_mse": 2.0, "seconds": s}
        for e, s in ((1, 10.0), (2, 30.0))
    ]
    with caplog.at_level(logging.INFO, logger="killipose"):
        progress.show_epoch(history, 5, tqdm(disable=True))
    # three epochs left at 20 s each (the mean so far, not the last epoch's 30 s)
    assert caplog.messages == ["epoch 2/5 train_loss 1 val_mse 2 (30.0 s; at most 1 min 0 s left)"]


class Counting(nn.Module):
    """A linear map that records the rows of every training batch it sees."""

    loss_is_mse = True

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))
        self.seen: list[torch.Tensor] = []

    def forward(self, x):
        return x * self.w

    def loss(self, x, y=None, generator=None):
        if self.training:
            self.seen.append(x[:, 0].clone())
        return nn.functional.mse_loss(self(x), x)


@pytest.mark.parametrize("epoch_samples, batches", [(None, [4, 4, 2]), (7, [4, 3]), (50, None)])
def test_epoch_samples_draws_that_many_distinct_rows_each_epoch(epoch_samples, batches):
    X = torch.arange(10, dtype=torch.float32)[:, None].repeat(1, 2)  # row i holds i
    module = Counting()
    history = train_autoencoder(
        module, X, X[:3], epochs=3, batch_size=4, lr=0.1, patience=5, seed=0,
        epoch_samples=epoch_samples,
    )  # fmt: skip
    per_epoch = len(module.seen) // 3
    sizes = [len(b) for b in module.seen[:per_epoch]]
    assert sizes == (batches or [4, 4, 2])  # more than the table: every row, once
    for epoch in range(3):
        rows = torch.cat(module.seen[epoch * per_epoch : (epoch + 1) * per_epoch])
        assert len(set(rows.tolist())) == len(rows) == sum(sizes)  # no row twice
    firsts = [torch.cat(module.seen[e * per_epoch : (e + 1) * per_epoch]) for e in range(3)]
    assert not all(torch.equal(firsts[0], f) for f in firsts[1:])  # drawn afresh
    # A plain-MSE module's validation loss is its MSE, from one pass.
    assert all(h["val_loss"] == h["val_mse"] for h in history)


class Subnormal(Counting):
    """Records whether a subnormal float survives arithmetic in each training step."""

    def loss(self, x, y=None, generator=None):
        if self.training:
            self.kept.append((torch.tensor([1e-40]) * 1.0).item() != 0)
        return super().loss(x, y, generator)


def test_training_flushes_subnormal_floats_and_then_stops():
    """Adam's moments of weights with no gradient decay through the subnormal range, ~100
    times slower to compute on a CPU: training computes them as zero, nothing after it."""
    subnormal = torch.tensor([1e-40])
    assert subnormal.item() != 0  # float32 holds it, as a subnormal
    module = Subnormal()
    module.kept = []
    X = torch.ones(8, 2)
    train_autoencoder(module, X, X[:2], epochs=2, batch_size=4, lr=0.1, patience=5, seed=0)
    assert len(module.kept) == 4 and not any(module.kept)
    assert (subnormal * 1.0).item() != 0
