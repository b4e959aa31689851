"""DCGAN shapes, GAN losses and the WGAN-GP penalty against closed forms."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from course_models import gan


def test_generator_and_discriminator_shapes():
    torch.manual_seed(0)
    g, d = gan.Generator(latent_dim=16, width=8), gan.Discriminator(width=8)
    images = g(torch.randn(5, 16))
    assert images.shape == (5, 1, 28, 28)
    assert images.min() >= -1 and images.max() <= 1
    assert d(images).shape == (5,)


def test_discriminator_does_not_mix_samples():
    torch.manual_seed(1)
    d = gan.Discriminator(width=8)
    x = torch.randn(4, 1, 28, 28, requires_grad=True)
    (grad,) = torch.autograd.grad(d(x)[0], x)
    assert grad[1:].abs().max() == 0
    assert grad[0].abs().max() > 0


def test_non_saturating_generator_loss_is_softplus_of_minus_logits():
    logits = torch.tensor([-120.0, -3.0, 0.0, 2.0, 120.0], requires_grad=True)
    loss = gan.generator_loss(logits)
    expected = -torch.log(torch.sigmoid(logits.double())).clamp(max=1e30)
    expected[0] = 120.0  # −log σ(−120) = 120 + log(1 + e^−120)
    assert torch.allclose(loss.double(), expected.mean(), rtol=1e-6)
    (grad,) = torch.autograd.grad(loss, logits)
    # d/dz softplus(−z) = −σ(−z): the gradient does not vanish where D(G(z)) is small.
    assert torch.allclose(grad, -torch.sigmoid(-logits.detach()) / 5)
    assert grad[0].abs() > 0.19


def test_discriminator_loss_is_binary_cross_entropy_with_logits():
    torch.manual_seed(2)
    real, fake = torch.randn(50) * 4, torch.randn(40) * 4
    expected = F.binary_cross_entropy_with_logits(
        real, torch.ones(50)
    ) + F.binary_cross_entropy_with_logits(fake, torch.zeros(40))
    assert torch.allclose(gan.discriminator_loss(real, fake), expected, rtol=1e-6)


def test_gradient_penalty_with_quadratic_critic_uses_interpolates_per_sample():
    torch.manual_seed(3)
    real = torch.randn(6, 2, 3, 3, dtype=torch.float64) + 1
    fake = torch.randn(6, 2, 3, 3, dtype=torch.float64) * 0.2
    eps = torch.rand(6, dtype=torch.float64)
    critic = lambda x: 0.5 * x.flatten(1).pow(2).sum(1)  # noqa: E731  gradient = x
    x_hat = eps[:, None, None, None] * real + (1 - eps[:, None, None, None]) * fake
    expected = 10 * ((x_hat.flatten(1).norm(dim=1) - 1) ** 2).mean()
    got = gan.gradient_penalty(critic, real, fake, eps)
    assert torch.allclose(got, expected, rtol=1e-12)
    on_real = 10 * ((real.flatten(1).norm(dim=1) - 1) ** 2).mean()
    assert not torch.allclose(got, on_real, rtol=1e-3)


def test_gradient_penalty_with_linear_critic_is_constant():
    w = torch.randn(12, dtype=torch.float64)
    critic = lambda x: x.flatten(1) @ w  # noqa: E731
    real, fake = torch.randn(7, 12, dtype=torch.float64), torch.randn(7, 12, dtype=torch.float64)
    got = gan.gradient_penalty(critic, real, fake, torch.rand(7, dtype=torch.float64))
    assert torch.allclose(got, 10 * (w.norm() - 1) ** 2)


def test_gradient_penalty_back_propagates_into_the_critic():
    torch.manual_seed(4)
    critic = gan.Discriminator(width=4).double()
    real = torch.rand(3, 1, 28, 28, dtype=torch.float64)
    fake = torch.rand(3, 1, 28, 28, dtype=torch.float64)
    gp = gan.gradient_penalty(critic, real, fake, torch.rand(3, dtype=torch.float64))
    gp.backward()
    weights = [
        p for p in critic.parameters() if p.ndim > 1
    ]  # biases of the last layer cannot matter
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in weights)
