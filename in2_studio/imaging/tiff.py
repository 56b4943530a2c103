"""An 8- or 16-bit RGB(A) or grey(+alpha) TIFF writer that keeps EXIF and the ICC profile.

Pillow has no 16-bit colour mode and its libtiff path rejects EXIF sub-directories; OpenCV's TIFF encoder
drops metadata. Yet a TIFF usually comes from a photographer whose wide-gamut profile must survive the
edit. The file is baseline TIFF: one IFD, Adobe Deflate with the horizontal predictor, ~256 KiB strips.
"""

from __future__ import annotations

import zlib
from typing import BinaryIO

import numpy as np
from PIL import Image, TiffImagePlugin, TiffTags

from in2_studio.imaging.formats import TIFF_LAYOUT_TAGS

_STRIP_BYTES = 256 * 1024
_EXIF_SUB_IFDS = (0x8769, 0x8825)  # Exif and GPS sub-directories
_INTEROP = 0xA005  # the interoperability directory, nested in the Exif one


def write_tiff(
    file: BinaryIO,
    pixels: np.ndarray,
    alpha: np.ndarray | None = None,
    *,
    exif: bytes | None = None,
    icc_profile: bytes | None = None,
) -> None:
    """Write H×W×3 RGB or H×W grey (and H×W alpha) of one dtype, uint8 or uint16, to a binary file positioned
    at 0."""
    grey = pixels.ndim == 2
    planes = np.dstack([pixels] if alpha is None else [pixels, alpha])
    height, width, samples = planes.shape
    sample_type = np.dtype("<u2") if planes.dtype == np.uint16 else np.dtype("u1")
    differences = planes.astype(sample_type)
    # Predictor 2: store each sample's difference from its left neighbour (modulo 2⁸ or 2¹⁶).
    differences[:, 1:] -= planes[:, :-1].astype(sample_type)
    rows_per_strip = max(1, _STRIP_BYTES // (width * samples * sample_type.itemsize))
    strips = [
        zlib.compress(differences[row : row + rows_per_strip].tobytes(), 6) for row in range(0, height, rows_per_strip)
    ]

    ifd = TiffImagePlugin.ImageFileDirectory_v2(ifh=b"II*\x00\x08\x00\x00\x00")
    if exif:
        _copy_exif(ifd, exif)
    if icc_profile:
        ifd.tagtype[34675] = TiffTags.UNDEFINED
        ifd[34675] = icc_profile
    long_tags = {256: width, 257: height, 278: rows_per_strip}
    bits = (8 * sample_type.itemsize,) * samples
    # Deflate (8), grey with black at 0 (1) or RGB (2), chunky samples (1), horizontal predictor (2), unsigned
    # integers (1).
    short_tags = {258: bits, 259: 8, 262: 1 if grey else 2, 277: samples, 284: 1, 317: 2, 339: (1,) * samples}
    if alpha is not None:
        short_tags[338] = 2  # the extra sample is unassociated alpha
    for tags, kind in ((long_tags, TiffTags.LONG), (short_tags, TiffTags.SHORT)):
        for tag, value in tags.items():
            ifd.tagtype[tag] = kind
            ifd[tag] = value
    ifd.tagtype[273] = ifd.tagtype[279] = TiffTags.LONG
    # Offsets from the end of the directory: ImageFileDirectory_v2 makes them absolute when it saves.
    ifd[273] = tuple(int(offset) for offset in np.cumsum([0] + [len(strip) for strip in strips[:-1]]))
    ifd[279] = tuple(len(strip) for strip in strips)
    ifd.save(file)
    for strip in strips:
        file.write(strip)


def _copy_exif(ifd: TiffImagePlugin.ImageFileDirectory_v2, exif: bytes) -> None:
    """Put EXIF's tags in the image's own directory, as TIFF keeps them (sub-directories nested)."""
    parsed = Image.Exif()
    parsed.load(exif)
    for tag, value in parsed.items():
        if tag in TIFF_LAYOUT_TAGS:
            continue  # the layout is this file's own, set by the caller
        if tag in _EXIF_SUB_IFDS:
            value = dict(parsed.get_ifd(tag))
            if _INTEROP in value and not isinstance(value[_INTEROP], dict):
                value[_INTEROP] = parsed.get_ifd(_INTEROP)
        ifd[tag] = value
