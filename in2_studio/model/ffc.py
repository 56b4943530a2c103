"""Fast Fourier convolution (LaMa): a local 3×3 branch beside a global branch that mixes channels in the
frequency domain, so one layer sees the whole image."""

from __future__ import annotations

import torch
from torch import nn


class FourierUnit(nn.Module):
    """A 1×1 convolution applied to the real and imaginary parts of the 2-D spectrum."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(2 * channels, 2 * channels, 1)
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        spectrum = torch.fft.rfft2(x.float(), norm="ortho")
        y = torch.cat([spectrum.real, spectrum.imag], dim=1)
        real, imag = self.act(self.conv(y)).float().chunk(2, dim=1)  # autocast's bf16 has no complex type
        return torch.fft.irfft2(torch.complex(real, imag), s=(h, w), norm="ortho").to(x.dtype)


class SpectralTransform(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        mid = max(out_channels // 2, 1)
        self.down = nn.AvgPool2d(2, 2) if stride == 2 else nn.Identity()
        self.reduce = nn.Sequential(nn.Conv2d(in_channels, mid, 1), nn.GELU())
        self.fourier = FourierUnit(mid)
        self.expand = nn.Conv2d(mid, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.reduce(self.down(x))
        return self.expand(x + self.fourier(x))


def _split(channels: int, ratio: float) -> tuple[int, int]:
    global_channels = int(channels * ratio)
    return channels - global_channels, global_channels


class FFC(nn.Module):
    """One FFC layer. The first `1 - ratio_in` channels of the input are local, the rest global; the same
    split holds for the output with `ratio_out`. Local output = conv over all inputs (LaMa's l2l + g2l);
    global output = conv of the local part + spectral transform of the global part (l2g + g2g)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        ratio_in: float = 0.5,
        ratio_out: float = 0.5,
    ):
        super().__init__()
        self.local_in, self.global_in = _split(in_channels, ratio_in)
        local_out, global_out = _split(out_channels, ratio_out)
        pad = kernel_size // 2
        self.to_local = nn.Conv2d(in_channels, local_out, kernel_size, stride, pad) if local_out else None
        self.local_to_global = (
            nn.Conv2d(self.local_in, global_out, kernel_size, stride, pad) if global_out and self.local_in else None
        )
        self.global_to_global = (
            SpectralTransform(self.global_in, global_out, stride) if global_out and self.global_in else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = []
        if self.to_local is not None:
            outputs.append(self.to_local(x))
        if self.local_to_global is not None or self.global_to_global is not None:
            y = 0
            if self.local_to_global is not None:
                y = self.local_to_global(x[:, : self.local_in])
            if self.global_to_global is not None:
                y = y + self.global_to_global(x[:, self.local_in :])
            outputs.append(y)
        return outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=1)


class FFCResBlock(nn.Module):
    """Two FFC layers with a residual, as in LaMa's generator (without batch norm: it misbehaves on the
    mostly-empty statistics of masked inputs and at batch size one)."""

    def __init__(self, channels: int, ratio: float = 0.5):
        super().__init__()
        self.ffc1 = FFC(channels, channels, ratio_in=ratio, ratio_out=ratio)
        self.ffc2 = FFC(channels, channels, ratio_in=ratio, ratio_out=ratio)
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.ffc2(self.act(self.ffc1(x)))
