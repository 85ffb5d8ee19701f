"""The folded autoencoder: a nonlinear code that keeps PCA's and adds what bends.

Why a special design: in arena coordinates an animal's pose is its position, its heading
(a circle: it enters the keypoints as cos and sin) and its body shape. A 4-D linear code
spends all four dimensions on position and heading. Plain MLP autoencoders trained here
settle on that same code: at PCA's solution the gradient toward also coding the tail bend
is zero to first order (the bend averages out over left and right), so gradient descent
does not leave it.

The fold makes the step explicit. The module starts as PCA exactly (the fold switched off,
:meth:`FoldModule.init_from_data`), so its starting state can be scored and kept if
training does not beat it; training switches the fold on. One 2-D direction of it is the
heading circle (found from the data as the projection whose radius is most constant);
its radius carries no information in a linear code, so the fold replaces the radius by
``exp(scale * b)``, where ``b`` is a learned nonlinear feature of the frame (the bend),
bounded (:data:`BEND_LIMIT`).
The decoder reads the heading from the direction and ``b`` back from the radius. Residual
MLPs on both sides (starting near zero) and PCA-whitened inputs — so the small shape
signal is not buried under position — let training move off PCA within an epoch or two.

Nothing is specific to fish or to column order; the one assumption is that some 2-D
projection of the linear code is close to a circle, which holds for any freely rotating
animal. ``circle_cv_`` (the radius' coefficient of variation) says how well it holds.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from killipose.errors import InputError
from killipose.models.pca import principal_axes

#: The bend ``b`` is held in (-BEND_LIMIT, BEND_LIMIT) by a tanh, so the radius
#: ``exp(scale * b)`` stays within (e^-3, e^3) at the default scale (0.1):
#: unbounded, unusual frames drove it far out (b ~ 50 where the other frames' lie within
#: ±10), training jumped (loss 6e-5 to 0.2 in an epoch) and such frames came back with
#: errors up to 1e8.
BEND_LIMIT = 30.0

#: Whitening treats a principal direction with less than this share of the largest one's
#: standard deviation as one with this share (on the fish in arena coordinates the
#: smallest is 0.004, which stays as it is).
MIN_RELATIVE_SIGMA = 1e-4


def residual_mlp(
    n_in: int, hidden: list[int], n_out: int, activation: type[nn.Module], last_scale: float
) -> nn.Sequential:
    """An MLP whose last layer starts ``last_scale`` times its default size, biases zero."""
    layers: list[nn.Module] = []
    width = n_in
    for h in hidden:
        layers += [nn.Linear(width, h), activation()]
        width = h
    last = nn.Linear(width, n_out)
    with torch.no_grad():
        last.weight.mul_(last_scale)
        last.bias.zero_()
    return nn.Sequential(*layers, last)


class FoldModule(nn.Module):
    """PCA code + folded heading circle + residual MLPs (see module docstring).

    Build with the sizes, then call :meth:`init_from_data` once before training; a module
    loaded from a file gets its state from ``load_state_dict`` instead.
    """

    def __init__(
        self,
        n_features: int,
        latent_dim: int,
        hidden: list[int],
        activation: type[nn.Module],
        fold_scale: float = 0.1,
    ):
        super().__init__()
        if latent_dim < 2:
            raise InputError("the fold design needs latent_dim >= 2 (one 2-D circle)")
        n, k = n_features, latent_dim
        self.fold_scale = fold_scale
        self.mean = nn.Parameter(torch.zeros(n))
        self.register_buffer("whiten", torch.eye(n))  # x - mean -> unit-variance PCA axes
        self.register_buffer("unwhiten", torch.eye(n))
        self.encode_linear = nn.Parameter(torch.zeros(k, n))
        self.circle = nn.Parameter(torch.zeros(2, k))
        self.decode_circle = nn.Parameter(torch.zeros(2, n))  # read through the direction only
        self.decode_rest = nn.Parameter(torch.zeros(k, n))
        self.encoder_residual = residual_mlp(n, hidden, k, activation, 0.1)
        self.decoder_residual = residual_mlp(k + 3, hidden, n, activation, 0.1)
        self.bend = residual_mlp(n, [max(h // 2, 4) for h in hidden], 1, activation, 1.0)
        # 0: PCA's linear code and its transpose as decoder; 1: the fold. Files written
        # before the switch existed hold a trained fold (see _load_from_state_dict).
        self.register_buffer("folded", torch.ones(()))
        # Files written before the bound (inf) keep the codes they were fitted with.
        self.register_buffer("bend_limit", torch.tensor(BEND_LIMIT))
        self._bend_limit = BEND_LIMIT

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        state_dict.setdefault(prefix + "folded", torch.ones(()))
        state_dict.setdefault(prefix + "bend_limit", torch.tensor(float("inf")))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        self._bend_limit = float(self.bend_limit)

    @torch.no_grad()
    def init_from_data(self, X: np.ndarray, seed: int) -> float:
        """Set PCA's solution for ``X``, fold off, and find the heading circle; return its CV.

        The module is then exactly PCA (up to float32 rounding); :meth:`start_training`
        switches the fold on.

        Deterministic: the exact principal axes and a search seeded by ``seed`` give the
        same start, bit for bit, for the same ``X`` (on the same thread count).
        """
        mean, vt, variance = principal_axes(X)
        sigma = np.sqrt(variance)
        # Directions with no spread (an egocentric posture has three: the removed position
        # and heading) hold only float32 rounding; whitening them to unit variance would
        # feed the MLPs noise 1e8 times larger than the data. The floor keeps them small.
        sigma = np.maximum(sigma, MIN_RELATIVE_SIGMA * max(sigma[0], 1e-12))
        k = self.encode_linear.shape[0]
        components = vt[:k]
        sample = X[:: max(len(X) // 100_000, 1)].astype(np.float64)
        cv, P = find_circle((sample - mean) @ components.T, seed)
        f32 = {"dtype": torch.float32}
        self.mean.copy_(torch.tensor(mean, **f32))
        self.whiten.copy_(torch.tensor(vt.T / sigma, **f32))
        self.unwhiten.copy_(torch.tensor(sigma[:, None] * vt, **f32))
        C = torch.tensor(components, **f32)
        P = torch.tensor(P, **f32)
        self.encode_linear.copy_(C)
        self.circle.copy_(P)
        P_inv = torch.linalg.solve(P @ P.T, P)
        self.decode_circle.copy_(P_inv @ C)
        self.decode_rest.copy_((torch.eye(k) - P.T @ P_inv) @ C)
        self.folded.fill_(0)
        return cv

    @torch.no_grad()
    def start_training(self) -> None:
        """Leave PCA's solution: switch the fold on (training moves from there)."""
        self.folded.fill_(1)

    def _whitened(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) @ self.whiten

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        if not self.folded:
            return (x - self.mean) @ self.encode_linear.T
        xw = self._whitened(x)
        z = (x - self.mean) @ self.encode_linear.T + self.encoder_residual(xw)
        u = z @ self.circle.T
        direction = u / u.norm(dim=1, keepdim=True).clamp_min(1e-6)
        P_inv = torch.linalg.solve(self.circle @ self.circle.T, self.circle)
        bend, limit = self.bend(xw), self._bend_limit
        if limit != float("inf"):
            bend = limit * torch.tanh(bend / limit)
        radius = torch.exp(self.fold_scale * bend)
        return z - u @ P_inv + (direction * radius) @ P_inv

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        if not self.folded:
            return self.mean + z @ self.encode_linear
        v = z @ self.circle.T
        r = v.norm(dim=1, keepdim=True).clamp_min(1e-6)
        direction = v / r
        b = torch.log(r) / self.fold_scale
        residual = self.decoder_residual(torch.cat([z, direction, b], dim=1)) @ self.unwhiten
        return self.mean + z @ self.decode_rest + direction @ self.decode_circle + residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    #: :meth:`loss` is the plain MSE: validation needs one pass, not two.
    loss_is_mse = True

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None, generator=None) -> torch.Tensor:
        """Mean squared reconstruction error (the training objective)."""
        return torch.nn.functional.mse_loss(self(x), x)


