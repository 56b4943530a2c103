"""The editor driven with real mouse and key events: strokes, erasing, undo/redo, zoom, pan, compare."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from gui_support import FACE_JPEG, drag, make_window, signed_distance_to_polygon  # noqa: E402
from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QWheelEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from test_gui_mask import distance_to_segment  # noqa: E402


@pytest.fixture
def window(qtbot, tmp_path):
    # No job is wanted here: live inpainting off, so only the editor is exercised.
    win = make_window(qtbot, tmp_path, weights=None)
    win.auto_action.setChecked(False)
    assert win.open_file(FACE_JPEG)
    win.canvas.set_zoom(2.0)
    win.canvas.set_brush_size(12)
    return win


def polyline_distance(shape, points):
    return np.min([distance_to_segment(shape, a, b) for a, b in zip(points, points[1:], strict=False)], axis=0)


def test_stroke_sets_pixels_where_drawn_and_nowhere_else(qtbot, window):
    mask = window.document.mask
    points = drag(qtbot, window.canvas, [(60, 80), (100, 90), (140, 150)])
    distance = polyline_distance(mask.array.shape, points)
    assert mask.array[distance <= 6 - 1.5].all()
    assert not mask.array[distance > 6 + 1.5].any()
    assert window.document.undo_stack.count() == 1
    assert window.isWindowModified()


def test_right_button_and_eraser_tool_erase(qtbot, window):
    mask = window.document.mask
    drag(qtbot, window.canvas, [(40, 120), (200, 120)])
    window.canvas.set_brush_size(20)
    erased = drag(qtbot, window.canvas, [(120, 120)], button=Qt.RightButton)
    assert not mask.array[distance_to_segment(mask.array.shape, erased[0], erased[0]) <= 10 - 1.5].any()
    assert mask.array[120, 50] and mask.array[120, 190]

    qtbot.keyClick(window.canvas, Qt.Key_E)
    assert window.eraser_action.isChecked()
    erased2 = drag(qtbot, window.canvas, [(60, 120)])
    assert not mask.array[distance_to_segment(mask.array.shape, erased2[0], erased2[0]) <= 10 - 1.5].any()
    assert mask.array[120, 190]


def test_lasso_fills_what_it_outlines_as_one_undo_step(qtbot, window):
    mask, canvas = window.document.mask, window.canvas
    qtbot.keyClick(canvas, Qt.Key_L)
    assert window.lasso_action.isChecked()
    outline = drag(qtbot, canvas, [(60, 60), (110, 40), (160, 60), (160, 140), (60, 140)])
    distance = signed_distance_to_polygon(mask.array.shape, outline)
    assert mask.array[distance >= 1].all()
    assert not mask.array[distance <= -1].any()
    assert window.document.undo_stack.count() == 1
    assert window.document.undo_stack.undoText() == "Lasso"
    assert not canvas._lasso_item.isVisible() and not canvas._cursor_item.isVisible()

    inner = drag(qtbot, canvas, [(90, 80), (130, 80), (130, 120), (90, 120)], button=Qt.RightButton)
    assert not mask.array[signed_distance_to_polygon(mask.array.shape, inner) >= 1].any()
    assert mask.array[70, 70] and mask.array[130, 150]
    window.undo_action.trigger()
    assert mask.array[distance >= 1].all()
    window.undo_action.trigger()
    assert not mask.array.any()


def test_escape_drops_a_lasso_and_a_click_fills_nothing(qtbot, window):
    mask, canvas = window.document.mask, window.canvas
    window.lasso_action.trigger()
    viewport = canvas.viewport()
    points = [canvas.mapFromScene(QPointF(x, y)) for x, y in [(40, 40), (150, 50), (120, 150)]]
    qtbot.mousePress(viewport, Qt.LeftButton, Qt.NoModifier, points[0])
    for point in points[1:]:
        qtbot.mouseMove(viewport, point)
    assert canvas._lasso_item.isVisible() and canvas.stroking
    qtbot.keyClick(canvas, Qt.Key_Escape)
    assert not canvas._lasso_item.isVisible() and not canvas.stroking
    qtbot.mouseRelease(viewport, Qt.LeftButton, Qt.NoModifier, points[-1])
    drag(qtbot, canvas, [(80, 80)])
    assert not mask.array.any()
    assert window.document.undo_stack.count() == 0

    window.brush_action.trigger()  # the brush paints again
    drag(qtbot, canvas, [(80, 80)])
    assert mask.array[80, 80]


def test_undo_redo_restores_the_mask_exactly(qtbot, window):
    mask = window.document.mask
    drag(qtbot, window.canvas, [(30, 30), (200, 60)])
    first = mask.copy()
    drag(qtbot, window.canvas, [(100, 20), (110, 230)], button=Qt.LeftButton)
    second = mask.copy()
    window.grow_mask(4)
    grown = mask.copy()
    assert not np.array_equal(first, second) and not np.array_equal(second, grown)

    window.undo_action.trigger()
    np.testing.assert_array_equal(mask.array, second)
    window.undo_action.trigger()
    np.testing.assert_array_equal(mask.array, first)
    window.undo_action.trigger()
    assert not mask.array.any()
    for expected in (first, second, grown):
        window.redo_action.trigger()
        np.testing.assert_array_equal(mask.array, expected)


def test_brush_size_keys_and_slider(qtbot, window):
    canvas = window.canvas
    qtbot.keyClick(canvas, Qt.Key_BracketRight)
    assert canvas.brush_size > 12
    assert window.brush_slider.value() == canvas.brush_size
    qtbot.keyClick(canvas, Qt.Key_BracketLeft)
    qtbot.keyClick(canvas, Qt.Key_BracketLeft)
    assert canvas.brush_size < 12
    window.brush_slider.setValue(33)
    assert canvas.brush_size == 33 and window.brush_label.text() == "33 px"


def test_zoom_keys_wheel_fit_and_actual_size(qtbot, window):
    canvas = window.canvas
    canvas.set_zoom(1.0)
    qtbot.keyClick(canvas, Qt.Key_Plus)
    assert canvas.zoom == pytest.approx(1.25)
    qtbot.keyClick(canvas, Qt.Key_Minus)
    qtbot.keyClick(canvas, Qt.Key_Minus)
    assert canvas.zoom == pytest.approx(0.8)
    center = QPointF(canvas.viewport().rect().center())
    wheel = QWheelEvent(
        center,
        canvas.viewport().mapToGlobal(center),
        QPoint(),
        QPoint(0, 120),
        Qt.NoButton,
        Qt.ControlModifier,
        Qt.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas.viewport(), wheel)
    assert canvas.zoom > 0.8
    window.fit_action.trigger()
    view = canvas.viewport().rect()
    assert 250 * canvas.zoom <= min(view.width(), view.height())
    assert 250 * canvas.zoom >= min(view.width(), view.height()) - 40 or canvas.zoom == 4.0
    window.actual_size_action.trigger()
    assert canvas.zoom == pytest.approx(1.0 / canvas.devicePixelRatioF())


def test_space_drag_pans_without_painting(qtbot, window):
    canvas = window.canvas
    canvas.set_zoom(8.0)
    canvas.centerOn(125, 125)
    h, v = canvas.horizontalScrollBar().value(), canvas.verticalScrollBar().value()
    qtbot.keyPress(canvas, Qt.Key_Space)
    drag(qtbot, canvas, [(125, 125), (115, 110)])
    qtbot.keyRelease(canvas, Qt.Key_Space)
    assert (canvas.horizontalScrollBar().value(), canvas.verticalScrollBar().value()) != (h, v)
    assert not window.document.mask.array.any()
    assert window.document.undo_stack.count() == 0


def test_middle_button_pans(qtbot, window):
    canvas = window.canvas
    canvas.set_zoom(8.0)
    canvas.centerOn(125, 125)
    h = canvas.horizontalScrollBar().value()
    drag(qtbot, canvas, [(125, 125), (110, 125)], button=Qt.MiddleButton)
    assert canvas.horizontalScrollBar().value() > h
    assert not window.document.mask.array.any()


def test_hold_tab_shows_the_original_and_m_hides_the_mask(qtbot, window):
    canvas = window.canvas
    drag(qtbot, canvas, [(50, 50), (100, 100)])
    qtbot.keyPress(canvas, Qt.Key_Tab)
    assert canvas.comparing
    assert canvas.hasFocus()  # Tab did not move the focus away
    qtbot.keyRelease(canvas, Qt.Key_Tab)
    assert not canvas.comparing
    qtbot.keyClick(canvas, Qt.Key_M)
    assert not canvas.mask_visible
    qtbot.keyClick(canvas, Qt.Key_M)
    assert canvas.mask_visible


def test_clear_and_invert_are_undoable_steps(qtbot, window):
    mask = window.document.mask
    drag(qtbot, window.canvas, [(50, 50), (100, 100)])
    painted = mask.copy()
    window.invert_mask_action.trigger()
    np.testing.assert_array_equal(mask.array, 1 - painted)
    window.clear_mask_action.trigger()
    assert not mask.array.any()
    window.undo_action.trigger()
    window.undo_action.trigger()
    np.testing.assert_array_equal(mask.array, painted)


def test_no_two_actions_share_a_shortcut(qtbot, window):
    # Qt fires neither of two actions that share a key: a clash would silently disable both.
    owners = {}
    for action in window.actions():
        for key in action.shortcuts():
            owners.setdefault(key.toString(), []).append(action.text())
    assert {key: names for key, names in owners.items() if len(names) > 1} == {}


def test_shortcuts_and_about_dialogs(qtbot, window):
    shortcuts = window.show_shortcuts()
    texts = {
        shortcuts.table.item(r, 0).text(): shortcuts.table.item(r, 1).text() for r in range(shortcuts.table.rowCount())
    }
    assert "Ctrl+Z" in texts["Undo"]
    assert texts["See the original photo"] == "Hold Tab"
    assert texts["Mirror fill"] == "Ctrl+R"
    shortcuts.reject()
    about = window.show_about()
    from in2_studio.gui.dialogs import about_text

    assert "non-commercial research" in about_text() and "LFW" in about_text()
    about.reject()
    assert "(Ctrl+Z)" in window.undo_action.toolTip()
    assert "(E)" in window.eraser_action.toolTip()
    assert "(L)" in window.lasso_action.toolTip()
