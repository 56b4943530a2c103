"""The `in2-studio` command: the window by default, and the subcommands inpaint, train, eval and bench;
`--self-test` checks an installation or a bundle end to end on a built-in sample.

Exit codes: 0 done; 2 bad input or usage (one line on stderr says what and which file); 1 an internal
error (one line too; IN2_DEBUG=1 adds the traceback); 130 interrupted. The heavy parts (torch, Qt, the
training code) are imported only by the subcommand that needs them, so `--help` and errors are instant.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from in2_studio import DEFAULT_WORKING_SIZE, __version__
from in2_studio.errors import ImageError, In2Error, OutputError

PROG = "in2-studio"
# resources/ beside the package: the repository's in a checkout, the bundle's own when frozen.
RESOURCES = Path(__file__).resolve().parents[1] / "resources"
COMMANDS = ("inpaint", "train", "eval", "bench")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")

INPAINT_EPILOG = """\
One photo:  --image photo.jpg --mask mask.png --output fixed.jpg
  --output may also be an existing folder (or a name ending in /): the result keeps the photo's name.
A folder:   --image photos/ --mask masks/ --output fixed/
  Every .png .jpg .jpeg .webp .bmp .tif .tiff in photos/ (not its subfolders) is repaired. Its mask is the
  file in masks/ with the same name before the extension (photos/anna.jpg <- masks/anna.png); or give
  --mask one file to use the same mask for every photo. Results go to fixed/ under the photos' own names,
  replacing any earlier result there; fixed/ is created if its parent folder exists.
  A photo that cannot be done (unreadable, no mask, mask of another size) is reported and skipped, the
  others are done, and the exit code is 2.

Masks: white (>= 128) marks the pixels to fill; any image mode; the photo's size (after EXIF rotation).
The original photo is never overwritten: an --output that is the photo itself is refused. Each result is
written to a temporary file and renamed into place, so no half-written file is ever left at the output.
Transparency, EXIF, the colour profile, 16-bit depth (PNG, TIFF) and greyscale are kept where the format
allows; a black-and-white photo gets a grey fill.

