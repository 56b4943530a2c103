"""Where to work on a photo: a crop around the mask with context, so that the cost follows the hole and
not the photo, and the sizes to run the encoder at."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
