"""The engine: the contract of inpaint and stream, weights checks, crops around the mask."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from in2_studio.engine import Inpainter, load_weights, save_weights
from in2_studio.engine.regions import context_box, fit_size, hole_depth, shallow_shape
from in2_studio.errors import ImageError, WeightsError
from in2_studio.model import IN2, IN2Config


@pytest.fixture(scope="module")
def inpainter(tiny_weights):
    return Inpainter.load(tiny_weights, device="cpu", working_size=64, preview_size=32)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    h=st.integers(1, 90),
    w=st.integers(1, 90),
    seed=st.integers(0, 2**31 - 1),
    density=st.floats(0.0, 1.0),
)
def test_pixels_outside_the_mask_are_bit_identical(inpainter, h, w, seed, density):
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    mask = (rng.random((h, w)) < density).astype(np.uint8) * rng.integers(1, 256)
    for stage in inpainter.stream(image, mask):
        assert stage.image.shape == image.shape and stage.image.dtype == np.uint8
        np.testing.assert_array_equal(stage.image[mask == 0], image[mask == 0])
    np.testing.assert_array_equal(inpainter.inpaint(image, mask)[mask == 0], image[mask == 0])


def test_stream_yields_preview_then_full(inpainter, face_photo):
    mask = np.zeros(face_photo.shape[:2], bool)
    mask[100:140, 90:160] = True
    stages = list(inpainter.stream(face_photo, mask))
    assert [s.name for s in stages] == ["preview", "full"]
    assert all(s.seconds >= 0 and s.device == "cpu" for s in stages)
    np.testing.assert_array_equal(stages[1].image, inpainter.inpaint(face_photo, mask))
    assert not np.array_equal(stages[1].image[mask], face_photo[mask])


def test_a_black_and_white_photo_gets_a_grey_fill_and_a_colour_one_keeps_colour(inpainter, face_photo):
    mask = np.zeros(face_photo.shape[:2], bool)
    mask[100:140, 90:160] = True
    grey = np.repeat(face_photo.mean(axis=2, keepdims=True).round().astype(np.uint8), 3, axis=2)
    for stage in inpainter.stream(grey, mask):
        filled = stage.image[mask].astype(int)
        assert (filled[:, 0] == filled[:, 1]).all() and (filled[:, 1] == filled[:, 2]).all(), stage.name
        assert filled.std() > 0  # a fill, not a flat patch
    colour = inpainter.inpaint(face_photo, mask)[mask].astype(int)
    assert np.abs(colour[:, 0] - colour[:, 2]).mean() > 1  # the same network gives colour where the photo has it


def test_a_hole_decoded_in_slices_is_the_hole_decoded_at_once(inpainter, face_photo, monkeypatch):
    from in2_studio.engine import inpainter as engine

    mask = np.zeros(face_photo.shape[:2], bool)
    mask[60:200, 50:210] = True  # 22,400 pixels
    whole = inpainter.inpaint(face_photo, mask)
    monkeypatch.setattr(engine, "DECODE_SLICE", 1000)  # 23 slices, the last one short
    np.testing.assert_array_equal(inpainter.inpaint(face_photo, mask), whole)


def test_cancel_stops_the_full_decode_between_slices(inpainter, face_photo, monkeypatch):
    from in2_studio.engine import inpainter as engine

    monkeypatch.setattr(engine, "DECODE_SLICE", 1000)  # the hole below is 23 slices
    decoded = []
    decode = Inpainter._decode_pixels
    monkeypatch.setattr(Inpainter, "_decode_pixels", lambda self, *a: decoded.append(1) or decode(self, *a))
    mask = np.zeros(face_photo.shape[:2], bool)
    mask[60:200, 50:210] = True
    seen = []
    for stage in inpainter.stream(face_photo, mask, cancel=lambda: len(decoded) >= 3):  # set two slices in
        seen.append(stage.name)
    assert seen == ["preview"]  # no full result, and no error: a cancelled job just ends
    assert 3 <= len(decoded) < 23


def test_stream_honours_cancel(inpainter, face_photo):
    mask = np.zeros(face_photo.shape[:2], bool)
    mask[100:140, 90:160] = True
    cancel = threading.Event()
    seen = []
    for stage in inpainter.stream(face_photo, mask, cancel=cancel):
        seen.append(stage.name)
        cancel.set()  # the person painted again while the preview was shown
    assert seen == ["preview"]
    assert list(inpainter.stream(face_photo, mask, cancel=lambda: True)) == []


def record_encoder_inputs(inpainter: Inpainter) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The (image, mask) the real encoder is given on each call from now on."""
    seen = []
    encode = inpainter.model.encode
    inpainter.model.encode = lambda image, mask: seen.append((image.clone(), mask.clone())) or encode(image, mask)
    return seen