Exit codes: 0 done, 2 bad input (one line on stderr says what), 1 internal error, 130 interrupted."""


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line, like every other error of this command."""

    def error(self, message: str) -> None:  # type: ignore[override]
        command = self.prog.removeprefix(PROG).strip()
        hint = f"{PROG} {command} --help" if command else f"{PROG} --help"
        self.exit(2, f"{PROG}: error: {message} (see {hint})\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        usage=f"{PROG} [-h] [--version] [--self-test] [IMAGE]\n       {PROG} {{{','.join(COMMANDS)}}} ...",
        description="IN² Studio repairs faces in photos. Without a command it opens the window, "
        "with IMAGE loaded if given.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--self-test", action="store_true", help=SELF_TEST_HELP)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    inpaint = commands.add_parser(
        "inpaint",
        prog=f"{PROG} inpaint",
        help="fill masked regions of a photo, or of a folder of photos",
        description="Fill the masked regions of a photo, or of every photo in a folder, with the IN² network.",
        epilog=INPAINT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    inpaint.add_argument("--image", required=True, type=Path, metavar="IMG|DIR", help="a photo or a folder")
    inpaint.add_argument("--mask", required=True, type=Path, metavar="MASK|DIR", help="a mask or a folder")
    # A str, not a Path: a trailing "/" (a folder is meant) must survive.
    inpaint.add_argument("--output", required=True, metavar="OUT|DIR", help="a file or a folder")
    inpaint.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="default: auto")
    inpaint.add_argument("--weights", type=Path, metavar="PATH", help="default: models/in2-face.safetensors")
    inpaint.add_argument("--preview", action="store_true", help="write the fast low-resolution preview instead")
    inpaint.add_argument(
        "--mirror", action="store_true",
        help="fill each hole from the other side of the face, mirrored, instead of with the network (an eye "
        "from the other eye; for faces seen from the front)",
    )  # fmt: skip
    inpaint.add_argument(
        "--no-grain", action="store_true",
        help="leave the network's fill smooth: do not lay the photo's own fine grain over it",
    )  # fmt: skip
    inpaint.add_argument(
        "--working-size", type=_working_size, default=DEFAULT_WORKING_SIZE, metavar="N",
        help=f"long side, in pixels, at which the encoder sees the region around the mask (default: "
        f"{DEFAULT_WORKING_SIZE}, the size the weights were trained at)",
    )  # fmt: skip
    inpaint.set_defaults(handler=run_inpaint)

    train = commands.add_parser(
        "train", prog=f"{PROG} train", help="train the network", description="Train the IN² network."
    )
    train.add_argument("--config", required=True, type=Path, metavar="PATH", help="a TOML file in configs/")
    train.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    train.add_argument("--steps", type=_positive_int, metavar="N", help="train to step N (default: the config's)")
    train.add_argument("--out", type=Path, metavar="DIR", help="where checkpoints go (default: the config's)")
    train.add_argument("--minutes", type=_positive_float, metavar="M", help="stop after M minutes, with a checkpoint")
    train.add_argument(
        "--lr", type=_positive_float, metavar="LR", help="learning rate (default: the config's), e.g. to anneal"
    )
    train.set_defaults(handler=_lazy("in2_studio.training.train", "train"))

    evaluate = commands.add_parser(
        "eval",
        prog=f"{PROG} eval",
        help="measure a weights file on held-out faces",
        description="Evaluate weights on held-out test faces.",
    )
    evaluate.add_argument("--weights", type=Path, metavar="W", help="default: models/in2-face.safetensors")
    evaluate.add_argument("--data", choices=("lfw-test", "celeba-test", "celeba-val"), default="lfw-test")
    evaluate.add_argument("--out", type=Path, metavar="DIR", help="default: eval/DATA")
    evaluate.add_argument("--limit", type=_positive_int, metavar="N", help="N images spread over the split")
    evaluate.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    evaluate.add_argument(
        "--holes",
        choices=("face", "off-face"),
        default="face",
        help="face: eyes, nose and mouth, strokes and large boxes (default); off-face: a box beside the face",
    )
    evaluate.add_argument(
        "--sheet-rows", type=_positive_int, metavar="N", help="contact-sheet examples of each mask kind (default: 2)"
    )
    evaluate.add_argument(
        "--scale", type=_eval_scale, metavar="F", help="enlarge the photos F× first, as the app meets photos"
    )
    evaluate.add_argument(
        "--working-size", type=_working_size, metavar="N", help="the engine's working size (default: the app's)"
    )
    evaluate.add_argument(
        "--no-mirror", action="store_true", help="the network on the photo alone, without its mirror image's fill"
    )
    evaluate.add_argument(
        "--grain", action="store_true",
        help="the app's fill: the photo's own fine grain laid over the network's (default: the network's alone)",
    )  # fmt: skip
    evaluate.add_argument(
        "--max-hole-depth",
        type=_hole_depth,
        metavar="PX",
        help="shrink a hole deeper than PX working pixels until it is not (default: the app's; 0: never)",
    )
    evaluate.set_defaults(handler=_lazy("in2_studio.training.evaluate", "eval"))

    bench = commands.add_parser(
        "bench", prog=f"{PROG} bench", help="measure speed and memory", description="Run the benchmarks."
    )
    bench.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    bench.add_argument("--quick", action="store_true", help="2 timed runs per contender instead of 5")
    bench.add_argument("--repeats", type=_positive_int, metavar="N", help="timed runs per contender")
    bench.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    bench.add_argument("--half", action="store_true", help="float16 autocast (CUDA only)")
    bench.add_argument("--no-grain", action="store_true", help="the network's fill alone, without the photo's grain")
    bench.add_argument("--threads", type=_positive_int, metavar="N", help="torch threads (default: as the app)")
    bench.add_argument("--weights", type=Path, metavar="FILE", help="IN² weights (default: the shipped file)")
    bench.add_argument("--sizes-for-tests", action="store_true", help=argparse.SUPPRESS)
    bench.set_defaults(handler=_lazy("in2_studio.bench", "bench"))
    return parser


