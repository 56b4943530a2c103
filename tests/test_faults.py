"""Faults during a job: the GPU running out of memory or failing falls back to the CPU for that job with a
notice the person sees; an exception inside a job becomes a dialog and the next job works; without CUDA the
window does not offer it. (Failing saves are rows of the bad-input table, tests/test_bad_input.py.)"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from gui_support import FACE_JPEG, FakePrompts, FlakyEngine, make_window, private_settings  # noqa: E402
from PIL import Image  # noqa: E402

from in2_studio import cli  # noqa: E402
from in2_studio.engine import Inpainter, load_weights  # noqa: E402
from in2_studio.gui import worker as worker_module  # noqa: E402
from in2_studio.gui.worker import InpaintWorker  # noqa: E402

WORKING_SIZE = 256  # the test windows' own (gui_support.private_settings)


class PretendCuda(Inpainter):
    """An inpainter that reports the CUDA device while its tensors stay on the CPU (there is no GPU here),
    and whose encoder fails the way a GPU does, on the first `failures` calls."""

    def __init__(self, weights, error: Exception, failures: int = 1):
        super().__init__(load_weights(weights), "cpu", working_size=WORKING_SIZE)
        self.failures_left = failures
        self.encoder_calls = 0
        encode = self.model.encode

        def failing_encode(*args, **kwargs):
            self.encoder_calls += 1
            if self.failures_left > 0:
                self.failures_left -= 1
                raise error
            return encode(*args, **kwargs)

        self.model.encode = failing_encode

    @property
    def device(self) -> str:
        return "cuda"


def out_of_memory() -> Exception:
    return torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 7.79 GiB total)")


@pytest.fixture
def reference(tiny_weights) -> Inpainter:
    return Inpainter.load(tiny_weights, device="cpu", working_size=WORKING_SIZE)


@pytest.fixture
def hole(face_photo) -> np.ndarray:
    mask = np.zeros(face_photo.shape[:2], np.uint8)
    mask[90:150, 70:180] = 1
    return mask


# ---------------------------------------------------------------- the engine


@pytest.mark.parametrize(
    "error, notice",
    [
        (out_of_memory(), "The GPU ran out of memory, so this job ran on the CPU"),
        (RuntimeError("CUDA error: an illegal memory access was encountered"), "The GPU failed (CUDA error: an"),
        (RuntimeError("cuDNN error: CUDNN_STATUS_EXECUTION_FAILED"), "The GPU failed (cuDNN error"),
    ],
    ids=["out_of_memory", "cuda_error", "cudnn_error"],
)
def test_a_gpu_failure_redoes_the_job_on_the_cpu(tiny_weights, reference, face_photo, hole, error, notice):
    inpainter = PretendCuda(tiny_weights, error)
    stages = list(inpainter.stream(face_photo, hole))
    expected = list(reference.stream(face_photo, hole))
    assert [stage.name for stage in stages] == ["preview", "full"]
    for stage, plain in zip(stages, expected, strict=True):
        assert stage.device == "cpu" and stage.notice.startswith(notice)
        np.testing.assert_array_equal(stage.image, plain.image)  # the same result the CPU gives
    assert inpainter.encoder_calls == 1  # once the GPU failed, the rest of the job stayed on the CPU

    # Only that job: the next one tries the GPU again, and says nothing when it works.
    again = list(inpainter.stream(face_photo, hole))
    assert [stage.device for stage in again] == ["cuda", "cuda"]
    assert [stage.notice for stage in again] == [None, None]
    assert inpainter.encoder_calls == 3


def test_inpaint_falls_back_too(tiny_weights, reference, face_photo, hole):
    inpainter = PretendCuda(tiny_weights, out_of_memory())
    np.testing.assert_array_equal(inpainter.inpaint(face_photo, hole), reference.inpaint(face_photo, hole))


@pytest.mark.parametrize("preview", [False, True], ids=["full", "preview"])
def test_the_cli_says_when_the_cpu_stood_in(tmp_path, capsys, tiny_weights, reference, face_photo, hole, preview):
    photo, mask = tmp_path / "face.png", tmp_path / "mask.png"
    Image.fromarray(face_photo).save(photo)
    Image.fromarray(hole * 255).save(mask)
    job = cli.Job(photo, mask, tmp_path / "out.png")
    done = cli.inpaint_file(PretendCuda(tiny_weights, out_of_memory()), job, preview)
    assert done.device == "cpu"
    warning = capsys.readouterr().err
    assert "warning" in warning and "face.png" in warning and "ran on the CPU" in warning
    expected = reference.fill(face_photo, hole, preview).image
    np.testing.assert_array_equal(np.asarray(Image.open(job.output)), expected)


@pytest.mark.parametrize(
    "bug",
    [
        "shape mismatch in the decoder",
        "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!",
    ],
)
def test_other_errors_are_not_taken_for_a_gpu_failure(tiny_weights, face_photo, hole, bug):
    # A bug of ours on the "GPU" is not hidden by a fallback, even when it mentions cuda...
    on_gpu = PretendCuda(tiny_weights, RuntimeError(bug))
    with pytest.raises(RuntimeError, match="shape mismatch|same device"):
        list(on_gpu.stream(face_photo, hole))
    # ...and on the CPU there is nothing to fall back to, whatever the error says.
    on_cpu = Inpainter.load(tiny_weights, device="cpu", working_size=WORKING_SIZE)
    encode = on_cpu.model.encode
    on_cpu.model.encode = lambda *a, **k: (_ for _ in ()).throw(out_of_memory())
    with pytest.raises(torch.cuda.OutOfMemoryError):
        on_cpu.inpaint(face_photo, hole)
    on_cpu.model.encode = encode


# ---------------------------------------------------------------- the window


def paint(qtbot, window, hole, tmp_path):
    """Load `hole` as the mask (one undo step, like a stroke) and wait for the live result."""
    with qtbot.waitSignal(window.worker.final, timeout=60000):
        assert window.load_mask(_mask_file(tmp_path, hole))
    qtbot.waitUntil(lambda: window.apply_action.isEnabled(), timeout=10000)


def test_the_window_shows_the_cpu_fallback(qtbot, tmp_path, tiny_weights, reference, hole):
    inpainter = PretendCuda(tiny_weights, out_of_memory())
    worker = InpaintWorker(loader=lambda config: inpainter)
    notices = []
    worker.notice.connect(lambda generation, message: notices.append(message))
    window = make_window(qtbot, tmp_path, weights=None, worker=worker)
    assert window.open_file(FACE_JPEG)
    paint(qtbot, window, hole, tmp_path)
    qtbot.waitUntil(lambda: len(notices) == 2, timeout=10000)  # one per stage, each after its stage

    status = window.stage_label.text()
    assert status.startswith("Done:") and "on CPU" in status
    assert "The GPU ran out of memory, so this job ran on the CPU" in status
    assert window.device_label.text() == "Device: CPU"
    assert not window.prompts.errors  # a notice, not an error: the work goes on
    result, _ = window.composite()
    np.testing.assert_array_equal(result, reference.inpaint(window.document.base, hole))


def test_an_exception_in_a_job_is_shown_and_the_next_job_works(qtbot, tmp_path, reference, hole, capfd):
    flaky = FlakyEngine(reference, ValueError("a bug in the first job"))
    prompts = FakePrompts()
    window = make_window(qtbot, tmp_path, weights=None, worker=InpaintWorker(loader=lambda c: flaky), prompts=prompts)
    assert window.open_file(FACE_JPEG)
    with qtbot.waitSignal(window.worker.failed, timeout=60000):
        window.load_mask(_mask_file(tmp_path, hole))
    assert prompts.errors == [("Inpainting failed", "Inpainting failed (ValueError): a bug in the first job")]
    assert window.stage_label.text() == "Inpainting failed: Inpainting failed (ValueError): a bug in the first job"
    assert not window.apply_action.isEnabled()

    # The next job (here: the Inpaint button) works and is shown.
    with qtbot.waitSignal(window.worker.final, timeout=60000):
        window.inpaint_action.trigger()
    qtbot.waitUntil(lambda: window.apply_action.isEnabled(), timeout=10000)
    result, _ = window.composite()
    np.testing.assert_array_equal(result, reference.inpaint(window.document.base, hole))
    assert flaky.jobs == 2 and len(prompts.errors) == 1
    assert "ValueError" in capfd.readouterr().err  # the traceback of a bug goes to stderr for its report


def _mask_file(tmp_path, hole):
    from PIL import Image

    path = tmp_path / "hole.png"
    Image.fromarray(hole * 255).save(path)
    return path


@pytest.mark.parametrize("has_cuda", [False, True], ids=["no_cuda", "cuda"])
def test_the_cuda_choice_is_offered_only_with_cuda(qtbot, tmp_path, monkeypatch, has_cuda):
    from in2_studio.gui.main_window import MainWindow

    monkeypatch.setattr(worker_module, "cuda_available", lambda: has_cuda)
    settings = private_settings(tmp_path, None)
    settings.device = "cuda"  # chosen on a machine that had a GPU
    window = MainWindow(settings=settings, worker=InpaintWorker(), prompts=FakePrompts())
    qtbot.addWidget(window, before_close_func=lambda w: w.worker.shutdown())
    with qtbot.waitSignal(window.worker.cudaAvailable, timeout=30000) as found:
        pass
    assert found.args == [has_cuda]
    cuda = window.device_actions["cuda"]
    assert cuda.isVisible() is has_cuda
    if has_cuda:
        assert cuda.isChecked() and settings.device == "cuda"
    else:  # the choice that cannot work is gone, and the app is back on automatic
        assert window.device_actions["auto"].isChecked() and settings.device == "auto"
        assert window.device_label.text() == "Device: auto"
