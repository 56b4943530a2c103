"""Reading and writing images and masks: every bad input refused with its promised message, every
common kind of photo read right, and saves that keep metadata and never leave a partial file."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from image_support import png_declaring
from PIL import Image, ImageCms, ImageOps

from in2_studio.errors import ImageError, OutputError
from in2_studio.imaging import read_image, read_mask, write_image, write_mask
from in2_studio.imaging.orientation import orient

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FACE = DATA / "lfw" / "Aaron_Eckhart" / "Aaron_Eckhart_0001.jpg"
MAKE, ORIENTATION, EXIF_IFD, DATE_TAKEN = 0x010F, 0x0112, 0x8769, 0x9003


@pytest.fixture(scope="module")
def face() -> np.ndarray:
    """A real face photo, cropped to a non-square 200×160 so that rotations show."""
    return np.asarray(Image.open(FACE).convert("RGB"))[20:180, 25:225].copy()


@pytest.fixture(scope="module")
def icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE] = "TestCam"
    exif.get_ifd(EXIF_IFD)[DATE_TAKEN] = "2021:06:01 12:00:00"
    if orientation is not None:
        exif[ORIENTATION] = orientation
    return exif


def _assert_one_line_naming(error: pytest.ExceptionInfo, path: Path) -> str:
    message = str(error.value)
    assert "\n" not in message
    assert str(path) in message
    return message


# ---------------------------------------------------------------- bad input


def _zero_bytes(folder: Path) -> Path:
    path = folder / "empty.png"
    path.write_bytes(b"")
    return path


def _truncated_jpeg(folder: Path) -> Path:
    path = folder / "half.jpg"
    data = FACE.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _truncated_png(folder: Path) -> Path:
    path = folder / "half.png"
    Image.open(FACE).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _text_named_png(folder: Path) -> Path:
    path = folder / "notes.png"
    path.write_text("these are my holiday notes, not a picture\n")
    return path


def _gif(folder: Path) -> Path:
    path = folder / "animation.gif"
    Image.open(FACE).save(path)
    return path


def _bomb(folder: Path) -> Path:
    path = folder / "bomb.png"
    path.write_bytes(png_declaring(30000, 30000))
    return path


def _float_tiff(folder: Path) -> Path:
    path = folder / "depth.tif"
    Image.fromarray(np.zeros((8, 8), np.float32)).save(path)
    return path


def _missing(folder: Path) -> Path:
    return folder / "not-there.jpg"


BAD_IMAGES = [
    (_zero_bytes, "is empty (0 bytes)"),
    (_truncated_jpeg, "is truncated or damaged"),
    (_truncated_png, "is truncated or damaged"),
    (_text_named_png, "is not an image file"),
    (_gif, "is a GIF image, which is not supported"),
    (_bomb, "declares 30000×30000 pixels"),
    (_float_tiff, "floating-point pixels"),
    (_missing, "no such file"),
]


@pytest.mark.parametrize(("make", "expected"), BAD_IMAGES, ids=[make.__name__[1:] for make, _ in BAD_IMAGES])
def test_bad_image_is_refused_with_one_line_naming_the_file(tmp_path, make, expected):
    path = make(tmp_path)
    with pytest.raises(ImageError) as error:
        read_image(path)
    assert expected in _assert_one_line_naming(error, path)


@pytest.mark.parametrize(("make", "expected"), BAD_IMAGES, ids=[make.__name__[1:] for make, _ in BAD_IMAGES])
def test_bad_mask_is_refused_with_one_line_naming_the_file(tmp_path, make, expected):
    path = make(tmp_path)
    with pytest.raises(ImageError) as error:
        read_mask(path, (160, 200))
    assert expected in _assert_one_line_naming(error, path)


def test_bomb_is_refused_from_its_header_with_size_and_limit(tmp_path):
    # 108 megapixels: under Pillow's own hard limit, over ours; the file holds no pixels, so a decode
    # attempt would have said "truncated" instead.
    path = tmp_path / "big.png"
    path.write_bytes(png_declaring(12000, 9000))
    pillow_limit = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageError, match=r"12000×9000 pixels \(108 megapixels\).*limit of 100 megapixels"):
        read_image(path)
    assert pillow_limit == Image.MAX_IMAGE_PIXELS  # Pillow's guard is back on for everyone else
    with pytest.raises(ImageError, match="limit of 50 megapixels"):
        read_image(tmp_path / "big.png", max_pixels=50_000_000)


def test_a_folder_is_not_an_image(tmp_path):
    with pytest.raises(ImageError, match="is a folder"):
        read_image(tmp_path)


def test_mask_of_another_size_names_both_sizes(tmp_path, face):
    mask = tmp_path / "mask.png"
    Image.new("L", (100, 80)).save(mask)
    with pytest.raises(ImageError) as error:
        read_mask(mask, face.shape, image_path="photo.jpg")
    assert f"{mask} is 100×80 but photo.jpg is 200×160" in _assert_one_line_naming(error, mask)


# ---------------------------------------------------------------- reading photos right


def test_jpeg_face_reads_as_rgb(face):
    photo = read_image(FACE)
    assert photo.rgb.shape == (250, 250, 3) and photo.rgb.dtype == np.uint8
    assert photo.alpha is None and photo.rgb16 is None and photo.format == "JPEG"
    assert photo.rgb.flags.writeable and photo.rgb.flags.c_contiguous
    assert np.array_equal(photo.rgb[20:180, 25:225], face)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_16_bit_is_read_at_full_precision(tmp_path, suffix, channels):
    rng = np.random.default_rng(channels)
    shape = (24, 36) if channels == 1 else (24, 36, channels)
    source = rng.integers(0, 65536, size=shape, dtype=np.uint16)
    path = tmp_path / f"deep{suffix}"
    assert cv2.imwrite(str(path), source)  # OpenCV stores BGR(A)

    photo = read_image(path)
    expected = np.repeat(source[:, :, None], 3, axis=2) if channels == 1 else source[:, :, 2::-1]
    assert photo.rgb16.dtype == np.uint16
    assert np.array_equal(photo.rgb16, expected)
    assert np.array_equal(photo.rgb, np.round(expected / 257).astype(np.uint8))
    if channels == 4:
        assert np.array_equal(photo.alpha, np.round(source[:, :, 3] / 257).astype(np.uint8))
    else:
        assert photo.alpha is None


def test_cmyk_jpeg_reads_as_rgb(tmp_path, face):
    path = tmp_path / "print.jpg"
    Image.fromarray(face).convert("CMYK").save(path, quality=98)
    photo = read_image(path)
    assert photo.rgb.shape == face.shape
    assert np.abs(photo.rgb.astype(int) - face).mean() < 3


def test_palette_png_transparency_becomes_alpha(tmp_path):
    palette_image = Image.new("P", (6, 4), 1)
    palette_image.putpalette([0, 0, 0, 200, 30, 10, 10, 220, 40] + [0] * (253 * 3))
    palette_image.putpixel((2, 1), 0)
    palette_image.putpixel((5, 3), 2)
    path = tmp_path / "palette.png"
    palette_image.save(path, transparency=0)

    photo = read_image(path)
    expected_alpha = np.full((4, 6), 255, np.uint8)
    expected_alpha[1, 2] = 0
    assert np.array_equal(photo.alpha, expected_alpha)
    assert tuple(photo.rgb[0, 0]) == (200, 30, 10) and tuple(photo.rgb[3, 5]) == (10, 220, 40)


def test_grayscale_reads_as_equal_channels(tmp_path, face):
    grey = np.asarray(Image.fromarray(face).convert("L"))
    path = tmp_path / "grey.png"
    Image.fromarray(grey).save(path)
    photo = read_image(path)
    assert photo.rgb.shape == face.shape
    for channel in range(3):
        assert np.array_equal(photo.rgb[:, :, channel], grey)


@pytest.mark.parametrize(("mode", "grey"), [("L", True), ("LA", True), ("1", True), ("I;16", True), ("RGB", False)])
def test_a_grey_file_is_known_as_grey(tmp_path, face, mode, grey):
    path = tmp_path / "photo.png"
    Image.fromarray(face).convert("L" if mode == "I;16" else mode).convert(mode).save(path)
    assert read_image(path).grey is grey


def test_a_grey_palette_or_colour_file_is_not(tmp_path, face):
    """Only the file's mode says grey: an RGB file of grey pixels stays an RGB file."""
    grey_rgb = np.repeat(np.asarray(Image.fromarray(face).convert("L"))[:, :, None], 3, axis=2)
    Image.fromarray(grey_rgb).save(tmp_path / "rgb.png")
    Image.fromarray(face).convert("P").save(tmp_path / "palette.png")
    assert not read_image(tmp_path / "rgb.png").grey and not read_image(tmp_path / "palette.png").grey


