"""Mask generators: coverage in range, face-part boxes on their landmark, fixed evaluation masks."""

import numpy as np
import pytest

from in2_studio.training.masks import (
    EVAL_KINDS,
    MASK_MIX,
    box,
    check_mask_mix,
    coverage,
    draw_mask_kind,
    eval_mask,
    face_box,
    face_part,
    face_region,
    free_form,
    off_face_box,
    off_face_eval,
    training_mask,
)

# An LFW-like face scaled into a 128×160 crop: left eye, right eye, nose tip, mouth.
LANDMARKS = np.array([[45, 62], [83, 62], [64, 78], [64, 95]], np.float32)


def test_training_mask_coverage_stays_in_range_over_many_draws():
    rng = np.random.default_rng(0)
    shapes = [(96, 96), (64, 128), (128, 64), (160, 128), (96, 192)]
    covers = []
    for i in range(600):
        h, w = shapes[i % len(shapes)]
        points = LANDMARKS * np.array([w / 128, h / 160], np.float32)
        mask = training_mask(rng, h, w, points)
        assert mask.shape == (h, w) and mask.dtype == np.float32
        assert set(np.unique(mask).tolist()) <= {0.0, 1.0}
        covers.append(coverage(mask))
    covers = np.array(covers)
    assert covers.min() >= 0.05 and covers.max() <= 0.60
    assert covers.min() < 0.10 and covers.max() > 0.45  # the whole range is used, not one size
    # Even a face far outside the crop yields a hole of the promised size.
    far = training_mask(rng, 64, 64, LANDMARKS + 1000)
    assert 0.05 <= coverage(far) <= 0.60


def test_generators_are_seeded():
    for make in (free_form, box):
        a = make(np.random.default_rng(5), 80, 120)
        b = make(np.random.default_rng(5), 80, 120)
        c = make(np.random.default_rng(6), 80, 120)
        assert a.shape == (80, 120) and np.array_equal(a, b) and not np.array_equal(a, c)
        assert a.any()


def test_free_form_draws_thin_strokes_not_blocks():
    rng = np.random.default_rng(1)
    mask = free_form(rng, 128, 128)
    # A stroke is thin: eroding by a fifth of the image wipes most of it out, unlike a box.
    import cv2

    eroded = cv2.erode(mask, np.ones((25, 25), np.uint8))
    assert eroded.sum() < 0.2 * mask.sum()


@pytest.mark.parametrize("seed", range(20))
def test_face_part_masks_land_on_a_landmark(seed):
    rng = np.random.default_rng(seed)
    mask = face_part(rng, 160, 128, LANDMARKS)
    hit = [bool(mask[int(y), int(x)]) for x, y in LANDMARKS]
    assert any(hit)
    assert 0.01 < coverage(mask) < 0.4
    # The box is near the landmark it covers: nothing at the crop's corners.
    assert not mask[:20, :20].any() and not mask[-20:, -20:].any()


@pytest.mark.parametrize("kind", EVAL_KINDS)
def test_eval_masks_are_deterministic(kind):
    a = eval_mask(kind, 160, 128, LANDMARKS, seed=3)
    b = eval_mask(kind, 160, 128, LANDMARKS, seed=3)
    c = eval_mask(kind, 160, 128, LANDMARKS, seed=4)
    assert a.dtype == bool and a.shape == (160, 128)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_eval_masks_cover_what_their_names_say():
    for seed in range(10):
        eyes = eval_mask("eyes", 160, 128, LANDMARKS, seed)
        assert eyes[62, 45] and eyes[62, 83] and not eyes[95, 64]
        nose_mouth = eval_mask("nose_mouth", 160, 128, LANDMARKS, seed)
        assert nose_mouth[78, 64] and nose_mouth[95, 64] and not nose_mouth[62, 45]
        large = eval_mask("large_box", 160, 128, LANDMARKS, seed)
        assert 0.29 <= coverage(large) <= 0.51
        assert large[int(LANDMARKS[:, 1].mean()), int(LANDMARKS[:, 0].mean())]
        strokes = eval_mask("strokes", 160, 128, LANDMARKS, seed)
        assert 0.10 <= coverage(strokes) <= 0.40
    with pytest.raises(ValueError):
        eval_mask("ears", 10, 10, LANDMARKS, 0)


def test_the_mask_mix_chooses_the_kinds_of_hole():
    rng = np.random.default_rng(3)
    large = [coverage(training_mask(rng, 128, 160, LANDMARKS, {"large_box": 1})) for _ in range(100)]
    default = [coverage(training_mask(rng, 128, 160, LANDMARKS)) for _ in range(100)]
    assert min(large) >= 0.19  # every hole is a large box over the face (20 %–55 % of the crop)
    assert np.mean(np.array(default) < 0.19) > 0.3
    centre = LANDMARKS.mean(axis=0).round().astype(int)
    assert all(training_mask(rng, 128, 160, LANDMARKS, {"large_box": 1})[centre[1], centre[0]] for _ in range(20))


