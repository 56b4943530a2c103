"""The preferences the app keeps between runs, stored with QSettings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from in2_studio import DEFAULT_WORKING_SIZE

ORGANIZATION = "IN2 Studio"
APPLICATION = "IN2 Studio"
MAX_RECENT_FILES = 10
DEVICES = ("auto", "cpu", "cuda")
WORKING_SIZES = (192, 256, 384, 512, 768, 1024)


def _as_bool(value: object, default: bool) -> bool:
    # QSettings hands back strings from INI files and bools from the registry: accept both.
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _as_int(value: object, default: int) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


class Settings:
    """Typed access to QSettings. Pass a QSettings (e.g. an INI file) to keep tests apart from the user's."""

    def __init__(self, store: QSettings | None = None):
        self._store = store if store is not None else QSettings(ORGANIZATION, APPLICATION)

    @property
    def weights_path(self) -> str:
        """The weights file; empty means the engine's default (models/in2-face.safetensors)."""
        return str(self._store.value("engine/weights", "") or "")

    @weights_path.setter
    def weights_path(self, value: str) -> None:
        self._store.setValue("engine/weights", value or "")

    @property
    def working_size(self) -> int:
        return max(64, _as_int(self._store.value("engine/working_size"), DEFAULT_WORKING_SIZE))

    @working_size.setter
    def working_size(self, value: int) -> None:
        self._store.setValue("engine/working_size", int(value))

    @property
    def device(self) -> str:
        value = str(self._store.value("engine/device", "auto") or "auto")
        return value if value in DEVICES else "auto"

    @device.setter
    def device(self, value: str) -> None:
        self._store.setValue("engine/device", value if value in DEVICES else "auto")

    @property
    def grain(self) -> bool:
        return _as_bool(self._store.value("engine/grain"), True)

    @grain.setter
    def grain(self, value: bool) -> None:
        self._store.setValue("engine/grain", bool(value))

    @property
    def auto_mode(self) -> bool:
        return _as_bool(self._store.value("editor/auto_inpaint"), True)

    @auto_mode.setter
    def auto_mode(self, value: bool) -> None:
        self._store.setValue("editor/auto_inpaint", bool(value))

    @property
    def brush_size(self) -> int:
        return min(max(_as_int(self._store.value("editor/brush_size"), 40), 1), 1000)

    @brush_size.setter
    def brush_size(self, value: int) -> None:
        self._store.setValue("editor/brush_size", int(value))

    @property
    def grow_pixels(self) -> int:
        return min(max(_as_int(self._store.value("editor/grow_pixels"), 8), 1), 500)

    @grow_pixels.setter
    def grow_pixels(self, value: int) -> None:
        self._store.setValue("editor/grow_pixels", int(value))

    @property
    def last_folder(self) -> str:
        return str(self._store.value("files/last_folder", "") or "")

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        self._store.setValue("files/last_folder", value)

    @property
    def recent_files(self) -> list[str]:
        value = self._store.value("files/recent", [])
        if isinstance(value, str):  # QSettings turns a one-item list into a plain string
            value = [value]
        return [str(v) for v in (value or []) if v][:MAX_RECENT_FILES]

    def add_recent_file(self, path: str | Path) -> None:
        path = str(Path(path).resolve())
        files = [path] + [f for f in self.recent_files if f != path]
        self._store.setValue("files/recent", files[:MAX_RECENT_FILES])

    def remove_recent_file(self, path: str) -> None:
        self._store.setValue("files/recent", [f for f in self.recent_files if f != path])

    def clear_recent_files(self) -> None:
        self._store.setValue("files/recent", [])

    @property
    def geometry(self) -> bytes | None:
        value = self._store.value("window/geometry")
        return bytes(value) if value else None

    @geometry.setter
    def geometry(self, value: bytes) -> None:
        self._store.setValue("window/geometry", value)

    def sync(self) -> None:
        self._store.sync()
