"""`in2-studio eval`: IN² beside OpenCV's Telea and Navier-Stokes on fixed, seeded holes in held-out faces.

Every image of the chosen split (or an evenly spaced `--limit` of them) gets one mask, the kinds taking turns
(eyes, nose and mouth, strokes, a large box); a mask's shape is seeded by the image's file name, so the same
images get the same holes on every run. All three methods see the same image, with the hole blanked. Scores are
means over images of each image's value (PSNR and hole PSNR in dB, SSIM, L1 in [0, 1] units, and the hole's detail:
gradient energy as a share of the photo's, where blur shows that PSNR does not punish).
Writes OUT/results.md (the table, also printed), OUT/results.json (means and per-image numbers) and
OUT/contact_sheet.png (masked input, Telea, IN², original).

`--holes off-face` gives every photo instead a hole away from the face, in a band of the photo beside it, seen
without the face (`masks.off_face_eval`): where a face must not be drawn.

`--scale F` first enlarges every photo F× (bicubic), as the app meets photos: larger than these 178–250 px faces,
so that the engine's working size (`--working-size`) decides the scale the encoder sees the face at.
"""

import json
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from in2_studio.errors import In2Error, OutputError
from in2_studio.training.crops import read_rgb
from in2_studio.training.faces import face_files, landmarks_for
from in2_studio.training.masks import EVAL_KINDS, OFF_FACE, eval_mask, off_face_eval
from in2_studio.training.metrics import hole_detail, hole_psnr, l1, psnr, ssim

DATASETS = {
    "lfw-test": ("lfw", "test"),
    "celeba-test": ("celeba", "test"),
    "celeba-val": ("celeba", "val"),
}
HOLES = ("face", "off-face")  # the four face kinds taking turns, or the hole away from the face
KINDS = (*EVAL_KINDS, OFF_FACE)
METRICS = ("psnr", "ssim", "hole_psnr", "l1", "detail")
METRIC_HEADERS = {
    "psnr": "PSNR ↑",
    "ssim": "SSIM ↑",
    "hole_psnr": "hole PSNR ↑",
    "l1": "L1 ↓",
    "detail": "hole detail (photo = 1)",
}
IN2 = "IN²"
TELEA = "Telea"
NAVIER_STOKES = "Navier-Stokes"
CLASSICAL_RADIUS = 5
HOLE_COLOUR = (255, 0, 255)  # the flat colour a hole is shown in on the contact sheet
SHEET_CELL_SIDE = 200  # a contact-sheet cell has the area of a square this wide, whatever the photo's shape
SHEET_ROWS_PER_KIND = 2  # contact-sheet examples of each hole kind, unless --sheet-rows says


