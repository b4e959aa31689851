"""HW2, part 1: GAN losses, the WGAN-GP gradient penalty and a small DCGAN.

Fill in every function marked TODO. Images are (N, 1, 28, 28) in [-1, 1].
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


class Generator(nn.Module):
    """DCGAN generator: ``forward(z)`` maps (N, latent_dim) to (N, 1, 28, 28) in [-1, 1]
    (end with ``tanh``). Suggested: Linear to 7×7 feature maps, two stride-2 transposed
    convolutions (7 -> 14 -> 28). Keep Generator + Discriminator under 5 million parameters."""

    def __init__(self, latent_dim: int = 64) -> None:
        super().__init__()
        # TODO

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class Discriminator(nn.Module):
    """DCGAN discriminator: ``forward(x)`` maps (N, 1, 28, 28) to (N,) logits (one per image,
    shape (N,), not (N, 1)). It will also serve as a WGAN-GP critic, so the output for one
    image must not depend on the other images of the batch: no batch normalisation."""

    def __init__(self) -> None:
        super().__init__()
        # TODO

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss, averaged over the batch: the mean of ``−log D(G(z))``
    where ``D = sigmoid(logits)``. Returns a 0-dim tensor.

    Must be numerically stable for logits as large as ±120 (no ``log(sigmoid(.))``)."""
    raise NotImplementedError  # TODO


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Standard GAN discriminator loss: ``mean(−log D(x_real)) + mean(−log(1 − D(x_fake)))``,
    each term averaged over its own batch. Returns a 0-dim tensor. Numerically stable."""
    raise NotImplementedError  # TODO


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    eps: torch.Tensor,
    lam: float = 10.0,
) -> torch.Tensor:
    """WGAN-GP gradient penalty (Gulrajani et al. 2017). Returns a 0-dim tensor:

        λ · mean_i (‖∇_x̂ D(x̂_i)‖₂ − 1)²,   x̂_i = ε_i · real_i + (1 − ε_i) · fake_i

    ``critic`` maps (N, …) to (N,) scores; ``real`` and ``fake`` have the same shape (N, …)
    (any number of trailing dimensions, any float dtype); ``eps`` has shape (N,), one uniform
    draw per sample (given, so that the result is deterministic). The norm is per sample, over
    all non-batch dimensions. The penalty must be differentiable with respect to the critic's
    parameters (``torch.autograd.grad(..., create_graph=True)``)."""
    raise NotImplementedError  # TODO
