"""Training losses. There are no ImageNet weights on this machine, so no VGG perceptual loss: an L1 on the
hole, its squared error (what PSNR scores) and an SSIM term on the composited image (local structure and
contrast, which the pixel losses alone blur away)."""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F


@functools.lru_cache(maxsize=4)
def _gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float32) - size // 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]


def ssim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean SSIM of (B, C, H, W) images in [0, 1] (Wang et al. 2004, Gaussian 11×11 window, σ = 1.5)."""
    c = a.shape[1]
    size = min(11, a.shape[-2], a.shape[-1]) | 1
    window = _gaussian_window(size).to(a.device, a.dtype).expand(5 * c, 1, size, size)
    # The five local means in one depthwise convolution: 1.7x faster than five (forward and backward).
    means = F.conv2d(torch.cat([a, b, a * a, b * b, a * b], dim=1), window, groups=5 * c)
    mu_a, mu_b, aa, bb, ab = means.split(c, dim=1)
    var_a, var_b, cov = aa - mu_a**2, bb - mu_b**2, ab - mu_a * mu_b
    c1, c2 = 0.01**2, 0.03**2
    score = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return score.mean()


def hole_l1(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L1 over the hole's pixels: the decoder renders only those, so every term here is a hole pixel."""
    return (prediction - target).abs().mean()


def hole_l2(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the hole's pixels (PSNR's own measure)."""
    return (prediction - target).square().mean()
