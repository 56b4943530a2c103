"""Grain: the photo's own fine noise laid over the network's fill.

The decoder renders a fill from latents of the crop seen at the working size, so in a photo larger than that the
fill is smoother than the photo around it: a plastic patch without the sensor or film grain everywhere else. This
measures the grain around the hole and lays random grain like it over the fill's own blur:

- the band: the photo's detail finer than half a working pixel, which the fill cannot hold;
- how strong, by brightness (a noise level function: shadows are often grainier): for each of a few brightness
  levels, the deviation of the band in the flattest squares of the photo around the hole at that brightness.
  Hair, lashes and skin pores are texture, not grain, and flat squares hold grain alone; copying the band from
  nearby instead (tried first) pasted strands and lashes onto skin, and a level taken beside hair put hair's
  strength of speckle over a face;
- how large the grains are (a sensor's are a pixel across, an enlarged photo's coarser) and how the colour
  channels move together (a grey photo's grain is grey, a colour sensor's mostly in luma).

Where the crop is not reduced (the decoder renders at the photo's own resolution) nothing is added. The grain is
seeded: the same photo and mask give the same result. Pixels outside the hole are returned bit-identical, and the
photo's pixels under the hole are never read.
"""

from __future__ import annotations

import cv2
import numpy as np

BAND = 0.5  # grain is the band finer than half a working pixel: what the fill cannot hold
MIN_SCALE = 1.5  # photo pixels per working pixel below which the fill has the photo's resolution: nothing to add
LEVELS = 8  # brightness levels of the noise level function
FLATTEST = 0.2  # at each level, the grain is the deviation of the flattest fifth of the squares
MAX_SPREAD = 2.0  # a brightness level's grain is at most twice that of the flattest squares of all
MIN_SQUARES = 4  # squares a brightness level needs to be measured; the others are interpolated
FINEST = 1.0  # px: the grain's size is told by the bands finer than this and than half the band's own blur


def match_grain(image: np.ndarray, result: np.ndarray, hole: np.ndarray, scale: float, seed: int = 0) -> np.ndarray:
    """`result` (the network's fill of `hole` in `image`, HxWx3 uint8) with its band finer than `BAND` × `scale`
    pixels (`scale`: photo pixels per working pixel) replaced, inside the hole, by grain like the photo's around it."""
    if scale < MIN_SCALE or not hole.any():
        return result.copy()
    sigma = BAND * scale
    reach = int(np.ceil(4 * sigma))  # OpenCV's blur reach (4 σ): the band this near the hole has seen under it
    rows, cols = np.flatnonzero(hole.any(axis=1)), np.flatnonzero(hole.any(axis=0))  # not np.nonzero: 12 MP
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    grain = _measure(image, hole, (top, bottom, left, right), sigma, reach)
    if grain is None:
        return result.copy()  # no grain around the hole (or nothing known near it): none to add
    levels, size, samples = grain

    # The fill's blur and the grain, over the hole's box and the blur's reach around it only.
    box = _grown(top, bottom, left, right, reach, hole.shape)
    hole_in_box = hole[box]
    smooth = _blur(result[box].astype(np.float32), sigma)[hole_in_box]
    # Seeded by where the hole is too: two holes of one shape filled one after the other get different grain.
    noise = _coloured_noise(samples, hole_in_box.shape, sigma, size, (seed, int(top), int(left)))[hole_in_box]
    centres = (np.arange(LEVELS) + 0.5) * 256 / LEVELS
    lightness = smooth.mean(axis=1)
    strength = np.stack([np.interp(lightness, centres, levels[:, c]) for c in range(3)], axis=1)
    out = result.copy()
    out[box][hole_in_box] = np.clip(smooth + strength * noise, 0, 255).round().astype(np.uint8)
    return out


