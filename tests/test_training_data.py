"""The training data pipeline: splits that never leak a test face, and batches of the promised shapes."""

from pathlib import Path

import numpy as np
import pytest
import torch

from in2_studio.errors import In2Error
from in2_studio.training.crops import FaceCrops, batch_shape, hflip, random_crop
from in2_studio.training.faces import LFW_LANDMARKS, face_files, landmarks_for, training_files
from in2_studio.training.masks import face_region

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="module")
def train_files():
    return training_files()


def test_training_files_hold_no_lfw_test_identity(train_files):
    test_people = {line.strip() for line in (DATA / "lfw-test-identities.txt").read_text().splitlines()}
    test_people.discard("")
    assert len(test_people) == 598
    lfw_train = [f for f in train_files if "lfw" in f.parts]
    assert len(lfw_train) > 10_000
    assert not {f.parent.name for f in lfw_train} & test_people
    # The test split is exactly those people, all of them.
    lfw_test = face_files("lfw", "test")
    assert {f.parent.name for f in lfw_test} == test_people
    assert len(lfw_test) == 1548


def test_training_files_hold_no_celeba_test_or_val_file(train_files):
    celeba_train = [f for f in train_files if "celeba-200id" in f.parts]
    assert len(celeba_train) == 4800
    assert all(f.parts[-3] == "train" for f in celeba_train)
    held_out = {f.name for split in ("test", "val") for f in (DATA / "celeba-200id" / split).glob("*/*.jpg")}
    assert len(held_out) == 1200
    assert not {f.name for f in celeba_train} & held_out
    assert face_files("celeba", "test") == sorted((DATA / "celeba-200id" / "test").glob("*/*.jpg"))


