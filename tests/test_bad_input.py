"""The bad-input table: every row through the command line, the engine and the window.

A bad row must give one clear line that names the file (on stderr with exit code 2, or in a dialog), no
traceback, no partial output, and leave every file as it was; afterwards the window must still work. A row
that is not an error (an unusual but valid photo, a full mask) must be repaired by all three, with every
pixel outside the mask as it was.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from gui_support import FACE_JPEG, FakePrompts, make_window  # noqa: E402
from image_support import png_declaring  # noqa: E402
from PIL import Image  # noqa: E402

from in2_studio.cli import main  # noqa: E402
from in2_studio.engine import Inpainter, save_weights  # noqa: E402
from in2_studio.errors import ImageError, WeightsError  # noqa: E402
from in2_studio.imaging import read_image, read_mask  # noqa: E402
from in2_studio.model import IN2, IN2Config  # noqa: E402

ENGINE = ["--device", "cpu", "--working-size", "64"]


@dataclass
class Case:
    """The files one row runs on: all of them in `folder`, so that any change to any of them shows."""

    folder: Path
    photo: Path
    mask: Path
    weights: Path
    output: Path
    monkeypatch: pytest.MonkeyPatch
    names: str = ""  # the file the message must name (set by the row)
    fault: Callable[[], None] | None = None  # what breaks at save time (armed just before the write)
    cleanups: list[Callable[[], None]] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    id: str
    make: Callable[[Case], None]
    cli: str | None  # a part of the CLI's one-line message; None: not an error, the photo is repaired
    window: str | None  # a part of the window's dialog; None: it works
    engine: str | None = None  # "refuses", "unchanged" or "works"; None where the engine has no part
    part: str = "photo"  # what the window does with the row: open the "photo", load the "mask", ...


# ---------------------------------------------------------------- the files


def face() -> np.ndarray:
    return np.asarray(Image.open(FACE_JPEG).convert("RGB"))


def middle_hole(height: int, width: int) -> np.ndarray:
    hole = np.zeros((height, width), bool)
    hole[height // 3 : max(2 * height // 3, height // 3 + 1), width // 3 : max(2 * width // 3, width // 3 + 1)] = True
    return hole


def save_mask(path: Path, fill: np.ndarray) -> Path:
    Image.fromarray(np.where(fill, 255, 0).astype(np.uint8)).save(path)
    return path


def bad_photo(case: Case, name: str, content: bytes) -> None:
    case.photo = case.folder / name
    case.photo.write_bytes(content)
    case.names = name


def good_photo(case: Case, name: str, save: Callable[[Path], None], upright_shape: tuple[int, int]) -> None:
    """A valid photo, and a mask of its upright size over its middle."""
    case.photo = case.folder / name
    save(case.photo)
    case.mask = save_mask(case.folder / f"{Path(name).stem}-mask.png", middle_hole(*upright_shape))


def other_configuration(path: Path) -> None:
    # A file claiming the tiny configuration but holding a differently shaped network.
    config = IN2Config(channels=(8, 12, 20), blocks=(1, 1, 1), attention_blocks=1, heads=2, kernel=3,
                       decoder_hidden=16, fourier_bands=2)  # fmt: skip
    other = IN2(config)
    other.config = IN2Config.tiny()
    save_weights(other, path)


def refuse_writes_in(case: Case, folder: Path) -> None:
    """Make `folder` read-only. Root ignores folder permissions, so for root the refusal the system would
    give everyone else is raised where a file is created in that folder (the temporary file of a save)."""
    folder.chmod(0o555)
    case.cleanups.append(lambda: folder.chmod(0o755))
    if os.access(folder, os.W_OK):
        create = tempfile.mkstemp

        def mkstemp(*args, **kwargs):
            if Path(kwargs.get("dir") or tempfile.gettempdir()) == folder:
                raise PermissionError(errno.EACCES, "Permission denied")
            return create(*args, **kwargs)

        case.fault = lambda: case.monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


def disk_full_mid_write(case: Case) -> None:
    """The encoder has written half of the file when the disk fills up."""
    import in2_studio.imaging.write as write

    encode = write._encode_8_bit

    def half_then_full(file, *args, **kwargs):
        encode(file, *args, **kwargs)
        file.truncate(file.tell() // 2)
        raise OSError(errno.ENOSPC, "No space left on device")

    case.fault = lambda: case.monkeypatch.setattr(write, "_encode_8_bit", half_then_full)


def rename_fails(case: Case) -> None:
    def failing_replace(*args, **kwargs):
        raise OSError(errno.EIO, "Input/output error")

    case.fault = lambda: case.monkeypatch.setattr(os, "replace", failing_replace)


def earlier_result(case: Case) -> None:
    """An earlier result already at the output, which a failed save must leave as it was."""
    Image.fromarray(np.full((8, 8, 3), 77, np.uint8)).save(case.output)
    case.names = case.output.name


# ---------------------------------------------------------------- the rows


def _exif_rotated(path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 250 wide and 100 high, shown turned a quarter: 100 wide, 250 high
    Image.fromarray(face()[60:160]).save(path, quality=95, exif=exif.tobytes())


def _sixteen_bit(path: Path) -> None:
    low_bits = np.random.default_rng(7).integers(0, 257, (250, 250, 3))
    deep = (face().astype(np.uint16) * 257 - 128 + low_bits).clip(0, 65535).astype(np.uint16)
    assert cv2.imwrite(str(path), np.ascontiguousarray(deep[:, :, ::-1]))


def _palette_with_transparency(path: Path) -> None:
    palette = Image.fromarray(face()).convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    palette.save(path, transparency=0)


def _rgba(path: Path) -> None:
    alpha = np.tile(np.linspace(30, 255, 250).astype(np.uint8), (250, 1))
    Image.fromarray(np.dstack([face(), alpha]), "RGBA").save(path)


def _float_tiff(path: Path) -> None:
    Image.fromarray(np.linspace(0, 1, 64 * 48, dtype=np.float32).reshape(48, 64), "F").save(path)


def _gif(path: Path) -> None:
    Image.fromarray(face()).save(path, format="GIF")


def _truncated(source: bytes) -> bytes:
    return source[: len(source) // 2]


def _png_bytes() -> bytes:
    path = Path(tempfile.mkdtemp()) / "face.png"
    Image.fromarray(face()).save(path)
    return path.read_bytes()


def _truncated_weights(case: Case) -> None:
    good = case.weights.read_bytes()
    case.weights = case.folder / "broken.safetensors"
    case.weights.write_bytes(_truncated(good))
    case.names = case.weights.name


def _set(case: Case, **changes) -> None:
    for key, value in changes.items():
        setattr(case, key, value)


ROWS = [
    # A photo that cannot be read.
    Row("zero_byte_file", lambda c: bad_photo(c, "empty.png", b""), "empty.png is empty (0 bytes)", "is empty"),
    Row(
        "truncated_jpeg",
        lambda c: bad_photo(c, "half.jpg", _truncated(FACE_JPEG.read_bytes())),
        "half.jpg is truncated or damaged and cannot be decoded",
        "is truncated or damaged",
    ),
    Row(
        "truncated_png",
        lambda c: bad_photo(c, "half.png", _truncated(_png_bytes())),
        "half.png is truncated or damaged and cannot be decoded",
        "is truncated or damaged",
    ),
    Row(
        "text_file_named_png",
        lambda c: bad_photo(c, "notes.png", b"shopping: eggs, milk\n"),
        "notes.png is not an image file (PNG, JPEG, WebP, BMP or TIFF expected)",
        "is not an image file",
    ),
    Row(
        "unsupported_format",
        lambda c: (_gif(c.folder / "face.gif"), _set(c, photo=c.folder / "face.gif", names="face.gif")),
        "face.gif is a GIF image, which is not supported",
        "is a GIF image, which is not supported",
    ),
    Row(
        "decompression_bomb",
        lambda c: bad_photo(c, "bomb.png", png_declaring(30000, 30000)),
        "bomb.png declares 30000×30000 pixels (900 megapixels), over the limit of 100 megapixels",
        "refused as a possible decompression bomb",
    ),
    Row(
        "floating_point_tiff",
        lambda c: (_float_tiff(c.folder / "depth.tif"), _set(c, photo=c.folder / "depth.tif", names="depth.tif")),
        "depth.tif holds floating-point pixels, which are not supported",
        "holds floating-point pixels",
    ),
    Row(
        "missing_photo",
        lambda c: _set(c, photo=c.folder / "nowhere.jpg", names="nowhere.jpg"),
        "nowhere.jpg: no such file",
        "nowhere.jpg: no such file",
    ),
    # Unusual photos that are fine.
    Row("png_16_bit", lambda c: good_photo(c, "deep.png", _sixteen_bit, (250, 250)), None, None, "works"),
    Row("tiff_16_bit", lambda c: good_photo(c, "deep.tif", _sixteen_bit, (250, 250)), None, None, "works"),
    Row(
        "cmyk_jpeg",
        lambda c: good_photo(
            c, "cmyk.jpg", lambda p: Image.fromarray(face()).convert("CMYK").save(p, quality=95), (250, 250)
        ),
        None,
        None,
        "works",
    ),
    Row(
        "palette_png_with_transparency",
        lambda c: good_photo(c, "palette.png", _palette_with_transparency, (250, 250)),
        None,
        None,
        "works",
    ),
    Row(
        "grayscale",
        lambda c: good_photo(c, "grey.png", lambda p: Image.fromarray(face()).convert("L").save(p), (250, 250)),
        None,
        None,
        "works",
    ),
    Row("rgba", lambda c: good_photo(c, "rgba.png", _rgba, (250, 250)), None, None, "works"),
    Row("exif_rotated", lambda c: good_photo(c, "rotated.jpg", _exif_rotated, (250, 100)), None, None, "works"),
    Row(
        "one_pixel",
        lambda c: good_photo(c, "dot.png", lambda p: Image.new("RGB", (1, 1), (200, 120, 90)).save(p), (1, 1)),
        None,
        None,
        "works",
    ),
    Row(
        "20000x20",
        lambda c: good_photo(
            c, "strip.png", lambda p: Image.fromarray(cv2.resize(face(), (20000, 20))).save(p), (20, 20000)
        ),
        None,
        None,
        "works",
    ),
    # Masks.
    Row(
        "mask_of_another_size",
        lambda c: _set(c, mask=save_mask(c.folder / "small-mask.png", np.ones((80, 100), bool)), names="small-mask"),
        "small-mask.png is 100×80 but",
        "a mask must have its image's size",
        "refuses",
        "mask",
    ),
    Row(
        "empty_mask",
        lambda c: _set(c, mask=save_mask(c.folder / "blank.png", np.zeros((250, 250), bool)), names="blank.png"),
        "blank.png marks nothing to fill: no pixel is white (>= 128)",
        "marks nothing to fill",
        "unchanged",
        "mask",
    ),
    Row(
        "full_mask",
        lambda c: _set(c, mask=save_mask(c.folder / "full.png", np.ones((250, 250), bool))),
        None,
        None,
        "works",
        "mask",
    ),
    Row(
        "mask_not_an_image",
        lambda c: (
            (c.folder / "mask.txt").write_bytes(b"paint here"),
            _set(c, mask=c.folder / "mask.txt", names="mask.txt"),
        ),
        "mask.txt is not an image file",
        "is not an image file",
        None,
        "mask",
    ),
    # Weights.
    Row(
        "missing_weights",
        lambda c: _set(c, weights=c.folder / "none.safetensors", names="none.safetensors"),
        "weights file not found",
        "weights file not found",
        "refuses",
        "weights",
    ),
    Row(
        "truncated_weights",
        _truncated_weights,
        "is not a readable safetensors weights file",
        "is not a readable safetensors weights file",
        "refuses",
        "weights",
    ),
    Row(
        "weights_for_another_configuration",
        lambda c: (
            other_configuration(c.folder / "other.safetensors"),
            _set(c, weights=c.folder / "other.safetensors", names="other.safetensors"),
        ),
        "does not fit this network",
        "does not fit this network",
        "refuses",
        "weights",
    ),
    # Outputs.
    Row(
        "output_folder_missing",
        lambda c: _set(c, output=c.folder / "no-such-folder" / "fixed.png", names="no-such-folder"),
        "does not exist",  # "cannot write …/fixed.png: the folder …/no-such-folder does not exist"
        "does not exist",
        None,
        "output",
    ),
    Row(
        "output_folder_read_only",
        lambda c: (
            (c.folder / "locked").mkdir(),
            _set(c, output=c.folder / "locked" / "fixed.png", names="locked"),
            refuse_writes_in(c, c.folder / "locked"),
        ),
        "permission denied in the folder",
        "permission denied in the folder",
        None,
        "output",
    ),
    Row(
        "output_is_the_input",
        lambda c: _set(c, output=c.photo, names=c.photo.name),
        "is the photo itself: choose another --output, the original stays",
        "is the original photo. Replace it with the repaired one?",  # a question; "no" keeps it
        None,
        "output",
    ),
    Row(
        "output_without_an_image_extension",
        lambda c: _set(c, output=c.folder / "fixed.txt", names="fixed.txt"),
        "the output's extension must say its format",
        "save as .png, .jpg or .webp",
        None,
        "output",
    ),
    Row(
        "save_fails_mid_write_disk_full",
        lambda c: (earlier_result(c), disk_full_mid_write(c)),
        "the disk is full",
        "the disk is full",
        None,
        "output",
    ),
    Row(
        "save_fails_at_the_rename",
        lambda c: (earlier_result(c), rename_fails(c)),
        "Input/output error",
        "Input/output error",
        None,
        "output",
    ),
]
ROW_IDS = [row.id for row in ROWS]


@pytest.fixture
def case(tmp_path, tiny_weights, monkeypatch):
    folder = tmp_path / "files"
    folder.mkdir()
    photo = folder / "photo.png"
    Image.fromarray(face()).save(photo)
    mask = save_mask(folder / "mask.png", middle_hole(250, 250))
    made = Case(folder, photo, mask, tiny_weights, folder / "fixed.png", monkeypatch)
    yield made
    for cleanup in made.cleanups:
        cleanup()


def prepared(case: Case, row: Row) -> Case:
    row.make(case)
    return case


def files(folder: Path) -> dict[Path, bytes]:
    """Every file under `folder` and its bytes (a temporary file left behind would show here too)."""
    return {path: path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def assert_one_clear_line(message: str, fragment: str, names: str) -> None:
    assert "\n" not in message.strip() and "Traceback" not in message, message
    assert fragment in message, f"{fragment!r} not in {message!r}"
    assert names in message, f"the message does not name {names}: {message!r}"


def assert_repaired(case: Case, saved: Path) -> None:
    """The saved result: the photo's size, every pixel outside the mask as in the original, the hole filled,
    and the original's transparency and 16-bit depth kept."""
    source, result = read_image(case.photo), read_image(saved)
    hole = read_mask(case.mask, source.rgb.shape)
    assert result.rgb.shape == source.rgb.shape
    np.testing.assert_array_equal(result.rgb[~hole], source.rgb[~hole])
    assert (result.rgb[hole] != source.rgb[hole]).any()
    if source.alpha is not None:
        np.testing.assert_array_equal(result.alpha, source.alpha)
    if source.rgb16 is not None:
        assert result.rgb16 is not None
        np.testing.assert_array_equal(result.rgb16[~hole], source.rgb16[~hole])


