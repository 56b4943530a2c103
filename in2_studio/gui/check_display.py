"""Before the window starts: is there a display, and are the system libraries Qt needs installed?

`make run` calls `python -m in2_studio.gui.check_display`. Without it, a missing library shows up as Qt's
"could not load the Qt platform plugin "xcb"" and an abort, which tells a person nothing about what to
install. Exit status 0: go ahead; 1: a message on stderr says what is missing and how to fix it.
"""

from __future__ import annotations

import ctypes
import os
import re
import sys
from pathlib import Path

# Shared libraries Qt's xcb (X11) platform plugin loads, and the Debian/Ubuntu package of each.
XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}
WAYLAND_LIBRARIES = {
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
}
# Platforms that draw without a screen: nothing to check.
HEADLESS_PLATFORMS = {"offscreen", "minimal", "minimalegl", "vnc", "linuxfb", "eglfs"}


def missing_libraries(libraries: dict[str, str]) -> list[str]:
    """The sonames among `libraries` that the dynamic loader cannot load."""
    missing = []
    for soname in libraries:
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing.append(soname)
    return missing


def platform_plugin(name: str) -> Path | None:
    """The Qt platform plugin file that ships with PySide6 (libqxcb.so, libqwayland.so), if found."""
    try:
        import PySide6
    except ImportError:
        return None
    path = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / f"libq{name}.so"
    return path if path.is_file() else None


def plugin_load_error(name: str) -> str | None:
    """Load the plugin itself: this also catches a dependency not in our lists. None when it loads."""
    path = platform_plugin(name)
    if path is None:
        return None
    try:
        ctypes.CDLL(str(path))
    except OSError as error:
        return str(error)
    return None


def _soname_in(message: str) -> str | None:
    match = re.search(r"(lib[\w.+-]+\.so(?:\.\d+)*)", message)
    return match.group(1) if match else None


def _install_hint(sonames: list[str], libraries: dict[str, str]) -> str:
    packages = sorted({libraries[s] for s in sonames if s in libraries})
    unknown = [s for s in sonames if s not in libraries]
    lines = []
    if packages:
        lines.append(f"  On Debian or Ubuntu: sudo apt-get install -y {' '.join(packages)}")
    if unknown:
        lines.append(f"  Also install the package that provides: {', '.join(unknown)}")
    return "\n".join(lines)


def check(environ: dict[str, str] | None = None, platform: str | None = None) -> str | None:
    """None when the app can start; otherwise the message to print."""
    environ = dict(os.environ if environ is None else environ)
    platform = platform or sys.platform
    if not platform.startswith("linux"):
        return None  # Windows and macOS ship what Qt needs
    requested = environ.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    if requested in HEADLESS_PLATFORMS:
        return None
    has_x11 = bool(environ.get("DISPLAY"))
    has_wayland = bool(environ.get("WAYLAND_DISPLAY"))
    if not (has_x11 or has_wayland):
        return (
            "IN² Studio needs a display, and neither DISPLAY nor WAYLAND_DISPLAY is set.\n"
            "  Start it from a desktop session, or over SSH with X forwarding (ssh -X),\n"
            "  or on a virtual screen: xvfb-run -a make run   (Debian/Ubuntu: sudo apt-get install -y xvfb),\n"
            "  or without any screen: QT_QPA_PLATFORM=offscreen."
        )
    use_wayland = requested == "wayland" or (has_wayland and not has_x11 and requested != "xcb")
    name, libraries = ("wayland", WAYLAND_LIBRARIES) if use_wayland else ("xcb", XCB_LIBRARIES)
    missing = missing_libraries(libraries)
    if not missing:
        error = plugin_load_error(name)
        if error is None:
            return None
        soname = _soname_in(error)
        missing = [soname] if soname else []
        if not missing:
            return f"Qt's {name} platform plugin cannot be loaded: {error}"
    return (
        f"IN² Studio cannot start: Qt's {name} platform plugin needs system libraries that are missing:\n"
        f"  {', '.join(missing)}\n{_install_hint(missing, libraries)}"
    )


def main() -> int:
    message = check()
    if message is None:
        return 0
    print(message, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