def find_circle(Z: np.ndarray, seed: int, restarts: int = 8, steps: int = 400):
    """The 2-D projection ``P`` (2, k) of codes ``Z`` whose radius ``|P z|`` varies least.

    Returns ``(cv, P)``: the radius' coefficient of variation and ``P`` scaled so the mean
    radius is 1. Adam on var(r²)/mean(r²)², from every pair of the code's first six axes
    (each scaled to unit spread: a heading circle lies near two principal axes) and from
    ``restarts`` random directions; the lowest wins. Random starts alone missed the fish's
    circle for one seed in four (CV 0.27 against 0.015).

    r² = zᵀ M z with M = PᵀP, so its mean and variance are linear and quadratic in M over
    the second and fourth moments of ``Z``: they are computed once, and each step costs
    k⁴ operations whatever the number of rows (51 s on 100,000 rows per step before, 1 s
    now, for the 23 starts of 400 steps).
    """
    generator = torch.Generator().manual_seed(seed)
    Zt = torch.tensor(Z, dtype=torch.float64)
    n, k = Zt.shape
    # w = vec(z zᵀ) per row: r² = vec(M)·w, so E[r²] = vec(M)·E[w], E[r⁴] = vec(M)ᵀ E[wwᵀ] vec(M)
    second, fourth = torch.zeros(k * k, dtype=torch.float64), torch.zeros((k * k,) * 2).double()
    for rows in Zt.split(65536):
        w = (rows[:, :, None] * rows[:, None, :]).reshape(len(rows), k * k)
        second += w.sum(dim=0)
        fourth += w.T @ w
    second, fourth = second / n, fourth / n
    bessel = n / max(n - 1, 1)  # torch's var() is the unbiased one

    def radius_cv2(P: torch.Tensor) -> torch.Tensor:  # var(r²) / mean(r²)², per start
        m = (P.transpose(1, 2) @ P).reshape(len(P), -1)
        mean = m @ second
        return (((m @ fourth) * m).sum(dim=1) - mean**2) * bessel / mean**2

    scale = 1 / Zt.std(dim=0).clamp_min(1e-12)
    axes = torch.eye(k, dtype=torch.float64) * scale
    first = min(k, 6)  # pairs of the first six axes: at most 15 starts
    starts = [axes[[i, j]] for i in range(first) for j in range(i + 1, first)]
    starts += [torch.randn(2, k, generator=generator, dtype=torch.float64) for _ in range(restarts)]
    # All starts at once: Adam works element by element and each start's loss depends on
    # its own P alone, so the sum descends each exactly as its own optimiser would.
    P = torch.stack(starts).requires_grad_()
    optimiser = torch.optim.Adam([P], lr=0.05)
    with torch.enable_grad():  # callers may be under no_grad
        for _ in range(steps):
            loss = radius_cv2(P).sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    with torch.no_grad():
        r = (Zt @ P.transpose(1, 2)).norm(dim=2)  # (starts, rows)
        cv = r.std(dim=1) / r.mean(dim=1)
        best = int(torch.argmin(cv))
        return float(cv[best]), (P[best] / r[best].mean()).numpy()
