"""Which file formats IN² Studio reads and writes, and what each can carry."""

from __future__ import annotations

from pathlib import Path

# Pillow's format names, in the order a person would list them.
READABLE = ("PNG", "JPEG", "WEBP", "BMP", "TIFF")
READABLE_TEXT = "PNG, JPEG, WebP, BMP or TIFF"

FORMAT_BY_EXTENSION = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}
WRITABLE_EXTENSIONS_TEXT = ".png, .jpg, .jpeg, .webp, .bmp, .tif or .tiff"

# What survives a save in each format (BMP carries no metadata; JPEG and BMP no transparency here).
KEEPS_ALPHA = {"PNG", "WEBP", "TIFF"}
KEEPS_METADATA = {"PNG", "JPEG", "WEBP", "TIFF"}
KEEPS_16_BIT = {"PNG", "TIFF"}
KEEPS_GREY = {"PNG", "JPEG", "BMP", "TIFF"}  # WebP has no grey mode


def icc_colour_space(icc: bytes) -> bytes:
    """A profile's data colour space, from its header: b"RGB ", b"GRAY", b"CMYK", ..."""
    return icc[16:20]


def format_for(path: str | Path) -> str | None:
    """The format a file name asks for, from its extension (case-insensitive); None if not one we write."""
    return FORMAT_BY_EXTENSION.get(Path(path).suffix.lower())


# TIFF tags that describe a file's own layout (or carry bulky private data such as Photoshop layers): they
# must not travel as EXIF into another file, where they would describe pixels that are not there.
TIFF_LAYOUT_TAGS = frozenset(
    {254, 255, 256, 257, 258, 259, 262, 263, 266, 273, 277, 278, 279, 280, 281, 284, 317, 320, 322, 323}
    | {324, 325, 330, 338, 339, 340, 341, 347, 529, 530, 531, 532, 34377, 34675, 37724}
)
