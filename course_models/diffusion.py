"""DDPM (Ho et al. 2020) with ε-prediction, ancestral sampling and DDIM (η = 0) sampling.

Time steps are 0-based: ``t = 0 … T−1``, ``ᾱ_t = Π_{s≤t} (1 − β_s)``; ``ᾱ_{−1} = 1``.
Tables are built in float64; values are cast to the data's dtype where they meet the data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

T_DEFAULT = 1000
BETA_START = 1e-4
BETA_END = 0.02

EpsModel = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def linear_beta_schedule(
    T: int = T_DEFAULT, beta_start: float = BETA_START, beta_end: float = BETA_END
) -> torch.Tensor:
    return torch.linspace(beta_start, beta_end, T, dtype=torch.float64)


@dataclass(frozen=True)
class DDPMTables:
    betas: torch.Tensor
    alphas: torch.Tensor
    alphas_cumprod: torch.Tensor
    alphas_cumprod_prev: torch.Tensor
    posterior_variance: torch.Tensor
    posterior_log_variance_clipped: torch.Tensor
    posterior_mean_coef1: torch.Tensor  # multiplies x0
    posterior_mean_coef2: torch.Tensor  # multiplies x_t

    @property
    def T(self) -> int:
        return int(self.betas.numel())


def make_tables(betas: torch.Tensor | None = None) -> DDPMTables:
    b = (linear_beta_schedule() if betas is None else betas).to(torch.float64).cpu()
    alphas = 1 - b
    ac = torch.cumprod(alphas, dim=0)
    ac_prev = torch.cat([torch.ones(1, dtype=torch.float64), ac[:-1]])
    post_var = b * (1 - ac_prev) / (1 - ac)
    # β̃_0 = 0: the log-variance at t = 0 is clipped to that of t = 1, as in Ho et al.'s code.
    post_logvar = torch.log(torch.cat([post_var[1:2], post_var[1:]]))
    coef1 = b * ac_prev.sqrt() / (1 - ac)
    coef2 = (1 - ac_prev) * alphas.sqrt() / (1 - ac)
    return DDPMTables(b, alphas, ac, ac_prev, post_var, post_logvar, coef1, coef2)


def _gather(table: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """table[t] shaped (N, 1, 1, …) to broadcast against ``like``, in ``like``'s dtype/device."""
    vals = table.to(like.device)[t.to(like.device).long()]
    return vals.reshape(-1, *([1] * (like.ndim - 1))).to(like.dtype)


def q_sample(
    tables: DDPMTables, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor
) -> torch.Tensor:
    """``x_t = sqrt(ᾱ_t) x0 + sqrt(1 − ᾱ_t) ε``."""
    ac = tables.alphas_cumprod
    return _gather(ac.sqrt(), t, x0) * x0 + _gather((1 - ac).sqrt(), t, x0) * noise


def ddpm_loss(
    tables: DDPMTables,
    eps_model: EpsModel,
    x0: torch.Tensor,
    t: torch.Tensor,
    noise: torch.Tensor,
) -> torch.Tensor:
    """Simple ε-prediction loss: mean over all elements of ``(ε − ε_θ(x_t, t))²``."""
    x_t = q_sample(tables, x0, t, noise)
    return F.mse_loss(eps_model(x_t, t), noise)


def predict_x0_from_eps(
    tables: DDPMTables, x_t: torch.Tensor, t: torch.Tensor, eps: torch.Tensor
) -> torch.Tensor:
    ac = tables.alphas_cumprod
    return (x_t - _gather((1 - ac).sqrt(), t, x_t) * eps) / _gather(ac.sqrt(), t, x_t)


