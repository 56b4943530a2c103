"""Crash recovery: a session killed mid-edit is offered back at the next start and restored exactly; copies
are written at most every few seconds, only while there are unsaved changes, and a clean close removes them."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from gui_support import FACE_JPEG, FakePrompts, drag, make_window  # noqa: E402
from PySide6.QtCore import QLockFile  # noqa: E402

from in2_studio.gui.commands import ApplyResultCommand  # noqa: E402
from in2_studio.gui.recovery import LOCK_FILE, RECOVERY_DIR_ENV, SESSION_FILE  # noqa: E402
from in2_studio.imaging import read_image  # noqa: E402

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


class RecoveryPrompts(FakePrompts):
    def __init__(self, restore: bool):
        super().__init__()
        self.restore_answer = restore
        self.restore_asked: list[str] = []

    def restore_session(self, name: str, saved_at: float) -> bool:
        self.restore_asked.append(name)
        assert abs(time.time() - saved_at) < 600
        return self.restore_answer


def sessions(root: Path) -> list[Path]:
    return sorted(root.glob("session-*")) if root.is_dir() else []


@pytest.fixture(scope="module")
def killed_session(tmp_path_factory, tiny_weights):
    """Run a person's session in another process, kill it (SIGKILL) mid-session, and return what it left:
    (recovery folder, the photo it edited, the expected base, mask and changed arrays)."""
    folder = tmp_path_factory.mktemp("killed")
    photo = folder / "photo.jpg"
    shutil.copy(FACE_JPEG, photo)
    root = folder / "recovery"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", **{RECOVERY_DIR_ENV: str(root)})
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(TESTS), env.get("PYTHONPATH", "")])
    process = subprocess.Popen(
        [sys.executable, str(TESTS / "recovery_driver.py"), str(photo), str(tiny_weights), str(folder)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()  # blocks until READY, or until the driver dies
        assert line.startswith("READY"), f"the driver failed: {line!r} {process.stderr.read()}"
        assert process.poll() is None  # still running: a person at work
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    left = sessions(root)
    assert len(left) == 1 and (left[0] / SESSION_FILE).is_file() and (left[0] / LOCK_FILE).is_file()
    expected = {name: np.load(folder / f"{name}.npy") for name in ("base", "mask", "changed")}
    return root, photo, expected


@pytest.fixture
def leftover(killed_session, tmp_path, monkeypatch):
    """A fresh copy of the killed session's folder (lock file included) for this test to restore or discard."""
    root, photo, expected = killed_session
    copy = tmp_path / "recovery"
    shutil.copytree(root, copy)
    monkeypatch.setenv(RECOVERY_DIR_ENV, str(copy))
    return copy, photo, expected


def test_a_killed_session_is_offered_at_the_next_start_and_restored_exactly(qtbot, tmp_path, leftover, tiny_weights):
    root, photo, expected = leftover
    prompts = RecoveryPrompts(restore=True)
    window = make_window(qtbot, tmp_path, weights=tiny_weights, prompts=prompts)
    window.auto_action.setChecked(False)  # the restored mask stays as it is, with no job to wait for

    assert window.offer_recovery()
    assert prompts.restore_asked == ["photo.jpg"]
    document = window.document
    assert document.source_path == photo
    np.testing.assert_array_equal(document.original, read_image(photo).rgb)
    np.testing.assert_array_equal(document.base, expected["base"])  # the applied result is back
    np.testing.assert_array_equal(document.changed, expected["changed"])
    np.testing.assert_array_equal(document.mask.array, expected["mask"])  # and the last stroke
    assert not np.array_equal(expected["base"], document.original)
    assert window.isWindowModified()  # restored work is not saved work

    # The old copy is gone; the window's own copy holds the restored work already.
    [own] = sessions(root)
    assert own == window.recovery.folder and window.recovery.is_up_to_date()
    # A second window (another app running at the same time) is not offered what this one owns.
    other = make_window(qtbot, tmp_path / "other", weights=tiny_weights, prompts=RecoveryPrompts(restore=True))
    assert not other.offer_recovery() and other.prompts.restore_asked == []

    # Saving it and closing cleanly leaves nothing behind.
    assert window.save_to(tmp_path / "repaired.png")
    window.close()
    assert sessions(root) == []


