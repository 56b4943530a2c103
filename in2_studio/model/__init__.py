"""The IN² network: pure torch, no I/O."""

from .config import IN2Config
from .in2 import IN2

__all__ = ["IN2", "IN2Config"]
