"""`in2-studio bench`: IN²'s speed and memory side by side with a big-lama-sized network and OpenCV Telea.

One process, the same inputs for every contender, a warm-up call each, then N rounds in which every
contender runs once (interleaved, so that a load spike on a shared machine hits all of them alike); the
figure is the median. Threads are left as the app leaves them (torch's default: all cores). The peak
resident memory of the 4000×3000 case is measured in a fresh child process, the honest way to get the peak
of that case alone. Also runnable as `python -m in2_studio.bench` with every option.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from .bench_reference import build_biglama, parameter_count
from .engine import DEFAULT_WEIGHTS, Inpainter, save_weights
from .errors import In2Error, OutputError
from .model import IN2, IN2Config
from .training import masks

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PHOTO = DATA / "lfw" / "Aaron_Eckhart" / "Aaron_Eckhart_0001.jpg"
REPEATS, QUICK_REPEATS = 5, 2
MASK_COVERAGE = 0.20
PEAK_RSS_LIMIT_MB = 1500.0

# (figure, reference, limit): figure / reference must be at most limit (issue 5's targets).
RATIO_TARGETS = (
    ("in2_full_512", "biglama_full_512", 0.2, "≤ 0.2× big-lama"),
    ("in2_preview_512", "biglama_full_512", 0.04, "≤ 0.04× big-lama"),
    ("in2_full_4000x3000_facemask", "in2_full_1024x768_facemask", 1.5, "≤ 1.5× 1024×768"),
)
TIMINGS = (
    "in2_preview_512",
    "in2_full_512",
    "biglama_full_512",
    "telea_512",
    "in2_full_1024x768_facemask",
    "in2_full_4000x3000_facemask",
)
# Peak memory of the large photo with the face-sized hole, and with a hole a close-up face would need.
PEAKS = ("peak_rss_mb_4000x3000", "peak_rss_mb_4000x3000_big_hole")
KEYS = (*TIMINGS, *PEAKS)


@dataclass(frozen=True)
class Sizes:
    square: int = 512  # the 20 % free-form case, for every contender
    medium: tuple[int, int] = (768, 1024)  # (height, width) photos with the face-sized hole
    large: tuple[int, int] = (3000, 4000)
    face_hole: int = 200  # the face-sized hole's bounding square, in pixels
    big_hole: int = 1500  # a close-up face's hole in the large photo: 1.3 M pixels to decode (the face one: 24 k)
    tiny: bool = False  # tiny networks: for the tests only


TEST_SIZES = Sizes(square=64, medium=(48, 64), large=(96, 128), face_hole=16, big_hole=64, tiny=True)


# ---------------------------------------------------------------- inputs


@functools.cache
def _source_photo() -> np.ndarray | None:
    image = cv2.imread(str(PHOTO), cv2.IMREAD_COLOR) if PHOTO.is_file() else None
    return None if image is None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def photo_source() -> str:
    return f"LFW {PHOTO.name}, resized" if _source_photo() is not None else "synthetic (no face data found)"


def face_photo(height: int, width: int) -> np.ndarray:
    """The LFW face scaled to height×width RGB uint8; a deterministic synthetic picture without the data."""
    source = _source_photo()
    if source is not None:
        return cv2.resize(source, (width, height), interpolation=cv2.INTER_CUBIC)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    y, x = y / height, x / width
    face = ((x - 0.5) ** 2 / 0.09 + (y - 0.5) ** 2 / 0.16) < 1
    channels = [
        120 + 60 * np.sin(7 * x + 3 * y) + 50 * face,
        100 + 50 * np.cos(5 * y - 2 * x) + 40 * face,
        90 + 40 * np.sin(11 * x * y) + 20 * face,
    ]
    return np.clip(np.stack(channels, axis=-1), 0, 255).astype(np.uint8)


def free_form_mask(height: int, width: int, target: float = MASK_COVERAGE, seed: int = 0) -> np.ndarray:
    """Seeded brush strokes from the training generator, added one drawing at a time (a drawing that would
    overshoot is skipped) until the coverage is target ± 1.5 %: the same mask every run."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((height, width), np.uint8)
    for _ in range(500):
        if masks.coverage(mask) >= target - 0.015:
            break
        candidate = mask | masks.free_form(rng, height, width)
        if masks.coverage(candidate) <= target + 0.015:
            mask = candidate
    # Too few strokes fitted (tiny sizes): thicken what there is.
    while masks.coverage(mask) < target - 0.015:
        mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    return mask.astype(bool)


