"""Mirror fill in the window: it fills the mask from the other side of the face, applied and undone as any
result; a hole with no mirrored source costs a dialog and leaves the photo as it was."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from gui_support import FACE_JPEG, make_window  # noqa: E402

from in2_studio.engine.mirror import mirror_fill  # noqa: E402
from in2_studio.imaging import read_image  # noqa: E402

EYE_BOX = (88, 100, 118, 122)  # x0, y0, x1, y1: the left eye of the LFW face


@pytest.fixture
def eye_mask(tmp_path):
    mask = np.zeros((250, 250), np.uint8)
    x0, y0, x1, y1 = EYE_BOX
    mask[y0:y1, x0:x1] = 255
    path = tmp_path / "eye.png"
    cv2.imwrite(str(path), mask)
    return path, mask != 0


def test_mirror_fill_repairs_the_eye_and_applies_as_one_step(qtbot, tmp_path, tiny_weights, eye_mask):
    window = make_window(qtbot, tmp_path, weights=tiny_weights)
    window.auto_action.setChecked(False)
    assert not window.mirror_fill_action.isEnabled()
    assert window.open_file(FACE_JPEG)
    original = window.document.base.copy()
    path, hole = eye_mask
    assert window.load_mask(path)
    assert window.mirror_fill_action.isEnabled()

    window.mirror_fill_action.trigger()  # Ctrl+R (test_gui_canvas checks the shortcuts)
    expected, _ = mirror_fill(read_image(FACE_JPEG).rgb, hole)
    result, changed = window.composite()
    np.testing.assert_array_equal(result, expected)
    assert changed[hole].all() and not changed[~hole].any()
    assert "Mirror fill: 1 hole" in window.stage_label.text()
    assert not window.show_mask_action.isChecked()  # the overlay is hidden so the fill can be seen

    window.apply_action.trigger()
    np.testing.assert_array_equal(window.document.base, expected)
    window.undo_action.trigger()
    np.testing.assert_array_equal(window.document.base, original)


def test_a_running_network_job_does_not_replace_the_mirror_fill(qtbot, tmp_path, tiny_weights, eye_mask):
    window = make_window(qtbot, tmp_path, weights=tiny_weights)
    window.auto_action.setChecked(True)
    assert window.open_file(FACE_JPEG)
    path, hole = eye_mask
    assert window.load_mask(path)
    assert window.worker.busy  # live inpainting started on the new mask
    window.mirror_fill_action.trigger()
    expected = window.composite()[0].copy()
    assert not window.worker.busy
    qtbot.wait(1500)  # the tiny network's job would have ended by now
    np.testing.assert_array_equal(window.composite()[0], expected)
    assert "Mirror fill" in window.stage_label.text()


def test_a_hole_with_no_mirrored_source_costs_a_dialog(qtbot, tmp_path, tiny_weights, eye_mask):
    window = make_window(qtbot, tmp_path, weights=tiny_weights)
    window.auto_action.setChecked(False)
    noise = np.random.default_rng(0).integers(0, 256, (250, 250, 3), dtype=np.uint8)
    assert window.open_rgb(noise, "Noise")
    path, _ = eye_mask
    assert window.load_mask(path)
    window.mirror_fill_action.trigger()
    title, message = window.prompts.errors[-1]
    assert title == "Mirror fill failed" and "No mirrored match" in message
    assert not window.apply_action.isEnabled()
    np.testing.assert_array_equal(window.composite()[0], noise)
