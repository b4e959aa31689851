"""Variational autoencoders (Kingma and Welling 2014) and the IWAE bound (Burda et al. 2016).

Contract shared with the homework (the trusted checks load student weights into these classes):

* :class:`GaussianEncoder`: ``net`` (MLP body) then two heads ``mu`` and ``logvar``
  (``nn.Linear``); returns ``(mu, logvar)`` of ``q(z|x) = N(mu, diag(exp(logvar)))``.
* :class:`BernoulliDecoder`: ``net`` (MLP) ending in logits of ``p(x|z)``.
* :class:`GaussianDecoder`: ``net`` (MLP) giving the mean and a learned per-dimension
  ``logvar`` parameter.
* MLPs are ``nn.Sequential`` of ``nn.Linear`` and ``nn.ReLU`` (see :func:`mlp`).

All log-densities are in nats and summed over the data dimensions: one number per example.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

LOG_2PI = math.log(2 * math.pi)


def mlp(sizes: Sequence[int]) -> nn.Sequential:
    """``Linear(s0, s1), ReLU, Linear(s1, s2), …, Linear(s_{n-1}, s_n)`` (no final activation)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def reparameterize(
    mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """``z = mu + exp(logvar / 2) * eps`` with ``eps ~ N(0, I)``: differentiable in mu, logvar.

    ``eps`` is drawn on the CPU from ``generator`` (device-independent randomness), then moved.
    """
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype).to(mu.device)
    return mu + torch.exp(0.5 * logvar) * eps


def kl_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, diag exp(logvar)) || N(0, I))`` summed over the last dimension.

    Per dimension ``½(μ² + σ² − 1 − log σ²)``; shape ``mu.shape[:-1]``.
    """
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)


def gaussian_log_density(x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``log N(x; mu, diag exp(logvar))`` summed over the last dimension."""
    return -0.5 * (LOG_2PI + logvar + (x - mu).pow(2) * torch.exp(-logvar)).sum(-1)


def standard_normal_log_density(z: torch.Tensor) -> torch.Tensor:
    return -0.5 * (LOG_2PI + z.pow(2)).sum(-1)


class GaussianEncoder(nn.Module):
    def __init__(self, in_features: int, hidden_sizes: Sequence[int], latent_dim: int) -> None:
        super().__init__()
        self.net = nn.Sequential(mlp([in_features, *hidden_sizes]), nn.ReLU())
        self.mu = nn.Linear(hidden_sizes[-1], latent_dim)
        self.logvar = nn.Linear(hidden_sizes[-1], latent_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.net(x)
        return self.mu(h), self.logvar(h)


class BernoulliDecoder(nn.Module):
    def __init__(self, latent_dim: int, hidden_sizes: Sequence[int], out_features: int) -> None:
        super().__init__()
        self.net = mlp([latent_dim, *hidden_sizes, out_features])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Logits of ``p(x|z)``, shape ``z.shape[:-1] + (D,)``."""
        return self.net(z)

    def log_prob(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """``log p(x|z)`` summed over the D dimensions; broadcasts ``x`` against ``z``'s batch."""
        logits = self(z)
        x = x.expand_as(logits)
        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)


class GaussianDecoder(nn.Module):
    def __init__(self, latent_dim: int, hidden_sizes: Sequence[int], out_features: int) -> None:
        super().__init__()
        self.net = mlp([latent_dim, *hidden_sizes, out_features])
        self.logvar = nn.Parameter(torch.zeros(out_features))

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean = self.net(z)
        return mean, self.logvar.expand_as(mean)

    def log_prob(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        mean, logvar = self(z)
        return gaussian_log_density(x.expand_as(mean), mean, logvar)


class VAE(nn.Module):
    """``encoder`` (:class:`GaussianEncoder`) and ``decoder`` (Bernoulli or Gaussian)."""

    def __init__(
        self,
        in_features: int,
        hidden_sizes: Sequence[int],
        latent_dim: int,
        likelihood: str = "bernoulli",
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.encoder = GaussianEncoder(in_features, hidden_sizes, latent_dim)
            decoder_hidden = list(reversed(hidden_sizes))
            if likelihood not in ("bernoulli", "gaussian"):
                raise ValueError("likelihood must be 'bernoulli' or 'gaussian'")
            self.decoder: BernoulliDecoder | GaussianDecoder = (
                BernoulliDecoder(latent_dim, decoder_hidden, in_features)
                if likelihood == "bernoulli"
                else GaussianDecoder(latent_dim, decoder_hidden, in_features)
            )

    def elbo(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """One-sample ELBO per example ``(B,)``: ``E_q log p(x|z) − KL(q(z|x) || p(z))``.

        The KL term is in closed form; the reconstruction term uses one reparameterised sample.
        """
        mu, logvar = self.encoder(x)
        z = reparameterize(mu, logvar, generator)
        return self.decoder.log_prob(x, z) - kl_standard_normal(mu, logvar)

    def log_weights(
        self, x: torch.Tensor, k: int, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """``log p(x, z_i) − log q(z_i|x)`` for k samples, shape ``(k, B)``."""
        mu, logvar = self.encoder(x)
        eps = torch.randn((k, *mu.shape), generator=generator, dtype=mu.dtype).to(mu.device)
        z = mu + torch.exp(0.5 * logvar) * eps
        log_q = gaussian_log_density(z, mu, logvar)
        return self.decoder.log_prob(x, z) + standard_normal_log_density(z) - log_q

    def iwae(
        self, x: torch.Tensor, k: int, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """IWAE bound ``log (1/k) Σ_i w_i`` per example ``(B,)``, via logsumexp (no overflow)."""
        return iwae_bound(self.log_weights(x, k, generator))

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decoder means (Bernoulli: probabilities) for ``n`` draws of ``z ~ N(0, I)``."""
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent_dim, generator=generator).to(device)
        out = self.decoder(z)
        if isinstance(out, tuple):
            return out[0]
        return torch.sigmoid(out)


def iwae_bound(log_w: torch.Tensor) -> torch.Tensor:
    """``logsumexp(log_w, 0) − log k`` for log-weights of shape ``(k, …)``."""
    return torch.logsumexp(log_w, dim=0) - math.log(log_w.shape[0])
