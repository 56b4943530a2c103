"""The photo's grain laid over a smooth fill: it matches the grain around the hole, follows the colour of the place
it lands on, never reads the pixels under the hole and never touches a pixel outside it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from in2_studio.engine import Inpainter
from in2_studio.engine.grain import match_grain

SIZE = 160


def fine(image: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    image = image.astype(np.float32)
    return image - cv2.GaussianBlur(image, (0, 0), sigma)


def grainy_photo(strength: float, seed: int = 0, size: int = SIZE) -> np.ndarray:
    """A smooth colour ramp with sensor-like grain (luma and a little chroma) of `strength` levels."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) * SIZE / size
    smooth = np.stack([90 + 0.4 * x, 110 + 0.3 * y, 70 + 0.2 * (x + y)], axis=2)
    grain = rng.normal(0, strength, (size, size, 1)) + rng.normal(0, strength / 3, (size, size, 3))
    return np.clip(smooth + grain, 0, 255).round().astype(np.uint8)


def box_hole(top: int = 50, bottom: int = 110, left: int = 40, right: int = 120, size: int = SIZE) -> np.ndarray:
    hole = np.zeros((size, size), bool)
    hole[top:bottom, left:right] = True
    return hole


def smooth_fill(photo: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """What a blurry fill looks like: the photo's own colours, with every trace of grain blurred away."""
    result = photo.copy()
    result[hole] = cv2.GaussianBlur(photo, (0, 0), 6)[hole]
    return result


@pytest.mark.parametrize(("scale", "size"), [(2.0, SIZE), (24.0, 5 * SIZE)])
def test_the_fill_gets_the_grain_of_its_surroundings(scale, size):
    """At 2 photo pixels per working pixel, and at 24: a large photo's hole, whose blurs run on a reduced copy and
    whose one-pixel grain only a pixel's band tells from coarser grain (drawn too coarse, it held half the band)."""
    photo, hole = grainy_photo(8.0, size=size), box_hole(*(np.array([50, 110, 40, 120]) * size // SIZE), size=size)
    smooth = smooth_fill(photo, hole)
    grained = match_grain(photo, smooth, hole, scale=scale)
    inner = cv2.erode(hole.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)  # the band looks across the edge
    around = fine(photo)[~hole].std()
    assert fine(smooth)[inner].std() < 0.3 * around  # the blurred fill had lost the grain
    assert fine(grained)[inner].std() == pytest.approx(around, rel=0.2)
    # and the colours stay the fill's: only the fine band changed
    blur = (cv2.GaussianBlur(im.astype(np.float32), (0, 0), 4)[inner] for im in (grained, smooth))
    assert np.abs(next(blur) - next(blur)).mean() < 1.5


def test_outside_the_hole_nothing_changes_and_under_it_nothing_is_read():
    photo, hole = grainy_photo(8.0), box_hole()
    smooth = smooth_fill(photo, hole)
    grained = match_grain(photo, smooth, hole, scale=2.0)
    np.testing.assert_array_equal(grained[~hole], photo[~hole])
    scribbled = photo.copy()
    scribbled[hole] = 255 - scribbled[hole]  # what the person painted out must not show through
    np.testing.assert_array_equal(match_grain(scribbled, smooth, hole, scale=2.0), grained)
    np.testing.assert_array_equal(match_grain(photo, smooth, hole, scale=2.0), grained)  # the same every time


def test_two_holes_of_one_shape_get_different_grain():
    """Filled one after the other, the same grain twice would be a repeated pattern, the tell of a retouch."""
    rng = np.random.default_rng(2)
    photo = np.clip(128 + rng.normal(0, 6, (SIZE, SIZE, 1)), 0, 255).round().astype(np.uint8).repeat(3, axis=2)
    grains = []
    for hole in (box_hole(20, 60, 20, 60), box_hole(100, 140, 90, 130)):
        flat = photo.copy()
        flat[hole] = 128
        grains.append(match_grain(photo, flat, hole, scale=2.0)[hole].astype(int) - 128)
    assert grains[0].std() > 3 and grains[1].std() > 3
    assert np.corrcoef(grains[0].ravel(), grains[1].ravel())[0, 1] < 0.2


def test_grain_follows_brightness():
    """Shadows grainier than the light parts, as in many photos: a hole across both gets each one's grain."""
    rng = np.random.default_rng(1)
    photo = np.full((SIZE, SIZE, 3), 200, np.float32) + rng.normal(0, 3, (SIZE, SIZE, 1))
    photo[:, : SIZE // 2] = 40 + rng.normal(0, 5, (SIZE, SIZE // 2, 1))
    photo = np.clip(photo, 0, 255).round().astype(np.uint8)
    hole = box_hole(60, 100, 40, 120)
    fill = photo.copy()
    fill[hole] = np.where(np.arange(SIZE)[None, :, None] < SIZE // 2, 40, 200).repeat(SIZE, 0)[hole]
    band = fine(match_grain(photo, fill, hole, scale=2.0))
    dark = hole.copy()
    dark[:, SIZE // 2 - 6 :] = False
    light = hole.copy()
    light[:, : SIZE // 2 + 6] = False
    shadows, highlights = (fine(photo)[: SIZE // 3, s].std() for s in (np.s_[: SIZE // 2 - 8], np.s_[SIZE // 2 + 8 :]))
    assert band[dark].std() == pytest.approx(shadows, rel=0.25)
    assert band[light].std() == pytest.approx(highlights, rel=0.25)


def test_a_grey_photo_gets_grey_grain_and_a_hole_with_nothing_around_it_stays_as_filled():
    photo = grainy_photo(8.0).mean(axis=2, keepdims=True).round().astype(np.uint8).repeat(3, axis=2)
    hole = box_hole()
    grained = match_grain(photo, smooth_fill(photo, hole), hole, scale=2.0)
    assert (grained[..., 0] == grained[..., 1]).all() and (grained[..., 1] == grained[..., 2]).all()
    everything = np.ones((SIZE, SIZE), bool)
    filled = smooth_fill(photo, everything)
    np.testing.assert_array_equal(match_grain(photo, filled, everything, scale=2.0), filled)


def test_the_engine_lays_grain_on_the_full_result_only(tiny_weights, face_photo):
    face_photo = cv2.resize(face_photo, (500, 500), interpolation=cv2.INTER_CUBIC)  # seen at 192: scale 2.6
    hole = np.zeros(face_photo.shape[:2], bool)
    hole[200:300, 140:360] = True
    plain = Inpainter.load(tiny_weights, device="cpu", grain=False)
    grained = Inpainter.load(tiny_weights, device="cpu")  # on by default, as in the app
    full, with_grain = plain.fill(face_photo, hole).image, grained.fill(face_photo, hole).image
    np.testing.assert_array_equal(with_grain[~hole], face_photo[~hole])
    assert (with_grain[hole] != full[hole]).any()
    np.testing.assert_array_equal(
        plain.fill(face_photo, hole, preview=True).image, grained.fill(face_photo, hole, preview=True).image
    )