def posterior_mean_variance(
    tables: DDPMTables, x0: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mean, variance β̃_t and clipped log-variance of ``q(x_{t−1} | x_t, x0)``, broadcast to
    ``x_t``'s shape. At t = 0 the variance is 0 and the log-variance is that of t = 1."""
    mean = (
        _gather(tables.posterior_mean_coef1, t, x_t) * x0
        + _gather(tables.posterior_mean_coef2, t, x_t) * x_t
    )
    var = _gather(tables.posterior_variance, t, x_t).expand_as(x_t)
    logvar = _gather(tables.posterior_log_variance_clipped, t, x_t).expand_as(x_t)
    return mean, var, logvar


def ddpm_step(
    tables: DDPMTables, eps_model: EpsModel, x_t: torch.Tensor, t: int, noise: torch.Tensor
) -> torch.Tensor:
    """One ancestral step ``x_t -> x_{t−1}`` with σ_t² = β̃_t (no noise at t = 0):
    ``μ = (x_t − β_t / sqrt(1 − ᾱ_t) ε_θ) / sqrt(α_t)``."""
    tt = torch.full((x_t.shape[0],), t, dtype=torch.long, device=x_t.device)
    eps = eps_model(x_t, tt)
    b, a, ac = tables.betas[t].item(), tables.alphas[t].item(), tables.alphas_cumprod[t].item()
    mean = (x_t - b / math.sqrt(1 - ac) * eps) / math.sqrt(a)
    if t == 0:
        return mean
    return mean + math.sqrt(tables.posterior_variance[t].item()) * noise


@torch.no_grad()
def ddpm_sample(
    tables: DDPMTables,
    eps_model: EpsModel,
    shape: tuple[int, ...],
    generator: torch.Generator,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """Ancestral sampling from x_T ~ N(0, I). Noise is drawn on the CPU from ``generator``:
    first x_T, then one draw per step for t = T−1 … 1 (none at t = 0)."""
    x_T = torch.randn(shape, generator=generator).to(device)
    return ddpm_sample_from(tables, eps_model, x_T, generator)


@torch.no_grad()
def ddpm_sample_from(
    tables: DDPMTables, eps_model: EpsModel, x_T: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    """Ancestral sampling from a given x_T through t = T−1 … 0. The noise of each step t ≥ 1 is
    ``torch.randn(x_T.shape, generator=generator, dtype=x_T.dtype)``, drawn on the CPU and moved
    to x_T's device; none at t = 0."""
    x = x_T
    for t in reversed(range(tables.T)):
        if t > 0:
            noise = torch.randn(x_T.shape, generator=generator, dtype=x_T.dtype).to(x_T.device)
        else:
            noise = torch.zeros_like(x)
        x = ddpm_step(tables, eps_model, x, t, noise)
    return x


def ddim_step(
    tables: DDPMTables, x_t: torch.Tensor, eps: torch.Tensor, t: int, t_prev: int
) -> torch.Tensor:
    """Deterministic DDIM step (η = 0) from t to t_prev < t (t_prev = −1 means ᾱ = 1):
    ``x̂0 = (x_t − sqrt(1 − ᾱ_t) ε) / sqrt(ᾱ_t)``, ``x_prev = sqrt(ᾱ_prev) x̂0 + sqrt(1 − ᾱ_prev) ε``."""
    ac = tables.alphas_cumprod[t].item()
    ac_prev = tables.alphas_cumprod[t_prev].item() if t_prev >= 0 else 1.0
    x0 = (x_t - math.sqrt(1 - ac) * eps) / math.sqrt(ac)
    return math.sqrt(ac_prev) * x0 + math.sqrt(1 - ac_prev) * eps


def ddim_timesteps(T: int, steps: int) -> list[int]:
    """``round(linspace(T−1, 0, steps))``: 999, 979, …, 0 for T = 1000 and 50 steps."""
    return [int(v) for v in torch.linspace(T - 1, 0, steps, dtype=torch.float64).round()]


@torch.no_grad()
def ddim_sample_from(
    tables: DDPMTables, eps_model: EpsModel, x_T: torch.Tensor, steps: int = 50
) -> torch.Tensor:
    """DDIM (η = 0) from a given x_T through ``ddim_timesteps``, ending with a step from
    t = 0 to t_prev = −1 (ᾱ = 1, i.e. the predicted x0)."""
    x = x_T
    ts = ddim_timesteps(tables.T, steps)
    for i, t in enumerate(ts):
        t_prev = ts[i + 1] if i + 1 < len(ts) else -1
        tt = torch.full((x.shape[0],), t, dtype=torch.long, device=x.device)
        x = ddim_step(tables, x, eps_model(x, tt), t, t_prev)
    return x


@torch.no_grad()
def ddim_sample(
    tables: DDPMTables,
    eps_model: EpsModel,
    shape: tuple[int, ...],
    generator: torch.Generator,
    steps: int = 50,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """DDIM (η = 0) from x_T ~ N(0, I), drawn on the CPU from ``generator``."""
    x_T = torch.randn(shape, generator=generator).to(device)
    return ddim_sample_from(tables, eps_model, x_T, steps)


def gaussian_oracle_eps(tables: DDPMTables, mean: float, std: float) -> EpsModel:
    """Exact ε-predictor ``E[ε | x_t]`` for data from N(mean, std²) (any shape, elementwise)."""

    def eps_model(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        ac = _gather(tables.alphas_cumprod, t, x_t)
        var = ac * std**2 + (1 - ac)
        return (1 - ac).sqrt() * (x_t - ac.sqrt() * mean) / var

    return eps_model


# ---------------------------------------------------------------------------- a small denoiser


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of integer time steps, (N,) -> (N, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([args.sin(), args.cos()], dim=1)


class MLPDenoiser(nn.Module):
    """ε_θ(x_t, t) for flattened 28×28 images: an MLP with a sinusoidal time embedding added
    to its hidden layers, plus a per-pixel time-dependent skip term ``s(t) ⊙ x_t``. Small on purpose: sampling 50 DDIM steps for a few hundred images
    takes seconds on a CPU."""

    def __init__(self, dim: int = 784, hidden: int = 256, temb: int = 64) -> None:
        super().__init__()
        self.dim, self.temb = dim, temb
        self.inp = nn.Linear(dim, hidden)
        self.t1 = nn.Linear(temb, hidden)
        self.h1 = nn.Linear(hidden, hidden)
        self.t2 = nn.Linear(temb, hidden)
        self.h2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, dim)
        # The hidden layers are narrower than the image: without this per-pixel, time-dependent
        # skip term the network could not pass the noise through (at large t, ε ≈ x_t).
        self.skip = nn.Linear(temb, dim)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        e = timestep_embedding(t, self.temb).to(x.dtype)
        h = F.silu(self.inp(x.reshape(shape[0], -1)) + self.t1(e))
        h = F.silu(self.h1(h) + self.t2(e))
        h = F.silu(self.h2(h))
        return (x.reshape(shape[0], -1) * self.skip(e) + self.out(h)).reshape(shape)
