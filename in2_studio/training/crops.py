"""Adaptive training batches: random aspect ratio and size per batch, so that no shape is special.

Batch `i` of a `FaceCrops` depends only on (seed, i): a resumed run continues the same sequence from its step.
"""

from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import torch

from in2_studio.errors import ImageError
from in2_studio.training.faces import landmarks_for
from in2_studio.training.masks import (
    MASK_MIX,
    check_mask_kinds,
    check_mask_mix,
    draw_mask_kind,
    face_region,
    training_mask,
)

MIN_ASPECT, MAX_ASPECT = 0.5, 2.0  # width / height
SIZE_STEP = 8  # the network downsamples three times
# A crop's width, as a share of the widest crop of its aspect that fits the photo. 0.5-1.0 until session 17: the
# looser crops let masks.face_box cover as much of the face as the eval's large boxes do.
CROP_SCALE = (0.7, 1.0)
# An off-face hole's crop, unless a config's crop_scale_by_kind says otherwise: tighter than the face's, so that the
# face is often out of view, as around a hole on a shoulder or a wall (docs/training-history.md, sessions 29-31).
OFF_FACE_CROP_SCALE = (0.3, 0.7)


def batch_shape(rng: np.random.Generator, long_side: tuple[int, int]) -> tuple[int, int]:
    """A random (h, w): aspect ratio log-uniform in [1/2, 2], long side in [lo, hi], multiples of 8."""
    lo, hi = long_side
    aspect = float(np.exp(rng.uniform(np.log(MIN_ASPECT), np.log(MAX_ASPECT))))
    long = int(rng.integers(lo, hi + 1))
    short = long / aspect if aspect >= 1 else long * aspect
    long_px = max(SIZE_STEP, int(round(long / SIZE_STEP)) * SIZE_STEP)
    short_px = max(SIZE_STEP, int(round(short / SIZE_STEP)) * SIZE_STEP)
    return (short_px, long_px) if aspect >= 1 else (long_px, short_px)


def check_crop_scale(scale) -> tuple[float, float]:
    """`scale` as a (low, high) tuple; a ValueError unless 0 < low <= high <= 1."""
    if len(scale) != 2 or not 0 < scale[0] <= scale[1] <= 1:
        raise ValueError(f"crop_scale = {list(scale)}: give [low, high] with 0 < low <= high <= 1")
    return tuple(scale)


def check_crop_scale_by_kind(table) -> dict[str, tuple[float, float]]:
    """`table` (mask kind -> crop scale) checked: known kinds, each scale as `check_crop_scale` wants it."""
    try:
        check_mask_kinds(table)
    except ValueError as e:
        raise ValueError(f"crop_scale_by_kind: {e}") from None
    return {kind: check_crop_scale(scale) for kind, scale in table.items()}