def test_a_face_box_is_sized_by_the_face_not_the_crop():
    rng = np.random.default_rng(4)
    eye_distance = LANDMARKS[1, 0] - LANDMARKS[0, 0]
    for scale in (1.0, 1.5):  # the same loosely framed face, and at 1.5 times the size
        points = (LANDMARKS + [64, 80]) * scale
        sides = [face_box(rng, int(320 * scale), int(256 * scale), points).sum() ** 0.5 for _ in range(200)]
        sides = np.array(sides) / (eye_distance * scale)
        assert 2.0 - 0.05 <= sides.min() < 2.2 and 4.3 < sides.max() <= 4.5 + 0.05
    tight = [coverage(face_box(rng, 128, 160, LANDMARKS)) for _ in range(50)]
    assert 0.5 < max(tight) <= 0.56  # in a tight crop it stops at 55 % of the crop
    centre = LANDMARKS.mean(axis=0).round().astype(int)
    assert all(training_mask(rng, 128, 160, LANDMARKS, {"face_box": 1})[centre[1], centre[0]] for _ in range(20))


def test_a_named_kind_sets_the_first_shape_and_the_mix_the_rest():
    rng = np.random.default_rng(5)
    centre = LANDMARKS.mean(axis=0).round().astype(int)
    holes = [training_mask(rng, 128, 160, LANDMARKS, {"strokes": 1}, kind="large_box") for _ in range(40)]
    assert all(hole[centre[1], centre[0]] and coverage(hole) >= 0.19 for hole in holes)
    # Strokes first; the mix's large boxes (never under 19 % alone) come as a second shape or to grow a tiny hole.
    first_strokes = [
        coverage(training_mask(rng, 128, 160, LANDMARKS, {"large_box": 1}, kind="strokes")) for _ in range(200)
    ]
    assert np.mean(np.array(first_strokes) < 0.19) > 0.2
    with pytest.raises(ValueError, match="unknown mask kind 'eyes'"):
        training_mask(rng, 128, 160, LANDMARKS, kind="eyes")


@pytest.mark.parametrize("mix", [{"eyes": 1.0}, {"strokes": -1.0}, {"strokes": 0.0}])
def test_a_bad_mask_mix_is_refused(mix):
    with pytest.raises(ValueError):
        check_mask_mix(mix)


def _overlaps_face(mask: np.ndarray, landmarks: np.ndarray) -> bool:
    x0, y0, x1, y1 = face_region(landmarks)
    rows, cols = np.nonzero(mask)
    return bool(np.any((cols + 1 > x0) & (cols < x1) & (rows + 1 > y0) & (rows < y1)))


def test_an_off_face_box_stays_off_the_face_and_shrinks_to_find_room():
    rng = np.random.default_rng(6)
    beside = LANDMARKS + [90, 0]  # the face at the right of a 256-wide crop: room on its left
    holes = [off_face_box(rng, 160, 256, beside) for _ in range(200)]
    assert not any(_overlaps_face(hole, beside) for hole in holes)
    covers = np.array([coverage(hole) for hole in holes])
    assert covers.min() > 0.02 and covers.max() > 0.3  # large where there is room, smaller where there is less
    assert not off_face_box(rng, 64, 64, LANDMARKS - [20, 30]).any()  # the face fills the crop: no room at all
    holes = [training_mask(rng, 160, 256, beside, {"off_face": 1}) for _ in range(50)]
    assert not any(_overlaps_face(hole, beside) for hole in holes)


def test_a_zero_share_kind_is_never_drawn_and_leaves_the_draws_as_they_were():
    without = check_mask_mix({kind: share for kind, share in MASK_MIX.items() if kind != "off_face"})
    with_zero = check_mask_mix(MASK_MIX | {"off_face": 0})
    a, b = np.random.default_rng(7), np.random.default_rng(7)
    assert [draw_mask_kind(a, without) for _ in range(2000)] == [draw_mask_kind(b, with_zero) for _ in range(2000)]
    rng = np.random.default_rng(8)
    assert {draw_mask_kind(rng, check_mask_mix({"strokes": 1, "off_face": 0})) for _ in range(100)} == {"strokes"}


@pytest.mark.parametrize("seed", range(12))
def test_the_off_face_eval_hole_is_a_box_in_a_band_beside_the_face(seed):
    lfw = np.array([[103, 111], [146, 111], [125, 135], [125, 160]], np.float32)  # faces.LFW_LANDMARKS
    (rows, cols), hole = off_face_eval(250, 250, lfw, seed)
    band = np.zeros((250, 250), bool)
    band[rows, cols] = True
    assert not _overlaps_face(band, lfw) and hole.shape == band[rows, cols].shape
    thickness, length = sorted(hole.shape)
    assert thickness >= 0.9 * 43
    box_rows, box_cols = np.nonzero(hole)
    box_h, box_w = np.ptp(box_rows) + 1, np.ptp(box_cols) + 1
    assert hole.sum() == box_h * box_w  # one box
    assert 0.6 * thickness - 1 <= min(box_h, box_w) <= 0.85 * thickness + 1
    assert 0.3 * length - 1 <= max(box_h, box_w) <= 0.45 * length + 1
    again = off_face_eval(250, 250, lfw, seed)
    assert again[0] == (rows, cols) and np.array_equal(again[1], hole)


def test_the_off_face_eval_uses_the_bands_there_are_and_refuses_a_photo_without_one():
    celeba = np.array([[69, 111], [109, 111], [89, 133], [89, 154]], np.float32)  # faces.CELEBA_LANDMARKS
    bands = {str(off_face_eval(218, 178, celeba, seed)[0]) for seed in range(20)}
    assert bands == {str((slice(0, 59), slice(0, 178)))}  # the aligned CelebA face leaves room above it only
    with pytest.raises(ValueError, match="no band"):
        off_face_eval(120, 100, celeba - [39, 50], 0)
