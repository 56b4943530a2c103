"""Mirror fill: repair one side of a face from its other side, mirrored.

Faces are nearly symmetric, and a photo restorer mends a damaged eye by copying the other one, flipped.
For each hole this looks for where the hole's surroundings, mirrored (and turned a little, for a tilted
head), appear elsewhere in the photo: the other eye's surroundings, for a hole over an eye. The mirrored
pixels there fill the hole, blended in the gradient domain (Poisson, `cv2.seamlessClone`) so that light
and skin tone meet the hole's edge. It draws real eyes where the network still draws blurred ones, but
only on faces seen nearly from the front; the person judges the result and can undo it.

Pixels outside the mask are returned bit-identical.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import In2Error

CONTEXT = 0.75  # the surroundings matched: a band of 0.75 × the hole's size around it
MATCH_SIZE = 64  # matched at most this many pixels across (the photo is reduced to match)
ANGLES = range(-20, 21, 4)  # degrees the mirrored surroundings are turned: twice a head's tilt of ±10°
MIN_SCORE = 0.5  # below this correlation the match is a guess, not the other side of a face
MIN_OVERLAP = 0.5  # a placement is judged only where this share of the surroundings lies over known pixels
SEARCH = 16  # sideways, the source is looked for within 16 × the hole's size (vertically, the tilt's reach)
JOIN = 3  # pixels: holes closer than this are one hole (a stroke broken by a gap of a pixel or two)
ERODED = 3  # pixels cv2.seamlessClone erodes its mask by (OpenCV 4: three passes of a 3×3 kernel)
MAX_HOLES = 8  # each hole is matched on its own (up to about a second in a large photo): no dabbed masks


@dataclass(frozen=True)
class MirrorMatch:
    score: float  # normalised correlation of the hole's surroundings with the source's, mirrored
    angle: float  # degrees the mirrored source is turned by
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
    band = int(round(CONTEXT * size)) + 1
    # The template: the hole's surroundings, in photo pixels; the search area around it.
    tx0, ty0, tx1, ty1 = max(0, x0 - band), max(0, y0 - band), min(width, x1 + band), min(height, y1 + band)
    reach = SEARCH * size
    rise = int(np.tan(np.deg2rad(max(ANGLES) / 2 + 8)) * reach)
    sx0, sy0 = max(0, tx0 - reach), max(0, ty0 - rise)
    sx1, sy1 = min(width, tx1 + reach), min(height, ty1 + rise)

    scale = min(1.0, MATCH_SIZE / max(tx1 - tx0, ty1 - ty0))
    left, top = int((tx0 - sx0) * scale), int((ty0 - sy0) * scale)
    wide, high = max(1, round((tx1 - tx0) * scale)), max(1, round((ty1 - ty0) * scale))
    # Any hole pixel, grown a pixel by the reduction, is unknown: never a source, never matched.
    unknown = _reduce(hole[sy0:sy1, sx0:sx1].astype(np.uint8) * 255, scale) > 0
    area = _reduce(image[sy0:sy1, sx0:sx1], scale).astype(np.float32)
    template = area[top : top + high, left : left + wide][:, ::-1]
    template_unknown = unknown[top : top + high, left : left + wide][:, ::-1]
    th, tw = template.shape[:2]  # what the area holds: rounding may take a row or column off at its edge
    centre = ((tw - 1) / 2, (th - 1) / 2)
    own_x, own_y = left + centre[0], top + centre[1]
    # Where each placement's centre lies from the hole's, the same at every angle.
    ys, xs = np.mgrid[0 : area.shape[0] - th + 1, 0 : area.shape[1] - tw + 1]
    dx, dy = xs + centre[0] - own_x, ys + centre[1] - own_y
    aside = np.abs(dx) >= (x1 - x0) * scale

    best = None
    for angle in ANGLES:
        turn = cv2.getRotationMatrix2D(centre, angle, 1.0)
        turned = cv2.warpAffine(template, turn, (tw, th), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        inside = cv2.warpAffine(np.ones((th, tw), np.uint8), turn, (tw, th), flags=cv2.INTER_NEAREST) > 0
        missing = cv2.warpAffine(template_unknown.astype(np.uint8), turn, (tw, th), flags=cv2.INTER_NEAREST) > 0
        known = (inside & ~missing).astype(np.float32)
        if known.sum() < 0.2 * known.size:
            continue
        score = _masked_correlation(area, ~unknown, turned, known > 0)
        # A source must lie beside the hole, along the tilt, and take no unknown pixel into the fill.
        takes_unknown = cv2.matchTemplate(unknown.astype(np.float32), missing.astype(np.float32), cv2.TM_CCORR)
        along = np.abs(dy) <= np.tan(np.deg2rad(abs(angle) / 2 + 8)) * np.abs(dx) + 1
        allowed = aside & along & (takes_unknown < 0.5) & np.isfinite(score)
        if not allowed.any():
            continue
        score = np.where(allowed, score, -np.inf)
        y, x = np.unravel_index(int(np.argmax(score)), score.shape)
        if best is None or score[y, x] > best[0]:
            best = (float(score[y, x]), angle, x, y)
    if best is None or best[0] < MIN_SCORE:
        where = f"at ({(x0 + x1) // 2}, {(y0 + y1) // 2})"
        raise In2Error(
            f"No mirrored match for the hole {where}: mirror fill needs the other side of a face seen from the "
            "front (an eye for an eye). Fill it with the network instead (Inpaint)."
        )
    score, angle, x, y = best

    # Resample the photo: a hole pixel → the mirrored, turned template → the source found in the area.
    turn = cv2.getRotationMatrix2D(centre, angle, 1.0)
    # (a margin beyond the hole too: the blend takes its gradients across the hole's edge)
    ry0, rx0, ry1, rx1 = _margin(box, hole.shape)
    gy, gx = np.mgrid[ry0:ry1, rx0:rx1].astype(np.float32)
    u = (tw - 1) - ((gx - sx0) * scale - left)
    v = (gy - sy0) * scale - top
    map_x = ((turn[0, 0] * u + turn[0, 1] * v + turn[0, 2] + x) / scale + sx0).astype(np.float32)
    map_y = ((turn[1, 0] * u + turn[1, 1] * v + turn[1, 2] + y) / scale + sy0).astype(np.float32)
    source = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    offset = (float((x + centre[0] - own_x) / scale), float((y + centre[1] - own_y) / scale))
    return MirrorMatch(score, float(angle), offset), source


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