def test_the_encoder_sees_the_region_at_the_working_size_and_the_preview_never_larger(tiny_weights, face_photo):
    """A photo larger than the working size is shrunk for the encoder; a preview size above the working size
    would only make the preview slower, so the preview's encoder input is capped at the working size."""
    inpainter = Inpainter.load(tiny_weights, device="cpu", working_size=48, preview_size=96)
    seen = record_encoder_inputs(inpainter)
    mask = np.zeros(face_photo.shape[:2], bool)
    mask[100:140, 90:160] = True
    stages = list(inpainter.stream(face_photo, mask))
    assert [max(image.shape[-2:]) for image, _ in seen] == [48, 48]
    assert all(s.image.shape == face_photo.shape for s in stages)


def test_what_lies_under_the_hole_never_reaches_the_shrunk_encoder_input(tiny_weights, face_photo):
    """Shrunk to the working size, a pixel is the mean of the known pixels under it, and hole only where none
    is known: the photo under the hole cannot change what the encoder sees, and a thin stroke's rim stays."""
    inpainter = Inpainter.load(tiny_weights, device="cpu", working_size=64, preview_size=32)
    seen = record_encoder_inputs(inpainter)
    mask = np.zeros(face_photo.shape[:2], bool)
    mask[100:103, 60:200] = True  # a stroke three photo pixels thin
    for colour in ((255, 0, 255), (0, 255, 0)):
        photo = face_photo.copy()
        photo[mask] = colour
        inpainter.inpaint(photo, mask)
    (first, first_hole), (second, second_hole) = seen
    assert first.shape[-1] < face_photo.shape[1] // 2  # it was shrunk
    torch.testing.assert_close(first * (1 - first_hole), second * (1 - second_hole))  # what encode keeps
    torch.testing.assert_close(first_hole, second_hole)
    assert first_hole.sum() < 0.5 * first_hole.shape[-1]  # not every working pixel the stroke touches is hole


def test_the_preview_runs_the_crop_alone_and_the_full_result_with_its_mirror(tiny_weights, face_photo):
    inpainter = Inpainter.load(tiny_weights, device="cpu", working_size=64, preview_size=32)
    seen = record_encoder_inputs(inpainter)
    mask = np.zeros(face_photo.shape[:2], bool)
    mask[100:140, 90:160] = True
    list(inpainter.stream(face_photo, mask))
    (preview, _), (full, _) = seen
    assert len(preview) == 1 and len(full) == 2
    torch.testing.assert_close(full[1], full[0].flip(-1))


def test_empty_mask_returns_the_original(inpainter, face_photo):
    out = inpainter.inpaint(face_photo, np.zeros(face_photo.shape[:2], bool))
    np.testing.assert_array_equal(out, face_photo)
    assert out is not face_photo


def test_a_mask_covering_everything_still_works(inpainter, face_photo):
    out = inpainter.inpaint(face_photo, np.ones(face_photo.shape[:2], bool))
    assert out.shape == face_photo.shape


def test_inputs_are_not_modified(inpainter, face_photo):
    image, mask = face_photo.copy(), np.zeros(face_photo.shape[:2], bool)
    mask[10:30, 10:30] = True
    inpainter.inpaint(image, mask)
    np.testing.assert_array_equal(image, face_photo)


def test_a_mask_of_another_size_is_refused(inpainter, face_photo):
    with pytest.raises(ImageError, match="same size"):
        inpainter.inpaint(face_photo, np.ones((10, 10), bool))


def test_an_image_that_is_not_rgb_uint8_is_refused(inpainter):
    with pytest.raises(ImageError, match="uint8"):
        inpainter.inpaint(np.zeros((8, 8), np.float32), np.ones((8, 8), bool))


def test_work_follows_the_hole_not_the_photo():
    mask = np.zeros((3000, 4000), bool)
    mask[1400:1600, 2000:2200] = True
    box = context_box(mask)
    assert (box.height, box.width) == (600, 600)
    assert fit_size(box.height, box.width, 512) == (512, 512)
    assert fit_size(100, 50, 512) == (100, 50)  # never scaled up


