"""EXIF orientation applied to pixel arrays, so 8-bit, 16-bit and alpha planes turn the same way."""

from __future__ import annotations

import numpy as np


def orient(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Turn an H×W or H×W×C array upright for an EXIF orientation value (1–8), as ImageOps.exif_transpose
    would; returns a C-contiguous array that owns its data."""
    if orientation == 2:
        pixels = pixels[:, ::-1]
    elif orientation == 3:
        pixels = pixels[::-1, ::-1]
    elif orientation == 4:
        pixels = pixels[::-1]
    elif orientation == 5:
        pixels = pixels.swapaxes(0, 1)
    elif orientation == 6:
        pixels = np.rot90(pixels, -1)
    elif orientation == 7:
        pixels = np.rot90(pixels, 2).swapaxes(0, 1)
    elif orientation == 8:
        pixels = np.rot90(pixels, 1)
    if pixels.flags.c_contiguous and pixels.flags.writeable and pixels.base is None:
        return pixels
    return np.array(pixels, order="C")
