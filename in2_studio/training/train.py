"""The training loop: adaptive crops, encoder inputs shrunk by a random factor, the decoder supervised at
the crop's full resolution on the hole's pixels; AdamW, an EMA of the weights, resumable checkpoints.

`in2-studio train --config configs/base.toml [--resume] [--steps N] [--out DIR]`
"""

from __future__ import annotations

import dataclasses
import math
import signal
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel
from tqdm import tqdm

from ..engine.weights import DEFAULT_WEIGHTS, load_weights, read_metadata, save_weights
from ..errors import In2Error
from ..imaging import write_atomically
from ..model import IN2, IN2Config
from ..model.coords import pixel_coords
from ..model.grow import can_grow, grow
from .adversarial import Critic, generator_losses
from .crops import CROP_SCALE, FaceCrops, check_crop_scale, check_crop_scale_by_kind
from .faces import training_files
from .losses import hole_l1, hole_l2, ssim
from .masks import MASK_MIX, check_mask_mix

CONFIG_TABLES = ("model", "data", "train")
CLIP_NORM = 1.0  # the gradient's largest norm: a rare bad batch cannot throw the weights far


def read_config(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """A config file's tables, over those of the file its `extends` names (relative to it), setting by setting.

    So an arm or a variant (adversarial.toml, gpu.toml) states only how it differs from base.toml, and cannot go
    stale when the shipped recipe changes."""
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise In2Error(f"cannot read training configuration {path}: {e}") from None
    parent = raw.pop("extends", None)
    unknown = sorted(name for name, table in raw.items() if name not in CONFIG_TABLES or not isinstance(table, dict))
    if unknown:
        raise In2Error(f"{path}: unknown tables {', '.join(unknown)}: a config has [model], [data] and [train]")
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise In2Error(f'{path}: extends must name a TOML file, e.g. extends = "base.toml"')
    chain = (*seen, path.resolve())
    parent_path = (path.parent / parent).resolve()
    if parent_path in chain:
        raise In2Error(f"{path}: extends {parent}, which extends it back")
    base = read_config(parent_path, chain)
    return {name: {**base.get(name, {}), **raw.get(name, {})} for name in CONFIG_TABLES if name in base or name in raw}


@dataclass(frozen=True)
class TrainSettings:
    preset: str = "base"
    # [model] fields beside the preset that change its shape, e.g. attention_blocks = 4 (IN2Config's names).
    architecture: dict = dataclasses.field(default_factory=dict)
    batch_size: int = 8
    long_side: tuple[int, int] = (96, 192)
    crop_scale: tuple[float, float] = CROP_SCALE
    # Hole kinds whose crops span other shares of the photo, e.g. { face_box = [0.7, 1.0] } (mask kind -> scale).
    crop_scale_by_kind: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)
    prefetch: int = 2
    mask_mix: dict[str, float] = dataclasses.field(default_factory=lambda: dict(MASK_MIX))
    steps: int = 1_000_000
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup: int = 300
    # Anneal: a cosine from `lr` at step decay[0] down to `lr_end` at step decay[1], then `lr_end`. Steps are
    # absolute, so a resumed run keeps its schedule. (0, 0): a constant `lr`.
    decay: tuple[int, int] = (0, 0)
    # Or the same cosine over `cycle` steps from where this run's optimiser started (the shipped file's step
    # for a run begun from it), whatever that step is: one restart-and-anneal cycle (0: off).
    cycle: int = 0
    lr_end: float = 0.0
    ema_decay: float = 0.999
    coarse_weight: float = 0.5
    ssim_weight: float = 0.3
    # Squared error on the hole beside the L1 (0: off). L1 pulls a fill towards the median of what could be
    # there, squared error towards the mean, which is what PSNR scores; it weighs large errors more.
    l2_weight: float = 0.0
    # The adversarial term (0: off): a PatchGAN with R1, and feature matching on its layers (adversarial.py).
    adversarial_weight: float = 0.0
    matching_weight: float = 0.0
    r1_weight: float = 0.001
    discriminator_lr: float = 1e-4
    discriminator_width: int = 32
    native_scale_probability: float = 0.4
    max_scale: float = 4.0
    # bfloat16 autocast for the network's convolutions and matrix products (the losses stay float32): on this
    # project's CPUs, which have AVX-512 BF16, a step is 1.5x faster side by side, whole runs 1.3x (model card).
    bf16: bool = False
    seed: int = 0
    threads: int = 1
    device: str = "auto"  # cuda when there is one
    minutes: float = 0  # stop after this long (0: no limit), with a checkpoint, e.g. for a lent GPU
    log_every: int = 25
    checkpoint_every: int = 250
    out: str = "~/.cache/in2-studio/runs/base"

    @property
    def adversarial(self) -> bool:
        return self.adversarial_weight > 0 or self.matching_weight > 0

    @classmethod
    def from_toml(cls, path: str | Path) -> TrainSettings:
        raw = read_config(Path(path))
        architecture = dict(raw.get("model", {}))
        preset = architecture.pop("preset", "base")
        values = {"preset": preset, "architecture": architecture, **raw.get("data", {}), **raw.get("train", {})}
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise In2Error(f"{path}: unknown settings {', '.join(unknown)}")
        for pair in ("long_side", "decay"):
            if pair in values:
                values[pair] = tuple(values[pair])
        try:
            if "crop_scale" in values:
                values["crop_scale"] = check_crop_scale(values["crop_scale"])
            if "crop_scale_by_kind" in values:
                values["crop_scale_by_kind"] = check_crop_scale_by_kind(values["crop_scale_by_kind"])
        except (ValueError, TypeError) as e:
            raise In2Error(f"{path}: {e}") from None
        if "mask_mix" in values:
            try:
                values["mask_mix"] = check_mask_mix(values["mask_mix"])
            except (ValueError, TypeError) as e:
                raise In2Error(f"{path}: mask_mix: {e}") from None
        try:
            return cls(**values)
        except In2Error as e:
            raise In2Error(f"{path}: {e}") from None

    def __post_init__(self):
        # Here, not in from_toml, so that a command-line --lr is checked against lr_end too.
        decay = self.decay
        if len(decay) != 2 or decay != (0, 0) and not 0 <= decay[0] < decay[1]:
            raise In2Error(f"decay = {list(decay)}: give [from, to] steps with from < to, or leave it out")
        if not 0 <= self.lr_end <= self.lr:
            raise In2Error(f"lr_end ({self.lr_end:g}) must lie between 0 and lr ({self.lr:g})")
        if self.cycle < 0 or self.cycle and decay != (0, 0):
            raise In2Error(f"cycle = {self.cycle}: give a positive number of steps, and no decay beside it")

    def model_config(self) -> IN2Config:
        presets = {"base": IN2Config.base, "tiny": IN2Config.tiny}
        if self.preset not in presets:
            raise In2Error(f"unknown model preset {self.preset!r}: use one of {', '.join(presets)}")
        preset = presets[self.preset]()
        try:
            config = preset.with_fields(self.architecture)
        except ValueError as e:
            raise In2Error(f"[model]: {e}") from None
        for name in self.architecture:
            value, like = getattr(config, name), getattr(preset, name)
            if type(value) is not type(like) or isinstance(like, tuple) and len(value) != len(like):
                raise In2Error(f"[model]: {name} = {value!r}, but the preset's is {like!r}: give one like it")
        return config


