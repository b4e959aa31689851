"""Autoregressive models for binary data: MADE (Germain et al. 2015) and PixelCNN (van den Oord
et al. 2016).

Conventions shared with the homework (assignments/hw1/spec: the trusted checks load student
weights into these classes, so the parameter and buffer names are part of the contract):

* ``order`` is a permutation of ``range(D)``: ``order[k]`` is the index of the variable that is
  generated k-th. The *degree* of input ``d`` is its 1-based position in the order.
* MADE is ``layers``: an ``nn.ModuleList`` of :class:`MaskedLinear` (``weight``, ``bias`` and a
  ``mask`` buffer of the weight's shape), ReLU between them, and logits of Bernoulli
  conditionals as output: ``logits[:, d]`` parameterises ``p(x_d = 1 | x_<d in the order)``.
* PixelCNN is ``layers``: an ``nn.ModuleList`` of :class:`MaskedConv2d` (first type A, then
  type B, last a 1×1), ReLU between them, output logits of shape ``(B, 1, H, W)`` in raster
  order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

# --------------------------------------------------------------------------------------------
# MADE
# --------------------------------------------------------------------------------------------


def input_degrees(order: torch.Tensor) -> torch.Tensor:
    """Degree (1-based position in ``order``) of each input variable."""
    d = order.numel()
    degrees = torch.empty(d, dtype=torch.long)
    degrees[order.long()] = torch.arange(1, d + 1)
    return degrees


def hidden_degrees(
    size: int, d: int, previous_min: int = 1, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Degrees of one hidden layer, in ``[previous_min, d - 1]``.

    Without a generator they cycle ``previous_min, …, d-1, previous_min, …`` so that every degree
    is present whenever ``size >= d - previous_min`` (then every allowed connection exists).
    With a generator they are drawn uniformly (Germain et al.'s random connectivity).
    """
    high = max(d - 1, previous_min)
    if generator is None:
        return previous_min + torch.arange(size) % (high - previous_min + 1)
    return torch.randint(previous_min, high + 1, (size,), generator=generator)


def made_masks(
    order: torch.Tensor, hidden_sizes: Sequence[int], generator: torch.Generator | None = None
) -> list[torch.Tensor]:
    """Masks (out_features × in_features, float 0/1) of every layer of a MADE.

    Hidden unit k of layer l may see unit j of layer l-1 iff ``m_l[k] >= m_{l-1}[j]``; output d
    may see hidden unit k iff ``m_0[d] > m_L[k]`` (strict: output d never sees input d).
    """
    d = order.numel()
    degrees = [input_degrees(order)]
    for size in hidden_sizes:
        previous_min = int(degrees[-1].min()) if d > 1 else 1
        degrees.append(hidden_degrees(size, d, min(previous_min, max(d - 1, 1)), generator))
    masks = [
        (later[:, None] >= earlier[None, :]).float()
        for earlier, later in zip(degrees[:-1], degrees[1:], strict=False)
    ]
    masks.append((degrees[0][:, None] > degrees[-1][None, :]).float())
    return masks


class MaskedLinear(nn.Linear):
    """``nn.Linear`` whose weight is multiplied by a fixed 0/1 ``mask`` buffer in every forward."""

    mask: torch.Tensor

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__(in_features, out_features, bias)
        self.register_buffer("mask", torch.ones(out_features, in_features))

    def set_mask(self, mask: torch.Tensor) -> None:
        self.mask.copy_(mask.to(self.mask))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


