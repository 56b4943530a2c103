"""The `in2-studio` command: round trips for a photo and a folder, and for every bad input one line on
stderr, exit code 2, no traceback, nothing at the output, and the original untouched."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import cv2
import numpy as np
import pytest
from image_support import png_declaring
from PIL import Image, ImageCms

from in2_studio import __version__
from in2_studio.cli import main
from in2_studio.engine import save_weights
from in2_studio.model import IN2, IN2Config

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
FACES = [
    DATA / "lfw" / "Aaron_Eckhart" / "Aaron_Eckhart_0001.jpg",
    DATA / "lfw" / "Aaron_Guiel" / "Aaron_Guiel_0001.jpg",
    DATA / "lfw" / "Aaron_Patterson" / "Aaron_Patterson_0001.jpg",
]


def run_cli(*argv) -> int:
    """main() in-process; argparse's own exits (usage errors, --version) become return codes too."""
    try:
        return main([str(arg) for arg in argv])
    except SystemExit as exit_:
        return exit_.code


def _face(index: int = 0) -> np.ndarray:
    return np.asarray(Image.open(FACES[index]).convert("RGB"))


def _hole(shape=(250, 250), box=(90, 140, 70, 180)) -> np.ndarray:
    fill = np.zeros(shape, bool)
    top, bottom, left, right = box
    fill[top:bottom, left:right] = True
    return fill


def _save_mask(path: Path, fill: np.ndarray) -> Path:
    Image.fromarray(np.where(fill, 255, 0).astype(np.uint8)).save(path)
    return path


@pytest.fixture
def photo(tmp_path) -> Path:
    path = tmp_path / "photo.png"
    Image.fromarray(_face()).save(path)
    return path


@pytest.fixture
def mask(tmp_path) -> Path:
    return _save_mask(tmp_path / "mask.png", _hole())


@pytest.fixture
def engine_args(tiny_weights) -> list[str]:
    return ["--weights", str(tiny_weights), "--device", "cpu", "--working-size", "64"]


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("in2-studio: error: ")
    assert "Traceback" not in stderr
    return lines[0]


# ---------------------------------------------------------------- round trips


def test_a_photo_round_trip(tmp_path, photo, mask, engine_args, capsys):
    before = photo.read_bytes()
    out = tmp_path / "fixed.png"
    assert run_cli("inpaint", "--image", photo, "--mask", mask, "--output", out, *engine_args) == 0

    assert f"wrote {out}" in capsys.readouterr().out
    result = np.asarray(Image.open(out))
    face, hole = _face(), _hole()
    assert result.shape == face.shape
    assert np.array_equal(result[~hole], face[~hole])
    assert not np.array_equal(result[hole], face[hole])
    assert photo.read_bytes() == before


def test_grain_is_laid_over_the_fill_unless_no_grain(tmp_path, photo, mask, engine_args, tiny_weights):
    from in2_studio.engine import Inpainter

    face, hole = _face(), _hole()
    for flags, grain in (((), True), (("--no-grain",), False)):
        out = tmp_path / f"fixed-{grain}.png"
        assert run_cli("inpaint", "--image", photo, "--mask", mask, "--output", out, *flags, *engine_args) == 0
        engine = Inpainter.load(tiny_weights, "cpu", working_size=64, grain=grain)
        np.testing.assert_array_equal(np.asarray(Image.open(out)), engine.inpaint(face, hole))


def test_preview_writes_the_preview_stage(tmp_path, photo, mask, engine_args):
    out = tmp_path / "preview.png"
    assert run_cli("inpaint", "--image", photo, "--mask", mask, "--output", out, "--preview", *engine_args) == 0
    result, face, hole = np.asarray(Image.open(out)), _face(), _hole()
    assert np.array_equal(result[~hole], face[~hole])


