"""The mask being painted: a uint8 array (1 = fill) and the translucent overlay that shows it.

The overlay is an ARGB32 image that shares its memory with a numpy array, so a brush dab only
recolours the few pixels it touched: nothing converts the whole (possibly 12-megapixel) mask per dab.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PySide6.QtCore import QObject, QRect, Signal
from PySide6.QtGui import QImage

_OVERLAY_RGBA = (255, 40, 90, 120)
_SUBPIXEL_BITS = 4  # cv2 drawing with fractional coordinates: 1/16 pixel


def _overlay_pixel(rgba: tuple[int, int, int, int]) -> np.uint32:
    """The overlay colour as one premultiplied ARGB32 pixel (0xAARRGGBB)."""
    r, g, b, a = rgba
    r, g, b = (round(c * a / 255) for c in (r, g, b))
    return np.uint32((a << 24) | (r << 16) | (g << 8) | b)


@dataclass(frozen=True)
class Rect:
    """A pixel rectangle, end-exclusive: the slice [y0:y1, x0:x1]."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    @property
    def empty(self) -> bool:
        return self.x1 <= self.x0 or self.y1 <= self.y0

    def union(self, other: Rect | None) -> Rect:
        if other is None or other.empty:
            return self
        if self.empty:
            return other
        return Rect(min(self.x0, other.x0), min(self.y0, other.y0), max(self.x1, other.x1), max(self.y1, other.y1))

    def to_qrect(self) -> QRect:
        return QRect(self.x0, self.y0, self.x1 - self.x0, self.y1 - self.y0)


