"""Reading photos and masks: any common mode in, RGB (plus alpha, metadata and 16-bit data) out.

Every failure becomes an ImageError with one line naming the file: a photo editor meets damaged,
mislabelled and hostile files, and a person needs to know which file and why, not a traceback.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageCms, UnidentifiedImageError

from in2_studio.errors import ImageError
from in2_studio.imaging.formats import READABLE, READABLE_TEXT, TIFF_LAYOUT_TAGS, icc_colour_space
from in2_studio.imaging.orientation import orient

MAX_PIXELS = 100_000_000
"""Default limit: a larger canvas is refused from its header as a possible decompression bomb."""

_ORIENTATION_TAG = 0x0112
# Pillow's own decompression-bomb guard is switched off while we read (we check the header ourselves,
# with our limit and a message that names the size); the lock keeps that switch to one reader at a time.
_PILLOW_LOCK = threading.Lock()
_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"BM", b"II*\x00", b"MM\x00*")
_GREY_MODES = {"1", "L", "LA", "La", "I"}  # and I;16 with its byte orders


@dataclass(eq=False)
class Photo:
    """A photo as read from disk, upright (EXIF orientation applied), ready to edit and to save back."""

    rgb: np.ndarray  # H×W×3 uint8
    alpha: np.ndarray | None  # H×W uint8, when the file has transparency
    exif: bytes | None  # EXIF to write back, its orientation reset to 1 (the rotation is applied)
    icc_profile: bytes | None  # the colour profile to write back: an RGB one, or a GRAY one for a grey file
    rgb16: np.ndarray | None  # H×W×3 uint16, for 16-bit sources; rgb is its rounding to 8 bits
    format: str  # Pillow's name of the source format: PNG, JPEG, WEBP, BMP, TIFF
    path: Path
    grey: bool = False  # the file stores grey: rgb holds it in three equal channels, to be saved grey again

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.rgb.shape[1], self.rgb.shape[0]

    @property
    def bit_depth(self) -> int:
        return 16 if self.rgb16 is not None else 8


def read_image(path: str | Path, max_pixels: int = MAX_PIXELS) -> Photo:
    """Read a PNG, JPEG, WebP, BMP or TIFF photo; raise ImageError with one clear line if that fails."""
    path = Path(path)
    with _opened(path, max_pixels) as img:
        orientation = _orientation(img)
        exif = _exif_to_keep(img)
        icc = img.info.get("icc_profile") or None
        grey = img.mode in _GREY_MODES or img.mode.startswith("I;16")
        rgb16, alpha16 = _read_16_bit(path, img) if _bits_per_sample(path, img) == 16 else (None, None)
        if rgb16 is not None:
            rgb = _to_8_bit(rgb16)
            alpha = None if alpha16 is None else _to_8_bit(alpha16)
        else:
            rgb, alpha, rgb16, icc = _convert_to_rgb(path, img, icc)
    if icc is not None and icc_colour_space(icc) != (b"GRAY" if grey else b"RGB "):
        icc = None  # a CMYK profile (or a grey one on colour) would misdescribe the pixels written back
    return Photo(
        rgb=orient(rgb, orientation),
        alpha=None if alpha is None else orient(alpha, orientation),
        exif=exif,
        icc_profile=icc,
        rgb16=None if rgb16 is None else orient(rgb16, orientation),
        format=img.format,
        path=path,
        grey=grey,
    )


def read_mask(
    path: str | Path,
    shape: tuple[int, ...],
    *,
    image_path: str | Path | None = None,
    max_pixels: int = MAX_PIXELS,
    require_fill: bool = False,
) -> np.ndarray:
    """Read a mask file as an H×W bool array (True = fill: luminance ≥ 128), checked against `shape`.

    `shape` is the image's (H, W) or (H, W, 3); `image_path` only names the image in the size message.
    `require_fill` refuses a mask that marks nothing (almost always an inverted one) when it is meant to be filled.
    """
    path = Path(path)
    with _opened(path, max_pixels) as img:
        orientation = _orientation(img)
        if img.mode.startswith("I;16") or img.mode == "I":
            fill = np.asarray(img).astype(np.int64) >= 128 * 257  # 16-bit: the same threshold, scaled
        else:
            fill = np.asarray(_convert(path, img, "L")) >= 128
    fill = orient(fill, orientation)
    height, width = shape[:2]
    if fill.shape != (height, width):
        image_name = str(image_path) if image_path is not None else "the image"
        raise ImageError(
            f"{path} is {fill.shape[1]}×{fill.shape[0]} but {image_name} is {width}×{height}: "
            "a mask must have its image's size"
        )
    if require_fill and not fill.any():
        raise ImageError(f"{path} marks nothing to fill: no pixel is white (>= 128)")
    return fill


@contextmanager
def _opened(path: Path, max_pixels: int) -> Iterator[Image.Image]:
    """Open and fully decode a supported image, refusing bad files with an ImageError."""
    _check_is_nonempty_file(path)
    with _PILLOW_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow's warnings about odd files would only be noise on stderr
        pillow_limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            img = _open(path)
            with img:
                _check_supported_and_small_enough(path, img, max_pixels)
                try:
                    img.load()
                except Exception as error:
                    raise ImageError(f"{path} is truncated or damaged and cannot be decoded") from error
                yield img
        finally:
            Image.MAX_IMAGE_PIXELS = pillow_limit


def _check_is_nonempty_file(path: Path) -> None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except OSError as error:
        raise ImageError(f"cannot read {path}: {error.strerror or error}") from error
    if path.is_dir():
        raise ImageError(f"{path} is a folder, not an image file")
    if stat.st_size == 0:
        raise ImageError(f"{path} is empty (0 bytes)")


def _open(path: Path) -> Image.Image:
    """Read the header only (Pillow decodes lazily), so that size and format are checked before decoding."""
    try:
        return Image.open(path)
    except UnidentifiedImageError:
        if _starts_like_a_readable_format(path):
            raise ImageError(f"{path} is truncated or damaged and cannot be decoded") from None
        raise ImageError(f"{path} is not an image file ({READABLE_TEXT} expected)") from None
    except PermissionError:
        raise ImageError(f"cannot read {path}: permission denied") from None
    except Exception as error:
        raise ImageError(f"{path} is truncated or damaged and cannot be decoded") from error


def _starts_like_a_readable_format(path: Path) -> bool:
    """Whether the first bytes are a PNG, JPEG, WebP, BMP or TIFF signature (then the rest is damaged)."""
    with suppress(OSError), open(path, "rb") as file:
        head = file.read(12)
        return head.startswith(_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
    return False


def _check_supported_and_small_enough(path: Path, img: Image.Image, max_pixels: int) -> None:
    if img.format not in READABLE:
        raise ImageError(f"{path} is a {img.format} image, which is not supported ({READABLE_TEXT} expected)")
    width, height = img.size
    if width * height > max_pixels:
        raise ImageError(
            f"{path} declares {width}×{height} pixels ({width * height / 1e6:,.0f} megapixels), over the "
            f"limit of {max_pixels / 1e6:g} megapixels: refused as a possible decompression bomb"
        )
    if img.mode == "F":
        raise ImageError(f"{path} holds floating-point pixels, which are not supported")
    if width < 1 or height < 1:
        raise ImageError(f"{path} declares an empty {width}×{height} canvas")


def _orientation(img: Image.Image) -> int:
    try:
        value = img.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:
        return 1  # unreadable EXIF: the pixels are still good
    return value if value in range(1, 9) else 1


def _exif_to_keep(img: Image.Image) -> bytes | None:
    """The photo's EXIF with orientation reset to 1; the thumbnail (IFD1) is dropped, as it would show
    the unedited photo. Unreadable EXIF is dropped rather than failing the read."""
    try:
        exif = img.getexif()
        for tag in TIFF_LAYOUT_TAGS & set(exif):
            del exif[tag]
        if not len(exif):
            return None
        if _ORIENTATION_TAG in exif:
            exif[_ORIENTATION_TAG] = 1
        return exif.tobytes()
    except Exception:
        return None


def _bits_per_sample(path: Path, img: Image.Image) -> int:
    if img.format == "PNG":
        with open(path, "rb") as file:
            header = file.read(25)
        return header[24] if len(header) == 25 else 8  # IHDR's bit depth field
    if img.format == "TIFF":
        bits = img.tag_v2.get(258, 8)
        return max(bits) if isinstance(bits, tuple) else int(bits)
    return 8


def _read_16_bit(path: Path, img: Image.Image) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Full-precision RGB (and alpha) of a 16-bit PNG or TIFF, or (None, None) if it is not one we can.

    Pillow holds 16-bit grey exactly but rounds 16-bit colour to 8 bits, so colour goes through OpenCV
    (called after Pillow has decoded the file, so a damaged file is refused quietly by Pillow first).
    """
    if img.mode.startswith("I;16"):
        grey = np.asarray(img).astype(np.uint16)
        return np.repeat(grey[:, :, None], 3, axis=2), None
    if img.mode not in ("RGB", "RGBA", "LA", "L"):
        return None, None
    log_level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # libtiff's warnings are noise here
    try:
        pixels = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        return None, None
    finally:
        cv2.utils.logging.setLogLevel(log_level)
    if pixels is None or pixels.dtype != np.uint16 or pixels.shape[:2] != (img.height, img.width):
        return None, None
    if pixels.ndim == 2:
        return np.repeat(pixels[:, :, None], 3, axis=2), None
    if pixels.shape[2] == 3:
        return np.ascontiguousarray(pixels[:, :, ::-1]), None
    if pixels.shape[2] == 4:
        return np.ascontiguousarray(pixels[:, :, 2::-1]), np.ascontiguousarray(pixels[:, :, 3])
    return None, None


