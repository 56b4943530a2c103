"""The inpainting engine: the one way the GUI and the CLI reach the network."""

from .inpainter import Inpainter, Stage
from .weights import DEFAULT_WEIGHTS, load_weights, save_weights

__all__ = ["DEFAULT_WEIGHTS", "Inpainter", "Stage", "load_weights", "save_weights"]
