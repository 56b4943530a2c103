"""Errors a person can act on. Their message is shown as it is: one clear line, no traceback."""


class In2Error(Exception):
    """Base class: anything the CLI reports with exit code 2 and the GUI in a dialog."""


class ImageError(In2Error):
    """An image or mask file that cannot be read, is refused, or does not fit its image."""


class WeightsError(In2Error):
    """A weights file that is missing, unreadable, or made for another configuration."""


class OutputError(In2Error):
    """An output path that cannot be written."""
