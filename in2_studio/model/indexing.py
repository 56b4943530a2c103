"""Gathers that train fast on the CPU."""

from __future__ import annotations

import torch


def gather(x: torch.Tensor, dim: int, positions: torch.Tensor) -> torch.Tensor:
    """`x` indexed along `dim` by a tensor of `positions` of any shape, as advanced indexing would. Through
    index_select: its gradient is an index_add, which in bfloat16 on the CPU is about 3x faster than the
    accumulating index_put that advanced indexing's gradient is (training steps ran 1.17-1.25x faster with it)."""
    picked = x.index_select(dim, positions.flatten())
    return picked.view(*x.shape[:dim], *positions.shape, *x.shape[dim + 1 :])
