"""Stress the window's inference worker: many jobs in bursts, as a person painting fast would make them.

The real InpaintWorker (in2_studio/gui/worker.py) runs in a Qt event loop without a window. Each burst
is a new random photo of a random size; in it, strokes (random masks) follow each other: some wait for their
result, some are replaced by the next stroke while they run, some are cancelled mid-job (at once, after a
random delay, or after their preview). Every result that arrives is checked against a direct
`Inpainter.inpaint` call for its mask, bit for bit (the last job of each burst always has one), and the
previews keep every pixel outside the mask. Resident memory is sampled every 50 jobs.

    .venv/bin/python benchmarks/stress.py [--jobs 500] [--weights FILE] [--device cpu] [--seed 0]
                                          [--max-side 192] [--sample-every 50] [--threads 1]

Without --weights a tiny random network is used, so that the run measures the worker, not the network.
Exit code 0 when nothing failed, every result matched and memory grew by at most 100 MB after the first
sample; 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import psutil  # noqa: E402
import torch  # noqa: E402
from PySide6.QtCore import QCoreApplication  # noqa: E402

from in2_studio.engine import Inpainter, save_weights  # noqa: E402
from in2_studio.gui.worker import EngineConfig, InpaintWorker  # noqa: E402
from in2_studio.model import IN2, IN2Config  # noqa: E402

MEMORY_GROWTH_LIMIT_MB = 100
WAIT_LIMIT_S = 120  # a job that takes longer than this is counted as failed (a hang)
ACTIONS = ("wait", "replace", "cancel_now", "cancel_later", "cancel_after_preview")
ACTION_ODDS = (0.2, 0.35, 0.1, 0.15, 0.2)


@dataclass
class StressReport:
    jobs: int = 0
    bursts: int = 0
    done: int = 0
    failed: int = 0  # jobs that reported an error, hung, or ended without a result when one was due
    previews: int = 0
    results_checked: int = 0
    mismatches: int = 0
    problems: list[str] = field(default_factory=list)
    memory_mb: list[tuple[int, float]] = field(default_factory=list)  # (jobs so far, resident MB)
    seconds: float = 0.0

    @property
    def cancelled(self) -> int:
        return self.jobs - self.done - self.failed

    @property
    def memory_growth_mb(self) -> float:
        """Growth of resident memory after the first sample (the network and caches are warm by then)."""
        if len(self.memory_mb) < 2:
            return 0.0
        return max(mb for _, mb in self.memory_mb[1:]) - self.memory_mb[0][1]

    @property
    def passed(self) -> bool:
        return self.failed == 0 and self.mismatches == 0 and self.memory_growth_mb <= MEMORY_GROWTH_LIMIT_MB

    def summary(self) -> str:
        samples = " ".join(f"{mb:.0f}" for _, mb in self.memory_mb)
        every = self.memory_mb[0][0] if self.memory_mb else 0
        lines = [
            f"stress: {self.jobs} jobs in {self.bursts} bursts, {self.seconds:.1f} s: {self.done} done, "
            f"{self.cancelled} cancelled, {self.failed} failed",
            f"results: {self.results_checked} checked bit for bit against Inpainter.inpaint for their mask "
            f"(the last job of every burst among them), {self.mismatches} differ; {self.previews} previews "
            "checked outside the mask",
            f"resident memory (MB) every {every} jobs: {samples}",
            f"growth after the first sample: {self.memory_growth_mb:+.1f} MB (limit {MEMORY_GROWTH_LIMIT_MB})",
            *(f"problem: {problem}" for problem in self.problems[:20]),
            "PASSED" if self.passed else "FAILED",
        ]
        return "\n".join(lines)


def random_mask(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A few rectangles and thick lines, like strokes; never empty (the window never sends an empty mask)."""
    import cv2

    mask = np.zeros((height, width), np.uint8)
    for _ in range(int(rng.integers(1, 4))):
        x0, x1 = sorted(rng.integers(0, width, 2))
        y0, y1 = sorted(rng.integers(0, height, 2))
        if rng.random() < 0.5:
            mask[y0 : y1 + 1, x0 : x1 + 1] = 1
        else:
            thickness = int(rng.integers(1, max(2, min(height, width) // 6) + 1))
            cv2.line(mask, (int(x0), int(y0)), (int(x1), int(y1)), 1, thickness)
    if not mask.any():
        mask[int(rng.integers(height)), int(rng.integers(width))] = 1
    return mask


def tiny_weights(folder: Path, seed: int) -> Path:
    torch.manual_seed(seed)
    path = folder / "tiny.safetensors"
    save_weights(IN2(IN2Config.tiny()), path)
    return path


class _Recorder:
    """What the worker delivered, per generation (the worker itself drops anything stale)."""

    def __init__(self, worker: InpaintWorker):
        self.previews: dict[int, np.ndarray] = {}
        self.finals: dict[int, np.ndarray] = {}
        self.failures: dict[int, str] = {}
        self.finished: set[int] = set()
        worker.preview.connect(lambda g, image, s, d: self.previews.__setitem__(g, image))
        worker.final.connect(lambda g, image, s, d: self.finals.__setitem__(g, image))
        worker.failed.connect(lambda g, message: self.failures.__setitem__(g, message))
        worker.finished.connect(self.finished.add)

    def clear(self) -> None:
        """Forget a checked burst (its images would otherwise pile up and be measured as a leak)."""
        self.previews.clear()
        self.finals.clear()
        self.failures.clear()
        self.finished.clear()


def run_stress(
    jobs: int = 500,
    weights: Path | None = None,
    device: str = "cpu",
    seed: int = 0,
    max_side: int = 192,
    sample_every: int = 50,
    log=print,
) -> StressReport:
    app = QCoreApplication.instance() or QCoreApplication([])
    rng = np.random.default_rng(seed)
    report = StressReport()
    process = psutil.Process()

    def pump(seconds: float = 0.0, until=None) -> bool:
        """Run the event loop for `seconds`, or until `until()` holds (False if it never did)."""
        deadline = time.monotonic() + (seconds if until is None else WAIT_LIMIT_S)
        while time.monotonic() < deadline:
            app.processEvents()
            if until is not None and until():
                return True
            time.sleep(0.001)
        app.processEvents()
        return until is None or until()

    with tempfile.TemporaryDirectory(prefix="in2-stress-") as folder:
        weights = weights or tiny_weights(Path(folder), seed)
        config = EngineConfig(weights=str(weights), device=device, working_size=512)
        reference = Inpainter.load(weights, device=device, working_size=config.working_size)
        worker = InpaintWorker()
        worker.configure(config)
        seen = _Recorder(worker)
        start = time.perf_counter()
        try:
            while report.jobs < jobs:
                report.bursts += 1
                height, width = (int(n) for n in rng.integers(1, max_side + 1, 2))
                image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
                burst: dict[int, np.ndarray] = {}
                strokes = min(int(rng.integers(1, 7)), jobs - report.jobs)
                for stroke in range(strokes):
                    mask = random_mask(rng, height, width)
                    generation = worker.submit(image, mask)
                    burst[generation] = mask
                    report.jobs += 1
                    if report.jobs % sample_every == 0:
                        report.memory_mb.append((report.jobs, process.memory_info().rss / 2**20))
                    last = stroke == strokes - 1  # the person stops and looks: its result must come
                    action = "wait" if last else str(rng.choice(ACTIONS, p=ACTION_ODDS))
                    _act(action, generation, worker, seen, rng, pump, report)
                    if last and generation not in seen.finals and generation not in seen.failures:
                        report.failed += 1
                        report.problems.append(f"job {generation} (last of its burst) ended without a result")
                for generation, message in seen.failures.items():
                    report.failed += 1
                    report.problems.append(f"job {generation} failed: {message}")
                _check_burst(image, burst, seen, reference, report)
                seen.clear()
                if report.bursts % 25 == 0:
                    log(f"  {report.jobs} jobs, {report.done} done, {report.failed} failed")
        finally:
            worker.shutdown()
        report.seconds = time.perf_counter() - start
    return report


def _act(action, generation, worker, seen, rng, pump, report) -> None:
    """What the person does after stroke `generation`: wait for it, or paint on, or cancel it mid-job."""
    ended = lambda: generation in seen.finished or generation in seen.failures  # noqa: E731
    if action == "wait":
        if not pump(until=ended):
            report.failed += 1
            report.problems.append(f"job {generation} timed out")
    elif action == "replace":  # the next stroke comes while this job runs
        pump(float(rng.uniform(0, 0.03)))
    elif action == "cancel_now":
        worker.cancel()
    elif action == "cancel_later":
        pump(float(rng.uniform(0, 0.03)))
        worker.cancel()
    elif action == "cancel_after_preview":
        if not pump(until=lambda: generation in seen.previews or ended()):
            report.failed += 1
            report.problems.append(f"job {generation} timed out before its preview")
        worker.cancel()


def _check_burst(image, burst, seen, reference, report) -> None:
    """Every result of the burst equals a direct inpaint of its own mask; previews keep the rest."""
    for generation, preview in seen.previews.items():
        mask = burst[generation]
        report.previews += 1
        if preview.shape != image.shape or not np.array_equal(preview[mask == 0], image[mask == 0]):
            report.mismatches += 1
            report.problems.append(f"job {generation}: the preview changed pixels outside the mask")
    for generation, final in seen.finals.items():
        report.done += 1
        report.results_checked += 1
        expected = reference.inpaint(image, burst[generation])
        if not np.array_equal(final, expected):
            report.mismatches += 1
            worst = int(np.abs(final.astype(int) - expected.astype(int)).max()) if final.shape == image.shape else -1
            report.problems.append(f"job {generation}: the result differs from Inpainter.inpaint (by up to {worst})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--weights", type=Path, help="default: a tiny random network")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-side", type=int, default=192, help="largest photo side, in pixels")
    parser.add_argument("--sample-every", type=int, default=50, help="jobs between memory samples")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: a shared machine)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    report = run_stress(args.jobs, args.weights, args.device, args.seed, args.max_side, args.sample_every)
    print(report.summary())
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
