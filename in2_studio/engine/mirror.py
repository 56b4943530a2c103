"""Mirror fill: repair one side of a face from its other side, mirrored.

Faces are nearly symmetric, and a photo restorer mends a damaged eye by copying the other one, flipped.
For each hole this looks for where the hole's surroundings, mirrored (and turned a little, for a tilted
head, and narrowed or widened, for a head turned a little aside), appear elsewhere in the photo: the other
eye's surroundings, for a hole over an eye. The source is found by wide surroundings (the face around an eye)
and placed by close ones. The mirrored pixels there fill the hole, blended in the gradient domain (Poisson,
`cv2.seamlessClone`) so that light and skin tone meet the hole's edge. It draws real eyes where the network
still draws blurred ones, but only on faces seen from the front or nearly; the person judges the result and
can undo it.

Pixels outside the mask are returned bit-identical.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import In2Error

FIND_CONTEXT = 1.5  # the source is found by a band of 1.5 × the hole's size around it: brows, nose bridge, cheek
PLACE_CONTEXT = 0.75  # and placed by a band of 0.75 ×: the closest surroundings tell best where the eye goes
MATCH_SIZE = 64  # matched first at most this many pixels across (the photo reduced), over the whole search area
REFINE_SIZE = 256  # then again at up to this many, near the first match: a large photo's source lands on the pixel
REFINE_TURN = range(-3, 4)  # degrees around the first match's angle (its ANGLES are 4° apart)
ANGLES = range(-20, 21, 4)  # degrees the mirrored surroundings are turned: twice a head's tilt of ±10°
# Where the face is found, the source is placed narrowed or widened too: a head turned a little aside shows its far
# side narrower. Not while finding it: that took more of the development photos' holes, but each pose searched is
# one more chance for hair or a wall to match, and it sent the sample photo's eye to the wall beside her.
STRETCHES = (0.75, 0.87, 1.0, 1.15, 1.33)
MIN_SCORE = 0.4  # below this correlation of the wide surroundings the match is a guess, not the other side of a face
MIN_OVERLAP = 0.5  # a placement is judged only where this share of the surroundings lies over known pixels
SEARCH = 16  # sideways, the source is looked for within 16 × the hole's size (vertically, the tilt's reach)
JOIN = 3  # pixels: holes closer than this are one hole (a stroke broken by a gap of a pixel or two)
ERODED = 3  # pixels cv2.seamlessClone erodes its mask by (OpenCV 4: three passes of a 3×3 kernel)
MAX_HOLES = 8  # each hole is matched on its own (up to about a second in a large photo): no dabbed masks


@dataclass(frozen=True)
class MirrorMatch:
    score: float  # normalised correlation of the hole's wide surroundings with the source's, mirrored
    angle: float  # degrees the mirrored source is turned by
    stretch: float  # how much wider (> 1) or narrower the source is than the hole's side, mirrored
    offset: tuple[float, float]  # (dx, dy) from the hole's centre to its source's, in photo pixels


def mirror_fill(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, list[MirrorMatch]]:
    """Fill every hole of `mask` (H×W, nonzero = fill) in `image` (H×W×3 uint8) from its mirrored source."""
    hole = np.asarray(mask) != 0
    if not hole.any():
        raise In2Error("The mask is empty: paint over what must go first.")
    boxes = _holes(hole)
    if len(boxes) > MAX_HOLES:
        raise In2Error(
            f"The mask has {len(boxes)} separate holes; mirror fill takes at most {MAX_HOLES}, each matched on its "
            "own. Fill it with the network instead (Inpaint), or mirror a few holes at a time."
        )
    result = image.copy()
    matches = []
    for box in boxes:
        match, source = _match(image, hole, box)
        x0, y0, x1, y1 = box
        inside = hole[y0:y1, x0:x1]
        result[y0:y1, x0:x1][inside] = _blend(image, hole, source, box)[inside]
        matches.append(match)
    return result, matches


def _holes(hole: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The bounding boxes (x0, y0, x1, y1) of the mask's separate holes; strokes a few pixels apart count as one."""
    x, y, w, h = cv2.boundingRect(hole.astype(np.uint8))
    top, left = max(0, y - JOIN), max(0, x - JOIN)
    area = hole[top : y + h + JOIN, left : x + w + JOIN].astype(np.uint8)
    joined = cv2.dilate(area, np.ones((2 * JOIN + 1,) * 2, np.uint8))
    count, labels = cv2.connectedComponents(joined, connectivity=8)
    boxes = []
    for k in range(1, count):
        bx, by, bw, bh = cv2.boundingRect(((labels == k) & (area > 0)).astype(np.uint8))
        boxes.append((left + bx, top + by, left + bx + bw, top + by + bh))
    return boxes


