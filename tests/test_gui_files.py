"""Files in the window: open and save round trips keeping EXIF, the original never overwritten without a
yes, unsaved work guarded, masks saved and loaded, and a damaged file that only costs a dialog."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import functools  # noqa: E402
import shutil  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from gui_support import CELEBA_DIR, FACE_JPEG, FakePrompts, drag, make_window  # noqa: E402
from PIL import Image, ImageCms  # noqa: E402
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl  # noqa: E402
from PySide6.QtGui import QDropEvent, QGuiApplication, QImage  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from in2_studio.gui.dialogs import Prompts, UnsavedChoice  # noqa: E402
from in2_studio.gui.main_window import qimage_to_rgb  # noqa: E402
from in2_studio.imaging import read_image  # noqa: E402

CAMERA_MAKE = "IN2 Test Camera"


@pytest.fixture
def photo_with_exif(tmp_path):
    """A real face photo saved as a JPEG that carries EXIF (a camera make, a description) and an ICC profile."""
    source = next(iter(sorted(CELEBA_DIR.glob("*/*.jpg"))))
    path = tmp_path / "portrait.jpg"
    with Image.open(source) as image:
        exif = Image.Exif()
        exif[0x010F] = CAMERA_MAKE  # Make
        exif[0x010E] = "a face to repair"  # ImageDescription
        image.convert("RGB").save(path, quality=95, exif=exif.tobytes(), icc_profile=srgb_profile())
    return path


@functools.cache
def srgb_profile() -> bytes:
    # Made once: a profile's header holds its creation time, so two would differ by the second.
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.fixture
def window(qtbot, tmp_path, tiny_weights):
    win = make_window(qtbot, tmp_path, weights=tiny_weights)
    win.canvas.set_brush_size(14)
    return win


def paint_and_wait(qtbot, window, points):
    window.canvas.set_zoom(2.0)
    with qtbot.waitSignal(window.worker.final, timeout=30000):
        drag(qtbot, window.canvas, points)
    qtbot.waitUntil(lambda: window.apply_action.isEnabled(), timeout=10000)


def exif_make(path):
    with Image.open(path) as image:
        return image.getexif().get(0x010F)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_open_paint_save_round_trip_keeps_exif_and_icc(qtbot, window, photo_with_exif, tmp_path, suffix):
    assert window.open_file(photo_with_exif)
    opened = window.document.original.copy()
    paint_and_wait(qtbot, window, [(60, 90), (120, 100)])
    mask = window.document.mask.array.astype(bool)
    result, _ = window.composite()

    out = tmp_path / f"repaired{suffix}"
    window.prompts.save_answer = str(out)
    assert window.save_as()
    assert not window.isWindowModified()
    assert exif_make(out) == CAMERA_MAKE
    with Image.open(out) as reopened:
        assert reopened.info.get("icc_profile") == srgb_profile()
    saved = read_image(out).rgb
    assert saved.shape == opened.shape
    if suffix == ".png":  # lossless: exactly the result, and exactly the photo outside the mask
        np.testing.assert_array_equal(saved, result)
        np.testing.assert_array_equal(saved[~mask], opened[~mask])
    else:
        assert np.abs(saved.astype(int) - result.astype(int)).mean() < 3
    assert (result[mask] != opened[mask]).any()

    # Reopening the saved file works and shows what was saved.
    assert window.open_file(out)
    np.testing.assert_array_equal(window.document.base, saved)


def test_a_black_and_white_photo_is_filled_grey_and_saved_grey(qtbot, window, photo_with_exif, tmp_path):
    source = tmp_path / "old-print.png"
    with Image.open(photo_with_exif) as image:
        image.convert("L").save(source)
    assert window.open_file(source)
    paint_and_wait(qtbot, window, [(60, 90), (120, 100)])
    result, changed = window.composite()
    assert changed.any()
    np.testing.assert_array_equal(result[..., 0], result[..., 1])
    np.testing.assert_array_equal(result[..., 1], result[..., 2])

    out = tmp_path / "repaired.png"
    window.prompts.save_answer = str(out)
    assert window.save_as()
    with Image.open(out) as saved:
        assert saved.mode == "L"
        np.testing.assert_array_equal(np.asarray(saved), result[..., 0])


def test_the_opened_photo_is_never_overwritten_without_asking(qtbot, window, photo_with_exif):
    original_bytes = photo_with_exif.read_bytes()
    assert window.open_file(photo_with_exif)
    paint_and_wait(qtbot, window, [(50, 50), (90, 90)])
    prompts = window.prompts
    prompts.confirm_answer = False
    assert not window.save_to(photo_with_exif)
    assert len(prompts.confirms) == 1 and photo_with_exif.name in prompts.confirms[0]
    assert photo_with_exif.read_bytes() == original_bytes
    assert window.isWindowModified()

    prompts.confirm_answer = True
    assert window.save_to(photo_with_exif)
    assert photo_with_exif.read_bytes() != original_bytes
    assert exif_make(photo_with_exif) == CAMERA_MAKE


def test_save_suggests_a_new_name_beside_the_original(qtbot, window, photo_with_exif):
    assert window.open_file(photo_with_exif)
    asked = []
    window.prompts.save_path = lambda suggested, title="", file_filter="": asked.append(suggested)
    window.save_action.trigger()
    assert asked == [str(photo_with_exif.with_name("portrait-repaired.jpg"))]


def test_export_keeps_the_document_unsaved(qtbot, window, photo_with_exif, tmp_path):
    assert window.open_file(photo_with_exif)
    paint_and_wait(qtbot, window, [(50, 50), (90, 90)])
    window.prompts.save_answer = str(tmp_path / "copy.webp")
    assert window.export_copy()
    assert (tmp_path / "copy.webp").is_file()
    assert window.isWindowModified() and window.document.save_path is None


def test_closing_with_unsaved_work_asks(qtbot, window, photo_with_exif):
    assert window.open_file(photo_with_exif)
    window.auto_action.setChecked(False)
    drag(qtbot, window.canvas, [(40, 40), (60, 60)])
    prompts = window.prompts
    prompts.unsaved_answer = UnsavedChoice.CANCEL
    assert not window.close()
    assert window.isVisible() and prompts.unsaved_asked == 1
    # Opening another photo asks too, and "cancel" keeps the work.
    assert not window.open_file(FACE_JPEG)
    assert window.document.source_path == photo_with_exif
    prompts.unsaved_answer = UnsavedChoice.DISCARD
    assert window.close()


def test_mask_save_and_load_round_trip(qtbot, window, photo_with_exif, tmp_path):
    assert window.open_file(photo_with_exif)
    window.auto_action.setChecked(False)
    window.canvas.set_zoom(2.0)
    drag(qtbot, window.canvas, [(30, 40), (150, 180)])
    painted = window.document.mask.copy()
    path = tmp_path / "mask.png"
    assert window.save_mask(path)
    window.clear_mask()
    assert not window.document.mask.array.any()
    assert window.load_mask(path)
    np.testing.assert_array_equal(window.document.mask.array, painted)
    window.undo_action.trigger()  # loading is one undo step
    assert not window.document.mask.array.any()

    wrong_size = tmp_path / "small.png"
    Image.new("L", (10, 10), 255).save(wrong_size)
    assert not window.load_mask(wrong_size)
    assert "small.png" in window.prompts.errors[-1][1]


def test_a_damaged_file_shows_an_error_dialog_and_the_app_stays_usable(qtbot, tmp_path, tiny_weights):
    window = make_window(qtbot, tmp_path, weights=tiny_weights)
    window.prompts = Prompts(window)  # the real message box this time
    damaged = tmp_path / "damaged.jpg"
    damaged.write_bytes(FACE_JPEG.read_bytes()[:700])
    seen = []

    def close_the_box():
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append((box.windowTitle(), box.text()))
            box.close()
        else:
            QTimer.singleShot(20, close_the_box)

    QTimer.singleShot(0, close_the_box)
    assert not window.open_file(damaged)
    assert seen and "damaged.jpg" in seen[0][1]
    assert window.document is None

    window.prompts = FakePrompts()
    assert window.open_file(FACE_JPEG)
    paint_and_wait(qtbot, window, [(80, 80), (140, 140)])
    assert window.document.mask.array.any()


def test_drop_and_paste_open_a_photo(qtbot, window, photo_with_exif, tmp_path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo_with_exif))])
    drop = QDropEvent(QPointF(50, 50), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(drop)
    qtbot.waitUntil(lambda: window.document is not None)
    assert window.document.source_path == photo_with_exif

    copied = tmp_path / "copied.jpg"
    shutil.copy(FACE_JPEG, copied)
    rgb = read_image(copied).rgb
    image = QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.strides[0], QImage.Format_RGB888).copy()
    QGuiApplication.clipboard().setImage(image)
    window.paste_image()
    np.testing.assert_array_equal(window.document.base, rgb)
    assert window.document.source_path is None
    assert window.windowTitle().startswith("Pasted image")


def test_copy_puts_the_repaired_image_on_the_clipboard(qtbot, window, photo_with_exif):
    clipboard = QGuiApplication.clipboard()
    assert not window.copy_action.isEnabled()  # nothing open yet
    assert window.open_file(photo_with_exif)
    qtbot.keyClick(window.canvas, Qt.Key_C, Qt.ControlModifier)
    np.testing.assert_array_equal(qimage_to_rgb(clipboard.image()), window.document.base)

    paint_and_wait(qtbot, window, [(60, 90), (120, 100)])
    result, _ = window.composite()
    assert (result != window.document.base).any()
    window.copy_action.trigger()
    np.testing.assert_array_equal(qimage_to_rgb(clipboard.image()), result)
    assert "repaired image" in window.stage_label.text()


def test_recent_files_are_remembered(qtbot, window, photo_with_exif):
    assert window.open_file(photo_with_exif)
    assert window.open_file(FACE_JPEG)
    recent = window.settings.recent_files
    assert recent[:2] == [str(FACE_JPEG.resolve()), str(photo_with_exif.resolve())]
    window.fill_recent_menu()
    names = [a.text() for a in window.recent_menu.actions()]
    assert names[:2] == [FACE_JPEG.name, photo_with_exif.name]


def test_a_recent_file_that_is_gone_is_dropped_from_the_list(qtbot, window, photo_with_exif):
    assert window.open_file(photo_with_exif)
    photo_with_exif.unlink()
    assert not window.open_file(photo_with_exif)
    assert "no such file" in window.prompts.errors[-1][1]
    assert str(photo_with_exif.resolve()) not in window.settings.recent_files
