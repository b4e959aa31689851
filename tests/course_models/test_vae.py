import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from course_models.vae import VAE, iwae_bound, kl_standard_normal, reparameterize


def test_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(5, 7, generator=g, dtype=torch.float64)
    logvar = torch.randn(5, 7, generator=g, dtype=torch.float64)
    expected = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).sum(-1)
    torch.testing.assert_close(kl_standard_normal(mu, logvar), expected)
    assert (kl_standard_normal(torch.zeros(3, 4), torch.zeros(3, 4)) == 0).all()


def test_reparameterized_sample_carries_gradients():
    mu = torch.zeros(4, 3, requires_grad=True)
    logvar = torch.zeros(4, 3, requires_grad=True)
    z = reparameterize(mu, logvar, torch.Generator().manual_seed(0))
    assert z.requires_grad
    z.pow(2).sum().backward()
    assert mu.grad.abs().sum() > 0 and logvar.grad.abs().sum() > 0


def test_elbo_gradient_reaches_encoder_mean():
    vae = VAE(10, [16], 3, seed=0)
    x = (torch.rand(8, 10) < 0.5).float()
    (-vae.elbo(x, torch.Generator().manual_seed(1)).mean()).backward()
    assert vae.encoder.mu.weight.grad.abs().sum() > 0


def test_iwae_with_one_sample_is_the_elbo_with_monte_carlo_kl():
    vae = VAE(10, [16], 3, seed=0).double()
    x = (torch.rand(8, 10, dtype=torch.float64) < 0.5).double()
    lw = vae.log_weights(x, 1, torch.Generator().manual_seed(2))
    torch.testing.assert_close(vae.iwae(x, 1, torch.Generator().manual_seed(2)), lw[0])


def test_bounds_are_ordered_on_average():
    torch.manual_seed(0)
    vae = VAE(20, [32], 4, seed=0).double()
    x = (torch.rand(64, 20, dtype=torch.float64) < 0.3).double()
    g = torch.Generator().manual_seed(3)
    elbo = torch.stack([vae.elbo(x, g) for _ in range(50)]).mean()
    iwae5 = torch.stack([vae.iwae(x, 5, g) for _ in range(50)]).mean()
    iwae50 = torch.stack([vae.iwae(x, 50, g) for _ in range(50)]).mean()
    assert elbo < iwae5 < iwae50


def test_iwae_is_stable_for_very_negative_log_weights():
    lw = torch.full((10, 3), -5000.0)
    lw[0] = -4000.0
    out = iwae_bound(lw)
    assert torch.isfinite(out).all()
    assert out[0].item() == pytest.approx(-4000.0 - math.log(10), abs=1e-3)


def test_gaussian_decoder_vae_runs_and_bounds_are_finite():
    vae = VAE(12, [16], 2, likelihood="gaussian", seed=0)
    x = torch.randn(5, 12)
    assert torch.isfinite(vae.elbo(x)).all() and torch.isfinite(vae.iwae(x, 4)).all()
    assert vae.sample(3).shape == (3, 12)