def shrink(image: torch.Tensor, mask: torch.Tensor, scale: float):
    """The encoder's input: the crop shrunk by `scale`, as the engine shrinks a photo to its working size: a
    working pixel is the mean of the known pixels under it, and hole only where none is known."""
    h, w = image.shape[-2:]
    size = (max(8, round(h / scale)), max(8, round(w / scale)))
    if size == (h, w):
        return image, mask
    known = 1 - mask
    share = F.interpolate(known, size, mode="area")
    small = F.interpolate(image * known, size, mode="area") / share.clamp_min(1e-12)
    return small, (share == 0).float()


def step_loss(model: IN2, batch: dict, settings: TrainSettings, rng: np.random.Generator, discriminator=None):
    """The generator's loss on one batch, its parts (for logging) and the composite (for the discriminator)."""
    image, mask = batch["image"], batch["mask"]
    h, w = image.shape[-2:]
    native = rng.random() < settings.native_scale_probability
    scale = 1.0 if native else float(rng.uniform(1.0, settings.max_scale))
    b, y, x = torch.nonzero(mask[:, 0] > 0.5, as_tuple=True)
    coords = pixel_coords(y, x, h, w)
    target = image[b, :, y, x]
    with torch.autocast(image.device.type, dtype=torch.bfloat16, enabled=settings.bf16):
        latents = model.encode(*shrink(image, mask, scale))
        levels = [level.float() for level in model.decode(latents, coords, b, (h, w))]
    fine_l1 = hole_l1(levels[-1], target)
    coarse_l1 = hole_l1(levels[0], target) if len(levels) > 1 else fine_l1.new_zeros(())
    composite = image.clone()
    composite[b, :, y, x] = levels[-1]
    structure = 1 - ssim(composite, image)
    loss = fine_l1 + settings.coarse_weight * coarse_l1 + settings.ssim_weight * structure
    parts = {"l1": fine_l1.item(), "coarse": coarse_l1.item(), "1-ssim": structure.item(), "scale": scale}
    if settings.l2_weight:
        fine_l2 = hole_l2(levels[-1], target)
        loss = loss + settings.l2_weight * fine_l2
        parts["l2"] = fine_l2.item()
    if discriminator is not None:
        adversarial, matching = generator_losses(discriminator, image, composite, mask)
        loss = loss + settings.adversarial_weight * adversarial + settings.matching_weight * matching
        parts |= {"adv": adversarial.item(), "fm": matching.item()}
    return loss, parts, composite


