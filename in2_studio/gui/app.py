"""Start the application: high-DPI set-up, a dark theme, the main window, the photo from the command line."""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from in2_studio import __version__
from in2_studio.gui.settings import APPLICATION, ORGANIZATION


def dark_palette() -> QPalette:
    """A neutral dark palette: photos are judged against grey, not against a white window."""
    palette = QPalette()
    base, window, text = QColor(30, 31, 34), QColor(45, 47, 51), QColor(222, 224, 228)
    disabled = QColor(118, 121, 128)
    highlight = QColor(222, 64, 104)
    for role, color in (
        (QPalette.Window, window),
        (QPalette.WindowText, text),
        (QPalette.Base, base),
        (QPalette.AlternateBase, window),
        (QPalette.ToolTipBase, QColor(20, 21, 23)),
        (QPalette.ToolTipText, text),
        (QPalette.Text, text),
        (QPalette.Button, window),
        (QPalette.ButtonText, text),
        (QPalette.BrightText, QColor(255, 90, 90)),
        (QPalette.Highlight, highlight),
        (QPalette.HighlightedText, QColor(255, 255, 255)),
        (QPalette.Link, QColor(255, 120, 150)),
        (QPalette.PlaceholderText, disabled),
    ):
        palette.setColor(role, color)
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        palette.setColor(QPalette.Disabled, role, disabled)
    return palette


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, made once, high-DPI aware (fractional scale factors passed through)."""
    existing = QApplication.instance()
    if existing is not None:
        return existing
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationDisplayName("IN² Studio")
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    return app


def run_app(image_path: str | None = None) -> int:
    """Show the window (opening `image_path` once it is up) and run until it closes; returns the exit code."""
    app = create_application()
    from in2_studio.gui.main_window import MainWindow  # after QApplication: qtawesome needs it for icons

    window = MainWindow()
    window.show()

    def start() -> None:
        window.offer_recovery()  # first, so a photo from the command line cannot hide unsaved work
        if image_path:
            window.open_file(image_path)

    QTimer.singleShot(0, start)
    return app.exec()


if __name__ == "__main__":
    sys.exit(run_app(sys.argv[1] if len(sys.argv) > 1 else None))
