"""HW1 part 2: a VAE with a Gaussian encoder and a Bernoulli decoder, and the IWAE bound.

Keep names and shapes as documented: the grader loads your parameters into its own model.
Your code must work on any device and in float64. All log-densities are in nats, summed over
the data (or latent) dimensions: one number per example.

Randomness is prescribed so that the grader can reproduce your numbers exactly: noise is drawn
ON THE CPU from the given generator, in the dtype of ``mu``, then moved to ``mu``'s device.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F  # noqa: F401
from torch import nn


def mlp(sizes: Sequence[int]) -> nn.Sequential:
    """``Linear(s0, s1), ReLU, Linear(s1, s2), ..., Linear(s_{n-1}, s_n)``: no final activation.

    (Given: the layout matters because the grader loads your weights by name.)
    """
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """``z = mu + exp(logvar / 2) * eps`` with
    ``eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)`` (CPU) moved to
    ``mu.device``. Same shape as ``mu``; differentiable with respect to ``mu`` and ``logvar``.
    """
    raise NotImplementedError


def kl_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, diag(exp(logvar))) || N(0, I))`` in closed form, summed over the last
    dimension: shape ``mu.shape[:-1]``."""
    raise NotImplementedError


def iwae_bound(log_w: torch.Tensor) -> torch.Tensor:
    """``log((1/k) Σ_i exp(log_w[i]))`` over dimension 0 of ``log_w`` ``(k, ...)``.

    Must stay finite and accurate when every ``log_w`` is far below ``-745`` (float64) or
    ``-104`` (float32). Returns shape ``log_w.shape[1:]``.
    """
    raise NotImplementedError


class GaussianEncoder(nn.Module):
    """Attributes (names fixed): ``net = nn.Sequential(mlp([D, *hidden]), nn.ReLU())``, and heads
    ``mu`` and ``logvar`` (``nn.Linear(hidden[-1], latent)``)."""

    def __init__(self, in_features: int, hidden_sizes: Sequence[int], latent_dim: int) -> None:
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, logvar)``, each ``(B, latent)``."""
        raise NotImplementedError


class BernoulliDecoder(nn.Module):
    """Attribute (name fixed): ``net = mlp([latent, *hidden, D])`` giving logits."""

    def __init__(self, latent_dim: int, hidden_sizes: Sequence[int], out_features: int) -> None:
        super().__init__()
        raise NotImplementedError

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Logits of ``p(x | z)``: shape ``z.shape[:-1] + (D,)`` (z may be ``(k, B, latent)``)."""
        raise NotImplementedError

    def log_prob(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """``log p(x | z)`` summed over D; ``x`` ``(B, D)`` broadcasts against ``z``'s leading
        dimensions: ``z`` ``(B, latent)`` gives ``(B,)``, ``z`` ``(k, B, latent)`` gives ``(k, B)``."""
        raise NotImplementedError


class VAE(nn.Module):
    """Attributes (names fixed): ``encoder = GaussianEncoder(D, hidden, latent)`` and
    ``decoder = BernoulliDecoder(latent, list(reversed(hidden)), D)``. Prior ``N(0, I)``."""

    def __init__(self, in_features: int, hidden_sizes: Sequence[int], latent_dim: int, seed: int = 0) -> None:
        super().__init__()
        raise NotImplementedError

    def elbo(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """One-sample ELBO per example, shape ``(B,)``: ``log p(x | z) − KL(q(z | x) || p(z))``
        with ``z = reparameterize(mu, logvar, generator)`` (exactly one draw).

        Use the closed-form KL (a Monte-Carlo KL with the same ``z`` is also accepted).
        """
        raise NotImplementedError

    def log_weights(self, x: torch.Tensor, k: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``log p(x, z_i) − log q(z_i | x)`` for ``i = 1..k``: shape ``(k, B)``, with
        ``z = mu + exp(logvar / 2) * eps``,
        ``eps = torch.randn((k, *mu.shape), generator=generator, dtype=mu.dtype)`` (CPU) moved
        to ``mu.device``."""
        raise NotImplementedError

    def iwae(self, x: torch.Tensor, k: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """IWAE bound per example ``(B,)``: ``iwae_bound(self.log_weights(x, k, generator))``."""
        raise NotImplementedError