class Checkpoint:
    """`checkpoint.pt` in the run folder (tensors and plain values only: loaded with weights_only=True) and
    `ema.safetensors` beside it, the weights the app loads."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / "checkpoint.pt"
        self.ema_path = folder / "ema.safetensors"

    def save(
        self, model: IN2, ema: AveragedModel, optimizer, step: int, settings: TrainSettings, critic=None, fresh_from=0
    ) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        state = {
            **({"critic": critic.state_dict()} if critic is not None else {}),
            "model": model.state_dict(),
            "ema": ema.state_dict(),  # with its count, so the average goes on where it stopped
            "optimizer": optimizer.state_dict(),
            "step": step,
            "fresh_from": fresh_from,  # where the optimiser started, which a `cycle` counts from
            "config": model.config.to_json(),
        }
        write_atomically(self.path, lambda file: torch.save(state, file))
        save_weights(ema.module, self.ema_path, metadata={"step": str(step), "seed": str(settings.seed)})

    def load(self) -> dict | None:
        if not self.path.is_file():
            return None
        return torch.load(self.path, map_location="cpu", weights_only=True)


def ema_average(decay: float):
    """EMA with a warm-up: early on the average follows the model closely, so that it does not keep the
    random initial weights for thousands of steps (0.999**1000 is still 37 %)."""

    def average(averaged: torch.Tensor, current: torch.Tensor, count: torch.Tensor) -> torch.Tensor:
        d = min(decay, (1 + float(count)) / (10 + float(count)))
        return averaged * d + current * (1 - d)

    return average


def learning_rate(step: int, settings: TrainSettings, fresh_from: int = 0) -> float:
    """Warm up over `warmup` steps from `fresh_from`, the step where the optimiser's moments started empty, on
    top of the settings' cosine decay (`decay`, or `cycle` steps from `fresh_from`)."""
    lr = settings.lr
    begin, end = (fresh_from, fresh_from + settings.cycle) if settings.cycle else settings.decay
    if end > begin and step >= begin:
        progress = min(1.0, (step - begin) / (end - begin))
        lr = settings.lr_end + (settings.lr - settings.lr_end) * 0.5 * (1 + math.cos(math.pi * progress))
    since = step - fresh_from
    if settings.warmup and since < settings.warmup:
        return lr * (since + 1) / settings.warmup
    return lr


class StopRequest:
    """SIGTERM or Ctrl+C ends the run after the current step, with a checkpoint: nothing is lost."""

    def __init__(self):
        self.requested = False

    def __enter__(self) -> StopRequest:
        self.previous = {sig: signal.signal(sig, self._request) for sig in (signal.SIGTERM, signal.SIGINT)}
        return self

    def _request(self, signum, frame) -> None:
        self.requested = True

    def __exit__(self, *exc) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def train_device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        torch.set_float32_matmul_precision("high")  # TF32 matrix products: plenty for training
    return torch.device(name)


