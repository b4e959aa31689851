"""HW1 part 3: normalizing flows on images ``(B, C, H, W)``.

Every layer has ``forward(x) -> (y, logdet)`` where ``logdet`` has shape ``(B,)``: one
``log |det ∂y/∂x|`` PER EXAMPLE (never summed over the batch), and ``inverse(y) -> x``.
Keep names and shapes as documented: the grader loads your parameters into its own layers and
checks them at perturbed parameter values (not only at their initial values). Your code must
work on any device and in float64.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import torch
from torch import nn

LOG_2PI = math.log(2 * math.pi)


def coupling_mask(
    mask_type: str, parity: int, channels: int, height: int, width: int, device=None, dtype=None
) -> torch.Tensor:
    """0/1 mask ``(1, C, H, W)``; 1 marks the entries passed through unchanged.

    ``"checkerboard"``: 1 where ``(i + j) % 2 == parity``. ``"channel"``: 1 on the first
    ``C // 2`` channels if ``parity == 0``, on the other channels if ``parity == 1``.
    """
    raise NotImplementedError


class AffineCoupling(nn.Module):
    """RealNVP affine coupling.

    Attribute (name fixed): ``net = nn.Sequential(Conv2d(C, hidden, 3, padding=1), ReLU(),
    Conv2d(hidden, hidden, 1), ReLU(), Conv2d(hidden, 2C, 3, padding=1))``; initialise its last
    layer to zero so that the coupling starts at the identity.

    With ``m = coupling_mask(...)`` for the input's shape:
    ``s_raw, t = net(m * x).chunk(2, dim=1)``, ``s = (1 - m) * tanh(s_raw)``, ``t = (1 - m) * t``,
    ``y = m * x + (1 - m) * (x * exp(s) + t)``.
    """

    def __init__(self, channels: int, hidden: int, mask_type: str = "checkerboard", parity: int = 0) -> None:
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(y, logdet)`` with ``logdet`` ``(B,)``."""
        raise NotImplementedError

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class ActNorm(nn.Module):
    """Glow's activation normalisation: ``y = x * exp(log_scale) + bias`` per channel.

    Attributes (names fixed): parameters ``bias`` and ``log_scale`` ``(1, C, 1, 1)`` (zeros), and
    a buffer ``initialized`` (``torch.tensor(0, dtype=torch.uint8)``). The first forward call in
    training mode while ``initialized == 0`` sets ``log_scale`` and ``bias`` from that batch so
    that every output channel has mean 0 and standard deviation 1, then sets ``initialized``
    to 1. Write those values into the existing parameters (e.g. ``copy_`` under
    ``torch.no_grad()``): an optimiser built before the first forward must keep training them.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class InvConv1x1(nn.Module):
    """Glow's invertible 1×1 convolution: ``y[:, i] = Σ_j weight[i, j] x[:, j]`` at every pixel.

    Attribute (name fixed): parameter ``weight`` ``(C, C)``, initialised to a random rotation.
    The grader sets it to arbitrary invertible matrices, with negative determinants too.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class Flow(nn.Module):
    """Attribute (name fixed): ``layers = nn.ModuleList(layers)``, applied in order; the base
    distribution is ``N(0, I)`` on ``shape = (C, H, W)``."""

    def __init__(self, layers: Iterable[nn.Module], shape: Sequence[int]) -> None:
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(z, logdet)``: ``z`` of ``x``'s shape, ``logdet`` ``(B,)`` summed over the layers."""
        raise NotImplementedError

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """``log N(z; 0, I) + logdet`` in nats, shape ``(B,)``."""
        raise NotImplementedError

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``inverse(z)`` with ``z = torch.randn((n, *shape), generator=generator)`` drawn on the
        CPU in float32, then moved to the device and dtype of the parameters."""
        raise NotImplementedError