def test_hole_depth_is_the_distance_to_the_nearest_known_pixel():
    hole = np.zeros((20, 40), bool)
    hole[:, :10] = True  # touches three edges: only column 10 is known nearby
    assert hole_depth(hole) == pytest.approx(10, abs=0.5)
    assert hole_depth(np.ones((5, 5), bool)) == float("inf")


def working_hole(hole: np.ndarray, h: int, w: int) -> np.ndarray:
    """The hole shrunk to (h, w) by the engine's own rule."""
    return Inpainter._working_inputs(np.zeros((*hole.shape, 3), np.uint8), hole, h, w)[1]


def test_a_shallow_hole_keeps_the_working_size():
    hole = np.zeros((300, 400), bool)
    hole[100:112, 20:380] = True  # a long stroke, 6 working pixels deep at 192
    shape = fit_size(300, 400, 192)
    assert shallow_shape(working_hole(hole, *shape), 300, 400, max_depth=36) == shape


def test_a_deep_hole_is_shrunk_until_it_is_shallow_enough():
    hole = np.zeros((300, 400), bool)
    hole[40:260, 80:320] = True  # 220×240: about 53 working pixels deep at 192
    shape = fit_size(300, 400, 192)
    h, w = shallow_shape(working_hole(hole, *shape), 300, 400, max_depth=36)
    assert 96 <= max(h, w) < 192 and h / w == pytest.approx(300 / 400, abs=0.02)
    assert 30 <= hole_depth(working_hole(hole, h, w)) <= 36
    assert shallow_shape(working_hole(hole, *shape), 300, 400, max_depth=None) == shape
    # Never below half the working size, even with nothing known around the hole.
    everything = np.ones((300, 400), bool)
    assert shallow_shape(working_hole(everything, *shape), 300, 400, max_depth=36) == fit_size(300, 400, 96)


def test_the_engine_shrinks_only_deep_holes(tiny_weights, face_photo):
    shrinking = Inpainter.load(tiny_weights, device="cpu", working_size=64, preview_size=32, max_hole_depth=8)
    fixed = Inpainter.load(tiny_weights, device="cpu", working_size=64, preview_size=32, max_hole_depth=None)
    stroke = np.zeros(face_photo.shape[:2], bool)
    stroke[120:124, 40:210] = True
    np.testing.assert_array_equal(shrinking.inpaint(face_photo, stroke), fixed.inpaint(face_photo, stroke))
    box = np.zeros(face_photo.shape[:2], bool)
    box[60:190, 60:190] = True
    assert not np.array_equal(shrinking.inpaint(face_photo, box), fixed.inpaint(face_photo, box))


def test_missing_weights_file_is_a_clear_error(tmp_path):
    with pytest.raises(WeightsError, match="not found"):
        Inpainter.load(tmp_path / "nope.safetensors")


def test_truncated_weights_file_is_refused(tmp_path, tiny_weights):
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(tiny_weights.read_bytes()[:500])
    with pytest.raises(WeightsError, match="broken.safetensors"):
        Inpainter.load(broken)


def test_weights_for_another_configuration_are_refused(tmp_path, tiny_weights):
    # A file claiming the tiny configuration but holding a differently shaped network.
    other = IN2(IN2Config(channels=(8, 12, 20), blocks=(1, 1, 1), attention_blocks=1, heads=2, kernel=3,
                          decoder_hidden=16, fourier_bands=2))  # fmt: skip
    other.config = IN2Config.tiny()
    path = tmp_path / "other.safetensors"
    save_weights(other, path)
    with pytest.raises(WeightsError, match="does not fit"):
        load_weights(path)


def test_half_precision_file_loads_as_float32(tmp_path):
    torch.manual_seed(0)
    model = IN2(IN2Config.tiny())
    path = tmp_path / "half.safetensors"
    save_weights(model, path, half=True)
    loaded = load_weights(path)
    weight = loaded.decoder.levels[0].project.weight
    assert weight.dtype == torch.float32
    torch.testing.assert_close(weight, model.decoder.levels[0].project.weight, atol=1e-3, rtol=1e-3)


def test_unknown_device_is_refused(tiny_weights):
    from in2_studio.errors import In2Error

    with pytest.raises(In2Error, match="unknown device"):
        Inpainter.load(tiny_weights, device="tpu")
