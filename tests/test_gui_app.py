"""`run_app` as `in2-studio IMAGE` starts it: a window opens the photo given on the command line."""

import os
import subprocess
import sys
from pathlib import Path

from gui_support import FACE_JPEG

REPO = Path(__file__).resolve().parents[1]
SCRIPT = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from in2_studio.gui.app import create_application, run_app

app = create_application()

def report_and_quit():
    window = next(w for w in QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow")
    print("TITLE", window.windowTitle())
    print("SIZE", window.document.width, window.document.height)
    app.quit()

QTimer.singleShot(1500, report_and_quit)
sys.exit(run_app(sys.argv[1]))
"""


def test_run_app_opens_the_photo_from_the_command_line(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path), HOME=str(tmp_path))
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(FACE_JPEG)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert f"TITLE {FACE_JPEG.name}" in done.stdout
    assert "SIZE 250 250" in done.stdout
