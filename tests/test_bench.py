"""The benchmark: its big-lama-sized reference, its inputs, and a whole run at tiny sizes."""

from __future__ import annotations

import argparse
import json
import math

import numpy as np
import pytest
import torch

from in2_studio import bench
from in2_studio.bench_reference import BIGLAMA_PARAMETERS, FFCResnetBlock, build_biglama, parameter_count
from in2_studio.errors import In2Error


def test_biglama_reference_has_lamas_shape_and_size():
    model = build_biglama()
    assert abs(parameter_count(model) - BIGLAMA_PARAMETERS) <= 0.1 * BIGLAMA_PARAMETERS
    assert sum(isinstance(m, FFCResnetBlock) for m in model.modules()) == 18
    seen = []
    model.body[4].register_forward_hook(lambda _m, _i, out: seen.append(out.shape))  # the first residual block
    with torch.inference_mode():
        out = model(torch.rand(1, 4, 64, 64))
    assert out.shape == (1, 3, 64, 64)
    assert seen == [(1, 512, 8, 8)]  # three stride-2 downsamplings to 512 channels
    assert out.min() >= 0 and out.max() <= 1


def test_free_form_mask_covers_about_a_fifth_and_is_seeded():
    mask = bench.free_form_mask(512, 512)
    assert abs(mask.mean() - 0.20) <= 0.015
    np.testing.assert_array_equal(mask, bench.free_form_mask(512, 512))
    assert not np.array_equal(mask, bench.free_form_mask(512, 512, seed=1))


def test_face_mask_is_the_same_face_sized_hole_in_the_middle_of_any_photo():
    small, large = bench.face_mask(768, 1024), bench.face_mask(3000, 4000)
    assert small.sum() == large.sum() > 0.3 * 200 * 200
    rows, cols = np.nonzero(large)
    assert rows.max() - rows.min() < 200 and cols.max() - cols.min() < 200
    assert abs((rows.min() + rows.max()) / 2 - 1500) < 30 and abs((cols.min() + cols.max()) / 2 - 2000) < 30


def test_half_precision_needs_cuda():
    with pytest.raises(In2Error, match="--half"):
        bench.benchmark(argparse.Namespace(device="cpu", half=True), bench.TEST_SIZES)


def test_run_at_tiny_sizes_writes_every_figure(tmp_path, tiny_weights, capsys):
    out = tmp_path / "bench.json"
    args = argparse.Namespace(json=out, quick=True, sizes_for_tests=True, weights=tiny_weights)
    assert bench.run(args) == 0
    report = json.loads(out.read_text())
    for key in bench.KEYS:
        assert math.isfinite(report[key]) and report[key] > 0, key
    # The child process holds at least torch and the 96×128 photo; far below a gigabyte at this size.
    assert 50 < report["peak_rss_mb_4000x3000"] < 1000
    assert report["machine"]["cores"] >= 1 and report["machine"]["torch"] == torch.__version__
    assert str(tiny_weights) in report["weights"]
    assert report["ratios"]["in2_full_512/biglama_full_512"] == pytest.approx(
        report["in2_full_512"] / report["biglama_full_512"]
    )
    assert report["settings"]["repeats"] == bench.QUICK_REPEATS
    assert set(report["targets"]) == {"in2_full_512", "in2_preview_512", "in2_full_4000x3000_facemask"} | {
        "peak_rss_mb_4000x3000",
        "peak_rss_mb_4000x3000_big_hole",
    }
    printed = capsys.readouterr().out
    for key in bench.KEYS:
        assert key in printed
    assert "PASS" in printed or "FAIL" in printed


def test_peak_memory_is_the_child_alone_not_the_parent(tmp_path, tiny_weights):
    # ru_maxrss would carry this process's peak over fork and exec into the child's figure.
    ballast = np.ones(768 * 2**20, np.uint8)
    peak = bench.measure_peak_rss(tiny_weights, "cpu", False, bench.TEST_SIZES)
    assert ballast.sum() == ballast.size  # the ballast stays resident until the child has run
    assert 50 < peak < 700