def _match(image: np.ndarray, hole: np.ndarray, box: tuple[int, int, int, int]) -> tuple[MirrorMatch, np.ndarray]:
    """Find the mirrored source of the hole in `box`; return the match and the box resampled from it."""
    height, width = hole.shape
    x0, y0, x1, y1 = box
    size = max(x1 - x0, y1 - y0)

    def surroundings(context: float) -> tuple[int, int, int, int]:
        band = int(round(context * size)) + 1
        return max(0, x0 - band), max(0, y0 - band), min(width, x1 + band), min(height, y1 + band)

    # Found by wide surroundings: an eye's close surroundings alone also match, mirrored, a strand of hair or the
    # edge of a wall (over a third of the LFW eyes it took went there); the face around it does not.
    wide, close = surroundings(FIND_CONTEXT), surroundings(PLACE_CONTEXT)
    tx0, ty0, tx1, ty1 = wide
    reach = SEARCH * size
    rise = int(np.tan(np.deg2rad(max(ANGLES) / 2 + 8)) * reach)
    area = max(0, tx0 - reach), max(0, ty0 - rise), min(width, tx1 + reach), min(height, ty1 + rise)
    coarse = _View(image, hole, wide, area, min(1.0, MATCH_SIZE / max(tx1 - tx0, ty1 - ty0)))
    found = _search(coarse, [(angle, 1.0) for angle in ANGLES], x1 - x0)
    if found is None or found[0] < MIN_SCORE:
        where = f"at ({(x0 + x1) // 2}, {(y0 + y1) // 2})"
        raise In2Error(
            f"No mirrored match for the hole {where}: mirror fill needs the other side of a face seen from the "
            "front (an eye for an eye). Fill it with the network instead (Inpaint)."
        )
    score, pose, x, y = found
    # Placed by the close surroundings at a finer scale, near where the match puts their centre: a coarse pixel is
    # 1/MATCH_SIZE of the wide surroundings, several photo pixels in a large photo (eyelashes out of place).
    # Only a few coarse pixels away: the choice stands.
    cx0, cy0, cx1, cy1 = close
    (cx, cy), slack = _source(coarse, pose, x, y, (cx0 + cx1 - 1) / 2, (cy0 + cy1 - 1) / 2), 2 / coarse.scale + 2
    half_w, half_h = (cx1 - cx0) / 2 + slack, (cy1 - cy0) / 2 + slack
    near = (
        max(0, int(cx - half_w)),
        max(0, int(cy - half_h)),
        min(width, int(cx + half_w) + 2),
        min(height, int(cy + half_h) + 2),
    )
    both = min(near[0], cx0), min(near[1], cy0), max(near[2], cx1), max(near[3], cy1)
    fine = _View(image, hole, close, both, min(1.0, REFINE_SIZE / max(cx1 - cx0, cy1 - cy0)), near)
    poses = [(pose[0] + turn, stretch) for turn in REFINE_TURN for stretch in STRETCHES]
    refined = _search(fine, poses, x1 - x0)
    view = coarse
    if refined is not None:
        view, (_, pose, x, y) = fine, refined

    # Resample the photo from the source found (a margin beyond the hole too: the blend takes its gradients across
    # the hole's edge).
    ry0, rx0, ry1, rx1 = _margin(box, hole.shape)
    gy, gx = np.mgrid[ry0:ry1, rx0:rx1].astype(np.float32)
    map_x, map_y = (np.asarray(m, np.float32) for m in _source(view, pose, x, y, gx, gy))
    source = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    (sx, sy), (ox, oy) = view.photo_centre(x, y), view.photo_centre(*view.template_corner)
    angle, stretch = (float(v) for v in pose)
    return MirrorMatch(score, angle, stretch, (float(sx - ox), float(sy - oy))), source


def _posed(centre: tuple[float, float], pose: tuple[float, float]) -> np.ndarray:
    """The 2 × 3 map that widens the template by `stretch` and turns it by `angle` (degrees), about `centre`."""
    angle, stretch = pose
    widen = np.array([[stretch, 0, (1 - stretch) * centre[0]], [0, 1, 0], [0, 0, 1]])
    return cv2.getRotationMatrix2D(centre, angle, 1.0) @ widen


def _source(view: _View, pose: tuple[float, float], x: float, y: float, px, py):
    """Where the photo points (px, py) on the hole's side come from: through the mirrored template posed by
    `pose` (angle, stretch), placed with its corner at (x, y) in the view."""
    tw, (left, top) = view.template_size[0], view.template_corner
    u = tw - 1 - (view.to_reduced(px, 0) - left)
    v = view.to_reduced(py, 1) - top
    turn = _posed(view.template_centre, pose)
    return (
        view.to_photo(turn[0, 0] * u + turn[0, 1] * v + turn[0, 2] + x, 0),
        view.to_photo(turn[1, 0] * u + turn[1, 1] * v + turn[1, 2] + y, 1),
    )


