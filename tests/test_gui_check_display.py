"""`make run`'s check: a clear message when there is no display or a library Qt needs is missing."""

import os
import subprocess
import sys

import pytest

from in2_studio.gui import check_display


def test_no_display_is_reported():
    message = check_display.check({"PATH": "/usr/bin"}, platform="linux")
    assert message is not None
    assert "DISPLAY" in message and "WAYLAND_DISPLAY" in message and "xvfb" in message


def test_offscreen_and_other_systems_need_nothing():
    assert check_display.check({"QT_QPA_PLATFORM": "offscreen"}, platform="linux") is None
    assert check_display.check({}, platform="win32") is None
    assert check_display.check({}, platform="darwin") is None


def test_a_missing_library_names_its_package(monkeypatch):
    monkeypatch.setattr(check_display, "missing_libraries", lambda libs: ["libxcb-cursor.so.0"])
    message = check_display.check({"DISPLAY": ":0"}, platform="linux")
    assert "libxcb-cursor.so.0" in message
    assert "apt-get install -y libxcb-cursor0" in message


def test_an_unlisted_library_found_by_loading_the_plugin(monkeypatch):
    monkeypatch.setattr(check_display, "missing_libraries", lambda libs: [])
    monkeypatch.setattr(
        check_display, "plugin_load_error", lambda name: "libfoo-bar.so.3: cannot open shared object file"
    )
    message = check_display.check({"DISPLAY": ":0"}, platform="linux")
    assert "libfoo-bar.so.3" in message and "package that provides" in message


def test_missing_libraries_detects_a_library_that_is_not_there():
    assert check_display.missing_libraries({"libdefinitely-not-here.so.9": "x"}) == ["libdefinitely-not-here.so.9"]
    assert check_display.missing_libraries({"libc.so.6": "libc6"}) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display check is for Linux")
def test_the_module_exits_1_with_a_message_without_a_display():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run(
        [sys.executable, "-m", "in2_studio.gui.check_display"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "needs a display" in done.stderr
