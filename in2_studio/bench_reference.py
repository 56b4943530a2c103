"""A big-lama-sized reference for the benchmark: LaMa's FFC ResNet generator shape (advimman/lama,
`FFCResNetGenerator` with the big-lama configuration) built from this project's own FFC layer.

Same shape as big-lama: 4 input channels, a 7×7 stem with 64 channels, three stride-2 downsamplings to 512
channels (the last one splits into local and global with ratio 0.75), 18 FFC residual blocks with global
ratio 0.75, three transposed-convolution upsamplings, a 7×7 output convolution, BatchNorm + ReLU after every
layer as LaMa has them. Random weights: the compute does not depend on them. Our FFC differs from LaMa's in
details that barely move the cost (biases, zero instead of reflection padding inside the FFC, GELU inside
the spectral transform), so the parameter count lands within a few per cent of big-lama's 51 M.
"""

from __future__ import annotations

import torch
from torch import nn

from .model.ffc import FFC

BIGLAMA_PARAMETERS = 51_000_000  # LaMa's big-lama generator, as published


class FFCBnAct(nn.Module):
    """LaMa's FFC_BN_ACT: an FFC layer, then batch norm and ReLU over its local and global outputs."""

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, ratio_in=0.0, ratio_out=0.0):
        super().__init__()
        self.ffc = FFC(in_channels, out_channels, kernel_size, stride, ratio_in, ratio_out)
        # One norm over the concatenated output is the same per-channel affine map as LaMa's two.
        self.norm = nn.BatchNorm2d(out_channels)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.ffc(x)))


class FFCResnetBlock(nn.Module):
    def __init__(self, channels: int, ratio: float):
        super().__init__()
        self.conv1 = FFCBnAct(channels, channels, 3, 1, ratio, ratio)
        self.conv2 = FFCBnAct(channels, channels, 3, 1, ratio, ratio)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(self.conv1(x))


def _upsample(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [
        nn.ConvTranspose2d(in_channels, out_channels, 3, stride=2, padding=1, output_padding=1),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]


class BigLamaGenerator(nn.Module):
    """(B, 4, H, W) image-with-hole + mask -> (B, 3, H, W) in [0, 1]; H and W multiples of 8."""

    def __init__(self, ngf: int = 64, downsamplings: int = 3, blocks: int = 18, ratio: float = 0.75):
        super().__init__()
        layers: list[nn.Module] = [FFCBnAct(4, ngf, kernel_size=7)]
        for i in range(downsamplings):
            last = i == downsamplings - 1
            channels = ngf * 2**i
            # Only the last downsampling produces a global part, which the residual blocks then carry.
            layers.append(FFCBnAct(channels, 2 * channels, 3, 2, 0.0, ratio if last else 0.0))
        width = ngf * 2**downsamplings
        layers += [FFCResnetBlock(width, ratio) for _ in range(blocks)]
        for i in range(downsamplings):
            channels = width // 2**i
            layers += _upsample(channels, channels // 2)
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Sigmoid()]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def build_biglama(seed: int = 0, **shape) -> BigLamaGenerator:
    """The reference in eval mode with seeded random weights; `shape` overrides the big-lama sizes (tests)."""
    torch.manual_seed(seed)
    return BigLamaGenerator(**shape).eval()