def build_window_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Open IN² Studio's window.", add_help=False)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--self-test", action="store_true", help=SELF_TEST_HELP)
    parser.add_argument("image", nargs="?", metavar="IMAGE", help="a photo to open")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and (argv[0] in COMMANDS or argv[0] in ("-h", "--help")):
        args = build_parser().parse_args(argv)
        return report_errors(args.handler, args)
    args = build_window_parser().parse_args(argv)
    if args.self_test:
        if args.image is not None:
            build_window_parser().error("--self-test takes no IMAGE")
        return report_errors(lambda _: self_test(), args)
    return report_errors(open_window, args)


def report_errors(handler: Callable[[argparse.Namespace], int | None], args: argparse.Namespace) -> int:
    """The one place where errors become exit codes and one line on stderr."""
    try:
        return handler(args) or 0
    except In2Error as error:
        _complain(str(error))
        return 2
    except KeyboardInterrupt:
        _complain("interrupted")
        return 130
    except Exception as error:  # a bug: say so in one line, keep the traceback for IN2_DEBUG=1
        _complain(f"internal error: {type(error).__name__}: {error}")
        return 1


def _complain(message: str) -> None:
    if os.environ.get("IN2_DEBUG") == "1" and sys.exc_info()[0] is not None:
        traceback.print_exc()
    one_line = " ".join(message.split())
    print(f"{PROG}: error: {one_line}", file=sys.stderr)


# ---------------------------------------------------------------- the window


def open_window(args: argparse.Namespace) -> int:
    if args.image is not None and Path(args.image).is_dir():
        raise ImageError(f"{args.image} is a folder: open one photo (or use `{PROG} inpaint` for folders)")
    if args.image is not None and not Path(args.image).is_file():
        known = f" (commands: {', '.join(COMMANDS)})" if os.sep not in args.image else ""
        raise ImageError(f"{args.image}: no such file{known}")
    try:
        from in2_studio.gui.check_display import check
    except ModuleNotFoundError:
        check = None
    problem = check() if check is not None else None
    if problem is None:
        try:
            from in2_studio.gui.app import run_app
        except ModuleNotFoundError as error:
            problem = (
                "the window is not part of this build yet; use `in2-studio inpaint`"
                if error.name and error.name.startswith("in2_studio")
                else f"the window cannot start: {error}"
            )
        except ImportError as error:  # Qt is installed but a system library it needs is not
            problem = f"the window cannot start: {error}"
    if problem is not None:
        print(f"{PROG}: error: {problem}", file=sys.stderr)
        return 1
    return run_app(args.image)


# ---------------------------------------------------------------- self-test

SELF_TEST_HELP = (
    "inpaint a built-in sample with the shipped weights, check the result, print one line and exit (0 passed, 1 failed)"
)


def self_test(weights: Path | None = None, sample: Path | None = None) -> int:
    """Fill a hole in the sample face (or, without one, a synthetic picture) through the engine's stream,
    save and reload the result, and check it: what a broken install or bundle would get wrong."""
    start = time.perf_counter()
    try:
        summary = _self_test_checks(weights, sample if sample is not None else sample_photo())
    except Exception as error:  # In2Error included: here a missing or broken part is a failed test, exit 1
        _complain(f"self-test failed: {error}")
        return 1
    print(f"{PROG}: self-test passed: {summary}, {time.perf_counter() - start:.1f} s in all")
    return 0


def sample_photo() -> Path | None:
    """The sample face shipped in resources/sample/, if there is one."""
    folder = RESOURCES / "sample"
    photos = sorted(p for p in folder.glob("*") if p.suffix.lower() in IMAGE_EXTENSIONS) if folder.is_dir() else []
    return photos[0] if photos else None