def test_rgba_keeps_alpha_aside(tmp_path, face):
    alpha = np.tile(np.linspace(0, 255, 200).astype(np.uint8), (160, 1))
    path = tmp_path / "cutout.png"
    Image.fromarray(np.dstack([face, alpha])).save(path)
    photo = read_image(path)
    assert np.array_equal(photo.rgb, face)
    assert np.array_equal(photo.alpha, alpha)


def test_exif_rotated_photo_is_read_upright_and_orientation_reset(tmp_path, face):
    path = tmp_path / "portrait.png"  # lossless, so the pixels can be compared exactly
    Image.fromarray(face).save(path, exif=_exif(orientation=6).tobytes())
    photo = read_image(path)
    assert photo.rgb.shape == (200, 160, 3)
    assert np.array_equal(photo.rgb, np.rot90(face, -1))  # orientation 6: turn 90° clockwise
    exif = Image.Exif()
    exif.load(photo.exif)
    assert exif[ORIENTATION] == 1 and exif[MAKE] == "TestCam"
    assert exif.get_ifd(EXIF_IFD)[DATE_TAKEN] == "2021:06:01 12:00:00"


def test_exif_rotated_jpeg_is_read_upright(tmp_path, face):
    path = tmp_path / "portrait.jpg"
    Image.fromarray(face).save(path, exif=_exif(orientation=8).tobytes(), quality=95)
    photo = read_image(path)
    assert photo.rgb.shape == (200, 160, 3)
    assert np.abs(photo.rgb.astype(int) - np.rot90(face, 1)).mean() < 3


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orient_matches_pillows_exif_transpose(orientation):
    pixels = np.random.default_rng(orientation).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    image.getexif()[ORIENTATION] = orientation
    expected = np.asarray(ImageOps.exif_transpose(image))
    assert np.array_equal(orient(pixels, orientation), expected)


