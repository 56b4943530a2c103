"""A person's session in a process of its own, for the crash-recovery test to kill.

    python tests/recovery_driver.py PHOTO WEIGHTS OUT_DIR

Opens PHOTO in the real window, paints a stroke with real mouse events, applies the result (so the base
changes), paints a second stroke, and waits until the recovery copy on disk is up to date. It then saves what
the window holds (base, mask, changed) to OUT_DIR as .npy files, prints READY and keeps running its event
loop, as an app does, until it is killed. Recovery copies go where IN2_RECOVERY_DIR says.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from in2_studio.gui.app import create_application  # noqa: E402


def stroke(canvas, image_points: list[tuple[float, float]]) -> None:
    viewport = canvas.viewport()
    points = [canvas.mapFromScene(QPointF(x, y)) for x, y in image_points]
    QTest.mousePress(viewport, Qt.LeftButton, Qt.NoModifier, points[0])
    for point in points[1:]:
        QTest.mouseMove(viewport, point)
    QTest.mouseRelease(viewport, Qt.LeftButton, Qt.NoModifier, points[-1])


def main(photo: str, weights: str, out: str) -> None:
    torch.set_num_threads(1)
    app = create_application()
    from gui_support import FakePrompts, private_settings

    from in2_studio.gui.main_window import MainWindow

    def wait_until(condition, what: str, timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                sys.exit(f"recovery_driver: timed out waiting for {what}")
            app.processEvents()
            time.sleep(0.005)

    out_dir = Path(out)
    window = MainWindow(settings=private_settings(out_dir, Path(weights)), prompts=FakePrompts())
    window.resize(900, 700)
    window.show()
    assert window.open_file(photo)
    window.canvas.set_zoom(2.0)
    window.canvas.set_brush_size(16)

    stroke(window.canvas, [(60, 100), (120, 100)])
    wait_until(window.apply_action.isEnabled, "the first result")
    window.apply_result()
    stroke(window.canvas, [(150, 170), (200, 180)])
    wait_until(lambda: window.apply_action.isEnabled() and not window.worker.busy, "the second result")
    wait_until(window.recovery.is_up_to_date, "the recovery copy")

    document = window.document
    assert document.changed.any() and document.mask.array.any() and document.is_modified()
    np.save(out_dir / "base.npy", document.base)
    np.save(out_dir / "mask.npy", document.mask.array)
    np.save(out_dir / "changed.npy", document.changed)
    print("READY", window.recovery.folder, flush=True)
    app.exec()  # a person still at work, until the kill


if __name__ == "__main__":
    main(*sys.argv[1:4])