def synthetic_photo(height: int = 192, width: int = 160):
    """A fixed picture with gradients and edges, for when no sample photo is shipped."""
    import numpy as np

    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.stack([rows / height, cols / width, 0.5 + 0.5 * np.sin((rows + cols) / 9)], axis=-1)
    face = ((rows - height / 2) / (0.4 * height)) ** 2 + ((cols - width / 2) / (0.33 * width)) ** 2 <= 1
    image[face] = (0.85, 0.65, 0.55)
    for eye_col in (0.38 * width, 0.62 * width):
        image[((rows - 0.45 * height) ** 2 + (cols - eye_col) ** 2) <= (0.04 * width) ** 2] = (0.15, 0.1, 0.1)
    return (image * 255).round().astype(np.uint8)


def _self_test_checks(weights: Path | None, sample: Path | None) -> str:
    import tempfile

    import numpy as np

    from in2_studio.engine import Inpainter
    from in2_studio.imaging import read_image, write_image

    rgb = read_image(sample).rgb if sample is not None else synthetic_photo()
    height, width = rgb.shape[:2]
    hole = np.zeros((height, width), bool)
    hole[int(0.38 * height) : int(0.58 * height), int(0.3 * width) : int(0.7 * width)] = True  # eyes and nose

    load_start = time.perf_counter()
    inpainter = Inpainter.load(weights=weights, device="auto")  # the line says which
    load_seconds = time.perf_counter() - load_start
    stages = list(inpainter.stream(rgb, hole))
    if [stage.name for stage in stages] != ["preview", "full"]:
        raise In2Error(f"the engine gave the stages {[stage.name for stage in stages]}, not preview then full")
    for stage in stages:
        _check_filled(stage.name, rgb, hole, stage.image)

    with tempfile.TemporaryDirectory(prefix="in2-self-test-") as folder:
        saved = Path(folder) / "result.png"
        write_image(saved, stages[-1].image, changed=hole)
        if not np.array_equal(read_image(saved).rgb, stages[-1].image):
            raise In2Error("the result read back from PNG differs from what was written")

    name = sample.name if sample is not None else "a synthetic picture"
    times = ", ".join(f"{stage.name} {stage.seconds:.2f} s" for stage in stages)
    where = f"{name} ({width}×{height}) on {inpainter.device}"
    return f"filled {hole.mean():.0%} of {where}: load {load_seconds:.1f} s, {times}"


def _check_filled(stage: str, image, hole, result) -> None:
    import numpy as np

    if result.shape != image.shape or result.dtype != np.uint8:
        raise In2Error(f"the {stage} result is {result.dtype} {result.shape}, expected uint8 {image.shape}")
    if not np.array_equal(result[~hole], image[~hole]):
        raise In2Error(f"the {stage} result changed pixels outside the hole")
    fill = result[hole]
    if np.array_equal(fill, image[hole]):
        raise In2Error(f"the {stage} result left the hole as it was")
    # NaN or infinite network outputs all collapse to one value on the way to uint8: a flat fill.
    if len(np.unique(fill, axis=0)) == 1:
        raise In2Error(
            f"the {stage} result filled the hole with one flat colour {tuple(int(v) for v in fill[0])}: not finite?"
        )


# ---------------------------------------------------------------- inpaint


@dataclass(frozen=True)
class Job:
    image: Path
    mask: Path | None
    output: Path
    problem: str | None = None  # found while planning (e.g. no mask): reported when its turn comes


