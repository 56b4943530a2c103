"""Check the PyInstaller bundle as a person without Python would run it (`make bundle-test`).

Every run of the bundle gets a bare environment: only HOME (a fresh, empty folder) and a PATH that holds
no program at all, so no Python, no venv and no repository can help it; the working folder is a temporary
one. Checks: --version; --self-test; `inpaint` on a real face photo (exit 0, the result written, pixels
outside the mask identical, the hole changed); a missing and a corrupt photo (exit 2, one line on stderr,
nothing written); the window (started on a private Xvfb screen, found with xdotool, time from launch to
the window shown, at most --window-seconds). Prints the bundle's size and its largest parts first.

    .venv/bin/python scripts/bundle_test.py [dist/in2-studio/in2-studio] [--window-seconds 5]

Needs Xvfb and xdotool for the window check (Debian/Ubuntu: apt-get install -y xvfb xdotool).
The photo is read in place from ../shared/data (the project's face data).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT.parent / "shared" / "data" / "lfw" / "Aaron_Eckhart" / "Aaron_Eckhart_0001.jpg"
WINDOW_NAME = "IN² Studio$"  # a regular expression for xdotool, which runs in a UTF-8 locale here
MIB = 2**20


class Bundle:
    """Runs the frozen program in a bare environment, from a scratch folder."""

    def __init__(self, exe: Path, scratch: Path):
        self.exe = exe
        self.scratch = scratch
        home, empty_bin = scratch / "home", scratch / "bin"
        home.mkdir()
        empty_bin.mkdir()
        self.env = {"HOME": str(home), "PATH": str(empty_bin)}

    def run(self, *args: str, timeout: float = 300) -> tuple[subprocess.CompletedProcess, float]:
        start = time.perf_counter()
        result = subprocess.run(
            [str(self.exe), *args], env=self.env, cwd=self.scratch, capture_output=True, text=True, timeout=timeout
        )
        return result, time.perf_counter() - start

    def start(self, args: list[str], extra_env: dict[str, str]) -> subprocess.Popen:
        return subprocess.Popen(
            [str(self.exe), *args],
            env={**self.env, **extra_env},
            cwd=self.scratch,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )


class Failed(Exception):
    pass


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)


def one_error_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    expect(len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{result.stderr}")
    expect(lines[0].startswith("in2-studio: error: "), f"not an error line: {lines[0]!r}")
    expect("Traceback" not in result.stderr, "a traceback on stderr")
    return lines[0]


# ---------------------------------------------------------------- the checks


def check_no_python_on_path(bundle: Bundle) -> str:
    for name in ("python", "python3", "python3.11"):
        expect(shutil.which(name, path=bundle.env["PATH"]) is None, f"{name} is on the bare PATH")
    return f"environment: {' '.join(f'{k}={v}' for k, v in bundle.env.items())} (nothing else)"


def check_version(bundle: Bundle) -> str:
    result, seconds = bundle.run("--version")
    expect(result.returncode == 0, f"exit {result.returncode}: {result.stderr}")
    expect(result.stdout.startswith("in2-studio "), f"unexpected output {result.stdout!r}")
    return f"{result.stdout.strip()} ({seconds:.1f} s)"


def check_self_test(bundle: Bundle) -> str:
    result, seconds = bundle.run("--self-test")
    expect(result.returncode == 0, f"exit {result.returncode}: {result.stdout}{result.stderr}")
    lines = result.stdout.strip().splitlines()
    expect(len(lines) == 1 and "self-test passed" in lines[0], f"unexpected output {result.stdout!r}")
    return f"{lines[0]} (process {seconds:.1f} s)"


def check_inpaint(bundle: Bundle) -> str:
    expect(PHOTO.is_file(), f"the test photo {PHOTO} is missing (the face data belongs at ../shared/data)")
    original = np.asarray(Image.open(PHOTO).convert("RGB"))
    hole = np.zeros(original.shape[:2], bool)
    hole[95:140, 70:180] = True  # both eyes
    mask_path, output = bundle.scratch / "mask.png", bundle.scratch / "out" / "fixed.png"
    Image.fromarray(np.where(hole, 255, 0).astype(np.uint8)).save(mask_path)
    output.parent.mkdir()
    result, seconds = bundle.run("inpaint", "--image", str(PHOTO), "--mask", str(mask_path), "--output", str(output))
    expect(result.returncode == 0, f"exit {result.returncode}: {result.stderr}")
    expect(output.is_file(), f"{output} was not written")
    fixed = np.asarray(Image.open(output).convert("RGB"))
    expect(fixed.shape == original.shape, f"the result is {fixed.shape}, the photo {original.shape}")
    expect(np.array_equal(fixed[~hole], original[~hole]), "pixels outside the mask changed")
    expect(not np.array_equal(fixed[hole], original[hole]), "the hole was left as it was")
    return f"{result.stdout.strip()} (process {seconds:.1f} s)"


def check_bad_inputs(bundle: Bundle) -> str:
    corrupt = bundle.scratch / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 not really a JPEG " * 20)
    mask = bundle.scratch / "mask.png"
    if not mask.exists():
        Image.new("L", (250, 250), 255).save(mask)
    said = []
    for image in (bundle.scratch / "missing.jpg", corrupt):
        output = bundle.scratch / f"never-{image.stem}.png"
        result, _ = bundle.run("inpaint", "--image", str(image), "--mask", str(mask), "--output", str(output))
        expect(result.returncode == 2, f"{image.name}: exit {result.returncode}, expected 2: {result.stderr}")
        line = one_error_line(result)
        expect(image.name in line, f"the error line does not name {image.name}: {line!r}")
        expect(not output.exists(), f"{output} was written for a bad input")
        said.append(line)
    return " | ".join(said)


def check_window(bundle: Bundle, limit: float) -> str:
    """Launch to window twice on a private X screen: cold (the bundle's files dropped from the page cache
    first, as after a reboot) and warm. The cold start must stay within `limit`."""
    for tool in ("Xvfb", "xdotool"):
        expect(shutil.which(tool) is not None, f"{tool} is not installed (apt-get install -y xvfb xdotool)")
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as pipe:
            display = f":{pipe.readline().strip()}"  # written once the server accepts connections
        expect(display != ":", "Xvfb did not start")
        evict_from_page_cache(bundle.exe.parent)
        cold, windows = launch_to_window(bundle, display, limit)
        warm, _ = launch_to_window(bundle, display, limit)
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)
    expect(cold <= limit, f"the window took {cold:.1f} s to appear from a cold start, more than {limit:.1f} s")
    return f"window shown {cold:.2f} s after launch cold, {warm:.2f} s warm (limit {limit:.0f} s); windows: {windows}"


def launch_to_window(bundle: Bundle, display: str, limit: float) -> tuple[float, str]:
    """Seconds from launch (with a photo to open) to the main window shown; then, after the photo has had
    time to open, the program must still run and show no error dialog. Returns the visible windows' titles."""
    start = time.perf_counter()
    app = bundle.start([str(PHOTO)], {"DISPLAY": display})
    try:
        seconds = None
        while seconds is None and time.perf_counter() - start < max(30.0, 3 * limit) and app.poll() is None:
            if visible_windows(display, WINDOW_NAME):
                seconds = time.perf_counter() - start
            else:
                time.sleep(0.05)
        if seconds is None:
            raise Failed(f"no window appeared (exit {app.poll()}); the program said:\n{_stop(app)}")
        time.sleep(3)  # the photo opens after the window shows
        titles = visible_windows(display, ".")
        running = app.poll() is None
        output = _stop(app)
        expect(running, f"the program ended by itself; it said:\n{output}")
        expect("Traceback" not in output, f"a traceback:\n{output}")
        expect(len(titles) == 1, f"more than the main window is open (an error dialog?): {titles}")
        expect(PHOTO.name in titles[0], f"the photo did not open: the window's title is {titles[0]!r}")
        return seconds, "; ".join(titles)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()


