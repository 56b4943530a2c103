"""Metrics against known values and a direct, loop-by-loop SSIM reference."""

import math

import cv2
import numpy as np
import pytest

from in2_studio.training.metrics import hole_detail, hole_psnr, l1, psnr, ssim


def reference_ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Wang et al.'s SSIM written out window by window: 11×11 gaussian (sigma 1.5), valid windows only."""
    g = np.exp(-((np.arange(11) - 5) ** 2) / (2 * 1.5**2))
    weights = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    per_channel = []
    for ch in range(a.shape[2]):
        x, y = a[..., ch].astype(np.float64), b[..., ch].astype(np.float64)
        values = []
        for i in range(x.shape[0] - 10):
            for j in range(x.shape[1] - 10):
                wx, wy = x[i : i + 11, j : j + 11], y[i : i + 11, j : j + 11]
                mx, my = (weights * wx).sum(), (weights * wy).sum()
                vx = (weights * (wx - mx) ** 2).sum()
                vy = (weights * (wy - my) ** 2).sum()
                cxy = (weights * (wx - mx) * (wy - my)).sum()
                values.append(((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2)))
        per_channel.append(np.mean(values))
    return float(np.mean(per_channel))


@pytest.fixture
def pair():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:24, 0:20]
    base = np.stack([xx * 10, yy * 8, (xx + yy) * 5], axis=-1).astype(np.float64)
    a = np.clip(base + rng.normal(0, 10, base.shape), 0, 255).astype(np.uint8)
    b = np.clip(a + rng.normal(0, 25, a.shape), 0, 255).astype(np.uint8)
    return a, b


def test_identical_images():
    image = np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    assert psnr(image, image) == math.inf
    assert ssim(image, image) == pytest.approx(1.0, abs=1e-12)
    assert l1(image, image) == 0.0
    assert hole_psnr(image, image, np.ones((16, 16), bool)) == math.inf


def test_psnr_of_a_known_error():
    a = np.full((32, 32, 3), 100, np.uint8)
    b = a.copy()
    b[::2] += 10  # half the pixels off by 10: MSE = 50
    assert psnr(a, b) == pytest.approx(10 * math.log10(255**2 / 50))
    assert l1(a, b) == pytest.approx(5 / 255)
    # Floats in [0, 1] use a range of 1 and give the same number.
    assert psnr(a / 255.0, b / 255.0) == pytest.approx(psnr(a, b))


def test_psnr_of_gaussian_noise():
    rng = np.random.default_rng(2)
    a = np.full((256, 256, 3), 128.0)
    b = a + rng.normal(0, 5, a.shape)  # sigma 5 (no clipping at mid-grey): PSNR ≈ 20 log10(255 / 5)
    assert psnr(a / 255, b / 255) == pytest.approx(20 * math.log10(255 / 5), abs=0.05)


def test_hole_psnr_counts_only_the_hole():
    a = np.zeros((10, 10, 3), np.uint8)
    b = a.copy()
    b[:5] = 20  # the error sits in the top half only
    top = np.zeros((10, 10), bool)
    top[:5] = True
    assert hole_psnr(a, b, top) == pytest.approx(10 * math.log10(255**2 / 400))
    assert hole_psnr(a, b, ~top) == math.inf
    assert psnr(a, b) == pytest.approx(hole_psnr(a, b, top) + 10 * math.log10(2))
    with pytest.raises(ValueError):
        hole_psnr(a, b, np.zeros((10, 10), bool))


def test_ssim_matches_the_window_by_window_reference(pair):
    a, b = pair
    mine, theirs = ssim(a, b), reference_ssim(a, b)
    assert 0.2 < theirs < 0.95
    assert mine == pytest.approx(theirs, abs=1e-6)
    assert ssim(a, b) == pytest.approx(ssim(b, a))


def test_ssim_drops_with_more_noise(pair):
    a, _ = pair
    rng = np.random.default_rng(3)
    noisy = [np.clip(a + rng.normal(0, s, a.shape), 0, 255).astype(np.uint8) for s in (5, 20, 60)]
    scores = [ssim(a, n) for n in noisy]
    assert scores[0] > scores[1] > scores[2]
    with pytest.raises(ValueError):
        ssim(a, a[:, :-1])


def test_hole_detail_is_one_for_the_photo_and_low_for_a_blur():
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
    mask = np.zeros((40, 40), bool)
    mask[10:30, 10:30] = True
    blurred = photo.copy()
    blurred[mask] = cv2.GaussianBlur(photo, (9, 9), 3)[mask]
    flat = photo.copy()
    flat[mask] = photo[mask].mean(axis=0).astype(np.uint8)
    assert hole_detail(photo, photo, mask) == pytest.approx(1.0)
    assert hole_detail(photo, flat, mask) < hole_detail(photo, blurred, mask) < 0.5
    with pytest.raises(ValueError, match="at least one pixel"):
        hole_detail(photo, photo, np.zeros((40, 40), bool))