# ---------------------------------------------------------------- the command line


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_cli(row, case, capsys):
    prepared(case, row)
    before = files(case.folder)
    if case.fault:
        case.fault()
    argv = ["--image", case.photo, "--mask", case.mask, "--output", case.output, "--weights", case.weights]
    try:
        code = main(["inpaint", *map(str, argv), *ENGINE])
    except SystemExit as exit_:  # argparse's own exits
        code = exit_.code
    case.monkeypatch.undo()
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err

    if row.cli is None:
        assert code == 0, err
        assert err == "" and f"wrote {case.output}" in out
        assert_repaired(case, case.output)
        assert files(case.folder).keys() - before.keys() == {case.output}
        assert {path: files(case.folder)[path] for path in before} == before  # the originals are untouched
        return
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("in2-studio: error: "), err
    assert_one_clear_line(err, row.cli, case.names)
    assert files(case.folder) == before  # nothing written, nothing partial, the originals as they were


# ---------------------------------------------------------------- the engine

ENGINE_ROWS = [row for row in ROWS if row.engine is not None]


@pytest.mark.parametrize("row", ENGINE_ROWS, ids=[row.id for row in ENGINE_ROWS])
def test_engine(row, case):
    prepared(case, row)
    if row.part == "weights":
        with pytest.raises(WeightsError) as refused:
            Inpainter.load(case.weights, device="cpu")
        assert_one_clear_line(str(refused.value), row.cli, case.names)
        return

    inpainter = Inpainter.load(case.weights, device="cpu", working_size=64, preview_size=32)
    image = read_image(case.photo).rgb
    with Image.open(case.mask) as mask_file:
        mask = np.asarray(mask_file.convert("L")) >= 128
    original = image.copy()
    if row.engine == "refuses":
        with pytest.raises(ImageError) as refused:
            inpainter.inpaint(image, mask)
        message = str(refused.value)
        assert "\n" not in message and "must be the same size" in message and "(80, 100)" in message
        with pytest.raises(ImageError):
            next(inpainter.stream(image, mask))
        return

    result = inpainter.inpaint(image, mask)
    stages = list(inpainter.stream(image, mask))
    np.testing.assert_array_equal(image, original)  # the input is never written to
    assert [stage.name for stage in stages] == ["preview", "full"]
    np.testing.assert_array_equal(stages[-1].image, result)
    for output in (result, stages[0].image):
        assert output.shape == image.shape and output.dtype == np.uint8
        np.testing.assert_array_equal(output[~mask], image[~mask])
    if row.engine == "unchanged":  # nothing to fill: the photo comes back as it was
        np.testing.assert_array_equal(result, image)
    else:
        assert (result[mask] != image[mask]).any()


