"""`in2-studio eval` end to end on three real test faces, with a tiny random-weight network."""

import json
import math
from argparse import Namespace
from pathlib import Path

import cv2
import numpy as np
import pytest

from in2_studio.errors import In2Error
from in2_studio.training import evaluate as evaluation
from in2_studio.training.faces import face_files
from in2_studio.training.masks import EVAL_KINDS


@pytest.fixture(scope="module")
def three_faces():
    return evaluation.select_files(face_files("celeba", "test"), 3)


def test_eval_writes_table_json_and_sheet(tiny_weights, tmp_path, capsys):
    out = tmp_path / "eval"
    args = Namespace(weights=str(tiny_weights), data="celeba-test", out=str(out), limit=3, device="cpu")
    assert evaluation.run(args) == 0

    table = (out / "results.md").read_text()
    assert "| all | **IN²** | 3 |" in table and "| all | Telea | 3 |" in table and "Navier-Stokes" in table
    assert table in capsys.readouterr().out

    results = json.loads((out / "results.json").read_text())
    assert results["images"] == 3 and len(results["per_image"]) == 3
    assert [r["kind"] for r in results["per_image"]] == list(EVAL_KINDS[:3])
    for method in ("IN²", "Telea", "Navier-Stokes"):
        for metric in ("psnr", "ssim", "hole_psnr", "l1", "detail"):
            assert math.isfinite(results["summary"]["all"][method][metric])
    telea = results["summary"]["all"]["Telea"]
    assert 10 < telea["hole_psnr"] < 40 and 0.5 < telea["ssim"] < 1 and 0 < telea["l1"] < 0.1

    sheet = cv2.imread(str(out / "contact_sheet.png"))
    assert sheet is not None and sheet.shape[0] >= 3 * 200 and sheet.shape[1] >= 4 * 150
    # The hole is shown in its flat colour (magenta) in the first column.
    first_column = sheet[:, : sheet.shape[1] // 4]
    assert np.all(first_column == (255, 0, 255), axis=-1).sum() > 500


def test_eval_masks_and_scores_repeat_exactly(three_faces, tmp_path):
    class Grey:
        def inpaint(self, image, mask):
            out = image.copy()
            out[mask != 0] = 128
            return out

    first = evaluation.evaluate(Grey(), three_faces, tmp_path / "a", progress=False)
    again = evaluation.evaluate(Grey(), three_faces, tmp_path / "b", progress=False)
    assert first["per_image"] == again["per_image"]
    # A flat grey fill is worse than Telea inside the hole, and the table says so.
    summary = first["summary"]["all"]
    assert summary["IN²"]["hole_psnr"] < summary["Telea"]["hole_psnr"]


def test_off_face_eval_fills_a_box_in_a_band_beside_each_face(three_faces, tmp_path):
    class Grey:
        def inpaint(self, image, mask):
            assert image.shape[0] == 59 and image.shape[1] == 178  # CelebA's band above the face, not the face
            out = image.copy()
            out[mask != 0] = 128
            return out

    results = evaluation.evaluate(Grey(), three_faces, tmp_path, progress=False, holes="off-face")
    assert results["holes"] == "off-face" and set(results["summary"]) == {"off_face", "all"}
    assert [row["kind"] for row in results["per_image"]] == ["off_face"] * 3
    assert all(0.1 < row["hole"] < 0.4 for row in results["per_image"])
    assert "off_face" in (tmp_path / "results.md").read_text()
    sheet = cv2.imread(str(tmp_path / "contact_sheet.png"))
    assert sheet.shape[1] > 4 * 300  # a thin band is shown at a face's area, so wider than a face
    with pytest.raises(In2Error, match="Unknown holes"):
        evaluation.run(Namespace(weights=None, data="celeba-test", out=str(tmp_path), holes="hands", device="cpu"))


def test_eval_refuses_what_it_cannot_use(three_faces, tmp_path):
    class WrongShape:
        def inpaint(self, image, mask):
            return image[:-1]

    with pytest.raises(In2Error, match="returned"):
        evaluation.evaluate(WrongShape(), three_faces, tmp_path, progress=False)
    with pytest.raises(In2Error, match="Unknown evaluation data"):
        evaluation.run(Namespace(weights=None, data="ffhq", out=str(tmp_path), limit=None, device="cpu"))


def test_limit_picks_evenly_spread_files():
    files = [Path(f"p{i:03d}/x.jpg") for i in range(100)]
    picked = evaluation.select_files(files, 4)
    assert picked == [files[0], files[33], files[66], files[99]]
    assert evaluation.select_files(files, None) == files


def test_enlarged_photos_keep_their_landmarks_on_the_face(three_faces):
    native, points = evaluation.load_face(three_faces[0])
    big, big_points = evaluation.load_face(three_faces[0], scale=2.5)
    assert big.shape[:2] == (round(native.shape[0] * 2.5), round(native.shape[1] * 2.5))
    np.testing.assert_allclose(big_points, (points + 0.5) * 2.5 - 0.5)
    # The eyes' hole on the enlarged photo covers what it covers on the photo itself.
    small_hole = evaluation.eval_mask("eyes", *native.shape[:2], points, 1)
    big_hole = evaluation.eval_mask("eyes", *big.shape[:2], big_points, 1)
    shrunk = cv2.resize(big_hole.astype(np.float32), native.shape[1::-1], interpolation=cv2.INTER_AREA) > 0.5
    assert (shrunk & small_hole).sum() / (shrunk | small_hole).sum() > 0.85


def test_eval_on_enlarged_photos_at_a_chosen_working_size(three_faces, tiny_weights, tmp_path):
    class Recording:
        sizes = []

        def inpaint(self, image, mask):
            self.sizes.append(image.shape[:2])
            return cv2.inpaint(image, mask.astype(np.uint8), 3, cv2.INPAINT_TELEA)

    results = evaluation.evaluate(Recording(), three_faces, tmp_path, scale=2, progress=False)
    assert results["scale"] == 2
    assert Recording.sizes == [(436, 356)] * 3  # CelebA's 218×178, twice
    args = Namespace(
        weights=str(tiny_weights), data="celeba-test", out=str(tmp_path / "cli"), limit=2, device="cpu", scale=1.5,
        working_size=64,
    )  # fmt: skip
    assert evaluation.run(args) == 0
    assert "photos enlarged 1.5×, working size 64" in (tmp_path / "cli" / "results.md").read_text()


def test_eval_can_measure_the_network_without_its_mirror_image(tiny_weights, tmp_path):
    scores = {}
    for no_mirror in (False, True):
        out = tmp_path / str(no_mirror)
        args = Namespace(
            weights=str(tiny_weights), data="celeba-test", out=out, limit=2, device="cpu", no_mirror=no_mirror
        )
        assert evaluation.run(args) == 0
        results = json.loads((out / "results.json").read_text())
        assert ("without the mirror image" in results["title"]) == no_mirror
        scores[no_mirror] = results["summary"]["all"]["IN²"]["hole_psnr"]
    assert scores[False] != scores[True]


def test_eval_can_measure_the_engine_without_shrinking_deep_holes(tiny_weights, tmp_path):
    scores = {}
    for depth in (0, 8):  # at working size 64 the large box lies about 17 working pixels deep
        out = tmp_path / str(depth)
        args = Namespace(
            weights=str(tiny_weights), data="celeba-test", out=out, limit=4, device="cpu", working_size=64,
            max_hole_depth=depth,
        )  # fmt: skip
        assert evaluation.run(args) == 0
        results = json.loads((out / "results.json").read_text())
        assert ("deep holes not shrunk" in results["title"]) == (depth == 0)
        large = [row for row in results["per_image"] if row["kind"] == "large_box"]
        assert len(large) == 1
        scores[depth] = large[0]["scores"]["IN²"]["hole_psnr"]
    assert scores[0] != scores[8]


def test_the_contact_sheet_shows_as_many_examples_of_each_kind_as_asked(tiny_weights, tmp_path):
    """More rows than two, to judge by eye whether large-box fills look like faces."""
    heights = {}
    for rows in (None, 1):
        out = tmp_path / str(rows)
        args = Namespace(weights=str(tiny_weights), data="celeba-test", out=out, limit=8, device="cpu", sheet_rows=rows)
        assert evaluation.run(args) == 0
        heights[rows] = cv2.imread(str(out / "contact_sheet.png")).shape[0]
    assert heights[None] == 2 * heights[1] and heights[1] % 4 == 0  # 8 rows by default, 4 when one of each kind