def run_inpaint(args: argparse.Namespace) -> int:
    if args.mirror and args.preview:
        raise In2Error("--mirror has no preview: give one of --mirror and --preview")
    jobs, folder_run = plan_jobs(args.image, args.mask, args.output)
    from in2_studio.engine import Inpainter  # torch loads here, after the cheap checks

    if args.mirror:
        inpainter, stage = MirrorFiller(), "mirror fill"
    else:
        inpainter = Inpainter.load(
            weights=args.weights, device=args.device, working_size=args.working_size, grain=not args.no_grain
        )
        stage = "preview" if args.preview else "full"
    if not folder_run:
        done = inpaint_file(inpainter, jobs[0], args.preview)
        print(f"{PROG}: wrote {jobs[0].output} ({stage}, {done.device}, {done.seconds:.1f} s)")
        return 0

    from tqdm import tqdm

    failed, start = 0, time.perf_counter()
    for job in tqdm(jobs, desc="inpainting", unit="photo", file=sys.stderr, disable=None, dynamic_ncols=True):
        try:
            if job.problem:
                raise ImageError(job.problem)
            inpaint_file(inpainter, job, args.preview)
        except In2Error as error:
            failed += 1
            tqdm.write(f"{PROG}: error: {' '.join(str(error).split())}", file=sys.stderr)
    done, out_dir = len(jobs) - failed, Path(args.output)
    seconds = time.perf_counter() - start
    if failed:
        _complain(f"{failed} of {len(jobs)} photos failed (see above); {done} written to {out_dir}")
        return 2
    print(f"{PROG}: wrote {done} photos to {out_dir} ({stage}, {inpainter.device}, {seconds:.1f} s)")
    return 0


class MirrorFiller:
    """The engine's mirror fill behind the Inpainter's `fill`, for `inpaint --mirror`: no network, no weights."""

    device = "cpu"

    def fill(self, image, mask, preview: bool = False):
        from in2_studio.engine import Stage
        from in2_studio.engine.mirror import mirror_fill

        start = time.perf_counter()
        result, _ = mirror_fill(image, mask)
        return Stage("full", result, time.perf_counter() - start, self.device)


def inpaint_file(inpainter, job: Job, preview: bool):
    """Read, fill and save one photo, keeping its alpha, EXIF, colour profile, 16-bit depth and grey; returns the
    engine's Stage (time, device). A GPU failure that the CPU made up for is said on stderr, not hidden."""
    from tqdm import tqdm

    from in2_studio.imaging import read_image, read_mask, write_image

    photo = read_image(job.image)
    mask = read_mask(job.mask, photo.rgb.shape, image_path=job.image, require_fill=True)
    done = inpainter.fill(photo.rgb, mask, preview)
    if done.notice:
        tqdm.write(f"{PROG}: warning: {job.image}: {done.notice}", file=sys.stderr)
    # Created only now, so that a run that fails before its first result leaves nothing behind.
    _create_folder(job.output.parent)
    write_image(
        job.output,
        done.image,
        alpha=photo.alpha,
        exif=photo.exif,
        icc_profile=photo.icc_profile,
        rgb16=photo.rgb16,
        changed=mask,
        grey=photo.grey,
    )
    return done


def plan_jobs(image: Path, mask: Path, output: str) -> tuple[list[Job], bool]:
    """The (photo, mask, output) triples to do, and whether this is a folder run; refuses bad paths.

    `output` is the text given, so that a trailing separator can say "a folder".
    """
    if not image.exists():
        raise ImageError(f"{image}: no such file or folder")
    if not mask.exists():
        raise ImageError(f"{mask}: no such file or folder")
    if image.is_dir():
        return _plan_folder(image, mask, Path(output)), True
    mask_file, problem = _mask_for(image, mask)
    if problem:
        raise ImageError(problem)
    job = Job(image, mask_file, _output_for_file(image, output))
    _refuse_overwriting(job)
    return [job], False


