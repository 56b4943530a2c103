"""Live inpainting with the real Inpainter (tiny random weights): preview then final, cancellation by a
new stroke, a responsive event loop, errors shown and survived."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from gui_support import FACE_JPEG, FlakyEngine, GatedInpainter, drag, make_window  # noqa: E402
from PySide6.QtCore import Qt, QTimer  # noqa: E402

from in2_studio.gui.worker import EngineConfig, InpaintWorker  # noqa: E402


@pytest.fixture
def inpainter(tiny_weights):
    from in2_studio.engine import Inpainter

    return Inpainter.load(tiny_weights, device="cpu", working_size=256)


def record(worker):
    events = []
    worker.preview.connect(lambda g, image, s, d: events.append(("preview", g, image)))
    worker.final.connect(lambda g, image, s, d: events.append(("final", g, image)))
    worker.failed.connect(lambda g, message: events.append(("failed", g, message)))
    return events


def test_worker_delivers_preview_then_final_outside_mask_unchanged(qtbot, face_photo, inpainter):
    worker = InpaintWorker(loader=lambda config: inpainter)
    try:
        events = record(worker)
        mask = np.zeros(face_photo.shape[:2], np.uint8)
        mask[90:150, 70:180] = 1
        with qtbot.waitSignal(worker.final, timeout=30000):
            generation = worker.submit(face_photo, mask)
        assert [e[0] for e in events] == ["preview", "final"]
        assert all(e[1] == generation for e in events)
        for _, _, image in events:
            assert image.shape == face_photo.shape and image.dtype == np.uint8
            np.testing.assert_array_equal(image[mask == 0], face_photo[mask == 0])
            assert (image[mask == 1] != face_photo[mask == 1]).any()
        qtbot.waitUntil(lambda: not worker.busy)
    finally:
        worker.shutdown()


def test_escape_stops_the_running_job_and_takes_its_preview_off(qtbot, tmp_path, inpainter):
    gate = threading.Event()
    worker = InpaintWorker(loader=lambda config: GatedInpainter(inpainter, gate))
    window = make_window(qtbot, tmp_path, weights=None, worker=worker)
    assert window.open_file(FACE_JPEG)
    window.canvas.set_zoom(2.0)
    assert not window.stop_action.isEnabled()  # nothing running
    events = record(worker)
    with qtbot.waitSignal(worker.preview, timeout=30000):
        drag(qtbot, window.canvas, [(60, 100), (120, 100)])  # held after its preview
    assert window.stop_action.isEnabled() and window.canvas.has_result_shown()

    qtbot.keyClick(window.canvas, Qt.Key_Escape)
    assert not worker.busy and not window.stop_action.isEnabled()
    assert not window.canvas.has_result_shown() and window.show_mask_action.isChecked()
    assert "Stopped" in window.stage_label.text()
    gate.set()
    qtbot.wait(500)  # the held job runs on to its cancel check; nothing of it may arrive
    assert [e[0] for e in events] == ["preview"]
    assert not window.apply_action.isEnabled()
    assert window.document.mask.array.any()  # the mask stays, ready for Ctrl+Enter

    with qtbot.waitSignal(worker.final, timeout=30000):
        window.inpaint_action.trigger()


def test_a_stroke_during_a_job_cancels_it_and_the_result_matches_the_newest_mask(qtbot, tmp_path, inpainter):
    gate = threading.Event()
    gated = GatedInpainter(inpainter, gate)
    worker = InpaintWorker(loader=lambda config: gated)
    window = make_window(qtbot, tmp_path, weights=None, worker=worker)
    assert window.open_file(FACE_JPEG)
    window.canvas.set_zoom(2.0)
    window.canvas.set_brush_size(16)
    events = record(worker)

    with qtbot.waitSignal(worker.preview, timeout=30000):
        drag(qtbot, window.canvas, [(60, 100), (120, 100)])  # job 1 starts; held after its preview
    first_generation = events[0][1]
    first_mask = window.document.mask.copy()
    assert worker.busy

    drag(qtbot, window.canvas, [(150, 170), (200, 180)])  # a new stroke while job 1 is held
    newest_mask = window.document.mask.copy()
    assert worker.generation > first_generation
    gate.set()
    with qtbot.waitSignal(worker.final, timeout=30000):
        pass
    qtbot.waitUntil(lambda: not worker.busy, timeout=30000)

    finals = [e for e in events if e[0] == "final"]
    assert len(finals) == 1 and finals[0][1] == worker.generation  # job 1's result never arrived
    assert gated.stages_per_job[0] == ["preview"]  # job 1 stopped at the cancel check
    base = window.document.base
    final = finals[0][2]
    expected = inpainter.inpaint(base, newest_mask)
    np.testing.assert_array_equal(final[newest_mask == 0], base[newest_mask == 0])
    assert np.abs(final.astype(int) - expected.astype(int)).max() <= 1
    only_new = (newest_mask == 1) & (first_mask == 0)
    assert (final[only_new] != base[only_new]).any()
    # The window shows it, and Apply makes it the base.
    assert window.apply_action.isEnabled()
    window.apply_action.trigger()
    np.testing.assert_array_equal(window.document.base, final)
    assert not window.document.mask.array.any()
    window.undo_action.trigger()
    np.testing.assert_array_equal(window.document.base, window.document.original)
    np.testing.assert_array_equal(window.document.mask.array, newest_mask)


def test_the_event_loop_keeps_running_while_a_job_runs(qtbot, face_photo, inpainter):
    gate = threading.Event()
    worker = InpaintWorker(loader=lambda config: GatedInpainter(inpainter, gate))
    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(worker.busy))
    try:
        mask = np.zeros(face_photo.shape[:2], np.uint8)
        mask[100:160, 60:190] = 1
        timer.start()
        QTimer.singleShot(300, gate.set)  # the GUI thread itself releases the held job
        with qtbot.waitSignal(worker.final, timeout=30000):
            worker.submit(face_photo, mask)
        timer.stop()
        assert sum(ticks) >= 5  # the timer kept ticking while the job was busy
    finally:
        gate.set()
        worker.shutdown()


def test_missing_weights_show_an_error_and_painting_still_works(qtbot, tmp_path):
    from gui_support import FakePrompts

    prompts = FakePrompts()
    window = make_window(qtbot, tmp_path, weights=tmp_path / "nowhere.safetensors", prompts=prompts)
    assert window.open_file(FACE_JPEG)
    window.canvas.set_zoom(2.0)
    with qtbot.waitSignal(window.worker.failed, timeout=30000):
        drag(qtbot, window.canvas, [(80, 80), (120, 120)])
    assert len(prompts.errors) == 1
    assert "nowhere.safetensors" in prompts.errors[0][1]
    # Still usable: another stroke paints, and the same error is not shown again per stroke.
    with qtbot.waitSignal(window.worker.failed, timeout=30000):
        drag(qtbot, window.canvas, [(150, 60), (160, 200)])
    assert window.document.mask.array[130, 155]
    assert len(prompts.errors) == 1
    assert window.document.undo_stack.count() == 2


def test_an_exception_in_a_job_is_reported_and_the_next_job_works(qtbot, face_photo, inpainter):
    flaky = FlakyEngine(inpainter, RuntimeError("boom\nsecond line"))
    worker = InpaintWorker(loader=lambda config: flaky)
    try:
        events = record(worker)
        mask = np.zeros(face_photo.shape[:2], np.uint8)
        mask[100:140, 100:140] = 1
        with qtbot.waitSignal(worker.failed, timeout=30000):
            worker.submit(face_photo, mask)
        assert events[-1][2] == "Inpainting failed (RuntimeError): boom"
        with qtbot.waitSignal(worker.final, timeout=30000):
            worker.submit(face_photo, mask)
    finally:
        worker.shutdown()


def test_configure_reloads_the_network_for_the_next_job(qtbot, face_photo, inpainter):
    configs = []

    def loader(config):
        configs.append(config)
        return inpainter

    worker = InpaintWorker(loader=loader)
    try:
        mask = np.zeros(face_photo.shape[:2], np.uint8)
        mask[10:20, 10:20] = 1
        with qtbot.waitSignal(worker.final, timeout=30000):
            worker.submit(face_photo, mask)
        with qtbot.waitSignal(worker.final, timeout=30000):
            worker.submit(face_photo, mask)
        assert len(configs) == 1  # loaded once, lazily
        worker.configure(EngineConfig(weights="other.safetensors", device="cpu", working_size=384))
        with qtbot.waitSignal(worker.final, timeout=30000):
            worker.submit(face_photo, mask)
        assert configs[-1].working_size == 384 and len(configs) == 2
    finally:
        worker.shutdown()
