"""HW2, part 2: DDPM and DDIM (reference). Time steps are 0-based, t = 0 … T−1."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.nn import functional as F

EpsModel = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def linear_beta_schedule(
    T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02
) -> torch.Tensor:
    return torch.linspace(beta_start, beta_end, T, dtype=torch.float64)


def alphas_cumprod(betas: torch.Tensor) -> torch.Tensor:
    return torch.cumprod(1 - betas.to(torch.float64), dim=0)


def _at(table: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    v = table.to(like.device)[t.to(like.device).long()]
    return v.reshape(-1, *([1] * (like.ndim - 1))).to(like.dtype)


def q_sample(
    x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, betas: torch.Tensor
) -> torch.Tensor:
    ac = alphas_cumprod(betas)
    return _at(ac.sqrt(), t, x0) * x0 + _at((1 - ac).sqrt(), t, x0) * noise


def ddpm_loss(
    eps_model: EpsModel, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, betas: torch.Tensor
) -> torch.Tensor:
    return F.mse_loss(eps_model(q_sample(x0, t, noise, betas), t), noise)


def posterior_mean_variance(
    x0: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor, betas: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    b = betas.to(torch.float64)
    ac = alphas_cumprod(b)
    ac_prev = torch.cat([torch.ones(1, dtype=torch.float64), ac[:-1]])
    var = b * (1 - ac_prev) / (1 - ac)
    logvar = torch.log(torch.cat([var[1:2], var[1:]]))
    coef_x0 = b * ac_prev.sqrt() / (1 - ac)
    coef_xt = (1 - ac_prev) * (1 - b).sqrt() / (1 - ac)
    mean = _at(coef_x0, t, x_t) * x0 + _at(coef_xt, t, x_t) * x_t
    return mean, _at(var, t, x_t).expand_as(x_t), _at(logvar, t, x_t).expand_as(x_t)


def ddpm_step(
    eps_model: EpsModel, x_t: torch.Tensor, t: int, noise: torch.Tensor, betas: torch.Tensor
) -> torch.Tensor:
    b = betas.to(torch.float64)
    ac = alphas_cumprod(b)
    tt = torch.full((x_t.shape[0],), t, dtype=torch.long, device=x_t.device)
    eps = eps_model(x_t, tt)
    mean = (x_t - (b[t] / (1 - ac[t]).sqrt()).item() * eps) / (1 - b[t]).sqrt().item()
    if t == 0:
        return mean
    var = b[t] * (1 - ac[t - 1]) / (1 - ac[t])
    return mean + var.sqrt().item() * noise


@torch.no_grad()
def ddpm_sample(
    eps_model: EpsModel, x_T: torch.Tensor, betas: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    x = x_T
    for t in reversed(range(betas.numel())):
        if t > 0:
            noise = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
        else:
            noise = torch.zeros_like(x)
        x = ddpm_step(eps_model, x, t, noise, betas)
    return x


def ddim_step(
    x_t: torch.Tensor, eps: torch.Tensor, t: int, t_prev: int, betas: torch.Tensor
) -> torch.Tensor:
    ac = alphas_cumprod(betas)
    a_t = ac[t].item()
    a_prev = ac[t_prev].item() if t_prev >= 0 else 1.0
    x0 = (x_t - (1 - a_t) ** 0.5 * eps) / a_t**0.5
    return a_prev**0.5 * x0 + (1 - a_prev) ** 0.5 * eps


@torch.no_grad()
def ddim_sample(
    eps_model: EpsModel, x_T: torch.Tensor, betas: torch.Tensor, steps: int = 50
) -> torch.Tensor:
    T = betas.numel()
    ts = [int(v) for v in torch.linspace(T - 1, 0, steps, dtype=torch.float64).round()]
    x = x_T
    for i, t in enumerate(ts):
        t_prev = ts[i + 1] if i + 1 < len(ts) else -1
        tt = torch.full((x.shape[0],), t, dtype=torch.long, device=x.device)
        x = ddim_step(x, eps_model(x, tt), t, t_prev, betas)
    return x