def read_rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ImageError(f"Cannot read training image: {path}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def random_crop(
    rng: np.random.Generator,
    image: np.ndarray,
    landmarks: np.ndarray,
    h: int,
    w: int,
    scale: tuple[float, float] = CROP_SCALE,
    off_face: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Crop a region of aspect w/h spanning `scale` of the largest such region's width, placed around the
    face (or, `off_face`, centred anywhere off it), and resize it to (h, w). Returns the uint8 crop and the
    landmarks in its pixels."""
    src_h, src_w = image.shape[:2]
    aspect = w / h
    max_w = min(float(src_w), src_h * aspect)
    crop_w = max(2.0, max_w * rng.uniform(*scale))
    crop_h = max(2.0, crop_w / aspect)
    if off_face:
        cx, cy = _off_face_centre(rng, landmarks, src_h, src_w)
    else:  # near the face, within a quarter of the crop
        face_x, face_y = landmarks.mean(axis=0)
        cx = face_x + rng.uniform(-0.25, 0.25) * crop_w
        cy = face_y + rng.uniform(-0.25, 0.25) * crop_h
    # Keep the crop inside the photo.
    x0 = float(np.clip(cx - crop_w / 2, 0, src_w - crop_w))
    y0 = float(np.clip(cy - crop_h / 2, 0, src_h - crop_h))
    ix0, iy0 = int(round(x0)), int(round(y0))
    ix1, iy1 = min(src_w, int(round(x0 + crop_w))), min(src_h, int(round(y0 + crop_h)))
    region = image[iy0:iy1, ix0:ix1]
    crop = cv2.resize(region, (w, h), interpolation=cv2.INTER_AREA)
    sx, sy = w / (ix1 - ix0), h / (iy1 - iy0)
    points = np.empty_like(landmarks, dtype=np.float32)
    points[:, 0] = (landmarks[:, 0] - ix0 + 0.5) * sx - 0.5  # pixel centres map to pixel centres
    points[:, 1] = (landmarks[:, 1] - iy0 + 0.5) * sy - 0.5
    return crop, points


def _off_face_centre(rng: np.random.Generator, landmarks: np.ndarray, h: int, w: int) -> tuple[float, float]:
    """A point of the photo outside the face (`masks.face_region`), if 20 tries find one: a crop centred there
    shows the face in part or not at all, so that a hole there is not a face's place."""
    fx0, fy0, fx1, fy1 = face_region(landmarks)
    for _ in range(20):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        if not (fx0 <= x <= fx1 and fy0 <= y <= fy1):
            break
    return x, y


def hflip(image: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mirror the crop; the eye on the image's left stays first, so the two eyes swap places."""
    w = image.shape[1]
    points = landmarks.copy()
    points[:, 0] = w - 1 - points[:, 0]
    points[[0, 1]] = points[[1, 0]]
    return np.ascontiguousarray(image[:, ::-1]), points


def colour_jitter(rng: np.random.Generator, image: np.ndarray, amount: float = 0.1) -> np.ndarray:
    """Brightness, contrast and saturation, each by a factor in [1 - amount, 1 + amount]; float32 [0, 1]."""
    x = image.astype(np.float32) * (1.0 / 255.0)
    brightness, contrast, saturation = rng.uniform(1 - amount, 1 + amount, size=3)
    x *= brightness
    gray = x @ np.array([0.299, 0.587, 0.114], np.float32)
    x = (x - gray.mean()) * contrast + gray.mean()
    gray = gray[..., None] * contrast + gray.mean() * (1 - contrast)
    x = (x - gray) * saturation + gray
    return np.clip(x, 0.0, 1.0, out=x)


class FaceCrops:
    """An endless, seeded stream of training batches: dicts of `image` (B,3,h,w) float32 in [0, 1],
    `mask` (B,1,h,w) float32 {0, 1} (1 = hole) and `landmarks` (B,4,2) in crop pixels (x, y).

    `prefetch` > 0 prepares that many batches ahead, in as many threads (OpenCV releases the GIL)."""

    def __init__(
        self,
        files: Sequence[Path],
        batch_size: int,
        long_side: tuple[int, int] = (96, 192),
        seed: int = 0,
        start: int = 0,
        prefetch: int = 0,
        flip: bool = True,
        jitter: float = 0.1,
        mask_mix: dict[str, float] = MASK_MIX,
        crop_scale: tuple[float, float] = CROP_SCALE,
        crop_scale_by_kind: dict[str, tuple[float, float]] | None = None,
    ):
        if not files:
            raise ValueError("FaceCrops needs at least one training file")
        if long_side[0] > long_side[1] or long_side[0] < SIZE_STEP * 2:
            raise ValueError(f"bad long_side range {long_side}")
        self.files = list(files)
        self.batch_size = batch_size
        self.long_side = long_side
        self.seed = seed
        self.start = start
        self.prefetch = prefetch
        self.flip = flip
        self.jitter = jitter
        self.mask_mix = check_mask_mix(mask_mix)
        self.crop_scale = check_crop_scale(crop_scale)
        own_scales = check_crop_scale_by_kind(crop_scale_by_kind or {})
        self.crop_scale_by_kind = {"off_face": OFF_FACE_CROP_SCALE, **own_scales}

    def sample(self, rng: np.random.Generator, path: Path, h: int, w: int):
        image = read_rgb(path)
        # The hole's kind is drawn first: it decides the crop (its scale, and an off-face hole's placement).
        kind = draw_mask_kind(rng, self.mask_mix)
        scale = self.crop_scale_by_kind.get(kind, self.crop_scale)
        landmarks = landmarks_for(path, image.shape)
        crop, points = random_crop(rng, image, landmarks, h, w, scale, off_face=kind == "off_face")
        if self.flip and rng.random() < 0.5:
            crop, points = hflip(crop, points)
        pixels = colour_jitter(rng, crop, self.jitter) if self.jitter else crop.astype(np.float32) / 255.0
        mask = training_mask(rng, h, w, points, self.mask_mix, kind)
        return pixels, mask, points

    def batch(self, index: int) -> dict[str, torch.Tensor]:
        """Batch number `index`: the same for the same seed, files and settings."""
        rng = np.random.default_rng([self.seed, index])
        h, w = batch_shape(rng, self.long_side)
        picks = rng.integers(0, len(self.files), size=self.batch_size)
        images = np.empty((self.batch_size, h, w, 3), np.float32)
        masks = np.empty((self.batch_size, 1, h, w), np.float32)
        points = np.empty((self.batch_size, 4, 2), np.float32)
        for b, pick in enumerate(picks):
            images[b], masks[b, 0], points[b] = self.sample(rng, self.files[pick], h, w)
        return {
            "image": torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(),
            "mask": torch.from_numpy(masks),
            "landmarks": torch.from_numpy(points),
        }

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        if self.prefetch <= 0:
            index = self.start
            while True:
                yield self.batch(index)
                index += 1
        else:
            yield from self._prefetched()

    def _prefetched(self) -> Iterator[dict[str, torch.Tensor]]:
        """`prefetch` batches made ahead by as many threads (OpenCV releases the GIL), yielded in order; a
        batch that failed raises here."""
        with ThreadPoolExecutor(self.prefetch, thread_name_prefix="face-crops") as pool:
            ahead = deque(pool.submit(self.batch, i) for i in range(self.start, self.start + self.prefetch))
            index = self.start + self.prefetch
            try:
                while True:
                    batch = ahead.popleft().result()
                    ahead.append(pool.submit(self.batch, index))
                    index += 1
                    yield batch
            finally:
                for future in ahead:
                    future.cancel()
