"""torch.profiler over one IN² stage at 512×512 with the benchmark's 20 % free-form mask: the top ops by
self CPU time, then the time of each part of the network (encoder, attention, decoder).

    .venv/bin/python benchmarks/profile_in2.py [--stage full|preview] [--threads N] [--weights FILE]
                                               [--rows 20] [--shapes] [--trace trace.json]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile, record_function

from in2_studio import bench
from in2_studio.engine import Inpainter

PARTS = {"encoder": "in2.encoder", "attention": "in2.attention", "decoder": "in2.decoder"}


def label(module: torch.nn.Module, name: str) -> None:
    """Make every call of `module` a named range in the profile."""
    forward = module.forward

    def labelled(*args, **kwargs):
        with record_function(name):
            return forward(*args, **kwargs)

    module.forward = labelled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=("full", "preview"), default="full")
    parser.add_argument("--size", type=int, default=512, help="square photo side (default 512)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's, as the app)")
    parser.add_argument("--weights", type=Path, help="IN² weights (default: shipped, else random base)")
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--shapes", action="store_true", help="group ops by input shape too")
    parser.add_argument("--trace", type=Path, help="also write a Chrome trace (chrome://tracing, Perfetto)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as folder:
        weights, line = bench.choose_weights(args, bench.Sizes(), Path(folder))
        inpainter = Inpainter.load(weights, device="cpu")
    for attribute, name in PARTS.items():
        label(getattr(inpainter.model, attribute), name)
    image = bench.face_photo(args.size, args.size)
    mask = bench.free_form_mask(args.size, args.size)

    def one_stage():
        if args.stage == "full":
            return inpainter.inpaint(image, mask)
        return next(inpainter.stream(image, mask)).image  # the preview is the stream's first stage

    one_stage()  # warm-up: caches, allocator, lazy initialisation
    activities = [ProfilerActivity.CPU]
    with profile(activities=activities, record_shapes=args.shapes) as prof, record_function(f"stage.{args.stage}"):
        one_stage()

    print(
        f"{args.stage} stage at {args.size}×{args.size}, {mask.mean() * 100:.1f} % mask, "
        f"{torch.get_num_threads()} threads, torch {torch.__version__}; weights: {line}"
    )
    events = prof.key_averages(group_by_input_shape=args.shapes)
    print(events.table(sort_by="self_cpu_time_total", row_limit=args.rows))
    print("parts (CPU total, ms):")
    totals = {e.key: e.cpu_time_total / 1000 for e in prof.key_averages()}
    for name in (f"stage.{args.stage}", *PARTS.values()):
        print(f"  {name:<16} {totals.get(name, 0.0):9.1f}")
    if args.trace:
        prof.export_chrome_trace(str(args.trace))
        print(f"trace written to {args.trace}")


if __name__ == "__main__":
    main()
