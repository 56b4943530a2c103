"""The face photos: where they live, their train/val/test splits, and where the face parts sit in them.

The data are read in place from `<repo>/../shared/data` (or `$IN2_DATA`); see that folder's README.
"""

import os
from pathlib import Path

import numpy as np

from in2_studio.errors import In2Error

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_ROOT = REPO_ROOT.parent / "shared" / "data"
LFW_TEST_IDENTITIES = "lfw-test-identities.txt"
CELEBA_FOLDER = "celeba-200id"

SOURCES = ("lfw", "celeba")
SPLITS = ("train", "val", "test")

# Canonical landmark positions (x, y) in source pixels: left eye, right eye, nose tip, mouth centre
# ("left" = the eye on the image's left). Read off the mean of 200 random aligned faces of each source.
LANDMARK_NAMES = ("left_eye", "right_eye", "nose", "mouth")
LFW_SIZE = (250, 250)  # (h, w), deep-funneled
CELEBA_SIZE = (218, 178)  # (h, w), img_align_celeba
LFW_LANDMARKS = np.array([[103, 111], [146, 111], [125, 135], [125, 160]], dtype=np.float32)
CELEBA_LANDMARKS = np.array([[69, 111], [109, 111], [89, 133], [89, 154]], dtype=np.float32)


def data_root() -> Path:
    """The data folder: $IN2_DATA if set, else `../shared/data` beside the repository."""
    root = Path(os.environ["IN2_DATA"]) if os.environ.get("IN2_DATA") else DEFAULT_DATA_ROOT
    if not root.is_dir():
        raise In2Error(
            f"Face data folder not found: {root} (set IN2_DATA to the folder holding lfw/ and celeba-200id/)"
        )
    return root


def lfw_test_identities(root: Path | None = None) -> set[str]:
    path = (root or data_root()) / LFW_TEST_IDENTITIES
    if not path.is_file():
        raise In2Error(f"LFW test identity list not found: {path}")
    return {line.strip() for line in path.read_text().splitlines() if line.strip()}


def face_files(source: str, split: str) -> list[Path]:
    """The sorted image files of one source ("lfw" | "celeba") and split ("train" | "val" | "test")."""
    if source not in SOURCES:
        raise In2Error(f"Unknown face data source: {source!r} (choose one of {', '.join(SOURCES)})")
    if split not in SPLITS:
        raise In2Error(f"Unknown split: {split!r} (choose one of {', '.join(SPLITS)})")
    root = data_root()
    if source == "lfw":
        if split == "val":
            raise In2Error("LFW has no validation split: use celeba val to choose, lfw test only to report")
        lfw = root / "lfw"
        if not lfw.is_dir():
            raise In2Error(f"LFW folder not found: {lfw}")
        test_ids = lfw_test_identities(root)
        people = sorted(p for p in lfw.iterdir() if p.is_dir())
        chosen = [p for p in people if (p.name in test_ids) == (split == "test")]
        files = [f for person in chosen for f in person.glob("*.jpg")]
    else:
        folder = root / CELEBA_FOLDER / split
        if not folder.is_dir():
            raise In2Error(f"CelebA split folder not found: {folder}")
        files = list(folder.glob("*/*.jpg"))
    if not files:
        raise In2Error(f"No images found for {source} {split} under {root}")
    return sorted(files)


def training_files() -> list[Path]:
    """Everything the network may learn from: LFW train identities and CelebA train."""
    return face_files("lfw", "train") + face_files("celeba", "train")


def source_of(path: Path) -> str:
    """Which source a file comes from, by its folder: "celeba" or "lfw"."""
    return "celeba" if CELEBA_FOLDER in Path(path).parts else "lfw"


def canonical_landmarks(source: str) -> np.ndarray:
    """A fresh (4, 2) float32 array of the source's landmark positions (x, y) in its own pixels."""
    if source == "lfw":
        return LFW_LANDMARKS.copy()
    if source == "celeba":
        return CELEBA_LANDMARKS.copy()
    raise In2Error(f"Unknown face data source: {source!r} (choose one of {', '.join(SOURCES)})")


def landmarks_for(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    """Landmarks (x, y) for an image of shape (h, w, ...), scaled from its source's canonical size."""
    source = source_of(path)
    base_h, base_w = LFW_SIZE if source == "lfw" else CELEBA_SIZE
    points = canonical_landmarks(source)
    points[:, 0] *= shape[1] / base_w
    points[:, 1] *= shape[0] / base_h
    return points
