"""Normalizing flows on images ``(B, C, H, W)``: RealNVP affine coupling (Dinh et al. 2017),
ActNorm and the invertible 1×1 convolution of Glow (Kingma and Dhariwal 2018).

Every layer has ``forward(x) -> (y, logdet)`` with ``logdet`` of shape ``(B,)`` — one
``log |det ∂y/∂x|`` per example, never summed over the batch — and ``inverse(y) -> x``.

Contract shared with the homework (the trusted checks load student parameters into these
classes, so names and shapes are part of it):

* :class:`ActNorm`: parameters ``bias`` and ``log_scale`` of shape ``(1, C, 1, 1)`` and a
  buffer ``initialized`` (0/1 uint8); ``y = x * exp(log_scale) + bias``. The first forward in
  training sets them from that batch so that each output channel has mean 0 and variance 1.
* :class:`InvConv1x1`: parameter ``weight`` of shape ``(C, C)``; ``y[:, i] = Σ_j W[i, j] x[:, j]``
  at every pixel, ``logdet = H · W · log |det weight|``.
* :class:`AffineCoupling`: ``net`` = ``Sequential(Conv2d(C, h, 3, padding=1), ReLU,
  Conv2d(h, h, 1), ReLU, Conv2d(h, 2C, 3, padding=1))``. With the 0/1 mask ``m`` (1 = passed
  through unchanged, see :func:`coupling_mask`): ``s_raw, t = net(m * x).chunk(2, dim=1)``,
  ``s = (1 − m) * tanh(s_raw)``, ``t = (1 − m) * t``, ``y = m * x + (1 − m) * (x * exp(s) + t)``,
  ``logdet = Σ s``.
* :class:`Flow`: ``layers`` (``nn.ModuleList``) applied in order; standard-normal base.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, cast

import torch
from torch import nn

LOG_2PI = math.log(2 * math.pi)


def coupling_mask(
    mask_type: str, parity: int, channels: int, height: int, width: int, device=None, dtype=None
) -> torch.Tensor:
    """0/1 mask of shape ``(1, C, H, W)``; 1 marks the entries passed through unchanged.

    ``checkerboard``: 1 where ``(i + j) % 2 == parity``. ``channel``: 1 on the first ``C // 2``
    channels when ``parity == 0``, on the others when ``parity == 1``.
    """
    if mask_type == "checkerboard":
        i = torch.arange(height, device=device)[:, None]
        j = torch.arange(width, device=device)[None, :]
        m = ((i + j) % 2 == parity).expand(channels, height, width)
    elif mask_type == "channel":
        first = torch.arange(channels, device=device) < channels // 2
        m = (first if parity == 0 else ~first)[:, None, None].expand(channels, height, width)
    else:
        raise ValueError("mask_type must be 'checkerboard' or 'channel'")
    return m[None].to(dtype=dtype or torch.get_default_dtype())


class AffineCoupling(nn.Module):
    def __init__(
        self, channels: int, hidden: int, mask_type: str = "checkerboard", parity: int = 0
    ) -> None:
        super().__init__()
        self.channels, self.mask_type, self.parity = channels, mask_type, parity
        self.net = nn.Sequential(
            nn.Conv2d(channels, hidden, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(hidden, hidden, 1),
            nn.ReLU(),
            nn.Conv2d(hidden, 2 * channels, 3, padding=1),
        )
        # Start at the identity (Glow); the grader perturbs the parameters before checking.
        last = cast(nn.Conv2d, self.net[-1])
        nn.init.zeros_(last.weight)
        nn.init.zeros_(cast(torch.Tensor, last.bias))

    def _mask(self, x: torch.Tensor) -> torch.Tensor:
        _, c, h, w = x.shape
        return coupling_mask(self.mask_type, self.parity, c, h, w, x.device, x.dtype)

    def _scale_shift(
        self, x_masked: torch.Tensor, m: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        s_raw, t = self.net(x_masked).chunk(2, dim=1)
        return (1 - m) * torch.tanh(s_raw), (1 - m) * t

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        m = self._mask(x)
        s, t = self._scale_shift(m * x, m)
        y = m * x + (1 - m) * (x * torch.exp(s) + t)
        return y, s.flatten(1).sum(1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        m = self._mask(y)
        s, t = self._scale_shift(m * y, m)
        return m * y + (1 - m) * ((y - t) * torch.exp(-s))


class ActNorm(nn.Module):
    initialized: torch.Tensor

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.log_scale = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.register_buffer("initialized", torch.tensor(0, dtype=torch.uint8))

    @torch.no_grad()
    def initialize(self, x: torch.Tensor) -> None:
        """Data-dependent init: per-channel mean 0 and variance 1 on this batch."""
        mean = x.mean(dim=(0, 2, 3), keepdim=True)
        std = x.std(dim=(0, 2, 3), keepdim=True, unbiased=False)
        self.log_scale.copy_(-torch.log(std + 1e-6))
        self.bias.copy_(-mean * torch.exp(self.log_scale))
        self.initialized.fill_(1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.training and not bool(self.initialized):
            self.initialize(x)
        _, _, h, w = x.shape
        y = x * torch.exp(self.log_scale) + self.bias
        logdet = (h * w * self.log_scale.sum()).expand(x.shape[0])
        return y, logdet

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        return (y - self.bias) * torch.exp(-self.log_scale)


class InvConv1x1(nn.Module):
    def __init__(self, channels: int, seed: int | None = None) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        q, _ = torch.linalg.qr(torch.randn(channels, channels, generator=generator))
        self.weight = nn.Parameter(q)  # a rotation: log|det| = 0 at init

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _, _, h, w = x.shape
        y = torch.einsum("ij,bjhw->bihw", self.weight, x)
        # slogdet: log|det| is finite for either sign of det (log(det) is NaN when det < 0).
        logdet = (h * w * torch.linalg.slogdet(self.weight)[1]).expand(x.shape[0])
        return y, logdet

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        # A true inverse: the transpose equals it only while the weight is orthogonal.
        return torch.einsum("ij,bjhw->bihw", torch.linalg.inv(self.weight), y)


class Flow(nn.Module):
    """A stack of invertible layers on ``shape = (C, H, W)`` with a standard-normal base."""

    def __init__(self, layers: Iterable[nn.Module], shape: Sequence[int]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(z, logdet)``: ``z`` of ``x``'s shape, ``logdet`` of shape ``(B,)``."""
        logdet = torch.zeros(x.shape[0], device=x.device, dtype=x.dtype)
        for layer in self.layers:
            x, ld = layer(x)
            logdet = logdet + ld
        return x, logdet

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        for layer in reversed(self.layers):
            z = cast(Any, layer).inverse(z)
        return z

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """``log p(x) = log N(f(x); 0, I) + log |det ∂f/∂x|`` in nats, shape ``(B,)``."""
        z, logdet = self(x)
        return -0.5 * (LOG_2PI + z.pow(2)).flatten(1).sum(1) + logdet

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``inverse(z)`` for ``z = torch.randn((n, *shape), generator=generator)`` drawn on the
        CPU, then moved to the model's device and dtype."""
        p = next(self.parameters())
        z = torch.randn((n, *self.shape), generator=generator).to(device=p.device, dtype=p.dtype)
        return self.inverse(z)


def realnvp(channels: int, height: int, width: int, hidden: int = 16, n_blocks: int = 2) -> Flow:
    """Glow-style stack: ``n_blocks`` × [ActNorm, InvConv1x1, checkerboard coupling, channel
    coupling] with alternating parities."""
    layers: list[nn.Module] = []
    for b in range(n_blocks):
        layers += [
            ActNorm(channels),
            InvConv1x1(channels, seed=b),
            AffineCoupling(channels, hidden, "checkerboard", b % 2),
            AffineCoupling(channels, hidden, "channel", b % 2),
        ]
    return Flow(layers, (channels, height, width))
