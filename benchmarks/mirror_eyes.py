"""One damaged eye: the mirror fill (`engine.mirror`) beside the network and Telea, on real test faces.

    .venv/bin/python benchmarks/mirror_eyes.py [--data celeba-test|lfw-test|celeba-val|lfw-train]
        [--limit 200] [--out DIR]

Each photo gets one box over one eye (the left on even photos, the right on odd), at the aligned faces' eye
position with a seeded jitter: 26–34 × 18–24 px at the sources' own scale. Prints how many holes the mirror
fill takes (it refuses those with no mirrored match), how many of those it takes from the other eye (its
source within 0.3 eye distances of where this eye mirrors to about the aligned faces' middle) and, over the
ones it takes, the median PSNR inside the hole and the hole's detail (`metrics.hole_detail`: 1 is as sharp as
the photo) of each method. PSNR rewards a blurred guess over a sharp eye a pixel out of place; the detail and
the contact sheet (masked, Telea, IN², mirror, original) show what it rewards away.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import cv2
import numpy as np

from in2_studio.engine import Inpainter
from in2_studio.engine.mirror import mirror_fill
from in2_studio.errors import In2Error
from in2_studio.training import faces
from in2_studio.training.evaluate import load_face, select_files, telea
from in2_studio.training.metrics import hole_detail, hole_psnr

METHODS = ("telea", "in2", "mirror")


def from_other_eye(match, hole: np.ndarray, landmarks: np.ndarray) -> bool:
    """Whether the source is the other eye: near where the hole's centre mirrors to about the eyes' midpoint."""
    xs = np.nonzero(hole.any(axis=0))[0]
    mirrored = 2 * ((landmarks[0, 0] + landmarks[1, 0]) / 2 - (xs[0] + xs[-1]) / 2)
    miss = np.hypot(match.offset[0] - mirrored, match.offset[1])
    return bool(miss < 0.3 * (landmarks[1, 0] - landmarks[0, 0]))


def eye_hole(shape, landmarks: np.ndarray, index: int, rng: np.random.Generator) -> np.ndarray:
    x, y = landmarks[index % 2] + rng.normal(0, 2, 2)
    w, h = rng.uniform(26, 34), rng.uniform(18, 24)
    hole = np.zeros(shape[:2], bool)
    hole[int(y - h / 2) : int(y + h / 2), int(x - w / 2) : int(x + w / 2)] = True
    return hole


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=("celeba-test", "lfw-test", "celeba-val", "lfw-train"), default="celeba-test")
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--out", type=Path, help="write the contact sheet of the first 12 photos here")
    args = parser.parse_args()
    source, split = args.data.split("-")
    files = select_files(faces.face_files(source, split), args.limit)
    inpainter = Inpainter.load()
    rows, sheet, refused, other_eye = [], [], 0, 0
    for index, path in enumerate(files):
        image, landmarks = load_face(path)
        hole = eye_hole(image.shape, landmarks, index, np.random.default_rng(index))
        holed = np.where(hole[..., None], 0, image).astype(np.uint8)  # no method may see what was under the hole
        fills = {"telea": telea(holed, hole), "in2": inpainter.inpaint(holed, hole)}
        try:
            fills["mirror"], (match,) = mirror_fill(holed, hole)
            other_eye += from_other_eye(match, hole, landmarks)
        except In2Error:
            refused += 1
        if "mirror" in fills:
            rows.append({m: (hole_psnr(image, fills[m], hole), hole_detail(image, fills[m], hole)) for m in METHODS})
        if len(sheet) < 12:
            masked = np.where(hole[..., None], 255, image).astype(np.uint8)
            row = [masked, fills["telea"], fills["in2"], fills.get("mirror", masked), image]
            sheet.append(np.hstack(row))
    print(f"{args.data}: {len(files)} photos, one eye boxed; the mirror fill took {len(rows)}, refused {refused}")
    print(f"it took {other_eye} of the {len(rows)} from the other eye, {len(rows) - other_eye} from elsewhere")
    print("on the holes it took (medians):")
    print(f"{'method':8} {'hole PSNR':>10} {'detail':>7}")
    for method in METHODS:
        psnr = statistics.median(row[method][0] for row in rows)
        detail = statistics.median(row[method][1] for row in rows)
        print(f"{method:8} {psnr:10.2f} {detail:7.3f}")
    wins = sum(row["mirror"][0] > row["in2"][0] for row in rows)
    print(f"mirror above IN² in hole PSNR on {wins} of {len(rows)}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        target = args.out / f"mirror-eyes-{args.data}.png"
        cv2.imwrite(str(target), cv2.cvtColor(np.vstack(sheet), cv2.COLOR_RGB2BGR))
        print(f"contact sheet: {target}")


if __name__ == "__main__":
    main()
