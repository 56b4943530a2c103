"""Dialogs: the questions the window asks, preferences, keyboard shortcuts and About.

Every modal question goes through `Prompts`, so tests can swap in answers instead of clicking.
"""

from __future__ import annotations

import re
import time
from enum import Enum
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from in2_studio import DEFAULT_WORKING_SIZE, __version__
from in2_studio.gui.settings import WORKING_SIZES

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff);;All files (*)"
SAVE_FILTER = "PNG image (*.png);;JPEG image (*.jpg *.jpeg);;WebP image (*.webp)"
MASK_FILTER = "Mask PNG (*.png)"


def extension_of_filter(file_filter: str) -> str:
    """The first extension a file-dialog filter names ("JPEG image (*.jpg *.jpeg)" -> ".jpg"), else ".png"."""
    match = re.search(r"\*(\.\w+)", file_filter)
    return match.group(1) if match else ".png"


class UnsavedChoice(Enum):
    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


class Prompts:
    """The window's modal questions, in one place a test can replace."""

    def __init__(self, parent: QWidget):
        self._parent = parent

    def error(self, title: str, message: str) -> None:
        QMessageBox.critical(self._parent, title, message)

    def info(self, title: str, message: str) -> None:
        QMessageBox.information(self._parent, title, message)

    def confirm(self, title: str, message: str, action: str = "OK") -> bool:
        box = QMessageBox(QMessageBox.Warning, title, message, QMessageBox.NoButton, self._parent)
        yes = box.addButton(action, QMessageBox.AcceptRole)
        box.addButton(QMessageBox.Cancel)
        box.setDefaultButton(QMessageBox.Cancel)
        box.exec()
        return box.clickedButton() is yes

    def restore_session(self, name: str, saved_at: float) -> bool:
        """After a crash: restore the unsaved work on `name` (True), or throw it away (False)?"""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(saved_at))
        box = QMessageBox(
            QMessageBox.Question,
            "Restore unsaved work?",
            f"IN² Studio did not close properly. Restore the unsaved work on {name} (kept at {when})?",
            QMessageBox.NoButton,
            self._parent,
        )
        restore = box.addButton("Restore", QMessageBox.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.DestructiveRole)
        box.setDefaultButton(restore)
        box.exec()
        return box.clickedButton() is not discard  # only an explicit Discard throws the work away

    def unsaved_changes(self, name: str) -> UnsavedChoice:
        answer = QMessageBox.warning(
            self._parent,
            "Unsaved changes",
            f"{name} has changes that are not saved. Save them first?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel,
            QMessageBox.Save,
        )
        if answer == QMessageBox.Save:
            return UnsavedChoice.SAVE
        if answer == QMessageBox.Discard:
            return UnsavedChoice.DISCARD
        return UnsavedChoice.CANCEL

    def open_path(self, folder: str, title: str = "Open photo", file_filter: str = IMAGE_FILTER) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self._parent, title, folder, file_filter)
        return path or None

    def save_path(self, suggested: str, title: str = "Save as", file_filter: str = SAVE_FILTER) -> str | None:
        path, chosen_filter = QFileDialog.getSaveFileName(self._parent, title, suggested, file_filter)
        if path and not Path(path).suffix:
            path += extension_of_filter(chosen_filter)
        return path or None


