"""`python -m in2_studio.training.compare` on real eval folders: three test faces filled by two simple methods."""

import pytest

from in2_studio.errors import In2Error
from in2_studio.training import compare
from in2_studio.training import evaluate as evaluation
from in2_studio.training.faces import face_files


class TeleaAsIn2:
    """Telea in IN²'s place: its gain over Telea is zero on every kind."""

    def inpaint(self, image, mask):
        return evaluation.telea(image, mask)


class Grey:
    def inpaint(self, image, mask):
        out = image.copy()
        out[mask != 0] = 128
        return out


@pytest.fixture(scope="module")
def evals(tmp_path_factory):
    root = tmp_path_factory.mktemp("evals")
    faces = evaluation.select_files(face_files("celeba", "test"), 3)
    for name, method in (("telea", TeleaAsIn2()), ("grey", Grey())):
        evaluation.evaluate(method, faces, root / name, progress=False)
    evaluation.evaluate(Grey(), faces[:2], root / "fewer", progress=False)
    evaluation.evaluate(Grey(), faces, root / "off-face", progress=False, holes="off-face")
    return root


def test_rows_show_each_gain_and_its_change_from_the_first(evals):
    table = compare.comparison_table([evals / "telea", evals / "grey"])
    grey = compare.gains(compare.read_results(evals / "grey"))
    assert grey["all"] < 0 and set(grey) == {"eyes", "nose_mouth", "strokes", "all"}  # three photos: no large box
    rows = table.splitlines()
    assert rows[2] == "| eval | eyes | nose_mouth | strokes | all | SSIM | hole detail |"  # the kinds it has
    assert rows[0].startswith("IN² − Telea, hole PSNR (dB), 3 photos")
    assert f"| {evals / 'telea'} | +0.000 | +0.000 | +0.000 | +0.000 |" in table
    grey_row = next(row for row in rows if row.startswith(f"| {evals / 'grey'} |"))
    assert f"{grey['all']:+.3f} ({grey['all']:+.3f})" in grey_row  # the change from a zero baseline is the gain


def test_evals_of_other_photos_are_refused(evals):
    with pytest.raises(In2Error, match="other photos"):
        compare.comparison_table([evals / "grey", evals / "fewer"])
    with pytest.raises(In2Error, match="other holes"):
        compare.comparison_table([evals / "grey", evals / "off-face"])


def test_a_folder_without_results_is_one_clear_error(evals, tmp_path, capsys):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "results.json").write_text("{}")
    assert compare.main([str(evals / "telea"), str(tmp_path / "missing")]) == 2
    assert compare.main([str(tmp_path / "broken")]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 2 and "No eval results in" in errors[0] and "not an eval's results.json" in errors[1]
