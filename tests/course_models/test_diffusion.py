"""DDPM tables, forward process, posterior, samplers: values from CHECKS.md and Bayes' rule."""

from __future__ import annotations

import math

import pytest
import torch

from course_models import diffusion as D

TABLES = D.make_tables()


@pytest.mark.parametrize(
    ("t", "value"),
    [
        (0, 0.9999),
        (99, 0.89701815),
        (249, 0.52408537),
        (499, 0.07858724),
        (749, 3.3506e-3),
        (999, 4.0358e-5),
    ],
)
def test_alphas_cumprod_known_values(t, value):
    assert TABLES.alphas_cumprod.dtype == torch.float64
    assert TABLES.alphas_cumprod[t].item() == pytest.approx(value, rel=2e-5)


def test_posterior_variance_at_t1_and_t0():
    assert TABLES.posterior_variance[1].item() == pytest.approx(5.4532e-5, rel=1e-4)
    assert TABLES.posterior_variance[0].item() == 0.0
    assert TABLES.posterior_log_variance_clipped[1].item() == pytest.approx(-9.8167, abs=1e-4)
    assert TABLES.posterior_log_variance_clipped[0] == TABLES.posterior_log_variance_clipped[1]


def test_q_sample_moments():
    t = 400
    x0 = torch.full((200_000,), 1.5, dtype=torch.float64)
    noise = torch.randn(200_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    xt = D.q_sample(TABLES, x0, torch.full((200_000,), t), noise)
    ac = TABLES.alphas_cumprod[t].item()
    se = math.sqrt((1 - ac) / 200_000)
    assert abs(xt.mean().item() - math.sqrt(ac) * 1.5) < 5 * se
    assert xt.var().item() == pytest.approx(1 - ac, rel=0.02)


def test_posterior_matches_bayes_rule_at_every_t():
    """q(x_{t-1}|x_t,x0) ∝ N(x_{t-1}; sqrt(ᾱ_{t-1}) x0, 1−ᾱ_{t-1}) · N(x_t; sqrt(α_t) x_{t-1}, β_t)."""
    gen = torch.Generator().manual_seed(1)
    t = torch.arange(TABLES.T)
    x0 = torch.randn(TABLES.T, generator=gen, dtype=torch.float64)
    xt = torch.randn(TABLES.T, generator=gen, dtype=torch.float64)
    mean, var, logvar = D.posterior_mean_variance(TABLES, x0, xt, t)
    ac_prev, a, b = TABLES.alphas_cumprod_prev, TABLES.alphas, TABLES.betas
    prior_prec = torch.where(
        t > 0, 1 / (1 - ac_prev).clamp_min(1e-300), torch.full_like(b, math.inf)
    )
    like_prec = a / b
    post_var = torch.where(t > 0, 1 / (prior_prec + like_prec), torch.zeros_like(b))
    post_mean = torch.where(
        t > 0, post_var * (prior_prec * ac_prev.sqrt() * x0 + a.sqrt() / b * xt), x0
    )
    assert torch.allclose(var, post_var, rtol=1e-9, atol=1e-300)
    assert torch.allclose(mean, post_mean, rtol=1e-8, atol=1e-10)
    assert torch.isfinite(logvar).all()


def test_ancestral_sampler_with_oracle_recovers_the_gaussian():
    oracle = D.gaussian_oracle_eps(TABLES, 2.0, 0.5)
    x = D.ddpm_sample(TABLES, oracle, (20_000,), torch.Generator().manual_seed(2), device="cpu")
    assert abs(x.mean().item() - 2.0) < 5 * 0.5 / math.sqrt(20_000)
    assert abs(x.std().item() - 0.5) < 0.015


def test_ddim_with_oracle_converges_to_the_gaussian_with_steps():
    oracle = D.gaussian_oracle_eps(TABLES, 2.0, 0.5)
    x50 = D.ddim_sample(TABLES, oracle, (20_000,), torch.Generator().manual_seed(3), steps=50)
    x1000 = D.ddim_sample(TABLES, oracle, (20_000,), torch.Generator().manual_seed(3), steps=1000)
    assert abs(x50.mean().item() - 2.0) < 0.02
    assert x50.std().item() == pytest.approx(0.474, abs=0.01)  # 50 steps under-disperse a little
    assert x1000.std().item() == pytest.approx(0.5, abs=0.01)


def test_ddim_timesteps_and_mid_range_step():
    ts = D.ddim_timesteps(1000, 50)
    assert ts[:2] == [999, 979] and ts[-1] == 0 and len(ts) == 50
    x = torch.randn(8, dtype=torch.float64)
    eps = torch.randn(8, dtype=torch.float64)
    ac_t, ac_p = TABLES.alphas_cumprod[500].item(), TABLES.alphas_cumprod[250].item()
    swapped = (x - math.sqrt(1 - ac_p) * eps) / math.sqrt(ac_t) * math.sqrt(ac_p) + math.sqrt(
        1 - ac_t
    ) * eps
    right = D.ddim_step(TABLES, x, eps, 500, 250)
    assert (right - swapped).abs().max() > 0.1


def test_ddpm_loss_is_zero_for_the_oracle_noise():
    x0 = torch.randn(4, 3, dtype=torch.float64)
    t = torch.tensor([0, 10, 500, 999])
    noise = torch.randn(4, 3, dtype=torch.float64)
    assert D.ddpm_loss(TABLES, lambda xt, tt: noise, x0, t, noise).item() == 0.0


def test_mlp_denoiser_shapes():
    net = D.MLPDenoiser()
    out = net(torch.randn(3, 784), torch.tensor([0, 5, 999]))
    assert out.shape == (3, 784)
