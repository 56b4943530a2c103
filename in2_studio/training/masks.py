"""Hole masks for training and evaluation: brush strokes, boxes, and boxes over the face parts.

All generators draw from a numpy Generator so that a seed fixes the mask; they return uint8 H×W {0, 1}
(1 = hole) unless said otherwise. Landmarks are (4, 2) float (x, y) in the mask's own pixels, in the order
left eye, right eye, nose tip, mouth centre (see faces.py).
"""

import cv2
import numpy as np

MIN_COVERAGE = 0.05
MAX_COVERAGE = 0.60
EVAL_KINDS = ("eyes", "nose_mouth", "strokes", "large_box")
OFF_FACE = "off_face"  # the eval's hole away from the face (`off_face_eval`), measured apart from EVAL_KINDS
FACE_PARTS = ("one_eye", "both_eyes", "nose", "mouth", "nose_mouth")


def coverage(mask: np.ndarray) -> float:
    return float(np.count_nonzero(mask)) / mask.size


def free_form(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Random brush strokes as LaMa and MAT draw them: polylines of random angle, length and width."""
    mask = np.zeros((h, w), np.uint8)
    short, long = min(h, w), max(h, w)
    for _ in range(rng.integers(1, 6)):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        width = int(rng.uniform(0.04, 0.16) * short) + 1
        angle = rng.uniform(0, 2 * np.pi)
        points = [(x, y)]
        for _ in range(rng.integers(2, 9)):
            # A smooth turn each vertex, like a hand-held brush, and a length relative to the crop.
            angle += rng.uniform(-1.2, 1.2)
            length = rng.uniform(0.08, 0.3) * long
            x = float(np.clip(x + length * np.cos(angle), 0, w - 1))
            y = float(np.clip(y + length * np.sin(angle), 0, h - 1))
            points.append((x, y))
        pts = np.round(np.array(points)).astype(np.int32)
        cv2.polylines(mask, [pts], False, 1, thickness=width, lineType=cv2.LINE_8)
        for px, py in pts:  # round joints, as a brush leaves them
            cv2.circle(mask, (int(px), int(py)), width // 2, 1, -1)
    return mask


def box(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """One to three random rectangles, each 10 %–70 % of the crop's width and height."""
    mask = np.zeros((h, w), np.uint8)
    for _ in range(rng.integers(1, 4)):
        bw = int(rng.uniform(0.1, 0.7) * w) + 1
        bh = int(rng.uniform(0.1, 0.7) * h) + 1
        x0 = int(rng.integers(0, w - bw + 1))
        y0 = int(rng.integers(0, h - bh + 1))
        mask[y0 : y0 + bh, x0 : x0 + bw] = 1
    return mask


def _fill_box(mask: np.ndarray, cx: float, cy: float, bw: float, bh: float) -> None:
    h, w = mask.shape
    x0, x1 = int(np.clip(round(cx - bw / 2), 0, w)), int(np.clip(round(cx + bw / 2), 0, w))
    y0, y1 = int(np.clip(round(cy - bh / 2), 0, h)), int(np.clip(round(cy + bh / 2), 0, h))
    mask[y0:y1, x0:x1] = 1


def eye_distance(landmarks: np.ndarray) -> float:
    """The distance between the eyes in pixels, at least 4: the face's own unit of size."""
    left, right = (np.asarray(p, np.float64) for p in landmarks[:2])
    return max(float(np.hypot(*(right - left))), 4.0)


def face_part_box(part: str, landmarks: np.ndarray, rng: np.random.Generator | None = None):
    """The (cx, cy, w, h) box over a face part, sized by the eye distance; jittered if `rng` is given."""
    left, right, nose, mouth = (np.asarray(p, np.float64) for p in landmarks)
    eye_dist = eye_distance(landmarks)
    eyes_y = (left[1] + right[1]) / 2
    if part == "one_eye":
        eye = left if rng is None or rng.random() < 0.5 else right
        cx, cy, bw, bh = eye[0], eye[1], 0.75 * eye_dist, 0.5 * eye_dist
    elif part == "both_eyes":
        cx, cy = (left[0] + right[0]) / 2, eyes_y
        bw, bh = right[0] - left[0] + 0.8 * eye_dist, 0.55 * eye_dist
    elif part == "nose":
        top = eyes_y + 0.15 * eye_dist
        bottom = nose[1] + 0.3 * eye_dist
        cx, cy, bw, bh = nose[0], (top + bottom) / 2, 0.65 * eye_dist, bottom - top
    elif part == "mouth":
        cx, cy, bw, bh = mouth[0], mouth[1], 1.1 * eye_dist, 0.55 * eye_dist
    elif part == "nose_mouth":
        top = eyes_y + 0.15 * eye_dist
        bottom = mouth[1] + 0.3 * eye_dist
        cx, cy, bw, bh = (nose[0] + mouth[0]) / 2, (top + bottom) / 2, 1.15 * eye_dist, bottom - top
    else:
        raise ValueError(f"unknown face part {part!r}")
    if rng is not None:
        cx += rng.uniform(-0.12, 0.12) * eye_dist
        cy += rng.uniform(-0.12, 0.12) * eye_dist
        bw *= rng.uniform(0.85, 1.3)
        bh *= rng.uniform(0.85, 1.3)
    return float(cx), float(cy), float(bw), float(bh)


def face_part(rng: np.random.Generator, h: int, w: int, landmarks: np.ndarray) -> np.ndarray:
    """A jittered box over one eye, both eyes, the nose, the mouth, or nose and mouth together."""
    mask = np.zeros((h, w), np.uint8)
    part = FACE_PARTS[rng.integers(len(FACE_PARTS))]
    _fill_box(mask, *face_part_box(part, landmarks, rng))
    return mask


# The training hole's kind and its probability: strokes, random boxes, face parts, a large box over the face.
# Large boxes went from 10 % to 20 % in session 15 and to 30 % in session 16: on CelebA val, +0.05 and +0.04 dB on
# them and level over all kinds each time (docs/training-history.md). Since session 17 they are sized by the face
# ("face_box"), not by the crop ("large_box", kept for configs that ask for it), with crops.CROP_SCALE's looser
# crops: +0.11 dB on them and level over all kinds.
# Since session 31's file, one hole in 11 is "off_face": a box kept off the face, in a crop placed away from it
# (crops.OFF_FACE_CROP_SCALE), so that the network stops drawing a face into a hole on a shoulder or a wall. The
# shares are scaled to sum to 1 (check_mask_mix). It is last so that a mix without it draws as one with it at 0.
MASK_MIX = {"strokes": 0.25, "boxes": 0.1, "face_parts": 0.35, "large_box": 0.0, "face_box": 0.3, "off_face": 0.1}


def check_mask_kinds(kinds) -> None:
    """A ValueError naming whichever of `kinds` are not kinds of training hole."""
    unknown = sorted(set(kinds) - set(MASK_MIX))
    if unknown:
        raise ValueError(f"unknown mask kinds {', '.join(unknown)} (choose from {', '.join(MASK_MIX)})")


def check_mask_mix(mix: dict[str, float]) -> dict[str, float]:
    """The mix with its shares scaled to sum to 1; a ValueError names an unknown kind or a bad share."""
    check_mask_kinds(mix)
    if any(not share >= 0 for share in mix.values()) or sum(mix.values()) <= 0:
        raise ValueError(f"mask shares must be non-negative with a positive sum, not {mix}")
    total = sum(mix.values())
    return {kind: mix.get(kind, 0.0) / total for kind in MASK_MIX}


def draw_mask_kind(rng: np.random.Generator, mix: dict[str, float]) -> str:
    """One kind of hole, drawn with the (checked) mix's shares; never one whose share is 0."""
    kinds, shares = zip(*((kind, share) for kind, share in mix.items() if share > 0), strict=True)
    return kinds[min(int(np.searchsorted(np.cumsum(shares), rng.random(), side="right")), len(kinds) - 1)]


def _one_training_shape(
    rng: np.random.Generator, h: int, w: int, landmarks: np.ndarray, mix, kind: str | None = None
) -> np.ndarray:
    kind = kind or draw_mask_kind(rng, mix)
    if kind == "strokes":
        return free_form(rng, h, w)
    if kind == "boxes":
        return box(rng, h, w)
    if kind == "face_parts":
        return face_part(rng, h, w, landmarks)
    if kind == "face_box":
        return face_box(rng, h, w, landmarks)
    if kind == "off_face":
        return off_face_box(rng, h, w, landmarks)
    # A large box over the face, as the hardest evaluation kind asks of the network.
    return large_box(rng, h, w, landmarks, area=(0.2, 0.55))


def training_mask(
    rng: np.random.Generator,
    h: int,
    w: int,
    landmarks: np.ndarray,
    mix: dict[str, float] = MASK_MIX,
    kind: str | None = None,
) -> np.ndarray:
    """A float32 H×W {0, 1} training hole, its kind drawn from `mix` (by default `MASK_MIX`) unless `kind`
    names it (the crop may have been chosen for it), sometimes with a second shape from the mix; its coverage is
    always within [5 %, 60 %] of the crop."""
    mix = check_mask_mix(mix)
    if kind is not None and kind not in mix:
        raise ValueError(f"unknown mask kind {kind!r} (choose from {', '.join(mix)})")
    for _ in range(30):
        mask = _one_training_shape(rng, h, w, landmarks, mix, kind)
        if rng.random() < 0.25:
            mask |= _one_training_shape(rng, h, w, landmarks, mix)
        # Too small (a face part at the crop's edge, a thin stroke): grow it with more shapes.
        for _ in range(4):
            if coverage(mask) >= MIN_COVERAGE:
                break
            mask |= _one_training_shape(rng, h, w, landmarks, mix)
        if MIN_COVERAGE <= coverage(mask) <= MAX_COVERAGE:
            return mask.astype(np.float32)
    # Never reached in practice; a safe hole of about a quarter of the crop keeps the promise regardless.
    mask = np.zeros((h, w), np.float32)
    mask[h // 4 : h // 4 + h // 2, w // 4 : w // 4 + w // 2] = 1
    return mask


def _kind_rng(kind: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), EVAL_KINDS.index(kind)])


