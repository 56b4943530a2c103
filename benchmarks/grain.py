"""The photo's grain over the network's fill (`engine.grain`), on real test faces enlarged as phone photos are.

    .venv/bin/python benchmarks/grain.py [--data celeba-test|lfw-test|celeba-val] [--limit 100] [--scale 4]
        [--out DIR]

Each photo is enlarged `--scale`× (bicubic) and given sensor-like grain of 0, 3 and 6 levels (normal noise in
luma, a third as much in each colour channel, seeded), then one hole of the evaluation's kinds in turn (eyes,
nose and mouth, strokes, a large box). The network fills it without grain and with it. Prints, per grain level,
medians over the photos of: the grain ratio (inside the hole, the standard deviation of the band finer than
1 px, result over photo: 1 is as grainy as the photo, below 1 smoother), the hole's detail (`metrics.hole_detail`)
and PSNR inside the hole, and the median seconds of a fill. Level 0, the enlargement alone, has no grain to match:
it shows that none is added where there is none. PSNR cannot reward grain: grain that is not the photo's own adds
its variance to the error, which is why the evaluation's tables measure the network's fill alone.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from in2_studio.engine import Inpainter
from in2_studio.training import faces
from in2_studio.training.evaluate import load_face, mask_seed, select_files
from in2_studio.training.masks import EVAL_KINDS, eval_mask
from in2_studio.training.metrics import hole_detail, hole_psnr

LEVELS = (0.0, 3.0, 6.0)


def fine_band(image: np.ndarray) -> np.ndarray:
    image = image.astype(np.float32)
    return image - cv2.GaussianBlur(image, (0, 0), 1.0)


def grain_ratio(original: np.ndarray, result: np.ndarray, hole: np.ndarray) -> float:
    return float(fine_band(result)[hole].std() / max(fine_band(original)[hole].std(), 1e-6))


def with_sensor_grain(image: np.ndarray, level: float, rng: np.random.Generator) -> np.ndarray:
    shape = image.shape[:2]
    noise = rng.normal(0, level, shape + (1,)) + rng.normal(0, level / 3, shape + (3,))
    return np.clip(image + noise, 0, 255).round().astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=("celeba-test", "lfw-test", "celeba-val"), default="celeba-test")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--scale", type=float, default=4.0)
    parser.add_argument("--out", type=Path, help="write 1:1 crops of the first 4 photos at each level here")
    args = parser.parse_args()
    source, split = args.data.split("-")
    files = select_files(faces.face_files(source, split), args.limit)
    engines = {"smooth": Inpainter.load(grain=False), "grain": Inpainter.load()}
    print(f"{args.data}, {len(files)} photos enlarged {args.scale:g}×, {engines['grain'].device}")
    print("| sensor grain (levels) | fill | grain ratio | hole detail | hole PSNR | seconds |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    for level in LEVELS:
        rows = {name: [] for name in engines}
        crops = []
        for index, path in enumerate(files):
            clean, landmarks = load_face(path, args.scale)
            seed = mask_seed(path, 0)
            photo = with_sensor_grain(clean, level, np.random.default_rng(seed))
            kind = EVAL_KINDS[index % len(EVAL_KINDS)]
            hole = eval_mask(kind, *photo.shape[:2], landmarks, seed)
            holed = photo.copy()
            holed[hole] = 0  # nothing may see what was under the hole
            results = {}
            for name, engine in engines.items():
                start = time.perf_counter()
                results[name] = result = engine.inpaint(holed, hole)
                seconds = time.perf_counter() - start
                rows[name].append(
                    (grain_ratio(photo, result, hole), hole_detail(photo, result, hole), hole_psnr(photo, result, hole))
                    + (seconds,)
                )
            if args.out and index < 4:
                ys, xs = np.nonzero(hole)
                y, x = max(0, ys.min() - 40), max(0, xs.min() - 40)
                crops.append(np.concatenate([im[y : y + 240, x : x + 240] for im in (photo, *results.values())], 1))
        for name, values in rows.items():
            ratio, detail, psnr_, seconds = (statistics.median(column) for column in zip(*values, strict=True))
            print(f"| {level:g} | {name} | {ratio:.2f} | {detail:.3f} | {psnr_:.2f} | {seconds:.2f} |")
        if crops:
            args.out.mkdir(parents=True, exist_ok=True)
            width = min(crop.shape[1] for crop in crops)
            sheet = np.concatenate([crop[:, :width] for crop in crops if crop.shape[0] == 240], 0)
            cv2.imwrite(str(args.out / f"grain-{level:g}.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    main()
