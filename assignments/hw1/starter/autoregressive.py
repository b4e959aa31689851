"""HW1 part 1: autoregressive models for binary data (MADE and PixelCNN).

Fill in every ``NotImplementedError``. The grader loads the parameters and buffers you create
into its own implementation, so keep the class names, attribute names and shapes exactly as
documented. Your code must work on any device and in float64 (the grader calls
``model.to(device, torch.float64)``): create new tensors with the dtype/device of the inputs
or parameters.

Conventions
-----------
* ``order`` is a permutation of ``range(D)``: ``order[k]`` is the index of the variable that is
  generated k-th. The degree of input ``d`` is its 1-based position in ``order``.
* Hidden degrees (deterministic, so that every allowed connection exists when each hidden layer
  has at least D - 1 units): unit ``k`` of every hidden layer has degree ``1 + k % (D - 1)``.
* Masks: hidden unit k of layer l sees unit j of layer l-1 iff ``m_l[k] >= m_{l-1}[j]``;
  output d sees hidden unit k of the last hidden layer iff ``m_0[d] > m_L[k]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F  # noqa: F401
from torch import nn


def made_masks(order: torch.Tensor, hidden_sizes: Sequence[int]) -> list[torch.Tensor]:
    """Return the masks of every layer of a MADE, input layer first.

    Args:
        order: int64 tensor ``(D,)``, a permutation of ``range(D)``.
        hidden_sizes: widths ``[H_1, ..., H_L]`` of the hidden layers.

    Returns:
        ``L + 1`` float tensors of 0/1: shapes ``(H_1, D)``, ``(H_2, H_1)``, ..., ``(D, H_L)``
        (``out_features × in_features``, like ``nn.Linear.weight``).
    """
    raise NotImplementedError


class MaskedLinear(nn.Linear):
    """``nn.Linear`` whose weight is multiplied by a 0/1 mask in EVERY forward pass.

    Attributes (names fixed): ``weight`` ``(out, in)``, ``bias`` ``(out,)`` and a buffer
    ``mask`` ``(out, in)`` registered with ``register_buffer("mask", ...)``, initially ones.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__(in_features, out_features, bias)
        raise NotImplementedError

    def set_mask(self, mask: torch.Tensor) -> None:
        """Copy ``mask`` ``(out, in)`` into the ``mask`` buffer."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x @ (weight * mask).T + bias``: shape ``(B, out)``."""
        raise NotImplementedError


class MADE(nn.Module):
    """MADE for D binary variables.

    Attributes (names fixed): ``layers``, an ``nn.ModuleList`` of ``MaskedLinear`` with sizes
    ``D -> H_1 -> ... -> H_L -> D``, ReLU after every layer but the last; and a buffer
    ``order`` (int64 ``(D,)``).

    Args:
        in_features: D.
        hidden_sizes: ``[H_1, ..., H_L]``.
        order: the generation order (a list or tensor); ``None`` means ``range(D)``.
        seed: seeds the initial weights (``torch.manual_seed`` inside ``fork_rng`` is fine).
    """

    def __init__(
        self,
        in_features: int,
        hidden_sizes: Sequence[int],
        order: Sequence[int] | torch.Tensor | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, D)``: ``logits[:, d]`` parameterises ``p(x_d = 1 | x_<d in order)``.

        ``x`` is ``(B, D)``, any real values (the grader also calls it on non-binary inputs).
        """
        raise NotImplementedError

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """``log p(x)`` in nats for binary ``x`` ``(B, D)``; returns shape ``(B,)``.

        Must carry gradients to the parameters (the grader trains with ``-log_prob(x).mean()``).
        """
        raise NotImplementedError

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` samples ``(n, D)`` with values 0./1., in the dtype and device of the weights.

        Draw the variables one at a time, in ``order``. Uniform numbers may come from
        ``torch.rand(n, generator=generator)`` (CPU), moved to the model's device.
        """
        raise NotImplementedError


class MaskedConv2d(nn.Conv2d):
    """``nn.Conv2d`` with an odd ``kernel_size``, ``padding = kernel_size // 2``, and a mask.

    Attributes (names fixed): ``weight`` ``(out, in, k, k)``, ``bias`` ``(out,)``, buffer
    ``mask`` ``(out, in, k, k)``. Type ``"A"`` keeps the rows above the centre and the pixels
    left of the centre; type ``"B"`` keeps those and the centre. (One colour channel: no
    channel groups.)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, mask_type: str) -> None:
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Convolution with ``weight * mask``: ``(B, in, H, W) -> (B, out, H, W)``."""
        raise NotImplementedError


class PixelCNN(nn.Module):
    """PixelCNN for binary images ``(B, 1, H, W)``.

    Attributes (names fixed): ``layers``, an ``nn.ModuleList``:
    ``[MaskedConv2d(1, channels, first_kernel, "A")]``
    ``+ n_hidden × [MaskedConv2d(channels, channels, kernel, "B")]``
    ``+ [MaskedConv2d(channels, 1, 1, "B")]``, with ReLU between consecutive layers.
    """

    def __init__(
        self, channels: int = 16, n_hidden: int = 2, first_kernel: int = 5, kernel: int = 3, seed: int = 0
    ) -> None:
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, 1, H, W)`` of ``p(x_ij = 1 | pixels before (i, j) in raster order)``."""
        raise NotImplementedError

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact ``log p(x)`` in nats for binary ``x`` ``(B, 1, H, W)``; shape ``(B,)``."""
        raise NotImplementedError

    @torch.no_grad()
    def sample(self, n: int, height: int, width: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` binary images ``(n, 1, height, width)``, drawn pixel by pixel in raster order."""
        raise NotImplementedError