def test_mirror_fills_the_eye_from_the_other_eye_without_the_network(tmp_path, photo, capsys):
    from in2_studio.engine.mirror import mirror_fill

    eye = _hole(box=(100, 122, 88, 118))
    mask, out = _save_mask(tmp_path / "eye.png", eye), tmp_path / "fixed.png"
    # No --weights: the mirror fill needs none, so a missing weights file cannot matter.
    assert run_cli("inpaint", "--image", photo, "--mask", mask, "--output", out, "--mirror") == 0
    assert "(mirror fill, cpu" in capsys.readouterr().out
    expected, _ = mirror_fill(_face(), eye)
    np.testing.assert_array_equal(np.asarray(Image.open(out)), expected)


def test_mirror_with_no_source_or_with_preview_is_one_line_exit_2_and_writes_nothing(tmp_path, mask, capsys):
    noise = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (250, 250, 3), dtype=np.uint8)).save(noise)
    out = tmp_path / "out.png"
    assert run_cli("inpaint", "--image", noise, "--mask", mask, "--output", out, "--mirror") == 2
    assert "No mirrored match for the hole at" in _one_error_line(capsys.readouterr().err)
    assert run_cli("inpaint", "--image", noise, "--mask", mask, "--output", out, "--mirror", "--preview") == 2
    assert "--mirror has no preview" in _one_error_line(capsys.readouterr().err)
    assert not out.exists()


def test_output_folder_keeps_the_photos_name(tmp_path, photo, mask, engine_args):
    out_dir = tmp_path / "results"
    out_dir.mkdir()
    assert run_cli("inpaint", "--image", photo, "--mask", mask, "--output", out_dir, *engine_args) == 0
    assert (out_dir / "photo.png").is_file()
    # A name ending in "/" means a folder, created if its parent exists.
    new_dir = tmp_path / "new"
    assert run_cli("inpaint", "--image", photo, "--mask", mask, "--output", f"{new_dir}/", *engine_args) == 0
    assert (new_dir / "photo.png").is_file()


def _photo_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for index, name in enumerate(["anna.png", "ben.jpg", "cleo.tif"]):
        Image.fromarray(_face(index)).save(folder / name)
    return folder


def test_a_folder_round_trip_pairs_masks_by_stem(tmp_path, engine_args, capsys):
    photos = _photo_folder(tmp_path)
    masks = tmp_path / "masks"
    masks.mkdir()
    holes = {"anna": _hole(box=(10, 60, 10, 60)), "ben": _hole(), "cleo": _hole(box=(150, 240, 100, 200))}
    for stem, fill in holes.items():
        _save_mask(masks / f"{stem}.png", fill)
    out = tmp_path / "fixed"  # does not exist yet: created, as its parent exists

    assert run_cli("inpaint", "--image", photos, "--mask", masks, "--output", out, *engine_args) == 0

    assert sorted(p.name for p in out.iterdir()) == ["anna.png", "ben.jpg", "cleo.tif"]
    for name in ["anna.png", "cleo.tif"]:  # lossless: pixels outside the hole exact
        hole = holes[name.split(".")[0]]
        source = np.asarray(Image.open(photos / name).convert("RGB"))
        result = np.asarray(Image.open(out / name).convert("RGB"))
        assert np.array_equal(result[~hole], source[~hole]), name
    assert "wrote 3 photos" in capsys.readouterr().out


def test_one_mask_serves_a_whole_folder(tmp_path, mask, engine_args):
    photos = _photo_folder(tmp_path)
    out = tmp_path / "fixed"
    assert run_cli("inpaint", "--image", photos, "--mask", mask, "--output", out, *engine_args) == 0
    hole = _hole()
    for name in ["anna.png", "cleo.tif"]:
        source = np.asarray(Image.open(photos / name).convert("RGB"))
        result = np.asarray(Image.open(out / name).convert("RGB"))
        assert np.array_equal(result[~hole], source[~hole])


def test_a_bad_file_in_a_folder_is_reported_and_skipped(tmp_path, mask, engine_args, capsys):
    photos = _photo_folder(tmp_path)
    (photos / "broken.png").write_text("not a picture")
    Image.fromarray(_face()[:100]).save(photos / "small.png")  # the mask does not fit it
    out = tmp_path / "fixed"

    assert run_cli("inpaint", "--image", photos, "--mask", mask, "--output", out, *engine_args) == 2

    stderr = capsys.readouterr().err
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert any("broken.png is not an image file" in line for line in lines)
    assert any("small.png is 250×100" in line for line in lines)
    assert lines[-1] == f"in2-studio: error: 2 of 5 photos failed (see above); 3 written to {out}"
    assert sorted(p.name for p in out.iterdir()) == ["anna.png", "ben.jpg", "cleo.tif"]


