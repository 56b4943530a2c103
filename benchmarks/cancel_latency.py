"""How long a cancelled job keeps the engine busy: the bench's 4000×3000 face photo with its big hole (1500×1500,
1.3 M pixels to decode), cancelled a few seconds into the full decode, as a new stroke would cancel it.

    .venv/bin/python benchmarks/cancel_latency.py [--slices 65536 0] [--after 3] [--runs 2] [--threads 1]

Each run prints the seconds from the cancel to the end of `Inpainter.stream`, per decode slice size (0: the
whole hole in one go, as before session 36), alternating the sizes; then the median of each.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import torch

from in2_studio import bench
from in2_studio.engine import Inpainter
from in2_studio.engine import inpainter as engine


def latency(inpainter: Inpainter, image, mask, after: float) -> float:
    cancel = threading.Event()
    cancelled_at = None
    for stage in inpainter.stream(image, mask, cancel=cancel):
        if stage.name == "preview":
            cancelled_at = time.perf_counter() + after
            threading.Timer(after, cancel.set).start()
    return time.perf_counter() - cancelled_at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, nargs="+", default=[engine.DECODE_SLICE, 0])
    parser.add_argument("--after", type=float, default=3.0, help="seconds into the full decode")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sizes = bench.Sizes()
    image = bench.face_photo(*sizes.large)
    mask = bench.face_mask(*sizes.large, sizes.big_hole)
    inpainter = Inpainter.load(device="cpu")
    seconds = {size: [] for size in args.slices}
    for run in range(args.runs):
        for size in args.slices:
            engine.DECODE_SLICE = size or mask.size  # 0: one slice for the whole hole
            seconds[size].append(latency(inpainter, image, mask, args.after))
            print(f"run {run + 1}, slice {size or 'whole hole'}: ended {seconds[size][-1]:.2f} s after the cancel")
    for size, values in seconds.items():
        print(f"slice {size or 'whole hole'}: median {statistics.median(values):.2f} s")


if __name__ == "__main__":
    main()
