"""The inference worker: runs `Inpainter.stream` on a thread of its own so the window never freezes.

Each job gets a generation number. Submitting a job cancels the one running (through its cancel event,
which the engine checks between stages and between slices of a decode) and only results of the newest
generation reach the window: anything older is dropped here, in the GUI thread, before a signal goes out.

The engine (and torch) are imported and the network loaded on the worker thread, on the first job, so
the window appears at once and a missing weights file only costs an error message.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from in2_studio import DEFAULT_WORKING_SIZE
from in2_studio.errors import In2Error


@dataclass(frozen=True)
class EngineConfig:
    weights: str | None = None  # None: the engine's default weights file
    device: str = "auto"
    working_size: int = DEFAULT_WORKING_SIZE
    grain: bool = True  # the photo's own fine grain laid over the network's fill (engine.grain)


@dataclass
class Job:
    generation: int
    image: np.ndarray
    mask: np.ndarray
    cancel: threading.Event


def load_inpainter(config: EngineConfig) -> Any:
    from in2_studio.engine import Inpainter

    return Inpainter.load(
        weights=config.weights, device=config.device, working_size=config.working_size, grain=config.grain
    )


def cuda_available() -> bool:
    """Whether torch sees a CUDA device (imports torch: call it off the GUI thread)."""
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:  # a broken CUDA install must not take the CPU path down with it
        return False


def describe_error(error: BaseException) -> str:
    """One line a person can act on."""
    if isinstance(error, In2Error):
        return str(error)
    text = str(error)
    if isinstance(error, MemoryError) or "out of memory" in text.lower():
        return (
            "Out of memory while inpainting: choose a smaller working size in Preferences, "
            "or the CPU device, and try again."
        )
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    return f"Inpainting failed ({type(error).__name__}): {first_line}".rstrip(": ")


class _JobRunner(QObject):
    """Waits for the newest job, runs it, reports each stage through signals. Never touches widgets.

    It runs on a daemon Python thread rather than a QThread: a stage cannot be interrupted, and a
    QThread still running when the app quits makes Qt abort; a daemon thread just ends with the process.
    Signals emitted from it reach the GUI thread queued, like a QThread's.
    """

    stageReady = Signal(int, str, object, float, str)  # generation, stage name, image, seconds, device
    stageNotice = Signal(int, str)  # generation, e.g. "the GPU ran out of memory, so this job ran on the CPU"
    jobFailed = Signal(int, str)
    jobDone = Signal(int)
    loading = Signal(int)
    devicesFound = Signal(bool)  # whether CUDA is available

    def __init__(self, loader: Callable[[EngineConfig], Any], parent: QObject | None = None):
        super().__init__(parent)
        self._thread = threading.Thread(target=self.run, name="in2-inpaint-worker", daemon=True)
        self._loader = loader
        self._lock = threading.Condition()
        self._pending: Job | None = None
        self._stopping = False
        self._config = EngineConfig()
        self._inpainter: Any = None
        self._loaded_config: EngineConfig | None = None

    def post(self, job: Job) -> None:
        with self._lock:
            self._pending = job
            self._lock.notify()

    def configure(self, config: EngineConfig) -> None:
        with self._lock:
            self._config = config

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float) -> None:
        with self._lock:
            self._stopping = True
            self._pending = None
            self._lock.notify()
        self._thread.join(timeout_s)

    def run(self) -> None:
        self.devicesFound.emit(cuda_available())
        while True:
            with self._lock:
                while self._pending is None and not self._stopping:
                    self._lock.wait()
                if self._stopping:
                    break
                job, self._pending = self._pending, None
                config = self._config
            self._run_job(job, config)
        self._inpainter = None

    def _run_job(self, job: Job, config: EngineConfig) -> None:
        try:
            if job.cancel.is_set():
                return
            if self._inpainter is None or self._loaded_config != config:
                self._inpainter = None
                self.loading.emit(job.generation)
                self._inpainter = self._loader(config)
                self._loaded_config = config
            for stage in self._inpainter.stream(job.image, job.mask, cancel=job.cancel):
                if job.cancel.is_set():
                    return
                self.stageReady.emit(job.generation, stage.name, stage.image, float(stage.seconds), stage.device)
                if getattr(stage, "notice", None):
                    self.stageNotice.emit(job.generation, stage.notice)
        except Exception as error:  # every failure becomes a message; the thread lives on
            if not isinstance(error, In2Error):
                traceback.print_exc(file=sys.stderr)
            self.jobFailed.emit(job.generation, describe_error(error))
        finally:
            self.jobDone.emit(job.generation)


class InpaintWorker(QObject):
    """The window's handle on the job thread. Lives in the GUI thread; all its signals arrive there."""

    preview = Signal(int, object, float, str)  # generation, image H×W×3 uint8, seconds, device
    final = Signal(int, object, float, str)
    failed = Signal(int, str)
    notice = Signal(int, str)  # something the person should know about a result, e.g. a CPU fallback
    finished = Signal(int)  # the newest job ended (done, failed or cancelled)
    busyChanged = Signal(bool)
    loadingModel = Signal()
    cudaAvailable = Signal(bool)

    def __init__(self, loader: Callable[[EngineConfig], Any] = load_inpainter, parent: QObject | None = None):
        super().__init__(parent)
        self._generation = 0
        self._cancel: threading.Event | None = None
        self._busy = False
        self._runner = _JobRunner(loader)
        self._runner.stageReady.connect(self._on_stage)
        self._runner.jobFailed.connect(self._on_failed)
        self._runner.stageNotice.connect(self._on_notice)
        self._runner.jobDone.connect(self._on_done)
        self._runner.loading.connect(self._on_loading)
        self._runner.devicesFound.connect(self.cudaAvailable)
        self._runner.start()

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def busy(self) -> bool:
        return self._busy

    def configure(self, config: EngineConfig) -> None:
        """Use these weights, device and working size from the next job on (the network reloads then)."""
        self._runner.configure(config)

    def submit(self, image: np.ndarray, mask: np.ndarray) -> int:
        """Start a job on `image` and `mask` (both are kept, not copied: do not change them in place).

        Cancels the job running before; returns the new job's generation.
        """
        self._cancel_running()
        self._generation += 1
        self._cancel = threading.Event()
        self._runner.post(Job(self._generation, image, mask, self._cancel))
        self._set_busy(True)
        return self._generation

    def cancel(self) -> None:
        """Cancel the running job; whatever it still produces is dropped."""
        self._cancel_running()
        self._generation += 1
        self._set_busy(False)

    def shutdown(self, timeout_s: float = 5.0) -> None:
        """Cancel, stop the thread, wait for it a while (a stage in progress cannot be interrupted)."""
        self._cancel_running()
        self._runner.stop(timeout_s)

    def _cancel_running(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self._cancel = None

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)

    def _on_stage(self, generation: int, name: str, image: object, seconds: float, device: str) -> None:
        if generation != self._generation:
            return  # a stale result: the mask has changed since
        signal = self.preview if name == "preview" else self.final
        signal.emit(generation, image, seconds, device)

    def _on_failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.failed.emit(generation, message)

    def _on_notice(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.notice.emit(generation, message)

    def _on_done(self, generation: int) -> None:
        if generation == self._generation:
            self._cancel = None
            self._set_busy(False)
            self.finished.emit(generation)

    def _on_loading(self, generation: int) -> None:
        if generation == self._generation:
            self.loadingModel.emit()
