"""Neighborhood attention (NAT) in plain PyTorch, and the neighbor hybrid attention block.

Each position attends to the k×k positions around it; near a border the window is shifted inward
(clamped, as in NAT) rather than zero-padded, so every query sees exactly min(k, H)×min(k, W) real keys.
Computed in tiles: a t×t block of queries shares one (t+k-1)² block of keys, and keys outside a query's
own window are masked. One batched `scaled_dot_product_attention` call then does all tiles at once,
which is several times faster on the CPU than gathering k² keys per query.
"""

from __future__ import annotations

import functools

import torch
from torch import nn

from .channel_attention import CAB
from .indexing import gather


def window_start(position: torch.Tensor, length: int, kernel: int) -> torch.Tensor:
    """First key of each query's window along one axis, clamped to stay inside [0, length)."""
    k = min(kernel, length)
    return (position - k // 2).clamp(0, length - k)


def _cached_plan(function):
    """Cache index plans per shape. Made outside inference mode: an inference tensor in the cache would
    break a later training step of the same shape in the same process."""
    cached = functools.lru_cache(maxsize=64)(function)

    @functools.wraps(function)
    def plan(*args):
        with torch.inference_mode(False):
            return cached(*args)

    return plan


@_cached_plan
def _axis_plan(length: int, kernel: int, tile: int):
    """Per axis: key positions of each tile, each (query, key) pair's relative-bias index and validity."""
    k = min(kernel, length)
    t = min(tile, length)
    tiles = -(-length // t)
    keys = min(t + k - 1, length)
    queries = torch.arange(tiles * t).clamp(max=length - 1).view(tiles, t)
    starts = window_start(queries, length, kernel)
    key_start = starts[:, :1].clamp(max=length - keys)
    key_pos = key_start + torch.arange(keys)  # (tiles, keys)
    offset = key_pos[:, None, :] - queries[:, :, None]  # (tiles, t, keys)
    valid = (key_pos[:, None, :] >= starts[:, :, None]) & (key_pos[:, None, :] < starts[:, :, None] + k)
    rel_index = (offset + kernel - 1).clamp(0, 2 * kernel - 2)
    return t, tiles, queries.reshape(-1), key_pos, rel_index, valid


@_cached_plan
def _tile_plan(h: int, w: int, kernel: int, tile: int):
    """Flat positions of each tile's queries (ny, nx, ty·tx) and keys (ny, nx, Ly·Lx), the flat bias-table
    index of every (tile, query, key) triple ((2k−1)² where the key is outside the window), and the way back."""
    ty, ny, qy, ky, rel_y, valid_y = _axis_plan(h, kernel, tile)
    tx, nx, qx, kx, rel_x, valid_x = _axis_plan(w, kernel, tile)
    queries = (qy.view(ny, 1, ty, 1) * w + qx.view(1, nx, 1, tx)).reshape(ny, nx, ty * tx)
    keys = (ky[:, None, :, None] * w + kx[None, :, None, :]).reshape(ny, nx, -1)
    side = 2 * kernel - 1
    index = rel_y[:, None, :, None, :, None] * side + rel_x[None, :, None, :, None, :]  # (ny, nx, ty, tx, Ly, Lx)
    valid = valid_y[:, None, :, None, :, None] & valid_x[None, :, None, :, None, :]
    index = index.masked_fill(~valid, side * side).reshape(ny, nx, ty * tx, -1)
    # Where each pixel's result sits among the tiles' queries (padding repeats a pixel: any copy will do).
    flat = queries.flatten()
    back = torch.zeros(h * w, dtype=torch.long).scatter_(0, flat, torch.arange(len(flat)))
    return queries, keys, index, back


def neighborhood_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias_table: torch.Tensor, kernel: int, tile: int = 8
) -> torch.Tensor:
    """q, k, v: (B, heads, H, W, d); bias_table: (heads, 2·kernel−1, 2·kernel−1). Returns (B, heads, H, W, d)."""
    b, heads, h, w, d = q.shape
    queries, keys, index, back = (t.to(q.device) for t in _tile_plan(h, w, kernel, tile))
    # Padding queries repeat the last row/column.
    qt = gather(q.reshape(b, heads, h * w, d), 2, queries)  # (B, heads, ny, nx, ty·tx, d)
    kt = gather(k.reshape(b, heads, h * w, d), 2, keys)  # (B, heads, ny, nx, Ly·Lx, d)
    vt = gather(v.reshape(b, heads, h * w, d), 2, keys)
    # One gather from the bias table, with an extra −inf entry for keys outside a query's window.
    table = torch.cat([bias_table.flatten(1), bias_table.new_full((heads, 1), float("-inf"))], dim=1)
    logits = torch.matmul(qt * d**-0.5, kt.transpose(-1, -2)) + gather(table, 1, index).to(q.dtype)
    # Every query has at least one key in its window, so no row is all −inf: a plain softmax is safe.
    tiles = torch.matmul(logits.softmax(dim=-1), vt)
    # A gather, not a scatter: a padding copy gets no gradient, so nothing is counted twice.
    return gather(tiles.flatten(2, 4), 2, back).view(b, heads, h, w, d)


class NeighborhoodAttention(nn.Module):
    def __init__(self, dim: int, heads: int, kernel: int = 7):
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} is not divisible by {heads} heads")
        self.heads, self.kernel = heads, kernel
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.bias_table = nn.Parameter(torch.zeros(heads, 2 * kernel - 1, 2 * kernel - 1))
        nn.init.trunc_normal_(self.bias_table, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, H, W, C) -> (B, H, W, C)."""
        b, h, w, c = x.shape
        qkv = self.qkv(x).view(b, h, w, 3, self.heads, c // self.heads).permute(3, 0, 4, 1, 2, 5)
        out = neighborhood_attention(qkv[0], qkv[1], qkv[2], self.bias_table, self.kernel)
        return self.proj(out.permute(0, 2, 3, 1, 4).reshape(b, h, w, c))


class NeighborHybridAttention(nn.Module):
    """NHA block: neighborhood attention beside a convolutional channel-attention branch, then an MLP.
    The conv branch is scaled down (as HAT does) so that attention leads and the conv refines."""

    def __init__(self, dim: int, heads: int, kernel: int = 7, mlp_ratio: float = 2.0, conv_scale: float = 0.01):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attention = NeighborhoodAttention(dim, heads, kernel)
        self.conv = CAB(dim)
        self.conv_scale = conv_scale
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, C, H, W) -> (B, C, H, W)."""
        t = x.permute(0, 2, 3, 1)
        n = self.norm1(t)
        conv = self.conv(n.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        t = t + self.attention(n) + self.conv_scale * conv
        t = t + self.mlp(self.norm2(t))
        return t.permute(0, 3, 1, 2)