def visible_windows(display: str, pattern: str) -> list[str]:
    env = {"DISPLAY": display, "PATH": os.environ["PATH"], "LC_ALL": "C.UTF-8"}
    ids = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", pattern], env=env, capture_output=True, text=True
    ).stdout.split()
    names = [subprocess.run(["xdotool", "getwindowname", i], env=env, capture_output=True, text=True) for i in ids]
    return [name.stdout.strip() for name in names if name.stdout.strip()]


def evict_from_page_cache(folder: Path) -> None:
    """Drop the bundle's own files from the page cache (only theirs: nothing else running is slowed)."""
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fdatasync(fd)  # written pages must reach the disk before they can be dropped
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def _stop(app: subprocess.Popen) -> str:
    app.send_signal(signal.SIGTERM)
    try:
        return app.communicate(timeout=10)[0]
    except subprocess.TimeoutExpired:
        app.kill()
        return app.communicate()[0]


# ---------------------------------------------------------------- size


def disk_usage(path: Path) -> int:
    """Bytes on disk, as `du` counts them (so that the figures match `du -sm`)."""
    if path.is_symlink():
        return 0
    paths = [path, *path.rglob("*")] if path.is_dir() else [path]
    return sum(p.lstat().st_blocks * 512 for p in paths)


def size_report(folder: Path, parts: int = 12) -> str:
    internal = folder / "_internal"
    pieces = [*internal.iterdir(), *(internal / "torch").iterdir(), *(internal / "PySide6").iterdir()]
    pieces = [p for p in pieces if p not in (internal / "torch", internal / "PySide6")]
    largest = sorted(pieces, key=disk_usage, reverse=True)[:parts]
    lines = [f"bundle {folder}: {disk_usage(folder) / MIB:.0f} MiB"]
    lines += [f"  {disk_usage(p) / MIB:7.1f} MiB  {p.relative_to(folder)}" for p in largest]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exe", nargs="?", type=Path, default=ROOT / "dist" / "in2-studio" / "in2-studio")
    parser.add_argument("--window-seconds", type=float, default=5.0, help="launch to window, at most (default 5)")
    parser.add_argument("--max-mib", type=float, default=700.0, help="the folder's du -sm, at most (default 700)")
    args = parser.parse_args()
    exe = args.exe.resolve()
    if not exe.is_file():
        print(f"bundle_test: {exe} does not exist: build it with `make bundle`", file=sys.stderr)
        return 1

    print(size_report(exe.parent), flush=True)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="in2-bundle-test-") as scratch:
        bundle = Bundle(exe, Path(scratch))
        checks: list[tuple[str, Callable[[], str]]] = [
            ("size", lambda: _check_size(exe.parent, args.max_mib)),
            ("bare environment", lambda: check_no_python_on_path(bundle)),
            ("--version", lambda: check_version(bundle)),
            ("--self-test", lambda: check_self_test(bundle)),
            ("inpaint", lambda: check_inpaint(bundle)),
            ("bad input", lambda: check_bad_inputs(bundle)),
            ("window", lambda: check_window(bundle, args.window_seconds)),
        ]
        for name, check in checks:
            try:
                print(f"ok    {name}: {check()}", flush=True)
            except (Failed, subprocess.TimeoutExpired) as error:
                failures += 1
                print(f"FAIL  {name}: {error}", flush=True)
    print(f"bundle_test: {len(checks) - failures} of {len(checks)} checks passed")
    return 1 if failures else 0


def _check_size(folder: Path, max_mib: float) -> str:
    mib = disk_usage(folder) / MIB
    expect(mib <= max_mib, f"{mib:.0f} MiB, more than {max_mib:.0f} MiB")
    return f"{mib:.0f} MiB (limit {max_mib:.0f} MiB)"


if __name__ == "__main__":
    sys.exit(main())
