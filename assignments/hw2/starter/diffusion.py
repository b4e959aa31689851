"""HW2, part 2: DDPM (Ho et al. 2020) and DDIM (Song et al. 2021, η = 0).

Conventions (the grader relies on them):
- Time steps are 0-based: t = 0, …, T−1. ``betas[t]`` is β_t; α_t = 1 − β_t;
  ᾱ_t = Π_{s ≤ t} α_s; by convention ᾱ_{−1} = 1.
- ``betas`` arrive as a float64 tensor on the data's device. Build every table from them in
  float64 (ᾱ_999 = 4.0358e-5: float32 loses digits there) and cast to the data's dtype only
  when multiplying the data.
- ``t`` arguments given as tensors hold one integer time step per sample (shape (N,)); the
  coefficients must broadcast over the remaining dimensions of the data.
- ``eps_model(x_t, t)`` takes x_t of shape (N, …) and t of shape (N,) (long) and returns ε̂ with
  the shape of x_t.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

EpsModel = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def linear_beta_schedule(T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    """β_0 … β_{T−1}, linearly spaced from ``beta_start`` to ``beta_end`` inclusive; float64, (T,)."""
    raise NotImplementedError  # TODO


def alphas_cumprod(betas: torch.Tensor) -> torch.Tensor:
    """ᾱ_t = Π_{s ≤ t} (1 − β_s) for t = 0 … T−1; float64, shape (T,)."""
    raise NotImplementedError  # TODO


def q_sample(x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, betas: torch.Tensor) -> torch.Tensor:
    """Forward process: x_t = sqrt(ᾱ_t) x0 + sqrt(1 − ᾱ_t) ε, with ε = ``noise``. Shape of x0."""
    raise NotImplementedError  # TODO


def ddpm_loss(eps_model: EpsModel, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, betas: torch.Tensor) -> torch.Tensor:
    """Simple ε-prediction loss: the mean over all elements of (ε − eps_model(x_t, t))², with
    x_t = q_sample(x0, t, noise). 0-dim tensor."""
    raise NotImplementedError  # TODO


def posterior_mean_variance(
    x0: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor, betas: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The Gaussian q(x_{t−1} | x_t, x0). Returns ``(mean, variance, log_variance)``, each of
    x_t's shape:

    - mean = β_t sqrt(ᾱ_{t−1}) / (1 − ᾱ_t) · x0 + (1 − ᾱ_{t−1}) sqrt(α_t) / (1 − ᾱ_t) · x_t
    - variance = β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t)  (the true posterior variance, NOT β_t;
      it is exactly 0 at t = 0)
    - log_variance = log β̃_t for t ≥ 1, and log β̃_1 at t = 0 (clipped, as in Ho et al.'s
      code, since log 0 = −∞).
    """
    raise NotImplementedError  # TODO


def ddpm_step(eps_model: EpsModel, x_t: torch.Tensor, t: int, noise: torch.Tensor, betas: torch.Tensor) -> torch.Tensor:
    """One ancestral sampling step x_t -> x_{t−1} at the integer time step ``t``:

        x_{t−1} = (x_t − β_t / sqrt(1 − ᾱ_t) · ε̂) / sqrt(α_t) + σ_t z,   ε̂ = eps_model(x_t, t)

    with σ_t² = β̃_t (the posterior variance) and z = ``noise``; at t = 0 no noise is added.
    No clipping of the predicted x0."""
    raise NotImplementedError  # TODO


@torch.no_grad()
def ddpm_sample(eps_model: EpsModel, x_T: torch.Tensor, betas: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Ancestral sampling from x_T through t = T−1, …, 0 with ``ddpm_step``. The noise z of
    each step t ≥ 1 is ``torch.randn(x_T.shape, generator=generator, dtype=x_T.dtype)`` (drawn
    on the CPU, then moved to x_T's device); no draw at t = 0. Returns x_0 (shape of x_T)."""
    raise NotImplementedError  # TODO


def ddim_step(x_t: torch.Tensor, eps: torch.Tensor, t: int, t_prev: int, betas: torch.Tensor) -> torch.Tensor:
    """Deterministic DDIM step (η = 0) from ``t`` to ``t_prev`` < t (t_prev = −1: ᾱ = 1):

        x̂0 = (x_t − sqrt(1 − ᾱ_t) ε) / sqrt(ᾱ_t)
        x_{t_prev} = sqrt(ᾱ_{t_prev}) x̂0 + sqrt(1 − ᾱ_{t_prev}) ε

    No clipping of x̂0."""
    raise NotImplementedError  # TODO


@torch.no_grad()
def ddim_sample(eps_model: EpsModel, x_T: torch.Tensor, betas: torch.Tensor, steps: int = 50) -> torch.Tensor:
    """DDIM sampling (η = 0) from x_T. Time steps: ``round(linspace(T−1, 0, steps))`` in float64
    (999, 979, …, 0 for T = 1000 and 50 steps); after each step t the next is the following time
    step, and after t = 0 the last step goes to t_prev = −1. Returns x̂_0 (shape of x_T)."""
    raise NotImplementedError  # TODO
