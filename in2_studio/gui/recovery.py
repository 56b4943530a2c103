"""Crash recovery: while a photo has unsaved changes a copy of the session is kept on disk; after a crash
or a kill the next start offers it back, and a clean close removes it.

Each running window owns one folder under the app-data folder (IN2_RECOVERY_DIR overrides it):

    recovery/session-<pid>-<random>/
        lock             held by the running app (QLockFile); a folder whose lock can be taken was left behind
        session.json     what the session is; written last, so it only ever names files that are complete
        mask-<n>.png     the mask (white = fill)
        base-<n>.png     the current base, kept only when it is not the file the photo came from
        changed-<n>.png  the pixels an applied result replaced (so a 16-bit photo still saves exactly)

Files are written atomically (imaging's writers, the JSON through imaging's write_atomically), on a thread of
their own so that a 12-megapixel PNG never stalls the window, and at most once every few seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import platformdirs
from PySide6.QtCore import QLockFile, QObject, QTimer, Signal

from in2_studio.errors import ImageError, In2Error
from in2_studio.gui.document import Document
from in2_studio.gui.settings import APPLICATION, ORGANIZATION
from in2_studio.imaging import read_image, read_mask, write_atomically, write_image, write_mask

RECOVERY_DIR_ENV = "IN2_RECOVERY_DIR"
WRITE_INTERVAL_MS = 3000
SESSION_FILE = "session.json"
LOCK_FILE = "lock"
_KEPT_PREFIXES = ("mask-", "base-", "changed-")


def recovery_root() -> Path:
    override = os.environ.get(RECOVERY_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APPLICATION, ORGANIZATION)) / "recovery"


def _file_stamp(path: Path | None) -> tuple[int, int] | None:
    """(size, mtime) of a file, to notice that the photo on disk is no longer the one that was opened."""
    try:
        stat = path.stat() if path is not None else None
    except OSError:
        return None
    return None if stat is None else (stat.st_size, stat.st_mtime_ns)


@dataclass(frozen=True)
class _Snapshot:
    """What one write puts on disk, taken in the GUI thread (arrays that are never changed in place)."""

    key: tuple
    record: dict
    mask: np.ndarray
    base: np.ndarray | None
    changed: np.ndarray | None


class SessionKeeper(QObject):
    """Keeps the window's open session on disk while it has unsaved changes; removes it on a clean close."""

    written = Signal()  # a write (or a removal) reached the disk
    problem = Signal(str)  # the copy could not be written: one line for the status bar

    def __init__(
        self,
        current_document: Callable[[], Document | None],
        root: Path | None = None,
        interval_ms: int = WRITE_INTERVAL_MS,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.root = Path(root) if root is not None else recovery_root()
        self._current = current_document
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.write_now)
        self.interval_ms = interval_ms
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="in2-recovery")
        self._folder: Path | None = None
        self._lock: QLockFile | None = None
        self._closed = False
        self._document: Document | None = None
        self._document_serial = 0
        self._source_stamp: tuple[int, int] | None = None
        self._written_key: tuple | None = None
        self._copy_on_disk = False  # whether a write was sent since the last removal (GUI thread's view)
        self._last_problem: str | None = None

    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    @interval_ms.setter
    def interval_ms(self, value: int) -> None:
        self._timer.setInterval(int(value))

    @property
    def folder(self) -> Path | None:
        """This window's own session folder, once something has been written."""
        return self._folder

    def schedule(self, *_signal_args) -> None:
        """Something changed: write within the interval. Changes meanwhile join that write (a throttle, so
        a person painting without a pause is still saved every few seconds)."""
        if not self._closed and not self._timer.isActive():
            self._timer.start()

    def write_now(self) -> Future:
        """Write (or remove) the copy now, on the recovery thread; the Future completes when it is on disk."""
        self._timer.stop()
        snapshot = None if self._closed else self._snapshot()
        if snapshot is not None:
            self._copy_on_disk = True
            return self._executor.submit(self._write, snapshot)
        if self._copy_on_disk and not self._closed:
            self._copy_on_disk = False
            return self._executor.submit(self._clear)
        self._written_key = ("nothing",)  # nothing to keep, and nothing was kept: no thread needed
        done: Future = Future()
        done.set_result(None)
        return done

    def is_up_to_date(self) -> bool:
        """Whether the disk holds the session as it is now (nothing written yet counts as not)."""
        return self._written_key is not None and self._written_key == self._current_key()

    def close(self) -> None:
        """A clean close: nothing left to recover. Waits for a write in progress, then removes the folder."""
        self._timer.stop()
        self._closed = True
        self._executor.shutdown(wait=True)
        if self._folder is not None:
            _remove_session(self._folder, self._lock)
            self._folder = None

    def leftovers(self) -> list[LeftSession]:
        """Sessions whose app is no longer running, newest first."""
        if not self.root.is_dir():
            return []
        found = []
        for folder in self.root.glob("session-*"):
            if folder == self._folder or not folder.is_dir():
                continue
            lock = QLockFile(str(folder / LOCK_FILE))
            lock.setStaleLockTime(0)  # only a dead owner makes a lock stale, never its age
            if not lock.tryLock(0):
                continue  # another window of a running app owns it
            try:
                record = json.loads((folder / SESSION_FILE).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                lock.unlock()
                shutil.rmtree(folder, ignore_errors=True)  # nothing (readable) was kept there
                continue
            found.append(LeftSession(folder, record, lock))
        return sorted(found, key=lambda session: session.saved_at, reverse=True)

    # -- GUI thread ------------------------------------------------------------------------------
    def _current_key(self) -> tuple:
        document = self._current()
        if document is None or not document.is_modified():
            return ("nothing",)
        serial = self._document_serial + (document is not self._document)
        return (serial, document.base_serial, document.mask.version)

    def _snapshot(self) -> _Snapshot | None:
        document = self._current()
        if document is not self._document:
            self._document = document
            self._document_serial += 1
            self._source_stamp = _file_stamp(document.source_path) if document is not None else None
        if document is None or not document.is_modified():
            return None
        source = document.source_path
        stamp = _file_stamp(source)
        # The base is kept unless the photo's own file, unchanged since it was opened, can give it back.
        file_differs = source is None or stamp is None or stamp != self._source_stamp
        keep_base = file_differs or bool(document.changed.any())
        tag = f"{self._document_serial}-{document.base_serial}"
        record = {
            "version": 1,
            "name": document.display_name,
            "source": str(source) if source is not None else None,
            "width": document.width,
            "height": document.height,
            "mask": f"mask-{self._document_serial}-{document.mask.version}.png",
            "base": f"base-{tag}.png" if keep_base else None,
            "changed": f"changed-{tag}.png" if keep_base else None,
            "saved_at": time.time(),
        }
        return _Snapshot(
            key=(self._document_serial, document.base_serial, document.mask.version),
            record=record,
            mask=document.mask.copy(),
            base=document.base if keep_base else None,
            changed=document.changed if keep_base else None,
        )

    # -- recovery thread -------------------------------------------------------------------------
    def _write(self, snapshot: _Snapshot) -> None:
        try:
            folder = self._own_folder()
            record = snapshot.record
            if not (folder / record["mask"]).exists():
                write_mask(folder / record["mask"], snapshot.mask)
            if snapshot.base is not None and not (folder / record["base"]).exists():
                write_mask(folder / record["changed"], snapshot.changed)
                write_image(folder / record["base"], snapshot.base)
            data = json.dumps(record, indent=1).encode("utf-8")
            write_atomically(folder / SESSION_FILE, lambda file: file.write(data))
            self._remove_files_except(folder, {record["mask"], record["base"], record["changed"]})
        except (OSError, In2Error) as error:
            self._report(f"Cannot keep a recovery copy of the work: {error}")
            return
        self._written_key = snapshot.key
        self.written.emit()

    def _clear(self) -> None:
        if self._folder is not None:
            with suppress(OSError):
                (self._folder / SESSION_FILE).unlink()
            self._remove_files_except(self._folder, set())
        self._written_key = ("nothing",)
        self.written.emit()

    def _own_folder(self) -> Path:
        if self._folder is None:
            self.root.mkdir(parents=True, exist_ok=True)
            folder = self.root / f"session-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            folder.mkdir(mode=0o700)  # it holds the person's photo
            lock = QLockFile(str(folder / LOCK_FILE))
            lock.setStaleLockTime(0)
            if not lock.tryLock(0):
                raise OSError(f"cannot lock {folder / LOCK_FILE}")
            self._folder, self._lock = folder, lock
        return self._folder

    @staticmethod
    def _remove_files_except(folder: Path, keep: set) -> None:
        for path in folder.iterdir():
            stale_part = path.name.startswith(".") and path.name.endswith(".part")  # from a crash mid-write
            if (path.name.startswith(_KEPT_PREFIXES) and path.name not in keep) or stale_part:
                with suppress(OSError):
                    path.unlink()

    def _report(self, message: str) -> None:
        if message != self._last_problem:  # once per problem, not once every few seconds
            self._last_problem = message
            self.problem.emit(" ".join(message.split()))


class LeftSession:
    """A session a crashed or killed app left behind. Holds its lock until restored or discarded."""

    def __init__(self, folder: Path, record: dict, lock: QLockFile):
        self.folder = folder
        self.record = record
        self._lock = lock

    @property
    def name(self) -> str:
        return str(self.record.get("name") or "an image")

    @property
    def saved_at(self) -> float:
        return float(self.record.get("saved_at") or 0.0)

    def document(self) -> Document:
        """The session as a Document with unsaved changes; ImageError when it cannot be rebuilt."""
        record, folder = self.record, self.folder
        try:
            shape = (int(record["height"]), int(record["width"]))
            source = Path(record["source"]) if record.get("source") else None
            base = read_image(folder / record["base"]).rgb if record.get("base") else None
            mask = read_mask(folder / record["mask"], shape)
            changed = read_mask(folder / record["changed"], shape) if record.get("changed") else None
        except (KeyError, TypeError, ValueError) as error:
            raise ImageError(f"the recovery copy in {folder} is incomplete ({error})") from None
        photo = None
        if source is not None:
            with suppress(In2Error):
                photo = read_image(source)
            if photo is not None and photo.rgb.shape[:2] != shape:
                photo = None  # the file has been replaced by another picture since
        if photo is None and base is None:
            raise ImageError(f"{source} is gone or has changed since, and the recovery copy relies on it")
        # Without its file, the kept base stands in for the photo, as for a pasted image.
        document = Document(photo.rgb, photo, source) if photo is not None else Document(base)
        if base is not None:
            document.set_base(base, changed if changed is not None else np.zeros(shape, bool))
        document.mask.put(document.mask.full_rect(), mask.astype(np.uint8))
        document.undo_stack.resetClean()  # the restored work is not saved anywhere yet
        return document

    def discard(self) -> None:
        _remove_session(self.folder, self._lock)


def _remove_session(folder: Path, lock: QLockFile | None) -> None:
    """Unrecoverable first (the record goes before anything it names), then unlocked and gone."""
    with suppress(OSError):
        (folder / SESSION_FILE).unlink()
    if lock is not None:
        lock.unlock()
    shutil.rmtree(folder, ignore_errors=True)


def offer_leftovers(keeper: SessionKeeper, prompts, show: Callable[[Document], None]) -> bool:
    """Offer each left-behind session, newest first, until one is restored; a declined one is discarded.

    The restored work is written to this window's own copy before the old one goes. True when restored.
    """
    for session in keeper.leftovers():
        if not prompts.restore_session(session.name, session.saved_at):
            session.discard()
            continue
        try:
            document = session.document()
        except In2Error as error:
            prompts.error("Cannot restore the unsaved work", str(error))
            session.discard()
            continue
        show(document)
        keeper.write_now().result()
        session.discard()
        return True
    return False
