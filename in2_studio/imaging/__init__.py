"""Reading and writing images and masks: EXIF orientation, alpha, 16-bit, grey, ICC, validation.

Used by every other part; imports none of them (only in2_studio.errors).
"""

from in2_studio.imaging.formats import FORMAT_BY_EXTENSION, format_for
from in2_studio.imaging.grey import greyed, is_grey
from in2_studio.imaging.read import MAX_PIXELS, Photo, read_image, read_mask
from in2_studio.imaging.write import JPEG_QUALITY, write_atomically, write_image, write_mask

__all__ = [
    "FORMAT_BY_EXTENSION",
    "JPEG_QUALITY",
    "MAX_PIXELS",
    "Photo",
    "format_for",
    "greyed",
    "is_grey",
    "read_image",
    "read_mask",
    "write_atomically",
    "write_image",
    "write_mask",
]
