"""`in2-studio eval` folders side by side: IN²'s hole PSNR over Telea's per mask kind, and each folder's change from
the first. These are the figures every weights file was chosen on (model card), so a ship decision is one command:

`python -m in2_studio.training.compare SHIPPED_DIR CANDIDATE_DIR [...]`, each DIR an `eval --out` of the same photos.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import In2Error
from .evaluate import IN2, KINDS, TELEA

COLUMNS = (*KINDS, "all")


def read_results(folder: Path) -> dict:
    """The results.json that `in2-studio eval --out folder` wrote."""
    path = Path(folder) / "results.json"
    try:
        results = json.loads(path.read_text())
    except OSError as error:
        raise In2Error(f"No eval results in {folder}: {error.strerror or error}") from None
    except ValueError as error:
        raise In2Error(f"{path} is not an eval's results.json: {error}") from None
    if not isinstance(results, dict) or not {"summary", "per_image", "images"} <= results.keys():
        raise In2Error(f"{path} is not an eval's results.json: it lacks the summary or the per-image rows")
    return results


def gains(results: dict) -> dict[str, float]:
    """IN² − Telea hole PSNR (dB) per mask kind and over all, for the kinds the eval has."""
    summary = results["summary"]
    return {k: summary[k][IN2]["hole_psnr"] - summary[k][TELEA]["hole_psnr"] for k in COLUMNS if k in summary}


def photos(results: dict) -> list[str]:
    return [row["file"] for row in results["per_image"]]


def comparison_table(folders: list[Path]) -> str:
    """A Markdown table: a row per folder, the first as the baseline the others' changes are measured from."""
    if not folders:
        raise In2Error("Name at least one eval folder")
    runs = [read_results(folder) for folder in folders]
    for folder, results in zip(folders[1:], runs[1:], strict=True):
        if photos(results) != photos(runs[0]) or results.get("scale") != runs[0].get("scale"):
            raise In2Error(f"{folder} is an eval of other photos than {folders[0]}: only the same photos compare")
        if results.get("holes", "face") != runs[0].get("holes", "face"):
            raise In2Error(f"{folder} is an eval of other holes than {folders[0]}: only the same holes compare")
    base = gains(runs[0])
    header = "| eval | " + " | ".join(base) + " | SSIM | hole detail |"
    lines = [header, "| --- |" + " ---: |" * (len(base) + 2)]
    for index, (folder, results) in enumerate(zip(folders, runs, strict=True)):
        cells = []
        for kind, gain in gains(results).items():
            change = f" ({gain - base[kind]:+.3f})" if index else ""
            cells.append(f"{gain:+.3f}{change}")
        overall = results["summary"]["all"][IN2]
        cells += [f"{overall['ssim']:.4f}", f"{overall['detail']:.3f}"]
        lines.append(f"| {folder} | " + " | ".join(cells) + " |")
    images = runs[0]["images"]
    return f"IN² − Telea, hole PSNR (dB), {images} photos; in brackets the change from the first row\n\n" + "\n".join(
        lines
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m in2_studio.training.compare", description=__doc__.split("\n")[0])
    parser.add_argument("folders", type=Path, nargs="+", metavar="DIR")
    args = parser.parse_args(argv)
    try:
        print(comparison_table(args.folders))
    except In2Error as error:
        print(f"compare: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
