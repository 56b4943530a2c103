"""Channel-attention block (HAT's CAB): a squeezed 3×3 conv pair whose output channels are reweighted by
a global-pooling gate."""

from __future__ import annotations

import torch
from torch import nn


class ChannelAttention(nn.Module):
    def __init__(self, channels: int, squeeze: int = 16):
        super().__init__()
        hidden = max(channels // squeeze, 4)
        self.gate = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(channels, hidden, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, channels, 1),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x)


class CAB(nn.Module):
    """The block's transform, without the residual: callers add it where they need it."""

    def __init__(self, channels: int, compress: int = 3):
        super().__init__()
        hidden = max(channels // compress, 4)
        self.body = nn.Sequential(
            nn.Conv2d(channels, hidden, 3, padding=1),
            nn.GELU(),
            nn.Conv2d(hidden, channels, 3, padding=1),
            ChannelAttention(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)
