"""The network's parts: shapes for any size, exact neighborhood attention, the implicit decoder's paths."""

from __future__ import annotations

import itertools

import pytest
import torch

from in2_studio.model import IN2, IN2Config
from in2_studio.model.coords import grid_coords
from in2_studio.model.ffc import FFC
from in2_studio.model.indexing import gather
from in2_studio.model.neighborhood_attention import NeighborHybridAttention, neighborhood_attention, window_start


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return IN2(IN2Config.tiny()).eval()


@pytest.mark.parametrize("size", [(1, 1), (7, 300), (333, 517), (64, 64)])
def test_any_size_gives_its_own_size(tiny, size):
    h, w = size
    image, mask = torch.rand(1, 3, h, w), (torch.rand(1, 1, h, w) > 0.5).float()
    with torch.inference_mode():
        out = tiny(image, mask)
    assert out.shape == (1, 3, h, w)
    assert torch.isfinite(out).all()


def test_base_is_small_enough_to_ship():
    params = sum(p.numel() for p in IN2(IN2Config.base()).parameters())
    assert 1_000_000 < params <= 8_000_000


def brute_force_attention(q, k, v, table, kernel):
    b, heads, h, w, d = q.shape
    out = torch.zeros_like(q)
    for y, x in itertools.product(range(h), range(w)):
        sy = int(window_start(torch.tensor(y), h, kernel))
        sx = int(window_start(torch.tensor(x), w, kernel))
        ky, kx = min(kernel, h), min(kernel, w)
        keys = k[:, :, sy : sy + ky, sx : sx + kx].reshape(b, heads, -1, d)
        values = v[:, :, sy : sy + ky, sx : sx + kx].reshape(b, heads, -1, d)
        dy = torch.arange(sy, sy + ky) - y + kernel - 1
        dx = torch.arange(sx, sx + kx) - x + kernel - 1
        bias = table[:, dy[:, None], dx[None, :]].reshape(heads, -1)
        logits = (q[:, :, y, x, None, :] * keys).sum(-1) / d**0.5 + bias
        out[:, :, y, x] = (logits.softmax(-1)[..., None] * values).sum(-2)
    return out


@pytest.mark.parametrize("h,w,kernel", [(1, 1, 7), (3, 5, 7), (9, 13, 7), (17, 10, 5), (20, 20, 7), (8, 8, 3)])
def test_neighborhood_attention_equals_brute_force(h, w, kernel):
    torch.manual_seed(h * 100 + w)
    q, k, v = (torch.randn(2, 3, h, w, 4) for _ in range(3))
    table = torch.randn(3, 2 * kernel - 1, 2 * kernel - 1)
    expected = brute_force_attention(q, k, v, table, kernel)
    torch.testing.assert_close(neighborhood_attention(q, k, v, table, kernel), expected, atol=1e-5, rtol=1e-5)


def test_windows_are_clamped_not_padded():
    # A corner query of a 7×7 window sees 49 real keys: its window starts at 0, not at -3.
    assert int(window_start(torch.tensor(0), 20, 7)) == 0
    assert int(window_start(torch.tensor(19), 20, 7)) == 13
    assert int(window_start(torch.tensor(10), 20, 7)) == 7


def test_attention_block_keeps_shape_below_kernel_size():
    block = NeighborHybridAttention(16, 2, kernel=7)
    x = torch.randn(2, 16, 3, 2)
    assert block(x).shape == x.shape


def test_ffc_global_branch_sees_the_whole_image():
    torch.manual_seed(0)
    layer = FFC(8, 8, ratio_in=0.5, ratio_out=0.5)
    x = torch.zeros(1, 8, 32, 32, requires_grad=True)
    layer(x)[0, 4:, 0, 0].sum().backward()  # a global output channel at one corner
    assert x.grad[0, 4:, 31, 31].abs().sum() > 0  # depends on the opposite corner


def test_grid_and_coordinate_list_rendering_agree(tiny):
    torch.manual_seed(1)
    image, mask = torch.rand(1, 3, 40, 56), torch.ones(1, 1, 40, 56)
    with torch.inference_mode():
        latents = tiny.encode(image, mask)
        grid = tiny.render(latents, (40, 56))
        pick = torch.tensor([0, 17, 555, 40 * 56 - 1])
        coords = grid_coords(40, 56)[pick]
        listed = tiny.decode(latents, coords, torch.zeros(4, dtype=torch.long), (40, 56))[-1]
    torch.testing.assert_close(listed, grid.permute(0, 2, 3, 1).reshape(-1, 3)[pick])


def test_chunked_and_unchunked_agree(tiny):
    image, mask = torch.rand(2, 3, 24, 32), torch.ones(2, 1, 24, 32)
    with torch.inference_mode():
        latents = tiny.encode(image, mask)
        whole = tiny.render(latents, (24, 32), chunk=10**9)
        chunked = tiny.render(latents, (24, 32), chunk=97)
    torch.testing.assert_close(whole, chunked)


