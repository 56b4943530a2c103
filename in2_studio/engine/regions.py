"""Where to work on a photo: a crop around the mask with context, so that the cost follows the hole and
not the photo, and the sizes to run the encoder at."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# The most working pixels a hole's deepest pixel may lie from the known ones. A deeper hole (a large box over a face)
# is filled better when the encoder sees it smaller: on CelebA val, large boxes came back 3.76 dB above Telea at
# 192 px and 3.86 at 128, while thinner holes lost at 128 (model card, "In the app: deep holes").
MAX_HOLE_DEPTH = 36


@dataclass(frozen=True)
class Box:
    top: int
    bottom: int
    left: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.top, self.bottom), slice(self.left, self.right)


def context_box(mask: np.ndarray, context: float = 1.0, min_margin: int = 64) -> Box:
    """The mask's bounding box grown on every side by `context` × its longer side (at least `min_margin`
    pixels), clipped to the image: enough of the face around a hole for the network to know what goes there."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    margin = max(min_margin, int(round(context * max(bottom - top, right - left))))
    h, w = mask.shape
    return Box(
        int(max(0, top - margin)),
        int(min(h, bottom + margin)),
        int(max(0, left - margin)),
        int(min(w, right + margin)),
    )


def fit_size(height: int, width: int, long_side: int) -> tuple[int, int]:
    """(height, width) scaled down, never up, so that the longer side is at most `long_side`."""
    scale = min(1.0, long_side / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def hole_depth(hole: np.ndarray) -> float:
    """How far, in pixels, the hole's deepest pixel lies from the nearest known one (the image's edge is not a
    known pixel); infinite when nothing is known."""
    if hole.all():
        return float("inf")
    return float(cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE).max())


def shallow_shape(
    working_hole: np.ndarray, height: int, width: int, max_depth: float | None = MAX_HOLE_DEPTH
) -> tuple[int, int]:
    """The (height, width) to show the encoder a height×width crop at, given its hole as shrunk to the working
    size: that size while the hole is at most `max_depth` working pixels deep (or `max_depth` is None), else
    smaller until it is, though never below half that size."""
    h, w = working_hole.shape
    if max_depth is None:
        return h, w
    depth = hole_depth(working_hole)
    if depth <= max_depth:
        return h, w
    return fit_size(height, width, max(max(h, w) // 2, int(max(h, w) * max_depth / depth)))