def test_a_photo_without_its_mask_is_skipped(tmp_path, engine_args, capsys):
    photos = _photo_folder(tmp_path)
    masks = tmp_path / "masks"
    masks.mkdir()
    _save_mask(masks / "anna.png", _hole())
    _save_mask(masks / "ben.png", _hole())
    out = tmp_path / "fixed"
    assert run_cli("inpaint", "--image", photos, "--mask", masks, "--output", out, *engine_args) == 2
    assert f"cleo.tif: no mask named cleo.* in {masks}" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["anna.png", "ben.jpg"]


def test_metadata_alpha_and_16_bit_are_kept(tmp_path, engine_args):
    rng = np.random.default_rng(3)
    deep = (_face().astype(np.uint16) * 257 + rng.integers(0, 257, (250, 250, 3))).astype(np.uint16)
    alpha = np.full((250, 250), 255, np.uint8)
    alpha[:20] = 0
    source = tmp_path / "deep.png"
    cv2.imwrite(str(source), np.dstack([deep[:, :, ::-1], alpha.astype(np.uint16) * 257]))
    mask = _save_mask(tmp_path / "mask.png", _hole())
    out = tmp_path / "out.png"

    assert run_cli("inpaint", "--image", source, "--mask", mask, "--output", out, *engine_args) == 0

    written = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    hole = _hole()
    assert written.dtype == np.uint16
    assert np.array_equal(written[:, :, 2::-1][~hole], deep[~hole])
    assert np.array_equal(written[:, :, 3], alpha.astype(np.uint16) * 257)


def test_exif_and_colour_profile_are_kept(tmp_path, mask, engine_args):
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    source = tmp_path / "camera.jpg"
    Image.fromarray(_face()).save(source, exif=exif.tobytes(), icc_profile=icc, quality=95)
    out = tmp_path / "out.jpg"
    assert run_cli("inpaint", "--image", source, "--mask", mask, "--output", out, *engine_args) == 0
    written = Image.open(out)
    assert written.info["icc_profile"] == icc
    assert written.getexif()[0x010F] == "TestCam"


def test_a_black_and_white_photo_comes_back_black_and_white(tmp_path, mask, engine_args):
    grey = np.asarray(Image.fromarray(_face()).convert("L"))
    source = tmp_path / "old-print.jpg"
    Image.fromarray(grey).save(source, quality=95)
    out = tmp_path / "repaired.jpg"
    assert run_cli("inpaint", "--image", source, "--mask", mask, "--output", out, *engine_args) == 0
    with Image.open(out) as written:
        assert written.mode == "L"  # one channel, as it came: no tint in the fill, and a third of the data


# ---------------------------------------------------------------- bad input


