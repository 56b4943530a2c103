"""One open photo being repaired: its original pixels, the current base, the mask and the undo history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from in2_studio.gui.mask_layer import MaskLayer


class Document(QObject):
    """The editing state of one photo.

    `base` is replaced, never written in place: the worker thread may still be reading the old one.
    `changed` marks the pixels an applied result has replaced, so a save can keep the rest of a
    16-bit original untouched.
    """

    baseChanged = Signal()

    def __init__(self, rgb: np.ndarray, photo: Any = None, source_path: Path | None = None):
        super().__init__()
        rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
        self.photo = photo  # in2_studio.imaging Photo (EXIF, ICC, alpha, 16-bit) or None for a pasted image
        self.source_path = source_path
        self.save_path: Path | None = None  # where Save writes without asking, once chosen
        self.original = rgb
        self.base = rgb
        self.changed = np.zeros(rgb.shape[:2], dtype=bool)
        self.base_serial = 0
        self.mask = MaskLayer(rgb.shape[1], rgb.shape[0], parent=self)
        self.undo_stack = QUndoStack(self)

    @property
    def width(self) -> int:
        return self.base.shape[1]

    @property
    def height(self) -> int:
        return self.base.shape[0]

    @property
    def display_name(self) -> str:
        path = self.save_path or self.source_path
        return path.name if path else "Pasted image"

    @property
    def version(self) -> tuple[int, int]:
        """Changes whenever the base or the mask does: a result is current only for its version."""
        return (self.base_serial, self.mask.version)

    def set_base(self, base: np.ndarray, changed: np.ndarray) -> None:
        base = np.ascontiguousarray(base, dtype=np.uint8)
        self.base = base
        self.changed = changed
        self.base_serial += 1
        self.baseChanged.emit()

    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()
