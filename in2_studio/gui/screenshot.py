"""Take a screenshot of the editor at work: open a face photo, paint a stroke, wait for the result, save a PNG.

Run it on a virtual X screen, as `make screenshot` does:
    xvfb-run -a python -m in2_studio.gui.screenshot --image FACE.jpg --output docs/screenshot.png

The stroke goes through real mouse events on the canvas, as a person's would. Settings are kept in a
temporary file, so the person's own preferences and recent files are left alone.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QEventLoop, QPointF, QSettings, Qt, QTimer
from PySide6.QtTest import QTest

from in2_studio.gui.app import create_application
from in2_studio.gui.check_display import check as check_display
from in2_studio.gui.settings import Settings

REPO = Path(__file__).resolve().parents[2]
# A face photo to show: the sample in resources/ if there is one, else an LFW face read in place.
DEFAULT_IMAGES = [
    *sorted((REPO / "resources" / "sample").glob("*.[jp][pn]g")),
    REPO.parent / "shared" / "data" / "lfw" / "Aaron_Eckhart" / "Aaron_Eckhart_0001.jpg",
]
# The stroke, as fractions of the photo's width and height: across the left eye of an aligned face.
STROKE = "0.33,0.45 0.40,0.44 0.47,0.45"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=Path, help="the face photo to open (default: a sample face)")
    parser.add_argument("--output", type=Path, default=Path("screenshot.png"), help="the PNG to write")
    parser.add_argument("--before", type=Path, help="also save the window right after the stroke, mask shown")
    parser.add_argument("--weights", type=Path, help="weights file (default: models/in2-face.safetensors)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--size", default="1180x820", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--brush", type=float, default=0.11, help="brush diameter, fraction of the photo width")
    parser.add_argument(
        "--stroke", default=STROKE, help='the stroke\'s points as fractions of the photo, "x,y x,y ..."'
    )
    parser.add_argument("--timeout", type=float, default=180, help="seconds to wait for the result")
    parser.add_argument("--scale", type=_scale, default=1.0, help="shrink the picture by this factor, (0, 1]")
    parser.add_argument(
        "--colours", type=_colours, default=0, help="a palette of at most this many colours, 2-256 (0: full colour)"
    )
    return parser.parse_args(argv)


def _scale(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not in (0, 1]")
    return value


def _colours(text: str) -> int:
    value = int(text)
    if value != 0 and not 2 <= value <= 256:
        raise argparse.ArgumentTypeError(f"{text} is not 0 or 2-256")
    return value


def save_picture(widget, path: Path, scale: float = 1.0, colours: int = 0) -> None:
    """Save the widget as it looks, shrunk by `scale` and reduced to a palette of `colours` (0: full colour): a
    README figure stays small in the repository. An OSError says why the file could not be written."""
    from in2_studio.gui.main_window import qimage_to_rgb  # qtawesome needs the QApplication first

    picture = Image.fromarray(qimage_to_rgb(widget.grab().toImage()))
    if scale != 1:
        picture = picture.resize((round(picture.width * scale), round(picture.height * scale)), Image.LANCZOS)
    if colours:
        # No dithering: it would speckle the smooth fill the figure is there to show.
        picture = picture.quantize(colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    picture.save(path, optimize=True)


def wait(milliseconds: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(milliseconds, loop.quit)
    loop.exec()


def wait_for(signal, timeout_s: float) -> list | None:
    """Run the event loop until `signal` fires (its arguments) or the time is up (None)."""
    received: list = []
    loop = QEventLoop()

    def on_signal(*args):
        received.append(args)
        loop.quit()

    signal.connect(on_signal)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    signal.disconnect(on_signal)
    return list(received[0]) if received else None


def paint_stroke(window, points: list[tuple[float, float]]) -> None:
    canvas = window.canvas
    viewport = canvas.viewport()
    view_points = [canvas.mapFromScene(QPointF(x, y)) for x, y in points]
    QTest.mouseMove(viewport, view_points[0])
    QTest.mousePress(viewport, Qt.LeftButton, Qt.NoModifier, view_points[0])
    for a, b in zip(view_points, view_points[1:], strict=False):
        for t in (0.25, 0.5, 0.75, 1.0):  # a few moves per segment, like a hand
            QTest.mouseMove(viewport, a + (b - a) * t)
    QTest.mouseRelease(viewport, Qt.LeftButton, Qt.NoModifier, view_points[-1])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    image = args.image or next((p for p in DEFAULT_IMAGES if p.is_file()), None)
    if image is None or not image.is_file():
        print(f"screenshot: no face photo found (tried {image or DEFAULT_IMAGES[-1]}); pass --image", file=sys.stderr)
        return 2
    width, height = (int(v) for v in args.size.lower().split("x"))
    problem = check_display()  # else a missing system library ends in Qt's bare "Aborted"
    if problem:
        print(f"screenshot: {problem}", file=sys.stderr)
        return 1

    app = create_application([sys.argv[0]])
    from in2_studio.gui.main_window import MainWindow  # qtawesome needs the QApplication first

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(QSettings(str(Path(folder) / "settings.ini"), QSettings.IniFormat))
        settings.weights_path = str(args.weights) if args.weights else ""
        settings.device = args.device
        window = MainWindow(settings=settings)
        errors: list[str] = []
        window.prompts.error = lambda title, message: errors.append(f"{title}: {message}")
        window.resize(width, height)
        window.show()
        wait(300)
        if not window.open_file(image):
            print(f"screenshot: {errors[-1] if errors else 'cannot open ' + str(image)}", file=sys.stderr)
            return 1
        wait(300)

        photo_w, photo_h = window.document.width, window.document.height
        window.canvas.set_brush_size(max(3, round(args.brush * photo_w)))
        stroke = [tuple(float(v) for v in point.split(",")) for point in args.stroke.split()]
        paint_stroke(window, [(fx * photo_w, fy * photo_h) for fx, fy in stroke])
        if args.before:
            wait(50)
            save_picture(window, args.before, args.scale, args.colours)
        final = wait_for(window.worker.final, args.timeout) if not errors else None
        if final is None:
            reason = errors[-1] if errors else f"no result within {args.timeout:g} s"
            print(f"screenshot: {reason}", file=sys.stderr)
            window.worker.shutdown()
            return 1
        wait(300)  # let the status bar and the canvas repaint
        # Leave the brush outline beside the repaired eye, where a person's pointer would be.
        x, y = stroke[-1]
        QTest.mouseMove(
            window.canvas.viewport(), window.canvas.mapFromScene(QPointF((x + 0.08) * photo_w, y * photo_h))
        )
        wait(100)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        try:
            save_picture(window, args.output, args.scale, args.colours)
        except (OSError, ValueError) as e:
            print(f"screenshot: cannot write {args.output}: {e}", file=sys.stderr)
            return 1
        print(f"screenshot: wrote {args.output} ({window.stage_label.text()})")
        window.document.undo_stack.setClean()  # nothing to save: close without asking
        window.close()
        app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