def large_box(
    rng: np.random.Generator, h: int, w: int, landmarks: np.ndarray, area: tuple[float, float] = (0.3, 0.5)
) -> np.ndarray:
    """A box of 30 %–50 % (`area`) of the image, centred on the face (the landmarks' mean), kept inside."""
    pixels = rng.uniform(*area) * h * w
    return _box_on_face(h, w, landmarks, pixels, aspect=rng.uniform(0.75, 1.33))


def face_box(
    rng: np.random.Generator, h: int, w: int, landmarks: np.ndarray, sides: tuple[float, float] = (2.0, 4.5)
) -> np.ndarray:
    """A box centred on the face whose side is `sides` eye distances, at most 55 % of the crop.

    The eval's large boxes are 30 %–50 % of the whole photo: 2.7–4.1 eye distances a side on these faces. A
    `large_box` drawn on a training crop of 25 %–100 % of the photo (session 16's) is mostly far smaller: 2.2 eye
    distances at the median, and only 1 % reach the eval's median."""
    side = rng.uniform(*sides) * eye_distance(landmarks)
    pixels = min(side * side, 0.55 * h * w)
    return _box_on_face(h, w, landmarks, pixels, aspect=rng.uniform(0.75, 1.33))


def _box_on_face(h: int, w: int, landmarks: np.ndarray, pixels: float, aspect: float) -> np.ndarray:
    """A box of `pixels` area and width/height `aspect`, centred on the landmarks' mean, kept inside."""
    mask = np.zeros((h, w), np.uint8)
    bw = min(float(w), np.sqrt(pixels * aspect))
    bh = min(float(h), pixels / bw)
    bw = min(float(w), pixels / bh)
    bw, bh = int(round(bw)), int(round(bh))
    cx, cy = np.asarray(landmarks, np.float64).mean(axis=0)
    x0 = int(np.clip(round(cx - bw / 2), 0, w - bw))
    y0 = int(np.clip(round(cy - bh / 2), 0, h - bh))
    mask[y0 : y0 + bh, x0 : x0 + bw] = 1
    return mask