def telea(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return cv2.inpaint(image, mask.astype(np.uint8) * 255, CLASSICAL_RADIUS, cv2.INPAINT_TELEA)


def navier_stokes(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return cv2.inpaint(image, mask.astype(np.uint8) * 255, CLASSICAL_RADIUS, cv2.INPAINT_NS)


def select_files(files: Sequence[Path], limit: int | None) -> list[Path]:
    """All files, or `limit` of them evenly spaced over the sorted list (many people, not the first few)."""
    files = list(files)
    if limit is None or limit >= len(files):
        return files
    if limit < 1:
        raise In2Error(f"--limit must be at least 1, got {limit}")
    picks = np.unique(np.linspace(0, len(files) - 1, limit).round().astype(int))
    return [files[i] for i in picks]


def load_face(path: Path, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The photo and its landmarks, enlarged `scale`× (bicubic; pixel centres map to pixel centres)."""
    image = read_rgb(path)
    landmarks = landmarks_for(path, image.shape)
    if scale == 1:
        return image, landmarks
    h, w = image.shape[:2]
    image = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_CUBIC)
    return image, (landmarks + 0.5) * np.array([image.shape[1] / w, image.shape[0] / h]) - 0.5


def mask_seed(path: Path, seed: int) -> int:
    """A seed from the file's own name (person/file), so its hole does not depend on which others are run."""
    name = f"{Path(path).parent.name}/{Path(path).name}"
    return (zlib.crc32(name.encode()) + 1_000_003 * seed) % (2**32)


def score(original: np.ndarray, result: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    return {
        "psnr": psnr(original, result),
        "ssim": ssim(original, result),
        "hole_psnr": hole_psnr(original, result, mask),
        "l1": l1(original, result),
        "detail": hole_detail(original, result, mask),
    }


def summarise(rows: list[dict], methods: Sequence[str]) -> dict[str, dict[str, dict[str, float]]]:
    """Mean of each metric per mask kind and method, plus "all" over every image."""
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for kind in (*KINDS, "all"):
        chosen = [r for r in rows if kind in ("all", r["kind"])]
        if not chosen:
            continue
        summary[kind] = {
            method: {m: float(np.mean([r["scores"][method][m] for r in chosen])) for m in METRICS}
            | {"images": len(chosen)}
            for method in methods
        }
    return summary


def markdown_table(summary: dict, methods: Sequence[str], title: str) -> str:
    lines = [f"### {title}", "", "| mask | method | images | " + " | ".join(METRIC_HEADERS.values()) + " |"]
    lines.append("| --- | --- | ---: | " + " | ".join("---:" for _ in METRICS) + " |")
    for kind, by_method in summary.items():
        for method in methods:
            values = by_method[method]
            cells = [f"{values['psnr']:.2f}", f"{values['ssim']:.4f}", f"{values['hole_psnr']:.2f}"]
            cells += [f"{values['l1']:.4f}", f"{values['detail']:.2f}"]
            name = f"**{method}**" if method == IN2 else method
            lines.append(f"| {kind} | {name} | {values['images']} | " + " | ".join(cells) + " |")
    if IN2 in methods and TELEA in methods:
        lines += ["", "IN² − Telea, hole PSNR (dB): "]
        gains = [f"{k} {v[IN2]['hole_psnr'] - v[TELEA]['hole_psnr']:+.2f}" for k, v in summary.items()]
        lines[-1] += ", ".join(gains)
    return "\n".join(lines) + "\n"


def _cell(image: np.ndarray, label: str) -> np.ndarray:
    h, w = image.shape[:2]
    scale = SHEET_CELL_SIDE / np.sqrt(h * w)  # a thin band beside the face is shown as large as a face
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    cell = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    cell = np.pad(cell, ((20, 2), (2, 2), (0, 0)), constant_values=255)
    cv2.putText(cell, label, (4, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    return cell


def contact_sheet(examples: list[dict]) -> np.ndarray:
    """Rows of (masked input, Telea, IN², original), labelled; RGB uint8."""
    rows = []
    for ex in examples:
        shown = ex["original"].copy()
        shown[ex["mask"]] = HOLE_COLOUR
        cells = [
            _cell(shown, f"{ex['kind']}: {ex['file']}"[:28]),
            _cell(ex[TELEA], f"Telea {ex['scores'][TELEA]['hole_psnr']:.1f} dB"),
            _cell(ex[IN2], f"IN2 {ex['scores'][IN2]['hole_psnr']:.1f} dB"),
            _cell(ex["original"], "original"),
        ]
        rows.append(np.hstack(cells))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    return np.vstack(rows)


def _write(path: Path, write: Callable[[Path], object]) -> None:
    try:
        if write(path) is False:
            raise OSError("the encoder refused it")
    except OSError as error:
        raise OutputError(f"Cannot write {path}: {error}") from error


def evaluate(
    inpainter,
    files: Sequence[Path],
    out_dir: Path,
    *,
    title: str = "evaluation",
    seed: int = 0,
    rows_per_kind: int = SHEET_ROWS_PER_KIND,
    progress: bool = True,
    scale: float = 1.0,
    holes: str = "face",
) -> dict:
    """Inpaint each file's fixed hole with `inpainter.inpaint(image, mask)`, Telea and Navier-Stokes; score
    them against the original; write results.md, results.json and contact_sheet.png into `out_dir`.
    Returns the results dict (also in results.json)."""
    if not files:
        raise In2Error("No images to evaluate")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"Cannot create the output folder {out_dir}: {error}") from error
    methods = {IN2: inpainter.inpaint, TELEA: telea, NAVIER_STOKES: navier_stokes}
    seconds = dict.fromkeys(methods, 0.0)
    rows, examples = [], []
    for index, path in enumerate(tqdm(files, desc=f"eval {title}", unit="img", disable=not progress)):
        original, landmarks = load_face(path, scale)
        if holes == "off-face":
            kind = OFF_FACE
            band, mask = off_face_eval(*original.shape[:2], landmarks, mask_seed(path, seed))
            original = np.ascontiguousarray(original[band])
        else:
            kind = EVAL_KINDS[index % len(EVAL_KINDS)]
            mask = eval_mask(kind, *original.shape[:2], landmarks, mask_seed(path, seed))
        holed = original.copy()
        holed[mask] = 0  # no method may see what was under the hole
        results, scores = {}, {}
        for name, method in methods.items():
            start = time.perf_counter()
            result = np.asarray(method(holed, mask))
            seconds[name] += time.perf_counter() - start
            if result.shape != original.shape or result.dtype != np.uint8:
                raise In2Error(f"{name} returned {result.dtype} {result.shape} for {path}, not {original.shape}")
            results[name], scores[name] = result, score(original, result, mask)
        row = {"file": f"{path.parent.name}/{path.name}", "kind": kind, "hole": float(mask.mean())}
        rows.append(row | {"scores": scores})
        if sum(ex["kind"] == kind for ex in examples) < rows_per_kind:
            examples.append(row | {"scores": scores, "original": original, "mask": mask} | results)

    names = list(methods)
    summary = summarise(rows, names)
    table = markdown_table(summary, names, f"{title}: {len(rows)} images")
    timing = {name: seconds[name] / len(rows) for name in names}
    table += "\nSeconds per image: " + ", ".join(f"{n} {t:.3f}" for n, t in timing.items()) + "\n"
    results = {
        "title": title,
        "images": len(rows),
        "seed": seed,
        "scale": scale,
        "holes": holes,
        "methods": names,
        "summary": summary,
        "seconds_per_image": timing,
        "per_image": rows,
    }
    examples.sort(key=lambda ex: KINDS.index(ex["kind"]))
    sheet = cv2.cvtColor(contact_sheet(examples), cv2.COLOR_RGB2BGR)
    _write(out_dir / "results.md", lambda p: p.write_text(table))
    _write(out_dir / "results.json", lambda p: p.write_text(json.dumps(results, indent=1)))
    _write(out_dir / "contact_sheet.png", lambda p: cv2.imwrite(str(p), sheet))
    return results | {"table": table}


def run(args) -> int:
    """The `in2-studio eval` command: --weights W --data lfw-test|celeba-test [--out DIR] [--limit N]
    [--holes face|off-face] [--device auto|cpu|cuda]
    [--scale F] [--working-size N] [--no-mirror] [--max-hole-depth PX] [--sheet-rows N]."""
    from in2_studio.engine import Inpainter  # the engine is only needed here, not by the metrics or masks

    if args.data not in DATASETS:
        raise In2Error(f"Unknown evaluation data {args.data!r} (choose one of {', '.join(DATASETS)})")
    holes = getattr(args, "holes", None) or "face"
    if holes not in HOLES:
        raise In2Error(f"Unknown holes {holes!r} (choose one of {', '.join(HOLES)})")
    files = select_files(face_files(*DATASETS[args.data]), getattr(args, "limit", None))
    device = getattr(args, "device", None) or "auto"
    scale = getattr(args, "scale", None) or 1.0
    engine_options = {"working_size": args.working_size} if getattr(args, "working_size", None) else {}
    mirror = not getattr(args, "no_mirror", False)
    depth = getattr(args, "max_hole_depth", None)
    if depth is not None:
        engine_options["max_hole_depth"] = depth or None  # 0: never shrink a deep hole further
    grain = getattr(args, "grain", False)  # the network's own fill by default: what the weights are judged on
    inpainter = Inpainter.load(
        weights=getattr(args, "weights", None), device=device, mirror=mirror, grain=grain, **engine_options
    )
    out_dir = Path(getattr(args, "out", None) or Path("eval") / args.data)
    weights = getattr(args, "weights", None) or "default weights"
    title = f"{args.data}, {Path(str(weights)).name}, {inpainter.device}"
    if holes == "off-face":
        title += ", holes off the face"
    if scale != 1:
        title += f", photos enlarged {scale:g}×, working size {inpainter.working_size}"
    if grain:
        title += ", with the photo's grain"
    if not mirror:
        title += ", without the mirror image"
    if depth is not None:
        title += f", max hole depth {depth:g}" if depth else ", deep holes not shrunk"
    rows_per_kind = getattr(args, "sheet_rows", None) or SHEET_ROWS_PER_KIND
    results = evaluate(inpainter, files, out_dir, title=title, scale=scale, rows_per_kind=rows_per_kind, holes=holes)
    print(results["table"])
    print(f"Wrote {out_dir / 'results.md'}, results.json and contact_sheet.png")
    return 0
