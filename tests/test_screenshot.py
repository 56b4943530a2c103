"""The README figure's saver: shrinks and reduces the window's picture as asked, and says why it cannot write."""

import pytest
from PIL import Image
from PySide6.QtWidgets import QLabel

from in2_studio.gui.screenshot import main, parse_args, save_picture


def _label(qtbot) -> QLabel:
    label = QLabel("IN² Studio")
    label.setStyleSheet("background: qlineargradient(x1:0, y1:0, x2:1, y2:1, stop:0 #c08060, stop:1 #304050)")
    label.resize(200, 120)
    qtbot.addWidget(label)
    return label


def test_full_size_and_full_colour_by_default(qtbot, tmp_path):
    save_picture(_label(qtbot), tmp_path / "shot.png")
    picture = Image.open(tmp_path / "shot.png")
    assert picture.size == (200, 120)
    assert picture.mode == "RGB"
    assert len(picture.getcolors(maxcolors=200 * 120)) > 16  # the gradient survives


def test_shrunk_to_a_small_palette(qtbot, tmp_path):
    save_picture(_label(qtbot), tmp_path / "shot.png", scale=0.5, colours=16)
    picture = Image.open(tmp_path / "shot.png")
    assert picture.size == (100, 60)
    assert picture.mode == "P"
    assert len(picture.getcolors()) <= 16


def test_unwritable_path_raises(qtbot, tmp_path):
    with pytest.raises(OSError):
        save_picture(_label(qtbot), tmp_path / "missing" / "shot.png")


@pytest.mark.parametrize("option", [["--scale", "0"], ["--scale", "1.5"], ["--colours", "1"], ["--colours", "300"]])
def test_bad_options_are_refused(option, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(option)
    assert exit_info.value.code == 2
    assert f"argument {option[0]}: {option[1]} is not" in capsys.readouterr().err


def test_no_display_is_said_before_qt_aborts(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["--image", "resources/sample/eileen-collins.jpg", "--output", str(tmp_path / "shot.png")]) == 1
    assert "needs a display" in capsys.readouterr().err
    assert not (tmp_path / "shot.png").exists()