class MADE(nn.Module):
    """MADE for D binary variables.

    Args:
        in_features: D.
        hidden_sizes: widths of the hidden layers.
        order: permutation of ``range(D)`` (generation order); ``None`` is the natural order.
        random_degrees: draw hidden degrees at random (seeded by ``seed``) instead of cycling.
        order_agnostic: :meth:`resample` draws a new order (and, with ``random_degrees``, new
            degrees) each time it is called, e.g. once per training step.
        seed: seeds the weights' initialisation and the random degrees/orders.
    """

    order: torch.Tensor

    def __init__(
        self,
        in_features: int,
        hidden_sizes: Sequence[int],
        order: Sequence[int] | torch.Tensor | None = None,
        *,
        random_degrees: bool = False,
        order_agnostic: bool = False,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.hidden_sizes = list(hidden_sizes)
        self.random_degrees = random_degrees
        self.order_agnostic = order_agnostic
        self._generator = torch.Generator().manual_seed(seed)
        sizes = [in_features, *self.hidden_sizes, in_features]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.layers = nn.ModuleList(
                MaskedLinear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=False)
            )
        if order is None:
            order = torch.arange(in_features)
        self.register_buffer("order", torch.as_tensor(order, dtype=torch.long).clone())
        self.set_order(self.order)

    def set_order(self, order: Sequence[int] | torch.Tensor) -> None:
        """Use a new generation order and rebuild every mask for it."""
        order = torch.as_tensor(order, dtype=torch.long).cpu()
        if sorted(order.tolist()) != list(range(self.in_features)):
            raise ValueError(f"order must be a permutation of range({self.in_features})")
        self.order.copy_(order)
        generator = self._generator if self.random_degrees else None
        for layer, mask in zip(
            self._masked_layers(), made_masks(order, self.hidden_sizes, generator), strict=True
        ):
            layer.set_mask(mask)

    def _masked_layers(self) -> list[MaskedLinear]:
        return [cast(MaskedLinear, layer) for layer in self.layers]

    def resample(self) -> None:
        """Order-agnostic training: draw a fresh random order (and degrees)."""
        if not self.order_agnostic:
            raise RuntimeError("resample() needs order_agnostic=True")
        self.set_order(torch.randperm(self.in_features, generator=self._generator))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, D)`` of the Bernoulli conditionals for inputs ``x`` of shape ``(B, D)``."""
        h = x
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if i < len(self.layers) - 1:
                h = torch.relu(h)
        return h

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """``log p(x)`` in nats, shape ``(B,)``, for binary ``x`` of shape ``(B, D)``."""
        logits = self(x)
        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` samples ``(n, D)`` (float 0/1), one variable at a time in ``order``.

        Uniform draws come from ``generator`` on the CPU, so a seed gives the same samples on
        every device.
        """
        weight = self._masked_layers()[0].weight
        x = torch.zeros(n, self.in_features, device=weight.device, dtype=weight.dtype)
        for d in self.order.tolist():
            p = torch.sigmoid(self(x)[:, d])
            u = torch.rand(n, generator=generator).to(weight.device)
            x[:, d] = (u < p).to(x.dtype)
        return x


# --------------------------------------------------------------------------------------------
# PixelCNN
# --------------------------------------------------------------------------------------------


def pixelcnn_mask(
    kernel_size: int, mask_type: str, in_channels: int = 1, out_channels: int = 1
) -> torch.Tensor:
    """Mask ``(out, in, k, k)`` for a single-colour-channel PixelCNN.

    Type A keeps the rows above the centre and the pixels left of the centre; type B also keeps
    the centre.
    """
    if mask_type not in ("A", "B"):
        raise ValueError("mask_type must be 'A' or 'B'")
    k = kernel_size
    mask = torch.zeros(k, k)
    mask[: k // 2, :] = 1
    mask[k // 2, : k // 2 + (mask_type == "B")] = 1
    return mask.expand(out_channels, in_channels, k, k).clone()


class MaskedConv2d(nn.Conv2d):
    """``nn.Conv2d`` (same padding, odd kernel) with a fixed type A/B ``mask`` buffer."""

    mask: torch.Tensor

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, mask_type: str
    ) -> None:
        if kernel_size % 2 != 1:
            raise ValueError("kernel_size must be odd")
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.mask_type = mask_type
        self.register_buffer(
            "mask", pixelcnn_mask(kernel_size, mask_type, in_channels, out_channels)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(
            x, self.weight * self.mask, self.bias, padding=cast(tuple[int, int], self.padding)
        )


class PixelCNN(nn.Module):
    """PixelCNN for binary single-channel images.

    ``layers`` = [MaskedConv2d(1, C, first_kernel, 'A'), n_hidden × MaskedConv2d(C, C, kernel,
    'B'), MaskedConv2d(C, 1, 1, 'B')], ReLU between consecutive layers.
    """

    def __init__(
        self,
        channels: int = 16,
        n_hidden: int = 2,
        first_kernel: int = 5,
        kernel: int = 3,
        seed: int = 0,
    ) -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            layers = [MaskedConv2d(1, channels, first_kernel, "A")]
            layers += [MaskedConv2d(channels, channels, kernel, "B") for _ in range(n_hidden)]
            layers.append(MaskedConv2d(channels, 1, 1, "B"))
            self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, 1, H, W)`` for binary images ``x`` of shape ``(B, 1, H, W)``."""
        h = x
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if i < len(self.layers) - 1:
                h = torch.relu(h)
        return h

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact ``log p(x)`` in nats, shape ``(B,)``."""
        logits = self(x)
        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(-1)

    @torch.no_grad()
    def sample(
        self, n: int, height: int, width: int, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """``n`` binary images ``(n, 1, H, W)`` drawn pixel by pixel in raster order."""
        weight = cast(MaskedConv2d, self.layers[0]).weight
        x = torch.zeros(n, 1, height, width, device=weight.device, dtype=weight.dtype)
        probs = torch.sigmoid(self(x))  # one forward pass for the whole image
        for i in range(height):
            for j in range(width):
                p = probs[:, 0, i, j]
                u = torch.rand(n, generator=generator).to(weight.device)
                x[:, 0, i, j] = (u < p).to(x.dtype)
        return x
