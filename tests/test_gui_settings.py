"""Preferences, the Device menu and QSettings: what a person chooses is used and kept."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from gui_support import make_window  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from in2_studio import DEFAULT_WORKING_SIZE  # noqa: E402
from in2_studio.gui.settings import MAX_RECENT_FILES, Settings  # noqa: E402


def test_settings_round_trip_through_an_ini_file(tmp_path):
    path = str(tmp_path / "s.ini")
    settings = Settings(QSettings(path, QSettings.IniFormat))
    assert settings.auto_mode is True and settings.device == "auto"
    assert settings.working_size == DEFAULT_WORKING_SIZE == 192
    settings.weights_path = "/w/model.safetensors"
    settings.working_size = 768
    settings.device = "cpu"
    settings.auto_mode = False
    settings.brush_size = 55
    for i in range(MAX_RECENT_FILES + 3):
        settings.add_recent_file(tmp_path / f"photo{i}.jpg")
    settings.sync()

    again = Settings(QSettings(path, QSettings.IniFormat))
    assert again.weights_path == "/w/model.safetensors"
    assert again.working_size == 768 and again.device == "cpu" and again.auto_mode is False
    assert again.brush_size == 55
    recent = again.recent_files
    assert len(recent) == MAX_RECENT_FILES and recent[0].endswith(f"photo{MAX_RECENT_FILES + 2}.jpg")
    again.device = "tpu"  # not a device we know: back to automatic
    assert again.device == "auto"


def test_preferences_dialog_changes_the_engine_configuration(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, weights=None)
    configured = []
    window.worker.configure = configured.append
    dialog = window.show_preferences()
    dialog.set_values(str(tmp_path / "mine.safetensors"), 384)
    dialog.accept()
    assert window.settings.weights_path == str(tmp_path / "mine.safetensors")
    assert window.settings.working_size == 384
    assert configured[-1].weights == str(tmp_path / "mine.safetensors") and configured[-1].working_size == 384


def test_device_menu_offers_cuda_only_when_available(qtbot, tmp_path):
    import torch

    window = make_window(qtbot, tmp_path, weights=None)
    with qtbot.waitSignal(window.worker.cudaAvailable, timeout=30000, raising=False):
        pass
    qtbot.waitUntil(lambda: window.device_actions["cuda"].isVisible() == torch.cuda.is_available(), timeout=30000)
    configured = []
    window.worker.configure = configured.append
    window.device_actions["cpu"].trigger()
    assert window.settings.device == "cpu" and configured[-1].device == "cpu"
    window.device_actions["auto"].trigger()
    assert window.settings.device == "auto" and configured[-1].device == "auto"


def test_live_mode_toggle_is_remembered(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, weights=None)
    assert window.auto_action.isChecked()
    window.auto_action.setChecked(False)
    assert window.settings.auto_mode is False