def face_mask(height: int, width: int, size: int = 200, seed: int = 0) -> np.ndarray:
    """A face-sized hole in the middle of the photo: an ellipse with seeded brush strokes around it, all
    within a size×size square; the same in pixels whatever the photo's size."""
    patch = np.zeros((size, size), np.uint8)
    centre = (size // 2, size // 2)
    cv2.ellipse(patch, centre, (int(size * 0.38), int(size * 0.3)), 20, 0, 360, 1, -1)
    patch |= masks.free_form(np.random.default_rng(seed), size, size)
    mask = np.zeros((height, width), bool)
    top, left = (height - size) // 2, (width - size) // 2
    mask[top : top + size, left : left + size] = patch.astype(bool)
    return mask


# ---------------------------------------------------------------- contenders


def _autocast(device: str, half: bool):
    return torch.autocast("cuda", dtype=torch.float16) if half else contextlib.nullcontext()


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def biglama_fill(model: torch.nn.Module, image: np.ndarray, mask: np.ndarray, device: str) -> np.ndarray:
    """LaMa's inference: image with the hole blanked + mask in, padded to a multiple of 8, composited out."""
    h, w = mask.shape
    with torch.inference_mode():
        x = torch.from_numpy(image).to(device).permute(2, 0, 1)[None].float() / 255
        m = torch.from_numpy(mask).to(device)[None, None].float()
        pad = (0, -w % 8, 0, -h % 8)
        net_in = F.pad(torch.cat([x * (1 - m), m], dim=1), pad, mode="reflect")
        predicted = model(net_in)[..., :h, :w].float()
        out = predicted * m + x * (1 - m)
        return (out * 255).round().to(torch.uint8)[0].permute(1, 2, 0).cpu().numpy()


def _timed(key: str, call: Callable[[], object], device: str) -> Callable[[], dict[str, float]]:
    def run() -> dict[str, float]:
        _sync(device)
        start = time.perf_counter()
        call()
        _sync(device)
        return {key: time.perf_counter() - start}

    return run


def _stream_stages(inpainter: Inpainter, image: np.ndarray, mask: np.ndarray, half: bool):
    """Both stages of one `stream` call, each timed by the engine itself (Stage.seconds)."""

    def run() -> dict[str, float]:
        with _autocast(inpainter.device, half):
            seconds = {stage.name: stage.seconds for stage in inpainter.stream(image, mask)}
        return {"in2_preview_512": seconds["preview"], "in2_full_512": seconds["full"]}

    return run


def measure(contenders: list[Callable[[], dict[str, float]]], repeats: int, log=None) -> dict[str, float]:
    """Milliseconds: the median over `repeats` interleaved rounds, after one warm-up call of each."""
    for contender in contenders:
        contender()
    samples: dict[str, list[float]] = {}
    for i in range(repeats):
        if log:
            log(f"round {i + 1}/{repeats}")
        for contender in contenders:
            for key, seconds in contender().items():
                samples.setdefault(key, []).append(seconds)
    return {key: 1000 * statistics.median(values) for key, values in samples.items()}


# ---------------------------------------------------------------- peak memory (child process)


def own_peak_rss_mb() -> float | None:
    """This process's peak resident set size in MiB. On Linux from VmHWM: ru_maxrss would be wrong here, as
    it keeps the parent's peak across fork and exec (measured: 911 MB for a 580 MB case)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**10  # kB
    try:
        import resource
    except ImportError:  # Windows
        try:
            import psutil
        except ImportError:
            return None
        return psutil.Process().memory_info().peak_wset / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB elsewhere


def peak_rss_child(spec_json: str) -> None:
    """In a fresh process: the large photo and its face mask, the engine, one inpaint; print the peak."""
    spec = json.loads(spec_json)
    torch.set_num_threads(spec["threads"])
    height, width = spec["size"]
    image = face_photo(height, width)
    mask = face_mask(height, width, spec["face_hole"])
    inpainter = Inpainter.load(spec["weights"], device=spec["device"], grain=spec["grain"])
    with _autocast(spec["device"], spec["half"]):
        inpainter.inpaint(image, mask)
    print(json.dumps({"peak_rss_mb": own_peak_rss_mb()}))


def measure_peak_rss(
    weights: Path, device: str, half: bool, sizes: Sizes, hole: int | None = None, grain: bool = True
) -> float | None:
    """The peak of a fresh process filling the large photo's hole (by default the face-sized one)."""
    spec = {
        "weights": str(weights),
        "device": device,
        "half": half,
        "grain": grain,
        "size": sizes.large,
        "face_hole": hole or sizes.face_hole,
        "threads": torch.get_num_threads(),
    }
    code = "import sys; from in2_studio.bench import peak_rss_child; peak_rss_child(sys.argv[1])"
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(spec)], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise In2Error(f"the memory measurement's child process failed: {last}")
    return json.loads(done.stdout.strip().splitlines()[-1])["peak_rss_mb"]


