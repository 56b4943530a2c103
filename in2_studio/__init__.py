"""IN² Studio: repair faces in photographs with the Implicit Neural Inpainting Network."""

__version__ = "0.1.0"