def _to_8_bit(pixels16: np.ndarray) -> np.ndarray:
    return np.round(pixels16 / 257.0).astype(np.uint8)


def _convert_to_rgb(
    path: Path, img: Image.Image, icc: bytes | None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, bytes | None]:
    """(rgb, alpha, rgb16, icc) for any Pillow mode."""
    if img.mode.startswith("I"):  # 16-bit grey not caught above, or 32-bit integer grey
        grey = np.clip(np.asarray(img).astype(np.int64), 0, 65535).astype(np.uint16)
        rgb16 = np.repeat(grey[:, :, None], 3, axis=2)
        return _to_8_bit(rgb16), None, rgb16, icc
    if img.mode == "CMYK" and icc is not None and icc_colour_space(icc) == b"CMYK":
        rgb = _cmyk_to_srgb(img, icc)
        if rgb is not None:
            return rgb, None, None, None  # now sRGB, which needs no profile
    if img.has_transparency_data:
        rgba = np.asarray(_convert(path, img, "RGBA"))
        return np.ascontiguousarray(rgba[:, :, :3]), np.ascontiguousarray(rgba[:, :, 3]), None, icc
    return np.asarray(_convert(path, img, "RGB")), None, None, icc


def _convert(path: Path, img: Image.Image, mode: str) -> Image.Image:
    try:
        return img.convert(mode)
    except Exception as error:
        raise ImageError(f"{path} uses the {img.mode} pixel mode, which cannot be converted") from error


def _cmyk_to_srgb(img: Image.Image, icc: bytes) -> np.ndarray | None:
    """Colour-managed CMYK → sRGB through the file's own profile; None if the profile is unusable."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(img, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except Exception:
        return None
    return None if converted is None else np.asarray(converted)