def test_projection_of_only_the_needed_cells_matches_the_full_convolution(tiny):
    image, mask = torch.rand(1, 3, 64, 64), torch.ones(1, 1, 64, 64)
    with torch.inference_mode():
        latents = tiny.encode(image, mask)
        coords = grid_coords(64, 64)[:50]  # a few queries: the sparse path
        batch = torch.zeros(50, dtype=torch.long)
        sparse = tiny.decode(latents, coords, batch, (64, 64))[-1]
        full = tiny.render(latents, (64, 64)).permute(0, 2, 3, 1).reshape(-1, 3)[:50]  # the dense path
    torch.testing.assert_close(sparse, full, atol=1e-5, rtol=1e-5)


def test_sparse_projection_gradients_match_the_full_convolution():
    torch.manual_seed(4)
    model = IN2(IN2Config.tiny())
    image, mask = torch.rand(1, 3, 64, 64), torch.ones(1, 1, 64, 64)
    batch = torch.zeros(50, dtype=torch.long)
    sparse = model.decode(model.encode(image, mask), grid_coords(64, 64)[:50], batch, (64, 64))[-1]
    expected = torch.autograd.grad(sparse.square().sum(), list(model.parameters()))
    full = model.render(model.encode(image, mask), (64, 64)).permute(0, 2, 3, 1).reshape(-1, 3)[:50]
    got = torch.autograd.grad(full.square().sum(), list(model.parameters()))
    for e, g in zip(expected, got, strict=True):
        torch.testing.assert_close(g, e, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("dim", [0, 1, 2])
def test_gather_equals_advanced_indexing_in_values_and_gradients(dim):
    torch.manual_seed(dim)
    x = torch.randn(5, 6, 7, requires_grad=True)
    positions = torch.randint(0, x.shape[dim], (3, 4))  # repeats: their gradients must add up
    expected = x[(slice(None),) * dim + (positions,)]
    got = gather(x, dim, positions)
    torch.testing.assert_close(got, expected)
    weights = torch.randn_like(got)
    (expected_grad,) = torch.autograd.grad((expected * weights).sum(), x)
    (got_grad,) = torch.autograd.grad((got * weights).sum(), x)
    torch.testing.assert_close(got_grad, expected_grad)


def test_decoder_renders_at_twice_the_input_size(tiny):
    image, mask = torch.rand(1, 3, 30, 20), torch.ones(1, 1, 30, 20)
    with torch.inference_mode():
        out = tiny(image, mask, out_size=(60, 40))
    assert out.shape == (1, 3, 60, 40)
    assert torch.isfinite(out).all()


def test_preview_stage_is_the_coarse_level(tiny):
    image, mask = torch.rand(1, 3, 32, 32), torch.ones(1, 1, 32, 32)
    with torch.inference_mode():
        latents = tiny.encode(image, mask)
        coords = grid_coords(32, 32)
        batch = torch.zeros(len(coords), dtype=torch.long)
        coarse_only = tiny.decode(latents, coords, batch, (32, 32), stages=1)
        both = tiny.decode(latents, coords, batch, (32, 32))
    assert len(coarse_only) == 1 and len(both) == 2
    torch.testing.assert_close(coarse_only[0], both[0])
    assert not torch.allclose(both[0], both[1])


def test_hole_content_cannot_reach_the_network(tiny):
    torch.manual_seed(2)
    image, mask = torch.rand(1, 3, 32, 32), torch.zeros(1, 1, 32, 32)
    mask[..., 8:20, 8:20] = 1
    other = image.clone()
    other[..., 8:20, 8:20] = torch.rand(1, 3, 12, 12)
    with torch.inference_mode():
        torch.testing.assert_close(tiny(image, mask), tiny(other, mask))


def test_neighborhood_attention_gradients_equal_brute_force():
    # Padding queries repeat border pixels: their copies must not add to the gradient.
    torch.manual_seed(5)
    inputs = [torch.randn(1, 2, 11, 9, 4, requires_grad=True) for _ in range(3)]
    table = torch.randn(2, 13, 13, requires_grad=True)
    expected = torch.autograd.grad(brute_force_attention(*inputs, table, 7).square().sum(), [*inputs, table])
    got = torch.autograd.grad(neighborhood_attention(*inputs, table, 7).square().sum(), [*inputs, table])
    for e, g in zip(expected, got, strict=True):
        torch.testing.assert_close(g, e, atol=1e-4, rtol=1e-4)


def test_training_works_after_inference_on_the_same_shape():
    model = IN2(IN2Config.tiny())
    image, mask = torch.rand(1, 3, 40, 40), torch.ones(1, 1, 40, 40)
    with torch.inference_mode():
        model(image, mask)
    model(image, mask).sum().backward()  # cached index plans must not be inference tensors
