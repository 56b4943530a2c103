"""`in2-studio --self-test`: passes with working weights on the sample face or the synthetic picture, and fails
(exit 1, one line) when the weights are missing or the engine breaks one of the promises it checks."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from in2_studio import cli
from in2_studio.engine import Stage
from in2_studio.engine import weights as engine_weights

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FACE = DATA / "lfw" / "Aaron_Eckhart" / "Aaron_Eckhart_0001.jpg"


@pytest.fixture
def no_sample(tmp_path, monkeypatch):
    """As in an install without resources/: the synthetic picture is used."""
    monkeypatch.setattr(cli, "RESOURCES", tmp_path / "resources")


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def test_passes_on_a_real_face(tiny_weights, capsys):
    assert cli.self_test(weights=tiny_weights, sample=FACE) == 0
    line = _one_line(capsys.readouterr().out)
    assert line.startswith("in2-studio: self-test passed: ")
    assert re.search(r"Aaron_Eckhart_0001\.jpg \(250×250\) on (cpu|cuda): ", line), line


def test_passes_on_the_synthetic_picture_without_a_sample(tiny_weights, no_sample, capsys):
    assert cli.sample_photo() is None
    assert cli.self_test(weights=tiny_weights) == 0
    assert "a synthetic picture (160×192)" in _one_line(capsys.readouterr().out)


def test_the_synthetic_picture_is_fixed():
    first, second = cli.synthetic_photo(), cli.synthetic_photo()
    assert first.shape == (192, 160, 3) and first.dtype == np.uint8
    assert np.array_equal(first, second)
    assert len(np.unique(first.reshape(-1, 3), axis=0)) > 100  # edges and gradients, not a flat field


def test_the_shipped_sample_is_found():
    folder = cli.RESOURCES / "sample"
    photos = sorted(p for p in folder.glob("*") if p.suffix.lower() in cli.IMAGE_EXTENSIONS)
    assert cli.sample_photo() == (photos[0] if photos else None)


def test_the_flag_runs_it_with_the_default_weights(tiny_weights, no_sample, monkeypatch, capsys):
    monkeypatch.setattr(engine_weights, "DEFAULT_WEIGHTS", tiny_weights)
    assert cli.main(["--self-test"]) == 0
    assert "self-test passed" in _one_line(capsys.readouterr().out)


def test_the_flag_takes_no_image(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--self-test", "photo.jpg"])
    assert exit_.value.code == 2
    assert "--self-test takes no IMAGE" in _one_line(capsys.readouterr().err)


def test_missing_weights_fail_with_exit_1(tmp_path, no_sample, capsys):
    assert cli.self_test(weights=tmp_path / "gone.safetensors") == 1
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("in2-studio: error: self-test failed: weights file not found")
    assert "gone.safetensors" in line


class _BrokenEngine:
    """An engine whose full stage has been tampered with by `damage(image, hole) -> image`."""

    device = "cpu"

    def __init__(self, damage):
        self.damage = damage

    def stream(self, image, mask):
        hole = mask != 0
        filled = image.copy()
        filled[hole] = np.random.default_rng(0).integers(0, 256, (int(hole.sum()), 3), dtype=np.uint8)
        yield Stage("preview", filled, 0.01, "cpu")
        yield Stage("full", self.damage(filled.copy(), image, hole), 0.02, "cpu")


def _outside_changed(result, image, hole):
    result[0, 0] = 255 - result[0, 0]  # the corner is outside the central hole
    return result


def _hole_untouched(result, image, hole):
    result[hole] = image[hole]
    return result


def _flat_fill(result, image, hole):
    result[hole] = 0  # what NaN outputs become on the way to uint8
    return result


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (_outside_changed, "the full result changed pixels outside the hole"),
        (_hole_untouched, "the full result left the hole as it was"),
        (_flat_fill, "the full result filled the hole with one flat colour (0, 0, 0): not finite?"),
    ],
    ids=["outside-changed", "hole-untouched", "flat-fill"],
)
def test_a_broken_result_fails_with_exit_1(damage, expected, no_sample, monkeypatch, capsys):
    from in2_studio.engine import Inpainter

    monkeypatch.setattr(Inpainter, "load", classmethod(lambda cls, **kwargs: _BrokenEngine(damage)))
    assert cli.self_test() == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert _one_line(captured.err) == f"in2-studio: error: self-test failed: {expected}"
