"""The window's chrome: actions with shortcuts and tooltips, menus, the toolbar and the status bar.

Built the way Qt Designer's setupUi builds a window: functions that create the widgets and actions and
set them on the window, so main_window.py keeps to what the window does.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import qtawesome as qta
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import QLabel, QProgressBar, QSlider, QSpinBox, QToolBar, QWidget

from in2_studio.gui.canvas import Tool

if TYPE_CHECKING:
    from in2_studio.gui.main_window import MainWindow

ICON_COLOR = "#d8dadf"
ICON_DISABLED = "#62656b"


def icon(name: str) -> QIcon:
    """A Material Design icon from qtawesome, light on the dark theme."""
    try:
        return qta.icon(f"mdi6.{name}", color=ICON_COLOR, color_disabled=ICON_DISABLED)
    except Exception:  # an icon font without this glyph must not stop the app
        return QIcon()


def app_icon() -> QIcon:
    return qta.icon("mdi6.face-recognition", color="#ff5a7a")


def build_ui(window: MainWindow) -> None:
    _create_actions(window)
    _create_menus(window)
    _create_toolbar(window)
    _create_status_bar(window)


def _action(
    window: MainWindow,
    text: str,
    slot=None,
    shortcuts: tuple[str, ...] = (),
    icon_name: str | None = None,
    tip: str | None = None,
    checkable: bool = False,
) -> QAction:
    action = QAction(text, window)
    keys = [QKeySequence(k) for k in shortcuts]  # Ctrl is Cmd on macOS
    action.setShortcuts(keys)
    if icon_name:
        action.setIcon(icon(icon_name))
    action.setCheckable(checkable)
    described = tip or text.replace("&", "").rstrip("…")
    if keys:
        described += f" ({keys[0].toString(QKeySequence.NativeText)})"
    action.setToolTip(described)
    action.setStatusTip(tip or "")
    if slot is not None:
        (action.toggled if checkable else action.triggered).connect(slot)
    window.addAction(action)  # shortcuts work with the toolbar and menus hidden too
    return action


def _create_actions(window: MainWindow) -> None:
    a = functools.partial(_action, window)
    window.open_action = a("&Open…", window.open_dialog, ("Ctrl+O",), "folder-open-outline", "Open a photo")
    window.paste_action = a(
        "&Paste image", window.paste_image, ("Ctrl+V", "Shift+Ins"), None, "Open the clipboard's image"
    )
    window.save_action = a("&Save", window.save, ("Ctrl+S",), "content-save-outline", "Save the repaired photo")
    window.save_as_action = a("Save &as…", window.save_as, ("Ctrl+Shift+S",), None, "Save under a new name")
    window.export_action = a(
        "&Export a copy…", window.export_copy, ("Ctrl+Shift+E",), "export", "Export to PNG, JPEG or WebP"
    )
    window.copy_action = a(
        "&Copy image", window.copy_image, ("Ctrl+C",), "content-copy", "Copy the repaired image to the clipboard"
    )
    window.load_mask_action = a("&Load mask…", window.load_mask_dialog, ("Ctrl+Shift+L",), None, "Load a mask PNG")
    window.save_mask_action = a(
        "Save mas&k…", window.save_mask_dialog, ("Ctrl+Shift+M",), None, "Save the mask as a PNG"
    )
    window.quit_action = a("&Quit", window.close, ("Ctrl+Q",), None, "Quit IN² Studio")

    window.undo_action = window.undo_group.createUndoAction(window, "&Undo")
    window.undo_action.setShortcuts([QKeySequence("Ctrl+Z")])
    window.undo_action.setIcon(icon("undo"))
    window.undo_action.setToolTip("Undo (Ctrl+Z)")
    window.redo_action = window.undo_group.createRedoAction(window, "&Redo")
    window.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    window.redo_action.setIcon(icon("redo"))
    window.redo_action.setToolTip("Redo (Ctrl+Shift+Z)")
    window.addAction(window.undo_action)
    window.addAction(window.redo_action)

    window.inpaint_action = a(
        "&Inpaint now",
        window.run_inpaint,
        ("Ctrl+Return", "Ctrl+Enter"),
        "play-circle-outline",
        "Fill the masked area",
    )
    window.mirror_fill_action = a(
        "&Mirror fill",
        window.run_mirror_fill,
        ("Ctrl+R",),
        "flip-horizontal",
        "Fill from the other side of the face, mirrored: an eye from the other eye",
    )
    window.stop_action = a(
        "&Stop inpainting", window.stop_inpaint, ("Esc",), "stop-circle-outline", "Stop the running job"
    )
    window.stop_action.setEnabled(False)
    window.auto_action = a("&Live inpainting", None, (), "auto-fix", "Inpaint when a stroke ends", True)
    window.auto_action.setChecked(window.settings.auto_mode)
    window.auto_action.toggled.connect(window.set_auto_mode)
    window.grain_action = a(
        "Photo's &grain", None, (), "grain", "Lay the photo's own fine grain over the network's fill", True
    )
    window.grain_action.setChecked(window.settings.grain)
    window.grain_action.toggled.connect(window.set_grain)
    window.apply_action = a(
        "&Apply result",
        window.apply_result,
        ("Ctrl+Shift+Return",),
        "check-bold",
        "Make the result the new base image",
    )
    window.preferences_action = a("Pre&ferences…", window.show_preferences, ("Ctrl+,",), "cog-outline")

    def tool_action(text: str, tool: Tool, key: str, tip: str) -> QAction:
        return a(text, lambda on: on and window.canvas.set_tool(tool), (key,), tool.value, tip, True)

    window.brush_action = tool_action("&Brush", Tool.BRUSH, "B", "Brush: paint the mask")
    window.eraser_action = tool_action("&Eraser", Tool.ERASER, "E", "Eraser: erase the mask")
    window.lasso_action = tool_action(
        "&Lasso", Tool.LASSO, "L", "Lasso: draw around an area to fill it (right button: to clear it; Esc drops it)"
    )
    tools = QActionGroup(window)
    for action in (window.brush_action, window.eraser_action, window.lasso_action):
        tools.addAction(action)
    window.brush_action.setChecked(True)
    window.bigger_action = a("Bigger brush", lambda: window.scale_brush(1.2), ("]",), None, "Bigger brush")
    window.smaller_action = a("Smaller brush", lambda: window.scale_brush(1 / 1.2), ("[",), None, "Smaller brush")
    window.show_mask_action = a(
        "Show &mask", window.canvas.set_mask_visible, ("M",), "eye-outline", "Show or hide the mask", True
    )
    window.show_mask_action.setChecked(True)
    window.clear_mask_action = a("&Clear mask", window.clear_mask, ("Delete",), "selection-remove", "Clear the mask")
    window.invert_mask_action = a("&Invert mask", window.invert_mask, ("Ctrl+I",), "invert-colors", "Invert the mask")
    window.grow_mask_action = a(
        "&Grow mask",
        lambda: window.grow_mask(window.grow_spin.value()),
        ("G",),
        "arrow-expand-all",
        "Grow the mask by N pixels",
    )
    window.shrink_mask_action = a(
        "S&hrink mask",
        lambda: window.shrink_mask(window.grow_spin.value()),
        ("Shift+G",),
        "arrow-collapse-all",
        "Shrink the mask by N pixels",
    )

    window.zoom_in_action = a("Zoom &in", window.canvas.zoom_in, ("+", "=", "Ctrl++", "Ctrl+="), "magnify-plus-outline")
    window.zoom_out_action = a("Zoom &out", window.canvas.zoom_out, ("-", "Ctrl+-"), "magnify-minus-outline")
    window.fit_action = a("&Fit to window", window.canvas.fit_to_window, ("F", "Ctrl+0"), "fit-to-screen-outline")
    window.actual_size_action = a(
        "&100 %", window.canvas.actual_size, ("1", "Ctrl+1"), "numeric-1-box-outline", "Actual size"
    )
    window.compare_action = a(
        "Show the &original", window.set_comparing, (), "compare", "Show the original photo (hold Tab)", True
    )

    window.device_group = QActionGroup(window)
    window.device_actions: dict[str, QAction] = {}
    for name, label in (("auto", "&Automatic"), ("cpu", "&CPU"), ("cuda", "CU&DA (GPU)")):
        action = QAction(label, window, checkable=True)
        action.setData(name)
        window.device_group.addAction(action)
        window.device_actions[name] = action
    window.device_actions["cuda"].setVisible(False)  # until the worker finds a CUDA device
    window.device_actions.get(window.settings.device, window.device_actions["auto"]).setChecked(True)
    window.device_group.triggered.connect(window.choose_device)

    window.shortcuts_action = a("&Keyboard shortcuts", window.show_shortcuts, ("F1",), "keyboard-outline")
    window.about_action = a("&About IN² Studio", window.show_about, (), "information-outline")


def _create_menus(window: MainWindow) -> None:
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(window.open_action)
    window.recent_menu = file_menu.addMenu("Open &recent")
    window.recent_menu.aboutToShow.connect(window.fill_recent_menu)
    file_menu.addAction(window.paste_action)
    file_menu.addSeparator()
    for action in (window.save_action, window.save_as_action, window.export_action):
        file_menu.addAction(action)
    file_menu.addSeparator()
    file_menu.addAction(window.load_mask_action)
    file_menu.addAction(window.save_mask_action)
    file_menu.addSeparator()
    file_menu.addAction(window.quit_action)

    edit_menu = bar.addMenu("&Edit")
    for action in (
        window.undo_action,
        window.redo_action,
        None,
        window.copy_action,
        None,
        window.inpaint_action,
        window.mirror_fill_action,
        window.stop_action,
        window.auto_action,
        window.grain_action,
        window.apply_action,
        None,
        window.preferences_action,
    ):
        edit_menu.addAction(action) if action else edit_menu.addSeparator()

    mask_menu = bar.addMenu("&Mask")
    for action in (
        window.brush_action,
        window.eraser_action,
        window.lasso_action,
        window.bigger_action,
        window.smaller_action,
        None,
        window.show_mask_action,
        window.clear_mask_action,
        window.invert_mask_action,
        window.grow_mask_action,
        window.shrink_mask_action,
    ):
        mask_menu.addAction(action) if action else mask_menu.addSeparator()

    view_menu = bar.addMenu("&View")
    for action in (window.zoom_in_action, window.zoom_out_action, window.fit_action, window.actual_size_action, None):
        view_menu.addAction(action) if action else view_menu.addSeparator()
    view_menu.addAction(window.compare_action)

    device_menu = bar.addMenu("&Device")
    for action in window.device_actions.values():
        device_menu.addAction(action)

    help_menu = bar.addMenu("&Help")
    help_menu.addAction(window.shortcuts_action)
    help_menu.addAction(window.about_action)


def _create_toolbar(window: MainWindow) -> None:
    bar = QToolBar("Tools", window)
    bar.setObjectName("tools")
    bar.setMovable(False)
    bar.setIconSize(QSize(20, 20))
    bar.setToolButtonStyle(Qt.ToolButtonIconOnly)
    window.addToolBar(Qt.TopToolBarArea, bar)
    for action in (window.open_action, window.save_action, None, window.undo_action, window.redo_action, None):
        bar.addAction(action) if action else bar.addSeparator()
    bar.addAction(window.brush_action)
    bar.addAction(window.eraser_action)
    bar.addAction(window.lasso_action)

    window.brush_slider = QSlider(Qt.Horizontal)
    window.brush_slider.setRange(1, 400)
    window.brush_slider.setFixedWidth(150)
    window.brush_slider.setFocusPolicy(Qt.NoFocus)
    window.brush_slider.setValue(window.canvas.brush_size)
    window.brush_slider.setToolTip("Brush size in photo pixels ([ smaller, ] bigger)")
    window.brush_label = QLabel()
    window.brush_label.setMinimumWidth(52)
    bar.addWidget(_padded(QLabel(" Size ")))
    bar.addWidget(window.brush_slider)
    bar.addWidget(window.brush_label)
    bar.addSeparator()

    for action in (window.show_mask_action, window.clear_mask_action, window.invert_mask_action):
        bar.addAction(action)
    bar.addAction(window.grow_mask_action)
    bar.addAction(window.shrink_mask_action)
    window.grow_spin = QSpinBox()
    window.grow_spin.setRange(1, 200)
    window.grow_spin.setSuffix(" px")
    window.grow_spin.setValue(window.settings.grow_pixels)
    window.grow_spin.setToolTip("How many pixels Grow (G) and Shrink (Shift+G) move the mask's edge")
    window.grow_spin.setFocusPolicy(Qt.ClickFocus)
    bar.addWidget(window.grow_spin)
    bar.addSeparator()

    for action in (
        window.inpaint_action,
        window.mirror_fill_action,
        window.stop_action,
        window.auto_action,
        window.apply_action,
        window.compare_action,
        None,
    ):
        bar.addAction(action) if action else bar.addSeparator()
    for action in (window.zoom_out_action, window.zoom_in_action, window.fit_action, window.actual_size_action):
        bar.addAction(action)


def _create_status_bar(window: MainWindow) -> None:
    status = window.statusBar()
    window.busy_bar = QProgressBar()
    window.busy_bar.setRange(0, 0)  # indeterminate: the stream has two stages, not a percentage
    window.busy_bar.setFixedWidth(110)
    window.busy_bar.setMaximumHeight(14)
    window.busy_bar.setTextVisible(False)
    window.busy_bar.setVisible(False)
    window.stage_label = QLabel("Ready")
    window.device_label = QLabel()
    window.size_label = QLabel()
    window.zoom_label = QLabel()
    status.addWidget(window.stage_label, 1)
    status.addPermanentWidget(window.busy_bar)
    for label in (window.size_label, window.zoom_label, window.device_label):
        label.setContentsMargins(8, 0, 8, 0)
        status.addPermanentWidget(label)


def _padded(widget: QWidget) -> QWidget:
    widget.setContentsMargins(6, 0, 2, 0)
    return widget
