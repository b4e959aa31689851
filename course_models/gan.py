"""DCGAN for 28×28 single-channel images, GAN losses and the WGAN-GP gradient penalty.

Images are in [-1, 1] (the generator ends with ``tanh``).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

GP_LAMBDA = 10.0


class Generator(nn.Module):
    """z (N, latent_dim) -> (N, 1, 28, 28) in [-1, 1]: 7×7 -> 14×14 -> 28×28."""

    def __init__(self, latent_dim: int = 64, width: int = 64) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.project = nn.Sequential(
            nn.Linear(latent_dim, 2 * width * 7 * 7, bias=False),
            nn.BatchNorm1d(2 * width * 7 * 7),
            nn.ReLU(),
        )
        self.net = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1),
            nn.Tanh(),
        )
        self.width = width

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.project(z).view(-1, 2 * self.width, 7, 7)
        return self.net(h)


class Discriminator(nn.Module):
    """(N, 1, 28, 28) -> (N,) logits. No batch normalisation, so that it can serve as a
    WGAN-GP critic (the penalty is per sample; batch statistics would couple the samples)."""

    def __init__(self, width: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 4, stride=2, padding=1),  # 14×14
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),  # 7×7
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(2 * width * 7 * 7, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating loss ``−log D(G(z)) = softplus(−logits)``, averaged."""
    return F.softplus(-fake_logits).mean()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """``−log D(x) − log(1 − D(G(z)))`` = ``softplus(−real) + softplus(fake)``, each averaged."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def wgan_critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """Critic minimises ``E D(fake) − E D(real)`` (add the gradient penalty separately)."""
    return fake_scores.mean() - real_scores.mean()


def wgan_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    return -fake_scores.mean()


def interpolates(real: torch.Tensor, fake: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """``x̂ = ε x_real + (1 − ε) x_fake`` with one ε per sample (shape (N,))."""
    e = eps.reshape(-1, *([1] * (real.ndim - 1))).to(real.dtype)
    return e * real + (1 - e) * fake


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    eps: torch.Tensor | None = None,
    *,
    lam: float = GP_LAMBDA,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """WGAN-GP penalty ``λ · mean_i (‖∇_x̂ D(x̂_i)‖₂ − 1)²`` on interpolates.

    ``eps``: (N,) uniform draws, one per sample (drawn from ``generator`` when not given).
    The norm is per sample over all non-batch dimensions. ``create_graph=True`` so that the
    penalty can be back-propagated into the critic's parameters.
    """
    if eps is None:
        eps = torch.rand(real.shape[0], generator=generator).to(real.device)
    x_hat = interpolates(real.detach(), fake.detach(), eps).requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    norms = grad.flatten(1).norm(2, dim=1)
    return lam * ((norms - 1) ** 2).mean()