def bounding_rect(mask: np.ndarray) -> Rect | None:
    """The smallest rectangle holding every nonzero pixel, or None for an empty mask."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask[rows[0] : rows[-1] + 1].any(axis=0))
    return Rect(int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


@dataclass
class MaskPatch:
    """What one edit changed: the rectangle and its pixels before and after, enough to undo exactly."""

    rect: Rect
    before: np.ndarray
    after: np.ndarray


class MaskLayer(QObject):
    """The editable mask and its overlay image. Every change goes through here and emits `changed`."""

    changed = Signal(QRect)  # image pixels whose mask (and overlay) changed

    def __init__(self, width: int, height: int, parent: QObject | None = None):
        super().__init__(parent)
        self._mask = np.zeros((height, width), dtype=np.uint8)
        # One uint32 per pixel in Qt's native ARGB32 order, so the colour is a multiply, not a table look-up.
        self._overlay = np.zeros((height, width), dtype=np.uint32)
        self._colour = _overlay_pixel(_OVERLAY_RGBA)
        self._image = QImage(self._overlay.data, width, height, width * 4, QImage.Format_ARGB32_Premultiplied)
        self._version = 0
        self._stroke_backup: np.ndarray | None = None
        self._stroke_rect: Rect | None = None
        self._stroke_value = 1

    # -- reading ---------------------------------------------------------------------------------
    @property
    def width(self) -> int:
        return self._mask.shape[1]

    @property
    def height(self) -> int:
        return self._mask.shape[0]

    @property
    def array(self) -> np.ndarray:
        """The live mask (uint8, 1 = fill). Read it; change it only through this class."""
        return self._mask

    @property
    def overlay_image(self) -> QImage:
        return self._image

    @property
    def version(self) -> int:
        """Grows with every change, so a result can tell whether it still matches the mask."""
        return self._version

    def is_empty(self) -> bool:
        return not self._mask.any()

    def copy(self) -> np.ndarray:
        return self._mask.copy()

    def full_rect(self) -> Rect:
        return Rect(0, 0, self.width, self.height)

    # -- brush strokes -----------------------------------------------------------------------------
    def begin_stroke(self, erase: bool = False) -> None:
        # A full copy costs a few milliseconds even at 12 MP; end_stroke keeps only the touched rectangle.
        self._stroke_backup = self._mask.copy()
        self._stroke_rect = None
        self._stroke_value = 0 if erase else 1

    @property
    def stroking(self) -> bool:
        return self._stroke_backup is not None

    def paint_segment(self, start: tuple[float, float], end: tuple[float, float], diameter: float) -> None:
        """Paint (or erase) a round brush of `diameter` pixels dragged from `start` to `end`."""
        if self._stroke_backup is None:
            self.begin_stroke()
        radius = max(diameter / 2.0, 0.5)
        scale = 1 << _SUBPIXEL_BITS
        p0 = (round(start[0] * scale), round(start[1] * scale))
        p1 = (round(end[0] * scale), round(end[1] * scale))
        value = self._stroke_value
        cv2.circle(self._mask, p0, round(radius * scale), value, -1, cv2.LINE_8, _SUBPIXEL_BITS)
        if p0 != p1:
            cv2.circle(self._mask, p1, round(radius * scale), value, -1, cv2.LINE_8, _SUBPIXEL_BITS)
            thickness = max(1, round(2 * radius))
            cv2.line(self._mask, p0, p1, value, thickness, cv2.LINE_8, _SUBPIXEL_BITS)
        margin = radius + 2
        rect = self._clip(
            Rect(
                int(np.floor(min(start[0], end[0]) - margin)),
                int(np.floor(min(start[1], end[1]) - margin)),
                int(np.ceil(max(start[0], end[0]) + margin)) + 1,
                int(np.ceil(max(start[1], end[1]) + margin)) + 1,
            )
        )
        if rect.empty:
            return
        self._stroke_rect = rect.union(self._stroke_rect)
        self._refresh(rect)

    def fill_polygon(self, points: list[tuple[float, float]]) -> None:
        """Paint (or erase) the inside of the closed outline through `points` (photo pixels), its edge included."""
        if self._stroke_backup is None:
            self.begin_stroke()
        if len(points) < 3:
            return
        scale = 1 << _SUBPIXEL_BITS
        outline = np.round(np.asarray(points, dtype=np.float64) * scale).astype(np.int32)
        cv2.fillPoly(self._mask, [outline], self._stroke_value, cv2.LINE_8, _SUBPIXEL_BITS)
        x0, y0 = np.floor(outline.min(axis=0) / scale).astype(int) - 1
        x1, y1 = np.ceil(outline.max(axis=0) / scale).astype(int) + 2
        rect = self._clip(Rect(int(x0), int(y0), int(x1), int(y1)))
        if rect.empty:
            return
        self._stroke_rect = rect.union(self._stroke_rect)
        self._refresh(rect)

    def end_stroke(self) -> MaskPatch | None:
        """Finish the stroke; return what it changed (None when it changed nothing)."""
        backup, rect = self._stroke_backup, self._stroke_rect
        self._stroke_backup = None
        self._stroke_rect = None
        if backup is None or rect is None:
            return None
        ys, xs = rect.slices
        before = backup[ys, xs].copy()
        after = self._mask[ys, xs].copy()
        if np.array_equal(before, after):
            return None
        return MaskPatch(rect, before, after)

    # -- whole edits (undo/redo, mask operations) --------------------------------------------------
    def put(self, rect: Rect, values: np.ndarray) -> None:
        ys, xs = rect.slices
        self._mask[ys, xs] = values
        self._refresh(rect)

    def patch_to(self, new_mask: np.ndarray) -> MaskPatch | None:
        """The patch that would turn the current mask into `new_mask` (None when they are equal)."""
        new_mask = (np.asarray(new_mask) != 0).astype(np.uint8)
        if new_mask.shape != self._mask.shape:
            raise ValueError(f"mask of shape {new_mask.shape} does not fit the image {self._mask.shape}")
        diff = bounding_rect(new_mask != self._mask)
        if diff is None:
            return None
        ys, xs = diff.slices
        return MaskPatch(diff, self._mask[ys, xs].copy(), new_mask[ys, xs].copy())

    def _clip(self, rect: Rect) -> Rect:
        return Rect(max(rect.x0, 0), max(rect.y0, 0), min(rect.x1, self.width), min(rect.y1, self.height))

    def _refresh(self, rect: Rect) -> None:
        ys, xs = rect.slices
        np.multiply(self._mask[ys, xs], self._colour, out=self._overlay[ys, xs], dtype=np.uint32)
        self._version += 1
        self.changed.emit(rect.to_qrect())


# -- mask operations: pure functions on arrays, computed only around the mask so 12 MP stays quick --
def _ellipse(pixels: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))


def _morphed(mask: np.ndarray, pixels: int, operation) -> np.ndarray:
    """`operation` (cv2.dilate or cv2.erode) with a round kernel, run only on the mask's box plus `pixels`."""
    out = mask.copy()
    box = bounding_rect(mask)
    if box is None or pixels <= 0:
        return out
    h, w = mask.shape
    crop = Rect(max(box.x0 - pixels, 0), max(box.y0 - pixels, 0), min(box.x1 + pixels, w), min(box.y1 + pixels, h))
    ys, xs = crop.slices
    out[ys, xs] = operation(np.ascontiguousarray(mask[ys, xs]), _ellipse(pixels))
    return out


def grown(mask: np.ndarray, pixels: int) -> np.ndarray:
    """The mask dilated by `pixels` with a round kernel."""
    return _morphed(mask, pixels, cv2.dilate)


def shrunk(mask: np.ndarray, pixels: int) -> np.ndarray:
    """The mask eroded by `pixels` with a round kernel (the photo's border does not erode it)."""
    return _morphed(mask, pixels, cv2.erode)


def inverted(mask: np.ndarray) -> np.ndarray:
    return (mask == 0).astype(np.uint8)
