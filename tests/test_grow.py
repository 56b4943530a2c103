"""Growing a trained network deeper: the grown one computes what the trained one did, and its new blocks learn."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from in2_studio.model import IN2, IN2Config
from in2_studio.model.grow import can_grow, grow

DEEPER = {"blocks": (1, 1, 3), "attention_blocks": 3}


@pytest.fixture(scope="module")
def trained():
    """A tiny network whose weights are all non-zero, as a trained one's are (a fresh one has zero biases)."""
    torch.manual_seed(0)
    model = IN2(IN2Config.tiny())
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return model.eval()


def inputs(seed=1):
    g = torch.Generator().manual_seed(seed)
    image = torch.rand(2, 3, 40, 56, generator=g)
    mask = torch.zeros(2, 1, 40, 56)
    mask[:, :, 10:30, 12:44] = 1
    return image, mask


def test_the_grown_network_computes_what_the_trained_one_did(trained):
    config = dataclasses.replace(trained.config, **DEEPER)
    grown = grow(trained, config).eval()
    assert grown.config == config
    assert sum(p.numel() for p in grown.parameters()) > sum(p.numel() for p in trained.parameters())
    with torch.no_grad():
        assert torch.equal(grown(*inputs()), trained(*inputs()))


def test_the_new_blocks_learn(trained):
    """Zeroed last layers would stay zero if no gradient reached them; they must get one, and one step of
    training must change the output."""
    grown = grow(trained, dataclasses.replace(trained.config, **DEEPER))
    new_block = grown.attention[-1]
    image, mask = inputs()
    grown(image, mask)[mask.expand(-1, 3, -1, -1) > 0].square().mean().backward()
    for layer in (new_block.attention.proj, new_block.mlp[-1]):
        assert layer.weight.grad.abs().sum() > 0
    new_stage_block = grown.encoder.stages[2][-1]
    assert new_stage_block.ffc.ffc2.to_local.weight.grad.abs().sum() > 0


@pytest.mark.parametrize(
    "change",
    [
        {},  # the same network is not grown
        {"attention_blocks": 0},  # fewer blocks
        {"blocks": (1, 1)},  # a stage fewer
        {"channels": (8, 12, 24), "attention_blocks": 2},  # wider, not only deeper
        {"decoder_hidden": 32},
    ],
)
def test_only_more_blocks_can_be_grown(trained, change):
    config = dataclasses.replace(trained.config, **change)
    assert not can_grow(trained.config, config)
    with pytest.raises(ValueError, match="only more blocks"):
        grow(trained, config)