# ---------------------------------------------------------------- the run


def machine(device: str) -> dict:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "os": platform.platform(),
        "device": device,
    }
    if device == "cuda":
        info["gpu"] = torch.cuda.get_device_name()
    return info


def choose_weights(args, sizes: Sizes, folder: Path) -> tuple[Path, str]:
    """The weights to time and a line saying which they are."""
    if getattr(args, "weights", None):
        return Path(args.weights), str(args.weights)
    if not sizes.tiny and DEFAULT_WEIGHTS.is_file():
        return DEFAULT_WEIGHTS, f"shipped {DEFAULT_WEIGHTS.name}"
    torch.manual_seed(0)
    config = IN2Config.tiny() if sizes.tiny else IN2Config.base()
    path = folder / "random.safetensors"
    save_weights(IN2(config), path)
    name = "tiny" if sizes.tiny else "base"
    return path, f"random {name} weights (no shipped file; the compute does not depend on the weights)"


def ratios(figures: dict[str, float]) -> dict[str, float]:
    reference = "biglama_full_512"
    out = {f"{key}/{reference}": figures[key] / figures[reference] for key in TIMINGS if key != reference}
    medium, large = "in2_full_1024x768_facemask", "in2_full_4000x3000_facemask"
    out[f"{large}/{medium}"] = figures[large] / figures[medium]
    return out


def targets(figures: dict[str, float]) -> dict[str, dict]:
    out = {}
    for key, reference, limit, _ in RATIO_TARGETS:
        ratio = figures[key] / figures[reference]
        out[key] = {"ratio_to": reference, "ratio": ratio, "limit": limit, "pass": ratio <= limit}
    for key in PEAKS:
        peak = figures[key]
        out[key] = {"limit": PEAK_RSS_LIMIT_MB, "pass": peak is not None and peak <= PEAK_RSS_LIMIT_MB}
    return out


def table(report: dict) -> str:
    figures, checks = report, report["targets"]
    s = report["settings"]
    m = report["machine"]
    gpu = f", {m['gpu']}" if "gpu" in m else ""
    lines = [
        f"IN² Studio benchmark: {s['device']}{gpu}, {'float16 autocast' if s['half'] else 'float32'}, "
        f"{'with' if s['grain'] else 'without'} grain, "
        f"median of {s['repeats']} interleaved runs after a warm-up",
        f"machine: {m['cpu']}, {m['cores']} cores, torch {m['torch']}, {m['threads']} threads",
        f"weights: {report['weights']}",
        f"models: IN² {report['models']['in2_parameters'] / 1e6:.2f} M parameters, "
        f"big-lama-sized reference {report['models']['biglama_parameters'] / 1e6:.2f} M",
        f"inputs: {s['photo']}; {s['mask_coverage'] * 100:.1f} % free-form mask at {s['square']}×{s['square']}; "
        f"{s['face_hole']}×{s['face_hole']} px face hole ({s['big_hole']}×{s['big_hole']} px for the big hole)",
        "",
        f"{'name':<30} {'median ms':>10} {'× big-lama':>11}   {'target':<18} result",
    ]
    biglama = figures["biglama_full_512"]
    for key in TIMINGS:
        check = checks.get(key)
        target, verdict = "", ""
        if check:
            target = next(t for k, *_, t in RATIO_TARGETS if k == key)
            verdict = f"{'PASS' if check['pass'] else 'FAIL'} ({check['ratio']:.3f}×)"
        lines.append(f"{key:<30} {figures[key]:>10.1f} {figures[key] / biglama:>11.3f}   {target:<18} {verdict}")
    for key in PEAKS:
        peak = figures[key]
        shown = "n/a" if peak is None else f"{peak:.0f} MB"
        verdict = "PASS" if checks[key]["pass"] else "FAIL"
        lines.append(f"{key:<30} {shown:>10} {'':>11}   {f'≤ {PEAK_RSS_LIMIT_MB:.0f} MB':<18} {verdict}")
    return "\n".join(lines)


