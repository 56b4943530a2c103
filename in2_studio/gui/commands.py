"""Undo steps. Each keeps only the rectangle it changed, before and after, so undo restores exactly."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtGui import QUndoCommand

from in2_studio.gui.mask_layer import MaskLayer, MaskPatch, Rect, bounding_rect

if TYPE_CHECKING:
    from in2_studio.gui.document import Document


class MaskEditCommand(QUndoCommand):
    """A brush stroke or a mask operation (clear, invert, grow, shrink, load).

    A brush stroke has already been painted when it is pushed: `already_applied` skips the first redo
    that QUndoStack.push performs.
    """

    def __init__(self, layer: MaskLayer, patch: MaskPatch, text: str, already_applied: bool = False):
        super().__init__(text)
        self._layer = layer
        self._patch = patch
        self._skip_redo = already_applied

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        self._layer.put(self._patch.rect, self._patch.after)

    def undo(self) -> None:
        self._layer.put(self._patch.rect, self._patch.before)


class ApplyResultCommand(QUndoCommand):
    """Make an inpainting result the new base image and clear the mask, so repairs can go in rounds."""

    def __init__(self, document: Document, result: np.ndarray):
        super().__init__("Apply result")
        self._document = document
        layer = document.mask
        # The result differs from the base only under the mask; keep just that rectangle.
        rect = bounding_rect(layer.array) or bounding_rect(np.any(result != document.base, axis=2))
        rect = rect or Rect(0, 0, 0, 0)
        ys, xs = rect.slices
        self._rect = rect
        self._base_before = document.base[ys, xs].copy()
        self._base_after = result[ys, xs].copy()
        self._mask_before = layer.array[ys, xs].copy()
        self._changed_before = document.changed[ys, xs].copy()
        self._changed_after = self._changed_before | (self._mask_before != 0)

    def redo(self) -> None:
        self._swap(self._base_after, np.zeros_like(self._mask_before), self._changed_after)

    def undo(self) -> None:
        self._swap(self._base_before, self._mask_before, self._changed_before)

    def _swap(self, base_patch: np.ndarray, mask_patch: np.ndarray, changed_patch: np.ndarray) -> None:
        ys, xs = self._rect.slices
        # A new array, never an in-place write: a cancelled job may still be reading the old base.
        base = self._document.base.copy()
        base[ys, xs] = base_patch
        changed = self._document.changed.copy()
        changed[ys, xs] = changed_patch
        self._document.set_base(base, changed)
        self._document.mask.put(self._rect, mask_patch)