def train(settings: TrainSettings, out: Path, resume: bool = False, steps: int | None = None, quiet=False) -> int:
    """Train until `steps` (or the settings' steps) in total, or the settings' minutes; returns the step reached."""
    torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    device = train_device(settings.device)
    config = settings.model_config()
    model = IN2(config).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    ema = AveragedModel(model, avg_fn=ema_average(settings.ema_decay), use_buffers=True)
    critic = None
    if settings.adversarial:
        critic = Critic(settings.discriminator_width, settings.discriminator_lr, settings.r1_weight, device)
    checkpoint = Checkpoint(out)
    start = fresh_from = 0
    state = checkpoint.load() if resume else None
    if state is not None:
        if state["config"] != config.to_json():
            raise In2Error(f"{checkpoint.path} was trained with another network configuration")
        model.load_state_dict(state["model"])
        if "n_averaged" in state["ema"]:
            ema.load_state_dict(state["ema"])
        # else: a checkpoint from before the EMA kept its count: restart the average from the model.
        optimizer.load_state_dict(state["optimizer"])
        if critic is not None and "critic" in state:
            critic.load_state_dict(state["critic"])
        # else: the adversarial term starts here, with a fresh discriminator.
        start = state["step"]
        fresh_from = state.get("fresh_from", 0)
        print(f"resumed from {checkpoint.path} at step {start}", file=sys.stderr)
    elif resume and DEFAULT_WEIGHTS.is_file():
        shipped = load_weights(DEFAULT_WEIGHTS)
        if can_grow(shipped.config, config):
            # A deeper network: the shipped one with identity blocks added, which training then puts to use.
            shipped = grow(shipped, config)
            print(f"grew {DEFAULT_WEIGHTS} to {config}", file=sys.stderr)
        if shipped.config == config:
            # The durable checkpoint: a new machine continues from the weights in the repo.
            model.load_state_dict(shipped.state_dict())
            ema.module.load_state_dict(shipped.state_dict())
            # Go on from the shipped step (the data order with it); the fresh optimiser warms up again.
            start = fresh_from = int(read_metadata(DEFAULT_WEIGHTS).get("step", 0))
            print(f"no checkpoint in {out}: continuing from {DEFAULT_WEIGHTS} at step {start}", file=sys.stderr)

    total = steps if steps is not None else settings.steps
    files = training_files()
    batches = FaceCrops(
        files,
        settings.batch_size,
        settings.long_side,
        settings.seed,
        start,
        settings.prefetch,
        mask_mix=settings.mask_mix,
        crop_scale=settings.crop_scale,
        crop_scale_by_kind=settings.crop_scale_by_kind,
    )
    out.mkdir(parents=True, exist_ok=True)
    model.train()
    seen, clock, step = 0, time.perf_counter(), start
    # The largest gradient norm of each logging window, before clipping, and how many of its steps were clipped (a
    # run resumed between two log lines has fewer in its first window): a one-step loss spike (session 26) shows
    # whether the weights or the batch were off, and the share clipped how much the clip sets the step size.
    grad_max, clipped = 0.0, 0
    deadline = time.monotonic() + 60 * settings.minutes if settings.minutes else math.inf
    bar = tqdm(total=total, initial=start, disable=quiet, dynamic_ncols=True, smoothing=0.05)
    with open(out / "train.log", "a") as log, bar, StopRequest() as stop:
        for step, batch in enumerate(batches, start=start):
            if step >= total or stop.requested or time.monotonic() > deadline:
                break
            batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(step, settings, fresh_from)
            rng = np.random.default_rng([settings.seed, step, 1])
            loss, parts, composite = step_loss(model, batch, settings, rng, critic and critic.frozen())
            if not math.isfinite(loss.item()):
                raise In2Error(f"the loss became {loss.item()} at step {step}: lower the learning rate")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM).item()
            grad_max, clipped = max(grad_max, grad_norm), clipped + (grad_norm > CLIP_NORM)
            optimizer.step()
            if critic is not None:
                parts |= critic.step(batch["image"], composite, batch["mask"])
            ema.update_parameters(model)
            seen += batch["image"].shape[0]
            bar.update(1)
            if (step + 1) % settings.log_every == 0:
                rate = seen / (time.perf_counter() - clock)
                bar.set_postfix(loss=f"{loss.item():.4f}", l1=f"{parts['l1']:.4f}", img_s=f"{rate:.1f}")
                figures = " ".join(f"{k} {v:.5f}" for k, v in parts.items())
                figures += f" grad_max {grad_max:.4g} clipped {clipped}/{min(settings.log_every, step + 1 - start)}"
                figures += f" lr {optimizer.param_groups[0]['lr']:.3g} img/s {rate:.2f}"
                log.write(f"step {step + 1} loss {loss.item():.5f} {figures} {time.strftime('%X')}\n")
                log.flush()
                seen, clock, grad_max, clipped = 0, time.perf_counter(), 0.0, 0
            if (step + 1) % settings.checkpoint_every == 0:
                checkpoint.save(model, ema, optimizer, step + 1, settings, critic, fresh_from)
        # Still under StopRequest: a second SIGTERM or Ctrl+C during this save would otherwise cut it short.
        reached = min(step, total)
        if reached > start:
            checkpoint.save(model, ema, optimizer, reached, settings, critic, fresh_from)
    return reached


def settings_for(args) -> TrainSettings:
    """The config file's settings, with what the command line overrides (--minutes, --lr)."""
    settings = TrainSettings.from_toml(args.config)
    overrides = {name: getattr(args, name, None) for name in ("minutes", "lr")}
    return dataclasses.replace(settings, **{k: v for k, v in overrides.items() if v is not None})


def run(args) -> int:
    settings = settings_for(args)
    out = Path(args.out or settings.out).expanduser()
    reached = train(settings, out, resume=args.resume, steps=args.steps)
    print(f"trained to step {reached}; weights: {out / 'ema.safetensors'}")
    return 0