def face_region(landmarks: np.ndarray) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1), where the face itself lies (cheek to cheek, hairline to chin), from the landmarks."""
    points = np.asarray(landmarks, np.float64)
    eye_dist = eye_distance(points)
    eyes_y = points[:2, 1].mean()
    return (
        float(points[:, 0].min() - eye_dist),
        float(eyes_y - 1.3 * eye_dist),
        float(points[:, 0].max() + eye_dist),
        float(points[3, 1] + 0.9 * eye_dist),
    )


def off_face_box(
    rng: np.random.Generator, h: int, w: int, landmarks: np.ndarray, area: tuple[float, float] = (0.1, 0.5)
) -> np.ndarray:
    """A box of `area` of the crop that stays off the face (`face_region`), wherever there is room: a smaller one
    where a box that large finds none, an empty mask where nothing does (the caller grows it with other kinds).

    A network that only ever saw holes on or beside a face draws a face into any large hole (model card)."""
    mask = np.zeros((h, w), np.uint8)
    fx0, fy0, fx1, fy1 = face_region(landmarks)
    pixels = rng.uniform(*area) * h * w
    aspect = float(np.exp(rng.uniform(np.log(0.5), np.log(2.0))))
    for _ in range(6):
        bw = int(np.clip(round(np.sqrt(pixels * aspect)), 1, w))
        bh = int(np.clip(round(pixels / bw), 1, h))
        for _ in range(20):
            x0, y0 = int(rng.integers(0, w - bw + 1)), int(rng.integers(0, h - bh + 1))
            if x0 + bw <= fx0 or x0 >= fx1 or y0 + bh <= fy0 or y0 >= fy1:
                mask[y0 : y0 + bh, x0 : x0 + bw] = 1
                return mask
        pixels *= 0.6
    return mask


def off_face_eval(h: int, w: int, landmarks: np.ndarray, seed: int) -> tuple[tuple[slice, slice], np.ndarray]:
    """A fixed hole away from the face: a band of the photo beside, above or below the face (`face_region`), at
    least 0.9 eye distances thick, seen without the face, and a box in it of 60 %-85 % of its thickness and
    30 %-45 % of its length. Returns the band's (rows, cols) slices and the hole (bool, the band's shape).

    The face photos have no room for a face-sized hole off the face with the face in view; in a band the network
    sees what it meets around a hole on a shoulder or a wall in a wider photo: no face at all."""
    fx0, fy0, fx1, fy1 = face_region(landmarks)
    x0, y0 = int(np.clip(np.floor(fx0), 0, w)), int(np.clip(np.floor(fy0), 0, h))
    x1, y1 = int(np.clip(np.ceil(fx1), 0, w)), int(np.clip(np.ceil(fy1), 0, h))
    bands = {  # (rows, cols) of each side's band, spanning the whole photo along it
        "left": (slice(0, h), slice(0, x0)),
        "right": (slice(0, h), slice(x1, w)),
        "top": (slice(0, y0), slice(0, w)),
        "bottom": (slice(y1, h), slice(0, w)),
    }
    thick = 0.9 * eye_distance(landmarks)
    wide = [b for b in bands.values() if min(b[0].stop - b[0].start, b[1].stop - b[1].start) >= thick]
    if not wide:
        raise ValueError(f"no band of the {w}x{h} photo beside the face is {thick:.0f} px thick")
    rng = np.random.default_rng([int(seed), len(EVAL_KINDS)])
    rows, cols = wide[rng.integers(len(wide))]
    bh, bw = rows.stop - rows.start, cols.stop - cols.start
    across, along = (0, 1) if bh <= bw else (1, 0)  # the axes of the band's thickness and its length
    size = [0, 0]
    size[across] = max(1, round(rng.uniform(0.6, 0.85) * (bh, bw)[across]))
    size[along] = max(1, round(rng.uniform(0.3, 0.45) * (bh, bw)[along]))
    top, left = int(rng.integers(0, bh - size[0] + 1)), int(rng.integers(0, bw - size[1] + 1))
    mask = np.zeros((bh, bw), bool)
    mask[top : top + size[0], left : left + size[1]] = True
    return (rows, cols), mask


def eval_mask(kind: str, h: int, w: int, landmarks: np.ndarray, seed: int) -> np.ndarray:
    """A fixed evaluation hole (bool H×W): the same for the same kind, size, landmarks and seed, every run."""
    if kind not in EVAL_KINDS:
        raise ValueError(f"unknown eval mask kind {kind!r} (choose one of {', '.join(EVAL_KINDS)})")
    rng = _kind_rng(kind, seed)
    if kind == "eyes":
        mask = np.zeros((h, w), np.uint8)
        _fill_box(mask, *face_part_box("both_eyes", landmarks, rng))
    elif kind == "nose_mouth":
        mask = np.zeros((h, w), np.uint8)
        _fill_box(mask, *face_part_box("nose_mouth", landmarks, rng))
    elif kind == "strokes":
        # Strokes of a moderate size: redraw (deterministically) until 10 %–40 % is covered.
        for _ in range(100):
            mask = free_form(rng, h, w)
            if 0.10 <= coverage(mask) <= 0.40:
                break
    else:
        mask = large_box(rng, h, w, landmarks)
    return mask.astype(bool)