def test_icc_profile_is_read(tmp_path, face, icc):
    path = tmp_path / "profiled.jpg"
    Image.fromarray(face).save(path, icc_profile=icc)
    assert read_image(path).icc_profile == icc


# ---------------------------------------------------------------- masks


def _mask_pattern() -> np.ndarray:
    fill = np.zeros((160, 200), bool)
    fill[40:90, 60:150] = True
    return fill


@pytest.mark.parametrize("mode", ["L", "1", "P", "RGB", "RGBA", "LA", "I;16"])
def test_mask_in_any_mode_reads_as_the_same_fill(tmp_path, mode):
    fill = _mask_pattern()
    grey = np.where(fill, 255, 0).astype(np.uint8)
    image = Image.fromarray(grey.astype(np.uint16) * 257) if mode == "I;16" else Image.fromarray(grey).convert(mode)
    path = tmp_path / f"mask-{mode.replace(';', '')}.png"
    image.save(path)
    assert np.array_equal(read_mask(path, (160, 200)), fill)


def test_mask_threshold_is_128(tmp_path):
    path = tmp_path / "grey-levels.png"
    Image.fromarray(np.array([[0, 127, 128, 255]], np.uint8)).save(path)
    assert read_mask(path, (1, 4)).tolist() == [[False, False, True, True]]


def test_mask_exif_orientation_is_applied(tmp_path):
    fill = _mask_pattern()
    path = tmp_path / "rotated-mask.png"
    Image.fromarray(np.where(fill, 255, 0).astype(np.uint8)).save(path, exif=_exif(orientation=6).tobytes())
    assert np.array_equal(read_mask(path, (200, 160)), np.rot90(fill, -1))


# ---------------------------------------------------------------- writing


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".tif", ".TIFF", ".jpeg"])
def test_write_round_trip_keeps_exif_and_icc(tmp_path, face, icc, suffix):
    path = tmp_path / f"saved{suffix}"
    write_image(path, face, exif=_exif(orientation=1).tobytes(), icc_profile=icc)
    photo = read_image(path)
    assert photo.icc_profile == icc
    exif = Image.Exif()
    exif.load(photo.exif)
    assert exif[MAKE] == "TestCam"
    assert exif.get_ifd(EXIF_IFD)[DATE_TAKEN] == "2021:06:01 12:00:00"
    difference = np.abs(photo.rgb.astype(int) - face)
    if suffix.lower() in (".png", ".tif", ".tiff"):
        assert difference.max() == 0
    else:
        assert difference.mean() < 2


def test_jpeg_is_written_at_quality_95(tmp_path, face):
    reference = tmp_path / "reference.jpg"
    Image.fromarray(face).save(reference, quality=95)
    path = tmp_path / "saved.jpg"
    write_image(path, face)
    assert Image.open(path).quantization[0] == Image.open(reference).quantization[0]