def _truncate(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _bad_photo(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content == "jpeg":
        path.write_bytes(FACES[0].read_bytes())
    else:
        Image.fromarray(_face()).save(path)
    return path


def _other_configuration(tmp_path: Path) -> Path:
    # A file claiming the tiny configuration but holding a differently shaped network.
    config = IN2Config(channels=(8, 12, 20), blocks=(1, 1, 1), attention_blocks=1, heads=2, kernel=3,
                       decoder_hidden=16, fourier_bands=2)  # fmt: skip
    other = IN2(config)
    other.config = IN2Config.tiny()
    path = tmp_path / "other.safetensors"
    save_weights(other, path)
    return path


def case_zero_byte_photo(t, a):
    a["--image"] = _bad_photo(t, "empty.png", b"")
    return "is empty (0 bytes)"


def case_truncated_jpeg(t, a):
    a["--image"] = _truncate(_bad_photo(t, "half.jpg", "jpeg"))
    return "half.jpg is truncated or damaged"


def case_truncated_png(t, a):
    a["--image"] = _truncate(_bad_photo(t, "half.png", "png"))
    return "half.png is truncated or damaged"


def case_text_named_png(t, a):
    a["--image"] = _bad_photo(t, "notes.png", b"my notes\n")
    return "notes.png is not an image file"


def case_unsupported_format(t, a):
    a["--image"] = _bad_photo(t, "face.gif", "gif")
    return "is a GIF image, which is not supported"


def case_decompression_bomb(t, a):
    a["--image"] = _bad_photo(t, "bomb.png", png_declaring(30000, 30000))
    return "declares 30000×30000 pixels (900 megapixels), over the limit of 100 megapixels"


def case_missing_photo(t, a):
    a["--image"] = t / "nowhere.jpg"
    return "nowhere.jpg: no such file"


def case_mask_of_another_size(t, a):
    a["--mask"] = _save_mask(t / "small-mask.png", np.ones((80, 100), bool))
    return f"small-mask.png is 100×80 but {a['--image']} is 250×250"


def case_mask_not_an_image(t, a):
    a["--mask"] = _bad_photo(t, "mask.txt", b"draw here")
    return "mask.txt is not an image file"


def case_empty_mask(t, a):
    a["--mask"] = _save_mask(t / "blank.png", np.zeros((250, 250), bool))
    return "blank.png marks nothing to fill"


def case_missing_weights(t, a):
    a["--weights"] = t / "none.safetensors"
    return "weights file not found"


def case_truncated_weights(t, a):
    broken = t / "broken.safetensors"
    broken.write_bytes(Path(a["--weights"]).read_bytes()[:500])
    a["--weights"] = broken
    return "broken.safetensors"


def case_weights_for_another_configuration(t, a):
    a["--weights"] = _other_configuration(t)
    return "does not fit this network"


def case_output_folder_missing(t, a):
    a["--output"] = t / "no" / "such" / "out.png"
    return "does not exist"


def case_output_without_image_extension(t, a):
    a["--output"] = t / "out.txt"
    return "the output's extension must say its format"


def case_output_is_the_input(t, a):
    a["--output"] = a["--image"]
    return "is the photo itself"


BAD_INPUTS = [value for name, value in sorted(globals().items()) if name.startswith("case_")]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[case.__name__[5:] for case in BAD_INPUTS])
def test_bad_input_gives_one_line_exit_2_and_leaves_everything_as_it_was(
    tmp_path, photo, mask, tiny_weights, case, capsys
):
    args = {"--image": photo, "--mask": mask, "--output": tmp_path / "out.png", "--weights": tiny_weights}
    expected = case(tmp_path, args)
    inputs = {path: path.read_bytes() for path in tmp_path.iterdir() if path.is_file()}

    argv = [str(item) for pair in args.items() for item in pair]
    code = run_cli("inpaint", *argv, "--device", "cpu", "--working-size", "64")

    assert code == 2
    line = _one_error_line(capsys.readouterr().err)
    assert expected in line
    assert {path: path.read_bytes() for path in tmp_path.iterdir() if path.is_file()} == inputs
    assert not (tmp_path / "out.png").exists()


def test_cuda_when_there_is_none_is_bad_input(photo, mask, tiny_weights, tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    out = tmp_path / "out.png"
    code = run_cli("inpaint", "--image", photo, "--mask", mask, "--output", out, "--weights", tiny_weights,
                   "--device", "cuda")  # fmt: skip
    assert code == 2
    assert "no CUDA device" in _one_error_line(capsys.readouterr().err)
    assert not out.exists()


def test_unwritable_output_folder(photo, mask, engine_args, tmp_path, monkeypatch, capsys):
    # Root ignores folder permissions, so the refusal is simulated where the temporary file is made.
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", refuse)
    out = tmp_path / "out.png"
    assert run_cli("inpaint", "--image", photo, "--mask", mask, "--output", out, *engine_args) == 2
    assert "permission denied in the folder" in _one_error_line(capsys.readouterr().err)
    assert not out.exists()


def test_failed_save_keeps_the_previous_result(photo, mask, engine_args, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out.png"
    out.write_bytes(b"an earlier result")

    def failing_replace(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", failing_replace)
    assert run_cli("inpaint", "--image", photo, "--mask", mask, "--output", out, *engine_args) == 2
    assert "cannot write" in _one_error_line(capsys.readouterr().err)
    assert out.read_bytes() == b"an earlier result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mask.png", "out.png", "photo.png"]


def test_folder_run_that_fails_before_any_result_creates_nothing(tmp_path, mask, capsys):
    photos = _photo_folder(tmp_path)
    out = tmp_path / "fixed"
    code = run_cli("inpaint", "--image", photos, "--mask", mask, "--output", out, "--weights", tmp_path / "no.st")
    assert code == 2
    _one_error_line(capsys.readouterr().err)
    assert not out.exists()


def test_output_folder_equal_to_the_photo_folder_is_refused(tmp_path, mask, engine_args, capsys):
    photos = _photo_folder(tmp_path)
    before = {p: p.read_bytes() for p in photos.iterdir()}
    assert run_cli("inpaint", "--image", photos, "--mask", mask, "--output", photos, *engine_args) == 2
    assert "would overwrite the originals" in _one_error_line(capsys.readouterr().err)
    assert {p: p.read_bytes() for p in photos.iterdir()} == before


def test_usage_errors_are_one_line_with_exit_2(capsys):
    assert run_cli("inpaint", "--image", "x.png") == 2
    assert "required: --mask, --output" in _one_error_line(capsys.readouterr().err)
    for size in ["8", "0", "-64"]:  # a range is told its range, even below 1
        assert run_cli("inpaint", "--image", "a", "--mask", "b", "--output", "c", "--working-size", size) == 2
        assert f"{size} must be between 32 and 4096" in _one_error_line(capsys.readouterr().err)
    assert run_cli("eval", "--weights", "w", "--data", "lfw-test", "--scale", "0") == 2
    assert "0 must be between 1 and 8" in _one_error_line(capsys.readouterr().err)
    assert run_cli("train", "--config", "c.toml", "--lr", "-1") == 2
    assert "must be a positive number" in _one_error_line(capsys.readouterr().err)


# ---------------------------------------------------------------- exit codes for the unexpected


def test_internal_error_is_one_line_and_exit_1(photo, mask, engine_args, tmp_path, monkeypatch, capsys):
    from in2_studio.engine import Inpainter

    def broken(self, image, mask, preview=False):
        raise RuntimeError("the network fell over")

    monkeypatch.setattr(Inpainter, "fill", broken)
    monkeypatch.delenv("IN2_DEBUG", raising=False)
    argv = ("inpaint", "--image", photo, "--mask", mask, "--output", tmp_path / "out.png", *engine_args)
    assert run_cli(*argv) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert line == "in2-studio: error: internal error: RuntimeError: the network fell over"

    monkeypatch.setenv("IN2_DEBUG", "1")
    assert run_cli(*argv) == 1
    assert "Traceback" in capsys.readouterr().err


def test_interrupt_exits_130(photo, mask, engine_args, tmp_path, monkeypatch, capsys):
    from in2_studio.engine import Inpainter

    def interrupted(self, image, mask, preview=False):
        raise KeyboardInterrupt

    monkeypatch.setattr(Inpainter, "fill", interrupted)
    out = tmp_path / "out.png"
    assert run_cli("inpaint", "--image", photo, "--mask", mask, "--output", out, *engine_args) == 130
    assert _one_error_line(capsys.readouterr().err) == "in2-studio: error: interrupted"
    assert not out.exists()


def test_no_traceback_from_the_real_command(tmp_path, tiny_weights):
    broken = tmp_path / "half.jpg"
    broken.write_bytes(FACES[0].read_bytes()[:3000])
    mask = _save_mask(tmp_path / "mask.png", _hole())
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    environment.pop("IN2_DEBUG", None)
    completed = subprocess.run(
        [sys.executable, "-m", "in2_studio.cli", "inpaint", "--image", str(broken), "--mask", str(mask),
         "--output", str(tmp_path / "out.png"), "--weights", str(tiny_weights), "--device", "cpu"],
        capture_output=True, text=True, env=environment, timeout=120,
    )  # fmt: skip
    assert completed.returncode == 2
    assert completed.stderr == f"in2-studio: error: {broken} is truncated or damaged and cannot be decoded\n"
    assert completed.stdout == ""


# ---------------------------------------------------------------- version, window, other commands


def test_version(capsys):
    assert run_cli("--version") == 0
    assert capsys.readouterr().out.strip() == f"in2-studio {__version__}"


def test_bare_command_opens_the_window_with_the_photo(photo, monkeypatch):
    import in2_studio.gui.app as app
    import in2_studio.gui.check_display as check_display

    opened = []
    monkeypatch.setattr(check_display, "check", lambda: None)  # whatever display this machine has
    monkeypatch.setattr(app, "run_app", lambda path=None: opened.append(path) or 0)
    assert run_cli(photo) == 0
    assert run_cli() == 0
    assert opened == [str(photo), None]


def test_window_without_a_display_says_what_to_do(monkeypatch, capsys):
    import in2_studio.gui.check_display as check_display

    monkeypatch.setattr(check_display, "check", lambda: "IN² Studio needs a display")
    assert run_cli() == 1
    assert capsys.readouterr().err == "in2-studio: error: IN² Studio needs a display\n"


def test_window_with_a_missing_photo_is_bad_input(tmp_path, capsys):
    assert run_cli(tmp_path / "gone.jpg") == 2
    assert "gone.jpg: no such file" in _one_error_line(capsys.readouterr().err)


def test_window_not_available_is_one_line_and_exit_1(monkeypatch, capsys):
    import in2_studio.gui.check_display as check_display

    monkeypatch.setattr(check_display, "check", lambda: None)
    monkeypatch.setitem(sys.modules, "in2_studio.gui.app", None)  # as if the module were not there
    assert run_cli() == 1
    assert "the window is not part of this build" in _one_error_line(capsys.readouterr().err)


DISPATCH = [
    (
        ["train", "--config", "c.toml", "--steps", "5", "--resume", "--lr", "3e-4"],
        "in2_studio.training.train",
        {"config": Path("c.toml"), "steps": 5, "resume": True, "out": None, "lr": 3e-4, "minutes": None},
    ),
    (
        ["eval", "--weights", "w.safetensors", "--data", "celeba-test", "--limit", "3", "--max-hole-depth", "0"],
        "in2_studio.training.evaluate",
        {"weights": Path("w.safetensors"), "data": "celeba-test", "limit": 3, "device": "auto", "max_hole_depth": 0},
    ),
    (["bench", "--json", "b.json", "--quick"], "in2_studio.bench", {"json": Path("b.json"), "quick": True}),
]


@pytest.mark.parametrize(("argv", "module", "expected"), DISPATCH, ids=["train", "eval", "bench"])
def test_other_commands_dispatch_to_their_run(monkeypatch, argv, module, expected):
    received = []
    fake = types.ModuleType(module)
    fake.run = lambda args: received.append(args) or 7
    monkeypatch.setitem(sys.modules, module, fake)
    assert run_cli(*argv) == 7
    assert {key: getattr(received[0], key) for key in expected} == expected


@pytest.mark.parametrize("depth", ["-1", "deep", "nan"])
def test_a_bad_hole_depth_for_eval_is_a_usage_error(depth, capsys):
    assert run_cli("eval", "--max-hole-depth", depth) == 2
    assert "--max-hole-depth" in capsys.readouterr().err


def test_a_command_left_out_of_the_build_says_so(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "in2_studio.bench", None)
    assert run_cli("bench") == 1
    assert "the bench command is not included in this build" in _one_error_line(capsys.readouterr().err)


def test_an_error_inside_a_command_maps_to_its_exit_code(monkeypatch, capsys):
    from in2_studio.errors import In2Error

    fake = types.ModuleType("in2_studio.bench")

    def run(args):
        raise In2Error("bench.json: cannot write")

    fake.run = run
    monkeypatch.setitem(sys.modules, "in2_studio.bench", fake)
    assert run_cli("bench") == 2
    assert _one_error_line(capsys.readouterr().err) == "in2-studio: error: bench.json: cannot write"
