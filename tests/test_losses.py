"""The training losses agree with the evaluation's metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from in2_studio.training import metrics
from in2_studio.training.losses import ssim


def test_ssim_loss_equals_the_evaluation_metric():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (2, 37, 53, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-40, 41, a.shape), 0, 255).astype(np.uint8)
    tensor = lambda x: torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255  # noqa: E731
    expected = np.mean([metrics.ssim(x, y) for x, y in zip(a, b, strict=True)])
    assert float(ssim(tensor(a), tensor(b))) == pytest.approx(expected, abs=1e-5)


def test_ssim_loss_of_an_image_with_itself_is_one():
    image = torch.rand(1, 3, 20, 30)
    assert float(ssim(image, image)) == pytest.approx(1.0, abs=1e-5)