def test_bmp_drops_alpha_and_metadata_quietly(tmp_path, face, icc):
    path = tmp_path / "plain.bmp"
    write_image(path, face, alpha=np.zeros(face.shape[:2], np.uint8), exif=_exif().tobytes(), icc_profile=icc)
    photo = read_image(path)
    assert np.array_equal(photo.rgb, face)
    assert photo.alpha is None and photo.exif is None and photo.icc_profile is None


@pytest.mark.parametrize(("suffix", "keeps_alpha"), [(".png", True), (".webp", True), (".tif", True), (".jpg", False)])
def test_alpha_is_restored_where_the_format_allows(tmp_path, face, suffix, keeps_alpha):
    alpha = np.zeros(face.shape[:2], np.uint8)
    alpha[30:130, 40:160] = 255
    path = tmp_path / f"cutout{suffix}"
    write_image(path, face, alpha=alpha)
    photo = read_image(path)
    if keeps_alpha:
        assert np.array_equal(photo.alpha, alpha)
    else:
        assert photo.alpha is None


def _grey_profile() -> bytes:
    """A GRAY ICC profile (Pillow's LittleCMS makes none), from the sRGB one: only the header's colour space
    is read by the writer and the readers here."""
    srgb = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    srgb[16:20] = b"GRAY"
    return bytes(srgb)


@pytest.mark.parametrize(
    ("suffix", "mode"), [(".png", "L"), (".jpg", "L"), (".bmp", "L"), (".tif", "L"), (".webp", "RGB")]
)
def test_a_grey_photo_is_saved_grey_where_the_format_has_grey(tmp_path, face, suffix, mode):
    grey = np.asarray(Image.fromarray(face).convert("L"))
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    path = tmp_path / f"bw{suffix}"
    write_image(path, rgb, grey=True)
    assert Image.open(path).mode == mode
    written = np.asarray(Image.open(path).convert("L")).astype(int)
    if suffix in (".png", ".bmp", ".tif"):
        assert np.array_equal(written, grey)
    else:
        assert np.abs(written - grey).mean() < 1.5


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_a_grey_photo_keeps_its_alpha_and_grey_profile(tmp_path, face, suffix):
    source = tmp_path / f"source{suffix}"
    alpha = np.tile(np.linspace(0, 255, 200).astype(np.uint8), (160, 1))
    grey = np.asarray(Image.fromarray(face).convert("L"))
    profile = _grey_profile()  # made once: LittleCMS stamps each new profile with the current second
    Image.fromarray(np.dstack([grey, alpha]), "LA").save(source, icc_profile=profile)
    photo = read_image(source)
    assert photo.grey and photo.icc_profile == profile
    path = tmp_path / f"saved{suffix}"
    write_image(path, photo.rgb, alpha=photo.alpha, icc_profile=photo.icc_profile, grey=photo.grey)
    saved = read_image(path)
    assert Image.open(path).mode == "LA" and saved.icc_profile == profile
    assert np.array_equal(saved.rgb[:, :, 0], grey) and np.array_equal(saved.alpha, alpha)


def test_colour_added_to_a_grey_photo_is_saved_in_colour_without_the_grey_profile(tmp_path, face):
    rgb = np.repeat(np.asarray(Image.fromarray(face).convert("L"))[:, :, None], 3, axis=2)
    rgb[10:20, 10:20] = (200, 30, 30)
    path = tmp_path / "tinted.png"
    write_image(path, rgb, icc_profile=_grey_profile(), grey=True)
    saved = read_image(path)
    assert Image.open(path).mode == "RGB" and np.array_equal(saved.rgb, rgb)
    assert saved.icc_profile is None  # a GRAY profile would misdescribe RGB pixels


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_a_16_bit_grey_photo_is_saved_16_bit_grey_with_its_untouched_pixels_exact(tmp_path, suffix):
    rng = np.random.default_rng(3)
    grey16 = rng.integers(0, 65536, (30, 40), dtype=np.uint16)
    source = tmp_path / f"source{suffix}"
    assert cv2.imwrite(str(source), grey16)
    photo = read_image(source)
    assert photo.grey and photo.bit_depth == 16
    changed = np.zeros((30, 40), bool)
    changed[10:20, 5:25] = True
    edited = photo.rgb.copy()
    edited[changed] = 77
    path = tmp_path / f"saved{suffix}"
    write_image(path, edited, rgb16=photo.rgb16, changed=changed, grey=photo.grey)
    written = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)  # an independent reader
    assert written.dtype == np.uint16 and written.ndim == 2
    assert np.array_equal(written[~changed], grey16[~changed]) and (written[changed] == 77 * 257).all()


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16_bit_unchanged_pixels_are_exact_after_save(tmp_path, suffix):
    rng = np.random.default_rng(7)
    rgb16 = rng.integers(0, 65536, (30, 40, 3), dtype=np.uint16)
    alpha = rng.integers(0, 256, (30, 40), dtype=np.uint8)
    changed = np.zeros((30, 40), bool)
    changed[10:20, 5:25] = True
    edited = np.round(rgb16 / 257).astype(np.uint8)
    edited[changed] = (9, 120, 250)
    path = tmp_path / f"deep{suffix}"

    write_image(path, edited, alpha=alpha, rgb16=rgb16, changed=changed)

    written = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)  # an independent reader
    assert written.dtype == np.uint16
    assert np.array_equal(written[:, :, 2::-1][~changed], rgb16[~changed])
    assert np.array_equal(written[:, :, 2::-1][changed], np.broadcast_to(np.array([9, 120, 250]) * 257, (200, 3)))
    assert np.array_equal(written[:, :, 3], alpha.astype(np.uint16) * 257)
    assert np.array_equal(read_image(path).rgb16[~changed], rgb16[~changed])