class _View:
    """The photo's `area` reduced by about `scale`, and in it the hole's surroundings mirrored: the template.
    Placements are searched within `near` (all the area if None). Positions map between the photo and the reduced
    copy through its exact ratios (sizes round to whole pixels) and pixel centres: mapped as corners, a mirrored
    source lands (1/scale − 1) photo pixels aside, a dozen at the coarse scale of a 16-megapixel photo."""

    def __init__(self, image, hole, surroundings, area, scale: float, near=None):
        self.scale = scale
        tx0, ty0, tx1, ty1 = surroundings
        sx0, sy0, sx1, sy1 = area
        # Any pixel the reduction drew from the hole, grown by one more, is unknown: never a source, never matched,
        # and nothing interpolated (the template turned, the source resampled) reads a hole pixel either.
        touched = _reduce(hole[sy0:sy1, sx0:sx1].astype(np.uint8) * 255, scale)
        self.unknown = cv2.dilate(touched, np.ones((3, 3), np.uint8)) > 0
        self.area = _reduce(image[sy0:sy1, sx0:sx1], scale).astype(np.float32)
        self.origin = (sx0, sy0)
        self.ratio = (self.area.shape[1] / (sx1 - sx0), self.area.shape[0] / (sy1 - sy0))
        left, top = int((tx0 - sx0) * scale), int((ty0 - sy0) * scale)
        wide, high = max(1, round((tx1 - tx0) * scale)), max(1, round((ty1 - ty0) * scale))
        self.template = self.area[top : top + high, left : left + wide][:, ::-1]
        self.template_unknown = self.unknown[top : top + high, left : left + wide][:, ::-1]
        th, tw = self.template.shape[:2]  # what the area holds: rounding may take a row or column off at its edge
        self.template_size, self.template_corner = (tw, th), (left, top)
        self.template_centre = ((tw - 1) / 2, (th - 1) / 2)
        if near is None:
            self.window = (0, 0, self.area.shape[1], self.area.shape[0])
        else:
            nx0, ny0, nx1, ny1 = near
            self.window = (
                max(0, int(self.to_reduced(nx0, 0))),
                max(0, int(self.to_reduced(ny0, 1))),
                min(self.area.shape[1], int(np.ceil(self.to_reduced(nx1, 0)))),
                min(self.area.shape[0], int(np.ceil(self.to_reduced(ny1, 1)))),
            )

    def to_reduced(self, photo, axis: int):
        return (photo - self.origin[axis] + 0.5) * self.ratio[axis] - 0.5

    def to_photo(self, reduced, axis: int):
        return (reduced + 0.5) / self.ratio[axis] - 0.5 + self.origin[axis]

    def photo_centre(self, x, y):
        """Where the centre of the template placed with its corner at (x, y) lies in the photo."""
        cx, cy = self.template_centre
        return self.to_photo(x + cx, 0), self.to_photo(y + cy, 1)


