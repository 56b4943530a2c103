"""Writing images and masks: format from the extension, metadata kept, and never a partial file.

Every write goes to a temporary file in the destination folder, is flushed to disk, then renamed over
the destination in one step: a crash, a full disk or a failed rename leaves the previous file intact.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np
from PIL import Image

from in2_studio.errors import OutputError
from in2_studio.imaging.formats import (
    KEEPS_16_BIT,
    KEEPS_ALPHA,
    KEEPS_GREY,
    KEEPS_METADATA,
    WRITABLE_EXTENSIONS_TEXT,
    format_for,
    icc_colour_space,
)
from in2_studio.imaging.grey import is_grey
from in2_studio.imaging.tiff import write_tiff

JPEG_QUALITY = 95

# New files get the permissions the person's umask gives any new file (mkstemp would make them 0600).
# Read once at import: os.umask can only be read by setting it.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_image(
    path: str | Path,
    rgb: np.ndarray,
    *,
    alpha: np.ndarray | None = None,
    exif: bytes | None = None,
    icc_profile: bytes | None = None,
    rgb16: np.ndarray | None = None,
    changed: np.ndarray | None = None,
    grey: bool = False,
    quality: int = JPEG_QUALITY,
) -> None:
    """Save an edited photo atomically; raise OutputError with one clear line if that fails.

    With `rgb16` (the 16-bit source) and `changed` (H×W bool: the pixels the edit touched), PNG and TIFF
    are written at 16 bits: untouched pixels exactly as in `rgb16`, changed ones from `rgb` × 257.
    With `grey` (the source file was grey), the photo is saved grey again where the format has a grey mode
    and no pixel has colour. Alpha is kept in PNG, WebP and TIFF; EXIF and ICC in PNG, JPEG, WebP and TIFF,
    the ICC profile only where it describes the pixels written (RGB, or GRAY for grey).
    """
    path = Path(path)
    image_format = _format_or_refuse(path)
    _check_pixels(rgb, alpha, rgb16, changed)
    if image_format not in KEEPS_ALPHA:
        alpha = None  # JPEG has no transparency; BMP's is ignored by most readers
    if image_format not in KEEPS_METADATA:
        exif = icc_profile = None
    deep = rgb16 is not None and changed is not None and image_format in KEEPS_16_BIT
    if deep:
        pixels = rgb16.copy()
        pixels[changed] = rgb[changed].astype(np.uint16) * 257
        alpha = None if alpha is None else alpha.astype(np.uint16) * 257
    else:
        pixels = rgb
    # OpenCV, which writes 16-bit PNG, has no grey-with-alpha: that one stays RGBA.
    if grey and image_format in KEEPS_GREY and not (deep and image_format == "PNG" and alpha is not None):
        pixels = pixels[:, :, 0] if is_grey(pixels) else pixels
    if icc_profile and icc_colour_space(icc_profile) != (b"GRAY" if pixels.ndim == 2 else b"RGB "):
        icc_profile = None
    if deep:
        write_atomically(path, lambda file: _encode_16_bit(file, image_format, pixels, alpha, exif, icc_profile))
    else:
        write_atomically(
            path, lambda file: _encode_8_bit(file, image_format, pixels, alpha, exif, icc_profile, quality)
        )


def write_mask(path: str | Path, mask: np.ndarray) -> None:
    """Save a mask as an 8-bit greyscale PNG (255 = fill, 0 = keep), atomically."""
    path = Path(path)
    if format_for(path) != "PNG":
        raise OutputError(f"cannot write {path}: masks are saved as PNG, use a .png name")
    if mask.ndim != 2:
        raise ValueError(f"a mask must be H×W, got shape {mask.shape}")
    image = Image.fromarray(np.where(mask.astype(bool), 255, 0).astype(np.uint8), "L")
    write_atomically(path, lambda file: image.save(file, format="PNG"))


def _format_or_refuse(path: Path) -> str:
    image_format = format_for(path)
    if image_format is None:
        extension = path.suffix or "no extension"
        raise OutputError(f"cannot write {path}: {extension} is not an image format ({WRITABLE_EXTENSIONS_TEXT})")
    return image_format


def _check_pixels(
    rgb: np.ndarray, alpha: np.ndarray | None, rgb16: np.ndarray | None, changed: np.ndarray | None
) -> None:
    """Programming errors, not a person's: plain ValueErrors."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"rgb must be H×W×3 uint8, got {rgb.dtype} {rgb.shape}")
    if alpha is not None and (alpha.dtype != np.uint8 or alpha.shape != rgb.shape[:2]):
        raise ValueError(f"alpha must be H×W uint8 like rgb {rgb.shape[:2]}, got {alpha.dtype} {alpha.shape}")
    if rgb16 is not None and (rgb16.dtype != np.uint16 or rgb16.shape != rgb.shape):
        raise ValueError(f"rgb16 must be uint16 of shape {rgb.shape}, got {rgb16.dtype} {rgb16.shape}")
    if changed is not None and changed.shape != rgb.shape[:2]:
        raise ValueError(f"changed must be H×W like rgb {rgb.shape[:2]}, got {changed.shape}")