def test_16_bit_png_keeps_exif_and_icc(tmp_path, icc):
    rgb16 = np.full((8, 8, 3), 40000, np.uint16)
    path = tmp_path / "deep.png"
    rgb = np.round(rgb16 / 257).astype(np.uint8)
    changed = np.zeros((8, 8), bool)
    write_image(path, rgb, rgb16=rgb16, changed=changed, exif=_exif().tobytes(), icc_profile=icc)
    photo = read_image(path)
    assert photo.bit_depth == 16 and photo.icc_profile == icc
    exif = Image.Exif()
    exif.load(photo.exif)
    assert exif[MAKE] == "TestCam"


def test_16_bit_source_saved_as_jpeg_is_8_bit(tmp_path):
    rgb16 = np.full((8, 8, 3), 40000, np.uint16)
    path = tmp_path / "flat.jpg"
    write_image(path, np.round(rgb16 / 257).astype(np.uint8), rgb16=rgb16, changed=np.zeros((8, 8), bool))
    assert read_image(path).rgb16 is None


def _failing_replace(*args, **kwargs):
    raise OSError(5, "Input/output error")


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_failed_rename_leaves_previous_file_and_no_temporary(tmp_path, face, monkeypatch, suffix):
    path = tmp_path / f"photo{suffix}"
    write_image(path, face)
    before = path.read_bytes()
    monkeypatch.setattr(os, "replace", _failing_replace)
    with pytest.raises(OutputError, match="Input/output error") as error:
        write_image(path, 255 - face)
    _assert_one_line_naming(error, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_failed_encoding_leaves_previous_file_and_no_temporary(tmp_path, face, monkeypatch):
    path = tmp_path / "photo.jpg"
    write_image(path, face)
    before = path.read_bytes()

    def disk_full(self, file, *args, **kwargs):
        file.write(b"half an image")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", disk_full)
    with pytest.raises(OutputError, match="the disk is full"):
        write_image(path, 255 - face)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_missing_folder_is_a_clear_error(tmp_path, face):
    path = tmp_path / "no-such-folder" / "out.png"
    with pytest.raises(OutputError, match="does not exist") as error:
        write_image(path, face)
    _assert_one_line_naming(error, path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a user that permissions bind")
def test_read_only_folder_is_a_clear_error(tmp_path, face):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="permission denied"):
            write_image(folder / "out.png", face)
    finally:
        folder.chmod(0o755)


def test_unwritable_folder_is_a_clear_error(tmp_path, face, monkeypatch):
    # The same path as a read-only folder, for runs as root (which permissions do not bind).
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", refuse)
    with pytest.raises(OutputError, match=f"permission denied in the folder {tmp_path}"):
        write_image(tmp_path / "out.png", face)


def test_unknown_extension_is_refused(tmp_path, face):
    with pytest.raises(OutputError, match=r"\.xyz is not an image format"):
        write_image(tmp_path / "out.xyz", face)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_new_file_gets_umask_permissions_and_overwrite_keeps_them(tmp_path, face):
    path = tmp_path / "out.png"
    write_image(path, face)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    path.chmod(0o640)
    write_image(path, face)
    assert path.stat().st_mode & 0o777 == 0o640


def test_mask_round_trip(tmp_path):
    fill = _mask_pattern()
    path = tmp_path / "mask.png"
    write_mask(path, fill)
    assert Image.open(path).mode == "L"
    assert np.array_equal(read_mask(path, fill.shape), fill)
    with pytest.raises(OutputError, match="masks are saved as PNG"):
        write_mask(tmp_path / "mask.jpg", fill)
