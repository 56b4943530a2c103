"""Downsample processing encoder (DPE): three stride-2 stages, each followed by processing blocks so that
downsampling does not throw information away. Every stage's output is a level of the feature pyramid."""

from __future__ import annotations

import torch
from torch import nn

from .channel_attention import CAB
from .config import IN2Config
from .ffc import FFCResBlock


class ProcessingBlock(nn.Module):
    """An FFC residual block (global context) followed by a residual channel-attention block."""

    def __init__(self, channels: int, ratio: float):
        super().__init__()
        self.ffc = FFCResBlock(channels, ratio)
        self.cab = CAB(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.ffc(x)
        return x + self.cab(x)


class DownsampleProcessingEncoder(nn.Module):
    def __init__(self, config: IN2Config, in_channels: int = 4):
        super().__init__()
        stages = []
        previous = in_channels
        for channels, blocks in zip(config.channels, config.blocks, strict=True):
            stages.append(
                nn.Sequential(
                    nn.Conv2d(previous, channels, 3, stride=2, padding=1),
                    nn.GELU(),
                    *(ProcessingBlock(channels, config.global_ratio) for _ in range(blocks)),
                )
            )
            previous = channels
        self.stages = nn.ModuleList(stages)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        levels = []
        for stage in self.stages:
            x = stage(x)
            levels.append(x)
        return levels
