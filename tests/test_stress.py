"""The 50-job version of benchmarks/stress.py: the window's real worker under random bursts of strokes and
cancellations delivers exactly what a direct Inpainter.inpaint gives for the newest mask, fails nothing, and
does not grow in memory."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

STRESS = Path(__file__).resolve().parents[1] / "benchmarks" / "stress.py"


def load_stress():
    spec = importlib.util.spec_from_file_location("in2_stress", STRESS)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_fifty_jobs_of_random_strokes_and_cancellations(qapp, tiny_weights):
    stress = load_stress()
    report = stress.run_stress(jobs=50, weights=tiny_weights, seed=1, sample_every=10, log=lambda *_: None)
    print(report.summary())
    assert report.jobs == 50 and report.failed == 0, report.summary()
    assert report.mismatches == 0, report.summary()
    # Every burst ended with a result that was checked, and jobs really were cancelled and replaced mid-way.
    assert report.bursts >= 5 and report.results_checked == report.done >= report.bursts
    assert report.cancelled >= 10 and report.previews > report.done - report.bursts
    assert len(report.memory_mb) == 5 and report.memory_growth_mb <= stress.MEMORY_GROWTH_LIMIT_MB
    assert report.passed
