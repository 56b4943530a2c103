"""Growing a trained network deeper without losing what it learnt: more processing blocks per encoder stage
or more attention blocks, each added block starting as the identity (its residual branches' last layers
zeroed), so the grown network computes exactly what the trained one did and training goes on from there
rather than from scratch (as Net2Net's deeper networks do). The CPU budget here cannot train a larger network
from random weights, but it can teach added blocks something on top of a trained one."""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from .config import IN2Config
from .encoder import ProcessingBlock
from .in2 import IN2
from .neighborhood_attention import NeighborHybridAttention

# What may differ between a network and the one grown from it: everything else must match.
_DEEPER = ("blocks", "attention_blocks")


def can_grow(small: IN2Config, large: IN2Config) -> bool:
    """Whether `large` is `small` with at least as many blocks everywhere (and more somewhere)."""
    if len(small.blocks) != len(large.blocks):
        return False
    same_rest = dataclasses.replace(large, **{name: getattr(small, name) for name in _DEEPER}) == small
    deeper = large.attention_blocks >= small.attention_blocks and all(
        b >= a for a, b in zip(small.blocks, large.blocks, strict=True)
    )
    return same_rest and deeper and large != small


def grow(trained: IN2, config: IN2Config) -> IN2:
    """A network of `config` whose blocks are `trained`'s, with the added ones (at the end of each stage and
    of the attention stack) starting as the identity."""
    if not can_grow(trained.config, config):
        raise ValueError(f"cannot grow {trained.config} into {config}: only more blocks can be added")
    grown = IN2(config)
    state = trained.state_dict()
    unexpected = grown.load_state_dict(state, strict=False).unexpected_keys  # the new blocks' keys are missing
    assert not unexpected, unexpected  # can_grow guarantees every trained tensor has its place
    for stage, before in zip(grown.encoder.stages, trained.config.blocks, strict=True):
        blocks = [m for m in stage if isinstance(m, ProcessingBlock)]
        for block in blocks[before:]:
            _start_as_identity(block)
    for block in list(grown.attention)[trained.config.attention_blocks :]:
        _start_as_identity(block)
    return grown


def _start_as_identity(block: nn.Module) -> None:
    """Zero the last layer of every residual branch of a new block, so that its output is its input; the
    rest keeps its random initialisation, so the gradients through the zeroed layers are not all zero."""
    if isinstance(block, ProcessingBlock):
        ffc = block.ffc.ffc2
        last = [ffc.to_local, ffc.local_to_global, ffc.global_to_global and ffc.global_to_global.expand]
        last.append(block.cab.body[2])
    elif isinstance(block, NeighborHybridAttention):
        last = [block.attention.proj, block.conv.body[2], block.mlp[-1]]
    else:
        raise TypeError(f"no identity start for {type(block).__name__}")
    with torch.no_grad():
        for layer in filter(None, last):
            layer.weight.zero_()
            layer.bias.zero_()
