"""The inpainting engine: weights and device, pre- and post-processing, the preview → full stream.

The encoder runs on a crop around the mask reduced to a working size; the implicit decoder then renders
only the masked pixels, at the crop's own resolution. Pixels outside the mask are copied from the input.
The full result is the mean of the fills of the crop and of its mirror image (`mirror`): the network was
trained on flipped faces too, and the two fills' errors partly cancel (+0.07 to +0.20 dB inside the hole on
the test sets and CelebA val, model card) for twice the decoding. The preview, which must come at once, runs
the crop alone. A photo with no colour at all (black and white, however its file stored it) gets its fill's
luma, so that no tint creeps into it. Then, unless `grain` is off, the full result gets grain like the photo's
around the hole where the fill was rendered from a reduced crop (`grain.match_grain`): without it a fill in a large
photo is a smooth patch.

When the GPU runs out of memory or fails during a job, that job is redone on the CPU and its stages carry a
notice saying so; the next job tries the GPU again.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from .. import DEFAULT_WORKING_SIZE
from ..errors import ImageError, In2Error
from ..imaging import greyed, is_grey
from ..model import IN2
from ..model.coords import pixel_coords
from .grain import match_grain
from .regions import MAX_HOLE_DEPTH, context_box, fit_size, shallow_shape
from .weights import load_weights

Cancel = Callable[[], bool] | object | None

DECODE_SLICE = 1 << 16  # hole pixels decoded at a time (twice as many queries with the mirror image)


class _Cancelled(Exception):
    """Raised between slices of a decode once the job is cancelled; `stream` ends quietly on it."""


@dataclass(frozen=True)
class Stage:
    name: str  # "preview" or "full"
    image: np.ndarray  # H×W×3 uint8, the whole photo with the hole filled
    seconds: float
    device: str
    notice: str | None = None  # set when the GPU failed and this stage ran on the CPU instead


# What a failure of the GPU itself says (OOM, a CUDA, cuDNN or cuBLAS error), as opposed to a bug of ours
# (a bug may mention "cuda" too, e.g. tensors on two devices: that one must not be hidden by a fallback).
_GPU_FAILURE = re.compile(r"CUDA error|CUDA out of memory|CUDA driver|cuDNN error|CUDNN_STATUS|CUBLAS_STATUS")
_GPU_ERRORS = (torch.cuda.OutOfMemoryError, getattr(torch, "AcceleratorError", torch.cuda.OutOfMemoryError))


def is_gpu_failure(error: BaseException) -> bool:
    return isinstance(error, _GPU_ERRORS) or (
        isinstance(error, RuntimeError) and _GPU_FAILURE.search(str(error)) is not None
    )


def fallback_notice(error: BaseException) -> str:
    if isinstance(error, torch.cuda.OutOfMemoryError) or "out of memory" in str(error).lower():
        return "The GPU ran out of memory, so this job ran on the CPU (slower)."
    reason = " ".join(str(error).split())[:120]
    return f"The GPU failed ({reason}), so this job ran on the CPU (slower)."


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise In2Error("CUDA was asked for but no CUDA device is available (use --device cpu)")
    if device not in ("cpu", "cuda"):
        raise In2Error(f"unknown device {device!r}: use auto, cpu or cuda")
    return torch.device(device)


def _cancelled(cancel: Cancel) -> bool:
    if cancel is None:
        return False
    if hasattr(cancel, "is_set"):
        return cancel.is_set()
    return bool(cancel())


def validate(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The mask as a bool array, after checking both inputs fit the contract."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ImageError("the image must be an H×W×3 uint8 RGB array")
    if not isinstance(mask, np.ndarray) or mask.shape != image.shape[:2]:
        got = getattr(mask, "shape", None)
        raise ImageError(f"the mask is {got}, but the image is {image.shape[:2]}: they must be the same size")
    return mask != 0


class Inpainter:
    def __init__(
        self,
        model: IN2,
        device: str = "auto",
        working_size: int = DEFAULT_WORKING_SIZE,
        preview_size: int = 256,
        mirror: bool = True,
        max_hole_depth: float | None = MAX_HOLE_DEPTH,
        grain: bool = True,
    ):
        self.torch_device = resolve_device(device)
        self.model = model.to(self.torch_device).eval()
        self.working_size = working_size
        self.preview_size = preview_size
        self.mirror = mirror
        self.max_hole_depth = max_hole_depth
        self.grain = grain
        self._cpu_twin: Inpainter | None = None  # made on the GPU's first failure

    @classmethod
    def load(
        cls,
        weights: str | Path | None = None,
        device: str = "auto",
        working_size: int = DEFAULT_WORKING_SIZE,
        preview_size: int = 256,
        mirror: bool = True,
        max_hole_depth: float | None = MAX_HOLE_DEPTH,
        grain: bool = True,
    ) -> Inpainter:
        return cls(load_weights(weights), device, working_size, preview_size, mirror, max_hole_depth, grain)

    @property
    def device(self) -> str:
        return self.torch_device.type

    def inpaint(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.fill(image, mask).image

    def fill(self, image: np.ndarray, mask: np.ndarray, preview: bool = False) -> Stage:
        """One stage on its own (the full result, or only the preview), with the device it ran on and the
        notice if the GPU failed and the CPU did the work."""
        return self._stage("preview" if preview else "full", image, validate(image, mask), notice=None)

    def stream(self, image: np.ndarray, mask: np.ndarray, cancel: Cancel = None) -> Iterator[Stage]:
        """The preview, then the full-resolution result; stops early once `cancel` is set (checked before each
        stage and between the full decode's slices)."""
        hole = validate(image, mask)
        notice = None  # once the GPU has failed in this job, the rest of the job runs on the CPU
        for name in ("preview", "full"):
            if _cancelled(cancel):
                return
            try:
                stage = self._stage(name, image, hole, notice, cancel)
            except _Cancelled:
                return
            notice = stage.notice
            yield stage

    def _stage(
        self, name: str, image: np.ndarray, hole: np.ndarray, notice: str | None, cancel: Cancel = None
    ) -> Stage:
        """One timed stage; `notice` set means the GPU already failed in this job, so it runs on the CPU."""
        start = time.perf_counter()
        result, notice = self._run_or_fall_back(image, hole, name == "preview", notice, cancel)
        device = "cpu" if notice else self.device
        return Stage(name, result, time.perf_counter() - start, device, notice)

    def _run_or_fall_back(self, image, hole, preview, notice, cancel: Cancel = None) -> tuple[np.ndarray, str | None]:
        """(result, notice): on this inpainter's device, or on the CPU (with a notice) once the GPU failed."""
        if notice is None:
            try:
                return self._run(image, hole, preview, cancel), None
            except Exception as error:
                if self.device != "cuda" or not is_gpu_failure(error):
                    raise
                notice = fallback_notice(error)
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()  # give back what the failed attempt held
        return self._cpu()._run(image, hole, preview, cancel), notice

    def _cpu(self) -> Inpainter:
        """A CPU copy of this inpainter, made once from the weights already loaded (no new GPU memory)."""
        if self._cpu_twin is None:
            model = IN2(self.model.config)
            model.load_state_dict({k: v.detach().cpu() for k, v in self.model.state_dict().items()})
            self._cpu_twin = Inpainter(
                model, "cpu", self.working_size, self.preview_size, self.mirror, self.max_hole_depth, self.grain
            )
        return self._cpu_twin

    def _run(self, image: np.ndarray, hole: np.ndarray, preview: bool, cancel: Cancel = None) -> np.ndarray:
        out = image.copy()
        if not hole.any():
            return out
        box = context_box(hole)
        crop, crop_hole = image[box.slices], hole[box.slices]
        # The preview never sees more than the full result does: it would be slower and no better.
        long_side = min(self.preview_size, self.working_size) if preview else self.working_size
        shape = fit_size(box.height, box.width, long_side)
        small, small_hole = self._working_inputs(crop, crop_hole, *shape)
        shallow = shallow_shape(small_hole, box.height, box.width, self.max_hole_depth)
        if shallow != shape:  # a deep hole: filled better seen smaller (regions.MAX_HOLE_DEPTH)
            small, small_hole = self._working_inputs(crop, crop_hole, *shallow)
        mirrored = self.mirror and not preview
        inputs = self._to_tensors(small, small_hole)
        if mirrored:  # one batch: the crop and its mirror image
            inputs = [torch.cat([t, t.flip(-1)]) for t in inputs]
        with torch.inference_mode():
            latents = self.model.encode(*inputs)
            if preview:
                fill = self._preview_fill(latents, crop, crop_hole)
            else:
                fill = self._decode(latents, crop_hole, (box.height, box.width), None, mirrored, cancel)
        region = out[box.slices]
        region[crop_hole] = greyed(fill) if is_grey(image) else fill
        if self.grain and not preview:  # the photo's own grain over the fill, finer than a working pixel
            out = match_grain(image, out, hole, scale=box.height / small.shape[0])
        return out

    @staticmethod
    def _working_inputs(crop: np.ndarray, crop_hole: np.ndarray, h: int, w: int):
        """The crop and its hole shrunk to (h, w). A working pixel is the mean of the known pixels under it,
        and hole only where none is known: no hole colour leaks in, and the known rim of a thin stroke is kept
        (counting every pixel that touched the hole as hole cost 0.24 dB, 0.55 dB on strokes, at 2×)."""
        if (h, w) == crop.shape[:2]:
            return crop, crop_hole
        known = (~crop_hole).astype(np.float32)
        share = cv2.resize(known, (w, h), interpolation=cv2.INTER_AREA)
        summed = cv2.resize(crop * known[..., None], (w, h), interpolation=cv2.INTER_AREA)
        hole = share == 0  # exactly: the mean of zeros
        image = summed / np.maximum(share, 1e-12)[..., None]
        return np.clip(image.round(), 0, 255).astype(np.uint8), hole

    def _to_tensors(self, image: np.ndarray, hole: np.ndarray):
        dev = self.torch_device
        image_t = torch.from_numpy(np.ascontiguousarray(image)).to(dev).permute(2, 0, 1)[None].float() / 255
        hole_t = torch.from_numpy(hole).to(dev)[None, None].float()
        return image_t, hole_t

    def _decode(self, latents, hole: np.ndarray, out_size, stages, mirrored=False, cancel: Cancel = None) -> np.ndarray:
        """uint8 (N, 3) values for the pixels of `hole`, decoded at `out_size`; `mirrored` latents hold a second
        image, the first's mirror, and the value is the mean of the pixel in both. Between slices, a set
        `cancel` ends it with _Cancelled: a big hole's full result takes seconds, and the person may paint on."""
        rows, cols = np.nonzero(hole)
        if not len(rows):  # a hole thinner than a working pixel leaves none in the shrunk preview
            return np.zeros((0, 3), np.uint8)
        # A slice of the hole at a time: the decoder's working memory grows with the pixels it is given (a
        # 2000×1800 hole in one go peaked at 5-6 GB), and each slice reads only the latent cells it touches.
        parts = []
        for start in range(0, len(rows), DECODE_SLICE):
            if _cancelled(cancel):
                raise _Cancelled
            part = slice(start, start + DECODE_SLICE)
            parts.append(self._decode_pixels(latents, rows[part], cols[part], out_size, stages, mirrored))
        return np.concatenate(parts)

    def _decode_pixels(self, latents, rows, cols, out_size, stages, mirrored: bool) -> np.ndarray:
        """uint8 (N, 3) values for the pixels at `rows`, `cols` (N,), as `_decode`."""
        rows, cols = (torch.from_numpy(a).to(self.torch_device) for a in (rows, cols))
        coords = pixel_coords(rows, cols, *out_size)
        batch = torch.zeros(len(coords), dtype=torch.long, device=self.torch_device)
        if mirrored:  # a pixel's place in the mirror image is its own with x negated
            coords = torch.cat([coords, coords * coords.new_tensor([1.0, -1.0])])
            batch = torch.cat([batch, torch.ones_like(batch)])
        rgb = self.model.decode(latents, coords, batch, out_size, stages=stages)[-1]
        if mirrored:
            rgb = rgb.view(2, -1, 3).mean(dim=0)
        return (rgb.clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()

    def _preview_fill(self, latents, crop: np.ndarray, crop_hole: np.ndarray) -> np.ndarray:
        """The coarse level alone, decoded at half the preview's working size (it holds no finer detail) and
        scaled up into the crop's hole. The known context stays around the fill so that scaling up blends
        with real colours, not black."""
        h, w = crop_hole.shape
        small, small_hole = self._working_inputs(crop, crop_hole, *fit_size(h, w, self.preview_size // 2))
        small = small.copy()
        small[small_hole] = self._decode(latents, small_hole, small_hole.shape, stages=1)
        if small.shape[:2] != (h, w):
            small = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        return small[crop_hole]
