"""The IN² Studio window (PySide6): canvas and brush, mask layer, undo commands, inference worker."""
