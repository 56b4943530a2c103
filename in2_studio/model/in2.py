"""IN²: the downsample processing encoder, neighbor hybrid attention at the coarsest level, and the
implicit neural pyramid decoder, assembled."""

from __future__ import annotations

import torch
from torch import nn

from .config import IN2Config
from .coords import cell_size, grid_coords
from .decoder import ImplicitPyramidDecoder
from .encoder import DownsampleProcessingEncoder
from .neighborhood_attention import NeighborHybridAttention


class IN2(nn.Module):
    def __init__(self, config: IN2Config | None = None):
        super().__init__()
        self.config = config = config or IN2Config.base()
        self.encoder = DownsampleProcessingEncoder(config)
        dim = config.channels[-1]
        self.attention = nn.Sequential(
            *(NeighborHybridAttention(dim, config.heads, config.kernel) for _ in range(config.attention_blocks))
        )
        self.decoder = ImplicitPyramidDecoder(
            [config.channels[i] for i in config.decoder_levels], config.decoder_hidden, config.fourier_bands
        )

    @property
    def stages(self) -> int:
        return len(self.config.decoder_levels)

    def encode(self, image: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
        """image (B, 3, H, W) in [0, 1], mask (B, 1, H, W) with 1 = fill. Returns the latents the decoder
        reads, coarse first. The hole is blanked here, so callers cannot leak it into the network."""
        x = torch.cat([(image - 0.5) * (1 - mask), mask], dim=1)
        pyramid = self.encoder(x)
        pyramid[-1] = self.attention(pyramid[-1])
        return [pyramid[i] for i in self.config.decoder_levels]

    def decode(self, latents, coords, batch, out_size, stages=None, chunk=8192) -> list[torch.Tensor]:
        """RGB (N, 3) at `coords` (N, 2) in [-1, 1]² of images `batch` (N,), for an output of `out_size`
        (height, width): one tensor per decoder level, coarse first."""
        cell = cell_size(*out_size, device=coords.device)
        return self.decoder(latents, coords, batch, cell, stages=stages, chunk=chunk)

    def render(self, latents, out_size, stages=None, chunk=8192) -> torch.Tensor:
        """The full grid at `out_size`: (B, 3, H, W) from the last level asked for."""
        h, w = out_size
        b = latents[0].shape[0]
        coords = grid_coords(h, w, latents[0].device)
        batch = torch.arange(b, device=coords.device).repeat_interleave(h * w)
        rgb = self.decode(latents, coords.repeat(b, 1), batch, out_size, stages, chunk)[-1]
        return rgb.view(b, h, w, 3).permute(0, 3, 1, 2)

    def forward(self, image: torch.Tensor, mask: torch.Tensor, out_size=None) -> torch.Tensor:
        return self.render(self.encode(image, mask), out_size or tuple(image.shape[-2:]))
