"""Shared fixtures: a tiny random-weight network on disk, real face photos, the offscreen Qt platform."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep the suite light on 2 shared cores.
torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
FACE = DATA / "lfw" / "Aaron_Eckhart" / "Aaron_Eckhart_0001.jpg"


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory) -> Path:
    from in2_studio.engine.weights import save_weights
    from in2_studio.model import IN2, IN2Config

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("weights") / "tiny.safetensors"
    save_weights(IN2(IN2Config.tiny()), path)
    return path


@pytest.fixture(scope="session")
def face_photo() -> np.ndarray:
    """A real 250×250 LFW face, RGB uint8."""
    import cv2

    image = cv2.imread(str(FACE), cv2.IMREAD_COLOR)
    assert image is not None, f"missing test photo {FACE}"
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
