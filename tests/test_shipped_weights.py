"""The shipped weights, end to end: they load with no flag and repair a real held-out face better than Telea."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from in2_studio.engine import DEFAULT_WEIGHTS, Inpainter
from in2_studio.training.crops import read_rgb
from in2_studio.training.evaluate import telea
from in2_studio.training.faces import face_files, landmarks_for
from in2_studio.training.masks import eval_mask
from in2_studio.training.metrics import hole_psnr
from in2_studio.training.train import TrainSettings

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shipped():
    assert DEFAULT_WEIGHTS.is_file(), f"the shipped weights are missing: {DEFAULT_WEIGHTS}"
    assert DEFAULT_WEIGHTS.stat().st_size <= 30 * 1024 * 1024
    return Inpainter.load(device="cpu")


def test_shipped_weights_are_the_network_the_training_configs_continue(shipped):
    # Otherwise `make train-background` and scripts/gpu_train.sh could not resume from them.
    for name in ("base", "gpu"):
        assert shipped.model.config == TrainSettings.from_toml(ROOT / "configs" / f"{name}.toml").model_config()


@pytest.mark.parametrize("kind", ["large_box", "nose_mouth"])
def test_shipped_weights_beat_telea_on_a_held_out_face(shipped, kind):
    path = face_files("lfw", "test")[100]  # a test identity: never seen in training
    face = read_rgb(path)
    mask = eval_mask(kind, *face.shape[:2], landmarks_for(path, face.shape), seed=7)
    blanked = face.copy()
    blanked[mask] = 0
    ours = shipped.inpaint(blanked, mask)
    theirs = telea(blanked, mask)
    np.testing.assert_array_equal(ours[~mask], face[~mask])
    assert hole_psnr(face, ours, mask) > hole_psnr(face, theirs, mask) + 1.0


def test_the_full_result_is_the_mean_of_the_fills_of_the_photo_and_its_mirror(shipped):
    path = face_files("lfw", "test")[100]
    face = read_rgb(path)
    mask = eval_mask("eyes", *face.shape[:2], landmarks_for(path, face.shape), seed=7)
    single = Inpainter(shipped.model, "cpu", mirror=False)
    own = single.inpaint(face, mask).astype(float)
    of_mirror = single.inpaint(face[:, ::-1].copy(), mask[:, ::-1].copy())[:, ::-1].astype(float)
    assert np.abs(own - of_mirror)[mask].mean() > 2  # the two fills differ, so the mean is a real check
    result = shipped.inpaint(face, mask)
    # Each of the two was rounded, so the mean is within 1 of the result. The engine clamps the mean, not each
    # fill: where a fill was clamped at 0 or 255, its true value lay beyond, so only one side of that bound holds.
    off = (result - (own + of_mirror) / 2)[mask]
    high, low = ((own == v) | (of_mirror == v) for v in (255, 0))
    assert np.abs(off[~(high | low)[mask]]).max() <= 1
    assert off[high[mask]].min(initial=0) >= -1 and off[low[mask]].max(initial=0) <= 1
    np.testing.assert_array_equal(result[~mask], face[~mask])
    # So mirroring the photo mirrors the result.
    flipped = shipped.inpaint(face[:, ::-1].copy(), mask[:, ::-1].copy())[:, ::-1]
    assert np.abs(flipped.astype(int) - result).max() <= 1