class PreferencesDialog(QDialog):
    """The weights file and the working resolution (the device has its own menu)."""

    def __init__(self, weights_path: str, working_size: int, default_weights: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setMinimumWidth(520)
        self._weights = QLineEdit(weights_path)
        self._weights.setPlaceholderText(f"Default: {default_weights}")
        self._weights.setClearButtonEnabled(True)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        weights_row = QHBoxLayout()
        weights_row.addWidget(self._weights, 1)
        weights_row.addWidget(browse)

        self._working_size = QComboBox()
        for size in sorted({*WORKING_SIZES, working_size}):
            self._working_size.addItem(f"{size} px", size)
        self._working_size.setCurrentIndex(self._working_size.findData(working_size))
        self._working_size.setToolTip(
            f"The longest side, in pixels, of the region around the hole that the network's encoder sees; the "
            f"result is always rendered at the photo's own resolution. {DEFAULT_WORKING_SIZE} px is the size the "
            f"weights were trained at: faces larger than that come out worse. Larger sizes are slower and keep "
            f"more detail around thin strokes. A deep hole, such as a box over a whole face, is seen smaller "
            f"still (down to half this size), which fills it better."
        )

        form = QFormLayout()
        form.addRow("Weights file:", weights_row)
        form.addRow("Working size:", self._working_size)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    @property
    def weights_path(self) -> str:
        return self._weights.text().strip()

    @property
    def working_size(self) -> int:
        return int(self._working_size.currentData())

    def set_values(self, weights_path: str, working_size: int) -> None:
        self._weights.setText(weights_path)
        index = self._working_size.findData(working_size)
        if index < 0:
            self._working_size.addItem(f"{working_size} px", working_size)
            index = self._working_size.count() - 1
        self._working_size.setCurrentIndex(index)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose a weights file", self.weights_path, "Weights (*.safetensors);;All files (*)"
        )
        if path:
            self._weights.setText(path)


def shortcut_rows(actions: list[QAction]) -> list[tuple[str, str]]:
    """(what, keys) for every action that has a shortcut, in menu order."""
    rows = []
    for action in actions:
        keys = [s.toString(QKeySequence.NativeText) for s in action.shortcuts() if not s.isEmpty()]
        if keys:
            rows.append((action.text().replace("&", "").rstrip("…").rstrip("."), ", ".join(keys)))
    return rows


EXTRA_SHORTCUTS = [
    ("Paint the mask", "Left mouse button"),
    ("Erase the mask", "Right mouse button"),
    ("Drop the lasso being drawn", "Esc"),
    ("Pan", "Space + drag, middle mouse button, scroll bars"),
    ("Zoom about the pointer", "Ctrl + mouse wheel"),
    ("See the original photo", "Hold Tab"),
]


class ShortcutsDialog(QDialog):
    def __init__(self, rows: list[tuple[str, str]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(520, 680)
        table = QTableWidget(len(rows), 2)
        table.setHorizontalHeaderLabels(["Action", "Keys"])
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(24)
        table.setEditTriggers(QTableWidget.NoEditTriggers)
        table.setSelectionMode(QTableWidget.NoSelection)
        table.setFocusPolicy(Qt.NoFocus)
        for row, (what, keys) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(what))
            table.setItem(row, 1, QTableWidgetItem(keys))
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.table = table


ABOUT_HTML = f"""
<h2>IN² Studio {__version__}</h2>
<p>Repair faces in photographs: paint over what must go, and the IN² network fills it in.</p>
<p>IN² is the Implicit Neural Inpainting Network of <i>Learning position-aware implicit neural network
for real-world face inpainting</i> (Zhao, Yang, Fu; Pattern Recognition 165, 2025; arXiv 2401.10537).</p>
<p><b>Data terms of the model.</b> The network was trained on face photos from
<b>LFW</b> (Labeled Faces in the Wild, University of Massachusetts Amherst), provided for research use,
and <b>CelebA</b> (MMLAB, The Chinese University of Hong Kong), for non-commercial research and
educational use only. The trained weights inherit these terms: use them for non-commercial research
and education. See <code>models/MODEL_CARD.md</code>.</p>
<p>The application code is MIT-licensed. Built with PySide6 (Qt), PyTorch, OpenCV, Pillow and QtAwesome.</p>
"""


def about_text() -> str:
    return ABOUT_HTML


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("About IN² Studio")
        self.setMinimumWidth(480)
        label = QLabel(about_text())
        label.setWordWrap(True)
        label.setTextFormat(Qt.RichText)
        label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(buttons)