def _encode_8_bit(
    file: BinaryIO,
    image_format: str,
    pixels: np.ndarray,
    alpha: np.ndarray | None,
    exif: bytes | None,
    icc_profile: bytes | None,
    quality: int,
) -> None:
    """H×W×3 RGB or H×W grey pixels, each with an optional H×W alpha."""
    if image_format == "TIFF":
        write_tiff(file, pixels, alpha, exif=exif, icc_profile=icc_profile)
        return
    mode = "L" if pixels.ndim == 2 else "RGB"
    image = Image.fromarray(pixels, mode) if alpha is None else Image.fromarray(np.dstack([pixels, alpha]), mode + "A")
    options: dict = {}
    if exif:
        options["exif"] = exif
    if icc_profile:
        options["icc_profile"] = icc_profile
    if image_format == "JPEG":
        options.update(quality=quality, subsampling=0)  # full-resolution colour: faces show 4:2:0 smearing
    elif image_format == "WEBP":
        options.update(quality=quality)
    image.save(file, format=image_format, **options)


def _encode_16_bit(
    file: BinaryIO,
    image_format: str,
    pixels16: np.ndarray,
    alpha16: np.ndarray | None,
    exif: bytes | None,
    icc_profile: bytes | None,
) -> None:
    """H×W×3 RGB or H×W grey pixels (grey only without alpha, in PNG), each with an optional H×W alpha."""
    if image_format == "TIFF":
        write_tiff(file, pixels16, alpha16, exif=exif, icc_profile=icc_profile)
        return
    if pixels16.ndim == 2:
        bgr = pixels16
    else:
        bgr = pixels16[:, :, ::-1] if alpha16 is None else np.dstack([pixels16[:, :, ::-1], alpha16])
    kinds, chunks = [], []
    if exif:
        kinds.append(cv2.IMAGE_METADATA_EXIF)  # PNG's eXIf chunk holds the TIFF data without "Exif\0\0"
        chunks.append(np.frombuffer(exif.removeprefix(b"Exif\x00\x00"), np.uint8))
    if icc_profile:
        kinds.append(cv2.IMAGE_METADATA_ICCP)
        chunks.append(np.frombuffer(icc_profile, np.uint8))
    ascontiguous = np.ascontiguousarray(bgr)
    if kinds:
        ok, encoded = cv2.imencodeWithMetadata(".png", ascontiguous, kinds, chunks)
    else:
        ok, encoded = cv2.imencode(".png", ascontiguous)
    if not ok:
        raise OSError(errno.EIO, "the 16-bit PNG encoder failed")
    file.write(encoded.tobytes())


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Run `write` on a temporary file beside `path`, flush it to disk, then rename it over `path`."""
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: the folder {folder} does not exist")
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"cannot write {path}: the file is read-only")
    try:
        mode = stat.S_IMODE(path.stat().st_mode)  # an overwritten file keeps its permissions
    except OSError:
        mode = 0o666 & ~_UMASK
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
    except OSError as error:
        raise OutputError(f"cannot write {path}: {_reason(error, folder)}") from error
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException as error:
        with suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise OutputError(f"cannot write {path}: {_reason(error, folder)}") from error
        raise
    _sync_folder(folder)


def _reason(error: OSError, folder: Path) -> str:
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied in the folder {folder}"
    if error.errno == errno.EROFS:
        return f"the folder {folder} is on a read-only file system"
    if error.errno == errno.ENOSPC:
        return "the disk is full"
    return error.strerror or str(error)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); where folders cannot be opened (Windows), skip it."""
    with suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