def test_a_declined_session_is_discarded_and_not_asked_again(qtbot, tmp_path, leftover, tiny_weights):
    root, _, _ = leftover
    prompts = RecoveryPrompts(restore=False)
    window = make_window(qtbot, tmp_path, weights=tiny_weights, prompts=prompts)
    assert not window.offer_recovery()
    assert prompts.restore_asked == ["photo.jpg"] and window.document is None
    assert sessions(root) == []
    assert not window.offer_recovery() and prompts.restore_asked == ["photo.jpg"]


def test_run_app_offers_the_session_in_a_real_dialog(tmp_path, leftover):
    root, _, expected = leftover
    script = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from in2_studio.gui.app import create_application, run_app
from in2_studio.gui.settings import Settings

app = create_application()
Settings().auto_mode = False  # no job: there are no shipped weights here, whose error would be a dialog too

def answer():
    box = QApplication.activeModalWidget()
    if not isinstance(box, QMessageBox):
        QTimer.singleShot(20, answer)
        return
    print("ASKED", box.text())
    next(b for b in box.buttons() if b.text() == "Restore").click()
    QTimer.singleShot(200, report)

def report():
    window = next(w for w in QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow")
    print("MASK", int(window.document.mask.array.sum()))
    window.document.undo_stack.setClean()  # as if saved: quitting closes the window without a question
    app.quit()

QTimer.singleShot(0, answer)
sys.exit(run_app())
"""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path), HOME=str(tmp_path))
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    assert "ASKED IN² Studio did not close properly. Restore the unsaved work on photo.jpg" in done.stdout
    assert f"MASK {int(expected['mask'].sum())}" in done.stdout
    assert sessions(root) == []


# ---------------------------------------------------------------- in one process


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "recovery"
    monkeypatch.setenv(RECOVERY_DIR_ENV, str(folder))
    return folder


@pytest.fixture
def window(qtbot, tmp_path, root, tiny_weights):
    win = make_window(qtbot, tmp_path, weights=tiny_weights)
    win.auto_action.setChecked(False)
    win.canvas.set_zoom(2.0)
    win.canvas.set_brush_size(10)
    return win


def test_copies_are_written_at_most_every_interval_and_hold_the_latest_mask(qtbot, window, root):
    interval_s = 0.4
    window.recovery.interval_ms = int(interval_s * 1000)
    writes = []
    window.recovery.written.connect(lambda: writes.append(time.monotonic()))
    assert window.open_file(FACE_JPEG)
    assert not writes and sessions(root) == []  # nothing to keep before the first change

    start = time.monotonic()
    strokes = 0
    while time.monotonic() - start < 1.5:  # a person painting without a pause
        y = 20 + 8 * strokes
        drag(qtbot, window.canvas, [(30, y), (200, y)])
        strokes += 1
        qtbot.wait(30)
    elapsed = time.monotonic() - start
    qtbot.waitUntil(window.recovery.is_up_to_date, timeout=5000)

    assert strokes >= 10
    assert 2 <= len(writes) <= elapsed / interval_s + 2  # a copy now and then while painting, not per stroke
    [folder] = sessions(root)
    record = json.loads((folder / SESSION_FILE).read_text())
    assert record["base"] is None  # the photo's own file still holds the base: it is not copied
    assert record["source"] == str(FACE_JPEG)
    kept = np.asarray(read_image(folder / record["mask"]).rgb[:, :, 0] >= 128)
    np.testing.assert_array_equal(kept, window.document.mask.array.astype(bool))
    # Only the latest copy is kept, and no temporary file.
    assert sorted(p.name for p in folder.iterdir()) == sorted([LOCK_FILE, SESSION_FILE, record["mask"]])


def test_a_saved_session_needs_no_copy_and_a_clean_close_removes_the_folder(qtbot, window, root, tmp_path):
    window.recovery.interval_ms = 50
    assert window.open_file(FACE_JPEG)
    drag(qtbot, window.canvas, [(40, 40), (120, 60)])
    qtbot.waitUntil(window.recovery.is_up_to_date, timeout=5000)
    [folder] = sessions(root)
    assert (folder / SESSION_FILE).is_file()

    assert window.save_to(tmp_path / "saved.png")  # nothing unsaved: nothing to recover
    qtbot.waitUntil(lambda: not (folder / SESSION_FILE).exists(), timeout=5000)
    drag(qtbot, window.canvas, [(40, 140), (120, 160)])  # unsaved again
    qtbot.waitUntil(lambda: (folder / SESSION_FILE).exists(), timeout=5000)

    window.close()
    assert sessions(root) == []


def test_an_applied_base_is_kept_and_restored_even_when_the_photo_is_gone(qtbot, window, root, tmp_path):
    photo = tmp_path / "gone.jpg"
    shutil.copy(FACE_JPEG, photo)
    assert window.open_file(photo)
    document = window.document
    result = document.base.copy()
    result[50:90, 60:120] = (10, 200, 30)
    drag(qtbot, window.canvas, [(60, 70), (110, 70)])  # a mask, then its result applied
    document.undo_stack.push(ApplyResultCommand(document, result))
    drag(qtbot, window.canvas, [(150, 150), (180, 190)])
    window.recovery.write_now().result()
    expected_base, expected_mask = document.base.copy(), document.mask.copy()
    record = json.loads((window.recovery.folder / SESSION_FILE).read_text())
    assert record["base"] and record["changed"]

    leftover = abandoned_copy(window.recovery.folder, root)
    photo.unlink()
    prompts = RecoveryPrompts(restore=True)
    again = make_window(qtbot, tmp_path / "again", weights=None, prompts=prompts)
    again.auto_action.setChecked(False)
    assert again.offer_recovery() and not prompts.errors
    np.testing.assert_array_equal(again.document.base, expected_base)
    np.testing.assert_array_equal(again.document.mask.array, expected_mask)
    assert again.document.source_path is None  # like a pasted image: Save asks where
    assert not leftover.exists()


def test_a_session_that_relied_on_a_photo_now_gone_says_so(qtbot, window, root, tmp_path):
    photo = tmp_path / "soon-gone.jpg"
    shutil.copy(FACE_JPEG, photo)
    assert window.open_file(photo)
    drag(qtbot, window.canvas, [(60, 70), (110, 70)])
    window.recovery.write_now().result()
    leftover = abandoned_copy(window.recovery.folder, root)
    photo.unlink()

    prompts = RecoveryPrompts(restore=True)
    again = make_window(qtbot, tmp_path / "again", weights=None, prompts=prompts)
    assert not again.offer_recovery()
    [(title, message)] = prompts.errors
    assert title == "Cannot restore the unsaved work" and "soon-gone.jpg is gone" in message
    assert again.document is None and not leftover.exists()


def test_a_copy_that_cannot_be_written_is_reported_in_the_status_bar(qtbot, tmp_path, monkeypatch, tiny_weights):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the recovery folder should be")
    monkeypatch.setenv(RECOVERY_DIR_ENV, str(blocker / "recovery"))
    window = make_window(qtbot, tmp_path, weights=tiny_weights)
    window.auto_action.setChecked(False)
    window.recovery.interval_ms = 50
    problems = []
    window.recovery.problem.connect(problems.append)
    assert window.open_file(FACE_JPEG)
    window.canvas.set_zoom(2.0)
    drag(qtbot, window.canvas, [(40, 40), (120, 60)])
    qtbot.waitUntil(lambda: "Cannot keep a recovery copy" in window.stage_label.text(), timeout=5000)
    assert "not-a-folder" in window.stage_label.text()
    drag(qtbot, window.canvas, [(40, 140), (120, 160)])  # the work goes on; the message is not repeated
    qtbot.wait(300)
    assert window.document.mask.array[150, 80] and not window.prompts.errors and len(problems) == 1


def abandoned_copy(folder: Path, root: Path) -> Path:
    """What a crash leaves: the session's files under a folder whose lock no running app holds."""
    copy = root / "session-0-abandoned"
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(LOCK_FILE))
    lock = QLockFile(str(copy / LOCK_FILE))
    assert lock.tryLock(0)  # nobody holds it
    lock.unlock()
    return copy
