"""Black-and-white photos: told apart by their pixels, so that an edit leaves them black and white."""

from __future__ import annotations

import numpy as np

# Rec. 601 luma, the weights Pillow converts RGB to L with.
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def is_grey(rgb: np.ndarray) -> bool:
    """Whether no pixel of an H×W×3 (or N×3) array has colour: R = G = B everywhere."""
    return bool(np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]))


def greyed(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB pixels (any shape …×3) with their colour taken out: each one's luma in all three channels."""
    luma = np.clip(np.rint(rgb.astype(np.float32) @ _LUMA), 0, 255).astype(np.uint8)
    return np.repeat(luma[..., None], 3, axis=-1)
