"""Helpers shared by the GUI tests: scripted dialog answers, a window on a private settings file, real
mouse strokes through qtbot, and an inpainter that can be held between its stages."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Recovery copies of test windows go to a folder of this run, never to the person's own app-data folder.
os.environ.setdefault("IN2_RECOVERY_DIR", tempfile.mkdtemp(prefix="in2-recovery-tests-"))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt  # noqa: E402

from in2_studio.gui.dialogs import UnsavedChoice  # noqa: E402
from in2_studio.gui.settings import Settings  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
FACE_JPEG = DATA / "lfw" / "Aaron_Eckhart" / "Aaron_Eckhart_0001.jpg"
CELEBA_DIR = DATA / "celeba-200id" / "test"


class FakePrompts:
    """Answers the window's questions from a script and records every question asked."""

    def __init__(self):
        self.errors: list[tuple[str, str]] = []
        self.confirms: list[str] = []
        self.unsaved_asked = 0
        self.confirm_answer = False
        self.unsaved_answer = UnsavedChoice.DISCARD
        self.open_answer: str | None = None
        self.save_answer: str | None = None

    def error(self, title: str, message: str) -> None:
        self.errors.append((title, message))

    def info(self, title: str, message: str) -> None:
        pass

    def confirm(self, title: str, message: str, action: str = "OK") -> bool:
        self.confirms.append(message)
        return self.confirm_answer

    def unsaved_changes(self, name: str) -> UnsavedChoice:
        self.unsaved_asked += 1
        return self.unsaved_answer

    def open_path(self, folder: str, title: str = "", file_filter: str = "") -> str | None:
        return self.open_answer

    def save_path(self, suggested: str, title: str = "", file_filter: str = "") -> str | None:
        return self.save_answer


def private_settings(tmp_path: Path, weights: Path | None) -> Settings:
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    if weights is not None:
        settings.weights_path = str(weights)
    settings.device = "cpu"
    settings.working_size = 256
    return settings


def make_window(qtbot, tmp_path: Path, weights: Path | None, worker=None, prompts=None):
    from in2_studio.gui.main_window import MainWindow

    window = MainWindow(settings=private_settings(tmp_path, weights), worker=worker, prompts=prompts or FakePrompts())
    window.resize(900, 700)
    qtbot.addWidget(window, before_close_func=_discard_changes)
    window.show()
    qtbot.waitExposed(window)
    return window


def _discard_changes(window) -> None:
    window.prompts = FakePrompts()  # answers "discard" so teardown never blocks on a question
    window.worker.shutdown()


def drag(qtbot, canvas, image_points: list[tuple[float, float]], button=Qt.LeftButton) -> list[tuple[float, float]]:
    """Press, move through and release at `image_points` (photo pixels) with real mouse events.

    Returns the photo coordinates the canvas actually received (view positions are whole pixels).
    """
    viewport = canvas.viewport()
    view_points = [canvas.mapFromScene(QPointF(x, y)) for x, y in image_points]
    qtbot.mousePress(viewport, button, Qt.NoModifier, view_points[0])
    for point in view_points[1:]:
        qtbot.mouseMove(viewport, point)
    qtbot.mouseRelease(viewport, button, Qt.NoModifier, view_points[-1])
    return [canvas.image_point(QPointF(QPoint(p))) for p in view_points]


class GatedInpainter:
    """The real Inpainter, held after its preview until `gate` opens: lets a test act mid-job."""

    def __init__(self, inpainter, gate: threading.Event):
        self._inpainter = inpainter
        self._gate = gate
        self.stages_per_job: list[list[str]] = []

    @property
    def device(self) -> str:
        return self._inpainter.device

    def stream(self, image, mask, cancel=None):
        names: list[str] = []
        self.stages_per_job.append(names)
        for stage in self._inpainter.stream(image, mask, cancel=cancel):
            names.append(stage.name)
            yield stage
            if stage.name == "preview":
                self._gate.wait(timeout=10)


def distance_to_segment(shape, p0, p1):
    """Each pixel's distance to the segment p0-p1 (x, y), for checking where a brush painted."""
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]].astype(float)
    a, b = np.array(p0, float), np.array(p1, float)
    d = b - a
    t = np.clip(((xs - a[0]) * d[0] + (ys - a[1]) * d[1]) / max(d @ d, 1e-9), 0, 1)
    return np.hypot(xs - (a[0] + t * d[0]), ys - (a[1] + t * d[1]))


def signed_distance_to_polygon(shape, points):
    """For every pixel centre: its distance to the outline, positive inside (cv2's geometric test, not a raster)."""
    contour = np.asarray(points, np.float32).reshape(-1, 1, 2)
    h, w = shape
    return np.array([[cv2.pointPolygonTest(contour, (float(x), float(y)), True) for x in range(w)] for y in range(h)])


class FlakyEngine:
    """A real engine, except that its first job raises `error`, as a bug would; `jobs` counts the jobs."""

    device = "cpu"

    def __init__(self, engine, error: Exception):
        self.engine = engine
        self.error = error
        self.jobs = 0

    def stream(self, image, mask, cancel=None):
        self.jobs += 1
        if self.jobs == 1:
            raise self.error
        yield from self.engine.stream(image, mask, cancel)
