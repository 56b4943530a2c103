"""The main window: files, mask edits, and the live loop stroke → job → preview → full result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QImage, QUndoGroup
from PySide6.QtWidgets import QMainWindow

from in2_studio.engine.mirror import mirror_fill
from in2_studio.errors import In2Error
from in2_studio.gui.canvas import Canvas, rgb_to_qimage
from in2_studio.gui.commands import ApplyResultCommand, MaskEditCommand
from in2_studio.gui.dialogs import (
    EXTRA_SHORTCUTS,
    MASK_FILTER,
    AboutDialog,
    PreferencesDialog,
    Prompts,
    ShortcutsDialog,
    UnsavedChoice,
    shortcut_rows,
)
from in2_studio.gui.document import Document
from in2_studio.gui.mask_layer import MaskPatch, Rect, bounding_rect, grown, inverted, shrunk
from in2_studio.gui.recovery import SessionKeeper, offer_leftovers
from in2_studio.gui.settings import Settings
from in2_studio.gui.window_ui import app_icon, build_ui
from in2_studio.gui.worker import EngineConfig, InpaintWorker
from in2_studio.imaging import read_image, read_mask, write_image, write_mask
from in2_studio.imaging.formats import format_for

APP_NAME = "IN² Studio"
SAVE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")


def _same_file(a: Path, b: Path | None) -> bool:
    if b is None:
        return False
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return a.resolve() == b.resolve()


class MainWindow(QMainWindow):
    def __init__(
        self,
        settings: Settings | None = None,
        worker: InpaintWorker | None = None,
        prompts: Prompts | None = None,
    ):
        super().__init__()
        self.settings = settings or Settings()
        self.prompts = prompts or Prompts(self)
        self.worker = worker or InpaintWorker()
        self.worker.configure(self._engine_config())
        self.document: Document | None = None
        self.recovery = SessionKeeper(lambda: self.document, parent=self)

        # What is shown in the hole, and for which (base, mask) version it was computed.
        self._result: np.ndarray | None = None
        self._result_final = False
        self._result_version: tuple[int, int] | None = None
        self._mirror_shown = False  # the result on show is mirror fill's, not the network's
        self._job_version: tuple[int, int] | None = None
        self._job_rect: Rect | None = None
        self._stage_seconds: dict[str, float] = {}
        self._last_device = ""
        self._last_error: str | None = None
        self._overwrite_confirmed = False

        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.canvas = Canvas(self)
        self.setCentralWidget(self.canvas)
        self.canvas.set_brush_size(self.settings.brush_size)
        self.undo_group = QUndoGroup(self)

        build_ui(self)
        self.show_brush_size(self.canvas.brush_size)
        self.show_device(None)
        self._connect()
        self._update_title()
        self._update_actions()
        self.resize(1280, 860)
        if self.settings.geometry:
            self.restoreGeometry(self.settings.geometry)
        self.canvas.setFocus()

    # -- set-up ----------------------------------------------------------------------------------
    def _connect(self) -> None:
        self.canvas.strokeStarted.connect(self._on_stroke_started)
        self.canvas.strokeFinished.connect(self._on_stroke_finished)
        self.canvas.compareHeld.connect(lambda held: self.canvas.set_comparing(held or self.compare_action.isChecked()))
        self.canvas.zoomChanged.connect(lambda zoom: self.zoom_label.setText(f"{zoom * self.devicePixelRatioF():.0%}"))
        self.canvas.brushSizeChanged.connect(self._on_brush_size_changed)
        self.brush_slider.valueChanged.connect(self.canvas.set_brush_size)
        self.grow_spin.valueChanged.connect(lambda n: setattr(self.settings, "grow_pixels", n))
        self.undo_group.indexChanged.connect(self._on_document_edited)
        self.undo_group.cleanChanged.connect(self._update_title)
        group = self.undo_group
        for changed in (group.indexChanged, group.cleanChanged, group.activeStackChanged):
            changed.connect(self.recovery.schedule)
        self.recovery.problem.connect(self.stage_label.setText)
        self.worker.preview.connect(self._on_preview)
        self.worker.final.connect(self._on_final)
        self.worker.failed.connect(self._on_failed)
        label = self.stage_label  # a notice (e.g. a CPU fallback) follows the stage's own message
        self.worker.notice.connect(lambda _, notice: label.setText(f"{label.text()} — {notice}"))
        self.worker.busyChanged.connect(self.busy_bar.setVisible)
        self.worker.busyChanged.connect(self.stop_action.setEnabled)
        self.worker.loadingModel.connect(lambda: self.stage_label.setText("Loading the IN² network…"))
        self.worker.cudaAvailable.connect(self._on_cuda_known)

    # -- documents -------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        path = self.prompts.open_path(self.settings.last_folder)
        if path:
            self.open_file(path)

    def open_file(self, path: str | Path) -> bool:
        """Open a photo; on failure show why and keep the current photo. True when it opened."""
        path = Path(path)
        if not self._may_discard_changes():
            return False
        try:
            photo = read_image(path)
        except In2Error as error:
            if not path.exists():
                self.settings.remove_recent_file(str(path.resolve()))
            self.prompts.error("Cannot open the photo", str(error))
            return False
        except MemoryError:
            self.prompts.error("Cannot open the photo", f"{path} is too large to open with the memory available")
            return False
        self._set_document(Document(photo.rgb, photo, path))
        self.settings.add_recent_file(path)
        self.settings.last_folder = str(path.parent)
        self.stage_label.setText(f"Opened {path.name}. Paint over what must go.")
        return True

    def open_rgb(self, rgb: np.ndarray, name: str = "Pasted image") -> bool:
        if not self._may_discard_changes():
            return False
        self._set_document(Document(rgb))
        self.stage_label.setText(f"{name}. Paint over what must go.")
        return True

    def paste_image(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        files = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()] if mime.hasUrls() else []
        if files:
            self.open_file(files[0])
            return
        image = QGuiApplication.clipboard().image()
        if image.isNull():
            self.prompts.error("Nothing to paste", "The clipboard holds no image.")
            return
        self.open_rgb(qimage_to_rgb(image))

    def copy_image(self) -> None:
        """The repaired image as it would be saved (its colour, without transparency) onto the clipboard."""
        if self.document is None:
            return
        image, _changed = self.composite()
        QGuiApplication.clipboard().setImage(rgb_to_qimage(image))
        height, width = image.shape[:2]
        shown = "the repaired image" if self._current_final() is not None else "the image"
        self.stage_label.setText(f"Copied {shown} ({width} × {height}) to the clipboard")

    def _set_document(self, document: Document) -> None:
        self.worker.cancel()
        old = self.document
        self.document = document
        self._clear_result()
        self._job_version = None
        self._overwrite_confirmed = False
        # Owned by the window, so Qt deletes it after the undo group and never mid-signal.
        document.setParent(self)
        self.canvas.set_document(document)
        if old is not None:
            self.undo_group.removeStack(old.undo_stack)
            old.deleteLater()
        # Through the group, not the stack: a stack being destroyed still signals, too late to handle.
        self.undo_group.addStack(document.undo_stack)
        self.undo_group.setActiveStack(document.undo_stack)
        self.show_mask_action.setChecked(True)
        self.size_label.setText(f"{document.width} × {document.height}")
        self._update_title()
        self._update_actions()
        self.canvas.setFocus()

    def offer_recovery(self) -> bool:
        """At start: offer back the unsaved work a crashed or killed run left. True when restored."""

        def show(document: Document) -> None:
            self._set_document(document)
            self.stage_label.setText(f"Restored the unsaved work on {document.display_name}.")
            self._after_edit()

        return offer_leftovers(self.recovery, self.prompts, show)

    def _may_discard_changes(self) -> bool:
        """Ask before unsaved work is thrown away. True when it may go."""
        if self.document is None or not self.document.is_modified():
            return True
        choice = self.prompts.unsaved_changes(self.document.display_name)
        if choice == UnsavedChoice.SAVE:
            return self.save()
        return choice == UnsavedChoice.DISCARD

    # -- saving ----------------------------------------------------------------------------------
    def save(self) -> bool:
        if self.document is None:
            return False
        if self.document.save_path is not None:
            return self.save_to(self.document.save_path)
        return self.save_as()

    def save_as(self) -> bool:
        if self.document is None:
            return False
        path = self.prompts.save_path(str(self._suggested_path()))
        return bool(path) and self.save_to(path)

    def export_copy(self) -> bool:
        if self.document is None:
            return False
        path = self.prompts.save_path(str(self._suggested_path()), title="Export a copy")
        return bool(path) and self.save_to(path, as_copy=True)

    def save_to(self, path: str | Path, as_copy: bool = False) -> bool:
        """Write what the window shows (the final result when it is current, else the base) to `path`.

        Overwriting the photo that was opened needs a yes first. Returns True when saved.
        """
        document = self.document
        if document is None:
            return False
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(".png")
        if path.suffix.lower() not in SAVE_EXTENSIONS and format_for(path) is None:
            self.prompts.error("Cannot save", f"{path.name}: save as .png, .jpg or .webp")
            return False
        if _same_file(path, document.source_path) and not self._overwrite_confirmed:
            question = f"{path.name} is the original photo. Replace it with the repaired one?"
            if not self.prompts.confirm("Replace the original?", question, "Replace"):
                return False
            self._overwrite_confirmed = True
        rgb, changed = self.composite()
        photo = document.photo
        try:
            write_image(
                path,
                rgb,
                alpha=getattr(photo, "alpha", None),
                exif=getattr(photo, "exif", None),
                icc_profile=getattr(photo, "icc_profile", None),
                rgb16=getattr(photo, "rgb16", None),
                changed=changed,
                grey=getattr(photo, "grey", False),
            )
        except In2Error as error:
            self.prompts.error("Cannot save", str(error))
            return False
        if not as_copy:
            document.save_path = path
            document.undo_stack.setClean()
            self._update_title()
        self.stage_label.setText(f"{'Exported' if as_copy else 'Saved'} {path}")
        return True

    def composite(self) -> tuple[np.ndarray, np.ndarray]:
        """The image to save and the pixels in it that differ from the photo as opened."""
        document = self.document
        assert document is not None
        if self._current_final() is not None:
            return self._result, document.changed | (document.mask.array != 0)
        return document.base, document.changed

    def _suggested_path(self) -> Path:
        document = self.document
        source = document.save_path or document.source_path
        if source is None:
            folder = Path(self.settings.last_folder or Path.home())
            return folder / "repaired.png"
        suffix = source.suffix.lower() if source.suffix.lower() in SAVE_EXTENSIONS else ".png"
        if document.save_path is not None:
            return source
        return source.with_name(f"{source.stem}-repaired{suffix}")

    # -- mask files and operations ---------------------------------------------------------------
    def save_mask_dialog(self) -> None:
        if self.document is None:
            return
        source = self.document.source_path
        suggested = source.with_name(f"{source.stem}-mask.png") if source else Path("mask.png")
        path = self.prompts.save_path(str(suggested), title="Save the mask", file_filter=MASK_FILTER)
        if path:
            self.save_mask(path)

    def save_mask(self, path: str | Path) -> bool:
        try:
            write_mask(Path(path), self.document.mask.array)
        except In2Error as error:
            self.prompts.error("Cannot save the mask", str(error))
            return False
        self.stage_label.setText(f"Saved the mask to {path}")
        return True

    def load_mask_dialog(self) -> None:
        if self.document is None:
            return
        path = self.prompts.open_path(self.settings.last_folder, title="Load a mask", file_filter=MASK_FILTER)
        if path:
            self.load_mask(path)

    def load_mask(self, path: str | Path) -> bool:
        document = self.document
        try:
            mask = read_mask(Path(path), document.base.shape, image_path=document.source_path, require_fill=True)
        except In2Error as error:
            self.prompts.error("Cannot load the mask", str(error))
            return False
        self._push_mask(document.mask.patch_to(mask), "Load mask")
        return True

    def clear_mask(self) -> None:
        if self.document is not None:
            self._push_mask(self.document.mask.patch_to(np.zeros_like(self.document.mask.array)), "Clear mask")

    def invert_mask(self) -> None:
        if self.document is not None:
            self._push_mask(self.document.mask.patch_to(inverted(self.document.mask.array)), "Invert mask")

    def grow_mask(self, pixels: int) -> None:
        if self.document is not None:
            self._push_mask(
                self.document.mask.patch_to(grown(self.document.mask.array, pixels)), f"Grow mask {pixels}px"
            )

    def shrink_mask(self, pixels: int) -> None:
        if self.document is not None:
            patch = self.document.mask.patch_to(shrunk(self.document.mask.array, pixels))
            self._push_mask(patch, f"Shrink mask {pixels}px")

    def _push_mask(self, patch: MaskPatch | None, text: str) -> None:
        if patch is None or self.canvas.stroking:
            return
        self.show_mask_action.setChecked(True)
        self.document.undo_stack.push(MaskEditCommand(self.document.mask, patch, text))

    # -- strokes and jobs ------------------------------------------------------------------------
    def _on_stroke_started(self) -> None:
        # The mask is changing: whatever is being computed is already out of date.
        if self.worker.busy:
            self.worker.cancel()
            self._job_version = None
        self.show_mask_action.setChecked(True)

    def _on_stroke_finished(self, patch: MaskPatch | None) -> None:
        if patch is not None:
            self.document.undo_stack.push(MaskEditCommand(self.document.mask, patch, self.canvas.stroke_name, True))
        else:
            self._after_edit()

    def _on_document_edited(self) -> None:
        self._after_edit()

    def _after_edit(self) -> None:
        self._update_actions()
        document = self.document
        if document is None:
            return
        if document.mask.is_empty():
            self.worker.cancel()
            self._job_version = None
            self._clear_result()
            return
        computing_or_done = self._job_version == document.version or (
            self._result_version == document.version and self._result_final
        )
        if self.auto_action.isChecked() and not computing_or_done:
            self.run_inpaint()

    def _fillable_document(self) -> Document | None:
        """The document when its mask can be filled now (a mask, no stroke under way), else None."""
        document = self.document
        if document is None or self.canvas.stroking:
            return None
        if document.mask.is_empty():
            self.stage_label.setText("Paint over what must go first: the mask is empty.")
            return None
        return document

    def run_inpaint(self) -> None:
        document = self._fillable_document()
        if document is None:
            return
        self._job_version = document.version
        self._stage_seconds = {}
        # The mask is copied (it keeps changing as the person paints); the base is never written in place.
        mask = document.mask.copy()
        self._job_rect = bounding_rect(mask)
        self.worker.submit(document.base, mask)
        self.stage_label.setText("Inpainting…")
        self._update_actions()

    def stop_inpaint(self) -> None:
        """Stop the running job and take its preview off the photo: nothing of it could be saved or applied."""
        if not self.worker.busy:
            return
        self.worker.cancel()
        self._job_version = None
        self._clear_result()
        self.show_mask_action.setChecked(True)
        self.stage_label.setText("Stopped. Inpaint now (Ctrl+Enter) fills the mask again.")
        self._update_actions()

    def _on_preview(self, generation: int, image: np.ndarray, seconds: float, device: str) -> None:
        self._show_stage(image, final=False, seconds=seconds, device=device)
        self.stage_label.setText(f"Preview in {seconds:.2f} s on {device.upper()}; rendering full resolution…")

    def _on_final(self, generation: int, image: np.ndarray, seconds: float, device: str) -> None:
        self._show_stage(image, final=True, seconds=seconds, device=device)
        preview = self._stage_seconds.get("preview")
        timing = f"preview {preview:.2f} s, " if preview is not None else ""
        self.stage_label.setText(f"Done: {timing}full resolution {seconds:.2f} s on {device.upper()}")
        self._last_error = None

    def _show_stage(self, image: np.ndarray, final: bool, seconds: float, device: str) -> None:
        if self._job_version is None or self.document is None:
            return
        self._stage_seconds["full" if final else "preview"] = seconds
        version = self._job_version
        if final:
            self._job_version = None
        self._mirror_shown = False
        self._present(image, final, version, self._job_rect)
        self.show_device(device)

    def _present(self, image: np.ndarray, final: bool, version: tuple[int, int], rect: Rect | None) -> None:
        self._result = image
        self._result_final = final
        self._result_version = version
        self.canvas.show_result(image, rect)
        # Hide the overlay so the fill can be seen; the next stroke brings it back.
        self.show_mask_action.setChecked(False)
        self._update_actions()

    def run_mirror_fill(self) -> None:
        """Fill the mask from the other side of the face, mirrored: a real eye for a damaged one, where the
        network still paints a blurred one. Fast enough to run here; the result is applied or undone as any."""
        document = self._fillable_document()
        if document is None:
            return
        mask = document.mask.copy()
        # Up to a second a hole in a large photo: long enough to show that the window is at work.
        QGuiApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            result, matches = mirror_fill(document.base, mask)
        except In2Error as error:
            result, matches, failure = None, [], str(error)
        finally:
            QGuiApplication.restoreOverrideCursor()  # before any dialog
        if result is None:
            self.stage_label.setText(f"Mirror fill failed: {failure}")
            self.prompts.error("Mirror fill failed", failure)
            return
        # A network job still running would replace this result when it ends.
        self.worker.cancel()
        self._job_version = None
        self._present(result, True, document.version, bounding_rect(mask))
        self._mirror_shown = True
        worst = min(match.score for match in matches)
        self.stage_label.setText(
            f"Mirror fill: {len(matches)} hole{'s' if len(matches) > 1 else ''} from the other side "
            f"(match {worst:.2f}). Apply keeps it; Inpaint now fills with the network instead."
        )

    def _on_failed(self, generation: int, message: str) -> None:
        self._job_version = None
        self.stage_label.setText(f"Inpainting failed: {message}")
        if message != self._last_error:  # in live mode, one dialog per problem, not one per stroke
            self._last_error = message
            self.prompts.error("Inpainting failed", message)
        self._update_actions()

    def _clear_result(self) -> None:
        self._result = None
        self._result_final = False
        self._result_version = None
        self.canvas.show_result(None)

    def _current_final(self) -> np.ndarray | None:
        if self.document is not None and self._result_final and self._result_version == self.document.version:
            return self._result
        return None

    def apply_result(self) -> None:
        result = self._current_final()
        if result is None:
            return
        self.worker.cancel()
        self._job_version = None
        document = self.document
        self._clear_result()
        document.undo_stack.push(ApplyResultCommand(document, result))
        self.show_mask_action.setChecked(True)
        self.stage_label.setText("Applied: the result is the new base. Paint again for another round.")

    def set_auto_mode(self, on: bool) -> None:
        self.settings.auto_mode = on
        if on:
            self._after_edit()

    def set_grain(self, on: bool) -> None:
        """Grain on or off; the network's fill on show (or on its way) is made again to show the difference."""
        self.settings.grain = on
        self._reconfigure()
        self.stage_label.setText(
            "The photo's grain is laid over the network's fill." if on else "The network's fill is left smooth."
        )
        network_result = self._result_version is not None and not self._mirror_shown
        if self._job_version is not None or network_result:
            self.run_inpaint()

    def set_comparing(self, on: bool) -> None:
        self.canvas.set_comparing(on)

    # -- brush -----------------------------------------------------------------------------------
    def scale_brush(self, factor: float) -> None:
        size = self.canvas.brush_size
        new = round(size * factor)
        if new == size:
            new = size + (1 if factor > 1 else -1)
        self.canvas.set_brush_size(new)

    def _on_brush_size_changed(self, size: int) -> None:
        self.settings.brush_size = size
        self.show_brush_size(size)
        if self.brush_slider.value() != size:
            self.brush_slider.blockSignals(True)
            self.brush_slider.setValue(min(size, self.brush_slider.maximum()))
            self.brush_slider.blockSignals(False)

    def show_brush_size(self, size: int) -> None:
        self.brush_label.setText(f"{size} px")

    # -- device and preferences -------------------------------------------------------------------
    def _engine_config(self) -> EngineConfig:
        return EngineConfig(
            weights=self.settings.weights_path or None,
            device=self.settings.device,
            working_size=self.settings.working_size,
            grain=self.settings.grain,
        )

    def choose_device(self, action: QAction) -> None:
        self.settings.device = action.data()
        self._reconfigure()
        self.show_device(None)
        self.stage_label.setText(f"Device: {action.text().replace('&', '')}")

    def _on_cuda_known(self, available: bool) -> None:
        self.device_actions["cuda"].setVisible(available)
        if not available and self.settings.device == "cuda":
            self.device_actions["auto"].setChecked(True)
            self.settings.device = "auto"
            self._reconfigure()
        self.show_device(None)

    def _reconfigure(self) -> None:
        self.worker.configure(self._engine_config())
        self._last_error = None

    def show_device(self, device: str | None) -> None:
        if device:
            self._last_device = device
        shown = self._last_device.upper() if self._last_device else self.settings.device
        self.device_label.setText(f"Device: {shown}")

    def show_preferences(self) -> PreferencesDialog:
        from in2_studio.engine.weights import DEFAULT_WEIGHTS  # torch is loaded by now, off the GUI thread

        dialog = PreferencesDialog(self.settings.weights_path, self.settings.working_size, str(DEFAULT_WEIGHTS), self)
        dialog.accepted.connect(lambda: self._apply_preferences(dialog))
        dialog.open()
        return dialog

    def _apply_preferences(self, dialog: PreferencesDialog) -> None:
        self.settings.weights_path = dialog.weights_path
        self.settings.working_size = dialog.working_size
        self._reconfigure()
        self.stage_label.setText("Preferences saved: the network reloads with the next job.")

    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(shortcut_rows(self.actions()) + EXTRA_SHORTCUTS, self)
        dialog.open()
        return dialog

    def show_about(self) -> AboutDialog:
        dialog = AboutDialog(self)
        dialog.open()
        return dialog

    # -- window ----------------------------------------------------------------------------------
    def _update_title(self) -> None:
        name = self.document.display_name if self.document else None
        self.setWindowTitle(f"{name}[*] — {APP_NAME}" if name else APP_NAME)
        self.setWindowModified(bool(self.document and self.document.is_modified()))

    def _update_actions(self) -> None:
        has_document = self.document is not None
        has_mask = has_document and not self.document.mask.is_empty()
        for action in (
            self.save_action,
            self.save_as_action,
            self.export_action,
            self.copy_action,
            self.load_mask_action,
            self.save_mask_action,
            self.invert_mask_action,
            self.fit_action,
            self.actual_size_action,
            self.zoom_in_action,
            self.zoom_out_action,
            self.compare_action,
        ):
            action.setEnabled(has_document)
        for action in (
            self.clear_mask_action,
            self.grow_mask_action,
            self.shrink_mask_action,
            self.inpaint_action,
            self.mirror_fill_action,
        ):
            action.setEnabled(has_mask)
        self.apply_action.setEnabled(self._current_final() is not None)

    def fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files
        for path in files:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self.open_file(p))
        if not files:
            self.recent_menu.addAction("No recent photos").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear the list", self.settings.clear_recent_files)

    def dragEnterEvent(self, event) -> None:
        if _local_files(event.mimeData()) or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = _local_files(event.mimeData())
        event.acceptProposedAction()
        # Open after the drop returns, so a dialog does not block the drag source's event loop.
        if files:
            QTimer.singleShot(0, lambda: self.open_file(files[0]))
        elif event.mimeData().hasImage():
            image = QImage(event.mimeData().imageData())
            QTimer.singleShot(0, lambda: self.open_rgb(qimage_to_rgb(image), "Dropped image"))

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.canvas.stroking:
            self.canvas.finish_stroke()
        if not self._may_discard_changes():
            event.ignore()
            return
        self.settings.geometry = self.saveGeometry().data()
        self.settings.sync()
        self.worker.shutdown()
        self.recovery.close()  # a clean close: nothing is left to recover
        event.accept()


def _local_files(mime) -> list[str]:
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]


def qimage_to_rgb(image: QImage) -> np.ndarray:
    """An H×W×3 uint8 copy of any QImage (a pasted or dropped picture)."""
    image = image.convertToFormat(QImage.Format_RGB888)
    width, height = image.width(), image.height()
    buffer = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    rows = buffer.reshape(height, image.bytesPerLine())
    return rows[:, : width * 3].reshape(height, width, 3).copy()