def _plan_folder(folder: Path, mask: Path, output: Path) -> list[Job]:
    images = sorted(
        path
        for path in folder.iterdir()
        if path.suffix.lower() in IMAGE_EXTENSIONS
        and not path.name.startswith(".")
        and path.is_file()
        and not _same(path, mask)  # one mask for all may sit beside the photos: it is not one of them
    )
    if not images:
        raise ImageError(f"{folder} holds no photos ({', '.join(IMAGE_EXTENSIONS)})")
    if mask.is_dir() and _same(mask, folder):
        raise ImageError(f"{mask}: masks must be in a folder of their own, not beside the photos")
    if output.exists() and not output.is_dir():
        raise OutputError(f"{output} is a file: --output must be a folder when --image is a folder")
    if _same(output, folder):
        raise OutputError(f"{output} is the photos' own folder: the results would overwrite the originals")
    _check_can_create(output)
    jobs = []
    for path in images:
        mask_file, problem = _mask_for(path, mask)
        jobs.append(Job(path, mask_file, output / path.name, problem))
        _refuse_overwriting(jobs[-1])
    return jobs


def _output_for_file(image: Path, text: str) -> Path:
    from in2_studio.imaging import format_for

    output = Path(text)
    if output.is_dir() or text.endswith(("/", os.sep)):
        _check_can_create(output)
        return output / image.name
    if format_for(output) is None:
        raise OutputError(f"{output}: the output's extension must say its format (.png, .jpg, .webp, .bmp or .tif)")
    if not output.parent.is_dir():
        raise OutputError(f"cannot write {output}: the folder {output.parent} does not exist")
    return output


def _mask_for(image: Path, mask: Path) -> tuple[Path | None, str | None]:
    """(mask file, None) for a photo, or (None, why not): a mask folder pairs by file stem."""
    if not mask.is_dir():
        return mask, None
    matches = sorted(
        path for path in mask.iterdir() if path.stem == image.stem and path.suffix.lower() in IMAGE_EXTENSIONS
    )
    if not matches:
        return None, f"{image}: no mask named {image.stem}.* in {mask}"
    if len(matches) > 1:
        names = ", ".join(path.name for path in matches)
        return None, f"{image}: more than one mask for it in {mask} ({names})"
    return matches[0], None


def _refuse_overwriting(job: Job) -> None:
    for source, what in ((job.image, "photo"), (job.mask, "mask")):
        if source is not None and _same(job.output, source):
            raise OutputError(f"{job.output} is the {what} itself: choose another --output, the original stays")


def _same(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _check_can_create(folder: Path) -> None:
    if not folder.is_dir() and not folder.parent.is_dir():
        raise OutputError(f"cannot create the output folder {folder}: {folder.parent} does not exist")


def _create_folder(folder: Path) -> None:
    try:
        folder.mkdir(exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create the output folder {folder}: {error.strerror or error}") from error


# ---------------------------------------------------------------- train, eval, bench


def _lazy(module: str, command: str) -> Callable[[argparse.Namespace], int]:
    """A handler that imports `module` only when its command runs, and calls its run(args)."""

    def handler(args: argparse.Namespace) -> int:
        import importlib

        try:
            loaded = importlib.import_module(module)
        except ModuleNotFoundError as error:
            if not (error.name and module.startswith(error.name)):
                raise  # something it needs is missing: an internal error
            _complain(f"the {command} command is not included in this build: install with pip to use it")
            return 1
        return loaded.run(args)

    return handler


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _positive_int(text: str) -> int:
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def _positive_float(text: str) -> float:
    value = _number(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} must be a positive number")
    return value


# The ranged options parse first and then check their own range, so that 0 or -3 is told the range, not "positive".
def _eval_scale(text: str) -> float:
    value = _number(text)
    if not 1 <= value <= 8:
        raise argparse.ArgumentTypeError(f"{value:g} must be between 1 and 8")
    return value


def _hole_depth(text: str) -> float:
    value = _number(text)
    if not 0 <= value <= 4096:
        raise argparse.ArgumentTypeError(f"{value:g} must be between 0 and 4096")
    return value


def _working_size(text: str) -> int:
    value = _whole_number(text)
    if not 32 <= value <= 4096:
        raise argparse.ArgumentTypeError(f"{value} must be between 32 and 4096")
    return value


if __name__ == "__main__":
    sys.exit(main())
