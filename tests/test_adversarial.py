"""The adversarial term: the discriminator's shapes, that it learns to tell a fill from a face, that its
penalty and losses behave, and that the generator's gradient from it reaches only the hole."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from in2_studio.training.adversarial import (
    Critic,
    PatchDiscriminator,
    discriminator_loss,
    generator_losses,
    patch_mask,
)
from in2_studio.training.crops import FaceCrops
from in2_studio.training.faces import training_files


@pytest.mark.parametrize("size", [(16, 16), (48, 96), (61, 37)])
def test_one_logit_per_patch_on_any_shape(size):
    torch.manual_seed(0)
    logits, features = PatchDiscriminator(8)(torch.rand(2, 3, *size))
    assert logits.shape[:2] == (2, 1)
    assert logits.shape[-2:] == features[-1].shape[-2:]
    assert len(features) == 4


def test_patch_mask_is_the_share_of_hole():
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., :16, :] = 1
    share = patch_mask(mask, (4, 4))
    assert torch.equal(share[0, 0, :2], torch.ones(2, 4)) and torch.equal(share[0, 0, 2:], torch.zeros(2, 4))


def blurred_composite(image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """A stand-in for an early generator's fill: the face blurred, inside the hole only."""
    blur = F.avg_pool2d(image, 9, stride=1, padding=4, count_include_pad=False)
    return image * (1 - mask) + blur * mask


def test_the_critic_learns_to_tell_blurred_fills_from_faces():
    torch.manual_seed(0)
    batch = FaceCrops(training_files(), 4, (48, 48), seed=1).batch(0)
    image, mask = batch["image"], batch["mask"]
    composite = blurred_composite(image, mask)
    critic = Critic(width=8, lr=2e-3, r1=0.001, device=torch.device("cpu"))
    first = critic.step(image, composite, mask)
    for _ in range(40):
        last = critic.step(image, composite, mask)
    assert last["d_real"] + last["d_fake"] < 0.7 * (first["d_real"] + first["d_fake"])
    assert all(p.requires_grad for p in critic.discriminator.parameters())


def test_r1_penalises_the_gradient_on_real_images_only():
    torch.manual_seed(0)
    d = PatchDiscriminator(8)
    image, mask = torch.rand(2, 3, 32, 32), torch.zeros(2, 1, 32, 32)
    plain, parts = discriminator_loss(d, image, image, mask, r1=0.0)
    penalised, parts_r1 = discriminator_loss(d, image, image, mask, r1=10.0)
    assert parts["r1"] == 0 and parts_r1["r1"] > 0
    assert penalised.item() == pytest.approx(plain.item() + 5.0 * parts_r1["r1"], rel=1e-5)


def test_the_generator_gradient_reaches_the_fill_and_not_the_discriminator():
    torch.manual_seed(0)
    critic = Critic(width=8, lr=1e-3, r1=0.001, device=torch.device("cpu"))
    image = torch.rand(1, 3, 32, 32)
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 8:24, 8:24] = 1
    fill = torch.rand(1, 3, 32, 32, requires_grad=True)
    composite = image * (1 - mask) + fill * mask
    adversarial, matching = generator_losses(critic.frozen(), image, composite, mask)
    (adversarial + matching).backward()
    assert fill.grad[..., 8:24, 8:24].abs().sum() > 0
    assert fill.grad[..., :8, :].abs().sum() == 0
    assert all(p.grad is None for p in critic.discriminator.parameters())