def _search(view: _View, poses, hole_width: int) -> tuple[float, tuple[float, float], float, float] | None:
    """The best placement (score, pose, x, y) in the view's window of its template posed by each of `poses`
    ((angle, stretch) pairs)."""
    (tw, th), (left, top), (wx0, wy0, wx1, wy1) = view.template_size, view.template_corner, view.window
    if wx1 - wx0 < tw or wy1 - wy0 < th:
        return None
    area, unknown = view.area[wy0:wy1, wx0:wx1], view.unknown[wy0:wy1, wx0:wx1]
    # Where each placement's centre lies from the hole's, the same at every angle.
    ys, xs = np.mgrid[wy0 : wy1 - th + 1, wx0 : wx1 - tw + 1]
    dx, dy = xs - left, ys - top
    aside = np.abs(dx) >= hole_width * view.ratio[0]
    whole, template_unknown = np.ones((th, tw), np.uint8), view.template_unknown.astype(np.uint8)
    area_unknown = unknown.astype(np.float32)
    best = None
    for pose in poses:
        angle, turn = pose[0], _posed(view.template_centre, pose)
        turned = cv2.warpAffine(view.template, turn, (tw, th), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        inside = cv2.warpAffine(whole, turn, (tw, th), flags=cv2.INTER_NEAREST) > 0
        missing = cv2.warpAffine(template_unknown, turn, (tw, th), flags=cv2.INTER_NEAREST) > 0
        known = inside & ~missing
        if known.sum() < 0.2 * known.size:
            continue
        score = _masked_correlation(area, ~unknown, turned, known)
        # A source must lie beside the hole, along the tilt, and take no unknown pixel into the fill.
        takes_unknown = cv2.matchTemplate(area_unknown, missing.astype(np.float32), cv2.TM_CCORR)
        along = np.abs(dy) <= np.tan(np.deg2rad(abs(angle) / 2 + 8)) * np.abs(dx) + 1
        allowed = aside & along & (takes_unknown < 0.5) & np.isfinite(score)
        if not allowed.any():
            continue
        score = np.where(allowed, score, -np.inf)
        y, x = np.unravel_index(int(np.argmax(score)), score.shape)
        if best is None or score[y, x] > best[0]:
            best = (float(score[y, x]), pose, x + wx0 + _peak(score[y, :], x), y + wy0 + _peak(score[:, x], y))
    return best


def _peak(scores: np.ndarray, at: int) -> float:
    """Where between pixels the peak at `at` lies: the vertex of the parabola through it and its neighbours.
    A turned source seldom sits on a whole pixel, and half a pixel shows in an eye's lashes."""
    if not 0 < at < len(scores) - 1 or not np.isfinite(scores[at - 1 : at + 2]).all():
        return 0.0
    before, peak, after = (float(v) for v in scores[at - 1 : at + 2])
    curve = before - 2 * peak + after
    return float(np.clip(0.5 * (before - after) / curve, -0.5, 0.5)) if curve < 0 else 0.0


def _margin(box: tuple[int, int, int, int], shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """The box grown by two pixels, within the photo: (y0, x0, y1, x1)."""
    x0, y0, x1, y1 = box
    return max(0, y0 - 2), max(0, x0 - 2), min(shape[0], y1 + 2), min(shape[1], x1 + 2)


def _masked_correlation(area: np.ndarray, area_known: np.ndarray, template: np.ndarray, known: np.ndarray):
    """The normalised correlation of `template` with `area` at every placement, over the pixels known in both
    (Padfield, "Masked object registration in the Fourier domain", 2012): unknown pixels of the area (whatever the
    photo still holds under the mask: the damage) neither help nor mislead. Channels are summed, as OpenCV does."""

    def correlate(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
        return cv2.matchTemplate(np.ascontiguousarray(image), np.ascontiguousarray(kernel), cv2.TM_CCORR)

    a_mask, t_mask = area_known.astype(np.float32), known.astype(np.float32)
    overlap = np.maximum(correlate(a_mask, t_mask), 1.0)
    numerator = denominator_a = denominator_t = 0.0
    for c in range(area.shape[2]):
        a, t = area[..., c] * a_mask, template[..., c] * t_mask
        sum_a, sum_t = correlate(a, t_mask), correlate(a_mask, t)
        numerator = numerator + correlate(a, t) - sum_a * sum_t / overlap
        denominator_a = denominator_a + correlate(a * a, t_mask) - sum_a * sum_a / overlap
        denominator_t = denominator_t + correlate(a_mask, t * t) - sum_t * sum_t / overlap
    score = numerator / np.sqrt(np.maximum(denominator_a * denominator_t, 1e-6))
    # Too little of the template over known pixels to judge by.
    return np.where(overlap >= MIN_OVERLAP * max(1.0, float(t_mask.sum())), score, -np.inf)


def _reduce(image: np.ndarray, scale: float) -> np.ndarray:
    if scale >= 1.0:
        return image
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _blend(image: np.ndarray, hole: np.ndarray, source: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The source's detail with the photo's light inside `box`: a Poisson blend whose boundary is the hole's edge.
    `source` covers the box's margin (`_margin`); the box's pixels come back."""
    x0, y0, x1, y1 = box
    ry0, rx0, ry1, rx1 = _margin(box, image.shape[:2])
    pad = 8 + ERODED  # room on every side, so the blend's region never touches the array's edge
    dst = cv2.copyMakeBorder(image[ry0:ry1, rx0:rx1], pad, pad, pad, pad, cv2.BORDER_REFLECT)
    src = cv2.copyMakeBorder(source, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    inner = np.zeros(dst.shape[:2], np.uint8)
    inner[pad + y0 - ry0 : pad + y1 - ry0, pad + x0 - rx0 : pad + x1 - rx0] = hole[y0:y1, x0:x1] * 255
    # seamlessClone erodes its mask by ERODED pixels and takes the photo's own gradients outside what is left:
    # grown by one more, the source's gradients cover the hole and its edge, and nothing under the hole is read.
    inner = cv2.dilate(inner, np.ones((3, 3), np.uint8), iterations=ERODED + 1)
    bx, by, bw, bh = cv2.boundingRect(inner)
    blended = cv2.seamlessClone(src, dst, inner, (bx + bw // 2, by + bh // 2), cv2.NORMAL_CLONE)
    return blended[pad + y0 - ry0 : pad + y1 - ry0, pad + x0 - rx0 : pad + x1 - rx0]