def benchmark(args, sizes: Sizes, log=None) -> dict:
    device = getattr(args, "device", "cpu") or "cpu"
    half = bool(getattr(args, "half", False))
    grain = not getattr(args, "no_grain", False)
    if half and device != "cuda":
        raise In2Error("--half (float16 autocast) needs --device cuda")
    if getattr(args, "threads", None):
        torch.set_num_threads(args.threads)
    repeats = getattr(args, "repeats", None) or (QUICK_REPEATS if getattr(args, "quick", False) else REPEATS)
    log = log or (lambda _: None)

    with tempfile.TemporaryDirectory(prefix="in2-bench-") as folder:
        weights, weights_line = choose_weights(args, sizes, Path(folder))
        inpainter = Inpainter.load(weights, device=device, grain=grain)  # a bad file or device is reported here
        # Before the timings, while this process is idle, so that the child has the machine to itself.
        log("peak memory of the large case, face-sized and big hole, each in a fresh process")
        peaks = {
            key: measure_peak_rss(weights, device, half, sizes, hole, grain)
            for key, hole in zip(PEAKS, (None, sizes.big_hole), strict=True)
        }
        shape = {"ngf": 8, "blocks": 2} if sizes.tiny else {}
        biglama = build_biglama(**shape).to(device)

        square = face_photo(sizes.square, sizes.square)
        square_mask = free_form_mask(sizes.square, sizes.square)
        telea_mask = square_mask.astype(np.uint8) * 255
        photos = {}
        for key, (h, w) in (("in2_full_1024x768_facemask", sizes.medium), ("in2_full_4000x3000_facemask", sizes.large)):
            photos[key] = face_photo(h, w), face_mask(h, w, sizes.face_hole)

        def engine_call(image, mask):
            with _autocast(device, half):
                return inpainter.inpaint(image, mask)

        def biglama_call():
            with _autocast(device, half):
                return biglama_fill(biglama, square, square_mask, device)

        contenders = [
            _stream_stages(inpainter, square, square_mask, half),
            _timed("biglama_full_512", biglama_call, device),
            _timed("telea_512", lambda: cv2.inpaint(square, telea_mask, 3, cv2.INPAINT_TELEA), device),
            *(_timed(key, functools.partial(engine_call, *photo), device) for key, photo in photos.items()),
        ]
        log(f"timing on {device}: warm-up, then {repeats} rounds")
        figures = measure(contenders, repeats, log)
        figures.update(peaks)

    report = {key: figures[key] for key in KEYS}
    report.update(
        machine=machine(device),
        weights=weights_line,
        ratios=ratios(figures),
        targets=targets(figures),
        models={
            "in2_parameters": parameter_count(inpainter.model),
            "biglama_parameters": parameter_count(biglama),
        },
        settings={
            "device": device,
            "half": half,
            "grain": grain,
            "repeats": repeats,
            "photo": photo_source(),
            "mask_coverage": masks.coverage(square_mask),
            **asdict(sizes),
        },
    )
    return report


def run(args: argparse.Namespace) -> int:
    """The `bench` command: the table on stdout, the figures as JSON to --json FILE; 0 once measured (a
    missed target is a finding, not a failure of the command)."""
    sizes = TEST_SIZES if getattr(args, "sizes_for_tests", False) else Sizes()
    path = getattr(args, "json", None)
    if path and not Path(path).parent.is_dir():  # say so now, not after minutes of measuring
        raise OutputError(f"cannot write the benchmark figures to {path}: its folder does not exist")
    report = benchmark(args, sizes, log=lambda line: print(line, file=sys.stderr, flush=True))
    print(table(report))
    if path:
        try:
            Path(path).write_text(json.dumps(report, indent=2) + "\n")
        except OSError as e:
            raise OutputError(f"cannot write the benchmark figures to {path} ({e.strerror or e})") from None
    return 0


if __name__ == "__main__":
    from .cli import main  # one parser for the options: `in2-studio bench`'s

    sys.exit(main(["bench", *sys.argv[1:]]))
