"""Median time of one training step of configs/base.toml (bfloat16, one thread) from the shipped weights, on
fixed seeded batches of real crops, for whichever in2_studio is importable. A step here is the losses, the
backward pass and the AdamW update; the training loop's gradient clipping and EMA update are left out. To
compare two versions of the code side by side, run it for each at the same time, one per core:

    git worktree add /tmp/old <commit>
    export IN2_DATA=$(realpath ../shared/data)   # the worktree is not beside ../shared
    PYTHONPATH=/tmp/old python benchmarks/train_step.py & PYTHONPATH=. python benchmarks/train_step.py; wait

Each version reads its own configs/base.toml and shipped weights.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch

import in2_studio
from in2_studio.engine.weights import DEFAULT_WEIGHTS, load_weights
from in2_studio.training.crops import FaceCrops
from in2_studio.training.faces import training_files
from in2_studio.training.train import TrainSettings, step_loss

CONFIG = Path(in2_studio.__file__).resolve().parents[1] / "configs" / "base.toml"  # the config of the code measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=3, help="first steps left out of the figures")
    args = parser.parse_args()
    torch.set_num_threads(1)
    settings = TrainSettings.from_toml(CONFIG)
    crops = FaceCrops(training_files(), settings.batch_size, settings.long_side, 777, mask_mix=settings.mask_mix)
    batches = [crops.batch(i) for i in range(args.steps)]  # made first: only the steps are timed
    model = load_weights(DEFAULT_WEIGHTS).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    seconds = []
    for i, batch in enumerate(batches):
        start = time.perf_counter()
        loss, _, _ = step_loss(model, batch, settings, np.random.default_rng([0, i, 1]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seconds.append(time.perf_counter() - start)
    kept = seconds[args.warmup :]
    print(
        f"{Path(in2_studio.__file__).parent}: {len(kept)} steps, median {statistics.median(kept):.3f} s, "
        f"mean {statistics.mean(kept):.3f} s"
    )


if __name__ == "__main__":
    main()
