"""Pixel-centre coordinates in [-1, 1]² (LIIF's convention), ordered (y, x)."""

from __future__ import annotations

import torch


def axis_centers(n: int, device=None) -> torch.Tensor:
    return -1 + (2 * torch.arange(n, device=device, dtype=torch.float32) + 1) / n


def grid_coords(height: int, width: int, device=None) -> torch.Tensor:
    """(height·width, 2) coordinates of every pixel centre, row-major."""
    ys, xs = torch.meshgrid(axis_centers(height, device), axis_centers(width, device), indexing="ij")
    return torch.stack([ys, xs], dim=-1).view(-1, 2)


def pixel_coords(rows: torch.Tensor, cols: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Coordinates of the given pixels of a height×width grid."""
    return torch.stack([-1 + (2 * rows.float() + 1) / height, -1 + (2 * cols.float() + 1) / width], dim=-1)


def cell_size(height: int, width: int, device=None) -> torch.Tensor:
    """The size of one output pixel in [-1, 1] units, (y, x)."""
    return torch.tensor([2.0 / height, 2.0 / width], dtype=torch.float32, device=device)
