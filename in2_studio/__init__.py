"""IN² Studio: repair faces in photographs with the Implicit Neural Inpainting Network."""

__version__ = "0.1.0"

# The long side, in pixels, at which the encoder sees the region around a hole, by default: the long side of the
# shipped weights' training crops (96-192 px). Shrinking a larger photo's region to it puts the face at the scale the
# network learnt; at 512, faces several times that size came back 1.5 dB worse on test photos enlarged 3x (model card).
DEFAULT_WORKING_SIZE = 192