# ---------------------------------------------------------------- the window


def wait_for_result(qtbot, window) -> None:
    with qtbot.waitSignal(window.worker.final, timeout=60000):
        pass
    qtbot.waitUntil(lambda: window.apply_action.isEnabled(), timeout=10000)


def load_mask_and_wait(qtbot, window, mask: Path) -> None:
    with qtbot.waitSignal(window.worker.final, timeout=60000):
        assert window.load_mask(mask)
    qtbot.waitUntil(lambda: window.apply_action.isEnabled(), timeout=10000)


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_window(row, case, qtbot, tmp_path, tiny_weights, capfd):
    prepared(case, row)
    prompts = FakePrompts()
    weights = case.weights if row.part == "weights" else tiny_weights
    window = make_window(qtbot, tmp_path, weights=weights, prompts=prompts)  # its settings live outside
    before = files(case.folder)

    if row.part == "photo":
        opened = window.open_file(case.photo)
        if row.window is None:
            assert opened and not prompts.errors
            load_mask_and_wait(qtbot, window, case.mask)
            assert window.save_to(case.output)
            assert_repaired(case, case.output)
        else:
            assert not opened and window.document is None
            assert [title for title, _ in prompts.errors] == ["Cannot open the photo"]
            assert_one_clear_line(prompts.errors[0][1], row.window, case.names)
            assert files(case.folder) == before
            assert window.open_file(FACE_JPEG)  # still usable: a good photo opens, and is repaired
            load_mask_and_wait(qtbot, window, save_mask(tmp_path / "good-mask.png", middle_hole(250, 250)))

    elif row.part == "mask":
        assert window.open_file(case.photo)
        if row.window is None:
            load_mask_and_wait(qtbot, window, case.mask)
            assert window.save_to(case.output)
            assert_repaired(case, case.output)
        else:
            assert not window.load_mask(case.mask)
            assert [title for title, _ in prompts.errors] == ["Cannot load the mask"]
            assert_one_clear_line(prompts.errors[0][1], row.window, case.names)
            assert not window.document.mask.array.any() and not window.isWindowModified()
            assert files(case.folder) == before
            load_mask_and_wait(qtbot, window, save_mask(tmp_path / "good-mask.png", middle_hole(250, 250)))

    elif row.part == "weights":
        assert window.open_file(case.photo)
        with qtbot.waitSignal(window.worker.failed, timeout=60000):
            assert window.load_mask(case.mask)
        assert [title for title, _ in prompts.errors] == ["Inpainting failed"]
        assert_one_clear_line(prompts.errors[0][1], row.window, case.names)
        assert files(case.folder) == before
        # Still usable: the person chooses good weights in Preferences, and the same mask is repaired.
        dialog = window.show_preferences()
        dialog.set_values(str(tiny_weights), 256)
        dialog.accept()
        window.run_inpaint()
        wait_for_result(qtbot, window)

    else:  # an output: repair first, then save where the row says
        assert window.open_file(case.photo)
        load_mask_and_wait(qtbot, window, case.mask)
        before = files(case.folder)
        if case.fault:
            case.fault()
        assert not window.save_to(case.output)
        case.monkeypatch.undo()
        if row.id == "output_is_the_input":  # the window asks first; "no" keeps the original
            assert not prompts.errors and len(prompts.confirms) == 1
            assert_one_clear_line(prompts.confirms[0], row.window, case.names)
        else:
            assert [title for title, _ in prompts.errors] == ["Cannot save"]
            assert_one_clear_line(prompts.errors[0][1], row.window, case.names)
        assert files(case.folder) == before
        assert window.isWindowModified()
        # Still usable: saving somewhere sensible works.
        elsewhere = tmp_path / "elsewhere.png"
        assert window.save_to(elsewhere)
        assert_repaired(case, elsewhere)
    assert "Traceback" not in "".join(capfd.readouterr())