def test_face_files_refuse_what_does_not_exist(monkeypatch, tmp_path):
    with pytest.raises(In2Error, match="no validation"):
        face_files("lfw", "val")
    with pytest.raises(In2Error, match="source"):
        face_files("ffhq", "train")
    monkeypatch.setenv("IN2_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(In2Error, match="nowhere"):
        training_files()


def test_batch_shapes_cover_the_promised_aspects_and_sizes():
    rng = np.random.default_rng(0)
    shapes = [batch_shape(rng, (96, 192)) for _ in range(2000)]
    aspects = np.array([w / h for h, w in shapes])
    longs = np.array([max(h, w) for h, w in shapes])
    assert all(h % 8 == 0 and w % 8 == 0 for h, w in shapes)
    assert aspects.min() >= 0.45 and aspects.max() <= 2.2  # 1:2 to 2:1, give or take the rounding to 8
    assert aspects.min() < 0.6 and aspects.max() > 1.8 and (np.abs(aspects - 1) < 0.1).any()
    assert longs.min() >= 96 and longs.max() <= 192
    assert longs.min() <= 100 and longs.max() >= 184


def test_face_crops_yield_seeded_batches_of_one_shape(train_files):
    files = train_files[::500]
    crops = FaceCrops(files, batch_size=3, long_side=(64, 96), seed=7)
    batches = [b for b, _ in zip(crops, range(4), strict=False)]
    for batch in batches:
        images, masks, points = batch["image"], batch["mask"], batch["landmarks"]
        b, c, h, w = images.shape
        assert (b, c) == (3, 3) and masks.shape == (3, 1, h, w) and points.shape == (3, 4, 2)
        assert images.dtype == masks.dtype == torch.float32
        assert images.min() >= 0 and images.max() <= 1 and images.std() > 0.05
        assert set(masks.unique().tolist()) <= {0.0, 1.0}
        assert h % 8 == 0 and w % 8 == 0 and 64 <= max(h, w) <= 96 and 0.45 <= w / h <= 2.2
    assert len({tuple(b["image"].shape) for b in batches}) > 1  # sizes vary from batch to batch
    again = FaceCrops(files, batch_size=3, long_side=(64, 96), seed=7, prefetch=2)
    for mine, theirs in zip(batches, again, strict=False):
        assert torch.equal(mine["image"], theirs["image"]) and torch.equal(mine["mask"], theirs["mask"])
    other = FaceCrops(files, batch_size=3, long_side=(64, 96), seed=8).batch(0)
    assert not torch.equal(other["mask"], batches[0]["mask"]) or other["image"].shape != batches[0]["image"].shape


def test_crop_landmarks_sit_on_the_eyes(train_files):
    """The eyes are the darkest band of an aligned face: the landmark rows must be darker than the cheeks."""
    files = train_files[::300]
    crops = FaceCrops(files, batch_size=len(files), long_side=(96, 128), seed=1, jitter=0.0)
    batch = crops.batch(0)
    gray = batch["image"].mean(dim=1).numpy()
    eye_vs_cheek = []
    for g, points in zip(gray, batch["landmarks"].numpy(), strict=True):
        (lx, ly), (rx, ry), (nx, ny), _ = points
        r = max(2, int(0.12 * abs(rx - lx)))

        def patch(x, y, g=g, r=r):
            h, w = g.shape
            x, y = int(round(x)), int(round(y))
            return g[max(0, y - r) : min(h, y + r + 1), max(0, x - r) : min(w, x + r + 1)]

        if all(0 <= v < s for v, s in ((lx, g.shape[1]), (rx, g.shape[1]), (ny, g.shape[0]))):
            eyes = np.concatenate([patch(lx, ly).ravel(), patch(rx, ry).ravel()]).mean()
            cheeks = np.concatenate([patch(lx, ny).ravel(), patch(rx, ny).ravel()]).mean()
            eye_vs_cheek.append(eyes < cheeks)
    assert len(eye_vs_cheek) >= 20
    assert np.mean(eye_vs_cheek) > 0.8


def test_flip_swaps_the_eyes():
    image = np.zeros((10, 20, 3), np.uint8)
    image[:, :5] = 255
    points = np.array([[4, 3], [14, 3], [9, 5], [9, 8]], np.float32)
    flipped, moved = hflip(image, points)
    assert flipped[:, -5:].min() == 255 and flipped[:, :15].max() == 0
    np.testing.assert_allclose(moved, [[5, 3], [15, 3], [10, 5], [10, 8]])


def test_landmarks_scale_with_the_image(train_files):
    celeba = next(f for f in train_files if "celeba-200id" in f.parts)
    full = landmarks_for(celeba, (218, 178, 3))
    half = landmarks_for(celeba, (109, 89, 3))
    np.testing.assert_allclose(half, full / 2)
    assert full[0, 0] < full[1, 0] and full[1, 1] < full[2, 1] < full[3, 1]


def test_crop_scale_sets_how_much_of_the_photo_a_crop_spans():
    """A crop spanning `scale` of the photo's width shows the face at 1/scale times its size."""
    rng = np.random.default_rng(0)
    photo = np.zeros((250, 250, 3), np.uint8)

    def eye_distances(scale):
        return [np.ptp(random_crop(rng, photo, LFW_LANDMARKS, 128, 128, scale)[1][:2, 0]) for _ in range(50)]

    assert np.allclose(eye_distances((1.0, 1.0)), 43 * 128 / 250, atol=0.6)
    tight = eye_distances((0.5, 0.6))
    assert min(tight) >= 43 * 128 / 250 / 0.6 - 0.6 and max(tight) <= 43 * 128 / 250 / 0.5 + 0.6
    with pytest.raises(ValueError, match="crop_scale"):
        FaceCrops([Path("a.jpg")], batch_size=1, crop_scale=(0.0, 1.0))


def test_a_hole_kind_can_have_crops_of_its_own_scale(train_files):
    """Face boxes on whole-photo crops, strokes on half-photo crops: each sample's face size says which it got."""
    lfw = [f for f in train_files if "lfw" in f.parts][:20]
    crops = FaceCrops(
        lfw,
        1,
        mask_mix={"face_box": 1, "strokes": 1},
        crop_scale=(0.5, 0.5),
        crop_scale_by_kind={"face_box": (1.0, 1.0)},
    )
    rng = np.random.default_rng(0)
    whole, half = 43 * 128 / 250, 43 * 128 / 125  # LFW's eye distance in a 128-pixel crop of the photo or half of it
    seen = {"whole": 0, "half": 0}
    for path in lfw * 3:
        _, mask, points = crops.sample(rng, path, 128, 128)
        eye_distance = np.ptp(points[:2, 0])
        assert min(abs(eye_distance - whole), abs(eye_distance - half)) < 0.6
        if abs(eye_distance - whole) < 0.6:
            seen["whole"] += 1
            centre = points.mean(axis=0).round().astype(int)
            assert mask[centre[1], centre[0]]  # a face box, which always covers the face
        else:
            seen["half"] += 1
    assert seen["whole"] > 15 and seen["half"] > 15
    with pytest.raises(ValueError, match="crop_scale_by_kind: unknown mask kinds eyes"):
        FaceCrops(lfw, 1, crop_scale_by_kind={"eyes": (0.5, 1.0)})


def test_off_face_crops_are_centred_off_the_face_and_their_holes_stay_off_it(train_files):
    """Near-face crops always hold the nose; off-face ones mostly do not, and their holes never touch the face."""
    rng = np.random.default_rng(1)
    photo = np.zeros((250, 250, 3), np.uint8)

    def holds_nose(off_face):
        _, points = random_crop(rng, photo, LFW_LANDMARKS, 96, 128, (0.3, 0.6), off_face=off_face)
        return 0 <= points[2, 0] < 128 and 0 <= points[2, 1] < 96

    assert all(holds_nose(False) for _ in range(100))
    assert np.mean([holds_nose(True) for _ in range(200)]) < 0.5
    lfw = [f for f in train_files if "lfw" in f.parts][:20]
    crops = FaceCrops(lfw, 1, mask_mix={"off_face": 1}, crop_scale=(0.3, 0.6))
    for path in lfw * 2:
        _, mask, points = crops.sample(rng, path, 96, 128)
        x0, y0, x1, y1 = face_region(points)
        rows, cols = np.nonzero(mask)
        assert 0.05 <= mask.mean() <= 0.6
        assert not np.any((cols + 1 > x0) & (cols < x1) & (rows + 1 > y0) & (rows < y1))