def _measure(image: np.ndarray, hole: np.ndarray, bounds, sigma: float, reach: int):
    """The grain around the hole: its deviation per channel at each brightness level (LEVELS, 3), its size (a blur's
    σ for white noise) and a sample of the band (N, 3) for how the channels move together; None if there is none."""
    cell = max(reach, 8)  # squares of 64 pixels or more: fewer are flat by chance
    area = _grown(*bounds, reach + 4 * cell, hole.shape)  # the hole and 4 squares around it
    known, inside = image[area].astype(np.float32), hole[area]
    band = known - _blur(known, sigma)
    grey = known.mean(axis=2)
    scales = sorted({min(sigma / 2, FINEST), sigma / 2})
    finest = np.stack([grey - _blur(grey, scale) for scale in scales], axis=2)
    clean = cv2.distanceTransform((~inside).astype(np.uint8), cv2.DIST_L2, 3) > reach
    squares = _squares(grey, band, finest, clean, cell)
    if squares is None:
        return None
    brightness, deviation, finest_deviation = squares
    levels, flat = _noise_levels(brightness, deviation)
    flat &= deviation.mean(axis=1) > 0  # perfectly flat squares (a clipped sky, a drawing) tell no grain size
    if not flat.any():
        return None
    ratios = np.median(finest_deviation[flat], axis=0) / np.median(deviation[flat].mean(axis=1))
    size = _grain_size(ratios, scales, sigma)
    step = max(1, reach // 2)  # a sample of the band is enough to tell how its channels move together
    samples = band[::step, ::step][clean[::step, ::step]]
    return levels / _flattest_bias(sigma, size, cell), size, samples


def _grown(top: int, bottom: int, left: int, right: int, margin: int, shape) -> tuple[slice, slice]:
    """The box grown by `margin` on every side, within an image of `shape`."""
    return (
        slice(max(0, top - margin), min(shape[0], bottom + margin)),
        slice(max(0, left - margin), min(shape[1], right + margin)),
    )


def _squares(grey, band, finest, clean, cell: int):
    """Per cell × cell square of clean pixels: its brightness, the deviation of the band per channel, and the
    deviations of the finest bands (grey; `finest` is H × W × bands). Robust deviations (1.4826 × the median |x|),
    so that a strand or an edge through a square counts little. None when no square is clean (or fits)."""
    h, w = band.shape[0] // cell, band.shape[1] // cell
    if h == 0 or w == 0:
        return None

    def per_square(values: np.ndarray) -> np.ndarray:
        values = values[: h * cell, : w * cell].reshape(h, cell, w, cell, -1).transpose(0, 2, 1, 3, 4)
        return values.reshape(h, w, cell * cell, -1)

    counted = per_square(clean[..., None]).all(axis=(2, 3))
    if not counted.any():
        return None

    def robust(values: np.ndarray) -> np.ndarray:
        return 1.4826 * np.median(np.abs(per_square(values)[counted]), axis=1)  # a normal's median |x| × 1.4826

    brightness = per_square(grey[..., None])[counted].mean(axis=(1, 2))
    return brightness, robust(band), robust(finest)


def _noise_levels(brightness: np.ndarray, deviation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The grain's deviation per channel at each of `LEVELS` brightness levels (LEVELS, 3), and which squares are
    the flat ones it was measured on."""
    level = np.minimum((brightness * LEVELS / 256).astype(int), LEVELS - 1)
    grey = deviation.mean(axis=1)
    flattest = grey <= np.quantile(grey, FLATTEST)  # the flattest squares of any brightness
    overall = np.median(deviation[flattest], axis=0)
    measured, values, flat = [], [], np.zeros(len(grey), bool)
    for index in range(LEVELS):
        members = level == index
        if members.sum() < MIN_SQUARES:
            continue
        cut = np.quantile(grey[members], FLATTEST)
        these = members & (grey <= cut)
        flat |= these
        measured.append(index)
        values.append(np.median(deviation[these], axis=0))
    if not measured:  # too few squares to tell levels apart: the flattest of them all
        return np.repeat(overall[None], LEVELS, axis=0), flattest
    centres = np.array(measured, float)
    # No brightness is taken as more than twice as grainy as the photo's flattest squares of any brightness: where
    # the only squares of a brightness are hair, even the flattest of them hold texture.
    values = np.minimum(np.array(values), MAX_SPREAD * overall)
    levels = np.stack([np.interp(np.arange(LEVELS), centres, values[:, c]) for c in range(3)], axis=1)
    return levels, flat


def _flattest_bias(sigma: float, size: float, cell: int) -> float:
    """How far below the true deviation the flattest squares' deviation falls where the photo is grain alone: the
    flattest fifth of many squares of pure noise are flattest partly by chance (0.82 for 8 × 8 squares of white noise).
    Measured on noise of this size, band and square, so that the level it corrects is unbiased."""
    white = np.random.default_rng(1).standard_normal((16 * cell, 16 * cell), np.float32)
    noise = _blur(white, size) if size > 0 else white
    band = np.abs(noise - _blur(noise, sigma))
    squares = 1.4826 * np.median(band.reshape(16, cell, 16, cell).transpose(0, 2, 1, 3).reshape(256, -1), axis=1)
    flattest = np.median(squares[squares <= np.quantile(squares, FLATTEST)])
    return float(flattest / (1.4826 * np.median(band)))


def _grain_size(ratios: np.ndarray, scales: list[float], sigma: float) -> float:
    """How much to blur white noise so that, as in the photo, the bands finer than each of `scales` hold `ratios` of
    the band finer than `sigma` (the nearest in log ratio): a sensor's grain is a pixel across, an enlarged or
    smoothed photo's coarser. Half of `sigma` alone cannot tell a large photo's one-pixel grain from grain twice as
    coarse (σ = 12: both hold nearly all the band); a pixel's band can."""
    sizes = np.concatenate([[0.0], np.geomspace(0.2, sigma, 16)])
    side = max(64, int(12 * sigma))  # room for the widest blur
    white = np.random.default_rng(0).standard_normal((side, side), np.float32)
    errors = []
    for size in sizes:
        noise = _blur(white, size) if size else white
        band = np.median(np.abs(noise - _blur(noise, sigma)))
        model = np.array([np.median(np.abs(noise - _blur(noise, scale))) for scale in scales]) / band
        errors.append(np.sum(np.log(np.maximum(model, 1e-6) / np.maximum(ratios, 1e-6)) ** 2))
    return float(sizes[int(np.argmin(errors))])


def _coloured_noise(samples: np.ndarray, shape: tuple[int, int], sigma: float, size: float, seed) -> np.ndarray:
    """Band-limited noise of unit deviation per channel, with grains `size` across (a blur's σ), whose channels
    correlate as the photo's band `samples` (N, 3) do."""
    centred = samples - samples.mean(axis=0)
    std = centred.std(axis=0)
    correlation = np.eye(3) if (std == 0).any() else np.corrcoef(centred, rowvar=False)
    values, vectors = np.linalg.eigh(correlation)
    root = vectors @ np.diag(np.sqrt(np.clip(values, 0, None))) @ vectors.T
    white = np.random.default_rng(seed).standard_normal(shape + (3,), np.float32) @ root.T.astype(np.float32)
    if size > 0:
        white = _blur(white, size)
    noise = white - _blur(white, sigma)
    # Where there is much of it, its deviation from every 4th row and column: as exact, at a sixteenth of the cost.
    sample = noise[::4, ::4] if min(shape) >= 256 else noise
    return noise / np.maximum(sample.std(axis=(0, 1)), 1e-6)


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """`cv2.GaussianBlur`, on a copy reduced by σ / 3 where σ is large (a 6000 × 6000 photo's hole: σ = 16): a blur
    costs σ per pixel, and what it leaves is smooth enough to be drawn back up from that grid. The band it takes off
    is within 1 % of the exact blur's (measured on enlarged faces with grain)."""
    factor = int(sigma // 3)
    if factor < 2:
        return cv2.GaussianBlur(image, (0, 0), sigma)
    height, width = image.shape[:2]
    small = (max(1, round(width / factor)), max(1, round(height / factor)))
    reduced = cv2.resize(image, small, interpolation=cv2.INTER_AREA)
    # Less the blur of reducing and drawing back up: about a quarter of a reduced pixel's variance.
    across, down = (np.sqrt((sigma * s / full) ** 2 - 0.25) for s, full in zip(small, (width, height), strict=True))
    reduced = cv2.GaussianBlur(reduced, (0, 0), across, sigmaY=down)
    return cv2.resize(reduced, (width, height), interpolation=cv2.INTER_LINEAR)
