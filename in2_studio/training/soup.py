"""A weight average ("model soup", Wortsman et al. 2022) of runs fine-tuned from the same weights: they stay in
one basin, so the average is a network too: on CelebA val it scored above each of session 3's runs and tied the
better of session 7's and of session 8's (docs/training-history.md).

`python -m in2_studio.training.soup [--half] OUT.safetensors A.safetensors [B.safetensors ...]`; `--half` stores
float16, as the shipped file is (one input file is then only converted).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from ..engine.weights import load_weights, read_metadata, save_weights
from ..errors import In2Error
from ..model import IN2


def average_weights(paths: list[Path]) -> IN2:
    """The network whose every weight is the mean of the files' (all of one configuration)."""
    if not paths:
        raise In2Error("no weights files to average")
    models = [load_weights(path) for path in paths]
    for path, model in zip(paths[1:], models[1:], strict=True):
        if model.config != models[0].config:
            raise In2Error(f"{path} is another network configuration than {paths[0]}")
    states = [model.state_dict() for model in models]
    mean = {key: torch.stack([state[key] for state in states]).mean(dim=0) for key in states[0]}
    models[0].load_state_dict(mean)
    return models[0]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m in2_studio.training.soup", description=__doc__.split("\n")[0])
    parser.add_argument("--half", action="store_true", help="store float16, as the shipped file is")
    parser.add_argument("out", type=Path)
    parser.add_argument("weights", type=Path, nargs="+")
    args = parser.parse_args(argv)
    paths = args.weights
    try:
        soup = average_weights(paths)
        steps = [int(read_metadata(path).get("step", 0)) for path in paths]
        sources = ", ".join(f"{p.name} (step {step})" for p, step in zip(paths, steps, strict=True))
        # A run continued from the soup goes on from the furthest step (and the data order there).
        metadata = {"step": str(max(steps)), "average_of" if len(paths) > 1 else "converted_from": sources}
        save_weights(soup, args.out, half=args.half, metadata=metadata)
    except In2Error as error:
        print(f"soup: error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: " + (f"the mean of {sources}" if len(paths) > 1 else f"a copy of {sources}"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
